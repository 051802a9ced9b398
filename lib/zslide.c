// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zslide.c - -E dedupe at any offset: bytes of a file that equal the
 * start of an earlier pcluster use that pcluster wherever they are, not
 * only where the file's own cut happens to start an extent (format.md
 * 7.13: a partial reference decodes the first bytes of a pcluster).
 * erofs-utils looks for such matches with a rolling hash while it
 * compresses, one file after the other.  Here the files are compressed
 * in parallel first (zwrite.c), and then, before collect:
 *
 *  1. scan (here, in the workers): every segment is rolled over with a
 *     WR_SWIN-byte window against the first WR_SWIN bytes of the first
 *     pass's extents (compressed ones and PLAIN blocks); where the window
 *     and the bytes after it equal those of an earlier extent (earlier in
 *     inode order, or before it in the same segment), the segment
 *     records a candidate: where, how long, which source;
 *  2. splice (zsplice.c, in inode order): candidates become links to
 *     their sources' pclusters.
 * Both depend only on the first pass's results and the inode order, so
 * the image is the same for any number of workers.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "erofs/array.h"
#include "erofs/ishare.h"
#include "zwrite_internal.h"

#define WR_SMUL		0x9e3779b97f4a7c15ULL	/* rolling sum base (odd) */
#define WR_SMIX		0xff51afd7ed558ccdULL	/* filter bit spread */
#define WR_SMAX_SRC	8	/* sources kept per distinct window */
#define WR_SCMP		65536U	/* compare chunk */

/* the sources whose first WR_SWIN bytes are one distinct window */
struct wr_sgroup {
	uint64_t sum;
	uint8_t sha[EROFS_ISHARE_DIGEST_LEN];
	uint32_t first, nr;		/* src[first], then src[].next */
};

struct wr_ssrc {
	uint64_t la;
	uint32_t llen, pblks;
	uint32_t file, seg;
	uint32_t next;
	uint8_t type;
};

struct erofs_wr_zslide {
	struct wr_sgroup *grp;
	size_t nr_grp, cap_grp;
	struct wr_ssrc *src;
	size_t nr_src, cap_src;
	struct erofs_htab tab;		/* sum -> grp[] */
	uint64_t *filter;		/* a bit per (mixed) sum's top bits */
	unsigned int fbits;
	uint64_t out;			/* WR_SMUL^(WR_SWIN - 1) */
};

uint64_t erofs_wr_slide_sum(const uint8_t *p)
{
	uint64_t h = 0;
	unsigned int i;

	for (i = 0; i < WR_SWIN; i++)
		h = h * WR_SMUL + p[i];
	return h;
}

static uint64_t wr_sbit(const struct erofs_wr_zslide *sl, uint64_t sum)
{
	return ((sum ^ (sum >> 29)) * WR_SMIX) >> (64 - sl->fbits);
}

/* may the first-pass extent i of segment k of f be linked to? */
static bool wr_ssource(const struct erofs_wr_zfile *f, uint32_t k, size_t i)
{
	const struct erofs_wr_zseg *s = &f->seg[k];
	const struct erofs_wr_extent *e = &s->ext[i];

	/* the extent that may become the inline tail has no pcluster
	 * for sure */
	if (k + 1 == f->nr_seg && i + 1 == s->nr_ext && s->inl_len)
		return false;
	return (e->type == Z_EROFS_LCLUSTER_TYPE_HEAD1 ||
		e->type == Z_EROFS_LCLUSTER_TYPE_PLAIN) && e->pblks &&
	       e->llen >= WR_SWIN && s->wsum && s->psha;
}

static int wr_sadd(struct erofs_wr_zslide *sl, const struct erofs_wr_zfile *f,
		   uint32_t file, uint32_t k, size_t i)
{
	const struct erofs_wr_zseg *s = &f->seg[k];
	const struct erofs_wr_extent *e = &s->ext[i];
	struct wr_sgroup *g = NULL;
	struct wr_ssrc *x;
	size_t pos = 0;
	uint64_t v;
	int ret;

	while (erofs_htab_next(&sl->tab, s->wsum[i], &pos, &v)) {
		if (sl->grp[v].sum == s->wsum[i] &&
		    !memcmp(sl->grp[v].sha, s->psha[i], sizeof(g->sha))) {
			g = &sl->grp[v];
			break;
		}
	}
	if (!g) {
		ret = erofs_array_reserve(&sl->grp, &sl->cap_grp,
					  sl->nr_grp + 1);
		if (!ret)
			ret = erofs_htab_add(&sl->tab, s->wsum[i], sl->nr_grp);
		if (ret)
			return ret;
		g = &sl->grp[sl->nr_grp++];
		memset(g, 0, sizeof(*g));
		g->sum = s->wsum[i];
		memcpy(g->sha, s->psha[i], sizeof(g->sha));
	}
	/* the first ones in inode order: later files find those */
	if (g->nr == WR_SMAX_SRC)
		return 0;
	ret = erofs_array_reserve(&sl->src, &sl->cap_src, sl->nr_src + 1);
	if (ret)
		return ret;
	x = &sl->src[sl->nr_src];
	*x = (struct wr_ssrc){
		.la = e->la, .llen = e->llen, .pblks = e->pblks,
		.file = file, .seg = k, .next = UINT32_MAX, .type = e->type,
	};
	if (!g->nr) {
		g->first = (uint32_t)sl->nr_src;
	} else {
		uint32_t t = g->first;

		while (sl->src[t].next != UINT32_MAX)
			t = sl->src[t].next;
		sl->src[t].next = (uint32_t)sl->nr_src;
	}
	sl->nr_src++;
	g->nr++;
	return 0;
}

/* the table of every first-pass extent's window (main thread) */
static int wr_sbuild(struct erofs_wr_zpool *pool, struct erofs_wr_zslide *sl)
{
	size_t n, i;
	uint32_t j, k;
	int ret;

	for (j = 0; j < pool->nr_files; j++) {
		const struct erofs_wr_zfile *f = &pool->files[j];

		for (k = 0; !f->wi->packed && k < f->nr_seg; k++)
			for (i = 0; i < f->seg[k].nr_ext; i++) {
				if (!wr_ssource(f, k, i))
					continue;
				ret = wr_sadd(sl, f, j, k, i);
				if (ret)
					return ret;
			}
	}
	/* about 16 bits per window: few false hits, and it stays cached */
	for (n = 1, sl->fbits = 0; n < sl->nr_grp * 16 || sl->fbits < 16;
	     n <<= 1)
		sl->fbits++;
	sl->fbits = EROFS_MIN(sl->fbits, 30U);
	sl->filter = calloc(((size_t)1 << sl->fbits) / 64 + 1,
			    sizeof(uint64_t));
	if (!sl->filter)
		return -ENOMEM;
	for (i = 0; i < sl->nr_grp; i++) {
		uint64_t b = wr_sbit(sl, sl->grp[i].sum);

		sl->filter[b / 64] |= 1ULL << (b % 64);
	}
	for (sl->out = 1, i = 1; i < WR_SWIN; i++)
		sl->out *= WR_SMUL;
	return 0;
}

/* what one scan job has in hand */
struct wr_sscan {
	struct erofs_wr_zworker *k;
	const struct erofs_wr_zslide *sl;
	uint32_t file, seg;
	uint64_t base;			/* the segment's first byte */
	size_t len;
	uint8_t *cmp;			/* WR_SCMP bytes of a source */
	int fd;				/* the source file open, or -1 */
	uint32_t fd_file;
	uint64_t covered;		/* the last candidate ends here */
	uint64_t last_grp;		/* and its window's group */
	size_t checks, budget;		/* windows verified, and at most */
	uint64_t compared, cmp_budget;	/* bytes compared, and at most */
};

/*
 * How many of the n bytes at p equal the source's bytes from its la +
 * skip on?  *same receives it.
 */
static int wr_scommon(struct wr_sscan *sc, const struct wr_ssrc *x,
		      uint64_t skip, const uint8_t *p, size_t n, size_t *same)
{
	const struct erofs_wr_zpool *pool = sc->k->pool;
	const struct erofs_wr_inode *wi = pool->files[x->file].wi;
	size_t done = 0;
	int ret;

	*same = 0;
	if (x->file == sc->file && x->seg == sc->seg) {
		const uint8_t *q = sc->k->buf + (x->la + skip - sc->base);

		while (done < n && q[done] == p[done])
			done++;
		*same = done;
		return 0;
	}
	if (sc->fd < 0 || sc->fd_file != x->file) {
		if (sc->fd >= 0)
			close(sc->fd);
		sc->fd = erofs_wr_dopen_src(&sc->k->log, wi);
		if (sc->fd < 0)
			return sc->fd;
		sc->fd_file = x->file;
	}
	while (done < n) {
		size_t want = EROFS_MIN(n - done, (size_t)WR_SCMP), i = 0;

		ret = erofs_wr_dread_src(&sc->k->log, wi, sc->fd,
					 x->la + skip + done, sc->cmp, want);
		if (ret)
			return ret;
		while (i < want && sc->cmp[i] == p[done + i])
			i++;
		done += i;
		if (i < want)
			break;
	}
	*same = done;
	return 0;
}

/* is source x before file bytes [la, ...) of the segment in hand? */
static bool wr_searlier(const struct wr_sscan *sc, const struct wr_ssrc *x,
			uint64_t la)
{
	if (x->file != sc->file)
		return x->file < sc->file;
	if (x->seg != sc->seg)
		return x->seg < sc->seg;
	return x->la + x->llen <= la;
}

/* the window at segment offset p hit the filter: record the longest
 * match there if it reaches a window further than the last one; 1: the
 * segment has had its share of checks */
static int wr_stry(struct wr_sscan *sc, size_t p, uint64_t sum)
{
	const struct erofs_wr_zslide *sl = sc->sl;
	struct erofs_wr_zseg *s = &sc->k->pool->files[sc->file].seg[sc->seg];
	const uint8_t *buf = sc->k->buf;
	uint64_t la = sc->base + p, v;
	uint8_t sha[EROFS_ISHARE_DIGEST_LEN];
	const struct wr_ssrc *best = NULL;
	uint64_t bgrp = 0;
	bool hashed = false;
	size_t pos = 0, blen = 0;
	int ret;

	while (erofs_htab_next(&sl->tab, sum, &pos, &v)) {
		const struct wr_sgroup *g = &sl->grp[v];
		uint32_t t;

		/*
		 * The window that found the last match, again inside it: a
		 * zero run (or a shorter period) would otherwise be compared
		 * at each of its bytes, to find what it found
		 */
		if (g->sum != sum || (v == sc->last_grp && la < sc->covered))
			continue;
		/* a source of this window before la? (each source is its
		 * own, the first time: no match yet) */
		for (t = g->first; t != UINT32_MAX; t = sl->src[t].next)
			if (wr_searlier(sc, &sl->src[t], la))
				break;
		if (t == UINT32_MAX)
			continue;
		/* hostile input (sums that collide on purpose) costs a
		 * bounded amount of work, then ends the search */
		if (++sc->checks > sc->budget)
			return 1;
		if (!hashed) {
			ret = erofs_wr_dedupe_hash(sc->k->fsha, buf + p,
						   WR_SWIN, sha, NULL);
			if (ret)
				return ret;
			hashed = true;
		}
		if (memcmp(sha, g->sha, sizeof(sha)))
			continue;
		for (t = g->first; t != UINT32_MAX; t = sl->src[t].next) {
			const struct wr_ssrc *x = &sl->src[t];
			size_t n = (size_t)EROFS_MIN((uint64_t)x->llen,
						     sc->len - p), same;

			if (!wr_searlier(sc, x, la) || n <= blen)
				continue;
			/* a compressed pcluster decodes with its own
			 * algorithm only */
			if (x->type == Z_EROFS_LCLUSTER_TYPE_HEAD1 &&
			    sc->k->pool->files[x->file].ci != sc->k->f->ci)
				continue;
			/* repetitive data matches everywhere: bounded
			 * bytes compared, then the search ends */
			sc->compared += n;
			if (sc->compared > sc->cmp_budget)
				return 1;
			ret = wr_scommon(sc, x, WR_SWIN, buf + p + WR_SWIN,
					 n - WR_SWIN, &same);
			if (ret)
				return ret;
			if (WR_SWIN + same > blen) {
				best = x;
				bgrp = v;
				blen = WR_SWIN + same;
			}
		}
	}
	/* only what reaches a window further than the last one */
	if (!best || la + blen < sc->covered + WR_SWIN)
		return 0;
	ret = erofs_array_reserve(&s->cand, &s->cap_cand, s->nr_cand + 1);
	if (ret)
		return ret;
	s->cand[s->nr_cand++] = (struct erofs_wr_zcand){
		.la = la, .sla = best->la, .len = (uint32_t)blen,
		.slen = best->llen, .spblks = best->pblks, .stype = best->type,
		.file = best->file, .seg = best->seg,
	};
	sc->covered = la + blen;
	sc->last_grp = bgrp;
	return 0;
}

static int wr_sscan_run(void *priv, unsigned int worker, size_t job)
{
	struct erofs_wr_zpool *pool = priv;
	const struct erofs_wr_zjobref *jr = &pool->jobs[job];
	struct erofs_wr_zfile *f = &pool->files[jr->file];
	struct wr_sscan sc = {
		.k = &pool->wk[worker], .sl = pool->slide,
		.file = jr->file, .seg = jr->seg,
		.base = (uint64_t)jr->seg * WR_ZSEGMENT, .len = jr->len,
		.fd = -1, .budget = jr->len / 256 + 4096,
		.cmp_budget = 8ULL * jr->len + (16U << 20),
	};
	const uint8_t *buf;
	uint64_t sum;
	size_t p;
	int ret;

	if (f->wi->packed || sc.len < WR_SWIN)
		return 0;
	sc.k->f = f;
	sc.k->s = &f->seg[jr->seg];
	sc.k->path = erofs_wr_path(f->wi);
	ret = erofs_wr_zseg_read(sc.k, sc.base, sc.len,
				 jr->seg + 1 == f->nr_seg);
	if (ret)
		return ret;
	sc.cmp = malloc(WR_SCMP);
	if (!sc.cmp)
		return -ENOMEM;
	buf = sc.k->buf;
	sum = erofs_wr_slide_sum(buf);
	for (p = 0;;) {
		uint64_t b = wr_sbit(sc.sl, sum);

		if (sc.sl->filter[b / 64] & (1ULL << (b % 64))) {
			ret = wr_stry(&sc, p, sum);
			if (ret)
				break;	/* 1: enough */
		}
		if (p + WR_SWIN >= sc.len)
			break;
		if (!(p & 0xfffff) && erofs_workpool_stopped(&pool->wp)) {
			ret = -ECANCELED;
			break;
		}
		sum = (sum - buf[p] * sc.sl->out) * WR_SMUL + buf[p + WR_SWIN];
		p++;
	}
	if (sc.fd >= 0)
		close(sc.fd);
	free(sc.cmp);
	if (ret > 0)
		ret = 0;
	if (ret == -ENOMEM)
		erofs_err(&sc.k->log, "%s: out of memory", sc.k->path);
	return ret;
}

static const struct erofs_workpool_ops wr_sscan_ops = {
	.run = wr_sscan_run,
};

int erofs_wr_slide(struct erofs_wr_zpool *pool)
{
	struct erofs_wr *w = pool->w;
	struct erofs_wr_zslide *sl;
	size_t nr = 0, i;
	uint32_t k;
	int ret;

	sl = calloc(1, sizeof(*sl));
	if (!sl)
		return -ENOMEM;
	pool->slide = sl;
	ret = wr_sbuild(pool, sl);
	if (ret || !sl->nr_grp)
		return ret;
	/* 1. scan, in the workers */
	erofs_workpool_release(&pool->wp);
	erofs_workpool_init(&pool->wp, pool->nr_jobs, w->p->workers,
			    EROFS_MKFS_MAX_WORKERS, w->log);
	ret = erofs_workpool_run(&pool->wp, &wr_sscan_ops, pool);
	if (ret)
		return ret;
	/* 2. splice, in inode order (zsplice.c) */
	ret = erofs_wr_splice(pool);
	if (ret)
		return ret;
	for (i = 0; i < pool->nr_files; i++)
		for (k = 0; k < pool->files[i].nr_seg; k++)
			nr += pool->files[i].seg[k].nr_lnk;
	erofs_info(w->log,
		   "-E dedupe: %zu extents use earlier pclusters at another offset",
		   nr);
	return 0;
}

void erofs_wr_slide_release(struct erofs_wr_zpool *pool)
{
	struct erofs_wr_zslide *sl = pool->slide;

	if (!sl)
		return;
	erofs_htab_release(&sl->tab);
	free(sl->grp);
	free(sl->src);
	free(sl->filter);
	free(sl);
	pool->slide = NULL;
}
