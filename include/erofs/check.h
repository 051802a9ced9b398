/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * check.h - the check engine behind fsck.erofs.
 *
 * erofs_check_image() walks the directory tree of an opened image from the
 * root (or from a given nid or path), verifies what the kernel verifies and
 * what it does not (format.md section 8), and reports every problem through
 * a callback with a code from erofs/problem.h, the nid and the path.  The
 * engine never stops at the first problem; it only returns an error for
 * operational failures (out of memory).  Directory cycles are detected
 * (lib/walk.c enters no directory twice), so any image terminates.
 *
 * Reports of the whole-tree checks (nlink against the names found, the
 * superblock inode count, overlapping regions) are only made for a walk
 * from the root, where every reference is seen.
 */
#ifndef __EROFS_CHECK_H
#define __EROFS_CHECK_H

#include "erofs/problem.h"
#include "erofs/reader.h"
#include "erofs/verify.h"
#include "erofs/walk.h"

/* verifiers one check takes (check_params.nr_verifiers) */
#define EROFS_CHECK_MAX_VERIFIERS	32

struct erofs_problem_report {
	const struct erofs_problem_info *info;
	bool has_nid;
	erofs_nid_t nid;
	const char *path;	/* "/a/b", or NULL when unknown */
	const char *detail;	/* extra context, or NULL */
};

typedef void (*erofs_check_report_fn)(void *priv,
				      const struct erofs_problem_report *r);

struct erofs_check_params {
	/* start of the walk: path wins over nid; neither = the root */
	const char *start_path;
	bool has_start_nid;
	erofs_nid_t start_nid;
	bool check_xattrs;	/* parse and verify xattrs (default true) */
	bool read_data;		/* read every byte of every file (default) */
	/*
	 * check that no two metadata regions and no data and metadata
	 * overlap (default); statistics (dump -S) need not
	 */
	bool check_overlap;
	/*
	 * map every lcluster of a compressed extent, as the kernel maps
	 * each page, and check that it leads to the same extent (default);
	 * statistics need not either (on an image where one does not, they
	 * then count the rest of that file's extents, which fsck does not)
	 */
	bool check_lookbacks;
	/*
	 * directory depth limit, reported as E_DIR_DEPTH; 0 (the default):
	 * none, the format has none and the walk needs none
	 */
	unsigned int max_depth;
	erofs_check_report_fn report;
	void *report_priv;
	/*
	 * threads that decode regular files ahead of the walk, each on its
	 * own copy of the image (0 or 1: none; only with read_data).  The
	 * walk still applies every file in its order, so reports, stats
	 * and verifier calls are the same for any number.
	 */
	unsigned int workers;
	/*
	 * per-file verifiers (erofs/verify.h, at most 32), run on every
	 * regular file with the data this check decodes
	 */
	const struct erofs_verifier *verifiers;
	unsigned int nr_verifiers;
	/*
	 * a consumer of the same walk (fsck --extract: lib/extract.c), told
	 * of every event after the engine handled it, except that it sees an
	 * inode before the engine checks it (so a copy exists when the data
	 * comes through its verifier) and never sees a directory the engine
	 * does not enter.  Its negative returns stop the check (returned);
	 * EROFS_WALK_SKIP is ignored: the check walks everything.
	 */
	const struct erofs_walk_ops *walk_ops;
	void *walk_priv;
	/* optional per-inode hook, called after the engine's own checks */
	int (*inode_hook)(void *priv, struct erofs_inode *inode,
			  const char *path);
	void *hook_priv;
};

struct erofs_check_stats {
	uint64_t inodes;		/* distinct inodes visited */
	uint64_t files, dirs, symlinks, chrdevs, blkdevs, fifos, sockets;
	uint64_t logical_bytes;		/* sum of regular file sizes */
	/*
	 * bytes stored for them: each pcluster/block once however many
	 * extents or files share it (dedupe), inline tails, and the packed
	 * inode's stored bytes (fragments) once; the packed inode is checked
	 * but counted in no other field
	 */
	uint64_t physical_bytes;
	uint64_t errors, warnings;
	uint64_t unsupported;		/* what could not be checked here */
	unsigned int counts[EROFS_PROB_MAX];	/* reports per code */
};

/* defaults: from the root, xattrs and data checked, no depth limit */
void erofs_check_params_init(struct erofs_check_params *p);

/*
 * Check the image.  Returns 0 when the walk completed (problems are in
 * stats and were reported), or -ENOMEM / -ENOENT (start path not found).
 */
int erofs_check_image(struct erofs_image *img,
		      const struct erofs_check_params *p,
		      struct erofs_check_stats *stats);

/* report helper shared with the extractor */
void erofs_check_report(erofs_check_report_fn fn, void *priv,
			struct erofs_check_stats *stats, unsigned int code,
			bool has_nid, erofs_nid_t nid, const char *path,
			const char *fmt, ...) EROFS_PRINTF(8, 9);

#endif
