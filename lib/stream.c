// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * stream.c - file data written into the image as the source is read
 * (see erofs/stream.h): a cursor over the data area that only moves
 * forward, one record per file, hashing in the same pass.
 */
#include <stdlib.h>
#include <string.h>
#include "erofs/array.h"
#include "erofs/ishare.h"
#include "erofs/stream.h"

#define STREAM_ZEROS	(64U << 10)

struct erofs_stream {
	struct erofs_io *io;
	unsigned int blkszbits;
	uint64_t first, next;		/* first block, next free block */
	uint64_t bytes;			/* data handed over */
	/* bytes at or past this were never written before (a fresh file):
	 * holes there need no zeros */
	uint64_t fresh_from;
	struct erofs_stream_file *files;
	size_t nr_files, cap_files;
	bool open_file;			/* files[nr_files - 1] is being fed */
	uint64_t done;			/* its bytes written (or holes) so far */
	struct erofs_sha256 *sha;	/* NULL: no digests */
	uint8_t *zeros;
};

/* zeros over [pos, pos + len) of the image, where it held something */
static int stream_zero(struct erofs_stream *s, uint64_t pos, uint64_t len)
{
	uint64_t end = pos + len;

	if (end > s->fresh_from)
		end = EROFS_MAX(pos, s->fresh_from);
	while (pos < end) {
		size_t n = (size_t)EROFS_MIN(end - pos, (uint64_t)STREAM_ZEROS);
		int ret = erofs_io_pwrite(s->io, s->zeros, n, pos);

		if (ret)
			return ret;
		pos += n;
	}
	return 0;
}

int erofs_stream_open(struct erofs_stream **sp, struct erofs_io *io,
		      unsigned int blkszbits, bool digests)
{
	struct erofs_stream *s = calloc(1, sizeof(*s));
	uint64_t size;
	int ret = -ENOMEM;

	*sp = NULL;
	if (!s)
		return -ENOMEM;
	s->io = io;
	s->blkszbits = blkszbits;
	s->zeros = calloc(1, STREAM_ZEROS);
	if (!s->zeros)
		goto err;
	if (digests) {
		s->sha = erofs_sha256_new();
		ret = -EOPNOTSUPP;
		if (!s->sha)
			goto err;
	}
	ret = erofs_io_size(io, &size);
	if (ret)
		goto err;
	s->fresh_from = size;
	/* the superblock's block (at most 4 KiB): no data, and no stale
	 * superblock from now on */
	s->first = s->next = EROFS_DIV_ROUND_UP(EROFS_SUPER_OFFSET +
				EROFS_SB_BASE_SIZE, 1ULL << blkszbits);
	ret = erofs_io_pwrite(io, s->zeros, s->first << blkszbits, 0);
	if (ret)
		goto err;
	*sp = s;
	return 0;
err:
	erofs_stream_free(s);
	return ret;
}

void erofs_stream_free(struct erofs_stream *s)
{
	if (!s)
		return;
	erofs_sha256_free(s->sha);
	free(s->files);
	free(s->zeros);
	free(s);
}

int erofs_stream_begin(struct erofs_stream *s, uint64_t size, uint64_t *id)
{
	struct erofs_stream_file *f;
	int ret;

	if (s->open_file)
		return -EBUSY;
	ret = erofs_array_reserve(&s->files, &s->cap_files, s->nr_files + 1);
	if (ret)
		return ret;
	if (s->sha && (ret = erofs_sha256_reset(s->sha)))
		return ret;
	f = &s->files[s->nr_files++];
	memset(f, 0, sizeof(*f));
	f->blk = s->next;
	f->size = size;
	s->next += EROFS_DIV_ROUND_UP(size, 1ULL << s->blkszbits);
	s->open_file = true;
	s->done = 0;
	*id = s->nr_files;
	return 0;
}

/* hash len zero bytes */
static int stream_hash_zeros(struct erofs_stream *s, uint64_t len)
{
	while (len) {
		size_t n = (size_t)EROFS_MIN(len, (uint64_t)STREAM_ZEROS);
		int ret = erofs_sha256_update(s->sha, s->zeros, n);

		if (ret)
			return ret;
		len -= n;
	}
	return 0;
}

/* advance the open file to off: a hole */
static int stream_skip(struct erofs_stream *s, uint64_t off)
{
	const struct erofs_stream_file *f = &s->files[s->nr_files - 1];
	int ret;

	if (off <= s->done)
		return 0;
	ret = stream_zero(s, (f->blk << s->blkszbits) + s->done,
			  off - s->done);
	if (!ret && s->sha)
		ret = stream_hash_zeros(s, off - s->done);
	if (!ret)
		s->done = off;
	return ret;
}

int erofs_stream_write(struct erofs_stream *s, uint64_t off, const void *buf,
		       size_t len)
{
	const struct erofs_stream_file *f;
	int ret;

	if (!s->open_file)
		return -EINVAL;
	f = &s->files[s->nr_files - 1];
	if (off < s->done || off + len < off || off + len > f->size)
		return -EINVAL;
	ret = stream_skip(s, off);
	if (!ret && len)
		ret = erofs_io_pwrite(s->io, buf, len,
				      (f->blk << s->blkszbits) + off);
	if (!ret && s->sha)
		ret = erofs_sha256_update(s->sha, buf, len);
	if (ret)
		return ret;
	s->done = off + len;
	s->bytes += len;
	return 0;
}

int erofs_stream_end(struct erofs_stream *s)
{
	struct erofs_stream_file *f;
	uint64_t bs = 1ULL << s->blkszbits, stored;
	int ret;

	if (!s->open_file)
		return -EINVAL;
	f = &s->files[s->nr_files - 1];
	ret = stream_skip(s, f->size);
	stored = EROFS_ROUND_UP(f->size, bs);
	/* the rest of the last block */
	if (!ret && stored > f->size)
		ret = stream_zero(s, (f->blk << s->blkszbits) + f->size,
				  stored - f->size);
	if (!ret && s->sha) {
		ret = erofs_sha256_final(s->sha, f->digest);
		f->has_digest = !ret;
	}
	s->open_file = false;
	return ret;
}

const struct erofs_stream_file *erofs_stream_get(const struct erofs_stream *s,
						 uint64_t id)
{
	if (!id || id > s->nr_files || (s->open_file && id == s->nr_files))
		return NULL;
	return &s->files[id - 1];
}

void erofs_stream_extent(const struct erofs_stream *s, uint64_t *first,
			 uint64_t *end, uint64_t *bytes)
{
	*first = s->first;
	*end = s->next;
	if (bytes)
		*bytes = s->bytes;
}

unsigned int erofs_stream_blkszbits(const struct erofs_stream *s)
{
	return s->blkszbits;
}

const struct erofs_io *erofs_stream_io(const struct erofs_stream *s)
{
	return s->io;
}
