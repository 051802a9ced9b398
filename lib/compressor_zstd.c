// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * compressor_zstd.c - Zstandard (on-disk algorithm 3): one standard zstd
 * frame per pcluster.  libzstd cannot stop at an output size, so
 * compression goes through erofs_compress_search().
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "compressor_internal.h"
#ifdef HAVE_LIBZSTD
/* for ZSTD_getFrameHeader(), exported by libzstd.so since 1.3 */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#include <zstd_errors.h>
#endif

/* the kernel accepts windows of 1 KiB .. 1 MiB (windowlog field 0..10) */
#define ZSTD_WINDOWLOG_BASE	10
#define ZSTD_WINDOWLOG_KMAX	20

/* record: u8 format (0), u8 windowlog - 10, 4 reserved */
static int zstd_check_cfg(const void *payload, size_t len,
			  unsigned int blkszbits, struct erofs_log *log)
{
	struct z_erofs_zstd_cfgs c;

	if (erofs_cfg_short(len, sizeof(c))) {
		erofs_err(log, "zstd config record too short (%zu bytes)", len);
		return -EFSCORRUPTED;
	}
	memcpy(&c, payload, sizeof(c));
	if (c.format) {
		erofs_err(log, "zstd config: unsupported format %u", c.format);
		return -EOPNOTSUPP;
	}
	if (c.windowlog > ZSTD_WINDOWLOG_KMAX - ZSTD_WINDOWLOG_BASE) {
		erofs_err(log, "zstd config: windowlog %u + 10 exceeds 20",
			  c.windowlog);
		return -EFSCORRUPTED;
	}
	return 0;
}

#ifdef HAVE_LIBZSTD
static unsigned int ilog2_u32(uint32_t v)
{
	unsigned int r = 0;

	while (v >>= 1)
		r++;
	return r;
}

static int zstd_check(const struct erofs_compress_cfg *cfg,
		      struct erofs_log *log)
{
	if (cfg->dictsize & (cfg->dictsize - 1)) {
		erofs_err(log, "zstd: dictsize %u is not a power of two",
			  cfg->dictsize);
		return -EINVAL;
	}
	return 0;
}

static int zstd_write_cfg(const struct erofs_compress_cfg *cfg, void *payload,
			  size_t cap)
{
	struct z_erofs_zstd_cfgs c;

	if (cap < sizeof(c))
		return -ENOSPC;
	memset(&c, 0, sizeof(c));
	c.windowlog = (uint8_t)(ilog2_u32(cfg->dictsize) - ZSTD_WINDOWLOG_BASE);
	memcpy(payload, &c, sizeof(c));
	return sizeof(c);
}

static int zstd_init(struct erofs_compress_ctx *ctx)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();

	if (!cctx)
		return -ENOMEM;
	/* sticky parameters: survive every ZSTD_compress2() below */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel,
						ctx->cfg.level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog,
				(int)ilog2_u32(ctx->cfg.dictsize))) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0))) {
		ZSTD_freeCCtx(cctx);
		return -EINVAL;
	}
	ctx->priv = cctx;
	return 0;
}

static void zstd_release(struct erofs_compress_ctx *ctx)
{
	ZSTD_freeCCtx(ctx->priv);
}

static int zstd_try(struct erofs_compress_ctx *ctx, const void *src,
		    size_t srclen, void *dst, size_t dstsize)
{
	size_t ret = ZSTD_compress2(ctx->priv, dst, dstsize, src, srclen);

	if (ZSTD_isError(ret))
		return ZSTD_getErrorCode(ret) == ZSTD_error_dstSize_tooSmall ?
			0 : -EIO;
	return (int)ret;
}

static int zstd_compress_destsize(struct erofs_compress_ctx *ctx,
				  const void *src, size_t *srclen, void *dst,
				  size_t dstsize)
{
	return erofs_compress_search(ctx, zstd_try, src, srclen, dst, dstsize);
}

static int zstd_decompress(void **state, const void *in, size_t inlen,
			   void *out, size_t outlen, bool partial)
{
	ZSTD_DCtx *dctx = *state;
	ZSTD_inBuffer ib = { in, inlen, 0 };
	ZSTD_outBuffer ob = { out, outlen, 0 };
	ZSTD_frameHeader zfh;
	size_t ret;

	if (!dctx) {
		dctx = ZSTD_createDCtx();
		if (!dctx)
			return -ENOMEM;
		/* never let a crafted frame header size our buffers */
		ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax,
				       ZSTD_WINDOWLOG_KMAX);
		*state = dctx;
	}
	/*
	 * One rule for both paths: the streaming decoder below refuses
	 * windows over ZSTD_d_windowLogMax, but the one-shot call ignores
	 * that parameter, so check the frame header here (found by
	 * fuzz_zstd: a frame announcing a 64 MiB window decoded in full but
	 * not as a prefix).
	 */
	if (ZSTD_getFrameHeader(&zfh, in, inlen) ||
	    zfh.windowSize > (1ULL << ZSTD_WINDOWLOG_KMAX))
		return -EFSCORRUPTED;
	if (!partial) {
		/* one shot into out; errors if the frame is larger */
		ret = ZSTD_decompressDCtx(dctx, out, outlen, in, inlen);
		return !ZSTD_isError(ret) && ret == outlen ? 0 : -EFSCORRUPTED;
	}
	ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
	while (ob.pos < ob.size) {
		size_t before_in = ib.pos, before_out = ob.pos;

		ret = ZSTD_decompressStream(dctx, &ob, &ib);
		if (ZSTD_isError(ret))
			return -EFSCORRUPTED;
		if (!ret && ob.pos < ob.size)
			return -EFSCORRUPTED;	/* frame ended early */
		if (ib.pos == before_in && ob.pos == before_out)
			return -EFSCORRUPTED;	/* truncated stream */
	}
	return 0;
}

static void zstd_dstate_free(void *state)
{
	ZSTD_freeDCtx(state);
}

const struct erofs_compressor erofs_compressor_zstd = {
	.name = "zstd",
	.alg = Z_EROFS_COMPRESSION_ZSTD,
	.built = true,
	.default_level = 3, .min_level = 1, .max_level = 22,
	.default_dictsize = 1U << 15,
	.min_dictsize = 1U << ZSTD_WINDOWLOG_BASE,
	.max_dictsize = 1U << ZSTD_WINDOWLOG_KMAX,
	.check = zstd_check,
	.init = zstd_init,
	.release = zstd_release,
	.compress_destsize = zstd_compress_destsize,
	.decompress = zstd_decompress,
	.dstate_free = zstd_dstate_free,
	.write_cfg = zstd_write_cfg,
	.check_cfg = zstd_check_cfg,
};
#else
const struct erofs_compressor erofs_compressor_zstd = {
	.name = "zstd", .alg = Z_EROFS_COMPRESSION_ZSTD,
	.check_cfg = zstd_check_cfg,
};
#endif
