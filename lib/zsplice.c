// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zsplice.c - -E dedupe at any offset, second half: the candidates that
 * zslide.c found (bytes of a segment equal to the start of an earlier
 * extent) become links to those extents' pclusters.  In inode order, for
 * each segment that has candidates:
 *  - after each first-pass extent, the candidate that reaches furthest
 *    becomes a link: the extent is cut short where it starts (its
 *    pcluster keeps all its bytes: PARTIAL_REF), and links follow one
 *    another as long as candidates go on;
 *  - the last link of such a chain ends where a first-pass extent starts,
 *    which stays as it is, and so do the ones after it: they are the
 *    sources later files may use, and nothing is compressed again.  When
 *    the last link cannot end there (the lclusters do not allow it), its
 *    bytes end where they end and a bridge -- those up to the next
 *    first-pass start, compressed again by the workers as one extent --
 *    fills the gap;
 *  - a candidate is used only if its source still has its pcluster (was
 *    not replaced by a link or bridge itself).
 * A bridge that does not fit one extent undoes its chain (the first-pass
 * extents come back): that only gives later files more sources than they
 * were told, never fewer, so what they decided stays right.  All of it
 * depends only on the first pass's results and the inode order, so the
 * image is the same for any number of workers.  zdedupe.c turns the links
 * into refs at collect; files whose pclusters are linked to stay
 * compressed (pinned).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "erofs/array.h"
#include "erofs/ishare.h"
#include "zwrite_internal.h"

/* a link: bytes [la, la + len) use the pcluster (pblks blocks) of the
 * segment's candidate cand */
struct erofs_wr_zmatch {
	uint64_t la;
	uint32_t len, pblks;
	uint32_t cand;
	uint8_t type;
};

/*
 * A chain whose last link ends where no first-pass extent starts: bytes
 * [la, la + len) up to the next one are compressed again, as the extent
 * at out index `at`.  To undo the chain: the extent before it (out index
 * kept) had kept_llen bytes, and it replaced first-pass extents
 * [from, to).
 */
struct wr_bridge {
	uint64_t la;
	uint32_t len;
	size_t at, kept, from, to;
	uint32_t kept_llen;
	bool failed;
	/* what the worker made: extents and their hashes */
	struct erofs_wr_extent *ext;
	uint8_t (*esha)[EROFS_ISHARE_DIGEST_LEN];
	uint8_t (*psha)[EROFS_ISHARE_DIGEST_LEN];
	size_t nr, cap, cap_e, cap_p;
};

/* a segment with bridges: its first-pass list, kept for undoing */
struct wr_bseg {
	uint32_t file, seg;
	struct wr_bridge *br;
	size_t nr_br;
	struct erofs_wr_extent *ext;
	uint8_t (*esha)[EROFS_ISHARE_DIGEST_LEN];
	uint8_t (*psha)[EROFS_ISHARE_DIGEST_LEN];
	size_t nr_ext;
};

/* the whole splice: the segments waiting for bridges */
struct wr_splice {
	struct erofs_wr_zpool *pool;
	struct wr_bseg *bs;
	size_t nr_bs, cap_bs;
};

/* a segment's new list of extents, with their hashes */
struct wr_blist {
	struct erofs_wr_extent *ext;
	uint8_t (*esha)[EROFS_ISHARE_DIGEST_LEN];
	uint8_t (*psha)[EROFS_ISHARE_DIGEST_LEN];
	size_t nr, cap, cap_e, cap_p;
};

/* the segment being spliced: its first-pass extents and the new list */
struct wr_ssplice {
	struct erofs_wr_zpool *pool;
	uint32_t file, seg;
	const struct erofs_wr_zseg *s;
	uint64_t end;			/* where its extents end */
	struct wr_blist l;		/* the new list */
	struct erofs_wr_zlink *lnk;
	size_t nr_lnk, cap_lnk;
	struct erofs_wr_zmatch *chain;
	size_t cap_chain;
	struct wr_bridge *br;
	size_t nr_br, cap_br;
};

/* the own extent at la in ext[0..n), or NULL */
static struct erofs_wr_extent *wr_sfind(struct erofs_wr_extent *ext,
					size_t n, uint64_t la)
{
	size_t a = 0, b = n;

	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (ext[mid].la < la)
			a = mid + 1;
		else
			b = mid;
	}
	return a < n && ext[a].la == la && !ext[a].link ? &ext[a] : NULL;
}

/* the source of c if it still has its pcluster, else NULL.  Earlier
 * segments are final; this one's is final before the candidate */
static struct erofs_wr_extent *wr_ssource_of(const struct wr_ssplice *sp,
					     const struct erofs_wr_zcand *c)
{
	struct erofs_wr_zseg *t;

	if (c->file == sp->file && c->seg == sp->seg)
		return wr_sfind(sp->l.ext, sp->l.nr, c->sla);
	t = &sp->pool->files[c->file].seg[c->seg];
	return wr_sfind(t->ext, t->nr_ext, c->sla);
}

/* may [la, e) be a link to a pcluster of spblks blocks?  Every extent but
 * the file's last (a fragment's tail extent may follow the segment's
 * extents) ends in a later lcluster than it starts in, and one of a big
 * pcluster spans two lclusters at least (the second holds its size) */
static bool wr_sfits(const struct wr_ssplice *sp, uint64_t la, uint64_t e,
		     uint32_t spblks)
{
	unsigned int bits = sp->pool->w->blkszbits;
	uint64_t bs = 1ULL << bits;

	if (e != sp->pool->files[sp->file].wi->size &&
	    e >> bits == la >> bits)
		return false;
	return spblks <= 1 || (la & (bs - 1)) + (e - la) >= 2 * bs;
}

/*
 * After the extent [st, h) (type, pblks), may bytes from somewhere in it
 * on use an earlier pcluster?  The candidate that reaches furthest wins
 * (on a tie the later one, which cuts less off).  The extent before it
 * must still end in a later lcluster than it starts in (two for a big
 * pcluster); a PLAIN block is never cut short.  *m: the link, to the
 * candidate's end.
 */
static bool wr_spick(const struct wr_ssplice *sp, uint64_t st, uint64_t h,
		     uint8_t type, uint32_t pblks, struct erofs_wr_zmatch *m)
{
	const struct erofs_wr_zseg *s = sp->s;
	unsigned int bits = sp->pool->w->blkszbits;
	uint64_t lo, reach = h;
	size_t a = 0, b = s->nr_cand, i;
	bool found = false;

	lo = type == Z_EROFS_LCLUSTER_TYPE_PLAIN ? h :
	     ((st >> bits) + (pblks > 1 ? 2 : 1)) << bits;
	if (lo > h)
		return false;
	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (s->cand[mid].la < lo)
			a = mid + 1;
		else
			b = mid;
	}
	for (i = a; i < s->nr_cand && s->cand[i].la <= h; i++) {
		const struct erofs_wr_zcand *c = &s->cand[i];
		uint64_t e = EROFS_MIN(c->la + c->len, sp->end);

		if (e < reach || (e == reach && !found) ||
		    !wr_sfits(sp, c->la, e, c->spblks) || !wr_ssource_of(sp, c))
			continue;
		*m = (struct erofs_wr_zmatch){
			.la = c->la, .len = (uint32_t)(e - c->la),
			.pblks = c->spblks, .cand = (uint32_t)i,
			.type = c->stype,
		};
		reach = e;
		found = true;
	}
	return found;
}

/* room for n more extents in the new list */
static int wr_sroom(struct wr_ssplice *sp, size_t n)
{
	size_t want = sp->l.nr + n;
	int ret = erofs_array_reserve(&sp->l.ext, &sp->l.cap, want);

	if (!ret)
		ret = erofs_array_reserve(&sp->l.esha, &sp->l.cap_e, want);
	if (!ret)
		ret = erofs_array_reserve(&sp->l.psha, &sp->l.cap_p, want);
	if (!ret)
		ret = erofs_array_reserve(&sp->lnk, &sp->cap_lnk,
					  sp->nr_lnk + n);
	return ret;
}

/* the new list takes first-pass extent i (with its hashes) */
static void wr_skeep(struct wr_ssplice *sp, size_t i)
{
	const struct erofs_wr_zseg *s = sp->s;

	sp->l.ext[sp->l.nr] = s->ext[i];
	memcpy(sp->l.esha[sp->l.nr], s->esha[i], sizeof(sp->l.esha[0]));
	memcpy(sp->l.psha[sp->l.nr], s->psha[i], sizeof(sp->l.psha[0]));
	sp->l.nr++;
}

/*
 * The new list takes the link m: the extent before it ends where m
 * starts (an own pcluster keeps all its bytes: PARTIAL_REF; a link just
 * decodes less).  Links have no hashes: zdedupe.c resolves them by
 * position, and nothing looks up an extent cut short by content.
 */
static void wr_slink(struct wr_ssplice *sp, const struct erofs_wr_zmatch *m)
{
	const struct erofs_wr_zcand *c = &sp->s->cand[m->cand];
	struct erofs_wr_extent *last = &sp->l.ext[sp->l.nr - 1];

	if (m->la < last->la + last->llen) {
		last->llen = (uint32_t)(m->la - last->la);
		if (!last->link)
			last->partial = true;
	}
	/* collect must not give it a pcluster of another size */
	wr_ssource_of(sp, c)->linked = true;
	sp->lnk[sp->nr_lnk++] = (struct erofs_wr_zlink){
		.ext = (uint32_t)sp->l.nr, .slen = c->slen,
		.wi = sp->pool->files[c->file].wi, .la = c->sla,
	};
	memset(sp->l.esha[sp->l.nr], 0, sizeof(sp->l.esha[0]));
	memset(sp->l.psha[sp->l.nr], 0, sizeof(sp->l.psha[0]));
	sp->l.ext[sp->l.nr++] = (struct erofs_wr_extent){
		.la = m->la, .llen = m->len, .pblks = m->pblks,
		.type = m->type, .link = true,
	};
}

/* the index of the last first-pass extent that starts at or before e */
static size_t wr_sat(const struct erofs_wr_zseg *s, uint64_t e)
{
	size_t a = 0, b = s->nr_ext;

	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (s->ext[mid].la <= e)
			a = mid + 1;
		else
			b = mid;
	}
	return a - 1;
}

/*
 * After first-pass extent i (kept, as the last of the new list): follow
 * the links that reach furthest, one after the other.  The last one ends
 * where a first-pass extent starts (cut back to it), or else where its
 * bytes end, with a bridge up to the next start; failing both, the last
 * link is dropped and the one before tried.  Nothing changes unless the
 * chain replaces a whole first-pass extent at least.  *next: the
 * first-pass extent to take next.
 */
static int wr_schain(struct wr_ssplice *sp, size_t i, size_t *next)
{
	const struct erofs_wr_zseg *s = sp->s;
	const struct erofs_wr_extent *e = &s->ext[i];
	unsigned int bits = sp->pool->w->blkszbits;
	uint64_t st = e->la, h = e->la + e->llen, stop = 0;
	uint8_t type = e->type;
	uint32_t pblks = e->pblks;
	size_t n = 0, j = 0, kept = sp->l.nr - 1;
	bool bridge = false;
	int ret;

	*next = i + 1;
	for (;;) {
		ret = erofs_array_reserve(&sp->chain, &sp->cap_chain, n + 1);
		if (ret)
			return ret;
		if (h >= sp->end ||
		    !wr_spick(sp, st, h, type, pblks, &sp->chain[n]))
			break;
		st = sp->chain[n].la;
		h = st + sp->chain[n].len;
		type = sp->chain[n].type;
		pblks = sp->chain[n].pblks;
		n++;
	}
	for (; n; n--) {
		struct erofs_wr_zmatch *m = &sp->chain[n - 1];
		uint64_t reach = m->la + m->len;

		if (reach >= sp->end) {
			j = s->nr_ext;
			stop = sp->end;
			break;
		}
		/* the last first-pass start inside the link */
		j = wr_sat(s, reach);
		stop = s->ext[j].la;
		if (j > i + 1 && m->la < stop &&
		    wr_sfits(sp, m->la, stop, m->pblks)) {
			m->len = (uint32_t)(stop - m->la);
			break;
		}
		/* or a bridge to the next one in a later lcluster; worth
		 * it if a whole first-pass extent goes */
		for (j++; j < s->nr_ext &&
			  s->ext[j].la >> bits == reach >> bits; j++)
			;
		if (j < s->nr_ext && j >= i + 3) {
			stop = s->ext[j].la;
			bridge = true;
			break;
		}
	}
	if (!n)
		return 0;
	ret = wr_sroom(sp, n + 1);
	if (!ret && bridge)
		ret = erofs_array_reserve(&sp->br, &sp->cap_br, sp->nr_br + 1);
	if (ret)
		return ret;
	if (bridge) {
		const struct erofs_wr_zmatch *m = &sp->chain[n - 1];

		sp->br[sp->nr_br++] = (struct wr_bridge){
			.la = m->la + m->len,
			.len = (uint32_t)(stop - m->la - m->len),
			.kept = kept, .kept_llen = sp->l.ext[kept].llen,
			.from = i + 1, .to = j,
		};
	}
	for (i = 0; i < n; i++)
		wr_slink(sp, &sp->chain[i]);
	if (bridge) {
		struct wr_bridge *b = &sp->br[sp->nr_br - 1];

		/* a placeholder, never a source, until the worker fills it */
		b->at = sp->l.nr;
		memset(sp->l.esha[sp->l.nr], 0, sizeof(sp->l.esha[0]));
		memset(sp->l.psha[sp->l.nr], 0, sizeof(sp->l.psha[0]));
		sp->l.ext[sp->l.nr++] = (struct erofs_wr_extent){
			.la = b->la, .llen = b->len, .link = true,
		};
	}
	*next = j;
	return 0;
}

/* the own pcluster blocks of a segment's list */
static uint64_t wr_szblocks(const struct erofs_wr_zseg *s)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < s->nr_ext; i++)
		if (!s->ext[i].link)
			n += s->ext[i].pblks;
	return n;
}

/* the segment's list is l now (the rolling sums served the scan and
 * would no longer match the extents) */
static void wr_sinstall(struct erofs_wr_zseg *s, const struct wr_blist *l)
{
	free(s->wsum);
	s->wsum = NULL;
	s->cap_wsum = 0;
	s->ext = l->ext;
	s->esha = l->esha;
	s->psha = l->psha;
	s->nr_ext = l->nr;
	s->cap_ext = l->cap;
	s->cap_esha = l->cap_e;
	s->cap_psha = l->cap_p;
	s->zblocks = wr_szblocks(s);
}

/* splice segment k of file fi: links replace what earlier pclusters hold */
static int wr_ssplice_seg(struct wr_splice *spl, uint32_t fi, uint32_t k)
{
	struct erofs_wr_zpool *pool = spl->pool;
	struct erofs_wr_zfile *f = &pool->files[fi];
	struct erofs_wr_zseg *s = &f->seg[k];
	struct wr_ssplice sp = {
		.pool = pool, .file = fi, .seg = k, .s = s,
	};
	struct wr_bseg *bs;
	size_t i = 0;
	int ret = 0;

	if (!s->nr_cand || !s->nr_ext)
		return 0;
	sp.end = s->ext[s->nr_ext - 1].la + s->ext[s->nr_ext - 1].llen;
	while (i < s->nr_ext && !ret) {
		ret = wr_sroom(&sp, 1);
		if (ret)
			break;
		wr_skeep(&sp, i);
		ret = wr_schain(&sp, i, &i);
	}
	if (!ret && sp.nr_br)
		ret = erofs_array_reserve(&spl->bs, &spl->cap_bs,
					  spl->nr_bs + 1);
	if (ret || !sp.nr_lnk)
		goto out;
	if (sp.nr_br) {
		/* the first pass's list waits for the bridges */
		bs = &spl->bs[spl->nr_bs++];
		*bs = (struct wr_bseg){
			.file = fi, .seg = k, .br = sp.br, .nr_br = sp.nr_br,
			.ext = s->ext, .esha = s->esha, .psha = s->psha,
			.nr_ext = s->nr_ext,
		};
		sp.br = NULL;
	} else {
		free(s->ext);
		free(s->esha);
		free(s->psha);
	}
	/* the extent with the inline form was replaced */
	if (sp.l.ext[sp.l.nr - 1].link)
		s->inl_len = 0;
	wr_sinstall(s, &sp.l);
	s->lnk = sp.lnk;
	s->nr_lnk = sp.nr_lnk;
	for (i = 0; i < sp.nr_lnk; i++)
		sp.lnk[i].wi->z->pinned = true;
	free(sp.chain);
	return 0;
out:
	free(sp.l.ext);
	free(sp.l.esha);
	free(sp.l.psha);
	free(sp.lnk);
	free(sp.chain);
	free(sp.br);
	return ret;
}

/* what a bridge job has in hand */
struct wr_bjob {
	struct erofs_wr_zworker *k;
	struct wr_bridge *b;
};

/* zcut.c callback: an extent of the bridge */
static int wr_bextent(void *priv, uint64_t la, uint32_t llen, uint8_t type,
		      const uint8_t *src, const uint8_t *pcl, uint32_t pblks)
{
	struct wr_bjob *bj = priv;
	struct erofs_wr_zworker *k = bj->k;
	const struct erofs_wr *w = k->pool->w;
	struct wr_bridge *b = bj->b;
	uint64_t soff;
	int ret;

	ret = erofs_array_reserve(&b->ext, &b->cap, b->nr + 1);
	if (!ret)
		ret = erofs_array_reserve(&b->esha, &b->cap_e, b->nr + 1);
	if (!ret)
		ret = erofs_array_reserve(&b->psha, &b->cap_p, b->nr + 1);
	if (ret) {
		erofs_err(&k->log, "%s: out of memory", k->path);
		return ret;
	}
	ret = erofs_wr_dedupe_hash(k->fsha, src, llen, b->esha[b->nr],
				   b->psha[b->nr]);
	if (ret) {
		erofs_err(&k->log, "%s: cannot hash an extent: %s", k->path,
			  strerror(-ret));
		return ret;
	}
	ret = erofs_wr_spool_append(&w->z.spools[k->id], pcl,
				    (size_t)pblks << w->blkszbits, &soff);
	if (ret) {
		erofs_err(&k->log, "%s: spool write error: %s", k->path,
			  strerror(-ret));
		return ret;
	}
	b->ext[b->nr++] = (struct erofs_wr_extent){
		.la = la, .llen = llen, .pblks = pblks, .type = type,
		.spool = k->id, .soff = soff,
	};
	return 0;
}

/* never asked for: no tail packing, no fragments */
static int wr_binline(void *priv, const uint8_t *data, uint32_t len,
		      uint8_t type)
{
	(void)priv, (void)data, (void)len, (void)type;
	return -EINVAL;
}

static int wr_bfragment(void *priv, uint64_t la, const uint8_t *src,
			size_t len)
{
	(void)priv, (void)la, (void)src, (void)len;
	return -EINVAL;
}

static const struct erofs_wr_zcut_ops wr_bridge_ops = {
	.extent = wr_bextent,
	.inline_tail = wr_binline,
	.fragment = wr_bfragment,
};

/* does bridge b not end as it must, in an extent that starts in an
 * earlier lcluster than the next one? */
static bool wr_bbad(const struct erofs_wr *w, const struct wr_bridge *b)
{
	const struct erofs_wr_extent *last = b->nr ? &b->ext[b->nr - 1] :
				       NULL;
	uint64_t end = b->la + b->len;

	return !last || last->la + last->llen != end ||
	       last->la >> w->blkszbits == end >> w->blkszbits;
}

/*
 * The last extent of bridge b starts in the lcluster where the next one
 * does.  Cut the one before it short instead, to end at the last byte of
 * the lcluster before, so that the rest (less than a block) starts
 * there -- if the one before starts in an earlier lcluster still.
 */
static int wr_bretry(const struct erofs_wr_zcut *c, struct wr_bridge *b,
		     const uint8_t *buf)
{
	unsigned int bits = c->blkszbits;
	uint64_t end = b->la + b->len, p0 = b->ext[b->nr - 2].la;
	uint64_t x = ((end >> bits) << bits) - 1;
	size_t nr = b->nr - 2;
	int ret;

	if (x >> bits <= p0 >> bits)
		return 0;
	b->nr = nr;
	ret = erofs_wr_zcut_segment(c, buf + (p0 - b->la), p0,
				    (size_t)(x - p0));
	if (ret || b->nr != nr + 1)
		return ret;	/* and still bad */
	return erofs_wr_zcut_segment(c, buf + (x - b->la), x,
				     (size_t)(end - x));
}

/* compress the bridges of one segment (wr_bbad ones fail) */
static int wr_bjob_run(void *priv, unsigned int worker, size_t job)
{
	struct wr_splice *spl = priv;
	struct erofs_wr_zpool *pool = spl->pool;
	const struct erofs_wr *w = pool->w;
	struct wr_bseg *bs = &spl->bs[job];
	struct erofs_wr_zfile *f = &pool->files[bs->file];
	struct wr_bjob bj = { .k = &pool->wk[worker] };
	struct erofs_wr_zworker *k = bj.k;
	size_t i;
	int fd, ret;

	k->f = f;
	k->s = &f->seg[bs->seg];
	k->path = erofs_wr_path(f->wi);
	ret = erofs_wr_zworker_ctx(k, f->ci);
	if (ret)
		return ret;
	fd = erofs_wr_dopen_src(&k->log, f->wi);
	if (fd < 0)
		return fd;
	for (i = 0; i < bs->nr_br && !ret; i++) {
		struct erofs_wr_zcut c = {
			.blkszbits = w->blkszbits,
			.max_extent = w->z.max_extent, .pmax = f->pmax,
			.ctx = k->cur, .enc = k->enc, .pcl = k->pcl,
			.ops = &wr_bridge_ops, .priv = &bj, .log = &k->log,
			.path = k->path,
		};

		bj.b = &bs->br[i];
		ret = erofs_wr_dread_src(&k->log, f->wi, fd, bj.b->la, k->buf,
					 bj.b->len);
		if (!ret)
			ret = erofs_wr_zcut_segment(&c, k->buf, bj.b->la,
						    bj.b->len);
		if (!ret && bj.b->nr > 1 && wr_bbad(w, bj.b))
			ret = wr_bretry(&c, bj.b, k->buf);
		if (ret)
			break;
		bj.b->failed = wr_bbad(w, bj.b);
	}
	close(fd);
	return ret;
}

static int wr_bjob_finish(void *priv, unsigned int worker)
{
	struct wr_splice *spl = priv;
	struct erofs_wr_zworker *k = &spl->pool->wk[worker];
	int ret = erofs_wr_spool_flush(&spl->pool->w->z.spools[k->id]);

	if (ret)
		erofs_err(&k->log, "spool write error: %s", strerror(-ret));
	return ret;
}

static const struct erofs_workpool_ops wr_bjob_ops = {
	.run = wr_bjob_run,
	.finish = wr_bjob_finish,
};

static int wr_bput(struct wr_blist *l, const struct erofs_wr_extent *e,
		   const uint8_t *esha, const uint8_t *psha)
{
	int ret = erofs_array_reserve(&l->ext, &l->cap, l->nr + 1);

	if (!ret)
		ret = erofs_array_reserve(&l->esha, &l->cap_e, l->nr + 1);
	if (!ret)
		ret = erofs_array_reserve(&l->psha, &l->cap_p, l->nr + 1);
	if (ret)
		return ret;
	l->ext[l->nr] = *e;
	memcpy(l->esha[l->nr], esha, sizeof(l->esha[0]));
	memcpy(l->psha[l->nr++], psha, sizeof(l->psha[0]));
	return 0;
}

/*
 * The bridges are made: put their extents in place of the placeholders,
 * and undo the chains whose bridge failed (their first-pass extents come
 * back).  The links are renumbered.
 */
static int wr_bfinish(struct wr_splice *spl, struct wr_bseg *bs)
{
	struct erofs_wr_zseg *s = &spl->pool->files[bs->file].seg[bs->seg];
	struct wr_blist l = { 0 };
	size_t q, t, bi = 0, li = 0, nl = 0;
	int ret = 0;

	for (q = 0; q < s->nr_ext && !ret; q++) {
		const struct wr_bridge *b = bi < bs->nr_br ? &bs->br[bi] :
					    NULL;

		if (b && q == b->kept && b->failed) {
			struct erofs_wr_extent e = s->ext[q];

			e.llen = b->kept_llen;
			e.partial = false;
			ret = wr_bput(&l, &e, s->esha[q], s->psha[q]);
			for (t = b->from; t < b->to && !ret; t++)
				ret = wr_bput(&l, &bs->ext[t], bs->esha[t],
					      bs->psha[t]);
			q = b->at;	/* its links and placeholder go */
			bi++;
			continue;
		}
		if (b && q == b->at) {
			for (t = 0; t < b->nr && !ret; t++)
				ret = wr_bput(&l, &b->ext[t], b->esha[t],
					      b->psha[t]);
			bi++;
			continue;
		}
		while (li < s->nr_lnk && s->lnk[li].ext < q)
			li++;	/* of an undone chain */
		if (li < s->nr_lnk && s->lnk[li].ext == q) {
			/* in place: slot nl <= li was read already */
			s->lnk[nl] = s->lnk[li++];
			s->lnk[nl++].ext = (uint32_t)l.nr;
		}
		ret = wr_bput(&l, &s->ext[q], s->esha[q], s->psha[q]);
	}
	if (ret) {
		free(l.ext);
		free(l.esha);
		free(l.psha);
		return ret;
	}
	free(s->ext);
	free(s->esha);
	free(s->psha);
	wr_sinstall(s, &l);
	s->nr_lnk = nl;
	return 0;
}

int erofs_wr_splice(struct erofs_wr_zpool *pool)
{
	struct erofs_wr *w = pool->w;
	struct wr_splice spl = { .pool = pool };
	size_t i;
	uint32_t k;
	int ret = 0;

	for (i = 0; i < pool->nr_files && !ret; i++)
		for (k = 0; k < pool->files[i].nr_seg && !ret; k++)
			ret = wr_ssplice_seg(&spl, (uint32_t)i, k);
	if (!ret && spl.nr_bs) {
		erofs_workpool_release(&pool->wp);
		erofs_workpool_init(&pool->wp, spl.nr_bs, w->p->workers,
				    EROFS_MKFS_MAX_WORKERS, w->log);
		ret = erofs_workpool_run(&pool->wp, &wr_bjob_ops, &spl);
	}
	for (i = 0; i < spl.nr_bs; i++) {
		struct wr_bseg *bs = &spl.bs[i];

		if (!ret)
			ret = wr_bfinish(&spl, bs);
		for (k = 0; k < bs->nr_br; k++) {
			free(bs->br[k].ext);
			free(bs->br[k].esha);
			free(bs->br[k].psha);
		}
		free(bs->br);
		free(bs->ext);
		free(bs->esha);
		free(bs->psha);
	}
	free(spl.bs);
	return ret;
}
