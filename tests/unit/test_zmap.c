// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_zmap.c - lcluster index decoding and extent reads on hand-built
 * in-memory images: format.md 7.15 (FULL and COMPACT), big pclusters,
 * 2-byte packs, ztailpacking, fragments, plain/interlaced pclusters and
 * corrupted index tables.
 */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/zmap.h"

#define BS	4096U
#define IMGSZ	(64 * BS)

struct mem {
	unsigned char img[IMGSZ];
	unsigned char packed[8192];
};

static int mem_read(void *priv, void *buf, size_t len, uint64_t off)
{
	struct mem *m = priv;

	if (off > IMGSZ || len > IMGSZ - off)
		return -EIO;
	memcpy(buf, m->img + off, len);
	return 0;
}

static int packed_read(void *priv, void *buf, size_t len, uint64_t off)
{
	struct mem *m = priv;

	if (off > sizeof(m->packed) || len > sizeof(m->packed) - off)
		return -EIO;
	memcpy(buf, m->packed + off, len);
	return 0;
}

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

static void put32(unsigned char *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static void full_index(unsigned char *p, unsigned int advise,
		       unsigned int ofs, uint32_t u)
{
	put16(p, advise);
	put16(p + 2, ofs);
	put32(p + 4, u);
}

static void text(unsigned char *buf, size_t len, unsigned int seed)
{
	static const char *const w[] = { "alpha ", "beta ", "gamma ", "\n",
					 "delta ", "epsilon " };
	size_t i = 0;
	uint32_t x = seed;

	while (i < len) {
		size_t n;

		x = x * 1103515245 + 12345;
		n = EROFS_MIN(strlen(w[(x >> 16) % 6]), len - i);
		memcpy(buf + i, w[(x >> 16) % 6], n);
		i += n;
	}
}

/* compress all of src into one block at blk with 0PADDING */
static void put_lz4_block(struct mem *m, unsigned int blk,
			  const unsigned char *src, size_t len)
{
	struct erofs_compress_cfg cfg;
	struct erofs_compress_ctx ctx;
	unsigned char out[BS];
	size_t consumed = len;
	int ret;

	if (erofs_compress_cfg_parse(&cfg, "lz4", NULL) == -EOPNOTSUPP)
		skip();		/* the hand-built files hold LZ4 data */
	assert_int_equal(erofs_compress_init(&ctx, &cfg), 0);
	ret = erofs_compress_destsize(&ctx, src, &consumed, out, BS);
	assert_true(ret > 0);
	assert_int_equal(consumed, len);
	memset(m->img + blk * BS, 0, BS);
	memcpy(m->img + (blk + 1) * BS - ret, out, (size_t)ret);
	erofs_compress_release(&ctx);
}

static struct erofs_z_params params(struct mem *m, uint64_t size,
				    unsigned int layout, uint64_t iend)
{
	struct erofs_z_params p = {
		.nid = 42,
		.i_size = size,
		.blkszbits = 12,
		.datalayout = layout,
		.inode_end = iend,
		.feature_incompat = EROFS_FEATURE_INCOMPAT_ZERO_PADDING,
		.read_meta = mem_read,
		.read_data = mem_read,
		.read_packed = packed_read,
		.priv = m,
	};
	return p;
}

static void expect_map(struct erofs_z_inode *zi, uint64_t off, uint64_t la,
		       uint64_t llen, uint64_t pa, uint32_t plen,
		       unsigned int alg)
{
	struct erofs_z_map map;

	assert_int_equal(erofs_z_map(zi, off, &map), 0);
	assert_int_equal(map.la, la);
	assert_int_equal(map.llen, llen);
	assert_int_equal(map.pa, pa);
	assert_int_equal(map.plen, plen);
	assert_int_equal(map.alg, alg);
}

/* format.md 7.15: A = [0,7000) in block 4, B = [7000,12288) in block 5 */
static unsigned char z3[12288];

static void build_z3_data(struct mem *m)
{
	text(z3, sizeof(z3), 1);
	put_lz4_block(m, 4, z3, 7000);
	put_lz4_block(m, 5, z3 + 7000, 12288 - 7000);
}

static void read_all_and_compare(struct erofs_z_inode *zi,
				 const unsigned char *want, size_t len)
{
	unsigned char *got = malloc(len);
	size_t off;

	assert_int_equal(erofs_z_read(zi, got, len, 0), 0);
	assert_memory_equal(got, want, len);
	/* small unaligned reads through the extent cache */
	memset(got, 0, len);
	for (off = 0; off < len; off += 1000)
		assert_int_equal(erofs_z_read(zi, got + off,
					      EROFS_MIN((size_t)1000, len - off),
					      off), 0);
	assert_memory_equal(got, want, len);
	assert_int_equal(erofs_z_read(zi, got, 2, len - 1), -EINVAL);
	free(got);
}

static void test_full_worked_example(void **state)
{
	struct mem *m = calloc(1, sizeof(*m));
	struct erofs_z_params p = params(m, 12288, EROFS_INODE_COMPRESSED_FULL,
					 0x1520);
	struct erofs_z_inode zi;

	build_z3_data(m);
	/* map header at 0x1520 (all zero), 8 reserved bytes, indexes */
	full_index(m->img + 0x1530, 1, 0, 4);
	full_index(m->img + 0x1538, 1, 2904, 5);
	full_index(m->img + 0x1540, 2, 0, 1 | 1U << 16);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	expect_map(&zi, 0, 0, 7000, 4 * BS, BS, Z_EROFS_COMPRESSION_LZ4);
	expect_map(&zi, 5000, 0, 7000, 4 * BS, BS, 0);
	expect_map(&zi, 6999, 0, 7000, 4 * BS, BS, 0);
	expect_map(&zi, 7000, 7000, 5288, 5 * BS, BS, 0);
	expect_map(&zi, 9000, 7000, 5288, 5 * BS, BS, 0);
	expect_map(&zi, 12287, 7000, 5288, 5 * BS, BS, 0);
	read_all_and_compare(&zi, z3, sizeof(z3));
	erofs_z_inode_release(&zi);
	free(m);
}

static void test_compact_worked_example(void **state)
{
	static const unsigned char packs[16] = {
		0x00, 0x10, 0x58, 0x1b, 0x03, 0x00, 0x00, 0x00,
		0x01, 0x20, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
	};
	struct mem *m = calloc(1, sizeof(*m));
	struct erofs_z_params p = params(m, 12288,
					 EROFS_INODE_COMPRESSED_COMPACT, 0x15a0);
	struct erofs_z_inode zi;

	build_z3_data(m);
	memcpy(m->img + 0x15a8, packs, sizeof(packs));
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(zi.compact_4b_init, 6);
	expect_map(&zi, 5000, 0, 7000, 4 * BS, BS, 0);
	expect_map(&zi, 9000, 7000, 5288, 5 * BS, BS, 0);
	read_all_and_compare(&zi, z3, sizeof(z3));
	erofs_z_inode_release(&zi);
	free(m);
}

static void test_compact_big_pcluster(void **state)
{
	static const unsigned char packs[16] = {
		0x00, 0x10, 0x10, 0x28, 0x01, 0x00, 0x00, 0x00,
		0x02, 0x20, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00,
	};
	struct mem *m = calloc(1, sizeof(*m));
	struct erofs_z_params p = params(m, 3 * BS,
					 EROFS_INODE_COMPRESSED_COMPACT, 0x15a0);
	struct erofs_z_inode zi;

	memcpy(m->img + 0x15a0, "\0\0\0\0\x06\0\0\0", 8);	/* advise 6 */
	memcpy(m->img + 0x15a8, packs, sizeof(packs));
	/* big pcluster advise needs the superblock feature */
	assert_int_equal(erofs_z_inode_init(&zi, &p), -EFSCORRUPTED);
	erofs_z_inode_release(&zi);
	p.feature_incompat |= EROFS_FEATURE_INCOMPAT_BIG_PCLUSTER;
	p.available_compr_algs = 1;
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	expect_map(&zi, 0, 0, 3 * BS, BS, 16 * BS, 0);
	expect_map(&zi, 10000, 0, 3 * BS, BS, 16 * BS, 0);
	erofs_z_inode_release(&zi);
	/* the NONHEAD after a big-pcluster head must carry CBLKCNT */
	put16(m->img + 0x15aa, 2 << 12 | 1);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	{
		struct erofs_z_map map;

		assert_int_equal(erofs_z_map(&zi, 0, &map), -EFSCORRUPTED);
	}
	erofs_z_inode_release(&zi);
	/* inconsistent BIG_PCLUSTER_1/2 on compact indexes */
	m->img[0x15a4] = 2;
	assert_int_equal(erofs_z_inode_init(&zi, &p), -EFSCORRUPTED);
	erofs_z_inode_release(&zi);
	free(m);
}

/*
 * Holes in compressed files (Linux 7.2): a FULL head with the HOLE bit,
 * or a big pcluster whose CBLKCNT is 0, maps nothing and reads as zeros.
 */
static void test_holes(void **state)
{
	static const unsigned char packs[16] = {
		0x00, 0x10, 0x00, 0x28, 0x01, 0x00, 0x00, 0x00,
		0x02, 0x20, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00,
	};
	struct mem *m = calloc(1, sizeof(*m));
	struct erofs_z_params p = params(m, 12288, EROFS_INODE_COMPRESSED_FULL,
					 0x1520);
	struct erofs_z_inode zi;
	struct erofs_z_map map;
	unsigned char want[12288];

	build_z3_data(m);
	full_index(m->img + 0x1530, 1 | Z_EROFS_LI_HOLE, 0, 4);
	full_index(m->img + 0x1538, 1, 2904, 5);
	full_index(m->img + 0x1540, 2, 0, 1 | 1U << 16);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(erofs_z_map(&zi, 100, &map), 0);
	assert_int_equal(map.la, 0);
	assert_int_equal(map.llen, 7000);
	assert_true(map.flags & EROFS_Z_MAP_HOLE);
	expect_map(&zi, 7000, 7000, 5288, 5 * BS, BS, 0);
	memset(want, 0, 7000);
	memcpy(want + 7000, z3 + 7000, 12288 - 7000);
	read_all_and_compare(&zi, want, sizeof(want));
	erofs_z_inode_release(&zi);

	/* compact, big pcluster: CBLKCNT 0 right after the head */
	memset(m->img + 0x1520, 0, 64);
	p = params(m, 3 * BS, EROFS_INODE_COMPRESSED_COMPACT, 0x15a0);
	p.feature_incompat |= EROFS_FEATURE_INCOMPAT_BIG_PCLUSTER;
	p.available_compr_algs = 1;
	memcpy(m->img + 0x15a0, "\0\0\0\0\x06\0\0\0", 8);
	memcpy(m->img + 0x15a8, packs, sizeof(packs));
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(erofs_z_map(&zi, 5000, &map), 0);
	assert_int_equal(map.la, 0);
	assert_int_equal(map.llen, 3 * BS);
	assert_true(map.flags & EROFS_Z_MAP_HOLE);
	memset(want, 0xaa, sizeof(want));
	assert_int_equal(erofs_z_read(&zi, want, 3 * BS, 0), 0);
	assert_int_equal(want[0] | want[6000] | want[3 * BS - 1], 0);
	erofs_z_inode_release(&zi);
	free(m);
}

/* write a 14-bit entry (12-bit lo, 2-bit type) k of a 2B pack */
static void put2b(unsigned char *pack, unsigned int k, unsigned int type,
		  unsigned int lo)
{
	unsigned int bit = k * 14, v = lo | type << 12, i;

	for (i = 0; i < 14; i++)
		if (v & (1U << i))
			pack[(bit + i) / 8] |= 1U << ((bit + i) % 8);
}

static void test_compact_2b(void **state)
{
	struct mem *m = calloc(1, sizeof(*m));
	/* inode_end 0x1618 -> header 0x1618, ebase 0x1620 (32-aligned) */
	struct erofs_z_params p = params(m, 16 * BS + 100,
					 EROFS_INODE_COMPRESSED_COMPACT, 0x1618);
	struct erofs_z_inode zi;
	unsigned char *pack = m->img + 0x1620;
	unsigned int k;

	memcpy(m->img + 0x1618, "\0\0\0\0\x01\0\0\0", 8);	/* 2B */
	/* lcn 0..15 in one 2B pack; lcn 3 continues lcn 2's extent */
	for (k = 0; k < 16; k++)
		if (k == 3)
			put2b(pack, k, 2, 1);
		else
			put2b(pack, k, 1, 0);
	put32(pack + 28, 9);			/* first head at block 10 */
	/* lcn 16 in a trailing 4B pack */
	put16(m->img + 0x1640, 1 << 12);
	put32(m->img + 0x1644, 24);		/* block 25 */
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(zi.compact_4b_init, 0);
	assert_int_equal(zi.compact_2b, 16);
	expect_map(&zi, 0, 0, BS, 10 * BS, BS, 0);
	expect_map(&zi, BS + 5, BS, BS, 11 * BS, BS, 0);
	expect_map(&zi, 3 * BS + 7, 2 * BS, 2 * BS, 12 * BS, BS, 0);
	expect_map(&zi, 4 * BS, 4 * BS, BS, 13 * BS, BS, 0);
	expect_map(&zi, 15 * BS, 15 * BS, BS, 24 * BS, BS, 0);
	expect_map(&zi, 16 * BS + 99, 16 * BS, 100, 25 * BS, BS, 0);
	erofs_z_inode_release(&zi);
	free(m);
}

/*
 * One session maps on after errors as a fresh one would: zmap.c keeps the
 * last compact pack decoded, each head's block and the last extent end,
 * and none of them may hold what a failed walk or a failed read left.
 * 2B pack (big pclusters, lobits 12) at 0x1620: 0 HEAD, 1 CBLKCNT 2,
 * 2 NONHEAD 2, 3 HEAD, 4 CBLKCNT 1, 5 HEAD, 6 CBLKCNT 1, 7 NONHEAD 0
 * (no CBLKCNT: the walk back from 8 fails), 8 HEAD, 9 CBLKCNT 1, 10..15
 * NONHEAD; lcn 16 a HEAD in the trailing 4B pack at 0x1640.
 */
static uint64_t flaky_off = UINT64_MAX;	/* reads covering it fail */

static int flaky_read(void *priv, void *buf, size_t len, uint64_t off)
{
	if (flaky_off >= off && flaky_off - off < len)
		return -EIO;
	return mem_read(priv, buf, len, off);
}

static void expect_err_twice(struct erofs_z_inode *zi, uint64_t off, int err)
{
	struct erofs_z_map map;
	int i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(erofs_z_map(zi, off, &map), err);
		if (err == -EFSCORRUPTED)
			assert_int_equal(zi->fault, EROFS_Z_FAULT_INDEX);
	}
}

static void test_compact_session_errors(void **state)
{
	static const unsigned char type[16] = {
		1, 2, 2, 1, 2, 1, 2, 2, 1, 2, 2, 2, 2, 2, 2, 2 };
	static const unsigned int lo[16] = {
		0, 0x802, 2, 0, 0x801, 0, 0x801, 0, 0, 0x801, 2, 3, 4, 5, 6, 7 };
	struct mem *m = calloc(1, sizeof(*m));
	struct erofs_z_params p = params(m, 16 * BS + 100,
					 EROFS_INODE_COMPRESSED_COMPACT, 0x1618);
	struct erofs_z_inode zi;
	unsigned int k;

	(void)state;
	p.read_meta = flaky_read;
	p.feature_incompat |= EROFS_FEATURE_INCOMPAT_BIG_PCLUSTER;
	p.available_compr_algs = 1;
	memcpy(m->img + 0x1618, "\0\0\0\0\x07\0\0\0", 8);  /* 2B, big */
	for (k = 0; k < 16; k++)
		put2b(m->img + 0x1620, k, type[k], lo[k]);
	put32(m->img + 0x1620 + 28, 9);
	put16(m->img + 0x1640, 1 << 12);
	put32(m->img + 0x1644, 40);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	expect_map(&zi, 0, 0, 3 * BS, 9 * BS, 2 * BS, 0);
	expect_map(&zi, 3 * BS, 3 * BS, 2 * BS, 11 * BS, BS, 0);
	/* the head's own walk back fails: every time */
	expect_err_twice(&zi, 8 * BS, -EFSCORRUPTED);
	/* the walk to the end of [5,8) meets that head: every time */
	expect_err_twice(&zi, 5 * BS, -EFSCORRUPTED);
	expect_map(&zi, 3 * BS + 1, 3 * BS, 2 * BS, 11 * BS, BS, 0);
	/* a failed read of the 4B pack leaves no pack behind */
	flaky_off = 0x1644;
	expect_err_twice(&zi, 16 * BS, -EIO);
	flaky_off = UINT64_MAX;
	expect_map(&zi, 16 * BS + 99, 16 * BS, 100, 40 * BS, BS, 0);
	expect_map(&zi, BS, 0, 3 * BS, 9 * BS, 2 * BS, 0);
	erofs_z_inode_release(&zi);
	free(m);
}

/* [0,4200) compressed in block 7, tail [4200,5000) inline or fragment */
static unsigned char tailfile[5000];

static void test_ztailpacking(void **state)
{
	struct mem *m = calloc(1, sizeof(*m));
	struct erofs_z_params p = params(m, 5000, EROFS_INODE_COMPRESSED_FULL,
					 0x2000 + 32);
	struct erofs_compress_cfg cfg;
	struct erofs_compress_ctx ctx;
	struct erofs_z_inode zi;
	struct erofs_z_map map;
	unsigned char enc[BS];
	size_t consumed = 800;
	int n;

	text(tailfile, sizeof(tailfile), 3);
	put_lz4_block(m, 7, tailfile, 4200);
	if (erofs_compress_cfg_parse(&cfg, "lz4hc", NULL) == -EOPNOTSUPP)
		skip();
	assert_int_equal(erofs_compress_init(&ctx, &cfg), 0);
	n = erofs_compress_destsize(&ctx, tailfile + 4200, &consumed, enc, BS);
	assert_true(n > 0 && consumed == 800);
	erofs_compress_release(&ctx);
	/* header: idata_size, advise INLINE_PCLUSTER */
	put16(m->img + 0x2020 + 2, (unsigned int)n);
	put16(m->img + 0x2020 + 4, Z_EROFS_ADVISE_INLINE_PCLUSTER);
	full_index(m->img + 0x2030, 1, 0, 7);
	full_index(m->img + 0x2038, 1, 104, 0xdead);
	memcpy(m->img + 0x2040, enc, (size_t)n);
	p.feature_incompat |= EROFS_FEATURE_INCOMPAT_ZTAILPACKING;
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(zi.idata_pos, 0x2040);
	assert_int_equal(erofs_z_map(&zi, 4500, &map), 0);
	assert_true(map.flags & EROFS_Z_MAP_INLINE);
	assert_int_equal(map.la, 4200);
	assert_int_equal(map.llen, 800);
	assert_int_equal(map.plen, (uint32_t)n);
	read_all_and_compare(&zi, tailfile, sizeof(tailfile));
	erofs_z_inode_release(&zi);

	/* the same inline data pushed across a block boundary */
	p.inode_end = 0x2000 - 24;	/* header 0x1fe8, idata 0x2008 */
	memmove(m->img + 0x1fe8, m->img + 0x2020, 0x20 + (size_t)n);
	put16(m->img + 0x1fe8 + 2, BS);
	assert_int_equal(erofs_z_inode_init(&zi, &p), -EFSCORRUPTED);
	erofs_z_inode_release(&zi);
	free(m);
}

static void test_fragments(void **state)
{
	struct mem *m = calloc(1, sizeof(*m));
	struct erofs_z_params p = params(m, 5000, EROFS_INODE_COMPRESSED_FULL,
					 0x2020);
	struct erofs_z_inode zi;
	struct erofs_z_map map;

	text(tailfile, sizeof(tailfile), 4);
	put_lz4_block(m, 7, tailfile, 4200);
	memcpy(m->packed + 123, tailfile + 4200, 800);
	put32(m->img + 0x2020, 123);			/* h_fragmentoff */
	put16(m->img + 0x2024, Z_EROFS_ADVISE_FRAGMENT_PCLUSTER);
	full_index(m->img + 0x2030, 1, 0, 7);
	full_index(m->img + 0x2038, 1, 104, 0);	/* fragoff high half 0 */
	p.feature_incompat |= EROFS_FEATURE_INCOMPAT_FRAGMENTS;
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(erofs_z_map(&zi, 4999, &map), 0);
	assert_true(map.flags & EROFS_Z_MAP_FRAGMENT);
	assert_int_equal(map.fragment_off, 123);
	read_all_and_compare(&zi, tailfile, sizeof(tailfile));
	erofs_z_inode_release(&zi);

	/* whole file in the packed inode: le64 with bit 63 */
	memset(m->img + 0x2020, 0, 64);
	memcpy(m->packed + 77, tailfile, 5000);
	memcpy(m->img + 0x2020, "\x4d\0\0\0\0\0\0\x80", 8);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_true(zi.whole_fragment);
	read_all_and_compare(&zi, tailfile, sizeof(tailfile));
	erofs_z_inode_release(&zi);

	/*
	 * A tail fragment whose extent starts in lcluster 0 is the whole
	 * file for the kernel, from offset 0 of the fragment, whatever
	 * clusterofs lcluster 0 has.
	 */
	memset(m->img + 0x2020, 0, 64);
	put32(m->img + 0x2020, 77);
	put16(m->img + 0x2024, Z_EROFS_ADVISE_FRAGMENT_PCLUSTER);
	full_index(m->img + 0x2030, 1, 100, 0);
	full_index(m->img + 0x2038, 2, 0, 1);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(erofs_z_map(&zi, 0, &map), 0);
	assert_true(map.flags & EROFS_Z_MAP_FRAGMENT);
	assert_int_equal(map.la, 0);
	assert_int_equal(map.llen, 5000);
	assert_int_equal(map.fragment_off, 77);
	read_all_and_compare(&zi, tailfile, sizeof(tailfile));
	erofs_z_inode_release(&zi);
	memset(m->img + 0x2020, 0, 64);
	memcpy(m->img + 0x2020, "\x4d\0\0\0\0\0\0\x80", 8);

	/* a fragment on an image without the FRAGMENTS feature */
	p.feature_incompat &= ~EROFS_FEATURE_INCOMPAT_FRAGMENTS;
	assert_int_equal(erofs_z_inode_init(&zi, &p), -EFSCORRUPTED);
	erofs_z_inode_release(&zi);
	p.feature_incompat |= EROFS_FEATURE_INCOMPAT_FRAGMENTS;

	/* no packed inode to read from: the kernel's EFSCORRUPTED */
	p.read_packed = NULL;
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(erofs_z_read(&zi, tailfile, 10, 0), -EFSCORRUPTED);
	assert_int_equal(zi.fault, EROFS_Z_FAULT_HEADER);
	erofs_z_inode_release(&zi);
	free(m);
}

static void test_plain_interlaced(void **state)
{
	struct mem *m = calloc(1, sizeof(*m));
	struct erofs_z_params p = params(m, 7096, EROFS_INODE_COMPRESSED_FULL,
					 0x2020);
	static unsigned char f[7096];
	struct erofs_z_inode zi;
	int interlaced;

	text(f, sizeof(f), 5);
	put_lz4_block(m, 7, f, 4196);
	full_index(m->img + 0x2030, 1, 0, 7);
	full_index(m->img + 0x2038, 0, 100, 9);	/* PLAIN at 4196 */
	for (interlaced = 0; interlaced < 2; interlaced++) {
		memset(m->img + 9 * BS, 0xEE, BS);
		if (interlaced) {
			put16(m->img + 0x2024,
			      Z_EROFS_ADVISE_INTERLACED_PCLUSTER);
			memcpy(m->img + 9 * BS + 100, f + 4196, 2900);
		} else {
			memcpy(m->img + 9 * BS, f + 4196, 2900);
		}
		assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
		expect_map(&zi, 5000, 4196, 2900, 9 * BS, BS,
			   interlaced ? EROFS_Z_ALG_INTERLACED :
					EROFS_Z_ALG_SHIFTED);
		read_all_and_compare(&zi, f, sizeof(f));
		erofs_z_inode_release(&zi);
	}
	free(m);
}

static void test_corrupt_indexes(void **state)
{
	struct mem *m = calloc(1, sizeof(*m));
	struct erofs_z_params p = params(m, 12288, EROFS_INODE_COMPRESSED_FULL,
					 0x1520);
	struct erofs_z_inode zi;
	struct erofs_z_map map;
	unsigned char buf[12288];
	uint32_t x = 99;
	int i;

	build_z3_data(m);
#define RESET() do { \
	memset(m->img + 0x1520, 0, 64); \
	full_index(m->img + 0x1530, 1, 0, 4); \
	full_index(m->img + 0x1538, 1, 2904, 5); \
	full_index(m->img + 0x1540, 2, 0, 1 | 1U << 16); \
} while (0)
#define EXPECT_MAP_ERR(off, err) do { \
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0); \
	assert_int_equal(erofs_z_map(&zi, off, &map), err); \
	erofs_z_inode_release(&zi); \
} while (0)
	/* index 0 NONHEAD: nothing to look back to */
	RESET();
	full_index(m->img + 0x1530, 2, 0, 1);
	EXPECT_MAP_ERR(0, -EFSCORRUPTED);
	/* index 0 HEAD with clusterofs > 0: bytes before it are lost */
	RESET();
	full_index(m->img + 0x1530, 1, 10, 4);
	EXPECT_MAP_ERR(5, -EFSCORRUPTED);
	/* lookback past index 0, and delta0 == 0 */
	RESET();
	full_index(m->img + 0x1540, 2, 0, 3);
	EXPECT_MAP_ERR(9000, -EFSCORRUPTED);
	RESET();
	full_index(m->img + 0x1540, 2, 0, 0);
	EXPECT_MAP_ERR(9000, -EFSCORRUPTED);
	/* clusterofs beyond the lcluster */
	RESET();
	full_index(m->img + 0x1538, 1, 5000, 5);
	EXPECT_MAP_ERR(5000, -EFSCORRUPTED);
	/* CBLKCNT without big pcluster */
	RESET();
	full_index(m->img + 0x1540, 2, 0, 0x801);
	EXPECT_MAP_ERR(9000, -EFSCORRUPTED);
	/* HEAD2 whose nibble names an algorithm the superblock does not
	 * declare, used or not: corrupted when the header is loaded */
	RESET();
	m->img[0x1526] = 0x70;
	full_index(m->img + 0x1538, 3, 2904, 5);
	assert_int_equal(erofs_z_inode_init(&zi, &p), -EFSCORRUPTED);
	assert_int_equal(zi.fault, EROFS_Z_FAULT_ALGORITHM);
	erofs_z_inode_release(&zi);
	RESET();
	m->img[0x1526] = 0x50;
	assert_int_equal(erofs_z_inode_init(&zi, &p), -EFSCORRUPTED);
	erofs_z_inode_release(&zi);
	/* ... and one it declares but no reader knows: unsupported */
	RESET();
	m->img[0x1526] = 0x70;
	full_index(m->img + 0x1538, 3, 2904, 5);
	p.feature_incompat |= EROFS_FEATURE_INCOMPAT_COMPR_CFGS;
	p.available_compr_algs = 1 | 1U << 7;
	assert_int_equal(erofs_z_inode_init(&zi, &p), -EOPNOTSUPP);
	assert_int_equal(zi.fault, EROFS_Z_FAULT_UNBUILT);
	erofs_z_inode_release(&zi);
	p.feature_incompat &= ~EROFS_FEATURE_INCOMPAT_COMPR_CFGS;
	/* algorithm not in available_compr_algs */
	RESET();
	m->img[0x1526] = 0x03;
	p.feature_incompat |= EROFS_FEATURE_INCOMPAT_COMPR_CFGS;
	p.available_compr_algs = 1;
	EXPECT_MAP_ERR(0, -EFSCORRUPTED);
	assert_int_equal(zi.fault, EROFS_Z_FAULT_ALGORITHM);
	p.feature_incompat &= ~EROFS_FEATURE_INCOMPAT_COMPR_CFGS;
	/* encoded extents with a record naming an undeclared format */
	RESET();
	m->img[0x1524] = Z_EROFS_ADVISE_EXTENTS;
	put32(m->img + 0x1528, 4 * BS);		/* 4-byte records: le64 */
	put32(m->img + 0x152c, 0);		/* start, then plens */
	put32(m->img + 0x1530, 9U << 28 | 100);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(erofs_z_read(&zi, buf, 10, 0), -EFSCORRUPTED);
	assert_int_equal(zi.fault, EROFS_Z_FAULT_ALGORITHM);
	erofs_z_inode_release(&zi);
	/* a pcluster beyond the image */
	RESET();
	full_index(m->img + 0x1530, 1, 0, 0xfffffff);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(erofs_z_read(&zi, buf, 10, 0), -EIO);
	erofs_z_inode_release(&zi);
	/* corrupted encoded data */
	RESET();
	memset(m->img + 5 * BS, 0xff, BS);	/* literal runs beyond any end */
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(erofs_z_read(&zi, buf, sizeof(buf), 0),
			 -EFSCORRUPTED);
	erofs_z_inode_release(&zi);
	build_z3_data(m);
	/* an all-zero pcluster */
	memset(m->img + 4 * BS, 0, BS);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(erofs_z_read(&zi, buf, 10, 0), -EFSCORRUPTED);
	erofs_z_inode_release(&zi);
	build_z3_data(m);

	/* random damage to header and indexes, full and compact: no crash */
	for (i = 0; i < 4000; i++) {
		int k, r;

		RESET();
		for (k = 0; k < 3; k++) {
			x = x * 1103515245 + 12345;
			m->img[0x1520 + (x >> 8) % 40] ^= (unsigned char)(x >> 20);
		}
		p.datalayout = (i & 1) ? EROFS_INODE_COMPRESSED_COMPACT :
					 EROFS_INODE_COMPRESSED_FULL;
		p.feature_incompat = (x >> 4) & 0x3f;
		p.available_compr_algs = (x >> 12) & 0xf;
		r = erofs_z_inode_init(&zi, &p);
		if (!r)
			r = erofs_z_read(&zi, buf, sizeof(buf), 0);
		assert_true(r <= 0);
		erofs_z_inode_release(&zi);
	}
	free(m);
}

/*
 * A miniature writer: cut a file into extents with each built compressor's
 * fill-one-cluster call (PLAIN blocks where compression does not pay),
 * write FULL indexes by the rules of format.md 7.6, then read it back.
 */
static void test_every_algorithm(void **state)
{
	enum { FSIZE = 15 * 4096 + 1234 };
	static unsigned char f[FSIZE];
	unsigned int i, j;
	uint32_t x;

	text(f, FSIZE, 9);
	for (j = 3 * BS, x = 1; j < 5 * BS + 300; j++) {
		x ^= x << 13;	/* xorshift32: an incompressible run */
		x ^= x >> 17;
		x ^= x << 5;
		f[j] = (unsigned char)(x >> 11);
	}
	for (i = 0; erofs_compressor_get(i); i++) {
		const struct erofs_compressor *c = erofs_compressor_get(i);
		struct mem *m = calloc(1, sizeof(*m));
		struct erofs_z_params p = params(m, FSIZE,
						 EROFS_INODE_COMPRESSED_FULL,
						 0x1000);
		struct erofs_compress_cfg cfg;
		struct erofs_compress_ctx ctx;
		struct erofs_z_inode zi;
		unsigned char out[BS];
		uint64_t pos = 0, lcn, nidx = 0, blk = 8;
		unsigned int plains = 0, heads = 0;

		if (!c->built) {
			free(m);
			continue;
		}
		erofs_compress_cfg_init(&cfg, c);
		assert_int_equal(erofs_compress_init(&ctx, &cfg), 0);
		m->img[0x1006] = (unsigned char)c->alg;	/* h_algorithmtype */
		while (pos < FSIZE) {
			size_t n = FSIZE - pos;
			int ret = erofs_compress_destsize(&ctx, f + pos, &n,
							  out, BS);
			unsigned int type = Z_EROFS_LCLUSTER_TYPE_HEAD1;

			/* keep it only if it saves a block and spans one */
			if (ret <= 0 || n < BS) {
				n = EROFS_MIN((uint64_t)BS, FSIZE - pos);
				type = Z_EROFS_LCLUSTER_TYPE_PLAIN;
				memcpy(m->img + blk * BS, f + pos, n);
				plains++;
			} else {
				memcpy(m->img + (blk + 1) * BS - ret, out,
				       (size_t)ret);
				heads++;
			}
			lcn = pos / BS;
			full_index(m->img + 0x1010 + lcn * 8, type, pos % BS,
				   (uint32_t)blk);
			nidx = lcn + 1;
			for (lcn++; lcn * BS < pos + n; lcn++, nidx++)
				full_index(m->img + 0x1010 + lcn * 8, 2, 0,
					   (uint32_t)(lcn - pos / BS));
			pos += n;
			blk++;
		}
		/* EOF marker when the last extent ended inside an lcluster */
		if (nidx < EROFS_DIV_ROUND_UP(FSIZE, BS))
			full_index(m->img + 0x1010 + nidx * 8, 0, FSIZE % BS, 0);
		erofs_compress_release(&ctx);
		if (c->alg != Z_EROFS_COMPRESSION_LZ4) {
			p.feature_incompat |= EROFS_FEATURE_INCOMPAT_COMPR_CFGS;
			p.available_compr_algs = 1U << c->alg;
		}
		printf("%s: %u compressed, %u plain extents\n", c->name, heads, plains);
		assert_true(heads > 0 && plains > 0);
		assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
		read_all_and_compare(&zi, f, FSIZE);
		erofs_z_inode_release(&zi);
		free(m);
	}
}

/* LZ4-encode src exactly (no padding) at image byte pos; returns length */
static uint32_t put_lz4_at(struct mem *m, uint64_t pos,
			   const unsigned char *src, size_t len)
{
	struct erofs_compress_cfg cfg;
	struct erofs_compress_ctx ctx;
	size_t consumed = len;
	int ret;

	if (erofs_compress_cfg_parse(&cfg, "lz4", NULL) == -EOPNOTSUPP)
		skip();
	assert_int_equal(erofs_compress_init(&ctx, &cfg), 0);
	ret = erofs_compress_destsize(&ctx, src, &consumed, m->img + pos, BS);
	assert_true(ret > 0);
	assert_int_equal(consumed, len);
	erofs_compress_release(&ctx);
	return (uint32_t)ret;
}

/* format.md 7.14: the three record sizes, holes, byte-unaligned starts */
static void test_encoded_extents(void **state)
{
	struct mem *m = calloc(1, sizeof(*m));
	struct erofs_z_params p = params(m, 12288, EROFS_INODE_COMPRESSED_FULL,
					 0x2020);
	static unsigned char want[12288];
	struct erofs_z_inode zi;
	struct erofs_z_map map;
	uint32_t a, b;
	unsigned char *r;

	text(z3, sizeof(z3), 11);
	memcpy(want, z3, sizeof(want));

	/* 16-byte records: [0,7000) lz4 @ 8*BS+7, hole, [9000,..) @ 10*BS+3 */
	memset(want + 7000, 0, 2000);
	a = put_lz4_at(m, 8 * BS + 7, z3, 7000);
	b = put_lz4_at(m, 10 * BS + 3, z3 + 9000, 12288 - 9000);
	put32(m->img + 0x2020, 3);				/* count */
	put16(m->img + 0x2024, Z_EROFS_ADVISE_EXTENTS | 2 << 1);	/* 16 */
	r = m->img + 0x2030;			/* round_up(0x2028, 16) */
	put32(r, 1U << 28 | a);
	put32(r + 4, 8 * BS + 7);
	put32(r + 16, 0);			/* a hole from 7000 */
	put32(r + 16 + 12, 7000);
	put32(r + 32, 1U << 28 | b);
	put32(r + 32 + 4, 10 * BS + 3);
	put32(r + 32 + 12, 9000);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_true(zi.extents);
	assert_int_equal(erofs_z_map(&zi, 7500, &map), 0);
	assert_true(map.flags & EROFS_Z_MAP_HOLE);
	assert_int_equal(map.la, 7000);
	assert_int_equal(map.llen, 2000);
	expect_map(&zi, 9000, 9000, 12288 - 9000, 10 * BS + 3, b, 0);
	expect_map(&zi, 6999, 0, 7000, 8 * BS + 7, a, 0);
	read_all_and_compare(&zi, want, sizeof(want));
	erofs_z_inode_release(&zi);
	/* unsorted records are corrupt */
	put32(r + 32 + 12, 5000);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	assert_int_equal(erofs_z_read(&zi, want, sizeof(want), 0),
			 -EFSCORRUPTED);
	erofs_z_inode_release(&zi);

	/* 8-byte records, one per lcluster: lz4, plain, hole */
	memcpy(want, z3, sizeof(want));
	memset(want + 8192, 0, 4096);
	memset(m->img + 0x2020, 0, 256);
	put16(m->img + 0x2024, Z_EROFS_ADVISE_EXTENTS | 1 << 1);	/* 8 */
	a = put_lz4_at(m, 8 * BS + 7, z3, 4096);
	memcpy(m->img + 12 * BS, z3 + 4096, 4096);
	r = m->img + 0x2028;
	put32(r, 1U << 28 | a);
	put32(r + 4, 8 * BS + 7);
	put32(r + 8, 4096);			/* format 0: plain */
	put32(r + 12, 12 * BS);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	expect_map(&zi, 5000, 4096, 4096, 12 * BS, 4096, EROFS_Z_ALG_SHIFTED);
	read_all_and_compare(&zi, want, sizeof(want));
	erofs_z_inode_release(&zi);

	/* 4-byte records: a le64 start, then plens end to end */
	memcpy(want, z3, sizeof(want));
	memset(m->img + 0x2020, 0, 256);
	put16(m->img + 0x2024, Z_EROFS_ADVISE_EXTENTS);		/* 4 */
	a = put_lz4_at(m, 20 * BS + 5, z3, 4096);
	b = put_lz4_at(m, 20 * BS + 5 + a, z3 + 4096, 4096);
	r = m->img + 0x2028;
	put32(r, 20 * BS + 5);
	put32(r + 8, 1U << 28 | a);
	put32(r + 12, 1U << 28 | b);
	put32(r + 16, 1U << 28 | put_lz4_at(m, 20 * BS + 5 + a + b,
					     z3 + 8192, 4096));
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	expect_map(&zi, 4096, 4096, 4096, 20 * BS + 5 + a, b, 0);
	read_all_and_compare(&zi, want, sizeof(want));
	erofs_z_inode_release(&zi);
	free(m);
}

/*
 * A decode inside a decode on one context: an inline pcluster read from
 * a compressed metabox decodes the metabox within the file's decode.  The
 * inner one must not take (and grow, so move) the outer's input buffer.
 */
struct nested {
	struct erofs_decompress_ctx *dctx;
	const uint8_t *stream;
	size_t len;
};

static int nested_inner_meta(void *priv, void *buf, size_t len, uint64_t off)
{
	return -EIO;	/* the inner read gives up once it has its buffer */
}

static int nested_outer_meta(void *priv, void *buf, size_t len, uint64_t off)
{
	struct nested *n = priv;
	struct erofs_z_inode inner;
	struct erofs_z_map m = { .llen = 4096, .plen = 1 << 20,
				 .alg = Z_EROFS_COMPRESSION_LZ4,
				 .flags = EROFS_Z_MAP_INLINE };
	uint8_t out[4096];

	memset(&inner, 0, sizeof(inner));
	inner.p.blkszbits = 12;
	inner.p.feature_incompat = EROFS_FEATURE_INCOMPAT_ZERO_PADDING;
	inner.p.read_meta = nested_inner_meta;
	inner.p.dctx = n->dctx;
	assert_int_equal(erofs_z_read_extent(&inner, &m, out), -EIO);
	assert_true(len == n->len);
	memcpy(buf, n->stream, len);	/* into the outer's buffer */
	return 0;
}

static void test_nested_decode(void **state)
{
	/* 12 literals, a match of 4 at offset 1, 12 last literals */
	static const uint8_t s[] = { 0xc0, 'a', 'b', 'c', 'd', 'e', 'f', 'g',
		'h', 'i', 'j', 'k', 'l', 1, 0, 0xc0, 'm', 'n', 'o', 'p', 'q',
		'r', 's', 't', 'u', 'v', 'w', 'x' };
	struct erofs_decompress_ctx dctx;
	struct nested n = { &dctx, s, sizeof(s) };
	struct erofs_z_inode zi;
	struct erofs_z_map m = { .llen = 28, .plen = sizeof(s),
				 .alg = Z_EROFS_COMPRESSION_LZ4,
				 .flags = EROFS_Z_MAP_INLINE };
	uint8_t out[28];

	(void)state;
	erofs_decompress_ctx_init(&dctx);
	memset(&zi, 0, sizeof(zi));
	zi.p.blkszbits = 12;
	zi.p.feature_incompat = EROFS_FEATURE_INCOMPAT_ZERO_PADDING;
	zi.p.read_meta = nested_outer_meta;
	zi.p.priv = &n;
	zi.p.dctx = &dctx;
	assert_int_equal(erofs_z_read_extent(&zi, &m, out), 0);
	assert_memory_equal(out, "abcdefghijklllllmnopqrstuvwx", 28);
	/* and again, with the context's buffers now grown */
	memset(out, 0, sizeof(out));
	assert_int_equal(erofs_z_read_extent(&zi, &m, out), 0);
	assert_memory_equal(out, "abcdefghijklllllmnopqrstuvwx", 28);
	erofs_decompress_ctx_release(&dctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_worked_example),
		cmocka_unit_test(test_compact_worked_example),
		cmocka_unit_test(test_compact_big_pcluster),
		cmocka_unit_test(test_compact_2b),
		cmocka_unit_test(test_compact_session_errors),
		cmocka_unit_test(test_ztailpacking),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_plain_interlaced),
		cmocka_unit_test(test_corrupt_indexes),
		cmocka_unit_test(test_holes),
		cmocka_unit_test(test_every_algorithm),
		cmocka_unit_test(test_encoded_extents),
		cmocka_unit_test(test_nested_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
