// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * features.c - what the superblock says about the plan: every compat and
 * incompat feature bit, the COMPR_CFGS records and available_compr_algs,
 * derived in one place from the finished plan (format.md 3, 7.4).  Nothing
 * else in the writer sets a feature bit; emit.c only copies them.
 */
#include <string.h>
#include "writer_internal.h"

/*
 * The -z entries in use.  A packed inode compressed after placement (--zD)
 * will use cfgs[0]; it counts from the start, since the records decide
 * where the metadata starts and must not change once it is placed.
 */
static uint32_t wr_cfgs_used(const struct erofs_wr *w)
{
	uint32_t used = w->z.cfg_used;

	if (w->packed.late && w->packed.wi->size > w->bs)
		used |= 1;
	/* -m: the metabox inode, compressed after the inodes are emitted */
	if (w->p->metabox_pcluster && w->p->nr_compr)
		used |= 1U << w->p->metabox_alg;
	return used;
}

/* the records (into sb, if not NULL), their bytes, the algorithms used */
static unsigned int wr_compr_cfgs(const struct erofs_wr *w,
				  struct erofs_wr_sb *sb, uint32_t *algsp)
{
	const struct erofs_compress_cfg *best[Z_EROFS_COMPRESSION_MAX] = { 0 };
	uint8_t rec[sizeof(sb->cfg_rec)];
	uint32_t used = wr_cfgs_used(w), algs = 0;
	unsigned int i, alg, len = 0;

	/*
	 * One record per algorithm id in use.  lz4 and lz4hc share id 0,
	 * and two -z entries of one algorithm may differ in dictionary
	 * size: the record must cover the larger.
	 */
	for (i = 0; i < w->p->nr_compr; i++) {
		const struct erofs_compress_cfg *c = &w->z.cfgs[i];

		if (!(used & (1U << i)))
			continue;
		alg = c->c->alg;
		algs |= 1U << alg;
		if (!best[alg] || c->dictsize > best[alg]->dictsize)
			best[alg] = c;
	}
	*algsp = algs;
	/* lz4 alone in one-block pclusters: u1 = lz4_max_distance instead */
	if (!algs || (algs == (1U << Z_EROFS_COMPRESSION_LZ4) && !w->z.big))
		return 0;
	for (alg = 0; alg < Z_EROFS_COMPRESSION_MAX; alg++) {
		uint8_t *r = rec + len;
		int n;

		if (!best[alg])
			continue;
		n = erofs_compress_write_cfg(best[alg], r + 2,
					     sizeof(rec) - len - 2);
		if (n < 0)
			n = 0;	/* cannot happen for a built row */
		r[0] = (uint8_t)n;
		r[1] = (uint8_t)(n >> 8);
		/* each record starts 4-byte aligned (format.md 7.4) */
		len += EROFS_ROUND_UP(2 + (unsigned int)n, 4);
	}
	if (sb)
		memcpy(sb->cfg_rec, rec, len);
	return len;
}

/* the payload of algorithm alg's record among COMPR_CFGS records of algs */
static const uint8_t *wr_cfg_of(const uint8_t *rec, unsigned int len,
				uint32_t algs, unsigned int alg)
{
	unsigned int a, pos = 0;

	for (a = 0; a < Z_EROFS_COMPRESSION_MAX && pos + 2 <= len; a++) {
		unsigned int n;

		if (!(algs & (1U << a)))
			continue;
		n = rec[pos] | rec[pos + 1] << 8;
		if (a == alg)
			return pos + 2 + n <= len ? rec + pos + 2 : NULL;
		pos += EROFS_ROUND_UP(2 + n, 4);
	}
	return NULL;
}

static uint32_t wr_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* does the old record o allow all that the new one n asks for? */
static bool wr_cfg_covers(unsigned int alg, const uint8_t *o, const uint8_t *n)
{
	switch (alg) {
	case Z_EROFS_COMPRESSION_LZ4:	/* max_distance, max_pclusterblks */
		return (o[0] | o[1] << 8) >= (n[0] | n[1] << 8) &&
		       (o[2] | o[3] << 8) >= (n[2] | n[3] << 8);
	case Z_EROFS_COMPRESSION_LZMA:	/* dict_size, format */
		return wr_le32(o) >= wr_le32(n) && o[4] == n[4] && o[5] == n[5];
	case Z_EROFS_COMPRESSION_DEFLATE:	/* windowbits */
		return o[0] >= n[0];
	case Z_EROFS_COMPRESSION_ZSTD:	/* format, windowlog */
		return o[0] == n[0] && o[1] >= n[1];
	default:
		return false;
	}
}

/*
 * --incremental: the old superblock's records, prefix table and device
 * table stay, so the new inodes must make do with them; feature bits are
 * the old ones plus the new.
 */
static int wr_features_base(struct erofs_wr *w)
{
	const struct erofs_mkfs_base *b = w->p->base;
	struct erofs_wr_sb *sb = &w->sb;
	uint32_t old_compat = erofs_le32(b->sb.feature_compat);
	uint32_t old_incompat = erofs_le32(b->sb.feature_incompat);
	unsigned int alg;
	size_t i;

	for (i = 0; i < w->xattr.nr_pfx; i++) {
		const struct erofs_xattr_prefix *n = &w->xattr.pfx[i];

		if (i >= b->nr_pfx || n->base_index != b->pfx[i].base_index ||
		    n->infix_len != b->pfx[i].infix_len ||
		    memcmp(n->infix, b->pfx[i].infix, n->infix_len)) {
			erofs_err(w->log, "--incremental: the long xattr prefixes (--xattr-prefix, --ishare_key) must be the image's, in its order");
			return -EINVAL;
		}
	}
	if (w->xattr.ishare_id >= 0 && w->xattr.ishare_id != b->ishare_id) {
		erofs_err(w->log, "--incremental: the image %s; the fingerprint key must be the same",
			  b->ishare_id < 0 ? "has no fingerprints" :
			  "keeps its fingerprints under another prefix");
		return -EINVAL;
	}
	if (w->packed.wi) {
		erofs_err(w->log, "--incremental: the build needs a packed inode (fragments, long xattr prefixes in it), which an existing image cannot change");
		return -EINVAL;
	}
	if (sb->algs && (old_incompat & EROFS_FEATURE_INCOMPAT_COMPR_CFGS)) {
		for (alg = 0; alg < Z_EROFS_COMPRESSION_MAX; alg++) {
			const uint8_t *o, *n;

			if (!(sb->algs & (1U << alg)))
				continue;
			o = wr_cfg_of(b->cfg_rec, b->cfg_len, b->algs, alg);
			n = wr_cfg_of(sb->cfg_rec, sb->cfg_len, sb->algs, alg);
			if (!o || (n && !wr_cfg_covers(alg, o, n))) {
				erofs_err(w->log, "--incremental: compression algorithm %u %s",
					  alg, o ? "needs more (dictionary, window, pcluster size) than the image's configuration allows" :
					  "is not among the image's");
				return -EINVAL;
			}
		}
	} else if (sb->cfg_len) {
		erofs_err(w->log, "--incremental: the image has no compression configuration records, which these -z/-C settings need; build it with them first");
		return -EINVAL;
	}
	/* lz4 data without 0padding would be read another way */
	if (sb->algs && !(old_incompat & EROFS_FEATURE_INCOMPAT_ZERO_PADDING) &&
	    ((old_incompat & EROFS_FEATURE_INCOMPAT_COMPR_CFGS) ||
	     erofs_le16(b->sb.u1.lz4_max_distance))) {
		erofs_err(w->log, "--incremental: the image's compressed data predates 0padding");
		return -EINVAL;
	}
	sb->feature_compat = (sb->feature_compat | old_compat) &
		~(EROFS_FEATURE_COMPAT_PLAIN_XATTR_PFX |
		  EROFS_FEATURE_COMPAT_XATTR_FILTER);
	sb->feature_compat |= old_compat & (EROFS_FEATURE_COMPAT_PLAIN_XATTR_PFX |
					    EROFS_FEATURE_COMPAT_XATTR_FILTER);
	if (!w->p->sb_checksum)
		sb->feature_compat &= ~EROFS_FEATURE_COMPAT_SB_CHKSUM;
	sb->feature_incompat = (sb->feature_incompat & ~EROFS_FEATURE_INCOMPAT_COMPR_CFGS) |
			       old_incompat;
	/* the records written stay the old ones */
	sb->algs = b->algs;
	return 0;
}

unsigned int erofs_wr_features_cfgs_len(const struct erofs_wr *w)
{
	uint32_t algs;

	return wr_compr_cfgs(w, NULL, &algs);
}

int erofs_wr_features(struct erofs_wr *w)
{
	struct erofs_wr_sb *sb = &w->sb;
	const struct erofs_wr_xattrs *xa = &w->xattr;

	memset(sb, 0, sizeof(*sb));
	sb->feature_compat = EROFS_FEATURE_COMPAT_MTIME;
	if (w->p->sb_checksum)
		sb->feature_compat |= EROFS_FEATURE_COMPAT_SB_CHKSUM;

	/* xattrs */
	if (xa->any_filter)
		sb->feature_compat |= EROFS_FEATURE_COMPAT_XATTR_FILTER;
	if (xa->nr_pfx) {
		sb->feature_incompat |= EROFS_FEATURE_INCOMPAT_XATTR_PREFIXES;
		/* else it is in the packed inode, where old kernels look,
		 * or in the metabox */
		if (!w->packed.pfx_in && !erofs_wr_pfx_in_mbox(w->p))
			sb->feature_compat |= EROFS_FEATURE_COMPAT_PLAIN_XATTR_PFX;
	}
	if (xa->ishare_id >= 0)
		sb->feature_compat |= EROFS_FEATURE_COMPAT_ISHARE_XATTRS;

	/* compression; BIG_PCLUSTER is the same bit as COMPR_CFGS */
	if (wr_cfgs_used(w))
		sb->feature_incompat |= EROFS_FEATURE_INCOMPAT_ZERO_PADDING;
	sb->cfg_len = wr_compr_cfgs(w, sb, &sb->algs);
	if (sb->cfg_len)
		sb->feature_incompat |= EROFS_FEATURE_INCOMPAT_COMPR_CFGS;
	if (!w->p->base && sb->cfg_len != w->place.cfgs_len) {
		erofs_err(w->log,
			  "internal error: COMPR_CFGS records changed size after placement");
		return -EIO;
	}
	/* one bit, two names: the packed inode and shared pclusters */
	if (w->packed.wi || w->dedupe.nr_ref)
		sb->feature_incompat |= EROFS_FEATURE_INCOMPAT_FRAGMENTS;
	if (w->chunk.any)
		sb->feature_incompat |= EROFS_FEATURE_INCOMPAT_CHUNKED_FILE;
	if (w->chunk.nr_devs)
		sb->feature_incompat |= EROFS_FEATURE_INCOMPAT_DEVICE_TABLE;
	if (w->place.any_inline_z)
		sb->feature_incompat |= EROFS_FEATURE_INCOMPAT_ZTAILPACKING;
	if (erofs_wr_48bit(w))
		sb->feature_incompat |= EROFS_FEATURE_INCOMPAT_48BIT;
	if (w->p->metabox_pcluster) {
		sb->feature_incompat |= EROFS_FEATURE_INCOMPAT_METABOX;
		if (xa->nr_shared)
			sb->feature_compat |=
				EROFS_FEATURE_COMPAT_SHARED_EA_IN_METABOX;
	}
	return w->p->base ? wr_features_base(w) : 0;
}
