/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * import_internal.h - private to lib/: what the directory importer
 * (import.c) and the tar importer (import_tar.c) share, so that both apply
 * the same ownership, timestamp, exclusion and xattr-name rules.
 */
#ifndef __EROFS_LIB_IMPORT_INTERNAL_H
#define __EROFS_LIB_IMPORT_INTERNAL_H

#include <regex.h>
#include "erofs/import.h"

/* --exclude-path (normalized: no leading or trailing '/') and
 * --exclude-regex (compiled) */
struct erofs_import_filter {
	char **excludes;
	size_t nr_excludes;
	regex_t *regs;
	size_t nr_regs;
};

/* compile p's exclusions; a bad regex is logged; release on any result */
int erofs_import_filter_init(struct erofs_import_filter *f,
			     const struct erofs_import_params *p);
void erofs_import_filter_release(struct erofs_import_filter *f);
/* rel: path relative to the source root, no leading '/' */
bool erofs_import_filter_match(const struct erofs_import_filter *f,
			       const char *rel);

/*
 * node->uid/gid from the source ids after --all-root, --force-*id and the
 * offsets; -ERANGE (not logged) when the result does not fit 32 bits.
 */
int erofs_import_owner(const struct erofs_import_params *p,
		       struct erofs_node *node, int64_t uid, int64_t gid);
/* node->mtime from the source time after -T / --ignore-mtime / clamping */
void erofs_import_mtime(const struct erofs_import_params *p,
			struct erofs_node *node, int64_t sec, uint32_t nsec);
/* whether an xattr name can be stored (some short prefix covers it) */
bool erofs_import_xattr_storable(const char *name, size_t len,
				 size_t *suffix_len);

#endif
