// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zdedupe.c - -E dedupe: an extent whose decoded bytes equal those of an
 * extent stored earlier uses that pcluster instead of its own (format.md
 * 7.13), in whole or -- when the earlier one is longer and starts with the
 * same bytes -- in part (PARTIAL_REF).
 *
 * Extents are identified by SHA-256 of their decoded bytes (and of their
 * first WR_DPFX bytes, to find longer ones they are a prefix of), which the
 * compression workers compute (erofs_wr_dedupe_hash).  The tables are
 * filled by the main thread in inode order, and each key is filed once
 * (by the first extent that has it), so which pcluster an extent uses is
 * the same whatever the hash table's order or the thread count.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "erofs/array.h"
#include "erofs/ishare.h"
#include "writer_internal.h"

/*
 * Everything that makes two pclusters interchangeable: the decoded bytes
 * (SHA-256 and length), the lcluster type and the algorithm.  Prefix keys
 * have llen WR_DPFX and type HEAD1.
 */
struct erofs_wr_dkey {
	uint8_t sha[EROFS_ISHARE_DIGEST_LEN];
	uint32_t llen, src;		/* src: 1 + index into d->src */
	uint8_t type, alg;
};

bool erofs_wr_dedupe_on(const struct erofs_mkfs_params *p)
{
	return p->dedupe || p->fragments;
}

int erofs_wr_dedupe_hash(struct erofs_sha256 *sha, const void *src,
			 uint32_t llen, uint8_t *esha, uint8_t *psha)
{
	int ret = erofs_sha256_reset(sha);

	if (!ret)
		ret = erofs_sha256_update(sha, src, llen);
	if (!ret)
		ret = erofs_sha256_final(sha, esha);
	if (!ret && psha && llen >= WR_DPFX) {
		ret = erofs_sha256_reset(sha);
		if (!ret)
			ret = erofs_sha256_update(sha, src, WR_DPFX);
		if (!ret)
			ret = erofs_sha256_final(sha, psha);
	}
	return ret;
}

static uint64_t wr_dkey_hash(const struct erofs_wr_dkey *k)
{
	return erofs_hash_bytes(k->sha, sizeof(k->sha)) ^
	       erofs_hash_u64(k->llen | (uint64_t)k->type << 32 |
			      (uint64_t)k->alg << 40);
}

static bool wr_dkey_eq(const struct erofs_wr_dkey *a,
		       const struct erofs_wr_dkey *b)
{
	return a->llen == b->llen && a->type == b->type && a->alg == b->alg &&
	       !memcmp(a->sha, b->sha, sizeof(a->sha));
}

/* the key filed in t equal to k, NULL if none (at most one is filed) */
static struct erofs_wr_dkey *wr_dfind(struct erofs_wr_dedupe *d,
				      const struct erofs_htab *t,
				      const struct erofs_wr_dkey *k)
{
	size_t pos = 0;
	uint64_t v;

	while (erofs_htab_next(t, wr_dkey_hash(k), &pos, &v))
		if (wr_dkey_eq(&d->keys[v], k))
			return &d->keys[v];
	return NULL;
}

static int wr_dfile(struct erofs_wr_dedupe *d, struct erofs_htab *t,
		    const struct erofs_wr_dkey *k)
{
	int ret = erofs_array_reserve(&d->keys, &d->cap_keys, d->nr_keys + 1);

	if (ret)
		return ret;
	ret = erofs_htab_add(t, wr_dkey_hash(k), d->nr_keys);
	if (!ret)
		d->keys[d->nr_keys++] = *k;
	return ret;
}

/* wi's source, as the workers read it (at n->src_off) */
int erofs_wr_dopen_src(const struct erofs_log *log,
		       const struct erofs_wr_inode *wi)
{
	int fd = open(wi->node->src_path, O_RDONLY | O_CLOEXEC), err;

	if (fd >= 0)
		return fd;
	err = errno;
	erofs_err(log, "%s: cannot open %s: %s", erofs_wr_path(wi),
		  wi->node->src_path, strerror(err));
	return -err;
}

int erofs_wr_dread_src(const struct erofs_log *log,
		       const struct erofs_wr_inode *wi, int fd, uint64_t la,
		       void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t got = pread(fd, p, len,
				    (off_t)(wi->node->src_off + la));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			erofs_err(log, "%s: read error: %s",
				  erofs_wr_path(wi),
				  got ? strerror(errno) : "file shrank");
			return got ? -errno : -EIO;
		}
		p += got;
		la += (uint64_t)got;
		len -= (size_t)got;
	}
	return 0;
}

/*
 * Are the first len decoded bytes of extent a (of file wa) and of extent b
 * (of wb) the same?  The prefix hashes matched; this reads both from their
 * sources to be sure, stopping at the first difference.
 */
static int wr_dsame_prefix(const struct erofs_wr *w,
			   const struct erofs_wr_inode *wa, uint64_t la_a,
			   const struct erofs_wr_inode *wb, uint64_t la_b,
			   uint64_t len, bool *same)
{
	uint8_t *x = malloc(2 * 65536), *y = x + 65536;
	int fa = -1, fb = -1, ret;
	uint64_t done = 0;

	*same = false;
	if (!x)
		return -ENOMEM;
	ret = fa = erofs_wr_dopen_src(w->log, wa);
	if (fa >= 0)
		ret = fb = erofs_wr_dopen_src(w->log, wb);
	if (fb >= 0) {
		ret = 0;
		*same = true;
	}
	while (done < len && *same && !ret) {
		size_t n = (size_t)EROFS_MIN(len - done, 65536ULL);

		ret = erofs_wr_dread_src(w->log, wa, fa, la_a + done, x, n);
		if (!ret)
			ret = erofs_wr_dread_src(w->log, wb, fb, la_b + done,
						 y, n);
		*same = !ret && !memcmp(x, y, n);
		done += n;
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	free(x);
	return ret;
}

/* extent i of wi uses the pcluster of d->src[src - 1] */
/*
 * May extent e use the pcluster of d->src[src - 1]?  One of more than a
 * block needs an extent over two lclusters at least (the second holds its
 * size, or the kernel reads one block).  And an extent that links use
 * (zsplice.c) keeps a pcluster of its own size: they were checked
 * against that.
 */
static bool wr_dfits(const struct erofs_wr *w, const struct erofs_wr_extent *e,
		     uint32_t src)
{
	const struct erofs_wr_zsrc *s = &w->dedupe.src[src - 1];
	uint32_t pblks = s->wi->z->ext[s->ext].pblks;

	if (e->linked && pblks != e->pblks)
		return false;
	return pblks <= 1 ||
	       (e->la & (w->bs - 1)) + e->llen >= 2ULL * w->bs;
}

static void wr_duse(struct erofs_wr_dedupe *d, struct erofs_wr_zinfo *z,
		    size_t i, uint32_t src, bool partial)
{
	struct erofs_wr_extent *e = &z->ext[i];

	e->ref = src;
	e->partial = partial;
	z->zblocks -= e->pblks;
	z->nr_ref++;
	/* compact packs count blocks; shared ones need real addresses */
	z->full = true;
	d->nr_ref++;
}

/* 1 + the index in d->src of the own pcluster of wi's extent j, filed
 * there now if it was not (an extent cut short is only found this way) */
static int wr_dsrc_of(struct erofs_wr_dedupe *d,
		      const struct erofs_wr_inode *wi, size_t j, uint32_t *src)
{
	struct erofs_wr_extent *t = &wi->z->ext[j];
	int ret;

	if (!t->srcid) {
		ret = erofs_array_reserve(&d->src, &d->cap_src,
					  d->nr_src + 1);
		if (ret)
			return ret;
		d->src[d->nr_src++] = (struct erofs_wr_zsrc){
			.wi = wi, .ext = (uint32_t)j,
		};
		t->srcid = (uint32_t)d->nr_src;
	}
	*src = t->srcid;
	return 0;
}

/*
 * Extent i of wi is a link (zslide.c): the first llen bytes of what the
 * pcluster of l->wi's extent at l->la decodes to.  That extent was
 * collected before (an earlier file, or earlier in this one) and is
 * either its own pcluster or uses another's, whose bytes start with its.
 */
static int wr_dlink(struct erofs_wr_dedupe *d, struct erofs_wr_zinfo *z,
		    size_t i, const struct erofs_wr_zlink *l)
{
	const struct erofs_wr_zinfo *tz = l->wi->z;
	struct erofs_wr_extent *e = &z->ext[i];
	size_t lo = 0, hi = tz ? tz->nr_ext : 0;
	const struct erofs_wr_extent *t;
	uint32_t src, slen = l->slen;
	int ret;

	while (lo < hi) {		/* the extent at l->la */
		size_t mid = lo + (hi - lo) / 2;

		if (tz->ext[mid].la < l->la)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* zslide.c links only to pclusters that stay: anything else is a
	 * bug, which must not become a wrong image */
	if (!tz || tz->flat || lo == tz->nr_ext || tz->ext[lo].la != l->la ||
	    tz->ext[lo].type != e->type || !tz->ext[lo].pblks ||
	    (e->type == Z_EROFS_LCLUSTER_TYPE_HEAD1 && tz->alg != z->alg) ||
	    tz->ext[lo].pblks != e->pblks)
		return -EUCLEAN;
	t = &tz->ext[lo];
	if (t->ref) {
		const struct erofs_wr_zsrc *s = &d->src[t->ref - 1];

		src = t->ref;
		slen = s->wi->z->ext[s->ext].llen;
		if (s->wi->z->ext[s->ext].pblks != e->pblks)
			return -EUCLEAN;
	} else {
		ret = wr_dsrc_of(d, l->wi, lo, &src);
		if (ret)
			return ret;
	}
	if (e->llen > slen)
		return -EUCLEAN;
	e->ref = src;
	/* a PLAIN block is copied, never decoded: no flag needed */
	e->partial = e->type == Z_EROFS_LCLUSTER_TYPE_HEAD1 && e->llen < slen;
	z->nr_ref++;
	z->full = true;
	d->nr_ref++;
	return 0;
}

int erofs_wr_dedupe_extents(struct erofs_wr *w, struct erofs_wr_inode *wi,
			    size_t first, size_t nr,
			    const uint8_t (*esha)[EROFS_ISHARE_DIGEST_LEN],
			    const uint8_t (*psha)[EROFS_ISHARE_DIGEST_LEN],
			    const struct erofs_wr_zlink *lnk, size_t nr_lnk)
{
	struct erofs_wr_dedupe *d = &w->dedupe;
	struct erofs_wr_zinfo *z = wi->z;
	/* the extent that may still become an inline tail (layout
	 * decides) takes no part */
	size_t n = z->nr_ext - (z->inl_len ? 1 : 0), j;
	int ret;

	for (j = 0; j < nr; j++) {
		size_t i = first + j;
		struct erofs_wr_extent *e = &z->ext[i];
		struct erofs_wr_dkey key = {
			.llen = e->llen, .type = e->type,
			.alg = (uint8_t)z->alg,
		}, pkey = {
			.llen = WR_DPFX, .alg = (uint8_t)z->alg,
			.type = Z_EROFS_LCLUSTER_TYPE_HEAD1,
		}, *hit, *phit = NULL;
		bool want_pfx;

		if (nr_lnk && lnk->ext == j) {
			ret = wr_dlink(d, z, i, lnk);
			if (ret)
				return ret;
			lnk++;
			nr_lnk--;
			continue;
		}
		/* cut short: its pcluster holds more than its bytes, so
		 * their hash finds nothing */
		if (e->partial) {
			z->full = true;
			continue;
		}
		if (i >= n || !e->pblks)
			continue;
		memcpy(key.sha, esha[j], sizeof(key.sha));
		hit = wr_dfind(d, &d->tab, &key);
		if (hit && wr_dfits(w, e, hit->src)) {
			wr_duse(d, z, i, hit->src, false);
			continue;
		}
		want_pfx = w->p->dedupe && psha &&
			   e->type == Z_EROFS_LCLUSTER_TYPE_HEAD1 &&
			   e->llen >= WR_DPFX;
		if (want_pfx) {
			memcpy(pkey.sha, psha[j], sizeof(pkey.sha));
			phit = wr_dfind(d, &d->ptab, &pkey);
		}
		if (phit) {
			/*
			 * A longer extent starts with the same bytes:
			 * decode just this one's length of its pcluster
			 * (format.md 7.13, partial reference; full indexes
			 * only).
			 */
			const struct erofs_wr_zsrc *src =
				&d->src[phit->src - 1];
			const struct erofs_wr_extent *se =
				&src->wi->z->ext[src->ext];
			bool same = false;

			if (se->llen > e->llen) {
				ret = wr_dsame_prefix(w, wi, e->la, src->wi,
						      se->la, e->llen, &same);
				if (ret)
					return ret;
			}
			if (same && wr_dfits(w, e, phit->src)) {
				wr_duse(d, z, i, phit->src, true);
				continue;
			}
		}
		/* offer this pcluster to later extents */
		ret = erofs_array_reserve(&d->src, &d->cap_src, d->nr_src + 1);
		if (ret)
			return ret;
		d->src[d->nr_src++] = (struct erofs_wr_zsrc){
			.wi = wi, .ext = (uint32_t)i,
		};
		key.src = (uint32_t)d->nr_src;
		e->srcid = key.src;
		ret = wr_dfile(d, &d->tab, &key);
		if (!ret && want_pfx && !phit) {
			pkey.src = key.src;
			ret = wr_dfile(d, &d->ptab, &pkey);
		}
		if (ret)
			return ret;
	}
	return 0;
}

void erofs_wr_dedupe_release(struct erofs_wr_dedupe *d)
{
	erofs_htab_release(&d->tab);
	erofs_htab_release(&d->ptab);
	free(d->keys);
	free(d->src);
	memset(d, 0, sizeof(*d));
}
