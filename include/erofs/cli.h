/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * cli.h - helpers for the tools' front ends: one option table drives both
 * getopt_long() and the --help text, so the two cannot drift (and the man
 * page test compares --help with the man page).  Nothing here prints.
 */
#ifndef __EROFS_CLI_H
#define __EROFS_CLI_H

#include <getopt.h>
#include "erofs/defs.h"

struct erofs_cli_opt {
	const char *name;	/* long name, or NULL for a short-only option */
	int has_arg;		/* no_argument, required_argument, ... */
	int val;		/* short letter (< 256), or a long-only id */
	const char *arg;	/* argument name shown in --help, or NULL */
	const char *help;	/* one line */
};

/*
 * Build getopt_long()'s tables from defs: *longs (NULL-terminated) and
 * *shorts (starting with ':' so missing values are reported as ':').
 * Both are malloc()ed; 0 or -ENOMEM.
 */
int erofs_cli_getopt_tables(const struct erofs_cli_opt *defs, size_t n,
			    struct option **longs, char **shorts);
/* the option list part of --help, one line per option, malloc()ed */
char *erofs_cli_help(const struct erofs_cli_opt *defs, size_t n);
/* a whole decimal or 0x-hex integer within [lo, hi]: 0 or -EINVAL */
int erofs_cli_parse_int(const char *s, long long lo, long long hi,
			long long *v);
/*
 * a whole decimal or 0x-hex number of 64 bits, no sign: a nid (those of
 * inodes in a metabox have bit 63 set); 0 or -EINVAL
 */
int erofs_cli_parse_u64(const char *s, uint64_t *v);
/* a size: like erofs_cli_parse_int, optionally followed by K, M or G
 * (powers of 1024, either case), as erofs-utils accepts ("-C64k") */
int erofs_cli_parse_size(const char *s, long long lo, long long hi,
			 long long *v);

struct erofs_mkfs_params;
struct erofs_import_params;
/*
 * mkfs -E: a comma-separated list of extended options, each optionally
 * negated by a leading '^'.  0, or -EINVAL with *bad at the unknown token,
 * or -ERANGE with *bad at a known option whose value is invalid (opts is
 * modified in place).
 */
int erofs_cli_mkfs_extended(struct erofs_mkfs_params *mk,
			    struct erofs_import_params *imp, char *opts,
			    const char **bad);
/*
 * append s (not copied) to the NULL-terminated array *arr of *n strings,
 * with room for *cap (erofs/array.h); 0 or -ENOMEM
 */
int erofs_cli_push_str(const char ***arr, size_t *n, size_t *cap,
		       const char *s);

#endif
