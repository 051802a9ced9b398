// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zindex.c - the on-disk index of a compressed inode: map header, compact
 * (4B/2B packs) and full lcluster indexes (format.md 7.2, 7.5-7.7).  The
 * mirror of zmap.c, which decodes them.  Pure: it turns one inode's
 * extents and block addresses into bytes, so it is unit-tested against
 * zmap.c without building an image (tests/unit/test_zindex.c).
 */
#include <stdlib.h>
#include <string.h>
#include "writer_internal.h"

unsigned int erofs_wr_zmeta_len(unsigned int blkszbits, unsigned int body,
				uint64_t size, bool whole_frag, bool full)
{
	uint64_t n = EROFS_DIV_ROUND_UP(size, 1ULL << blkszbits);
	unsigned int pad = EROFS_ROUND_UP(body, 8) - body;
	unsigned int ebase, init4;
	uint64_t n2 = 0, rest, len;

	if (whole_frag)		/* the 8-byte header alone */
		return pad + 8;
	if (full)
		return pad + 16 + (unsigned int)(8 * n);
	/* inodes start on 32-byte slots, so ebase % 32 is known now */
	ebase = EROFS_ROUND_UP(body, 8) + 8;
	init4 = ((32 - ebase % 32) / 4) & 7;
	if (n <= init4)
		return pad + 8 + (unsigned int)(4 * EROFS_ROUND_UP(n, 2));
	n2 = (n - init4) / 16 * 16;
	rest = n - init4 - n2;
	len = 4ULL * init4 + 2 * n2 + 4 * EROFS_ROUND_UP(rest, 2);
	return pad + 8 + (unsigned int)len;
}

unsigned int erofs_wr_zext_len(unsigned int blkszbits, unsigned int body,
			       uint64_t size, const struct erofs_wr_zinfo *z,
			       uint8_t *recsz, uint8_t *lcbits)
{
	unsigned int hstart = EROFS_ROUND_UP(body, 8), bits = 0, rs;
	bool contiguous = true;
	size_t i;

	*recsz = 0;
	*lcbits = 0;
	if (!z->nr_ext || z->whole_frag || z->inl_len || z->inlined)
		return 0;
	/* records of one lcluster each, if all but the last extent are
	 * 2^bits long (bits at least the block size's) */
	while ((1ULL << bits) < z->ext[0].llen)
		bits++;
	if (bits < blkszbits)
		bits = blkszbits;
	for (i = 0; i < z->nr_ext; i++) {
		const struct erofs_wr_extent *e = &z->ext[i];

		if (e->ref || !e->pblks)	/* shared, or the fragment */
			contiguous = false;
		if (e->llen != 1ULL << bits &&
		    (i + 1 < z->nr_ext || e->llen > 1ULL << bits))
			bits = 0;
	}
	/* past 2^32 bytes: the logical start's high half too */
	rs = size > UINT32_MAX ? 32 : 16;
	if (bits && contiguous && bits - blkszbits <= 15)
		rs = 4;
	*recsz = (uint8_t)rs;
	*lcbits = (uint8_t)(rs == 4 ? bits : 0);
	return EROFS_ROUND_UP(hstart + 8, rs) - body + (rs == 4 ? 8 : 0) +
	       rs * (unsigned int)z->nr_ext;
}

static void wr_put16(uint8_t *p, uint16_t v);
static void wr_put32(uint8_t *p, uint32_t v);

/*
 * The records (format.md 7.14) after the 8-byte header at h, aligned to
 * their size (inodes start on 32-byte slots, so alignment within the
 * inode is alignment in the image); the header is the caller's.
 */
static void wr_zextents(const struct erofs_wr_zmeta *m, uint8_t *h)
{
	const struct erofs_wr_zinfo *z = m->z;
	unsigned int bits = m->blkszbits, rs = z->recsz;
	unsigned int hstart = EROFS_ROUND_UP(m->body, 8);
	uint8_t *p = h + (EROFS_ROUND_UP(hstart + 8, rs) - hstart);
	uint64_t blk = m->startblk;
	size_t i;

	if (rs == 4) {		/* the first pcluster's byte address */
		wr_put32(p, (uint32_t)(blk << bits));
		wr_put32(p + 4, (uint32_t)((blk << bits) >> 32));
		p += 8;
	}
	for (i = 0; i < z->nr_ext; i++, p += rs) {
		const struct erofs_wr_extent *e = &z->ext[i];
		uint64_t eblk = blk, pa;
		uint32_t pblks = e->pblks, plen;

		if (e->ref)
			m->ref(m->priv, e, &eblk, &pblks);
		pa = eblk << bits;
		plen = pblks << bits;
		if (e->type == Z_EROFS_LCLUSTER_TYPE_HEAD1)
			plen |= (uint32_t)(z->alg + 1) << 28;
		if (e->partial)
			plen |= 1U << 27;
		if (!e->pblks && !e->ref && z->frag_len &&
		    i + 1 == z->nr_ext) {
			/* the fragment: its offset in the packed inode */
			plen = (uint32_t)z->frag_off;
			pa = z->frag_off >> 32;
		}
		wr_put32(p, plen);
		if (rs > 4) {
			wr_put32(p + 4, (uint32_t)pa);
			wr_put32(p + 8, (uint32_t)(pa >> 32));
			wr_put32(p + 12, (uint32_t)e->la);
		}
		if (rs > 16)
			wr_put32(p + 16, (uint32_t)(e->la >> 32));
		if (!e->ref)
			blk += e->pblks;
	}
}

/* one lcluster's entry, before it is packed */
struct wr_lc {
	uint8_t type;
	uint16_t lo;			/* clusterofs / delta0 / CBLKCNT|blks */
	uint16_t d1;			/* NONHEAD: delta1 */
	uint32_t blk;			/* HEAD/PLAIN: pcluster block */
	uint32_t rep_blk;		/* big packs: block of the pcluster
					 * this entry represents, else ~0 */
	bool partial;			/* HEAD: PARTIAL_REF (full only) */
};

#define WR_D_MAX	(Z_EROFS_LI_D0_CBLKCNT - 1)	/* 2047 */

/* one entry per lcluster (format.md 7.6 builder rules) */
static void wr_zlclusters(const struct erofs_wr_zmeta *m, struct wr_lc *lc,
			  uint64_t n)
{
	const struct erofs_wr_zinfo *z = m->z;
	unsigned int bits = m->blkszbits, bs = 1U << bits;
	uint64_t blk = m->startblk, k, i;

	for (k = 0; k < n; k++)
		lc[k].rep_blk = UINT32_MAX;
	for (i = 0; i < z->nr_ext; i++) {
		const struct erofs_wr_extent *e = &z->ext[i];
		uint64_t h = e->la >> bits, end = e->la + e->llen;
		uint64_t ns = end >> bits;	/* lcluster of the next start */
		uint64_t eblk = blk;
		uint32_t pblks = e->pblks;

		if (e->ref)	/* dedupe: the identical extent's pcluster */
			m->ref(m->priv, e, &eblk, &pblks);
		lc[h] = (struct wr_lc){
			.type = e->type,
			.lo = (uint16_t)(e->la & (bs - 1)),
			.blk = (uint32_t)eblk,
			.rep_blk = (uint32_t)eblk,
			.partial = e->partial,
		};
		for (k = h + 1; k < ns && k < n; k++) {
			lc[k] = (struct wr_lc){
				.type = Z_EROFS_LCLUSTER_TYPE_NONHEAD,
				.lo = (uint16_t)EROFS_MIN(k - h, WR_D_MAX),
				.d1 = (uint16_t)EROFS_MIN(ns - k, WR_D_MAX),
				.rep_blk = UINT32_MAX,
			};
			if (k == h + 1 && m->big) {
				/* the head's size; an inline one counts 1 */
				lc[k].lo = Z_EROFS_LI_D0_CBLKCNT |
					   (uint16_t)(pblks ? pblks : 1);
				lc[k].rep_blk = (uint32_t)eblk;
				lc[h].rep_blk = UINT32_MAX;
			}
		}
		if (!e->ref)
			blk += e->pblks;
	}
	/* full indexes: a fragment tail's HEAD holds the offset's high half */
	if (z->frag_len && z->nr_ext)
		lc[z->ext[z->nr_ext - 1].la >> bits].blk =
			(uint32_t)(z->frag_off >> 32);
	/* the last extent ends inside the EOF lcluster: terminate it */
	if (m->size & (bs - 1)) {
		const struct erofs_wr_extent *e = &z->ext[z->nr_ext - 1];

		if ((e->la >> bits) != n - 1)
			lc[n - 1] = (struct wr_lc){
				.type = Z_EROFS_LCLUSTER_TYPE_PLAIN,
				.lo = (uint16_t)(m->size & (bs - 1)),
				.blk = 0,
				.rep_blk = (uint32_t)blk,
			};
	}
}

static void wr_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void wr_put32(uint8_t *p, uint32_t v)
{
	wr_put16(p, (uint16_t)v);
	wr_put16(p + 2, (uint16_t)(v >> 16));
}

/*
 * One compact pack of cnt entries (cnt = 2: 4B pack, 16: 2B pack) for
 * lclusters [k0, k0 + cnt); entries past n are zero.  The base makes the
 * kernel's per-pack block arithmetic (format.md 7.7) land on each head's
 * real block.  The kernel walks back from a head over the pack's earlier
 * entries and adds one block per head (no big pclusters) or the size of
 * every pcluster "represented" there -- by its CBLKCNT entry if it has
 * one (even when its head sits in the previous pack), else by its head.
 * So base = block of the first pcluster represented in the pack (minus
 * one without big pclusters, where the count starts at 1).
 */
static void wr_zpack(const struct erofs_wr_zmeta *m, const struct wr_lc *lc,
		     uint64_t n, uint64_t k0, unsigned int cnt, uint8_t *out,
		     const uint32_t *next_blk)
{
	unsigned int ebits = cnt == 2 ? 16 : 14, lobits = 12, i;
	unsigned int bytes = cnt == 2 ? 8 : 32;
	uint32_t base;

	memset(out, 0, bytes);
	for (i = 0; i < cnt && k0 + i < n; i++) {
		const struct wr_lc *e = &lc[k0 + i];
		uint32_t v = e->lo;
		unsigned int pos = i * ebits, b;

		if (e->type == Z_EROFS_LCLUSTER_TYPE_NONHEAD &&
		    i + 1 == cnt && !(e->lo & Z_EROFS_LI_D0_CBLKCNT))
			v = e->d1;	/* the last entry carries delta1 */
		v |= (uint32_t)e->type << lobits;
		for (b = 0; b < ebits; b++)
			if (v & (1U << b))
				out[(pos + b) / 8] |= (uint8_t)(1U << ((pos + b) % 8));
	}
	base = next_blk[k0];
	if (!m->big)
		base -= 1;
	wr_put32(out + bytes - 4, base);
}

static void wr_zfull(const struct wr_lc *lc, uint64_t n, uint8_t *p)
{
	uint64_t k;

	for (k = 0; k < n; k++, p += 8) {
		const struct wr_lc *e = &lc[k];

		wr_put16(p, e->type | (e->partial ? Z_EROFS_LI_PARTIAL_REF : 0));
		if (e->type == Z_EROFS_LCLUSTER_TYPE_NONHEAD) {
			wr_put16(p + 2, 0);
			wr_put16(p + 4, e->lo);
			wr_put16(p + 6, e->d1);
		} else {
			wr_put16(p + 2, e->lo);
			wr_put32(p + 4, e->blk);
		}
	}
}

static void wr_zcompact(const struct erofs_wr_zmeta *m, const struct wr_lc *lc,
			uint64_t n, uint32_t *next_blk, uint8_t *p)
{
	unsigned int ebase = EROFS_ROUND_UP(m->body, 8) + 8;
	uint64_t init4, n2 = 0, k;

	/* next_blk[k]: block of the first pcluster represented at or
	 * after entry k (the value a pack starting there needs) */
	next_blk[n] = (uint32_t)(m->startblk + m->nblocks);
	for (k = n; k-- > 0;)
		next_blk[k] = lc[k].rep_blk != UINT32_MAX ? lc[k].rep_blk :
							    next_blk[k + 1];
	init4 = ((32 - ebase % 32) / 4) & 7;
	if (init4 < n)
		n2 = (n - init4) / 16 * 16;
	for (k = 0; k < n && k < init4; k += 2, p += 8)
		wr_zpack(m, lc, n, k, 2, p, next_blk);
	for (; n2 && k < init4 + n2; k += 16, p += 32)
		wr_zpack(m, lc, n, k, 16, p, next_blk);
	for (; k < n; k += 2, p += 8)
		wr_zpack(m, lc, n, k, 2, p, next_blk);
}

int erofs_wr_zmeta_encode(const struct erofs_wr_zmeta *m, uint8_t *out)
{
	const struct erofs_wr_zinfo *z = m->z;
	uint64_t n = EROFS_DIV_ROUND_UP(m->size, 1ULL << m->blkszbits);
	unsigned int pad = EROFS_ROUND_UP(m->body, 8) - m->body;
	uint8_t *h = out + pad;
	struct wr_lc *lc;
	uint32_t *next_blk;

	memset(out, 0, z->meta_len);
	if (z->recsz) {
		/* encoded extents: the count (large records) or the
		 * lcluster size, the advise; no algorithm nibbles */
		if (z->recsz > 8)
			wr_put32(h, (uint32_t)z->nr_ext);
		wr_put16(h + 4, z->advise);
		if (z->recsz <= 8)
			h[7] = (uint8_t)(z->ext_lcbits - m->blkszbits);
		wr_zextents(m, h);
		return 0;
	}
	if (z->whole_frag) {
		/* le64: bit 63 = "all in the packed inode", then the offset */
		wr_put32(h, (uint32_t)z->frag_off);
		wr_put32(h + 4, (uint32_t)(z->frag_off >> 32) | 0x80000000U);
		return 0;
	}
	lc = calloc(n, sizeof(*lc));
	next_blk = calloc(n + 1, sizeof(*next_blk));
	if (!lc || !next_blk) {
		free(lc);
		free(next_blk);
		return -ENOMEM;
	}
	/* header: fragment offset or idata size, advise, algorithm (HEAD1),
	 * clusterbits 0 */
	if (z->frag_len)
		wr_put32(h, (uint32_t)z->frag_off);
	else if (z->inlined)
		wr_put16(h + 2, (uint16_t)z->inl_len);
	wr_put16(h + 4, z->advise);
	h[6] = (uint8_t)z->alg;
	h[7] = 0;
	wr_zlclusters(m, lc, n);
	if (z->full)
		wr_zfull(lc, n, h + 16);
	else
		wr_zcompact(m, lc, n, next_blk, h + 8);
	free(lc);
	free(next_blk);
	return 0;
}

/* ---- the writer's side: one planned inode ---- */

unsigned int erofs_wr_z_meta_len(const struct erofs_wr *w,
				 const struct erofs_wr_inode *wi)
{
	unsigned int body = wi->isize + wi->xattr_size, len, elen;
	uint8_t rs, bits;

	/* (full is only set after compression; the workers estimate) */
	len = erofs_wr_zmeta_len(w->blkszbits, body, wi->size,
				 wi->z->whole_frag,
				 wi->z->full || w->p->legacy_compress);
	if (!erofs_wr_48bit(w))
		return len;
	elen = erofs_wr_zext_len(w->blkszbits, body, wi->size, wi->z, &rs,
				 &bits);
	return rs && elen < len ? elen : len;
}

void erofs_wr_z_choose_index(const struct erofs_wr *w,
			     struct erofs_wr_inode *wi)
{
	struct erofs_wr_zinfo *z = wi->z;
	unsigned int body = wi->isize + wi->xattr_size;
	uint8_t rs = 0, bits = 0;

	unsigned int len, elen;

	z->recsz = 0;
	len = erofs_wr_zmeta_len(w->blkszbits, body, wi->size, z->whole_frag,
				 z->full || w->p->legacy_compress);
	elen = erofs_wr_48bit(w) ?
	       erofs_wr_zext_len(w->blkszbits, body, wi->size, z, &rs,
				 &bits) : 0;
	z->meta_len = len;
	if (rs && elen < len) {		/* only when smaller */
		z->recsz = rs;
		z->ext_lcbits = bits;
		z->meta_len = elen;
	}
}

/* dedupe: where the pcluster of the extent e refers to is */
static void wr_zref(const void *priv, const struct erofs_wr_extent *e,
		    uint64_t *blk, uint32_t *pblks)
{
	const struct erofs_wr *w = priv;
	const struct erofs_wr_zsrc *src = &w->dedupe.src[e->ref - 1];
	const struct erofs_wr_extent *se = &src->wi->z->ext[src->ext];

	*blk = src->wi->startblk + se->pofs;
	*pblks = se->pblks;
}

int erofs_wr_z_encode_meta(const struct erofs_wr *w,
			   const struct erofs_wr_inode *wi, uint8_t *out)
{
	const struct erofs_wr_zmeta m = {
		.blkszbits = w->blkszbits, .big = w->z.big,
		.size = wi->size, .body = wi->isize + wi->xattr_size,
		.startblk = wi->startblk, .nblocks = wi->nblocks,
		.z = wi->z, .ref = wr_zref, .priv = w,
	};

	return erofs_wr_zmeta_encode(&m, out);
}
