// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zwrite.c - compressed regular files for the writer (format.md 7).
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
 *    joined, the results are collected file by file in inode order, and
 *    layout decides every position, so the queue order changes no byte;
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
 *
 * Extent rules (format.md 7.1, 7.6, 7.8):
 *  - lclusters are one block; an extent that is not the last must end in a
 *    later lcluster than it starts in (one extent start per lcluster);
 *    segment boundaries are block-aligned, so ending there is allowed;
 *  - a compressed extent is kept only if its block-rounded encoded size is
 *    smaller than its decoded size; otherwise that spot becomes a PLAIN
 *    extent of (at most) one block of raw data;
 *  - with ztailpacking the last extent also gets an inline form (encoded
 *    or raw, < 1 block) that layout may place right after the indexes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "erofs/array.h"
#include "erofs/ishare.h"
#include "workpool.h"
#include "writer_internal.h"

/*
 * The segment size: as erofs-utils (16 MiB), a multiple of every block
 * size and larger than the largest extent (12 MiB), so small and medium
 * files are one segment and only very large ones get extra extent cuts.
 */
#define WR_ZSEGMENT	(16U << 20)
#define WR_ZREAD	(1U << 20)	/* source read size */

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
	for (i = 0; i < w->z.nr_spools; i++)
		erofs_wr_spool_close(&w->z.spools[i]);
	free(w->z.spools);
	w->z.spools = NULL;
	w->z.nr_spools = 0;
}

/* ---- the work queue ---- */

/* what one segment produced */
struct wr_zseg {
	struct erofs_wr_extent *ext;	/* la relative to the file */
	size_t nr_ext, cap_ext, cap_esha, cap_psha;
	/* -E dedupe: SHA-256 of each extent's decoded bytes */
	uint8_t (*esha)[EROFS_ISHARE_DIGEST_LEN];
	/* and of their first bytes (zdedupe.c: to find longer ones) */
	uint8_t (*psha)[EROFS_ISHARE_DIGEST_LEN];
	struct erofs_wr_zpiece pcl;	/* its pclusters */
	uint64_t zblocks;
	/* the file's last segment: inline form of the last extent */
	uint32_t inl_len;
	uint8_t inl_type;
	struct erofs_wr_zpiece inl;
	/* a one-segment file that compresses badly: its raw data */
	struct erofs_wr_zpiece raw;
	/* -E fragments: this segment's share of the file's fragment; when
	 * it is the whole fragment, frag_sha identifies it for sharing */
	struct erofs_wr_zpiece frag;
	bool frag_keyed;
	uint8_t frag_sha[EROFS_ISHARE_DIGEST_LEN];
};

struct wr_zfile {
	struct erofs_wr_inode *wi;
	uint32_t pmax;			/* its largest pcluster (bytes) */
	unsigned int ci;		/* its algorithm: w->z.cfgs[ci] */
	uint32_t nr_seg;
	struct wr_zseg *seg;
	/* files of several segments with a fingerprint: the running hash,
	 * and how many segments went into it (guarded by the pool lock) */
	struct erofs_sha256 *sha;
	uint32_t hashed;
};

struct wr_zjobref {
	uint32_t file, seg;
	uint32_t len;			/* the segment's bytes */
};

struct wr_zpool;

struct wr_zworker {
	struct wr_zpool *pool;
	unsigned int id;		/* = its spool number */
	struct erofs_log log;		/* proxy into the build's log */
	/* one compressor per -z algorithm, set up on first use */
	struct erofs_compress_ctx ctx[EROFS_MKFS_MAX_COMPR];
	uint32_t ctx_ok;		/* bit per ctx[] set up */
	struct erofs_compress_ctx *cur;	/* the file in hand's */
	struct erofs_sha256 *sha;	/* one-segment files */
	struct erofs_sha256 *fsha;	/* fragment keys (-E fragments) */
	uint8_t *buf;			/* the segment's bytes */
	uint8_t *enc;			/* one encoded pcluster */
	uint8_t *pcl;			/* the padded pcluster */
	uint64_t bytes_read;
	/* the segment in hand, from file byte base */
	uint64_t base;
	struct wr_zfile *f;
	struct wr_zseg *s;
	const char *path;
};

/* one compression pass: its files, its queue (workpool.h job numbers
 * index jobs[]) and its workers */
struct wr_zpool {
	struct erofs_wr *w;
	struct erofs_workpool wp;	/* the hashed counters are guarded
					 * by its lock */
	struct wr_zfile *files;
	size_t nr_files;
	struct wr_zjobref *jobs;
	size_t nr_jobs;
	size_t bufsz;			/* largest segment in the queue */
	struct wr_zworker *wk;
	unsigned int nr_wk;
};

static bool wr_zstopped(struct wr_zpool *pool)
{
	return erofs_workpool_stopped(&pool->wp);
}

/* append to the worker's spool; *off receives where it lands */
static int wr_zappend(struct wr_zworker *k, const void *buf, size_t len,
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
static int wr_zcut_extent(void *priv, uint64_t la, uint32_t llen, uint8_t type,
			  const uint8_t *src, const uint8_t *pcl, uint32_t pblks)
{
	struct wr_zworker *k = priv;
	const struct erofs_wr *w = k->pool->w;
	struct wr_zseg *s = k->s;
	uint64_t soff;
	int ret;

	if (wr_zstopped(k->pool))
		return -ECANCELED;
	ret = erofs_array_reserve(&s->ext, &s->cap_ext, s->nr_ext + 1);
	if (!ret && w->p->dedupe) {
		ret = erofs_array_reserve(&s->esha, &s->cap_esha,
					  s->nr_ext + 1);
		if (!ret)
			ret = erofs_array_reserve(&s->psha, &s->cap_psha,
						  s->nr_ext + 1);
	}
	if (ret) {
		erofs_err(&k->log, "%s: out of memory", k->path);
		return ret;
	}
	if (w->p->dedupe) {
		ret = erofs_wr_dedupe_hash(k->fsha, src, llen,
					   s->esha[s->nr_ext],
					   s->psha[s->nr_ext]);
		if (ret) {
			erofs_err(&k->log, "%s: cannot hash an extent: %s",
				  k->path, strerror(-ret));
			return ret;
		}
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
	struct wr_zworker *k = priv;
	struct wr_zseg *s = k->s;

	s->inl_len = len;
	s->inl_type = type;
	return wr_zappend(k, data, len, &s->inl.off);
}

/* zcut.c callback: the rest of the segment is (its share of) the
 * file's fragment */
static int wr_zcut_fragment(void *priv, uint64_t la, const uint8_t *src,
			    size_t len)
{
	struct wr_zworker *k = priv;
	struct wr_zseg *s = k->s;
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
static int wr_zseg_extents(struct wr_zworker *k, uint64_t base, size_t len,
			   bool last_seg)
{
	const struct erofs_wr *w = k->pool->w;
	const struct wr_zfile *f = k->f;
	struct erofs_wr_zcut c = {
		.blkszbits = w->blkszbits, .max_extent = w->z.max_extent,
		.pmax = f->pmax, .tailpacking = w->p->ztailpacking && last_seg,
		.ctx = k->cur, .enc = k->enc, .pcl = k->pcl,
		.ops = &wr_zcut_ops, .priv = k, .log = &k->log,
		.path = k->path,
	};

	/*
	 * -E fragments: as erofs-utils, what is left of the last segment
	 * once it is no more than one pcluster (the whole file if it is
	 * that small) goes to the packed inode, and with all-fragments
	 * every byte.  The packed inode itself never does.
	 */
	if (w->p->fragments && !f->wi->packed)
		c.frag_max = w->p->all_fragments ? UINT64_MAX :
			     last_seg ? f->pmax : 0;
	return erofs_wr_zcut_segment(&c, k->buf, base, len);
}

/* read file bytes [base, base + len) into k->buf; last_seg: also check
 * that the file did not grow */
static int wr_zseg_read(struct wr_zworker *k, uint64_t base, size_t len,
			bool last_seg)
{
	const struct erofs_wr_inode *wi = k->f->wi;
	const struct erofs_node *n = wi->node;
	size_t done = 0;
	int fd, ret = 0;
	uint8_t c;

	/* the packed inode's bytes are the packed spool (whole, final) */
	fd = wi->packed ? dup(k->pool->w->packed.spool.fd) :
			  open(n->src_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		erofs_err(&k->log, "%s: cannot open %s: %s", k->path,
			  wi->packed ? "the packed spool" : n->src_path,
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
static int wr_zseg_hash(struct wr_zworker *k, uint32_t seg, size_t len)
{
	struct wr_zpool *pool = k->pool;
	struct wr_zfile *f = k->f;
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
 * Is the compressed form worth keeping?  Compare bytes: pcluster blocks,
 * the inline tail (ztailpacking) where it will fit after the inode, the
 * map header and indexes -- against the plain blocks and inline tail.  A
 * file with a fragment keeps the older rule (fewer blocks), since what
 * its fragment costs in the packed inode is not known yet.
 */
static bool wr_zkeep(const struct erofs_wr *w, const struct erofs_wr_inode *wi,
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
	/* layout.c's rule (wr_wants_inline): a tail never starts a block */
	if (inl_len && last && (body + meta) % bs &&
	    (body + meta) % bs + inl_len <= bs)
		zbytes = zbytes - (uint64_t)last->pblks * bs + inl_len;
	return zbytes < flat;
}

static int wr_zseg_run(struct wr_zworker *k, const struct wr_zjobref *job)
{
	struct wr_zpool *pool = k->pool;
	struct erofs_wr *w = pool->w;
	struct wr_zfile *f = &pool->files[job->file];
	struct wr_zseg *s = &f->seg[job->seg];
	uint64_t size = f->wi->size, base = (uint64_t)job->seg * WR_ZSEGMENT;
	size_t len = (size_t)EROFS_MIN(size - base, (uint64_t)WR_ZSEGMENT), i;
	bool last_seg = job->seg + 1 == f->nr_seg, any_head1 = false;
	int ret;

	k->f = f;
	k->s = s;
	k->base = base;
	if (!(k->ctx_ok & (1U << f->ci))) {
		ret = erofs_compress_init(&k->ctx[f->ci], &w->z.cfgs[f->ci]);
		if (ret) {
			erofs_err(&k->log, "cannot set up %s: %s",
				  w->z.cfgs[f->ci].c->name, strerror(-ret));
			return ret;
		}
		k->ctx_ok |= 1U << f->ci;
	}
	k->cur = &k->ctx[f->ci];
	k->path = erofs_wr_path(f->wi);
	ret = wr_zseg_read(k, base, len, last_seg);
	if (!ret && f->wi->fingerprint)
		ret = wr_zseg_hash(k, job->seg, len);
	if (ret)
		return ret;
	s->pcl.spool = s->inl.spool = s->raw.spool = s->frag.spool = k->id;
	s->pcl.off = w->z.spools[k->id].len;
	ret = wr_zseg_extents(k, base, len, last_seg);
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
	    !wr_zkeep(w, f->wi, s->zblocks,
		      s->nr_ext ? &s->ext[s->nr_ext - 1] : NULL, s->inl_len,
		      s->frag.len)) {
		ret = wr_zappend(k, k->buf, len, &s->raw.off);
		s->raw.len = len;
	}
	return ret;
}

static int wr_zjob_run(void *priv, unsigned int worker, size_t job)
{
	struct wr_zpool *pool = priv;

	return wr_zseg_run(&pool->wk[worker], &pool->jobs[job]);
}

/* what this worker spooled must be in its file before the join */
static int wr_zjob_exit(void *priv, unsigned int worker)
{
	struct wr_zpool *pool = priv;
	struct wr_zworker *k = &pool->wk[worker];
	int ret = erofs_wr_spool_flush(&pool->w->z.spools[worker]);

	if (ret)
		erofs_err(&k->log, "%s: spool write error: %s",
			  k->path ? k->path : "?", strerror(-ret));
	return ret;
}

static const struct erofs_workpool_ops wr_zjob_ops = {
	.run = wr_zjob_run,
	.exit = wr_zjob_exit,
};

/* give a file's fragment its place in the packed inode */
static int wr_zcollect_frag(struct erofs_wr *w, struct wr_zfile *f,
			    uint64_t frag_len)
{
	struct erofs_wr_zinfo *z = f->wi->z;
	const struct wr_zseg *last = &f->seg[f->nr_seg - 1];
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
				       last->frag_keyed ? last->frag_sha : NULL,
				       &z->frag_off);
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
static int wr_zcollect(struct erofs_wr *w, struct wr_zfile *f)
{
	struct erofs_wr_zinfo *z = f->wi->z;
	const struct wr_zseg *last = &f->seg[f->nr_seg - 1];
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
	if (!wr_zkeep(w, f->wi, z->zblocks,
		      z->nr_ext ? &z->ext[z->nr_ext - 1] : NULL, z->inl_len,
		      frag_len)) {
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
		z->full = w->p->legacy_compress;
		/* the packed inode takes no part */
		for (k = 0, i = 0; !f->wi->packed && w->p->dedupe &&
				   k < f->nr_seg; k++) {
			const struct wr_zseg *sg = &f->seg[k];

			ret = erofs_wr_dedupe_extents(w, f->wi, i, sg->nr_ext,
				(const uint8_t (*)[EROFS_ISHARE_DIGEST_LEN])sg->esha,
				(const uint8_t (*)[EROFS_ISHARE_DIGEST_LEN])sg->psha);
			if (ret)
				return ret;
			i += sg->nr_ext;
		}
		if (frag_len) {
			ret = wr_zcollect_frag(w, f, frag_len);
			if (ret)
				return ret;
		}
		z->meta_len = erofs_wr_z_meta_len(w, f->wi);
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
	const struct wr_zjobref *x = a, *y = b;

	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->seg < y->seg ? -1 : x->seg > y->seg;
}

/* the queue: every segment of every candidate (or of `only`), longest
 * first */
static int wr_zqueue(struct erofs_wr *w, struct wr_zpool *pool,
		     struct erofs_wr_inode *only)
{
	size_t i, nf = 0, nj = 0;

	for (i = 0; i < w->tree.nr_inodes; i++) {
		const struct erofs_wr_inode *wi = &w->tree.inodes[i];

		if (only ? wi != only : !wr_zcandidate(w, wi))
			continue;
		nf++;
		nj += EROFS_DIV_ROUND_UP(wi->size, (uint64_t)WR_ZSEGMENT);
	}
	if (!nf)
		return 0;
	pool->files = calloc(nf, sizeof(*pool->files));
	pool->jobs = calloc(nj, sizeof(*pool->jobs));
	if (!pool->files || !pool->jobs)
		return -ENOMEM;
	for (i = 0; i < w->tree.nr_inodes; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];
		struct wr_zfile *f;
		uint64_t nseg;
		uint32_t k;

		if (only ? wi != only : !wr_zcandidate(w, wi))
			continue;
		nseg = EROFS_DIV_ROUND_UP(wi->size, (uint64_t)WR_ZSEGMENT);
		if (nseg > UINT32_MAX)
			return -EFBIG;
		/* counted at once, so that release frees what follows */
		f = &pool->files[pool->nr_files++];
		f->wi = wi;
		f->pmax = wi->packed ? w->z.pcluster_packed : w->z.pcluster_dflt;
		if (!only) {
			const struct erofs_zhint *h = wr_zhint(w, wi);

			if (h) {
				f->pmax = h->pcluster_size;
				f->ci = h->alg;
			}
		}
		f->nr_seg = (uint32_t)nseg;
		f->seg = calloc(nseg, sizeof(*f->seg));
		wi->z = calloc(1, sizeof(*wi->z));
		if (!f->seg || !wi->z)
			return -ENOMEM;
		if (nseg > 1 && wi->fingerprint) {
			f->sha = erofs_sha256_new();
			if (!f->sha)
				return -ENOMEM;
		}
		for (k = 0; k < nseg; k++)
			pool->jobs[pool->nr_jobs++] = (struct wr_zjobref){
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

static int wr_zworker_init(struct wr_zpool *pool, struct wr_zworker *k,
			   unsigned int id)
{
	struct erofs_wr *w = pool->w;
	size_t pmax = (size_t)w->z.pcluster_blks << w->blkszbits;

	k->pool = pool;
	k->id = id;
	erofs_workpool_log_init(&pool->wp, &k->log);
	k->buf = malloc(pool->bufsz);
	k->enc = malloc(pmax);
	k->pcl = malloc(pmax);
	if (w->xattr.ishare_id >= 0)
		k->sha = erofs_sha256_new();
	if (w->p->fragments || w->p->dedupe)
		k->fsha = erofs_sha256_new();
	if (!k->buf || !k->enc || !k->pcl ||
	    (w->xattr.ishare_id >= 0 && !k->sha) ||
	    ((w->p->fragments || w->p->dedupe) && !k->fsha)) {
		erofs_err(w->log, "out of memory for compression worker %u",
			  id);
		return -ENOMEM;
	}
	return 0;
}

static void wr_zpool_release(struct wr_zpool *pool)
{
	size_t i;
	uint32_t k;

	for (i = 0; i < pool->nr_wk; i++) {
		struct wr_zworker *wk = &pool->wk[i];

		for (k = 0; k < EROFS_MKFS_MAX_COMPR; k++)
			if (wk->ctx_ok & (1U << k))
				erofs_compress_release(&wk->ctx[k]);
		erofs_sha256_free(wk->sha);
		erofs_sha256_free(wk->fsha);
		free(wk->buf);
		free(wk->enc);
		free(wk->pcl);
	}
	free(pool->wk);
	for (i = 0; i < pool->nr_files; i++) {
		struct wr_zfile *f = &pool->files[i];

		for (k = 0; f->seg && k < f->nr_seg; k++) {
			free(f->seg[k].ext);
			free(f->seg[k].esha);
			free(f->seg[k].psha);
		}
		free(f->seg);
		erofs_sha256_free(f->sha);
	}
	free(pool->files);
	free(pool->jobs);
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
	struct wr_zpool pool = { .w = w };
	unsigned int nr = 0, i;
	int ret;

	ret = wr_zqueue(w, &pool, only);
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
		ret = wr_zworker_init(&pool, &pool.wk[i], i);
	if (ret)
		goto out;
	erofs_info(w->log, "compressing %s%zu files (%zu segments) with %u worker%s",
		   only ? "the packed inode: " : "", pool.nr_files,
		   pool.nr_jobs, nr, nr > 1 ? "s" : "");
	ret = erofs_workpool_run(&pool.wp, &wr_zjob_ops, &pool);
	for (i = 0; i < nr; i++)
		w->z.bytes_read += pool.wk[i].bytes_read;
	for (i = 0; i < pool.nr_files && !ret; i++) {
		ret = wr_zcollect(w, &pool.files[i]);
		if (ret)
			erofs_err(w->log, "%s: cannot place the compressed data: %s",
				  erofs_wr_path(pool.files[i].wi), strerror(-ret));
	}
out:
	wr_zpool_release(&pool);
	return ret;
}

int erofs_wr_z_compress_files(struct erofs_wr *w)
{
	if (!w->p->nr_compr)
		return 0;
	if (w->xattr.ishare_id >= 0) {
		struct erofs_sha256 *probe = erofs_sha256_new();

		if (!probe) {
			erofs_err(w->log,
				  "fingerprints need SHA-256 (libcrypto), which is not available");
			return -EOPNOTSUPP;
		}
		erofs_sha256_free(probe);
	}
	return wr_zpass(w, NULL);
}

int erofs_wr_z_compress_inode(struct erofs_wr *w, struct erofs_wr_inode *wi)
{
	return wr_zpass(w, wi);
}
