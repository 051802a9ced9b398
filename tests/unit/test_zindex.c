// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_zindex.c - the writer's index encoder (lib/zindex.c) against the
 * reader's decoder (lib/zmap.c): extents go in, the encoded map header
 * and lcluster indexes are decoded again, and every extent must come back
 * with its position, length, pcluster and flags.  No image, no threads:
 * compact (4B and 2B packs), big pclusters, full indexes, shared
 * (PARTIAL_REF) pclusters, inline tails, tail and whole fragments, and
 * inline xattr bodies that shift the pack alignment.
 */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/zmap.h"
#include "../../lib/writer_internal.h"

#define BITS	12U
#define BS	(1U << BITS)
#define IPOS	(8U * BS)		/* inode position (meta space) */
#define STARTBLK 100U
#define REFBLK	40U			/* where shared pclusters live */

struct zcase {
	uint64_t size;
	unsigned int body;		/* inode + inline xattrs */
	bool big, full;
	struct erofs_wr_zinfo z;
	uint8_t meta[64 * 1024];
};

static int meta_read(void *priv, void *buf, size_t len, uint64_t off)
{
	struct zcase *c = priv;
	uint64_t base = IPOS + c->body;

	/* only the encoded bytes (and the inline tail after them) exist */
	if (off < base || off - base + len > sizeof(c->meta))
		return -EIO;
	memcpy(buf, c->meta + (off - base), len);
	return 0;
}

static int none_read(void *priv, void *buf, size_t len, uint64_t off)
{
	(void)priv; (void)buf; (void)len; (void)off;
	return -EIO;
}

static void log_sink(void *priv, int level, const char *msg)
{
	(void)priv; (void)level;
	print_message("zmap: %s\n", msg);
}

static struct erofs_log tlog = { .level = EROFS_LOG_ERR, .sink = log_sink };

static void ref_blk(const void *priv, const struct erofs_wr_extent *e,
		    uint64_t *blk, uint32_t *pblks)
{
	(void)priv;
	*blk = REFBLK + e->ref;
	*pblks = 2;
}

static void add(struct zcase *c, uint64_t la, uint32_t llen, uint32_t pblks,
		uint8_t type)
{
	struct erofs_wr_zinfo *z = &c->z;

	z->ext = realloc(z->ext, (z->nr_ext + 1) * sizeof(*z->ext));
	assert_non_null(z->ext);
	z->ext[z->nr_ext++] = (struct erofs_wr_extent){
		.la = la, .llen = llen, .pblks = pblks, .type = type,
	};
	z->zblocks += pblks;
}

/* the advise and layout layout.c gives such an inode */
static void finish(struct zcase *c)
{
	struct erofs_wr_zinfo *z = &c->z;

	z->full = c->full;
	z->alg = Z_EROFS_COMPRESSION_LZ4;
	z->advise = 0;
	if (z->frag_len)
		z->advise |= Z_EROFS_ADVISE_FRAGMENT_PCLUSTER;
	if (!z->full)
		z->advise |= Z_EROFS_ADVISE_COMPACTED_2B;
	if (c->big)
		z->advise |= Z_EROFS_ADVISE_BIG_PCLUSTER_1 |
			     Z_EROFS_ADVISE_BIG_PCLUSTER_2;
	if (z->inlined)
		z->advise |= Z_EROFS_ADVISE_INLINE_PCLUSTER;
	z->meta_len = erofs_wr_zmeta_len(BITS, c->body, c->size,
					 z->whole_frag, z->full);
}

/* the pcluster map found for e: its own at blk, or the one it refers to
 * (ref_blk(): refblks blocks at REFBLK + ref) */
static void check_pcluster(const struct erofs_z_map *map,
			   const struct erofs_wr_extent *e,
			   unsigned int refblks, uint64_t blk)
{
	if (e->ref) {
		assert_int_equal(map->pa, (uint64_t)(REFBLK + e->ref) << BITS);
		assert_int_equal(map->plen, refblks * BS);
	} else {
		assert_int_equal(map->pa, blk << BITS);
		assert_int_equal(map->plen, e->pblks * BS);
	}
}

/* what the writer encodes for c, and what the reader is told */
static struct erofs_wr_zmeta zmeta_of(struct zcase *c)
{
	return (struct erofs_wr_zmeta){
		.blkszbits = BITS, .big = c->big, .size = c->size,
		.body = c->body, .startblk = STARTBLK, .nblocks = c->z.zblocks,
		.z = &c->z, .ref = ref_blk,
	};
}

static struct erofs_z_params zparams_of(struct zcase *c, unsigned int layout,
					uint32_t incompat)
{
	return (struct erofs_z_params){
		.i_size = c->size, .blkszbits = BITS, .datalayout = layout,
		.inode_end = IPOS + c->body, .feature_incompat = incompat,
		/* BIG_PCLUSTER is COMPR_CFGS: the records name lz4 */
		.available_compr_algs = 1U << Z_EROFS_COMPRESSION_LZ4,
		.read_meta = meta_read, .read_data = none_read,
		.read_packed = none_read, .priv = c, .log = &tlog,
	};
}

/* encode c, decode it with zmap.c and compare every extent */
static void roundtrip(struct zcase *c)
{
	struct erofs_wr_zinfo *z = &c->z;
	const struct erofs_wr_zmeta m = zmeta_of(c);
	struct erofs_z_params p = zparams_of(c, z->full || z->whole_frag ?
		EROFS_INODE_COMPRESSED_FULL : EROFS_INODE_COMPRESSED_COMPACT,
		EROFS_FEATURE_INCOMPAT_ZERO_PADDING |
		EROFS_FEATURE_INCOMPAT_BIG_PCLUSTER |
		EROFS_FEATURE_INCOMPAT_ZTAILPACKING |
		EROFS_FEATURE_INCOMPAT_FRAGMENTS);
	struct erofs_z_inode zi;
	struct erofs_z_map map;
	uint64_t blk = STARTBLK, off;
	size_t i;

	assert_true(z->meta_len + BS <= sizeof(c->meta));
	memset(c->meta, 0xee, sizeof(c->meta));
	assert_int_equal(erofs_wr_zmeta_encode(&m, c->meta), 0);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	if (z->whole_frag) {
		assert_int_equal(erofs_z_map(&zi, c->size - 1, &map), 0);
		assert_true(map.flags & EROFS_Z_MAP_FRAGMENT);
		assert_int_equal(map.fragment_off, z->frag_off);
		assert_int_equal(map.llen, c->size);
		erofs_z_inode_release(&zi);
		return;
	}
	for (i = 0; i < z->nr_ext; i++) {
		const struct erofs_wr_extent *e = &z->ext[i];
		uint64_t end = EROFS_MIN(e->la + e->llen, c->size);
		bool tail = i + 1 == z->nr_ext;

		/* every lcluster the extent covers maps back to it */
		for (off = e->la; off < end;
		     off = EROFS_MIN(end, (off | (BS - 1)) + 1)) {
			assert_int_equal(erofs_z_map(&zi, off, &map), 0);
			assert_int_equal(map.la, e->la);
			assert_int_equal(map.llen, end - e->la);
			if (tail && z->frag_len) {
				assert_true(map.flags & EROFS_Z_MAP_FRAGMENT);
				assert_int_equal(map.fragment_off, z->frag_off);
				continue;
			}
			assert_int_equal(map.head_type, e->type);
			if (tail && z->inlined) {
				assert_true(map.flags & EROFS_Z_MAP_INLINE);
				assert_int_equal(map.pa, IPOS + c->body +
							 z->meta_len);
				assert_int_equal(map.plen, z->inl_len);
				continue;
			}
			assert_false(map.flags & EROFS_Z_MAP_INLINE);
			assert_int_equal(!!(map.flags & EROFS_Z_MAP_PARTIAL),
					 e->partial);
			/* one block each without big pclusters */
			check_pcluster(&map, e, c->big ? 2 : 1, blk);
		}
		if (!e->ref)
			blk += e->pblks;
	}
	erofs_z_inode_release(&zi);
}

static struct zcase *newcase(uint64_t size, unsigned int body, bool big,
			     bool full)
{
	struct zcase *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->size = size;
	c->body = body;
	c->big = big;
	c->full = full;
	return c;
}

static void freecase(struct zcase *c)
{
	free(c->z.ext);
	free(c);
}

/* a mix of compressed extents (spanning lclusters) and PLAIN blocks,
 * ending inside the last lcluster (the terminating PLAIN entry) */
static void mixed(struct zcase *c, unsigned int nr, bool big)
{
	uint64_t la = 0;
	unsigned int k;

	for (k = 0; k < nr; k++) {
		uint32_t llen = k % 3 == 1 ? BS : 3 * BS + 123 * (k % 5);
		uint32_t pblks = k % 3 == 1 ? 1 : big ? 1 + k % 3 : 1;

		add(c, la, llen, pblks, k % 3 == 1 ?
		    Z_EROFS_LCLUSTER_TYPE_PLAIN : Z_EROFS_LCLUSTER_TYPE_HEAD1);
		la += llen;
	}
	c->size = la;
}

static void test_compact(void **state)
{
	static const unsigned int bodies[] = { 32, 64, 32 + 12, 64 + 60 };
	unsigned int b, nr;
	int big;

	(void)state;
	/* few extents (4B packs only) and many (2B packs in between), with
	 * every alignment of the first pack */
	for (big = 0; big < 2; big++)
		for (b = 0; b < 4; b++)
			for (nr = 1; nr < 60; nr += 7) {
				struct zcase *c = newcase(0, bodies[b], big,
							  false);

				mixed(c, nr, big);
				finish(c);
				roundtrip(c);
				freecase(c);
			}
}

static void test_full_shared(void **state)
{
	int big;

	(void)state;
	for (big = 0; big < 2; big++) {
		struct zcase *c = newcase(0, 32, big, true);

		mixed(c, 9, big);
		/* extents 3 and 6 use other pclusters, 6 in part */
		c->z.ext[3].ref = 1;
		c->z.zblocks -= c->z.ext[3].pblks;
		c->z.ext[6].ref = 2;
		c->z.ext[6].partial = true;
		c->z.zblocks -= c->z.ext[6].pblks;
		finish(c);
		roundtrip(c);
		freecase(c);
	}
}

static void test_inline_tail(void **state)
{
	int full, big;

	(void)state;
	for (full = 0; full < 2; full++)
		for (big = 0; big < 2; big++) {
			struct zcase *c = newcase(0, 32 + 20, big, full);

			mixed(c, 4, big);
			/* the last extent: inline, ends before a block */
			add(c, c->size, 700, 0, Z_EROFS_LCLUSTER_TYPE_HEAD1);
			c->size += 700;
			c->z.inlined = true;
			c->z.inl_len = 321;
			finish(c);
			roundtrip(c);
			freecase(c);
		}
}

static void test_fragments(void **state)
{
	struct zcase *c;
	int full;

	(void)state;
	for (full = 0; full < 2; full++) {
		c = newcase(0, 32, true, full);
		mixed(c, 5, true);
		add(c, c->size, 1000, 0, Z_EROFS_LCLUSTER_TYPE_HEAD1);
		c->size += 1000;
		c->z.frag_len = 1000;
		/* full indexes carry the offset's high half */
		c->z.frag_off = full ? 0x123456789ULL : 0x6789;
		finish(c);
		roundtrip(c);
		freecase(c);
	}
	c = newcase(5000, 32 + 8, false, false);
	c->z.whole_frag = true;
	c->z.frag_len = 5000;
	c->z.frag_off = 0x10000000aULL;
	finish(c);
	roundtrip(c);
	freecase(c);
}

/*
 * 48BIT encoded extents: the record size erofs_wr_zext_len() picks, and
 * what zmap.c reads back for every lcluster of every extent.
 */
static void ext_roundtrip(struct zcase *c, unsigned int want_recsz)
{
	struct erofs_wr_zinfo *z = &c->z;
	const struct erofs_wr_zmeta m = zmeta_of(c);
	struct erofs_z_params p = zparams_of(c, EROFS_INODE_COMPRESSED_FULL,
		EROFS_FEATURE_INCOMPAT_ZERO_PADDING |
		EROFS_FEATURE_INCOMPAT_FRAGMENTS |
		EROFS_FEATURE_INCOMPAT_48BIT);
	unsigned int lg;
	struct erofs_z_inode zi;
	struct erofs_z_map map;
	uint64_t blk = STARTBLK, off;
	size_t i;

	z->alg = Z_EROFS_COMPRESSION_LZ4;
	z->full = true;
	z->meta_len = erofs_wr_zext_len(BITS, c->body, c->size, z, &z->recsz,
					&z->ext_lcbits);
	assert_int_equal(z->recsz, want_recsz);
	lg = z->recsz == 4 ? 0 : z->recsz == 8 ? 1 : z->recsz == 16 ? 2 : 3;
	z->advise = Z_EROFS_ADVISE_EXTENTS |
		    (uint16_t)(lg << Z_EROFS_ADVISE_EXTRECSZ_BIT);
	if (z->frag_len)
		z->advise |= Z_EROFS_ADVISE_FRAGMENT_PCLUSTER;
	memset(c->meta, 0xee, sizeof(c->meta));
	assert_int_equal(erofs_wr_zmeta_encode(&m, c->meta), 0);
	assert_int_equal(erofs_z_inode_init(&zi, &p), 0);
	for (i = 0; i < z->nr_ext; i++) {
		const struct erofs_wr_extent *e = &z->ext[i];
		uint64_t end = EROFS_MIN(e->la + e->llen, c->size);

		for (off = e->la; off < end;
		     off = EROFS_MIN(end, (off | (BS - 1)) + 1)) {
			assert_int_equal(erofs_z_map(&zi, off, &map), 0);
			assert_int_equal(map.la, e->la);
			assert_int_equal(map.llen, end - e->la);
			if (i + 1 == z->nr_ext && z->frag_len) {
				assert_true(map.flags & EROFS_Z_MAP_FRAGMENT);
				assert_int_equal(map.fragment_off, z->frag_off);
				continue;
			}
			assert_int_equal(map.alg,
				e->type == Z_EROFS_LCLUSTER_TYPE_PLAIN ?
				EROFS_Z_ALG_SHIFTED : Z_EROFS_COMPRESSION_LZ4);
			assert_int_equal(!!(map.flags & EROFS_Z_MAP_PARTIAL),
					 e->partial);
			check_pcluster(&map, e, 2, blk);
		}
		if (!e->ref)
			blk += e->pblks;
	}
	erofs_z_inode_release(&zi);
}

static void test_extents(void **state)
{
	static const unsigned int bodies[] = { 32, 32 + 12, 64 + 60 };
	struct zcase *c;
	unsigned int b, k;

	(void)state;
	for (b = 0; b < 3; b++) {
		/* extents of any length: records with their logical start */
		c = newcase(0, bodies[b], true, true);
		mixed(c, 9, true);
		ext_roundtrip(c, 16);
		freecase(c);

		/* 16 KiB each, the last shorter, back to back: one 4-byte
		 * record per 16 KiB lcluster after the first address */
		c = newcase(0, bodies[b], true, true);
		for (k = 0; k < 7; k++)
			add(c, (uint64_t)k * 4 * BS, 4 * BS, 1 + k % 2,
			    Z_EROFS_LCLUSTER_TYPE_HEAD1);
		add(c, 28ULL * BS, BS + 5, 1, Z_EROFS_LCLUSTER_TYPE_PLAIN);
		c->size = 29ULL * BS + 5;
		ext_roundtrip(c, 4);
		freecase(c);
	}
	/* shared pclusters, one in part */
	c = newcase(0, 32, true, true);
	mixed(c, 9, true);
	c->z.ext[3].ref = 1;
	c->z.zblocks -= c->z.ext[3].pblks;
	c->z.ext[6].ref = 2;
	c->z.ext[6].partial = true;
	c->z.zblocks -= c->z.ext[6].pblks;
	ext_roundtrip(c, 16);
	freecase(c);
	/* a fragment tail, its offset past 4 GiB */
	c = newcase(0, 32, true, true);
	mixed(c, 5, true);
	add(c, c->size, 1000, 0, Z_EROFS_LCLUSTER_TYPE_HEAD1);
	c->size += 1000;
	c->z.frag_len = 1000;
	c->z.frag_off = 0x123456789ULL;
	ext_roundtrip(c, 16);
	freecase(c);
	/* an inline tail: not possible */
	c = newcase(0, 32, true, true);
	mixed(c, 3, true);
	c->z.inl_len = 100;
	assert_int_equal(erofs_wr_zext_len(BITS, 32, c->size, &c->z,
					   &c->z.recsz, &c->z.ext_lcbits), 0);
	assert_int_equal(c->z.recsz, 0);
	freecase(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_full_shared),
		cmocka_unit_test(test_inline_tail),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_extents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
