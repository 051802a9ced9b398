/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * extract.h - recreate the tree of an image in a host directory
 * (fsck.erofs --extract=DIR).
 *
 * Safety invariants: nothing is ever written outside the target directory.
 * Every file is created relative to an open directory fd (openat/mkdirat/
 * symlinkat/mknodat, or linkat of an unnamed file made in the target)
 * with O_NOFOLLOW and O_EXCL semantics, so a symlink the extraction
 * created (or found) is never followed; names containing
 * '/', NUL, or equal to "." or ".." are refused and reported as
 * E_DIR_BADNAME; hard links are only made to files this extraction wrote
 * itself; a directory reached twice (a cycle) is not entered again.
 *
 * The tree comes from the one walk of lib/walk.c.  fsck --extract=DIR
 * checks and extracts in the same walk (erofs_extractor_check): the
 * extractor follows the check's walk and writes each file from the bytes
 * the check decodes (erofs/verify.h), so the image is read once; with
 * workers, those that decode a file write it too (lib/extract.c).
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
	unsigned int max_depth;		/* 0 (the default): no limit */
	/*
	 * Write every file in the walk's thread, as on a target without
	 * O_TMPFILE, where the check's workers only decode (tests)
	 */
	bool serial;
	erofs_check_report_fn report;
	void *report_priv;
};

void erofs_extract_params_init(struct erofs_extract_params *p);

struct erofs_extractor;	/* opaque: one extraction in progress */

/*
 * Create (if missing) and open the target p->dir; stats are zeroed and
 * receive the extraction's reports.  -EPERM for "/" without p->force,
 * else 0 or -errno.  p and stats must outlive the extractor.
 */
int erofs_extractor_new(struct erofs_extractor **out, struct erofs_image *img,
			const struct erofs_extract_params *p,
			struct erofs_check_stats *stats);
/*
 * Check the image with chk (into stats, as erofs_check_image) and extract
 * it in the same walk from the check's start.  Returns as
 * erofs_check_image.
 */
int erofs_extractor_check(struct erofs_extractor *x,
			  const struct erofs_check_params *chk,
			  struct erofs_check_stats *stats);
void erofs_extractor_free(struct erofs_extractor *x);	/* accepts NULL */

/*
 * Extract alone, with a walk of its own.  Problems (refused names, files that could not be created) are
 * reported and counted in stats; returns 0 when the walk completed, or a
 * negative errno when the target could not be opened or memory ran out.
 */
int erofs_extract(struct erofs_image *img,
		  const struct erofs_extract_params *p,
		  struct erofs_check_stats *stats);

#endif
