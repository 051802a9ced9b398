// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * compressor_lzma.c - MicroLZMA (on-disk algorithm 1) through liblzma's
 * lzma_microlzma_encoder/decoder (liblzma >= 5.3): the encoder natively
 * stops when the output buffer is full, which is exactly EROFS's
 * fill-one-cluster call.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "compressor_internal.h"
#ifdef HAVE_LIBLZMA
#include <lzma.h>
#endif

#define LZMA_DICT_KMIN	4096U
#define LZMA_DICT_KMAX	(8U << 20)

/* record: le32 dict_size, le16 format (0), 8 reserved */
static int lzma_check_cfg(const void *payload, size_t len,
			  unsigned int blkszbits, struct erofs_log *log)
{
	struct z_erofs_lzma_cfgs c;
	uint32_t dict;

	if (erofs_cfg_short(len, sizeof(c))) {
		erofs_err(log, "lzma config record too short (%zu bytes)", len);
		return -EFSCORRUPTED;
	}
	memcpy(&c, payload, sizeof(c));
	if (erofs_le16(c.format)) {
		erofs_err(log, "lzma config: unsupported format %u",
			  erofs_le16(c.format));
		return -EOPNOTSUPP;
	}
	dict = erofs_le32(c.dict_size);
	if (dict < LZMA_DICT_KMIN || dict > LZMA_DICT_KMAX) {
		erofs_err(log, "lzma config: dict_size %u not in 4096..8M",
			  dict);
		return -EFSCORRUPTED;
	}
	return 0;
}

#ifdef HAVE_LIBLZMA
static int lzma_write_cfg(const struct erofs_compress_cfg *cfg, void *payload,
			  size_t cap)
{
	struct z_erofs_lzma_cfgs c;

	if (cap < sizeof(c))
		return -ENOSPC;
	memset(&c, 0, sizeof(c));
	c.dict_size = erofs_cpu_to_le32(cfg->dictsize);
	memcpy(payload, &c, sizeof(c));
	return sizeof(c);
}

/*
 * Levels as erofs-utils numbers them: 0..9 are xz's presets, 100..109 the
 * same with LZMA_PRESET_EXTREME (slower, a little smaller).
 */
#define LZMA_EXTREME_BASE	100

static uint32_t lzma_preset(int level)
{
	return level >= LZMA_EXTREME_BASE ?
		(uint32_t)(level - LZMA_EXTREME_BASE) | LZMA_PRESET_EXTREME :
		(uint32_t)level;
}

static int lzma_check_params(const struct erofs_compress_cfg *cfg,
			     struct erofs_log *log)
{
	int lc = cfg->lzma_lc >= 0 ? cfg->lzma_lc : LZMA_LC_DEFAULT;
	int lp = cfg->lzma_lp >= 0 ? cfg->lzma_lp : LZMA_LP_DEFAULT;

	if (cfg->level > 9 && cfg->level < LZMA_EXTREME_BASE) {
		erofs_err(log, "lzma: level %d is not in 0..9 or 100..109 (extreme)",
			  cfg->level);
		return -EINVAL;
	}
	/* the kernel's MicroLZMA decoder (xz_dec) takes lc + lp <= 4 */
	if (lc + lp > LZMA_LCLP_MAX) {
		erofs_err(log, "lzma: lc + lp is %d, more than %d", lc + lp,
			  LZMA_LCLP_MAX);
		return -EINVAL;
	}
	return 0;
}

static int lzma_set_opt(struct erofs_compress_cfg *cfg, const char *key,
			const char *val, struct erofs_log *log)
{
	int *field, max;
	char *end;
	long v;

	if (!strcmp(key, "lc")) {
		field = &cfg->lzma_lc;
		max = LZMA_LCLP_MAX;
	} else if (!strcmp(key, "lp")) {
		field = &cfg->lzma_lp;
		max = LZMA_LCLP_MAX;
	} else if (!strcmp(key, "pb")) {
		field = &cfg->lzma_pb;
		max = LZMA_PB_MAX;
	} else {
		return -ENOENT;
	}
	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || end == val || *end || v < 0 || v > max) {
		erofs_err(log, "lzma: %s '%s' is not in 0..%d", key, val, max);
		return -EINVAL;
	}
	*field = (int)v;
	return 0;
}

struct lzma_cctx {
	lzma_stream strm;
	lzma_options_lzma opt;
};

static int lzma_init_ctx(struct erofs_compress_ctx *ctx)
{
	struct lzma_cctx *c = calloc(1, sizeof(*c));
	lzma_stream init = LZMA_STREAM_INIT;

	if (!c)
		return -ENOMEM;
	c->strm = init;
	if (lzma_lzma_preset(&c->opt, lzma_preset(ctx->cfg.level))) {
		free(c);
		return -EINVAL;
	}
	c->opt.dict_size = ctx->cfg.dictsize;
	if (ctx->cfg.lzma_lc >= 0)
		c->opt.lc = (uint32_t)ctx->cfg.lzma_lc;
	if (ctx->cfg.lzma_lp >= 0)
		c->opt.lp = (uint32_t)ctx->cfg.lzma_lp;
	if (ctx->cfg.lzma_pb >= 0)
		c->opt.pb = (uint32_t)ctx->cfg.lzma_pb;
	ctx->priv = c;
	return 0;
}

static void lzma_release(struct erofs_compress_ctx *ctx)
{
	struct lzma_cctx *c = ctx->priv;

	if (!c)
		return;
	lzma_end(&c->strm);
	free(c);
}

static int lzma_compress_destsize(struct erofs_compress_ctx *ctx,
				  const void *src, size_t *srclen, void *dst,
				  size_t dstsize)
{
	struct lzma_cctx *c = ctx->priv;
	lzma_ret r;

	if (dstsize < 6)	/* the smallest MicroLZMA stream */
		return -ENOSPC;
	/* re-initialising reuses the allocations of the previous call */
	r = lzma_microlzma_encoder(&c->strm, &c->opt);
	if (r != LZMA_OK)
		return r == LZMA_MEM_ERROR ? -ENOMEM : -EINVAL;
	c->strm.next_in = src;
	c->strm.avail_in = *srclen;
	c->strm.next_out = dst;
	c->strm.avail_out = dstsize;
	r = lzma_code(&c->strm, LZMA_FINISH);
	if (r != LZMA_STREAM_END)
		return r == LZMA_MEM_ERROR ? -ENOMEM : -EIO;
	if (!c->strm.total_in)
		return -ENOSPC;
	*srclen = (size_t)c->strm.total_in;
	return (int)c->strm.total_out;
}

static int lzma_decompress(void **state, const void *in, size_t inlen,
			   void *out, size_t outlen, bool partial)
{
	lzma_stream *strm = *state;
	lzma_ret r;

	if (!strm) {
		lzma_stream init = LZMA_STREAM_INIT;

		strm = malloc(sizeof(*strm));
		if (!strm)
			return -ENOMEM;
		*strm = init;
		*state = strm;
	}
	/*
	 * A fresh stream only refers back into its own output, so a
	 * dictionary as large as the output (at least the 4 KiB minimum) is
	 * enough whatever the encoder used, and bounds memory by outlen.
	 */
	r = lzma_microlzma_decoder(strm, inlen, outlen, !partial,
				   (uint32_t)EROFS_MAX(outlen, LZMA_DICT_KMIN));
	if (r != LZMA_OK)
		return r == LZMA_MEM_ERROR ? -ENOMEM : -EFSCORRUPTED;
	strm->next_in = in;
	strm->avail_in = inlen;
	strm->next_out = out;
	strm->avail_out = outlen;
	r = lzma_code(strm, LZMA_FINISH);
	if (r != LZMA_STREAM_END && r != LZMA_OK)
		return r == LZMA_MEM_ERROR ? -ENOMEM : -EFSCORRUPTED;
	return strm->total_out == outlen ? 0 : -EFSCORRUPTED;
}

static void lzma_dstate_free(void *state)
{
	lzma_stream *strm = state;

	lzma_end(strm);
	free(strm);
}

const struct erofs_compressor erofs_compressor_lzma = {
	.name = "lzma",
	.alg = Z_EROFS_COMPRESSION_LZMA,
	.built = true,
	.default_level = 6, .min_level = 0,
	.max_level = LZMA_EXTREME_BASE + 9,
	.check = lzma_check_params,
	.set_opt = lzma_set_opt,
	.default_dictsize = 1U << 16,
	.min_dictsize = LZMA_DICT_KMIN,
	.max_dictsize = LZMA_DICT_KMAX,
	/*
	 * Linux 7.2 fails to decode (EUCLEAN) data written with a dictionary
	 * of 65537, 65538 or 131073 bytes, and keeps the bad decoder state
	 * for later mounts; 65540, 65552 and 69632 read fine (QEMU, see
	 * tests/campaign).  Whole blocks are what every writer uses anyway.
	 */
	.dictsize_align = 4096,
	.init = lzma_init_ctx,
	.release = lzma_release,
	.compress_destsize = lzma_compress_destsize,
	.decompress = lzma_decompress,
	.dstate_free = lzma_dstate_free,
	.write_cfg = lzma_write_cfg,
	.check_cfg = lzma_check_cfg,
};
#else
const struct erofs_compressor erofs_compressor_lzma = {
	.name = "lzma", .alg = Z_EROFS_COMPRESSION_LZMA,
	.check_cfg = lzma_check_cfg,
};
#endif
