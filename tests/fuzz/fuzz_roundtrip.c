// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * fuzz_roundtrip.c - libFuzzer target for the compressing side: the input
 * (after one control byte) is compressed by every built-in compressor
 * through erofs_compress_destsize() at a few output sizes.  Checked:
 * the result fits, the consumed prefix decodes back byte for byte, the
 * stream does not start with a zero byte (0PADDING readers skip those),
 * and compressing again -- with the same context and with a fresh one --
 * gives the same bytes (mkfs must be reproducible).
 *
 * Control byte: bits 0-7 pick a small output size (16 + 2 * value) that is
 * tried besides one 512-byte and one 4 KiB pcluster.
 */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/compress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RT_MAXOUT	4096U

static void rt_fail(const char *name, const char *why, size_t dstsize,
		    size_t srclen, int ret)
{
	fprintf(stderr, "fuzz roundtrip %s: %s (dstsize %zu, srclen %zu, ret %d)\n",
		name, why, dstsize, srclen, ret);
	abort();
}

static void rt_one(struct erofs_compress_ctx *ctx,
		   struct erofs_decompress_ctx *dctx, const uint8_t *src,
		   size_t srclen, size_t dstsize)
{
	const struct erofs_compressor *c = ctx->cfg.c;
	uint8_t *dst = malloc(dstsize), *dst2 = malloc(dstsize);
	uint8_t *dec = NULL;
	struct erofs_compress_ctx fresh;
	size_t used = srclen, used2;
	int ret, ret2;

	if (!dst || !dst2)
		goto out;
	ret = erofs_compress_destsize(ctx, src, &used, dst, dstsize);
	if (ret == -ENOSPC || ret == -ENOMEM)
		goto out;
	if (ret <= 0)
		rt_fail(c->name, "compression failed", dstsize, srclen, ret);
	if ((size_t)ret > dstsize || !used || used > srclen)
		rt_fail(c->name, "bad lengths", dstsize, used, ret);
	if (!dst[0])
		rt_fail(c->name, "stream starts with a zero byte", dstsize,
			used, ret);

	/* decode: exactly the consumed bytes come back */
	dec = malloc(used);
	if (!dec)
		goto out;
	ret2 = erofs_decompress(dctx, c->alg, dst, (size_t)ret, dec, used,
				false);
	if (ret2 == -ENOMEM)
		goto out;
	if (ret2 || memcmp(dec, src, used))
		rt_fail(c->name, "does not decode back", dstsize, used, ret2);

	/* deterministic with the warm context ... */
	used2 = srclen;
	ret2 = erofs_compress_destsize(ctx, src, &used2, dst2, dstsize);
	if (ret2 != ret || used2 != used || memcmp(dst, dst2, (size_t)ret))
		rt_fail(c->name, "second compression differs", dstsize,
			used2, ret2);
	/* ... and with a fresh one */
	if (erofs_compress_init(&fresh, &ctx->cfg))
		goto out;
	used2 = srclen;
	ret2 = erofs_compress_destsize(&fresh, src, &used2, dst2, dstsize);
	erofs_compress_release(&fresh);
	if (ret2 == -ENOMEM)
		goto out;
	if (ret2 != ret || used2 != used || memcmp(dst, dst2, (size_t)ret))
		rt_fail(c->name, "fresh-context compression differs", dstsize,
			used2, ret2);
out:
	free(dst);
	free(dst2);
	free(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct erofs_decompress_ctx dctx;
	size_t sizes[3];
	unsigned int i, j;

	if (size < 2)
		return 0;
	sizes[0] = 16 + 2 * (size_t)data[0];
	sizes[1] = 512;
	sizes[2] = RT_MAXOUT;
	erofs_decompress_ctx_init(&dctx);
	for (i = 0; erofs_compressor_get(i); i++) {
		const struct erofs_compressor *c = erofs_compressor_get(i);
		struct erofs_compress_cfg cfg;
		struct erofs_compress_ctx ctx;

		if (!c->built)
			continue;
		erofs_compress_cfg_init(&cfg, c);
		if (erofs_compress_init(&ctx, &cfg)) {
			erofs_compress_release(&ctx);
			continue;
		}
		for (j = 0; j < EROFS_ARRAY_SIZE(sizes); j++)
			rt_one(&ctx, &dctx, data + 1, size - 1, sizes[j]);
		erofs_compress_release(&ctx);
	}
	erofs_decompress_ctx_release(&dctx);
	return 0;
}
