// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_compressor.c - every built compressor row: round trips, the
 * fill-one-cluster contract, corrupted streams, option parsing, records.
 */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/compress.h"

#define INLEN	(192 * 1024)

static unsigned char *text, *rnd, *zeros;

static int setup(void **state)
{
	static const char *const words[] = {
		"erofs ", "compressed ", "cluster ", "block ", "extent ",
		"the ", "kernel ", "index ", "\n", "mapping ", "12345 ",
	};
	uint32_t x = 12345;
	size_t i = 0;

	text = malloc(INLEN);
	rnd = malloc(INLEN);
	zeros = calloc(1, INLEN);
	while (i < INLEN) {
		const char *w;
		size_t n;

		x = x * 1103515245 + 12345;
		w = words[(x >> 16) % EROFS_ARRAY_SIZE(words)];
		n = EROFS_MIN(strlen(w), INLEN - i);
		memcpy(text + i, w, n);
		i += n;
	}
	for (i = 0; i < INLEN; i++) {
		x = x * 1103515245 + 12345;
		rnd[i] = (unsigned char)(x >> 16);
	}
	return 0;
}

static int teardown(void **state)
{
	free(text);
	free(rnd);
	free(zeros);
	return 0;
}

/* fill dstsize bytes from src; the consumed prefix must decode exactly */
static void fill_and_check(const struct erofs_compress_cfg *cfg,
			   const unsigned char *src, size_t srclen,
			   size_t dstsize, bool expect_fit)
{
	struct erofs_compress_ctx ctx;
	struct erofs_decompress_ctx dctx;
	unsigned char *dst = malloc(dstsize), *out;
	size_t consumed = srclen;
	int ret;

	assert_int_equal(erofs_compress_init(&ctx, cfg), 0);
	erofs_decompress_ctx_init(&dctx);
	ret = erofs_compress_destsize(&ctx, src, &consumed, dst, dstsize);
	if (!expect_fit && ret == -ENOSPC)
		goto out;
	assert_true(ret > 0);
	assert_true((size_t)ret <= dstsize);
	assert_true(consumed > 0 && consumed <= srclen);
	out = malloc(consumed);
	assert_int_equal(erofs_decompress(&dctx, cfg->c->alg, dst, (size_t)ret,
					  out, consumed, false), 0);
	assert_memory_equal(out, src, consumed);
	/* a prefix decodes too (partial references) */
	if (consumed > 100) {
		memset(out, 0, consumed);
		assert_int_equal(erofs_decompress(&dctx, cfg->c->alg, dst,
						  (size_t)ret, out, 100, true), 0);
		assert_memory_equal(out, src, 100);
	}
	/* asking for one byte too many must fail, not overrun */
	if (consumed < srclen) {
		unsigned char *big = malloc(consumed + 1);

		assert_int_equal(erofs_decompress(&dctx, cfg->c->alg, dst,
						  (size_t)ret, big,
						  consumed + 1, false),
				 -EFSCORRUPTED);
		free(big);
	}
	/* and one byte too few, without partial, must fail too */
	assert_int_equal(erofs_decompress(&dctx, cfg->c->alg, dst, (size_t)ret,
					  out, consumed - 1, false),
			 -EFSCORRUPTED);
	if (expect_fit)
		/* compressible data: the cluster is (nearly) filled */
		assert_true(consumed == srclen || (size_t)ret > dstsize / 2);
	free(out);
out:
	erofs_decompress_ctx_release(&dctx);
	erofs_compress_release(&ctx);
	free(dst);
}

/* flip bytes of a valid stream: errors are fine, crashes and overruns not */
static void corrupt_check(const struct erofs_compress_cfg *cfg)
{
	struct erofs_compress_ctx ctx;
	struct erofs_decompress_ctx dctx;
	unsigned char dst[4096], bad[4096];
	unsigned char *out = malloc(65536 + 64);
	size_t consumed = 65536;
	int ret, i, errors = 0;
	uint32_t x = 7;

	assert_int_equal(erofs_compress_init(&ctx, cfg), 0);
	erofs_decompress_ctx_init(&dctx);
	ret = erofs_compress_destsize(&ctx, text, &consumed, dst, sizeof(dst));
	assert_true(ret > 0);
	for (i = 0; i < 200; i++) {
		int k, r;

		memcpy(bad, dst, (size_t)ret);
		for (k = 0; k < 4; k++) {
			x = x * 1103515245 + 12345;
			bad[(x >> 8) % (unsigned int)ret] ^= (unsigned char)(x >> 20) | 1;
		}
		memset(out + consumed, 0xA5, 64);
		r = erofs_decompress(&dctx, cfg->c->alg, bad, (size_t)ret, out,
				     consumed, i & 1);
		assert_true(r == 0 || r == -EFSCORRUPTED);
		if (r)
			errors++;
		for (k = 0; k < 64; k++)	/* nothing beyond outlen */
			assert_int_equal(out[consumed + k], 0xA5);
	}
	/* truncated streams */
	for (i = 1; i < ret; i += 97)
		assert_int_equal(erofs_decompress(&dctx, cfg->c->alg, dst,
						  (size_t)i, out, consumed,
						  false), -EFSCORRUPTED);
	assert_true(errors > 0);
	free(out);
	erofs_decompress_ctx_release(&dctx);
	erofs_compress_release(&ctx);
}

static void run_row(const char *spec)
{
	struct erofs_compress_cfg cfg;
	const size_t sizes[] = { 4096, 16384, 65536 };
	unsigned int i;

	if (erofs_compress_cfg_parse(&cfg, spec, NULL) == -EOPNOTSUPP) {
		printf("skipping %s: not built in\n", spec);
		return;
	}
	for (i = 0; i < EROFS_ARRAY_SIZE(sizes); i++) {
		fill_and_check(&cfg, text, INLEN, sizes[i], true);
		fill_and_check(&cfg, zeros, INLEN, sizes[i], true);
		fill_and_check(&cfg, rnd, INLEN, sizes[i], false);
		/* small inputs that fit whole */
		fill_and_check(&cfg, text, 1000, sizes[i], true);
	}
	corrupt_check(&cfg);
}

static void test_lz4(void **state) { run_row("lz4"); }
static void test_lz4hc(void **state) { run_row("lz4hc,level=12"); }
static void test_lzma(void **state) { run_row("lzma,level=6,dictsize=64k"); }
static void test_deflate(void **state) { run_row("deflate,level=9"); }
static void test_zstd(void **state) { run_row("zstd,level=5,dictsize=128k"); }

static void test_roundtrip_whole(void **state)
{
	/* whole inputs of every kind through every row, into a roomy buffer */
	unsigned int i;

	for (i = 0; erofs_compressor_get(i); i++) {
		const struct erofs_compressor *c = erofs_compressor_get(i);
		struct erofs_compress_cfg cfg;

		if (!c->built)
			continue;
		erofs_compress_cfg_init(&cfg, c);
		fill_and_check(&cfg, text, 20000, 32768, true);
		fill_and_check(&cfg, zeros, 20000, 32768, true);
	}
}

/*
 * The search's first attempt from the caller's guess (ctx->guess): a
 * fresh context starts without one; any guess (none, far too short, about
 * right, longer than the input) gives a prefix that fits and decodes, and
 * the same guess the same bytes.  A guess that is right stops in fewer
 * steps; it must never end with less input than 3/4 of what no guess
 * finds (the stop rule leaves at most 1/32 unsearched).
 */
static void test_search_guess(void **state)
{
	static const char *const rows[] = { "zstd", "libdeflate" };
	static const size_t guesses[] = { 0, 100, 12000, 16000, INLEN * 2 };
	unsigned int r, g;

	for (r = 0; r < EROFS_ARRAY_SIZE(rows); r++) {
		struct erofs_compress_cfg cfg;
		struct erofs_compress_ctx ctx;
		struct erofs_decompress_ctx dctx;
		unsigned char dst[4096], again[4096], *out = malloc(INLEN);
		size_t base = 0;

		if (erofs_compress_cfg_parse(&cfg, rows[r], NULL)) {
			printf("skipping %s: not built in\n", rows[r]);
			free(out);
			continue;
		}
		erofs_decompress_ctx_init(&dctx);
		for (g = 0; g < EROFS_ARRAY_SIZE(guesses); g++) {
			size_t in = INLEN, in2 = INLEN;
			int ret, ret2;

			assert_int_equal(erofs_compress_init(&ctx, &cfg), 0);
			assert_int_equal(ctx.guess, 0);
			ctx.guess = guesses[g];
			ret = erofs_compress_destsize(&ctx, text, &in, dst,
						      sizeof(dst));
			assert_true(ret > 0 && ret <= (int)sizeof(dst));
			assert_int_equal(erofs_decompress(&dctx, cfg.c->alg,
					dst, (size_t)ret, out, in, false), 0);
			assert_memory_equal(out, text, in);
			ret2 = erofs_compress_destsize(&ctx, text, &in2, again,
						       sizeof(again));
			assert_int_equal(ret2, ret);
			assert_int_equal(in2, in);
			assert_memory_equal(again, dst, (size_t)ret);
			if (!g)
				base = in;
			assert_true(in * 4 >= base * 3);
			erofs_compress_release(&ctx);
		}
		erofs_decompress_ctx_release(&dctx);
		free(out);
	}
}

static void test_parse(void **state)
{
	struct erofs_compress_cfg cfg;

	assert_int_equal(erofs_compress_cfg_parse(&cfg, "nope", NULL), -EINVAL);
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "", NULL), -EINVAL);
#ifdef HAVE_LIBLZ4
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lz4hc,9", NULL), 0);
	assert_int_equal(cfg.level, 9);
	assert_int_equal(cfg.c->alg, Z_EROFS_COMPRESSION_LZ4);
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lz4hc,level=13", NULL),
			 -EINVAL);
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lz4,dictsize=4k", NULL),
			 -EINVAL);
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lz4,bogus=1", NULL),
			 -EINVAL);
#endif
#ifdef HAVE_LIBZSTD
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "zstd,dictsize=1M", NULL),
			 0);
	assert_int_equal(cfg.dictsize, 1U << 20);
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "zstd,dictsize=3000",
						  NULL), -EINVAL);
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "zstd,dictsize=2M", NULL),
			 -EINVAL);
#endif
#ifdef HAVE_LIBLZMA
	/* erofs-utils' extreme levels and lzma's literal/position bits */
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lzma,level=109,lc=1,lp=2,pb=0",
						  NULL), 0);
	assert_int_equal(cfg.level, 109);
	assert_int_equal(cfg.lzma_lc, 1);
	assert_int_equal(cfg.lzma_lp, 2);
	assert_int_equal(cfg.lzma_pb, 0);
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lzma,level=50", NULL),
			 -EINVAL);
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lzma,lc=4,lp=1", NULL),
			 -EINVAL);
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lzma,pb=5", NULL),
			 -EINVAL);
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "zstd,lc=1", NULL),
			 -EINVAL);
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lzma,level=9,dictsize=8M",
						  NULL), 0);
	assert_int_equal(cfg.level, 9);
	assert_int_equal(cfg.dictsize, 8U << 20);
	/* sizes the kernel cannot decode are rounded up to whole blocks */
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lzma,dictsize=65537",
						  NULL), 0);
	assert_int_equal(cfg.dictsize, 69632);
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lzma,dictsize=8388607",
						  NULL), 0);
	assert_int_equal(cfg.dictsize, 8U << 20);
#endif
	assert_null(erofs_compressor_find("gzip"));
	/* erofs-utils' name for the libdeflate backend */
	assert_ptr_equal(erofs_compressor_find("libdeflate"),
			 erofs_compressor_find("deflate"));
	assert_non_null(erofs_compressor_by_alg(Z_EROFS_COMPRESSION_ZSTD));
	assert_string_equal(erofs_compressor_by_alg(0)->name, "lz4");
	assert_null(erofs_compressor_by_alg(7));
}

static void capture(void *priv, int level, const char *msg)
{
	snprintf(priv, 128, "%s", msg);
}

/* rows that were not built answer with a precise message */
static void test_stub_rows(void **state)
{
	char msg[128], want[128];
	struct erofs_log log;
	struct erofs_compress_cfg cfg;
	struct erofs_compress_ctx ctx;
	unsigned int i;

	erofs_log_init(&log);
	log.sink = capture;
	log.priv = msg;
	for (i = 0; erofs_compressor_get(i); i++) {
		const struct erofs_compressor *c = erofs_compressor_get(i);

		if (c->built)
			continue;
		msg[0] = 0;
		assert_int_equal(erofs_compress_cfg_parse(&cfg, c->name, &log),
				 -EOPNOTSUPP);
		snprintf(want, sizeof(want), "%s not built in", c->name);
		assert_string_equal(msg, want);
		erofs_compress_cfg_init(&cfg, c);
		assert_int_equal(erofs_compress_init(&ctx, &cfg), -EOPNOTSUPP);
		erofs_compress_release(&ctx);
	}
	/* an unknown name is a different error */
	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lz5", &log), -EINVAL);
	assert_string_equal(msg, "unknown compressor 'lz5'");
}

static void test_records(void **state)
{
	unsigned char rec[16];
	unsigned int i;

	for (i = 0; erofs_compressor_get(i); i++) {
		const struct erofs_compressor *c = erofs_compressor_get(i);
		struct erofs_compress_cfg cfg;
		int len;

		if (!c->built)
			continue;
		erofs_compress_cfg_init(&cfg, c);
		cfg.max_pclusterblks = 16;
		len = erofs_compress_write_cfg(&cfg, rec, sizeof(rec));
		assert_true(len == 6 || len == 14);
		assert_int_equal(erofs_compress_check_cfg(c->alg, rec,
							  (size_t)len, 12, NULL), 0);
		/* short records are rejected */
		assert_int_equal(erofs_compress_check_cfg(c->alg, rec,
							  (size_t)len - 1, 12,
							  NULL), -EFSCORRUPTED);
	}
	/* out-of-range fields, per the kernel's checks */
	memset(rec, 0, sizeof(rec));
	rec[3] = 2;	/* lz4 max_pclusterblks 512 > 1 MiB / 4 KiB */
	assert_int_equal(erofs_compress_check_cfg(0, rec, 14, 12, NULL),
			 -EFSCORRUPTED);
	memset(rec, 0, sizeof(rec));	/* lzma dict_size 0 */
	assert_int_equal(erofs_compress_check_cfg(1, rec, 14, 12, NULL),
			 -EFSCORRUPTED);
	rec[0] = 16;			/* deflate windowbits 16 */
	assert_int_equal(erofs_compress_check_cfg(2, rec, 6, 12, NULL),
			 -EFSCORRUPTED);
	rec[0] = 0;
	rec[1] = 11;			/* zstd windowlog 21 */
	assert_int_equal(erofs_compress_check_cfg(3, rec, 6, 12, NULL),
			 -EFSCORRUPTED);
}

static void test_garbage(void **state)
{
	/* random bytes as a stream: never a crash, usually an error */
	struct erofs_decompress_ctx dctx;
	unsigned char out[8192];
	unsigned int alg;
	int i;

	erofs_decompress_ctx_init(&dctx);
	for (alg = 0; alg < Z_EROFS_COMPRESSION_MAX; alg++) {
		for (i = 0; i < 50; i++) {
			int r = erofs_decompress(&dctx, alg, rnd + i * 977,
						 1 + (size_t)i * 61, out,
						 sizeof(out), i & 1);

			assert_true(r == -EFSCORRUPTED || r == -EOPNOTSUPP ||
				    r == 0);
		}
	}
	erofs_decompress_ctx_release(&dctx);
	erofs_decompress_ctx_release(NULL);
}

/*
 * An LZ4 match offset of 0 copies bytes never written (the kernel hands
 * out stale page contents): refused whether the stream is decoded whole
 * (checked after the decode) or in part; offset 1 is fine.
 */
static void test_lz4_offset_zero(void **state)
{
	uint8_t s[2 + 12 + 2 + 1 + 12];
	struct erofs_decompress_ctx dctx;
	uint8_t out[28];
	unsigned int off;

	erofs_decompress_ctx_init(&dctx);
	for (off = 0; off < 2; off++) {
		s[0] = 0xc0;				/* 12 literals, match 4 */
		memcpy(s + 1, "abcdefghijkl", 12);
		s[13] = (uint8_t)off;			/* offset, little end */
		s[14] = 0;
		s[15] = 0xc0;				/* 12 last literals */
		memcpy(s + 16, "mnopqrstuvwx", 12);
		assert_int_equal(erofs_decompress(&dctx, Z_EROFS_COMPRESSION_LZ4,
						  s, 28, out, 28, false),
				 off ? 0 : -EFSCORRUPTED);
		assert_int_equal(erofs_decompress(&dctx, Z_EROFS_COMPRESSION_LZ4,
						  s, 28, out, 20, true),
				 off ? 0 : -EFSCORRUPTED);
		if (off)
			assert_memory_equal(out, "abcdefghijklllllmnop", 20);
	}
	erofs_decompress_ctx_release(&dctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lz4),
		cmocka_unit_test(test_lz4hc),
		cmocka_unit_test(test_lzma),
		cmocka_unit_test(test_deflate),
		cmocka_unit_test(test_zstd),
		cmocka_unit_test(test_roundtrip_whole),
		cmocka_unit_test(test_search_guess),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_stub_rows),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_lz4_offset_zero),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
