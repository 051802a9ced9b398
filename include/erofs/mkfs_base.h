/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * mkfs_base.h - mkfs --incremental: the image being extended.
 *
 * IMAGE is read (erofs_mkfs_base_open), the build's options are made to
 * agree with it or refused where they would need what an existing image
 * cannot take (erofs_mkfs_base_apply), and the new source's tree is merged
 * over the image's (erofs_mkfs_base_merge): a name the source has wins, a
 * directory both have is merged (unless the source's is opaque), and every
 * other old name becomes a kept entry (erofs/tree.h `kept`) naming the old
 * inode, which is never rewritten.  The writer then appends the new inodes
 * and data (erofs_mkfs_params::base).  This is erofs-utils'
 * --incremental; its images and ours read the same way.
 */
#ifndef __EROFS_MKFS_BASE_H
#define __EROFS_MKFS_BASE_H

#include "erofs/mkfs.h"
#include "erofs/mkfs_output.h"
#include "erofs/reader.h"

struct erofs_mkfs_base_ctx {
	struct erofs_mkfs_base info;	/* what the writer needs */
	struct erofs_image img;
	struct erofs_log *log;
	bool open;
	uint64_t kept;			/* kept entries, for the summary */
};

/*
 * Read the image on io (the output, opened without truncating).  -EINVAL
 * (logged) for what cannot be extended: not an EROFS image, a metadata
 * box (erofs-utils -m), a damaged root.
 */
int erofs_mkfs_base_open(struct erofs_mkfs_base_ctx *b, struct erofs_io *io,
			 struct erofs_log *log);
/*
 * Make p agree with the image: its block size (has_b: -b was given, and
 * must match), 48BIT, epoch, label, no new shared xattrs, its xattr
 * filter; refuse (-EINVAL, logged) options the image cannot take.  Checks
 * that need the plan (compression records, prefixes) are the writer's.
 * (The UUID is the caller's: the image's unless -U says otherwise.)
 */
int erofs_mkfs_base_apply(struct erofs_mkfs_base_ctx *b,
			  struct erofs_mkfs_params *p, bool has_b);
/*
 * Merge the image's tree under root (the new source's, finalized): see
 * above.  ovlfs_strip: whiteouts (character devices 0:0) of the source
 * hide the old name and are dropped.  Finalizes the result.  keep_uuid
 * (no -U): p's UUID becomes the image's again.
 */
int erofs_mkfs_base_merge(struct erofs_mkfs_base_ctx *b,
			  struct erofs_node *root, bool ovlfs_strip,
			  struct erofs_mkfs_params *p, bool keep_uuid);
void erofs_mkfs_base_close(struct erofs_mkfs_base_ctx *b);
/*
 * The front end's one call before importing: open out's IMAGE to extend
 * it, read it and fit p to it (erofs_mkfs_base_open and _apply); -EINVAL
 * or -errno, logged.
 */
int erofs_mkfs_base_start(struct erofs_mkfs_base_ctx *b,
			  struct erofs_mkfs_output *out,
			  struct erofs_mkfs_params *p, bool has_b,
			  struct erofs_log *log);

#endif
