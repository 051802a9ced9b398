// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zjob.c - one compression job, run by a worker of the pool: read one
 * segment of one file, feed it to the file's fingerprint (segments of a
 * file in order), cut it into extents (zcut.c) and spool what it makes,
 * recording the result in that segment's slot.  A one-segment file that
 * compresses badly also spools its raw bytes, still in hand.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "erofs/array.h"
#include "erofs/ishare.h"
#include "zwrite_internal.h"

static bool wr_zstopped(struct erofs_wr_zpool *pool)
{
	return erofs_workpool_stopped(&pool->wp);
}

/* append to the worker's spool; *off receives where it lands */
static int wr_zappend(struct erofs_wr_zworker *k, const void *buf, size_t len,
		      uint64_t *off)
{
	int ret = erofs_wr_spool_append(&k->pool->w->z.spools[k->id], buf, len,
					off);

	if (ret)
		erofs_err(&k->log, "%s: spool write error: %s",
			  k->path ? k->path : "?", strerror(-ret));
	return ret;
}

/* zcut.c callback: a new extent and its pcluster */
static int wr_zcut_extent(void *priv, uint64_t la, uint32_t llen,
			  uint8_t type, const uint8_t *src, const uint8_t *pcl,
			  uint32_t pblks)
{
	struct erofs_wr_zworker *k = priv;
	const struct erofs_wr *w = k->pool->w;
	struct erofs_wr_zseg *s = k->s;
	/* the packed inode's extents are never shared */
	bool hash = erofs_wr_dedupe_on(w->p) && !k->f->wi->packed;
	uint64_t soff;
	int ret;

	if (wr_zstopped(k->pool))
		return -ECANCELED;
	ret = erofs_array_reserve(&s->ext, &s->cap_ext, s->nr_ext + 1);
	if (!ret && hash)
		ret = erofs_array_reserve(&s->esha, &s->cap_esha,
					  s->nr_ext + 1);
	if (!ret && hash && w->p->dedupe)
		ret = erofs_array_reserve(&s->psha, &s->cap_psha,
					  s->nr_ext + 1);
	if (!ret && hash && w->p->dedupe)
		ret = erofs_array_reserve(&s->wsum, &s->cap_wsum,
					  s->nr_ext + 1);
	if (ret) {
		erofs_err(&k->log, "%s: out of memory", k->path);
		return ret;
	}
	if (hash) {
		/* prefixes only serve -E dedupe's partial references */
		ret = erofs_wr_dedupe_hash(k->fsha, src, llen,
					   s->esha[s->nr_ext],
					   w->p->dedupe ? s->psha[s->nr_ext] :
							  NULL);
		if (ret) {
			erofs_err(&k->log, "%s: cannot hash an extent: %s",
				  k->path, strerror(-ret));
			return ret;
		}
		if (w->p->dedupe)
			s->wsum[s->nr_ext] = llen >= WR_SWIN ?
					     erofs_wr_slide_sum(src) : 0;
	}
	ret = wr_zappend(k, pcl, (size_t)pblks << w->blkszbits, &soff);
	if (ret)
		return ret;
	s->ext[s->nr_ext++] = (struct erofs_wr_extent){
		.la = la, .llen = llen, .pblks = pblks, .type = type,
		.spool = k->id, .soff = soff,
	};
	s->zblocks += pblks;
	return 0;
}

/* zcut.c callback: the inline form of the file's last extent */
static int wr_zcut_inline(void *priv, const uint8_t *data, uint32_t len,
			  uint8_t type)
{
	struct erofs_wr_zworker *k = priv;
	struct erofs_wr_zseg *s = k->s;

	s->inl_len = len;
	s->inl_type = type;
	return wr_zappend(k, data, len, &s->inl.off);
}

/* zcut.c callback: the rest of the segment is (its share of) the
 * file's fragment */
static int wr_zcut_fragment(void *priv, uint64_t la, const uint8_t *src,
			    size_t len)
{
	struct erofs_wr_zworker *k = priv;
	struct erofs_wr_zseg *s = k->s;
	int ret = wr_zappend(k, src, len, &s->frag.off);

	(void)la;
	if (ret)
		return ret;
	s->frag.spool = k->id;
	s->frag.len = len;
	/* a fragment spread over several segments is never shared */
	if (k->f->nr_seg > 1 && k->pool->w->p->all_fragments)
		return 0;
	ret = erofs_sha256_reset(k->fsha);
	if (!ret)
		ret = erofs_sha256_update(k->fsha, src, len);
	if (!ret)
		ret = erofs_sha256_final(k->fsha, s->frag_sha);
	if (ret) {
		erofs_err(&k->log, "%s: cannot hash the fragment: %s",
			  k->path, strerror(-ret));
		return ret;
	}
	s->frag_keyed = true;
	return 0;
}

static const struct erofs_wr_zcut_ops wr_zcut_ops = {
	.extent = wr_zcut_extent,
	.inline_tail = wr_zcut_inline,
	.fragment = wr_zcut_fragment,
};

/*
 * Cut file bytes [base, base + len), held in k->buf, into extents.
 * last_seg: the segment ends the file (tail packing and fragments apply).
 */
static int wr_zseg_extents(struct erofs_wr_zworker *k, uint64_t base,
			   size_t len, bool last_seg, bool replay)
{
	const struct erofs_wr *w = k->pool->w;
	const struct erofs_wr_zfile *f = k->f;
	struct erofs_wr_zcut c = {
		.blkszbits = w->blkszbits, .max_extent = w->z.max_extent,
		.pmax = f->pmax,
		/* the metabox inode's index is planned full, without one */
		.tailpacking = w->p->ztailpacking && last_seg &&
			       f->wi != &w->mbox.wi,
		.ctx = k->cur, .enc = k->enc, .pcl = k->pcl,
		.ops = &wr_zcut_ops, .priv = k, .log = &k->log,
		.path = k->path,
		.replay = replay ? erofs_wr_reuse_replay : NULL,
		.replay_priv = &k->reuse,
	};

	/*
	 * -E fragments: as erofs-utils, what is left of the last segment
	 * once it is no more than one pcluster (the whole file if it is
	 * that small) goes to the packed inode, and with all-fragments
	 * every byte.  The packed inode itself never does.
	 */
	if (w->p->fragments && !f->wi->packed)
		c.frag_max = w->p->all_fragments ?
			     (f->frag_tail ? f->frag_tail : UINT64_MAX) :
			     last_seg ? f->pmax : 0;
	/*
	 * As erofs-utils, the whole last extent, not only what is left
	 * below one pcluster -- but not for files a --compress-hints rule
	 * gives another algorithm or pcluster size: the packed inode would
	 * take them whole, with its own
	 */
	c.frag_last = f->ci == 0 && f->pmax == w->z.pcluster_dflt;
	return erofs_wr_zcut_segment(&c, k->buf, base, len);
}

/* read file bytes [base, base + len) into k->buf; last_seg: also check
 * that the file did not grow */
int erofs_wr_zseg_read(struct erofs_wr_zworker *k, uint64_t base, size_t len,
		       bool last_seg)
{
	const struct erofs_wr_inode *wi = k->f->wi;
	const struct erofs_node *n = wi->node;
	size_t done = 0;
	int fd, ret = 0;
	uint8_t c;

	/* the packed (or metabox) inode's bytes are its spool (whole,
	 * final) */
	fd = wi->packed ? dup(wi->data_spool->fd) :
			  open(n->src_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		erofs_err(&k->log, "%s: cannot open %s: %s", k->path,
			  wi->packed ? "its spool" : n->src_path,
			  strerror(errno));
		return ret;
	}
	while (done < len) {
		size_t want = EROFS_MIN(len - done, (size_t)WR_ZREAD);
		ssize_t got = pread(fd, k->buf + done, want,
				    (off_t)(n->src_off + base + done));

		if (got < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			erofs_err(&k->log, "%s: read error: %s", k->path,
				  strerror(errno));
			goto out;
		}
		if (!got) {
			erofs_err(&k->log,
				  "%s: file shrank while building (%llu of %llu bytes)",
				  k->path, (unsigned long long)(base + done),
				  (unsigned long long)wi->size);
			ret = -EIO;
			goto out;
		}
		done += (size_t)got;
		if (!wi->packed)
			k->bytes_read += (uint64_t)got;
	}
	/* a whole-file source must end here; spool files continue */
	if (last_seg && !n->src_off &&
	    pread(fd, &c, 1, (off_t)wi->size) > 0) {
		erofs_err(&k->log,
			  "%s: file grew while building (expected %llu bytes)",
			  k->path, (unsigned long long)wi->size);
		ret = -EIO;
	}
out:
	close(fd);
	return ret;
}

/* feed segment seg (len bytes in k->buf) to the file's fingerprint */
static int wr_zseg_hash(struct erofs_wr_zworker *k, uint32_t seg, size_t len)
{
	struct erofs_wr_zpool *pool = k->pool;
	struct erofs_wr_zfile *f = k->f;
	struct erofs_wr_zinfo *z = f->wi->z;
	struct erofs_sha256 *sha = f->nr_seg == 1 ? k->sha : f->sha;
	int ret = 0;

	if (f->nr_seg > 1) {
		/* wait for the previous segment's bytes */
		bool ready;

		erofs_workpool_lock(&pool->wp);
		while (f->hashed < seg && erofs_workpool_wait(&pool->wp))
			;
		ready = f->hashed == seg;
		erofs_workpool_unlock(&pool->wp);
		if (!ready)
			return -ECANCELED;
	}
	/* this worker alone holds the hash until it passes it on */
	if (!seg)
		ret = erofs_sha256_reset(sha);
	if (!ret)
		ret = erofs_sha256_update(sha, k->buf, len);
	if (!ret && seg + 1 == f->nr_seg) {
		ret = erofs_sha256_final(sha, z->digest);
		z->has_digest = !ret;
	}
	if (ret) {
		erofs_err(&k->log, "%s: cannot compute the fingerprint: %s",
			  k->path, strerror(-ret));
		return ret;
	}
	if (f->nr_seg > 1) {
		erofs_workpool_lock(&pool->wp);
		f->hashed = seg + 1;
		erofs_workpool_wake(&pool->wp);
		erofs_workpool_unlock(&pool->wp);
	}
	return 0;
}

/*
 * Has a file of this pass with the same bytes (digest and size) and the
 * same settings been hashed already?  Then this one follows it: the
 * compressed result depends on nothing else (not on the path, not on
 * where the data lands), so collect copies the leader's, and the image
 * is the one a build compressing both would make.  The body (inode and
 * xattr bytes) is compared too: it decides whether a tail fits inline
 * and whether the compressed form is kept.  Which of two equal files
 * leads depends on the workers' timing, and so nothing written does.
 */
static int wr_zsame(struct erofs_wr_zworker *k, struct erofs_wr_zfile *f,
		    bool *follow)
{
	struct erofs_wr_zpool *pool = k->pool;
	const struct erofs_wr_inode *wi = f->wi;
	uint64_t h = erofs_hash_bytes(wi->z->digest, sizeof(wi->z->digest)),
		 v;
	size_t pos = 0;
	int ret = 0;

	*follow = false;
	erofs_workpool_lock(&pool->wp);
	while (erofs_htab_next(&pool->same, h, &pos, &v)) {
		const struct erofs_wr_zfile *g = &pool->files[v];

		/* frag_tail: ztails.c may split one copy and not another */
		if (g->ci == f->ci && g->pmax == f->pmax &&
		    g->frag_tail == f->frag_tail &&
		    g->wi->size == wi->size &&
		    g->wi->isize + g->wi->xattr_size ==
		    wi->isize + wi->xattr_size &&
		    !memcmp(g->wi->z->digest, wi->z->digest,
			    sizeof(wi->z->digest))) {
			f->leader = (uint32_t)v;
			f->follower = true;
			*follow = true;
			break;
		}
	}
	if (!*follow)
		ret = erofs_htab_add(&pool->same, h,
				     (uint64_t)(f - pool->files));
	erofs_workpool_unlock(&pool->wp);
	if (ret)
		erofs_err(&k->log, "%s: out of memory", k->path);
	return ret;
}

int erofs_wr_zworker_ctx(struct erofs_wr_zworker *k, unsigned int ci)
{
	const struct erofs_wr *w = k->pool->w;
	int ret;

	if (!(k->ctx_ok & (1U << ci))) {
		ret = erofs_compress_init(&k->ctx[ci], &w->z.cfgs[ci]);
		if (ret) {
			erofs_err(&k->log, "cannot set up %s: %s",
				  w->z.cfgs[ci].c->name, strerror(-ret));
			return ret;
		}
		k->ctx_ok |= 1U << ci;
	}
	k->cur = &k->ctx[ci];
	return 0;
}

static int wr_zseg_run(struct erofs_wr_zworker *k,
		       const struct erofs_wr_zjobref *job)
{
	struct erofs_wr_zpool *pool = k->pool;
	struct erofs_wr *w = pool->w;
	struct erofs_wr_zfile *f = &pool->files[job->file];
	struct erofs_wr_zseg *s = &f->seg[job->seg];
	uint64_t size = f->wi->size, base = (uint64_t)job->seg * WR_ZSEGMENT;
	size_t len = (size_t)EROFS_MIN(size - base, (uint64_t)WR_ZSEGMENT), i;
	bool last_seg = job->seg + 1 == f->nr_seg, any_head1 = false;
	/*
	 * --reuse: a one-segment file's digest is known once it is read, a
	 * larger one's if it was read ahead; files with another pcluster
	 * size than the default (--compress-hints) are not taken: OLD's
	 * settings were proven with the default one
	 */
	bool reusable = w->reuse.nr_src && (f->nr_seg == 1 || f->prehashed) &&
			!f->wi->packed && f->pmax == w->z.pcluster_dflt &&
			(w->reuse.alg_ok[f->ci] != 0);
	bool replay = false;
	int ret;

	k->f = f;
	k->s = s;
	k->base = base;
	ret = erofs_wr_zworker_ctx(k, f->ci);
	if (ret)
		return ret;
	k->path = erofs_wr_path(f->wi);
	ret = erofs_wr_zseg_read(k, base, len, last_seg);
	if (!ret && (f->wi->fingerprint || (reusable && f->nr_seg == 1) ||
		     (f->same_size && k->sha)))
		ret = wr_zseg_hash(k, job->seg, len);
	if (ret)
		return ret;
	if (reusable)
		replay = erofs_wr_reuse_prepare(w, &k->reuse, f->ci,
						f->prehashed ? f->pre_digest :
						f->wi->z->digest, k->buf, base,
						len, size,
						f->wi->isize + f->wi->xattr_size,
						&k->log, k->path);
	/*
	 * Only what would be compressed follows another file: every file
	 * still tries --reuse itself, so each says why it was not taken,
	 * whichever copy leads
	 */
	if (!replay && f->nr_seg == 1 && f->wi->z->has_digest &&
	    !f->wi->packed) {
		bool follow;

		ret = wr_zsame(k, f, &follow);
		if (ret || follow)
			return ret;
	}
	s->pcl.spool = s->inl.spool = s->raw.spool = s->frag.spool = k->id;
	s->pcl.off = w->z.spools[k->id].len;
	ret = wr_zseg_extents(k, base, len, last_seg, replay);
	if (ret)
		return ret;
	s->pcl.len = s->zblocks << w->blkszbits;
	s->inl.len = s->inl_len;
	if (f->nr_seg > 1)
		return 0;
	/*
	 * A one-segment file whose compressed form saves nothing but has
	 * compressed extents is stored raw; its bytes are still in hand, so
	 * spool them now (all PLAIN needs nothing: those blocks are the raw
	 * data already).
	 */
	for (i = 0; i < s->nr_ext; i++)
		any_head1 |= s->ext[i].type == Z_EROFS_LCLUSTER_TYPE_HEAD1;
	if (any_head1 &&
	    !erofs_wr_z_keep(w, f->wi, s->zblocks,
		      s->nr_ext ? &s->ext[s->nr_ext - 1] : NULL, s->inl_len,
		      s->frag.len)) {
		ret = wr_zappend(k, k->buf, len, &s->raw.off);
		s->raw.len = len;
	}
	return ret;
}

static int wr_zjob_run(void *priv, unsigned int worker, size_t job)
{
	struct erofs_wr_zpool *pool = priv;

	return wr_zseg_run(&pool->wk[worker], &pool->jobs[job]);
}

/* what this worker spooled must be in its file before the join */
static int wr_zjob_exit(void *priv, unsigned int worker)
{
	struct erofs_wr_zpool *pool = priv;
	struct erofs_wr_zworker *k = &pool->wk[worker];
	int ret = erofs_wr_spool_flush(&pool->w->z.spools[worker]);

	if (ret)
		erofs_err(&k->log, "%s: spool write error: %s",
			  k->path ? k->path : "?", strerror(-ret));
	return ret;
}

const struct erofs_workpool_ops erofs_wr_zjob_ops = {
	.run = wr_zjob_run,
	.finish = wr_zjob_exit,
};

int erofs_wr_zworker_init(struct erofs_wr_zpool *pool,
			  struct erofs_wr_zworker *k, unsigned int id)
{
	struct erofs_wr *w = pool->w;
	size_t pmax = (size_t)w->z.pcluster_blks << w->blkszbits;

	k->pool = pool;
	k->id = id;
	erofs_workpool_log_init(&pool->wp, &k->log);
	/* fingerprints, --reuse, -E dedupe and -E fragments cannot do
	 * without SHA-256: say so, not "out of memory" */
	if ((w->xattr.ishare_id >= 0 || w->reuse.nr_src ||
	     w->p->fragments || w->p->dedupe) && erofs_sha256_load())
		return erofs_sha256_unavailable(w->log,
				w->xattr.ishare_id >= 0 ? "fingerprints need" :
				w->reuse.nr_src ? "--reuse needs" :
				w->p->dedupe ? "-E dedupe needs" :
				"-E fragments needs");
	k->buf = malloc(pool->bufsz);
	k->enc = malloc(pmax);
	k->pcl = malloc(pmax);
	/* without fingerprints or --reuse, only to find equal files: a
	 * build without libcrypto just compresses them all */
	if (w->xattr.ishare_id >= 0 || w->reuse.nr_src ||
	    pool->any_same_size)
		k->sha = erofs_sha256_new();
	if (w->p->fragments || w->p->dedupe)
		k->fsha = erofs_sha256_new();
	if (!k->buf || !k->enc || !k->pcl ||
	    ((w->xattr.ishare_id >= 0 || w->reuse.nr_src) && !k->sha) ||
	    erofs_wr_reuse_worker_init(w, &k->reuse) ||
	    ((w->p->fragments || w->p->dedupe) && !k->fsha)) {
		erofs_err(w->log, "out of memory for compression worker %u",
			  id);
		return -ENOMEM;
	}
	return 0;
}

void erofs_wr_zworker_release(struct erofs_wr_zworker *k)
{
	uint32_t i;

	for (i = 0; i < EROFS_MKFS_MAX_COMPR; i++)
		if (k->ctx_ok & (1U << i))
			erofs_compress_release(&k->ctx[i]);
	erofs_wr_reuse_worker_release(&k->reuse);
	erofs_sha256_free(k->sha);
	erofs_sha256_free(k->fsha);
	free(k->buf);
	free(k->enc);
	free(k->pcl);
}
