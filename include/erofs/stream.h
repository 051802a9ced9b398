/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * stream.h - file data written into the image being built while the
 * source is read (mkfs --sort=none).
 *
 * An importer hands each regular file's bytes over as it reads them; they
 * go straight into the image's data area, block-aligned, one file after
 * another in the order given (a tar's archive order), and are hashed for
 * the fingerprint in the same pass when asked to.  Nothing is spooled:
 * memory and temporary space do not grow with the data.  The writer
 * (erofs/mkfs.h, params->stream) then places every inode's metadata after
 * the streamed blocks and does not write those blocks again.
 *
 * Image map with a stream: block 0 (superblock) | streamed data, blocks
 * [first, end) | metadata (meta_blkaddr = end) | other data blocks.
 * A file is always stored in whole blocks (its tail is not inlined), and
 * a file whose name a later entry takes over keeps its blocks as dead
 * space: the image grows by the data of replaced (or excluded and never
 * linked) files.  Same calls in the same order give the same bytes.
 */
#ifndef __EROFS_STREAM_H
#define __EROFS_STREAM_H

#include "erofs/erofs_fs.h"
#include "erofs/io.h"

struct erofs_stream;

/* one streamed file */
struct erofs_stream_file {
	uint64_t blk;			/* first block */
	uint64_t size;			/* bytes */
	bool has_digest;
	uint8_t digest[EROFS_ISHARE_DIGEST_LEN];	/* SHA-256 of the data */
};

/*
 * Start streaming into io (borrowed; the build must use the same io and
 * block size).  The head of the image (block 0, the superblock's place)
 * is zeroed at once, so an image that was there stops looking valid.
 * digests: hash every file (SHA-256, for fingerprints).  0 or -errno
 * (-EOPNOTSUPP: digests without libcrypto).
 */
int erofs_stream_open(struct erofs_stream **sp, struct erofs_io *io,
		      unsigned int blkszbits, bool digests);
void erofs_stream_free(struct erofs_stream *s);		/* NULL ok */

/* begin a file of size bytes at the next free block; *id (>= 1) names
 * it; one file at a time */
int erofs_stream_begin(struct erofs_stream *s, uint64_t size, uint64_t *id);
/* bytes [off, off + len) of the file begun last, in increasing off order
 * (skipped ranges are holes: zeros); -EINVAL out of order or past size */
int erofs_stream_write(struct erofs_stream *s, uint64_t off, const void *buf,
		       size_t len);
/* the file is complete: holes and the rest of its last block are zeros,
 * its digest is final */
int erofs_stream_end(struct erofs_stream *s);

/* file id, NULL for an id never given */
const struct erofs_stream_file *erofs_stream_get(const struct erofs_stream *s,
						 uint64_t id);
/* streamed blocks are [*first, *end); bytes handed over in *bytes */
void erofs_stream_extent(const struct erofs_stream *s, uint64_t *first,
			 uint64_t *end, uint64_t *bytes);
unsigned int erofs_stream_blkszbits(const struct erofs_stream *s);
const struct erofs_io *erofs_stream_io(const struct erofs_stream *s);

#endif
