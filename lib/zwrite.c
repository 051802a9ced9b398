// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zwrite.c - compressing the build's regular files (format.md 7): which
 * files, with which algorithm and pcluster size, in what order, and what
 * becomes of the result.  The passes are run here; the pieces are elsewhere:
 * workpool.c (threads), zjob.c (one segment: read, hash, cut, spool),
 * zcut.c (the extent rules), zdedupe.c, zpacked.c (fragments), zindex.c
 * (index sizes), zspool.c.
 *
 * Before layout, every regular file larger than one block is read once:
 * the same read feeds the fingerprint hash and the compressor's
 * fixed-output call ("fill one pcluster"), which cuts the data into
 * extents.  The encoded pclusters go to a spool file exactly as they will
 * sit in the image (0PADDING: stream at the end of its blocks; PLAIN: raw
 * data at the start, SHIFTED), so layout only has to choose positions and
 * emit only has to copy.  A file whose compression does not save a block
 * is stored uncompressed from the spool, never re-read.
 *
 * Parallelism (--workers) without losing reproducibility:
 *  - the unit of work is a segment: a file cut at fixed WR_ZSEGMENT
 *    offsets (most files are one segment).  Extents never cross a segment
 *    boundary, and a segment's extents depend only on its bytes and the
 *    params, so the cut -- and therefore the image -- is the same for any
 *    number of workers;
 *  - the queue is the list of segments, longest first (ties in inode
 *    order), so that no worker is left with a big one while the others
 *    run out of work; a worker takes the next one, reads it whole, hashes
 *    it, compresses it into its own spool file and records the result in
 *    that segment's slot.  Nothing is placed yet: after all workers are
 *    joined, the results are collected file by file in inode order (that
 *    is where dedupe and fragment sharing happen), and layout decides
 *    every position, so the queue order changes no byte;
 *  - SHA-256 cannot be split, so the segments of one file are hashed in
 *    order: a worker that has read segment k waits until segment k-1 has
 *    been hashed (not compressed).  Segment k-1 is at least as long as
 *    k and so was queued, and taken, earlier by a worker that waits only
 *    on k-2: this cannot deadlock;
 *  - memory: one segment buffer and one pcluster per worker; everything
 *    encoded goes to the spools at once.
 * An error stops the queue: the failing worker logs it (with the path),
 * the others finish the segment in hand (or leave the hash wait) and stop,
 * and the build returns the first error.  Workers log through a proxy that
 * serializes calls into the build's log sink.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "erofs/array.h"
#include "erofs/ishare.h"
#include "zwrite_internal.h"

/* ---- setup ---- */

int erofs_wr_z_init(struct erofs_wr *w)
{
	const struct erofs_mkfs_params *p = w->p;
	uint32_t pmax = p->pcluster_max ? p->pcluster_max : w->bs;
	uint32_t limit, packed, hinted;
	unsigned int i;

	w->z.spools = NULL;
	w->z.nr_spools = 0;
	if (!p->nr_compr) {
		if (p->fragments || p->dedupe || p->compress_dirs)
			erofs_warn(w->log,
				   "-E fragments, all-fragments, dedupe and --zD only apply to compressed files (-z); ignored");
		return 0;
	}
	for (i = 0; i < p->nr_compr; i++) {
		if (!p->compr[i].c || !p->compr[i].c->built) {
			erofs_err(w->log, "compressor %s is not built in",
				  p->compr[i].c ? p->compr[i].c->name :
						  "(none)");
			return -EOPNOTSUPP;
		}
	}
	/* CBLKCNT has 11 bits; the kernel reads at most 1 MiB per pcluster */
	limit = EROFS_MIN(EROFS_Z_PCLUSTER_MAX, 2047U << w->blkszbits);
	if (pmax % w->bs || pmax > limit) {
		erofs_err(w->log,
			  "-C %u: the pcluster size must be a multiple of the block size (%u) and at most %u",
			  pmax, w->bs, limit);
		return -EINVAL;
	}
	packed = p->packed_pcluster ? p->packed_pcluster : pmax;
	if (packed % w->bs || packed > limit) {
		erofs_err(w->log,
			  "-E fragments=%u: the packed inode's pcluster size must be a multiple of the block size (%u) and at most %u",
			  packed, w->bs, limit);
		return -EINVAL;
	}
	/* --compress-hints may ask for more (zhints.h checked the rules) */
	hinted = p->zhints ? erofs_zhints_pcluster_max(p->zhints) : 0;
	if (hinted % w->bs || hinted > limit) {
		erofs_err(w->log,
			  "--compress-hints: pcluster size %u does not suit %u-byte blocks (at most %u)",
			  hinted, w->bs, limit);
		return -EINVAL;
	}
	/* -m: erofs-utils allows no metabox pcluster larger than -C */
	if (p->metabox_pcluster > pmax) {
		erofs_err(w->log,
			  "-m %u: the metabox pcluster size must not exceed the largest pcluster size (-C %u)",
			  p->metabox_pcluster, pmax);
		return -EINVAL;
	}
	w->z.pcluster_dflt = pmax;
	w->z.pcluster_packed = packed;
	/* the largest of all: worker buffers, big pcluster feature */
	w->z.pcluster_blks = EROFS_MAX(EROFS_MAX(pmax, packed), hinted) >>
			   w->blkszbits;
	w->z.big = w->z.pcluster_blks > 1;
	if (p->max_extent_bytes) {
		if (p->max_extent_bytes < w->bs ||
		    p->max_extent_bytes > EROFS_Z_EXTENT_MAX) {
			erofs_err(w->log,
				  "--max-extent-bytes %u is not in %u..%u",
				  p->max_extent_bytes, w->bs,
				  EROFS_Z_EXTENT_MAX);
			return -EINVAL;
		}
		w->z.max_extent = p->max_extent_bytes;
	} else {
		w->z.max_extent = EROFS_MIN(EROFS_Z_EXTENT_MAX,
					  EROFS_MAX(1U << 20, 4 * pmax));
	}
	if (p->nr_compr > 1 && !p->zhints)
		erofs_warn(w->log,
			   "-z: every file uses %s; the other algorithms are for --compress-hints",
			   p->compr[0].c->name);
	for (i = 0; i < p->nr_compr; i++) {
		w->z.cfgs[i] = p->compr[i];
		w->z.cfgs[i].blkszbits = w->blkszbits;
		w->z.cfgs[i].max_pclusterblks = w->z.pcluster_blks;
	}
	return 0;
}

void erofs_wr_z_release(struct erofs_wr *w)
{
	size_t i;

	for (i = 0; i < w->tree.nr_inodes; i++) {
		struct erofs_wr_zinfo *z = w->tree.inodes[i].z;

		if (z) {
			free(z->ext);
			free(z->pcl);
			free(z);
			w->tree.inodes[i].z = NULL;
		}
	}
	erofs_wr_reuse_release(w);
	for (i = 0; i < w->z.nr_spools; i++)
		erofs_wr_spool_close(&w->z.spools[i]);
	free(w->z.spools);
	w->z.spools = NULL;
	w->z.nr_spools = 0;
}

/* ---- the work queue ---- */

/*
 * Is the compressed form worth keeping?  Compare bytes: pcluster blocks,
 * the inline tail (ztailpacking) where it will fit after the inode, the
 * map header and indexes -- against the plain blocks and inline tail.  A
 * file with a fragment keeps the older rule (fewer blocks), since what
 * its fragment costs in the packed inode is not known yet.
 */
bool erofs_wr_z_keep(const struct erofs_wr *w, const struct erofs_wr_inode *wi,
		     uint64_t zblocks, const struct erofs_wr_extent *last,
		     uint32_t inl_len, uint64_t frag_len)
{
	uint64_t bs = w->bs, size = wi->size, zbytes, flat;
	unsigned int tail = (unsigned int)(size % bs);
	unsigned int meta = erofs_wr_z_meta_len(w, wi);
	unsigned int body = wi->isize + wi->xattr_size;

	if (frag_len)
		return zblocks < EROFS_DIV_ROUND_UP(size, bs);
	flat = tail && !w->p->noinline_data && body + tail <= bs ? size :
	       EROFS_ROUND_UP(size, bs);
	zbytes = zblocks * bs + meta;
	/* place.c's rule (wr_wants_inline): a tail never starts a block */
	if (inl_len && last && (body + meta) % bs &&
	    (body + meta) % bs + inl_len <= bs)
		zbytes = zbytes - (uint64_t)last->pblks * bs + inl_len;
	return zbytes < flat;
}

/* -E fragdedupe: may this fragment share an identical earlier one? */
static bool wr_frag_shareable(const struct erofs_wr *w,
			      const struct erofs_wr_zseg *last,
			      uint64_t frag_len, uint64_t size)
{
	switch (w->p->fragdedupe) {
	case EROFS_FRAGDEDUPE_OFF:
		return false;
	case EROFS_FRAGDEDUPE_INODE:
		return last->frag_keyed && frag_len == size;
	default:
		return last->frag_keyed;
	}
}

/* give a file's fragment its place in the packed inode */
static int wr_zcollect_frag(struct erofs_wr *w, struct erofs_wr_zfile *f,
			    uint64_t frag_len)
{
	struct erofs_wr_zinfo *z = f->wi->z;
	const struct erofs_wr_zseg *last = &f->seg[f->nr_seg - 1];
	struct erofs_wr_zpiece *pc;
	struct erofs_wr_extent *e;
	size_t nr = 0;
	uint32_t k;
	int ret;

	pc = malloc(f->nr_seg * sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	for (k = 0; k < f->nr_seg; k++)
		if (f->seg[k].frag.len)
			pc[nr++] = f->seg[k].frag;
	ret = erofs_wr_packed_add_frag(w, pc, nr, frag_len,
				       wr_frag_shareable(w, last, frag_len,
							 f->wi->size) ?
				       last->frag_sha : NULL, &z->frag_off);
	free(pc);
	if (ret)
		return ret;
	z->frag_len = frag_len;
	z->whole_frag = frag_len == f->wi->size;
	if (z->whole_frag)
		return 0;	/* the map header says it all */
	/* the tail extent, read from the packed inode (pblks 0) */
	e = realloc(z->ext, (z->nr_ext + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	z->ext = e;
	e[z->nr_ext++] = (struct erofs_wr_extent){
		.la = f->wi->size - frag_len, .llen = (uint32_t)frag_len,
		.type = Z_EROFS_LCLUSTER_TYPE_HEAD1,
	};
	return 0;
}

/* collect one file's segments (main thread, inode order) */
static int wr_zcollect(struct erofs_wr *w, struct erofs_wr_zfile *f)
{
	struct erofs_wr_zinfo *z = f->wi->z;
	const struct erofs_wr_zseg *last = &f->seg[f->nr_seg - 1];
	uint64_t frag_len = 0;
	size_t nr_ext = 0, i;
	bool any_head1 = false;
	uint32_t k;
	int ret;

	for (k = 0; k < f->nr_seg; k++)
		nr_ext += f->seg[k].nr_ext;
	z->pcl = malloc(f->nr_seg * sizeof(*z->pcl));
	if (!z->pcl)
		return -ENOMEM;
	if (f->nr_seg == 1) {
		z->ext = f->seg[0].ext;		/* take it over */
		f->seg[0].ext = NULL;
	} else {
		/* all-fragments leaves segments without extents */
		z->ext = malloc(EROFS_MAX(nr_ext, (size_t)1) * sizeof(*z->ext));
		if (!z->ext)
			return -ENOMEM;
		for (k = 0, i = 0; k < f->nr_seg; k++) {
			if (!f->seg[k].nr_ext)
				continue;
			memcpy(z->ext + i, f->seg[k].ext,
			       f->seg[k].nr_ext * sizeof(*z->ext));
			i += f->seg[k].nr_ext;
		}
	}
	z->nr_ext = nr_ext;
	for (k = 0; k < f->nr_seg; k++) {
		z->pcl[k] = f->seg[k].pcl;
		z->zblocks += f->seg[k].zblocks;
	}
	z->nr_pcl = f->nr_seg;
	z->alg = w->z.cfgs[f->ci].c->alg;
	for (k = 0; k < f->nr_seg; k++)
		frag_len += f->seg[k].frag.len;
	z->inl_len = last->inl_len;
	z->inl_type = last->inl_type;
	z->inl = last->inl;
	for (i = 0; i < z->nr_ext; i++)
		any_head1 |= z->ext[i].type == Z_EROFS_LCLUSTER_TYPE_HEAD1;
	/* a pinned file's pclusters are others' too: it stays compressed */
	if (!z->pinned &&
	    !erofs_wr_z_keep(w, f->wi, z->zblocks,
			     z->nr_ext ? &z->ext[z->nr_ext - 1] : NULL,
			     z->inl_len, frag_len)) {
		if (!any_head1 && !frag_len) {
			/* all PLAIN from offset 0: the spool is the raw data */
			z->flat = true;
		} else if (f->seg[0].raw.len) {
			z->flat = true;
			z->raw = f->seg[0].raw;
		}
		/* else: no raw copy (several segments); keep it compressed */
	}
	if (!z->flat) {
		w->z.cfg_used |= 1U << f->ci;
		/* the metabox inode's place was planned for full indexes */
		z->full = w->p->legacy_compress || f->wi == &w->mbox.wi;
		/* the packed inode takes no part */
		for (k = 0, i = 0; !f->wi->packed &&
				   erofs_wr_dedupe_on(w->p) &&
				   k < f->nr_seg; k++) {
			const struct erofs_wr_zseg *sg = &f->seg[k];
			typedef const uint8_t (*wr_sha_t)[EROFS_ISHARE_DIGEST_LEN];

			ret = erofs_wr_dedupe_extents(w, f->wi, i, sg->nr_ext,
						      (wr_sha_t)sg->esha,
						      w->p->dedupe ?
						      (wr_sha_t)sg->psha : NULL,
						      sg->lnk, sg->nr_lnk);
			if (ret)
				return ret;
			i += sg->nr_ext;
		}
		if (frag_len) {
			ret = wr_zcollect_frag(w, f, frag_len);
			if (ret)
				return ret;
		}
		erofs_wr_z_choose_index(w, f->wi);
		w->z.nr_files++;
	}
	return 0;
}

/* the --compress-hints rule for wi, NULL if none */
static const struct erofs_zhint *wr_zhint(const struct erofs_wr *w,
					  const struct erofs_wr_inode *wi)
{
	const char *path = wi->node->path;

	if (!w->p->zhints || !path)
		return NULL;
	while (*path == '/')
		path++;
	return erofs_zhints_match(w->p->zhints, path);
}

/* is wi compressed in the first pass? */
static bool wr_zcandidate(const struct erofs_wr *w,
			  const struct erofs_wr_inode *wi)
{
	const struct erofs_zhint *h;

	if (wi->ftype != EROFS_FT_REG_FILE || wi->packed)
		return false;
	/* data left where it is (pieces) or only reserved is never read */
	if (wi->node->nr_pieces || wi->node->reserved)
		return false;
	h = wr_zhint(w, wi);
	if (h && !h->pcluster_size)
		return false;	/* the hints say: store it as it is */
	/* one block or less cannot get smaller in blocks -- but it can as
	 * a fragment, which shares blocks with the others, or as a shorter
	 * inline tail */
	return wi->size > w->bs ||
	       ((w->p->fragments || w->p->ztailpacking) && wi->size);
}

/* longest first; equal ones in inode order, a file's in segment order */
static int wr_zjob_cmp(const void *a, const void *b)
{
	const struct erofs_wr_zjobref *x = a, *y = b;

	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->seg < y->seg ? -1 : x->seg > y->seg;
}

/* the queue: every segment of every candidate (or of `only`), longest
 * first */
static int wr_zqueue(struct erofs_wr *w, struct erofs_wr_zpool *pool,
		     struct erofs_wr_inode *only)
{
	/* `only` (the packed or metabox inode) may be outside the tree */
	size_t i, nf = 0, nj = 0, n = only ? 1 : w->tree.nr_inodes;
	struct erofs_htab sizes = { 0 };
	int ret = 0;

	for (i = 0; i < n; i++) {
		const struct erofs_wr_inode *wi = only ? only :
						  &w->tree.inodes[i];

		if (!only && !wr_zcandidate(w, wi))
			continue;
		nf++;
		nj += EROFS_DIV_ROUND_UP(wi->size, (uint64_t)WR_ZSEGMENT);
		/* sizes seen twice: those files may have equal bytes */
		if (!only && wi->size <= WR_ZSEGMENT && !ret) {
			ret = erofs_htab_set_add(&sizes, wi->size);
			if (ret > 0)
				ret = erofs_htab_set_add(&pool->same_sizes,
							 wi->size);
			if (ret > 0)
				ret = 0;
		}
	}
	erofs_htab_release(&sizes);
	if (ret)
		return ret;
	if (!nf)
		return 0;
	pool->files = calloc(nf, sizeof(*pool->files));
	pool->jobs = calloc(nj, sizeof(*pool->jobs));
	if (!pool->files || !pool->jobs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct erofs_wr_inode *wi = only ? only : &w->tree.inodes[i];
		struct erofs_wr_zfile *f;
		uint64_t nseg;
		uint32_t k;

		if (!only && !wr_zcandidate(w, wi))
			continue;
		nseg = EROFS_DIV_ROUND_UP(wi->size, (uint64_t)WR_ZSEGMENT);
		if (nseg > UINT32_MAX)
			return -EFBIG;
		/* counted at once, so that release frees what follows */
		f = &pool->files[pool->nr_files++];
		f->wi = wi;
		f->pmax = wi->packed ? w->z.pcluster_packed :
				       w->z.pcluster_dflt;
		if (wi == &w->mbox.wi) {
			f->pmax = w->mbox.pmax;
			f->ci = w->mbox.ci;
		}
		if (!only) {
			const struct erofs_zhint *h = wr_zhint(w, wi);

			if (h) {
				f->pmax = h->pcluster_size;
				f->ci = h->alg;
			}
		}
		f->nr_seg = (uint32_t)nseg;
		f->same_size = !only && nseg == 1 &&
			       !w->z.cfgs[f->ci].c->cheap &&
			       erofs_htab_set_has(&pool->same_sizes, wi->size);
		pool->any_same_size |= f->same_size;
		f->seg = calloc(nseg, sizeof(*f->seg));
		wi->z = calloc(1, sizeof(*wi->z));
		if (!f->seg || !wi->z)
			return -ENOMEM;
		/* --reuse: a read ahead of the pass, for the digest */
		if (nseg > 1 && !only &&
		    erofs_wr_reuse_wants_digest(w, wi, f->ci, f->pmax) &&
		    !erofs_wr_reuse_digest(w, wi, f->pre_digest))
			f->prehashed = true;
		if (nseg > 1 && wi->fingerprint) {
			f->sha = erofs_sha256_new();
			if (!f->sha)
				return -ENOMEM;
		}
		for (k = 0; k < nseg; k++)
			pool->jobs[pool->nr_jobs++] = (struct erofs_wr_zjobref){
				.file = (uint32_t)(f - pool->files), .seg = k,
				.len = (uint32_t)EROFS_MIN(wi->size -
					(uint64_t)k * WR_ZSEGMENT,
					(uint64_t)WR_ZSEGMENT),
			};
		pool->bufsz = EROFS_MAX(pool->bufsz, (size_t)EROFS_MIN(
				wi->size, (uint64_t)WR_ZSEGMENT));
	}
	qsort(pool->jobs, pool->nr_jobs, sizeof(*pool->jobs), wr_zjob_cmp);
	return 0;
}

/* a follower's result: a copy of its leader's (wr_zsame in zjob.c) */
static int wr_zseg_copy(struct erofs_wr_zseg *dst,
			const struct erofs_wr_zseg *src)
{
	size_t n = src->nr_ext, dlen = EROFS_ISHARE_DIGEST_LEN;

	*dst = *src;
	dst->ext = NULL;
	dst->esha = dst->psha = NULL;
	dst->wsum = NULL;
	dst->cap_ext = dst->cap_esha = dst->cap_psha = dst->cap_wsum = 0;
	if (!n)
		return 0;
	dst->ext = malloc(n * sizeof(*dst->ext));
	if (src->esha)
		dst->esha = malloc(n * dlen);
	if (src->psha)
		dst->psha = malloc(n * dlen);
	if (src->wsum)
		dst->wsum = malloc(n * sizeof(*dst->wsum));
	if (!dst->ext || (src->esha && !dst->esha) ||
	    (src->psha && !dst->psha) || (src->wsum && !dst->wsum))
		return -ENOMEM;
	dst->cap_ext = n;
	memcpy(dst->ext, src->ext, n * sizeof(*dst->ext));
	if (src->esha) {
		dst->cap_esha = n;
		memcpy(dst->esha, src->esha, n * dlen);
	}
	if (src->psha) {
		dst->cap_psha = n;
		memcpy(dst->psha, src->psha, n * dlen);
	}
	if (src->wsum) {
		dst->cap_wsum = n;
		memcpy(dst->wsum, src->wsum, n * sizeof(*dst->wsum));
	}
	return 0;
}

/* the followers take their leaders' results, before collect takes any */
static int wr_zfollow(struct erofs_wr *w, struct erofs_wr_zpool *pool)
{
	size_t i;
	int ret;

	for (i = 0; i < pool->nr_files; i++) {
		struct erofs_wr_zfile *f = &pool->files[i];
		const struct erofs_wr_zfile *g = &pool->files[f->leader];

		if (!f->follower)
			continue;
		ret = wr_zseg_copy(&f->seg[0], &g->seg[0]);
		if (ret) {
			erofs_err(w->log, "%s: out of memory",
				  erofs_wr_path(f->wi));
			return ret;
		}
	}
	return 0;
}

static void wr_zpool_release(struct erofs_wr_zpool *pool)
{
	size_t i;
	uint32_t k;

	erofs_wr_slide_release(pool);
	for (i = 0; i < pool->nr_wk; i++)
		erofs_wr_zworker_release(&pool->wk[i]);
	free(pool->wk);
	for (i = 0; i < pool->nr_files; i++) {
		struct erofs_wr_zfile *f = &pool->files[i];

		for (k = 0; f->seg && k < f->nr_seg; k++) {
			free(f->seg[k].ext);
			free(f->seg[k].esha);
			free(f->seg[k].psha);
			free(f->seg[k].wsum);
			free(f->seg[k].cand);
			free(f->seg[k].lnk);
		}
		free(f->seg);
		erofs_sha256_free(f->sha);
	}
	free(pool->files);
	free(pool->jobs);
	erofs_htab_release(&pool->same);
	erofs_htab_release(&pool->same_sizes);
	erofs_workpool_release(&pool->wp);
}

/* at least nr spools (a later pass may want more than an earlier one) */
static int wr_zspools(struct erofs_wr *w, unsigned int nr)
{
	struct erofs_wr_spool *sp;
	unsigned int i;
	int ret;

	if (nr <= w->z.nr_spools)
		return 0;
	sp = realloc(w->z.spools, nr * sizeof(*sp));
	if (!sp)
		return -ENOMEM;
	w->z.spools = sp;
	for (i = w->z.nr_spools; i < nr; i++) {
		ret = erofs_wr_spool_open(w, &sp[i], true);
		if (ret)
			return ret;
		w->z.nr_spools = i + 1;
	}
	return 0;
}

/*
 * One pass: compress the candidates (or only `only`) with the workers,
 * then collect the results in inode order (fragments go to the packed
 * spool there, shared through fs).
 */
static int wr_zpass(struct erofs_wr *w, struct erofs_wr_inode *only)
{
	struct erofs_wr_zpool pool = { .w = w };
	unsigned int nr = 0, i;
	int ret;

	ret = wr_zqueue(w, &pool, only);
	if (!ret && !only)
		ret = erofs_wr_ztails(&pool);
	erofs_workpool_init(&pool.wp, pool.nr_jobs, w->p->workers,
			    EROFS_MKFS_MAX_WORKERS, w->log);
	if (ret) {
		erofs_err(w->log, "cannot queue the files to compress: %s",
			  strerror(-ret));
		goto out;
	}
	if (!pool.nr_jobs)
		goto out;
	nr = pool.wp.nr_workers;
	pool.wk = calloc(nr, sizeof(*pool.wk));
	if (!pool.wk) {
		erofs_err(w->log, "out of memory for %u compression workers",
			  nr);
		ret = -ENOMEM;
		goto out;
	}
	pool.nr_wk = nr;
	ret = wr_zspools(w, nr);
	for (i = 0; i < nr && !ret; i++)
		ret = erofs_wr_zworker_init(&pool, &pool.wk[i], i);
	if (ret)
		goto out;
	erofs_info(w->log, "compressing %s%zu files (%zu segments) with %u worker%s",
		   only ? (only == &w->mbox.wi ? "the metabox inode: " :
			   "the packed inode: ") : "", pool.nr_files,
		   pool.nr_jobs, nr, nr > 1 ? "s" : "");
	ret = erofs_workpool_run(&pool.wp, &erofs_wr_zjob_ops, &pool);
	for (i = 0; i < nr; i++) {
		w->z.bytes_read += pool.wk[i].bytes_read;
		w->reuse.files_reused += pool.wk[i].reuse.files;
		w->reuse.bytes_reused += pool.wk[i].reuse.bytes;
	}
	if (!ret)
		ret = wr_zfollow(w, &pool);
	/* -E dedupe: matches anywhere, not only at extent starts */
	if (!ret && w->p->dedupe && !only) {
		ret = erofs_wr_slide(&pool);
		if (ret == -ENOMEM)
			erofs_err(w->log, "out of memory for -E dedupe");
	}
	for (i = 0; i < pool.nr_files && !ret; i++) {
		ret = wr_zcollect(w, &pool.files[i]);
		if (ret)
			erofs_err(w->log, "%s: cannot place the compressed data: %s",
				  erofs_wr_path(pool.files[i].wi),
				  strerror(-ret));
	}
out:
	wr_zpool_release(&pool);
	return ret;
}

int erofs_wr_z_compress_files(struct erofs_wr *w)
{
	int ret;

	if (!w->p->nr_compr)
		return 0;
	if (w->xattr.ishare_id >= 0) {
		struct erofs_sha256 *probe = erofs_sha256_new();

		if (!probe)
			return erofs_sha256_unavailable(w->log,
							"fingerprints need");
		erofs_sha256_free(probe);
	}
	ret = erofs_wr_reuse_init(w);
	if (ret)
		return ret;
	return wr_zpass(w, NULL);
}

int erofs_wr_z_compress_inode(struct erofs_wr *w, struct erofs_wr_inode *wi)
{
	return wr_zpass(w, wi);
}
