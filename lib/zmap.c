// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zmap.c - logical offset -> extent mapping for compressed inodes (see
 * erofs/zmap.h and format.md section 7).
 *
 * Indexes are read straight through the caller's read_meta callback, one
 * index (FULL) or one pack (COMPACT) at a time: the structures never cross
 * a block, and reading just what is needed avoids any assumption about how
 * large the meta space is.  The session keeps the last pack decoded, the
 * blocks of its heads and the end of the last extent mapped (never what a
 * failed read or walk left), as fsck maps every lcluster of an extent.  Every lookback strictly decreases the lcluster
 * number and every forward scan strictly increases it up to i_size, so no
 * crafted index table can make a loop run longer than the file.
 */
#include <stdlib.h>
#include <string.h>
#include "erofs/erofs_fs.h"
#include "erofs/zmap.h"

/* one decoded lcluster index */
struct zlc {
	unsigned int type;		/* Z_EROFS_LCLUSTER_TYPE_* */
	unsigned int clusterofs;	/* HEAD/PLAIN */
	uint64_t delta0;		/* NONHEAD: lclusters back to the head */
	uint32_t cblkcnt;		/* NONHEAD with CBLKCNT, else 0 */
	bool has_cblkcnt;
	uint64_t pblk;			/* HEAD/PLAIN: pcluster start block */
	bool partial;			/* FULL: PARTIAL_REF */
	bool hole;			/* FULL: HOLE (Linux 7.2) */
};

#define NO_LCN	UINT64_MAX	/* a map header problem, not an index's */

/* the one writer of zi->fault (decompress.c: extent_fail) */
static int zfail(struct erofs_z_inode *zi, enum erofs_z_fault fault,
		 const char *what, uint64_t lcn)
{
	int err = fault == EROFS_Z_FAULT_UNBUILT ? -EOPNOTSUPP : -EFSCORRUPTED;

	zi->fault = fault;
	if (lcn == NO_LCN)
		erofs_err(zi->p.log, "nid %llu: %s",
			  (unsigned long long)zi->p.nid, what);
	else
		erofs_err(zi->p.log, "nid %llu: %s (lcluster %llu)",
			  (unsigned long long)zi->p.nid, what,
			  (unsigned long long)lcn);
	return err;
}

/*
 * An extent's algorithm must be one the superblock declares (the kernel:
 * "inconsistent algorithmtype", EFSCORRUPTED), whatever this build knows;
 * a declared one that no reader here knows is a newer format: unsupported.
 */
static int check_alg(struct erofs_z_inode *zi, unsigned int alg,
		     uint64_t lcn)
{
	const struct erofs_z_params *p = &zi->p;
	unsigned int avail = (p->feature_incompat &
			      EROFS_FEATURE_INCOMPAT_COMPR_CFGS) ?
		p->available_compr_algs : 1U << Z_EROFS_COMPRESSION_LZ4;

	if (alg >= 16 || !(avail & (1U << alg)))
		return zfail(zi, EROFS_Z_FAULT_ALGORITHM,
			     "algorithm not declared by the superblock", lcn);
	if (alg >= Z_EROFS_COMPRESSION_MAX)
		return zfail(zi, EROFS_Z_FAULT_UNBUILT,
			     "unknown compression algorithm", lcn);
	return 0;
}

static bool zi_big(const struct erofs_z_inode *zi)
{
	return zi->advise & (Z_EROFS_ADVISE_BIG_PCLUSTER_1 |
			     Z_EROFS_ADVISE_BIG_PCLUSTER_2);
}

static int load_full(struct erofs_z_inode *zi, uint64_t lcn, struct zlc *m)
{
	struct z_erofs_lcluster_index di;
	unsigned int advise;
	int ret;

	ret = zi->p.read_meta(zi->p.priv, &di, sizeof(di),
			      zi->index_pos + lcn * sizeof(di));
	if (ret)
		return ret;
	memset(m, 0, sizeof(*m));
	advise = erofs_le16(di.di_advise);
	m->type = advise & Z_EROFS_LI_LCLUSTER_TYPE_MASK;
	if (m->type == Z_EROFS_LCLUSTER_TYPE_NONHEAD) {
		unsigned int d0 = erofs_le16(di.di_u.delta[0]);

		if (d0 & Z_EROFS_LI_D0_CBLKCNT) {
			if (!zi_big(zi))
				return zfail(zi, EROFS_Z_FAULT_INDEX,
					"CBLKCNT without big pcluster", lcn);
			m->has_cblkcnt = true;
			m->cblkcnt = d0 & ~Z_EROFS_LI_D0_CBLKCNT;
			d0 = 1;
		}
		m->delta0 = d0;
		return 0;
	}
	m->partial = advise & Z_EROFS_LI_PARTIAL_REF;
	m->hole = advise & Z_EROFS_LI_HOLE;
	m->clusterofs = erofs_le16(di.di_clusterofs);
	m->pblk = erofs_le32(di.di_u.blkaddr);
	return 0;
}

/* entry k of a compact pack: low lobits bits = lo, next 2 bits = type */
static unsigned int compact_entry(const uint8_t *pack, unsigned int ebits,
				  unsigned int lobits, unsigned int k,
				  unsigned int *type)
{
	unsigned int bit = k * ebits;
	uint32_t v = (uint32_t)pack[bit / 8] | (uint32_t)pack[bit / 8 + 1] << 8 |
		     (uint32_t)pack[bit / 8 + 2] << 16 |
		     (uint32_t)pack[bit / 8 + 3] << 24;

	v >>= bit & 7;
	*type = (v >> lobits) & 3;
	return v & ((1U << lobits) - 1);
}

/* where lcn's entry lives: pack start, pack bytes, entries per pack, k */
static void compact_locate(const struct erofs_z_inode *zi, uint64_t lcn,
			   uint64_t *pack_pos, unsigned int *packsz,
			   unsigned int *vcnt, unsigned int *k)
{
	uint64_t pos = zi->index_pos;
	unsigned int esz;	/* amortized bytes per entry */

	if (lcn < zi->compact_4b_init) {
		esz = 4;
	} else {
		pos += zi->compact_4b_init * 4ULL;
		lcn -= zi->compact_4b_init;
		if (lcn < zi->compact_2b) {
			esz = 2;
		} else {
			pos += zi->compact_2b * 2;
			lcn -= zi->compact_2b;
			esz = 4;
		}
	}
	pos += lcn * esz;
	*vcnt = esz == 4 ? 2 : 16;
	*packsz = *vcnt * esz;
	/* regions start aligned to their pack size (format.md 7.7) */
	*pack_pos = pos - pos % *packsz;
	*k = (unsigned int)(pos - *pack_pos) / esz;
}

/* read the pack at pack_pos into zi and decode its entries once */
static int pack_load(struct erofs_z_inode *zi, uint64_t pack_pos,
		     unsigned int packsz, unsigned int vcnt)
{
	uint8_t raw[32];
	unsigned int ebits = (packsz - 4) * 8 / vcnt, k, type;
	unsigned int lobits = EROFS_MAX(zi->lclusterbits, 12U);
	int ret;

	if (zi->pack_pos1 == pack_pos + 1 && zi->pack_len == packsz)
		return 0;
	zi->pack_pos1 = 0;
	ret = zi->p.read_meta(zi->p.priv, raw, packsz, pack_pos);
	if (ret)
		return ret;
	for (k = 0; k < vcnt; k++) {
		zi->pack_lo[k] = (uint16_t)compact_entry(raw, ebits, lobits, k,
							 &type);
		zi->pack_type[k] = (uint8_t)type;
	}
	zi->pack_base = (uint32_t)(raw[packsz - 4] | raw[packsz - 3] << 8 |
				   raw[packsz - 2] << 16 |
				   (uint32_t)raw[packsz - 1] << 24);
	zi->pack_blk_known = 0;
	zi->pack_pos1 = pack_pos + 1;
	zi->pack_len = packsz;
	return 0;
}

/*
 * The block of the HEAD at entry k of the loaded pack: the pack stores
 * one base block, plus the blocks of the pclusters before it in this
 * pack, found by walking back over the entries (the kernel's rule,
 * format.md 7.7).  Remembered per entry: fsck maps each lcluster of an
 * extent, and each mapping comes back to its head.
 */
static int pack_head_blk(struct erofs_z_inode *zi, uint64_t lcn,
			 unsigned int k, uint64_t *blk)
{
	const uint8_t *type = zi->pack_type;
	const uint16_t *lo = zi->pack_lo;
	uint64_t nblk;
	int j;

	if (zi->pack_blk_known & (1U << k)) {
		*blk = zi->pack_blk[k];
		return 0;
	}
	if (!zi_big(zi)) {
		nblk = 1;
		for (j = (int)k; j > 0; ) {
			j--;
			if (type[j] == Z_EROFS_LCLUSTER_TYPE_NONHEAD)
				j -= (int)lo[j];
			if (j >= 0)
				nblk++;
		}
	} else {
		nblk = 0;
		for (j = (int)k; j > 0; ) {
			j--;
			if (type[j] != Z_EROFS_LCLUSTER_TYPE_NONHEAD) {
				nblk++;
				continue;
			}
			if (lo[j] & Z_EROFS_LI_D0_CBLKCNT) {
				nblk += lo[j] & ~Z_EROFS_LI_D0_CBLKCNT;
				j--;	/* skip the head it belongs to */
				continue;
			}
			if (lo[j] <= 1)
				return zfail(zi, EROFS_Z_FAULT_INDEX,
					"big pcluster head without CBLKCNT",
					lcn);
			j -= (int)lo[j] - 2;	/* land after its CBLKCNT */
		}
	}
	*blk = zi->pack_base + nblk;
	zi->pack_blk[k] = *blk;
	zi->pack_blk_known |= 1U << k;
	return 0;
}

static int load_compact(struct erofs_z_inode *zi, uint64_t lcn, struct zlc *m)
{
	uint64_t pack_pos;
	unsigned int packsz, vcnt, k, type, lo;
	bool big = zi_big(zi);
	int ret;

	compact_locate(zi, lcn, &pack_pos, &packsz, &vcnt, &k);
	/* the kernel decodes 2-byte packs for lclusters up to 4 KiB only */
	if (vcnt == 16 && zi->lclusterbits > 12)
		return zfail(zi, EROFS_Z_FAULT_HEADER,
			     "2-byte compact indexes with lclusters over 4 KiB",
			     lcn);
	ret = pack_load(zi, pack_pos, packsz, vcnt);
	if (ret)
		return ret;
	memset(m, 0, sizeof(*m));
	lo = zi->pack_lo[k];
	type = zi->pack_type[k];
	m->type = type;
	if (type == Z_EROFS_LCLUSTER_TYPE_NONHEAD) {
		if (lo & Z_EROFS_LI_D0_CBLKCNT) {
			if (!big)
				return zfail(zi, EROFS_Z_FAULT_INDEX,
					"CBLKCNT without big pcluster", lcn);
			m->has_cblkcnt = true;
			m->cblkcnt = lo & ~Z_EROFS_LI_D0_CBLKCNT;
			m->delta0 = 1;
		} else if (k + 1 < vcnt) {
			m->delta0 = lo;
		} else {
			/*
			 * The last entry of a pack stores delta1; its delta0
			 * follows from the entry before it.
			 */
			lo = zi->pack_lo[k - 1];
			if (zi->pack_type[k - 1] != Z_EROFS_LCLUSTER_TYPE_NONHEAD)
				lo = 0;
			else if (lo & Z_EROFS_LI_D0_CBLKCNT)
				lo = 1;
			m->delta0 = lo + 1ULL;
		}
		return 0;
	}
	m->clusterofs = lo;
	return pack_head_blk(zi, lcn, k, &m->pblk);
}

static int load_lcn(struct erofs_z_inode *zi, uint64_t lcn, struct zlc *m)
{
	int ret;

	if (lcn >= zi->nlclusters)
		return zfail(zi, EROFS_Z_FAULT_INDEX, "index beyond i_size", lcn);
	if (zi->p.datalayout == EROFS_INODE_COMPRESSED_FULL)
		ret = load_full(zi, lcn, m);
	else
		ret = load_compact(zi, lcn, m);
	if (ret)
		return ret;
	if (m->type != Z_EROFS_LCLUSTER_TYPE_NONHEAD &&
	    m->clusterofs >= (1U << zi->lclusterbits))
		return zfail(zi, EROFS_Z_FAULT_INDEX, "clusterofs beyond lcluster",
			     lcn);
	return 0;
}

#define NO_CBLK	UINT64_MAX

/*
 * Find the head lcluster of the extent holding logical offset off.  The
 * kernel remembers the block count of any CBLKCNT lcluster it loads on
 * the way (the one holding off, or one it looks back through) and takes
 * it as the pcluster's size instead of reading the head's next lcluster;
 * a HOLE head holding off counts as 0 blocks, so the extent before it
 * (when off lies before its clusterofs) reads as a hole too (Linux 7.2).
 * *cblk is that count (NO_CBLK if none), so that a read starting there
 * maps as the kernel maps it.
 */
static int find_head(struct erofs_z_inode *zi, uint64_t off, uint64_t *hlcn,
		     struct zlc *m, uint64_t *cblk)
{
	uint64_t lcn = off >> zi->lclusterbits;
	unsigned int ofs = off & ((1U << zi->lclusterbits) - 1);
	uint64_t back, seen = NO_CBLK;
	int ret;

	ret = load_lcn(zi, lcn, m);
	if (ret)
		return ret;
	if (m->has_cblkcnt)
		seen = m->cblkcnt;
	else if (m->hole)
		seen = 0;	/* a HOLE head's 0 blocks, the same way */
	if (m->type != Z_EROFS_LCLUSTER_TYPE_NONHEAD) {
		if (ofs >= m->clusterofs) {
			*hlcn = lcn;
			if (cblk)
				*cblk = seen;
			return 0;
		}
		/* off lies before this head: the previous extent has it */
		if (!lcn)
			return zfail(zi, EROFS_Z_FAULT_INDEX,
				     "invalid logical cluster 0", 0);
		back = 1;
	} else {
		back = m->delta0;
	}
	for (;;) {
		if (!back || back > lcn)
			return zfail(zi, EROFS_Z_FAULT_INDEX,
				     "bogus lookback distance", lcn);
		lcn -= back;
		ret = load_lcn(zi, lcn, m);
		if (ret)
			return ret;
		if (m->type != Z_EROFS_LCLUSTER_TYPE_NONHEAD)
			break;
		if (m->has_cblkcnt)
			seen = m->cblkcnt;
		back = m->delta0;
	}
	*hlcn = lcn;
	if (cblk)
		*cblk = seen;
	return 0;
}

/* end of the extent whose head is at hlcn: the next head, or i_size */
static int find_end(struct erofs_z_inode *zi, uint64_t hlcn, uint64_t *end)
{
	uint64_t lcn;
	struct zlc m;
	int ret;

	if (zi->end_hlcn1 == hlcn + 1) {
		*end = zi->end_la;
		return 0;
	}
	for (lcn = hlcn + 1; ; lcn++) {
		if ((lcn << zi->lclusterbits) >= zi->p.i_size) {
			*end = zi->p.i_size;
			break;
		}
		ret = load_lcn(zi, lcn, &m);
		if (ret)
			return ret;
		if (m.type != Z_EROFS_LCLUSTER_TYPE_NONHEAD) {
			*end = EROFS_MIN((lcn << zi->lclusterbits) +
					 m.clusterofs, zi->p.i_size);
			break;
		}
	}
	zi->end_hlcn1 = hlcn + 1;
	zi->end_la = *end;
	return 0;
}

/*
 * pcluster size in blocks of the head at hlcn (format.md 7.6 step 5); 0
 * is a hole (Linux 7.2): a big pcluster whose CBLKCNT is 0, which kernels
 * before 7.2 took as 1 block.  (A FULL head's HOLE bit: erofs_z_map.)
 */
static int pcluster_blocks(struct erofs_z_inode *zi, uint64_t hlcn,
			   unsigned int type, uint64_t *blocks)
{
	struct zlc m;
	bool big;
	int ret;

	if (type == Z_EROFS_LCLUSTER_TYPE_HEAD1)
		big = zi->advise & Z_EROFS_ADVISE_BIG_PCLUSTER_1;
	else
		big = zi->advise & Z_EROFS_ADVISE_BIG_PCLUSTER_2;
	*blocks = 1;
	if (!big || ((hlcn + 1) << zi->lclusterbits) >= zi->p.i_size)
		return 0;
	ret = load_lcn(zi, hlcn + 1, &m);
	if (ret)
		return ret;
	if (m.type != Z_EROFS_LCLUSTER_TYPE_NONHEAD)
		return 0;	/* the next extent starts right away */
	/* the kernel insists on a CBLKCNT right after a big-pcluster head */
	if (m.delta0 != 1)
		return zfail(zi, EROFS_Z_FAULT_INDEX, "bogus CBLKCNT", hlcn + 1);
	if (!m.has_cblkcnt)
		return zfail(zi, EROFS_Z_FAULT_INDEX, "cannot find CBLKCNT", hlcn + 1);
	*blocks = m.cblkcnt;
	return 0;
}

int erofs_z_inode_init(struct erofs_z_inode *zi,
		       const struct erofs_z_params *p)
{
	struct z_erofs_map_header h;
	uint64_t hpos, nblocks, hlcn, bs;
	uint8_t raw[8];
	struct zlc m;
	unsigned int nib;
	int ret;

	memset(zi, 0, sizeof(*zi));
	zi->p = *p;
	erofs_decompress_ctx_init(&zi->own_dctx);
	if (p->blkszbits < EROFS_MIN_BLKSZBITS || p->blkszbits > 16 ||
	    !p->read_meta || !p->read_data)
		return -EINVAL;
	if (p->datalayout != EROFS_INODE_COMPRESSED_FULL &&
	    p->datalayout != EROFS_INODE_COMPRESSED_COMPACT)
		return -EINVAL;
	if (p->i_size > (UINT64_MAX >> 1))
		return zfail(zi, EROFS_Z_FAULT_HEADER, "negative i_size", NO_LCN);
	bs = 1ULL << p->blkszbits;
	if (!p->i_size)
		return 0;	/* nothing to map; the header may be absent */

	hpos = EROFS_ROUND_UP(p->inode_end, 8);
	ret = p->read_meta(p->priv, raw, sizeof(raw), hpos);
	if (ret)
		return ret;
	memcpy(&h, raw, sizeof(h));
	/*
	 * Whole file in the packed inode: one le64 with bit 63 set (mkfs
	 * uses the FULL layout, but the header decides, as in the kernel).
	 */
	if (h.h_clusterbits >> Z_EROFS_FRAGMENT_INODE_BIT) {
		uint64_t v = 0;
		int i;

		for (i = 7; i >= 0; i--)
			v = v << 8 | raw[i];
		zi->whole_fragment = true;
		zi->fragment_off = v & ~(1ULL << 63);
		zi->lclusterbits = p->blkszbits;
		goto check_fragments;
	}
	zi->advise = erofs_le16(h.h_advise);
	zi->lclusterbits = p->blkszbits + (h.h_clusterbits & 15);

	if (p->datalayout == EROFS_INODE_COMPRESSED_FULL &&
	    (zi->advise & Z_EROFS_ADVISE_EXTENTS)) {
		/*
		 * Encoded extents: no algorithm nibbles (each record names
		 * its format); bytes 0..3 and 6..7 count the records.
		 */
		zi->extents = true;
		zi->recsz = 4U << ((zi->advise >> Z_EROFS_ADVISE_EXTRECSZ_BIT) &
				   Z_EROFS_ADVISE_EXTRECSZ_MASK);
		zi->nextents = erofs_le32(h.h_extents_lo) |
			       (uint64_t)(raw[6] | raw[7] << 8) << 32;
		zi->ext_pos = EROFS_ROUND_UP(hpos + 8, zi->recsz);
		if (zi->lclusterbits > 30)
			return zfail(zi, EROFS_Z_FAULT_HEADER, "lcluster too large",
				     NO_LCN);
		if ((zi->advise & Z_EROFS_ADVISE_FRAGMENT_PCLUSTER) &&
		    !(p->feature_incompat & EROFS_FEATURE_INCOMPAT_FRAGMENTS))
			return zfail(zi, EROFS_Z_FAULT_HEADER,
				     "fragment without the FRAGMENTS feature",
				     NO_LCN);
		return 0;
	}
	/*
	 * Both nibbles, used or not: kernels refuse an id past ZSTD when
	 * loading the header, or take 4 and 5 for their internal plain
	 * formats and misread the file.
	 */
	zi->algs[0] = h.h_algorithmtype & 15;
	zi->algs[1] = h.h_algorithmtype >> 4;
	for (nib = 0; nib < 2; nib++) {
		if (zi->algs[nib] < Z_EROFS_COMPRESSION_MAX)
			continue;
		ret = check_alg(zi, zi->algs[nib], NO_LCN);
		if (ret)
			return ret;
	}
	if (zi_big(zi) &&
	    !(p->feature_incompat & EROFS_FEATURE_INCOMPAT_BIG_PCLUSTER))
		return zfail(zi, EROFS_Z_FAULT_HEADER,
			     "per-inode big pcluster without sb feature",
			     NO_LCN);
	if (p->datalayout == EROFS_INODE_COMPRESSED_COMPACT) {
		if (!(zi->advise & Z_EROFS_ADVISE_BIG_PCLUSTER_1) !=
		    !(zi->advise & Z_EROFS_ADVISE_BIG_PCLUSTER_2))
			return zfail(zi, EROFS_Z_FAULT_HEADER,
				     "inconsistent big pcluster bits of compact indexes",
				     NO_LCN);
		/* (2-byte packs have their own limit: load_compact) */
		if (zi->lclusterbits > 14)
			return zfail(zi, EROFS_Z_FAULT_HEADER,
				     "lcluster too large for compact indexes",
				     NO_LCN);
	}

	zi->nlclusters = EROFS_DIV_ROUND_UP(p->i_size, 1ULL << zi->lclusterbits);
	if (p->datalayout == EROFS_INODE_COMPRESSED_FULL) {
		zi->index_pos = hpos + 16;
	} else {
		zi->index_pos = hpos + 8;
		/* the kernel sizes the regions by blocks, not lclusters */
		nblocks = EROFS_DIV_ROUND_UP(p->i_size, bs);
		zi->compact_4b_init = ((32 - zi->index_pos % 32) / 4) & 7;
		if ((zi->advise & Z_EROFS_ADVISE_COMPACTED_2B) &&
		    zi->compact_4b_init < nblocks)
			zi->compact_2b = (nblocks - zi->compact_4b_init) / 16 * 16;
	}

	if (zi->advise & Z_EROFS_ADVISE_FRAGMENT_PCLUSTER) {
		zi->tail_fragment = true;
		zi->fragment_off = erofs_le32(h.h_fragmentoff);
	} else if (zi->advise & Z_EROFS_ADVISE_INLINE_PCLUSTER) {
		/* as in the kernel, no inline bytes means no inline tail */
		zi->idata_size = erofs_le16(h.h_idata_size);
		zi->tail_inline = zi->idata_size != 0;
	}
	if (!zi->tail_fragment && !zi->tail_inline)
		return 0;
	if (zi->tail_fragment &&
	    !(p->feature_incompat & EROFS_FEATURE_INCOMPAT_FRAGMENTS))
		return zfail(zi, EROFS_Z_FAULT_HEADER,
			     "fragment without the FRAGMENTS feature", NO_LCN);

	/* locate the last extent, and what follows the last index */
	ret = find_head(zi, p->i_size - 1, &hlcn, &m, NULL);
	if (ret)
		return ret;
	zi->tail_head_lcn = hlcn;
	if (p->datalayout == EROFS_INODE_COMPRESSED_FULL) {
		zi->idata_pos = zi->index_pos + zi->nlclusters * 8;
		/* FULL indexes keep the fragment offset's high half */
		if (zi->tail_fragment)
			zi->fragment_off |= m.pblk << 32;
	} else {
		uint64_t pack_pos;
		unsigned int packsz, vcnt, k;

		compact_locate(zi, zi->nlclusters - 1, &pack_pos, &packsz,
			       &vcnt, &k);
		zi->idata_pos = pack_pos + packsz;
	}
	if (zi->tail_inline && zi->idata_pos % bs + zi->idata_size > bs)
		return zfail(zi, EROFS_Z_FAULT_HEADER,
			     "ztailpacking inline data across blocks", hlcn);
	return 0;

check_fragments:
	if (!(p->feature_incompat & EROFS_FEATURE_INCOMPAT_FRAGMENTS))
		return zfail(zi, EROFS_Z_FAULT_HEADER,
			     "fragment without the FRAGMENTS feature", NO_LCN);
	return 0;
}

void erofs_z_inode_release(struct erofs_z_inode *zi)
{
	if (!zi)
		return;
	free(zi->ext_buf);
	zi->ext_buf = NULL;
	zi->ext_cap = 0;
	zi->ext_valid = false;
	erofs_decompress_ctx_release(&zi->own_dctx);
}

#define EXT_PLEN_MASK		((EROFS_Z_PCLUSTER_MAX << 1) - 1)
#define EXT_PLEN_PARTIAL	(1U << 27)
#define EXT_PLEN_FMT_BIT	28

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Encoded extents (format.md 7.14).  Small records (4 or 8 bytes) describe
 * one lcluster each; large ones (16 or 32 bytes) carry their logical start
 * and are sorted by it, so the extent holding off is found by bisection
 * and ends where the next record starts (or at i_size).
 */
static int map_extents(struct erofs_z_inode *zi, uint64_t off,
		       struct erofs_z_map *map)
{
	const struct erofs_z_params *p = &zi->p;
	uint64_t lsz = 1ULL << zi->lclusterbits;
	uint64_t lstart, lend = p->i_size, pa = 0, l;
	uint32_t plen = 0, fmt;
	uint8_t rec[32];
	bool last, found = true;
	int ret;

	if (zi->recsz <= 8) {
		uint64_t pos = zi->ext_pos;

		if (zi->recsz == 4) {
			/* a le64 byte address, then plens laid end to end */
			uint64_t run;

			/*
			 * Physical starts are a running sum, so resume from
			 * the last lcluster mapped when reading forward.
			 */
			if (zi->r4_pos && zi->r4_l <= off) {
				l = zi->r4_l;
				pos = zi->r4_pos;
				run = zi->r4_run;
			} else {
				ret = p->read_meta(p->priv, rec, 8, pos);
				if (ret)
					return ret;
				run = get_le32(rec) |
				      (uint64_t)get_le32(rec + 4) << 32;
				pos += 8;
				l = 0;
			}
			for (; l <= off; l += lsz) {
				zi->r4_l = l;
				zi->r4_pos = pos;
				zi->r4_run = run;
				ret = p->read_meta(p->priv, rec, 4, pos);
				if (ret)
					return ret;
				plen = get_le32(rec);
				pa = run;
				run += plen & EXT_PLEN_MASK;
				pos += 4;
			}
		} else {
			l = off & ~(lsz - 1);
			ret = p->read_meta(p->priv, rec, 8,
					   pos + (l >> zi->lclusterbits) * 8);
			if (ret)
				return ret;
			plen = get_le32(rec);
			pa = get_le32(rec + 4);
			l += lsz;
		}
		last = l >= EROFS_ROUND_UP(p->i_size, lsz);
		lend = EROFS_MIN(l, p->i_size);
		lstart = l - lsz;
	} else {
		uint64_t lo = 0, hi = zi->nextents, mid, la;

		lstart = lend;
		found = false;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			ret = p->read_meta(p->priv, rec,
					   zi->recsz > 16 ? 20 : 16,
					   zi->ext_pos + mid * zi->recsz);
			if (ret)
				return ret;
			la = get_le32(rec + 12);
			if (zi->recsz > 16)
				la |= (uint64_t)get_le32(rec + 16) << 32;
			if (la > off) {
				if (la > lend)
					return zfail(zi, EROFS_Z_FAULT_INDEX,
						     "unsorted extent records",
						     mid);
				hi = mid;
				lend = la;
			} else {
				lo = mid + 1;
				if (la == off)	/* only the next one matters */
					hi = EROFS_MIN(lo + 1, hi);
				lstart = la;
				plen = get_le32(rec);
				pa = get_le32(rec + 4) |
				     (uint64_t)get_le32(rec + 8) << 32;
				found = true;
			}
		}
		last = lo >= zi->nextents;
	}

	if (!found || lstart >= lend || off >= lend) {
		/* before the first record: unmapped, reads as zeros */
		map->la = off;
		map->llen = lend > off ? lend - off : 1;
		map->flags = EROFS_Z_MAP_HOLE;
		return 0;
	}
	map->la = lstart;
	map->llen = lend - lstart;
	map->head_lcn = lstart >> zi->lclusterbits;
	if (last && (zi->advise & Z_EROFS_ADVISE_FRAGMENT_PCLUSTER)) {
		map->flags = EROFS_Z_MAP_FRAGMENT;
		map->fragment_off = plen;
		if (zi->recsz > 4)
			map->fragment_off |= pa << 32;
		return 0;
	}
	if (!(plen & EXT_PLEN_MASK)) {
		map->flags = EROFS_Z_MAP_HOLE;
		return 0;
	}
	fmt = plen >> EXT_PLEN_FMT_BIT;
	if (!fmt) {
		map->alg = (zi->advise & Z_EROFS_ADVISE_INTERLACED_PCLUSTER) &&
			   !(pa & ((1ULL << p->blkszbits) - 1)) ?
			   EROFS_Z_ALG_INTERLACED : EROFS_Z_ALG_SHIFTED;
	} else {
		map->alg = fmt - 1;
		ret = check_alg(zi, map->alg, map->head_lcn);
		if (ret)
			return ret;
	}
	if (plen & EXT_PLEN_PARTIAL)
		map->flags |= EROFS_Z_MAP_PARTIAL;
	map->pa = pa;
	map->plen = plen & EXT_PLEN_MASK;
	if (map->plen > EROFS_Z_PCLUSTER_MAX || map->llen > EROFS_Z_EXTENT_MAX)
		return zfail(zi, EROFS_Z_FAULT_INDEX, "extent too large",
			     map->head_lcn);
	if (pa + map->plen < pa || ((pa + map->plen) >> p->blkszbits) >> 48)
		return zfail(zi, EROFS_Z_FAULT_INDEX,
			     "pcluster beyond 48-bit addresses", map->head_lcn);
	return 0;
}

int erofs_z_map(struct erofs_z_inode *zi, uint64_t off,
		struct erofs_z_map *map)
{
	const struct erofs_z_params *p = &zi->p;
	uint64_t hlcn, end, blocks, cblk;
	struct zlc m;
	int ret;

	memset(map, 0, sizeof(*map));
	zi->fault = EROFS_Z_FAULT_NONE;
	if (off >= p->i_size)
		return -EINVAL;
	if (zi->whole_fragment) {
		map->la = 0;
		map->llen = p->i_size;
		map->flags = EROFS_Z_MAP_FRAGMENT;
		map->fragment_off = zi->fragment_off;
		return 0;
	}
	if (zi->extents)
		return map_extents(zi, off, map);
	/*
	 * A tail fragment whose extent starts in lcluster 0 is the whole
	 * file: the kernel maps every offset to the fragment from offset
	 * 0, whatever that head's clusterofs says.
	 */
	if (zi->tail_fragment && !zi->tail_head_lcn) {
		map->la = 0;
		map->llen = p->i_size;
		map->flags = EROFS_Z_MAP_FRAGMENT;
		map->fragment_off = zi->fragment_off;
		return 0;
	}
	ret = find_head(zi, off, &hlcn, &m, &cblk);
	if (ret)
		return ret;
	map->head_lcn = hlcn;
	map->head_type = m.type;
	map->la = (hlcn << zi->lclusterbits) + m.clusterofs;
	ret = find_end(zi, hlcn, &end);
	if (ret)
		return ret;
	if (end <= off || end <= map->la)
		return zfail(zi, EROFS_Z_FAULT_INDEX, "empty extent", hlcn);
	map->llen = end - map->la;

	if (zi->tail_fragment && hlcn == zi->tail_head_lcn) {
		map->flags = EROFS_Z_MAP_FRAGMENT;
		map->fragment_off = zi->fragment_off;
		return 0;
	}
	if (map->llen > EROFS_Z_EXTENT_MAX)
		return zfail(zi, EROFS_Z_FAULT_INDEX, "decoded extent exceeds 12 MiB",
			     hlcn);

	switch (m.type) {
	case Z_EROFS_LCLUSTER_TYPE_PLAIN:
		map->alg = (zi->advise & Z_EROFS_ADVISE_INTERLACED_PCLUSTER) ?
			   EROFS_Z_ALG_INTERLACED : EROFS_Z_ALG_SHIFTED;
		break;
	case Z_EROFS_LCLUSTER_TYPE_HEAD1:
	case Z_EROFS_LCLUSTER_TYPE_HEAD2:
		map->alg = zi->algs[m.type == Z_EROFS_LCLUSTER_TYPE_HEAD2];
		ret = check_alg(zi, map->alg, hlcn);
		if (ret)
			return ret;
		break;
	default:
		return zfail(zi, EROFS_Z_FAULT_INDEX, "unknown lcluster type", hlcn);
	}
	if (m.partial)
		map->flags |= EROFS_Z_MAP_PARTIAL;

	if (zi->tail_inline && hlcn == zi->tail_head_lcn) {
		map->flags |= EROFS_Z_MAP_INLINE;
		map->pa = zi->idata_pos;
		map->plen = zi->idata_size;
		return 0;
	}
	if (m.hole) {
		blocks = 0;
	} else if (cblk != NO_CBLK) {
		/* see find_head: equal to the real count in a sound index */
		blocks = cblk;
	} else {
		ret = pcluster_blocks(zi, hlcn, m.type, &blocks);
		if (ret)
			return ret;
	}
	if (!blocks) {
		map->flags = EROFS_Z_MAP_HOLE;
		return 0;
	}
	if (blocks > 1)
		map->flags |= EROFS_Z_MAP_BIG;
	if ((blocks << p->blkszbits) > EROFS_Z_PCLUSTER_MAX)
		return zfail(zi, EROFS_Z_FAULT_INDEX, "pcluster exceeds 1 MiB", hlcn);
	map->pa = m.pblk << p->blkszbits;
	map->plen = (uint32_t)(blocks << p->blkszbits);
	/*
	 * More encoded than decoded bytes: Linux refuses such a whole
	 * extent ("too much compressed data"), but for the last one, which
	 * erofs-utils may write so when its tail cannot be inlined.
	 */
	if (map->alg < Z_EROFS_COMPRESSION_MAX &&
	    !(map->flags & EROFS_Z_MAP_PARTIAL) && map->llen < map->plen &&
	    map->la + map->llen < p->i_size)
		return zfail(zi, EROFS_Z_FAULT_INDEX,
			     "more compressed than decoded bytes", hlcn);
	return 0;
}
