/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * dump.h - human-readable views of an opened image for dump.erofs.
 *
 * Every function writes to a caller-given FILE (the library itself never
 * chooses stdout).  The output is deterministic for a given image: no
 * pointer values, times printed as epoch seconds plus UTC, entries in
 * on-disk order, so that golden tests can compare it byte for byte.
 * All return 0 or a negative errno (image problems are also logged).
 */
#ifndef __EROFS_DUMP_H
#define __EROFS_DUMP_H

#include <stdio.h>
#include "erofs/reader.h"

/* superblock fields and every feature bit by name */
int erofs_dump_super(struct erofs_image *img, FILE *out);
/*
 * file type counts, size histogram and the compression ratio (from the
 * checker's byte counts, as fsck -p; plus the packed inode's share)
 */
int erofs_dump_stats(struct erofs_image *img, FILE *out);
/* one inode: layout, sizes, times, owner, xattrs with values */
int erofs_dump_inode(struct erofs_inode *inode, const char *path, FILE *out);
/*
 * the inode's extents: for compressed files the map header (index form,
 * algorithms, advise bits), then per extent the logical range, physical
 * byte range (P: packed-inode offsets for fragments, followed by the
 * packed inode's extents holding them; M: metabox), length, blocks,
 * encoded length, algorithm and flags (plain/shifted/interlaced, inline,
 * big, partial, hole)
 */
int erofs_dump_extents(struct erofs_inode *inode, FILE *out);
/* a directory's entries in on-disk order: nid, type, name */
int erofs_dump_ls(struct erofs_inode *dir, FILE *out);
/* the file contents (symlink: its target) */
int erofs_dump_cat(struct erofs_inode *inode, FILE *out);

/* names of the feature bits set in compat/incompat, space separated */
void erofs_dump_feature_names(uint32_t compat, uint32_t incompat, FILE *out);

#endif
