/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * import.h - turn a source (a host directory) into an erofs_node tree.
 *
 * Everything that changes *what* goes into the image (ownership overrides,
 * exclusions, SELinux labels, timestamps) is applied here, so the writer
 * only decides *where* things go.  Output is independent of readdir and
 * listxattr order (erofs_tree_finalize() sorts).
 */
#ifndef __EROFS_IMPORT_H
#define __EROFS_IMPORT_H

#include "erofs/log.h"
#include "erofs/tree.h"

struct erofs_import_params {
	struct erofs_log *log;
	bool hard_dereference;	/* --hard-dereference: no hard links */
	bool all_root;		/* --all-root */
	int64_t force_uid, force_gid;	/* -1 = keep */
	int64_t uid_offset, gid_offset;	/* --uid-offset/--gid-offset */
	bool ignore_mtime;	/* --ignore-mtime: all mtimes = timestamp */
	bool all_time;		/* --all-time: all mtimes = timestamp */
	int64_t timestamp;	/* -T / SOURCE_DATE_EPOCH, -1 = unset */
	bool xattrs;		/* import xattrs (-x -1 disables) */
	const char *const *exclude_paths;	/* --exclude-path, NULL-ended */
	const char *const *exclude_regex;	/* --exclude-regex, NULL-ended */
	const char *file_contexts;	/* --file-contexts (libselinux) */
	const char *mount_point;	/* --mount-point, prefix for labels */
	/* called with the number of inodes imported so far (may be NULL) */
	void (*progress)(void *priv, uint64_t done);
	void *progress_priv;
};

void erofs_import_params_init(struct erofs_import_params *p);
/*
 * Import the tree under src_dir.  On success *rootp holds the root (drop it
 * with erofs_node_put()).  Errors name the offending path via the log.
 */
int erofs_import_dir(const struct erofs_import_params *p, const char *src_dir,
		     struct erofs_node **rootp);

#endif
