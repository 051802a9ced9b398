// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * compressor_deflate.c - raw DEFLATE (on-disk algorithm 2) through
 * libdeflate.  libdeflate cannot stop at an output size, so compression
 * goes through erofs_compress_search(); its window is always 32 KiB.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "compressor_internal.h"
#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#define DEFLATE_WINDOWBITS	15

/* record: u8 windowbits, 5 reserved */
static int deflate_check_cfg(const void *payload, size_t len,
			     unsigned int blkszbits, struct erofs_log *log)
{
	struct z_erofs_deflate_cfgs c;

	if (erofs_cfg_short(len, sizeof(c))) {
		erofs_err(log, "deflate config record too short (%zu bytes)",
			  len);
		return -EFSCORRUPTED;
	}
	memcpy(&c, payload, sizeof(c));
	if (c.windowbits > DEFLATE_WINDOWBITS) {
		erofs_err(log, "deflate config: windowbits %u exceeds 15",
			  c.windowbits);
		return -EFSCORRUPTED;
	}
	return 0;
}

#ifdef HAVE_LIBDEFLATE
static int deflate_write_cfg(const struct erofs_compress_cfg *cfg,
			     void *payload, size_t cap)
{
	struct z_erofs_deflate_cfgs c;

	if (cap < sizeof(c))
		return -ENOSPC;
	memset(&c, 0, sizeof(c));
	c.windowbits = DEFLATE_WINDOWBITS;
	memcpy(payload, &c, sizeof(c));
	return sizeof(c);
}

static int deflate_init(struct erofs_compress_ctx *ctx)
{
	ctx->priv = libdeflate_alloc_compressor(ctx->cfg.level);
	return ctx->priv ? 0 : -ENOMEM;
}

static void deflate_release(struct erofs_compress_ctx *ctx)
{
	if (ctx->priv)
		libdeflate_free_compressor(ctx->priv);
}

static int deflate_try(struct erofs_compress_ctx *ctx, const void *src,
		       size_t srclen, void *dst, size_t dstsize)
{
	size_t ret = libdeflate_deflate_compress(ctx->priv, src, srclen, dst,
						 dstsize);

	/*
	 * With 0PADDING a reader finds the stream by skipping zero bytes, so
	 * a stream starting with 0x00 (a non-final stored block) cannot be
	 * stored: count it as "does not fit".
	 */
	if (!ret || !((unsigned char *)dst)[0])
		return 0;
	return (int)ret;
}

static int deflate_compress_destsize(struct erofs_compress_ctx *ctx,
				     const void *src, size_t *srclen,
				     void *dst, size_t dstsize)
{
	return erofs_compress_search(ctx, deflate_try, src, srclen, dst,
				     dstsize);
}

/* cap for partial decodes, which need the whole stream's output */
#define DEFLATE_PARTIAL_MAX	(16U << 20)

static int deflate_decompress(void **state, const void *in, size_t inlen,
			      void *out, size_t outlen, bool partial)
{
	struct libdeflate_decompressor *d = *state;
	enum libdeflate_result r;
	size_t in_used, got, cap;
	void *tmp;

	if (!d) {
		d = libdeflate_alloc_decompressor();
		if (!d)
			return -ENOMEM;
		*state = d;
	}
	r = libdeflate_deflate_decompress_ex(d, in, inlen, out, outlen,
					     &in_used, &got);
	if (r == LIBDEFLATE_SUCCESS)
		return got == outlen ? 0 : -EFSCORRUPTED;
	if (r == LIBDEFLATE_SHORT_OUTPUT)	/* not reached with got ptr */
		return -EFSCORRUPTED;
	if (r != LIBDEFLATE_INSUFFICIENT_SPACE || !partial)
		return -EFSCORRUPTED;
	/*
	 * A partial reference wants only a prefix, but libdeflate decodes
	 * whole streams: decode into a growing scratch buffer and copy.
	 */
	for (cap = outlen * 2; ; cap *= 2) {
		if (cap > DEFLATE_PARTIAL_MAX)
			cap = DEFLATE_PARTIAL_MAX;
		tmp = malloc(cap);
		if (!tmp)
			return -ENOMEM;
		r = libdeflate_deflate_decompress_ex(d, in, inlen, tmp, cap,
						     &in_used, &got);
		if (r == LIBDEFLATE_SUCCESS && got >= outlen) {
			memcpy(out, tmp, outlen);
			free(tmp);
			return 0;
		}
		free(tmp);
		if (r != LIBDEFLATE_INSUFFICIENT_SPACE ||
		    cap == DEFLATE_PARTIAL_MAX)
			return -EFSCORRUPTED;
	}
}

static void deflate_dstate_free(void *state)
{
	libdeflate_free_decompressor(state);
}

const struct erofs_compressor erofs_compressor_deflate = {
	.name = "deflate",
	/* erofs-utils has an in-tree deflate encoder and names libdeflate
	 * apart; ours is always libdeflate, so both names select it */
	.alias = "libdeflate",
	.alg = Z_EROFS_COMPRESSION_DEFLATE,
	.built = true,
	.default_level = 1, .min_level = 1, .max_level = 12,
	/* fixed: libdeflate always uses the full 32 KiB window */
	.default_dictsize = 1U << DEFLATE_WINDOWBITS,
	.min_dictsize = 1U << DEFLATE_WINDOWBITS,
	.max_dictsize = 1U << DEFLATE_WINDOWBITS,
	.init = deflate_init,
	.release = deflate_release,
	.compress_destsize = deflate_compress_destsize,
	.decompress = deflate_decompress,
	.dstate_free = deflate_dstate_free,
	.write_cfg = deflate_write_cfg,
	.check_cfg = deflate_check_cfg,
};
#else
const struct erofs_compressor erofs_compressor_deflate = {
	.name = "deflate", .alias = "libdeflate", .alg = Z_EROFS_COMPRESSION_DEFLATE,
	.check_cfg = deflate_check_cfg,
};
#endif
