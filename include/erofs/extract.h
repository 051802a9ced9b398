/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * extract.h - recreate the tree of an image in a host directory
 * (fsck.erofs --extract=DIR).
 *
 * Safety invariants: nothing is ever written outside the target directory.
 * Every file is created relative to an open directory fd (openat/mkdirat/
 * symlinkat/mknodat) with O_NOFOLLOW and O_EXCL semantics, so a symlink
 * the extraction created (or found) is never followed; names containing
 * '/', NUL, or equal to "." or ".." are refused and reported as
 * E_DIR_BADNAME; hard links are only made to files this extraction wrote
 * itself; a directory reached twice (a cycle) is not entered again.
 */
#ifndef __EROFS_EXTRACT_H
#define __EROFS_EXTRACT_H

#include <sys/types.h>
#include "erofs/check.h"

struct erofs_extract_params {
	const char *dir;		/* target directory (created if missing) */
	const char *start_path;		/* subtree to extract, NULL = root */
	bool has_start_nid;
	erofs_nid_t start_nid;
	bool overwrite;			/* replace existing non-directories */
	bool force;			/* allow the target to be "/" */
	bool preserve_owner;
	bool preserve_perms;		/* else apply `umask` */
	mode_t umask;
	bool xattrs;			/* restore xattrs */
	unsigned int max_depth;
	erofs_check_report_fn report;
	void *report_priv;
};

void erofs_extract_params_init(struct erofs_extract_params *p);

/*
 * Extract.  Problems (refused names, files that could not be created) are
 * reported and counted in stats; returns 0 when the walk completed, or a
 * negative errno when the target could not be opened or memory ran out.
 */
int erofs_extract(struct erofs_image *img,
		  const struct erofs_extract_params *p,
		  struct erofs_check_stats *stats);

#endif
