// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_zcut.c - cutting a segment into extents (lib/zcut.c) without
 * threads or files: every extent rule of format.md 7.1/7.6/7.8 is checked
 * on the callbacks' output, every pcluster is decoded back to its source
 * bytes, tail packing and fragments hand over what they should, and the
 * same input cuts the same way twice.
 */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/compress.h"
#include "../../lib/writer_internal.h"

#define SEGLEN	(300U * 1024 + 777)
#define BASE	(16ULL << 20)		/* a later segment of a big file */

struct cut_ext {
	uint64_t la;
	uint32_t llen, pblks;
	uint8_t type;
	uint8_t *pcl;
};

struct cut_out {
	unsigned int bs;
	struct cut_ext *ext;
	size_t nr;
	uint8_t *inl;
	uint32_t inl_len;
	uint8_t inl_type;
	size_t nr_inl;
	uint64_t frag_la;
	size_t frag_len, nr_frag;
};

static int on_extent(void *priv, uint64_t la, uint32_t llen, uint8_t type,
		     const uint8_t *src, const uint8_t *pcl, uint32_t pblks)
{
	struct cut_out *o = priv;
	struct cut_ext *e;

	(void)src;
	assert_int_equal(o->nr_inl + o->nr_frag, 0);	/* both come last */
	o->ext = realloc(o->ext, (o->nr + 1) * sizeof(*o->ext));
	assert_non_null(o->ext);
	e = &o->ext[o->nr++];
	e->la = la;
	e->llen = llen;
	e->pblks = pblks;
	e->type = type;
	e->pcl = malloc((size_t)pblks * o->bs);
	assert_non_null(e->pcl);
	memcpy(e->pcl, pcl, (size_t)pblks * o->bs);
	return 0;
}

static int on_inline(void *priv, const uint8_t *data, uint32_t len,
		     uint8_t type)
{
	struct cut_out *o = priv;

	o->inl = malloc(len);
	assert_non_null(o->inl);
	memcpy(o->inl, data, len);
	o->inl_len = len;
	o->inl_type = type;
	o->nr_inl++;
	return 0;
}

static int on_fragment(void *priv, uint64_t la, const uint8_t *src,
		       size_t len)
{
	struct cut_out *o = priv;

	(void)src;
	o->frag_la = la;
	o->frag_len = len;
	o->nr_frag++;
	return 0;
}

static const struct erofs_wr_zcut_ops ops = {
	.extent = on_extent, .inline_tail = on_inline,
	.fragment = on_fragment,
};

static void out_free(struct cut_out *o)
{
	size_t i;

	for (i = 0; i < o->nr; i++)
		free(o->ext[i].pcl);
	free(o->ext);
	free(o->inl);
	memset(o, 0, sizeof(*o));
}

/* text, then noise, then text, then a long run of zeros (so that the
 * last extent, whatever the cut before it, fits one block encoded) */
static uint8_t *make_data(void)
{
	static const char *const w[] = { "alpha ", "beta ", "gamma ", "\n",
					 "delta ", "epsilon " };
	uint8_t *buf = malloc(SEGLEN);
	uint32_t x = 12345;
	size_t i = 0;

	assert_non_null(buf);
	while (i < SEGLEN) {
		x = x * 1103515245 + 12345;
		if (i >= 100000 && i < 160000) {
			buf[i++] = (uint8_t)(x >> 16);
		} else if (i >= 170777) {
			buf[i++] = 0;
		} else {
			const char *s = w[(x >> 16) % 6];
			size_t n = EROFS_MIN(strlen(s), SEGLEN - i);

			memcpy(buf + i, s, n);
			i += n;
		}
	}
	return buf;
}

/* a stream padded at the front (0PADDING) decodes to want[0..len) */
static void check_decodes(struct erofs_decompress_ctx *d, const uint8_t *in,
			  size_t inlen, const uint8_t *want, size_t len)
{
	uint8_t *out = malloc(len);
	size_t pad = 0;

	assert_non_null(out);
	while (pad < inlen && !in[pad])
		pad++;
	assert_int_equal(erofs_decompress(d, Z_EROFS_COMPRESSION_LZ4,
					  in + pad, inlen - pad, out, len,
					  false), 0);
	assert_memory_equal(out, want, len);
	free(out);
}

/* erofs_wr_zcut.frag_last for the next cut() */
static bool frag_last;

static void cut(const uint8_t *data, unsigned int bits, size_t pmax,
		bool tail, uint64_t frag_max, struct cut_out *o)
{
	struct erofs_compress_cfg cfg;
	struct erofs_compress_ctx ctx;
	uint8_t *enc = malloc(pmax), *pcl = malloc(pmax);
	struct erofs_wr_zcut c = {
		.blkszbits = bits, .max_extent = 64 * 1024, .pmax = pmax,
		.tailpacking = tail, .frag_max = frag_max,
		.frag_last = frag_last, .ctx = &ctx,
		.enc = enc, .pcl = pcl, .ops = &ops, .priv = o,
		.path = "test",
	};

	assert_int_equal(erofs_compress_cfg_parse(&cfg, "lz4hc", NULL), 0);
	cfg.blkszbits = bits;
	cfg.max_pclusterblks = (uint32_t)(pmax >> bits);
	assert_int_equal(erofs_compress_init(&ctx, &cfg), 0);
	memset(o, 0, sizeof(*o));
	o->bs = 1U << bits;
	assert_int_equal(erofs_wr_zcut_segment(&c, data, BASE, SEGLEN), 0);
	erofs_compress_release(&ctx);
	free(enc);
	free(pcl);
}

static void check(const uint8_t *data, unsigned int bits, size_t pmax,
		  bool tail, uint64_t frag_max)
{
	struct erofs_decompress_ctx d;
	struct cut_out o, again;
	unsigned int bs = 1U << bits;
	uint64_t at = BASE, end = BASE + SEGLEN;
	size_t i, heads = 0, plains = 0;

	cut(data, bits, pmax, tail, frag_max, &o);
	erofs_decompress_ctx_init(&d);
	for (i = 0; i < o.nr; i++) {
		const struct cut_ext *e = &o.ext[i];
		const uint8_t *src = data + (e->la - BASE);
		uint64_t eend = e->la + e->llen;

		assert_int_equal(e->la, at);		/* contiguous */
		assert_true(e->llen > 0 && e->llen <= 64 * 1024);
		/* one extent start per lcluster, segment end excepted */
		if (i + 1 < o.nr)
			assert_true(eend / bs > e->la / bs || eend == end);
		if (e->type == Z_EROFS_LCLUSTER_TYPE_HEAD1) {
			/* kept only when it saves a block */
			assert_true((uint64_t)e->pblks * bs < e->llen);
			assert_true((size_t)e->pblks * bs <= pmax);
			check_decodes(&d, e->pcl, (size_t)e->pblks * bs, src,
				      e->llen);
			heads++;
		} else {
			assert_int_equal(e->type, Z_EROFS_LCLUSTER_TYPE_PLAIN);
			assert_int_equal(e->pblks, 1);
			assert_true(e->llen <= bs);
			assert_memory_equal(e->pcl, src, e->llen);
			plains++;
		}
		at = eend;
	}
	/* the text made HEAD1 extents; the noise PLAIN blocks (a big
	 * pcluster may still save a block on noise and text together) */
	if (frag_max != UINT64_MAX) {
		assert_true(heads > 0);
		assert_true(plains > 0 || pmax > bs);
	}
	if (frag_max == UINT64_MAX) {	/* all of it */
		assert_int_equal(o.nr, 0);
		assert_int_equal(o.nr_frag, 1);
	}
	if (o.nr_frag) {
		assert_int_equal(o.nr_frag, 1);
		assert_int_equal(o.frag_la, at);
		assert_int_equal(o.frag_la + o.frag_len, end);
		assert_true(o.frag_len <= frag_max);
		assert_int_equal(o.nr_inl, 0);
	} else {
		assert_int_equal(at, end);
	}
	if (tail && !o.nr_frag) {
		const struct cut_ext *e = &o.ext[o.nr - 1];

		/* the text tail fits a block encoded: it has an inline form */
		assert_int_equal(o.nr_inl, 1);
		assert_true(o.inl_len < bs);
		if (o.inl_type == Z_EROFS_LCLUSTER_TYPE_HEAD1)
			check_decodes(&d, o.inl, o.inl_len,
				      data + (e->la - BASE), e->llen);
		else
			assert_memory_equal(o.inl, data + (e->la - BASE),
					    o.inl_len);
	} else if (!tail) {
		assert_int_equal(o.nr_inl, 0);
	}
	erofs_decompress_ctx_release(&d);

	/* the same bytes and config cut the same way */
	cut(data, bits, pmax, tail, frag_max, &again);
	assert_int_equal(again.nr, o.nr);
	for (i = 0; i < o.nr; i++) {
		assert_int_equal(again.ext[i].la, o.ext[i].la);
		assert_int_equal(again.ext[i].llen, o.ext[i].llen);
		assert_int_equal(again.ext[i].pblks, o.ext[i].pblks);
		assert_memory_equal(again.ext[i].pcl, o.ext[i].pcl,
				    (size_t)o.ext[i].pblks * bs);
	}
	assert_int_equal(again.inl_len, o.inl_len);
	assert_int_equal(again.frag_len, o.frag_len);
	out_free(&again);
	out_free(&o);
}

static void skip_without_lz4(void)
{
	struct erofs_compress_cfg cfg;

	if (erofs_compress_cfg_parse(&cfg, "lz4hc", NULL))
		skip();
}

static void test_plain_cut(void **state)
{
	uint8_t *data = make_data();

	(void)state;
	skip_without_lz4();
	check(data, 12, 4096, false, 0);
	check(data, 9, 4096, false, 0);		/* 512-byte blocks */
	free(data);
}

static void test_big_pclusters(void **state)
{
	uint8_t *data = make_data();

	(void)state;
	skip_without_lz4();
	check(data, 12, 16384, false, 0);
	check(data, 12, 65536, false, 0);
	free(data);
}

static void test_tailpacking(void **state)
{
	uint8_t *data = make_data();

	(void)state;
	skip_without_lz4();
	check(data, 12, 4096, true, 0);
	check(data, 12, 16384, true, 0);
	free(data);
}

static void test_fragments(void **state)
{
	uint8_t *data = make_data();

	(void)state;
	skip_without_lz4();
	check(data, 12, 4096, false, 4096);	/* the last pcluster's worth */
	check(data, 12, 16384, true, 16384);
	check(data, 12, 4096, false, UINT64_MAX);	/* all-fragments */
	free(data);
}

/*
 * -E fragments as erofs-utils cuts: the extent that would end the
 * segment goes to the fragment whole, even when it holds more than one
 * pcluster of input (the packed inode compresses such tails together).
 */
static void test_fragments_last(void **state)
{
	uint8_t *data = make_data();
	struct cut_out whole, frag;
	const struct cut_ext *last;

	(void)state;
	skip_without_lz4();
	cut(data, 12, 4096, false, 0, &whole);
	frag_last = true;
	cut(data, 12, 4096, false, 4096, &frag);
	frag_last = false;
	last = &whole.ext[whole.nr - 1];
	assert_int_equal(last->type, Z_EROFS_LCLUSTER_TYPE_HEAD1);
	assert_true(last->llen > 4096);
	assert_int_equal(frag.nr, whole.nr - 1);
	assert_int_equal(frag.nr_frag, 1);
	assert_int_equal(frag.frag_la, last->la);
	assert_int_equal(frag.frag_len, last->llen);
	assert_int_equal(frag.frag_la + frag.frag_len, BASE + SEGLEN);
	out_free(&whole);
	out_free(&frag);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_cut),
		cmocka_unit_test(test_fragments_last),
		cmocka_unit_test(test_big_pclusters),
		cmocka_unit_test(test_tailpacking),
		cmocka_unit_test(test_fragments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
