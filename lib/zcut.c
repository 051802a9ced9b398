// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zcut.c - cut one segment of a file into extents (format.md 7.1, 7.6,
 * 7.8): the compressor's fixed-output call fills one pcluster at a time,
 * and the rules below decide what each extent is.  Pure: bytes and a
 * config in, extents (with their pcluster bytes, as they go to the image)
 * out through callbacks, in file order; no threads, no files.  The same
 * bytes and config always give the same extents, which is what makes the
 * image independent of the thread count.
 *
 * Rules:
 *  - lclusters are one block; an extent that is not the last must end in a
 *    later lcluster than it starts in (one extent start per lcluster);
 *    segment boundaries are block-aligned, so ending there is allowed;
 *  - a compressed extent is kept only if its block-rounded encoded size is
 *    smaller than its decoded size; otherwise that spot becomes a PLAIN
 *    extent of (at most) one block of raw data;
 *  - with tail packing the last extent also gets an inline form (encoded
 *    or raw, < 1 block) that layout may place right after the indexes;
 *  - once what is left is no more than frag_max bytes, or fits the
 *    pcluster that would end the segment, it is handed over whole as the
 *    fragment (-E fragments) instead.
 */
#include <string.h>
#include "writer_internal.h"

/* how much input to offer the compressor at once */
static size_t wr_zoffer(const struct erofs_wr_zcut *c, uint64_t r,
			size_t last_in)
{
	size_t want = (size_t)EROFS_MIN(r, (uint64_t)c->max_extent);
	unsigned int alg = c->ctx->cfg.c->alg;

	/*
	 * zstd and libdeflate cannot stop at an output size; their backends
	 * search the input length and try the whole offer first, so offering
	 * the maximum every time would cost O(max_extent) per pcluster.
	 * Offer about twice what the previous pcluster took instead (a pure
	 * function of the segment's data, so still deterministic).
	 */
	if (alg == Z_EROFS_COMPRESSION_DEFLATE ||
	    alg == Z_EROFS_COMPRESSION_ZSTD)
		want = EROFS_MIN(want, EROFS_MAX(8 * c->pmax, 2 * last_in));
	return want;
}

/* an encoded pcluster: zero padding then the stream (0PADDING) */
static int wr_zcut_encoded(const struct erofs_wr_zcut *c, uint64_t la,
			   const uint8_t *src, size_t in, size_t len)
{
	size_t bs = (size_t)1 << c->blkszbits;
	size_t total = EROFS_ROUND_UP(len, bs);

	memset(c->pcl, 0, total - len);
	memcpy(c->pcl + total - len, c->enc, len);
	return c->ops->extent(c->priv, la, (uint32_t)in,
			      Z_EROFS_LCLUSTER_TYPE_HEAD1, src, c->pcl,
			      (uint32_t)(total / bs));
}

/* a PLAIN block: raw data then zeros (SHIFTED) */
static int wr_zcut_plain(const struct erofs_wr_zcut *c, uint64_t la,
			 const uint8_t *src, size_t len)
{
	size_t bs = (size_t)1 << c->blkszbits;

	memcpy(c->pcl, src, len);
	memset(c->pcl + len, 0, bs - len);
	return c->ops->extent(c->priv, la, (uint32_t)len,
			      Z_EROFS_LCLUSTER_TYPE_PLAIN, src, c->pcl, 1);
}

int erofs_wr_zcut_segment(const struct erofs_wr_zcut *c, const uint8_t *buf,
			  uint64_t base, size_t len)
{
	unsigned int bs = 1U << c->blkszbits;
	uint64_t head = base, end = base + len;
	size_t last_in = 0;
	int ret;

	while (head < end) {
		uint64_t r = end - head;
		size_t in = wr_zoffer(c, r, last_in);
		const uint8_t *src = buf + (head - base);
		bool last;
		int enc;

		if (r <= c->frag_max)
			return c->ops->fragment(c->priv, head, src, (size_t)r);
		enc = c->replay ? c->replay(c->replay_priv, head, in, c->enc,
					    c->pmax, &in) : 0;
		c->ctx->guess = last_in;
		if (!enc)
			enc = erofs_compress_destsize(c->ctx, src, &in, c->enc,
						      c->pmax);
		if (enc == -ENOSPC) {
			enc = 0;
			in = 0;
		} else if (enc < 0) {
			erofs_err(c->log, "%s: %s compression failed: %s",
				  c->path, c->ctx->cfg.c->name, strerror(-enc));
			return enc;
		}
		last = in == r;
		/*
		 * -E fragments: the extent that would end the file goes to
		 * the packed inode instead, as in erofs-utils: compressed
		 * together, such tails take less room than one pcluster each
		 */
		if (c->frag_last && c->frag_max && enc > 0 && last)
			return c->ops->fragment(c->priv, head, src, (size_t)r);
		if (c->tailpacking && enc > 0 && last &&
		    (unsigned int)enc < bs && (size_t)enc < in) {
			/*
			 * The tail: its block form first (compressed if that
			 * saves a block, else raw), so the pclusters stay
			 * contiguous in the spool, then the inline form.
			 */
			if (EROFS_ROUND_UP((size_t)enc, bs) < in)
				ret = wr_zcut_encoded(c, head, src, in,
						      (size_t)enc);
			else
				ret = wr_zcut_plain(c, head, src, in);
			if (!ret)
				ret = c->ops->inline_tail(c->priv, c->enc,
						(uint32_t)enc,
						Z_EROFS_LCLUSTER_TYPE_HEAD1);
			return ret;
		}
		if (enc > 0 && EROFS_ROUND_UP((size_t)enc, bs) < in &&
		    (last || (head + in) / bs > head / bs)) {
			ret = wr_zcut_encoded(c, head, src, in, (size_t)enc);
			if (ret)
				return ret;
			head += in;
			last_in = in;
			continue;
		}
		/* incompressible here: one block of raw data */
		in = (size_t)EROFS_MIN(r, (uint64_t)bs);
		ret = wr_zcut_plain(c, head, src, in);
		if (!ret && c->tailpacking && in == r && in < bs)
			ret = c->ops->inline_tail(c->priv, src, (uint32_t)in,
						  Z_EROFS_LCLUSTER_TYPE_PLAIN);
		if (ret)
			return ret;
		head += in;
		last_in = in;
	}
	return 0;
}
