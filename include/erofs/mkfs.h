/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * mkfs.h - write an EROFS image from an erofs_node tree.
 *
 * The writer plans first (nids, block addresses, inline decisions, xattr
 * sharing) and then emits every region in order, checking that each lands
 * where it was planned.  The superblock is written last, so an interrupted
 * build never leaves a valid-looking image behind.  Same tree + same params
 * = same bytes.
 */
#ifndef __EROFS_MKFS_H
#define __EROFS_MKFS_H

#include "erofs/io.h"
#include "erofs/log.h"
#include "erofs/tree.h"

enum erofs_inode_form {
	EROFS_FORM_AUTO,	/* compact where it fits */
	EROFS_FORM_COMPACT,	/* -E force-inode-compact (where possible) */
	EROFS_FORM_EXTENDED,	/* -E force-inode-extended */
};

struct erofs_mkfs_params {
	struct erofs_log *log;
	unsigned int blkszbits;		/* -b, default 12 */
	int64_t build_time;		/* -T / SOURCE_DATE_EPOCH / now */
	uint32_t build_time_nsec;
	uint8_t uuid[16];		/* -U (all zero with "clear") */
	char volume_label[16];		/* -L, NUL-terminated */
	enum erofs_inode_form inode_form;
	bool noinline_data;		/* -E noinline_data */
	bool sb_checksum;		/* default on, -E nosbcrc clears */
	bool xattr_filter;		/* xattr name bloom filter, default on */
	int xattr_share_threshold;	/* -x N: share if > N users; -1 off */
	unsigned int root_xattr_isize;	/* --root-xattr-isize */
	/* --xattr-prefix=PREFIX, in order given */
	const char *const *xattr_prefixes;
	size_t nr_xattr_prefixes;
	/* --ishare_key / --xattr-inode-digest: NULL = off */
	const char *ishare_key;
	/* progress: called with (done, total) inodes while emitting */
	void (*progress)(void *priv, uint64_t done, uint64_t total);
	void *progress_priv;
};

struct erofs_mkfs_stats {
	uint64_t inodes, blocks, image_bytes;
	uint64_t data_bytes_read;
};

void erofs_mkfs_params_init(struct erofs_mkfs_params *p);
/*
 * Build the image of root into io (which should be empty).  Returns 0 or
 * -errno; on error nothing valid-looking is left (no superblock written).
 * stats may be NULL.
 */
int erofs_mkfs_build(const struct erofs_mkfs_params *p, struct erofs_node *root,
		     struct erofs_io *io, struct erofs_mkfs_stats *stats);

#endif
