// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * compressor_lz4.c - LZ4 (on-disk algorithm 0): rows "lz4" (fast) and
 * "lz4hc" (high compression); both write raw LZ4 block data and share the
 * decoder and the configuration record.
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "compressor_internal.h"
#ifdef HAVE_LIBLZ4
#include <lz4.h>
#include <lz4hc.h>
#endif

/* LZ4's match window is fixed at 64 KiB - 1 by the block format */
#define LZ4_WINDOW_MAX	65535

/* record: le16 max_distance, le16 max_pclusterblks, 10 reserved */
static int lz4_check_cfg(const void *payload, size_t len,
			 unsigned int blkszbits, struct erofs_log *log)
{
	struct z_erofs_lz4_cfgs c;

	if (erofs_cfg_short(len, sizeof(c))) {
		erofs_err(log, "lz4 config record too short (%zu bytes)", len);
		return -EFSCORRUPTED;
	}
	memcpy(&c, payload, sizeof(c));
	if (erofs_le16(c.max_pclusterblks) >
	    (EROFS_Z_PCLUSTER_MAX >> blkszbits)) {
		erofs_err(log, "lz4 max_pclusterblks %u exceeds 1 MiB",
			  erofs_le16(c.max_pclusterblks));
		return -EFSCORRUPTED;
	}
	return 0;
}

#ifdef HAVE_LIBLZ4
static int lz4_write_cfg(const struct erofs_compress_cfg *cfg, void *payload,
			 size_t cap)
{
	struct z_erofs_lz4_cfgs c;

	if (cap < sizeof(c))
		return -ENOSPC;
	memset(&c, 0, sizeof(c));
	c.max_distance = erofs_cpu_to_le16(LZ4_WINDOW_MAX);
	c.max_pclusterblks = erofs_cpu_to_le16((uint16_t)cfg->max_pclusterblks);
	memcpy(payload, &c, sizeof(c));
	return sizeof(c);
}

static int lz4_compress_destsize(struct erofs_compress_ctx *ctx,
				 const void *src, size_t *srclen, void *dst,
				 size_t dstsize)
{
	int in = (int)*srclen;
	int ret = LZ4_compress_destSize(src, dst, &in, (int)dstsize);

	if (ret <= 0 || in <= 0)
		return -ENOSPC;
	*srclen = (size_t)in;
	return ret;
}

static int lz4hc_init(struct erofs_compress_ctx *ctx)
{
	/* LZ4HC's match finder state: large, so one per context */
	ctx->priv = LZ4_createStreamHC();
	return ctx->priv ? 0 : -ENOMEM;
}

static void lz4hc_release(struct erofs_compress_ctx *ctx)
{
	LZ4_freeStreamHC(ctx->priv);
}

/*
 * LZ4_compress_HC_destSize() clears its whole 256 KiB state on every call,
 * once per pcluster: about 6% of -zlz4hc's CPU time on /usr/share.  A fast
 * reset starts a new stream instead: liblz4 moves the window 64 KiB past
 * everything indexed before (and clears the tables when the indexes would
 * grow past 1 GiB, or after a failed call), so no old entry can match and
 * the output is byte for byte that of a fresh state (the suite compares
 * images across worker counts; /usr/share gave identical images).
 */
static int lz4hc_compress_destsize(struct erofs_compress_ctx *ctx,
				   const void *src, size_t *srclen, void *dst,
				   size_t dstsize)
{
	int in = (int)*srclen;
	int ret;

	LZ4_resetStreamHC_fast(ctx->priv, ctx->cfg.level);
	ret = LZ4_compress_HC_continue_destSize(ctx->priv, src, dst, &in,
						(int)dstsize);

	if (ret <= 0 || in <= 0)
		return -ENOSPC;
	*srclen = (size_t)in;
	return ret;
}

/* a 4-bit length of 15 continues in bytes until one below 255 */
static bool lz4_extend_len(const uint8_t **ipp, const uint8_t *iend,
			   size_t *len)
{
	const uint8_t *ip = *ipp;
	unsigned int b;

	if (*len != 15)
		return true;
	do {
		if (ip >= iend)
			return false;
		b = *ip++;
		*len += b;
	} while (b == 255);
	*ipp = ip;
	return true;
}

/*
 * liblz4 (like the kernel's copy) accepts a match offset of 0, which the
 * block format declares invalid: the match then copies output bytes that
 * were never written, so such a stream hands out stale buffer contents and
 * decodes differently from call to call and from a shorter (partial)
 * decode of itself (fuzz_lz4 found both).  Walk the sequences that produce
 * the first outlen bytes and report an offset of 0 among them; any other
 * defect is left to liblz4, which checks everything else.
 */
static bool lz4_zero_offset(const uint8_t *ip, size_t inlen, size_t outlen)
{
	const uint8_t *iend = ip + inlen;
	size_t produced = 0, len;
	unsigned int token;

	while (ip < iend) {
		token = *ip++;
		len = token >> 4;
		if (!lz4_extend_len(&ip, iend, &len))
			return false;
		if (len >= (size_t)(iend - ip))
			return false;	/* last literals (or truncated) */
		ip += len;
		produced += len;
		if (produced >= outlen || iend - ip < 2)
			return false;	/* decoding stops before the offset */
		if (!(ip[0] | ip[1] << 8))
			return true;
		ip += 2;
		len = token & 15;
		if (!lz4_extend_len(&ip, iend, &len))
			return false;
		produced += len + 4;
		if (produced >= outlen)
			return false;
	}
	return false;
}

/*
 * The same question for a stream liblz4 decoded whole: it ends with its
 * last literals exactly at iend, so every sequence lies inside it and
 * there is no output count to keep (about a third of the cost above).
 * The bounds are still checked, for memory safety only.
 */
static bool lz4_zero_offset_whole(const uint8_t *ip, const uint8_t *iend)
{
	unsigned int token;
	size_t len;

	while (ip < iend) {
		token = *ip++;
		len = token >> 4;
		if (!lz4_extend_len(&ip, iend, &len))
			return false;
		if (len >= (size_t)(iend - ip) || iend - ip - len < 2)
			return false;	/* the last literals */
		ip += len;
		if (!(ip[0] | ip[1]))
			return true;
		ip += 2;
		len = token & 15;
		if (!lz4_extend_len(&ip, iend, &len))
			return false;
	}
	return false;
}

static int lz4_decompress(void **state, const void *in, size_t inlen,
			  void *out, size_t outlen, bool partial)
{
	int ret;

	/*
	 * Both calls bound every write by outlen and every read by inlen,
	 * whatever the stream says.  The partial form also tolerates bytes
	 * after the point where outlen was reached (pre-0PADDING layout).
	 */
	if (partial) {
		if (lz4_zero_offset(in, inlen, outlen))
			return -EFSCORRUPTED;
		ret = LZ4_decompress_safe_partial(in, out, (int)inlen,
						  (int)outlen, (int)outlen);
		return ret == (int)outlen ? 0 : -EFSCORRUPTED;
	}
	ret = LZ4_decompress_safe(in, out, (int)inlen, (int)outlen);
	if (ret != (int)outlen ||
	    lz4_zero_offset_whole(in, (const uint8_t *)in + inlen))
		return -EFSCORRUPTED;
	return 0;
}

const struct erofs_compressor erofs_compressor_lz4 = {
	.name = "lz4",
	.alg = Z_EROFS_COMPRESSION_LZ4,
	.built = true,
	.cheap = true,
	.default_level = 0, .min_level = 0, .max_level = 0,
	.compress_destsize = lz4_compress_destsize,
	.decompress = lz4_decompress,
	.write_cfg = lz4_write_cfg,
	.check_cfg = lz4_check_cfg,
};

const struct erofs_compressor erofs_compressor_lz4hc = {
	.name = "lz4hc",
	.alg = Z_EROFS_COMPRESSION_LZ4,
	.built = true,
	.default_level = LZ4HC_CLEVEL_DEFAULT,
	.min_level = 3,		/* below 3 LZ4HC falls back to the fast coder */
	.max_level = LZ4HC_CLEVEL_MAX,
	.init = lz4hc_init,
	.release = lz4hc_release,
	.compress_destsize = lz4hc_compress_destsize,
	.decompress = lz4_decompress,
	.write_cfg = lz4_write_cfg,
	.check_cfg = lz4_check_cfg,
};
#else
const struct erofs_compressor erofs_compressor_lz4 = {
	.name = "lz4", .alg = Z_EROFS_COMPRESSION_LZ4,
	.check_cfg = lz4_check_cfg,
};
const struct erofs_compressor erofs_compressor_lz4hc = {
	.name = "lz4hc", .alg = Z_EROFS_COMPRESSION_LZ4,
	.check_cfg = lz4_check_cfg,
};
#endif
