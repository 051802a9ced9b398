/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * frontend.h - what mkfs.erofs, fsck.erofs and dump.erofs share around the
 * library: the option loop with --help and --version, usage errors, the
 * log sink and mkfs's progress line.  Unlike liberofs this code prints to
 * stdout/stderr and exits (on --help and --version), so it is compiled
 * into the tools only (frontend/libfrontend.a), never into the library.
 */
#ifndef __EROFS_FRONTEND_H
#define __EROFS_FRONTEND_H

#include <stdio.h>
#include <time.h>
#include "erofs/cli.h"

struct erofs_frontend {
	/* set by the tool before any call, then only read */
	const char *prog;		/* "mkfs.erofs": the message prefix */
	const char *usage;		/* --help text before the option list */
	const struct erofs_cli_opt *opts;
	size_t nr_opts;
	/*
	 * How a usage error looks.  mkfs.erofs prints it like every other
	 * error ("<E> mkfs.erofs: ...") and main() adds the --help hint once
	 * with erofs_frontend_hint(), because errors the library logs while
	 * options are read (-z, --compress-hints) need the hint as well.
	 * fsck.erofs and dump.erofs print "prog: ..." and the hint at once.
	 */
	bool hint_at_exit;

	/* written only by frontend.c: a progress line is on stderr */
	bool progress_shown;
	struct timespec progress_last;
};

/*
 * Parse argv with getopt_long() from fe->opts: --help and --version print
 * and exit(0) here, an unknown option or a missing value is a usage
 * error, and every other option goes to parse_one(priv, c, optarg),
 * which returns 0 or a negative errno (after printing why) to stop.  On
 * return optind indexes the first operand.  0 or the first error.
 */
int erofs_frontend_getopt(struct erofs_frontend *fe, int argc, char **argv,
			  int (*parse_one)(void *priv, int c, char *arg),
			  void *priv);
/* print --help to f */
void erofs_frontend_usage(const struct erofs_frontend *fe, FILE *f);
/* print a usage error as fe->hint_at_exit says; returns -EINVAL */
int erofs_frontend_bad(const struct erofs_frontend *fe, const char *fmt, ...)
	EROFS_PRINTF(2, 3);
/* "Try 'name --help' for more information." on stderr */
void erofs_frontend_hint(const char *name);

/*
 * struct erofs_log's sink, priv = the struct erofs_frontend: one line
 * "<E> prog: msg" on stderr (<W>, <I>, <D> by level), after clearing a
 * progress line.
 */
void erofs_frontend_log_sink(void *priv, int level, const char *msg);

/*
 * Show "what done[/total] unit" on a line of its own that the next call
 * rewrites, at most ten times a second (always when done == total);
 * total 0 means unknown.  For a terminal only: the caller checks isatty.
 */
void erofs_frontend_progress(struct erofs_frontend *fe, const char *what,
			     const char *unit, uint64_t done, uint64_t total);
/* erase the progress line, if one is shown */
void erofs_frontend_progress_clear(struct erofs_frontend *fe);

struct erofs_image;
struct erofs_io;
/*
 * --device=PATH, as erofs-utils: open the n paths read-only and give them
 * to img as its extra devices, in table order.  None given is fine (the
 * reader then says what it cannot read); any other count than the
 * image's is an error, printed.  *ios (freed by erofs_frontend_close_
 * devices) holds the open files.  0 or -errno.
 */
int erofs_frontend_open_devices(const struct erofs_frontend *fe,
				struct erofs_image *img, const char **paths,
				size_t n, struct erofs_io **ios);
void erofs_frontend_close_devices(struct erofs_io *ios, size_t n);

#endif
