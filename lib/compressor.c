// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * compressor.c - the compressor table (see erofs/compress.h): option
 * parsing shared by every backend, dispatch, and the length search used by
 * backends that cannot stop at a given output size themselves.
 */
#include "config.h"
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/cli.h"
#include "erofs/compress.h"
#include "compressor_internal.h"

/*
 * Table order is the --help order.  lz4hc shares the LZ4 id; the decoding
 * lookup (erofs_compressor_by_alg) takes the first row with a given id, so
 * the plain row of each algorithm comes first.
 */
static const struct erofs_compressor *const erofs_compressors[] = {
	&erofs_compressor_lz4,
	&erofs_compressor_lz4hc,
	&erofs_compressor_lzma,
	&erofs_compressor_deflate,
	&erofs_compressor_zstd,
};

const struct erofs_compressor *erofs_compressor_get(unsigned int i)
{
	return i < EROFS_ARRAY_SIZE(erofs_compressors) ? erofs_compressors[i]
						       : NULL;
}

const struct erofs_compressor *erofs_compressor_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < EROFS_ARRAY_SIZE(erofs_compressors); i++)
		if (!strcmp(erofs_compressors[i]->name, name) ||
		    (erofs_compressors[i]->alias &&
		     !strcmp(erofs_compressors[i]->alias, name)))
			return erofs_compressors[i];
	return NULL;
}

const struct erofs_compressor *erofs_compressor_by_alg(unsigned int alg)
{
	unsigned int i;

	for (i = 0; i < EROFS_ARRAY_SIZE(erofs_compressors); i++)
		if (erofs_compressors[i]->alg == alg)
			return erofs_compressors[i];
	return NULL;
}

void erofs_compress_cfg_init(struct erofs_compress_cfg *cfg,
			     const struct erofs_compressor *c)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->c = c;
	cfg->level = c->default_level;
	cfg->dictsize = c->default_dictsize;
	cfg->blkszbits = 12;
	cfg->max_pclusterblks = 1;
	cfg->lzma_lc = cfg->lzma_lp = cfg->lzma_pb = -1;
}

static int parse_level(const char *s, int *out)
{
	char *end;
	long v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < INT_MIN || v > INT_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int erofs_compress_cfg_parse(struct erofs_compress_cfg *cfg, const char *spec,
			     struct erofs_log *log)
{
	const struct erofs_compressor *c;
	char *dup, *tok, *save = NULL;
	bool first = true;
	int ret = 0;

	dup = strdup(spec);
	if (!dup)
		return -ENOMEM;
	tok = strtok_r(dup, ",", &save);
	if (!tok) {
		erofs_err(log, "empty compressor specification");
		ret = -EINVAL;
		goto out;
	}
	c = erofs_compressor_find(tok);
	if (!c) {
		erofs_err(log, "unknown compressor '%s'", tok);
		ret = -EINVAL;
		goto out;
	}
	if (!c->built) {
		erofs_err(log, "%s not built in", c->name);
		ret = -EOPNOTSUPP;
		goto out;
	}
	erofs_compress_cfg_init(cfg, c);
	while ((tok = strtok_r(NULL, ",", &save))) {
		long long size;

		if (!strncmp(tok, "level=", 6) ||
		    (first && isdigit((unsigned char)*tok))) {
			const char *v = tok[0] == 'l' ? tok + 6 : tok;

			if (parse_level(v, &cfg->level) ||
			    cfg->level < c->min_level ||
			    cfg->level > c->max_level) {
				erofs_err(log, "%s: level '%s' is not in %d..%d",
					  c->name, v, c->min_level,
					  c->max_level);
				ret = -EINVAL;
				goto out;
			}
		} else if (!strncmp(tok, "dictsize=", 9)) {
			if (!c->default_dictsize) {
				erofs_err(log, "%s has no dictsize option",
					  c->name);
				ret = -EINVAL;
				goto out;
			}
			if (erofs_cli_parse_size(tok + 9, 0, UINT32_MAX, &size) ||
			    size < c->min_dictsize || size > c->max_dictsize) {
				erofs_err(log, "%s: dictsize '%s' is not in %u..%u",
					  c->name, tok + 9, c->min_dictsize,
					  c->max_dictsize);
				ret = -EINVAL;
				goto out;
			}
			if (c->dictsize_align && size % c->dictsize_align) {
				uint64_t up = (size / c->dictsize_align + 1) *
					      c->dictsize_align;

				if (up > c->max_dictsize)
					up -= c->dictsize_align;
				erofs_info(log, "%s: dictsize %llu rounded to %llu (the kernel needs a multiple of %u)",
					   c->name, (unsigned long long)size,
					   (unsigned long long)up,
					   c->dictsize_align);
				size = up;
			}
			cfg->dictsize = (uint32_t)size;
		} else {
			char *eq = strchr(tok, '=');

			ret = -ENOENT;
			if (eq && c->set_opt) {
				*eq = '\0';
				ret = c->set_opt(cfg, tok, eq + 1, log);
				*eq = '=';
			}
			if (ret == -ENOENT)
				erofs_err(log, "%s: unknown option '%s'",
					  c->name, tok);
			if (ret) {
				ret = -EINVAL;
				goto out;
			}
		}
		first = false;
	}
	if (c->check)
		ret = c->check(cfg, log);
out:
	free(dup);
	return ret;
}

int erofs_compress_init(struct erofs_compress_ctx *ctx,
			const struct erofs_compress_cfg *cfg)
{
	ctx->cfg = *cfg;
	ctx->priv = NULL;
	ctx->scratch = NULL;
	ctx->scratch_cap = 0;
	ctx->guess = 0;
	if (!cfg->c || !cfg->c->built)
		return -EOPNOTSUPP;
	return cfg->c->init ? cfg->c->init(ctx) : 0;
}

void erofs_compress_release(struct erofs_compress_ctx *ctx)
{
	if (ctx->cfg.c && ctx->cfg.c->release)
		ctx->cfg.c->release(ctx);
	ctx->priv = NULL;
	free(ctx->scratch);
	ctx->scratch = NULL;
	ctx->scratch_cap = 0;
}

int erofs_compress_destsize(struct erofs_compress_ctx *ctx, const void *src,
			    size_t *srclen, void *dst, size_t dstsize)
{
	const struct erofs_compressor *c = ctx->cfg.c;

	if (!c || !c->built || !c->compress_destsize)
		return -EOPNOTSUPP;
	if (!*srclen || !dstsize)
		return -ENOSPC;
	if (*srclen > INT_MAX || dstsize > INT_MAX)
		return -EINVAL;
	return c->compress_destsize(ctx, src, srclen, dst, dstsize);
}

int erofs_compress_write_cfg(const struct erofs_compress_cfg *cfg,
			     void *payload, size_t cap)
{
	if (!cfg->c || !cfg->c->write_cfg)
		return -EOPNOTSUPP;
	return cfg->c->write_cfg(cfg, payload, cap);
}

void erofs_decompress_ctx_init(struct erofs_decompress_ctx *dctx)
{
	memset(dctx, 0, sizeof(*dctx));
}

void erofs_decompress_ctx_release(struct erofs_decompress_ctx *dctx)
{
	unsigned int i;

	if (!dctx)
		return;
	for (i = 0; i < Z_EROFS_COMPRESSION_MAX; i++) {
		const struct erofs_compressor *c = erofs_compressor_by_alg(i);

		if (dctx->state[i] && c && c->dstate_free)
			c->dstate_free(dctx->state[i]);
		dctx->state[i] = NULL;
	}
	free(dctx->in);
	dctx->in = NULL;
	dctx->in_cap = 0;
}

int erofs_decompress(struct erofs_decompress_ctx *dctx, unsigned int alg,
		     const void *in, size_t inlen, void *out, size_t outlen,
		     bool partial)
{
	const struct erofs_compressor *c;

	if (alg >= Z_EROFS_COMPRESSION_MAX)
		return -EOPNOTSUPP;
	c = erofs_compressor_by_alg(alg);
	if (!c || !c->built || !c->decompress)
		return -EOPNOTSUPP;
	if (!outlen)
		return 0;
	if (!inlen)
		return -EFSCORRUPTED;
	if (inlen > INT_MAX || outlen > INT_MAX)
		return -EFSCORRUPTED;
	return c->decompress(&dctx->state[alg], in, inlen, out, outlen,
			     partial);
}

int erofs_compress_check_cfg(unsigned int alg, const void *payload,
			     size_t len, unsigned int blkszbits,
			     struct erofs_log *log)
{
	const struct erofs_compressor *c = erofs_compressor_by_alg(alg);

	if (!c) {
		erofs_err(log, "unknown compression algorithm %u", alg);
		return -EOPNOTSUPP;
	}
	return c->check_cfg(payload, len, blkszbits, log);
}

/*
 * The search, for zstd and libdeflate: neither can stop at an output size.
 * Each attempt encodes into a scratch buffer big enough for any encoding,
 * so even an attempt that does not fit tells how large it came out, and
 * encoded size grows roughly in proportion to input length.  So:
 *  1. try the caller's guess (ctx->guess: what the previous pcluster
 *     took) if it is shorter than the input, else everything if that is
 *     at most SEARCH_FIRST_RATIO times dstsize (most tails fit at once),
 *     else only that much: encoding the whole input (up to a segment) to
 *     learn that it does not fit was most of the cost, 1.6x the CPU of
 *     this on /usr/share/doc with deflate.  The guess took zstd's input
 *     on a 143 MB rootfs from 720 to 579 MB (image 0.03% larger);
 *  2. then guess the length in proportion (length * dstsize / encoded)
 *     from the latest attempt (search_guess), bisecting instead whenever
 *     a guess would not land strictly between the largest fitting and
 *     the smallest failing length (or, before one failed, the end);
 *  3. stop when those two are within 1/32 of each other (or 32 bytes),
 *     or when a fitting attempt leaves less than 1/64 of dstsize free.
 *     Each more step costs about one more encoding of a pcluster's input
 *     for under 3% more of it: with 1/64 and 1/256 zstd read 579 MB on
 *     that rootfs, with these 489 MB, for an image 0.3% larger.
 * Only lengths that were actually encoded and fit are returned, so a
 * non-monotonic case costs ratio, never correctness, and the result
 * depends only on the input.
 */
#define SEARCH_SLACK(lo)	EROFS_MAX((size_t)32, (lo) / 32)
#define SEARCH_FIRST_RATIO	4
#define SEARCH_FULL(dst)	EROFS_MAX((size_t)16, (dst) / 64)

static int search_scratch(struct erofs_compress_ctx *ctx, size_t len)
{
	/* above zstd's and libdeflate's worst-case expansion */
	size_t need = len + len / 8 + 1024;
	void *n;

	if (need <= ctx->scratch_cap)
		return 0;
	n = realloc(ctx->scratch, need);
	if (!n)
		return -ENOMEM;
	ctx->scratch = n;
	ctx->scratch_cap = need;
	return 0;
}

/*
 * The next length to try, strictly inside (lo, hi), from an attempt of len
 * bytes that encoded to enc (0: unusable, as if far too large).  Aim just
 * past the proportional estimate after a fit and just short of it after a
 * miss, so that the next attempt most likely lands on the other side,
 * close by: the bracket then shrinks to the slack in one or two steps.
 */
static size_t search_guess(size_t lo, size_t hi, size_t len, size_t enc,
			   size_t dstsize, bool fit)
{
	size_t g, slack = SEARCH_SLACK(lo);

	if (enc && len <= SIZE_MAX / dstsize) {
		g = len * dstsize / enc;
		g = fit ? g + slack : (g > slack ? g - slack : 0);
	} else {
		g = lo + (hi - lo) / 2;
	}
	if (g <= lo || g >= hi)
		g = lo + (hi - lo) / 2;
	return g;
}

/*
 * After a fit, before any attempt failed (hi is one past the input): if
 * the proportional guess reaches the end, try the whole input, which then
 * most likely fits, instead of bisecting towards it.
 */
static size_t search_next(size_t lo, size_t hi, size_t total, size_t len,
			  size_t enc, size_t dstsize, bool fit)
{
	if (fit && hi > total && enc && len <= SIZE_MAX / dstsize &&
	    len * dstsize / enc >= total)
		return total;
	return search_guess(lo, hi, len, enc, dstsize, fit);
}

int erofs_compress_search(struct erofs_compress_ctx *ctx,
			  erofs_compress_try_fn try, const void *src,
			  size_t *srclen, void *dst, size_t dstsize)
{
	size_t total = *srclen, lo = 0, hi, len;
	int ret, lo_len = 0;

	ret = search_scratch(ctx, total);
	if (ret)
		return ret;
	len = total / SEARCH_FIRST_RATIO > dstsize ?
	      dstsize * SEARCH_FIRST_RATIO : total;
	if (ctx->guess && ctx->guess < total)
		len = ctx->guess;
	ret = try(ctx, src, len, ctx->scratch, ctx->scratch_cap);
	if (ret < 0)
		return ret;
	if (ret > 0 && (size_t)ret <= dstsize) {
		memcpy(dst, ctx->scratch, ret);
		if (len == total)
			return ret;	/* *srclen stays total */
		lo = len;
		lo_len = ret;
		hi = total + 1;
		len = search_next(lo, hi, total, len, ret, dstsize, true);
	} else {
		hi = len;
		len = search_guess(lo, hi, len, ret, dstsize, false);
	}
	while (len > lo && len < hi) {
		ret = try(ctx, src, len, ctx->scratch, ctx->scratch_cap);
		if (ret < 0)
			return ret;
		if (ret > 0 && (size_t)ret <= dstsize) {
			lo = len;
			lo_len = ret;
			memcpy(dst, ctx->scratch, ret);
		} else {
			hi = len;
		}
		if (lo == len && (size_t)ret + SEARCH_FULL(dstsize) >= dstsize)
			break;
		if (hi - lo <= SEARCH_SLACK(lo)) {
			if (hi <= total || lo == total)
				break;
			len = total;	/* nothing failed: the rest may fit */
			continue;
		}
		len = search_next(lo, hi, total, len, ret > 0 ? ret : 0,
				  dstsize, lo == len);
	}
	if (!lo)
		return -ENOSPC;
	*srclen = lo;
	return lo_len;
}
