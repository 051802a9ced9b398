// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zreuse.c - --reuse=OLD: files whose content an earlier image already
 * holds take that image's encoding instead of being compressed again.
 *
 * How a file is recognised: OLD's fingerprints (SHA-256 of each file's
 * content) are loaded into a table; a worker hashes a file anyway (the
 * fingerprint of the new image) and looks the digest up.  The OLD file is
 * then decoded and compared with the new bytes, which the worker holds:
 * a damaged or lying OLD never gets into the image, it only costs the
 * compression it meant to save.
 *
 * How its encoding is taken without changing a byte: the extent cutter
 * (zcut.c) runs as for any file, but where it would call the compressor
 * it first asks erofs_wr_reuse_replay() for OLD's pcluster starting at
 * that offset.  Every rule of the cut (PLAIN blocks, the inline tail,
 * fragments, dedupe hashes) therefore applies exactly as in a full
 * build; only the encoder's output comes from OLD.  That output is the
 * one this build's encoder would produce only if OLD was built with the
 * same settings, and the level is not on disk.  So before the pass,
 * erofs_wr_reuse_init() cuts a few of OLD's files both ways, replayed
 * and compressed, per -z algorithm; an algorithm whose results differ is
 * not reused from that image (a note says so), and the build stays what
 * a full build would write.
 *
 * Where OLD stored a file (or a block) raw, its encoder saved nothing
 * there, and neither would this build's with the same settings: the
 * cutter is told to store raw blocks without trying the encoder (for a
 * whole file only if its inode is as large as OLD's, since the room for
 * an inline tail takes part in that decision).
 *
 * Files of several 16 MiB segments are hashed before the pass when OLD
 * has a file of their size, so that every segment knows its digest.
 *
 * Not reused: files whose --compress-hints rule differs from the
 * default, the packed inode, OLD's fragments, and OLD's extents that are
 * partial or shared dedupe references.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/array.h"
#include "erofs/ishare.h"
#include "erofs/ishare_report.h"
#include "erofs/zmap.h"
#include "zwrite_internal.h"

/* the sample that proves OLD's settings: files up to this size ... */
#define WR_REUSE_SAMPLE_MAX	(256U << 10)
/* ... at most this many per algorithm, the largest first */
#define WR_REUSE_SAMPLE_FILES	2

struct erofs_wr_reuse_file {
	uint8_t digest[EROFS_ISHARE_DIGEST_LEN];
	uint32_t src;
	erofs_nid_t nid;
	uint64_t size;
};

/* one OLD image, opened by one thread (the reader is not thread-safe) */
struct erofs_wr_reuse_img {
	struct erofs_io io;
	struct erofs_image img;
	struct erofs_log log;		/* silent: failures are reported by
					 * the caller, as "not reused" */
	bool open;
};

static int wr_reuse_img_open(struct erofs_wr_reuse_img *ri, const char *path)
{
	int ret;

	if (ri->open)
		return 0;
	erofs_log_init(&ri->log);
	ri->log.level = -1;
	ret = erofs_io_open_file(&ri->io, path, O_RDONLY);
	if (ret)
		return ret;
	ret = erofs_image_open(&ri->img, &ri->io, &ri->log, 0);
	if (ret) {
		erofs_io_close(&ri->io);
		return ret;
	}
	ri->open = true;
	return 0;
}

static void wr_reuse_img_close(struct erofs_wr_reuse_img *ri)
{
	if (!ri->open)
		return;
	erofs_image_release(&ri->img);
	erofs_io_close(&ri->io);
	ri->open = false;
}

/* a pcluster of source src, as a key of the shared set */
static uint64_t wr_reuse_pkey(uint32_t src, uint64_t pa)
{
	return (uint64_t)src << 56 | pa;
}

/* ---- per worker: one OLD file mapped and checked ---- */

static void wr_reuse_forget(struct erofs_wr_reuse_worker *rw)
{
	if (rw->data_open)
		erofs_data_close(&rw->data);
	rw->data_open = false;
	rw->nr_map = 0;
	rw->cur = 0;
}

int erofs_wr_reuse_worker_init(const struct erofs_wr *w,
			       struct erofs_wr_reuse_worker *rw)
{
	memset(rw, 0, sizeof(*rw));
	if (!w->reuse.nr_src)
		return 0;
	rw->imgs = calloc(w->reuse.nr_src, sizeof(*rw->imgs));
	if (!rw->imgs)
		return -ENOMEM;
	rw->nr_imgs = w->reuse.nr_src;
	return 0;
}

void erofs_wr_reuse_worker_release(struct erofs_wr_reuse_worker *rw)
{
	uint32_t i;

	wr_reuse_forget(rw);
	for (i = 0; rw->imgs && i < rw->nr_imgs; i++)
		wr_reuse_img_close(&rw->imgs[i]);
	free(rw->imgs);
	free(rw->map);
	free(rw->vbuf);
	rw->imgs = NULL;
}

/*
 * map the OLD inode's extents over [base, end) (one segment: this
 * build's extents never cross a segment's end, nor did OLD's if it is
 * worth replaying); 0 if all can be replayed or cut
 */
static int wr_reuse_map(struct erofs_wr_reuse_worker *rw, unsigned int alg,
			uint64_t base, uint64_t end)
{
	uint64_t off = base;
	int ret;

	while (off < end) {
		struct erofs_map m = { .la = off };

		ret = erofs_data_map(&rw->data, &m);
		if (ret)
			return ret;
		if (m.kind != EROFS_MAP_COMPRESSED || m.la != off || !m.llen ||
		    m.llen > end - off)
			return -EOPNOTSUPP;	/* holes: not ours */
		/* an encoded extent of another algorithm: other settings */
		if (m.alg < Z_EROFS_COMPRESSION_MAX && m.alg != alg)
			return -EOPNOTSUPP;
		ret = erofs_array_reserve(&rw->map, &rw->cap_map,
					  rw->nr_map + 1);
		if (ret)
			return ret;
		rw->map[rw->nr_map++] = m;
		off = m.la + m.llen;
	}
	return 0;
}

/*
 * Try OLD's file f for the segment in hand: 1 when it can be replayed,
 * 0 when not (a damaged one is reported).
 */
static int wr_reuse_try(const struct erofs_wr *w,
			struct erofs_wr_reuse_worker *rw, unsigned int ci,
			const struct erofs_wr_reuse_file *best,
			const uint8_t *buf, uint64_t base, size_t len,
			uint64_t size, unsigned int body,
			const struct erofs_log *log, const char *path)
{
	const struct erofs_wr_reuse *r = &w->reuse;
	unsigned int want = w->p->legacy_compress ?
			    EROFS_INODE_COMPRESSED_FULL :
			    EROFS_INODE_COMPRESSED_COMPACT;
	struct erofs_wr_reuse_img *ri;
	size_t done, n;
	int ret;

	wr_reuse_forget(rw);
	ri = &rw->imgs[best->src];
	ret = wr_reuse_img_open(ri, r->paths[best->src]);
	if (!ret)
		ret = erofs_inode_read(&ri->img, best->nid, &rw->inode);
	if (!ret && rw->inode.size != size)
		return 0;
	/*
	 * Stored uncompressed: the cut, run on the same bytes with the same
	 * settings, saved too little there.  It does so here as well if the
	 * inode around it is as large (the inline tail's room decides), so
	 * the cutter may store raw blocks without trying the encoder.  Not
	 * with fragments: all raw blocks but a fragment would be kept.
	 */
	rw->all_plain = !ret && !erofs_inode_is_compressed(&rw->inode);
	if (rw->all_plain &&
	    ((rw->inode.datalayout != EROFS_INODE_FLAT_PLAIN &&
	      rw->inode.datalayout != EROFS_INODE_FLAT_INLINE) ||
	     w->p->fragments ||
	     rw->inode.inode_isize + rw->inode.xattr_isize != body))
		return 0;
	/*
	 * Full indexes where this build writes compact ones are OLD's
	 * dedupe references: their pclusters were encoded for other bytes.
	 */
	if (!ret && !rw->all_plain && rw->inode.datalayout != want)
		return 0;
	if (!ret) {
		ret = erofs_data_open(&rw->data, &rw->inode);
		rw->data_open = !ret;
	}
	if (!ret && !rw->all_plain)
		ret = wr_reuse_map(rw, w->z.cfgs[ci].c->alg, base, base + len);
	/* compare a window at a time (the session decodes each extent once) */
	if (!ret && !rw->vbuf) {
		rw->vbuf = malloc(WR_ZREAD);
		if (!rw->vbuf)
			ret = -ENOMEM;
	}
	for (done = 0; !ret && done < len; done += n) {
		n = EROFS_MIN(len - done, (size_t)WR_ZREAD);
		ret = erofs_data_read(&rw->data, rw->vbuf, n, base + done);
		if (!ret && memcmp(rw->vbuf, buf + done, n))
			ret = -EBADMSG;
	}
	if (ret == -EOPNOTSUPP) {
		wr_reuse_forget(rw);
		return 0;
	}
	if (ret) {
		erofs_warn(log, "%s: not reused from %s (nid %llu): %s; compressing it",
			   path, r->paths[best->src],
			   (unsigned long long)best->nid,
			   ret == -EBADMSG ? "its data does not match its fingerprint" :
			   strerror(-ret));
		wr_reuse_forget(rw);
		return 0;
	}
	rw->img = &ri->img;
	rw->src = best->src;
	rw->shared = &r->shared;
	rw->files += !base;
	return 1;
}

bool erofs_wr_reuse_prepare(const struct erofs_wr *w,
			    struct erofs_wr_reuse_worker *rw, unsigned int ci,
			    const uint8_t digest[EROFS_ISHARE_DIGEST_LEN],
			    const uint8_t *buf, uint64_t base, size_t len,
			    uint64_t size, unsigned int body,
			    const struct erofs_log *log, const char *path)
{
	const struct erofs_wr_reuse *r = &w->reuse;
	const struct erofs_wr_reuse_file *last = NULL;
	uint64_t hash = erofs_hash_bytes(digest, EROFS_ISHARE_DIGEST_LEN);

	/*
	 * Candidates in a fixed order, not the table's: the first image
	 * given, then the lowest nid; the next one if a candidate fails.
	 */
	for (;;) {
		const struct erofs_wr_reuse_file *best = NULL;
		size_t pos = 0;
		uint64_t v;

		while (erofs_htab_next(&r->tab, hash, &pos, &v)) {
			const struct erofs_wr_reuse_file *c = &r->files[v];

			if (memcmp(c->digest, digest, EROFS_ISHARE_DIGEST_LEN) ||
			    c->size != size ||
			    !(r->alg_ok[ci] & (1U << c->src)))
				continue;
			if (last && (c->src < last->src ||
				     (c->src == last->src && c->nid <= last->nid)))
				continue;
			if (!best || c->src < best->src ||
			    (c->src == best->src && c->nid < best->nid))
				best = c;
		}
		if (!best)
			return false;
		if (wr_reuse_try(w, rw, ci, best, buf, base, len, size, body,
				 log, path))
			return true;
		last = best;
	}
}

int erofs_wr_reuse_replay(void *priv, uint64_t la, size_t offer, uint8_t *enc,
			  size_t cap, size_t *in)
{
	struct erofs_wr_reuse_worker *rw = priv;
	const struct erofs_map *m;
	size_t skip = 0;
	int ret;

	if (rw->all_plain) {
		rw->bytes += EROFS_MIN((uint64_t)offer,
				       1ULL << rw->img->blkszbits);
		return -ENOSPC;
	}
	while (rw->cur < rw->nr_map && rw->map[rw->cur].la < la)
		rw->cur++;
	if (rw->cur == rw->nr_map)
		return 0;
	m = &rw->map[rw->cur];
	/*
	 * A PLAIN block that does not end the file: there OLD's encoder
	 * saved nothing, and so would this build's (the cut stores one raw
	 * block).  At the file's end the cutter may still make an inline
	 * tail of the encoding it rejected: ask the encoder there.
	 */
	if (m->la == la && m->alg == EROFS_Z_ALG_SHIFTED &&
	    !(m->zflags & (EROFS_Z_MAP_INLINE | EROFS_Z_MAP_FRAGMENT |
			   EROFS_Z_MAP_HOLE)) &&
	    m->llen == (1ULL << rw->img->blkszbits) &&
	    m->la + m->llen < rw->inode.size) {
		rw->bytes += m->llen;
		return -ENOSPC;
	}
	/* encoded bytes of exactly this extent, and no more than asked */
	if (m->la != la || m->alg >= Z_EROFS_COMPRESSION_MAX ||
	    (m->zflags & (EROFS_Z_MAP_PARTIAL | EROFS_Z_MAP_FRAGMENT |
			  EROFS_Z_MAP_HOLE)) ||
	    m->llen > offer || !m->plen || m->plen > cap ||
	    (!(m->zflags & EROFS_Z_MAP_INLINE) &&
	     erofs_htab_set_has(rw->shared, wr_reuse_pkey(rw->src, m->pa))))
		return 0;
	if (m->zflags & EROFS_Z_MAP_INLINE)
		ret = erofs_meta_read(rw->img, m->in_metabox, enc, m->plen,
				      m->pa, EROFS_PROB_COMPRESSED);
	else
		ret = erofs_dev_read(rw->img, m->device, enc, m->plen, m->pa);
	if (ret)
		return 0;
	/* 0PADDING: the stream sits at the end of its blocks */
	while (skip < m->plen && !enc[skip])
		skip++;
	if (skip == m->plen)
		return 0;
	memmove(enc, enc + skip, m->plen - skip);
	*in = (size_t)m->llen;
	rw->bytes += m->llen;
	return (int)(m->plen - skip);
}

/* ---- before the pass: the table, and the proof of OLD's settings ---- */

/* what a cut produced, as bytes to compare */
struct wr_reuse_rec {
	uint8_t *b;
	size_t len, cap;
};

static int wr_rec_put(struct wr_reuse_rec *r, const void *p, size_t len)
{
	int ret = erofs_array_reserve(&r->b, &r->cap, r->len + len);

	if (ret)
		return ret;
	memcpy(r->b + r->len, p, len);
	r->len += len;
	return 0;
}

struct wr_reuse_probe {
	struct wr_reuse_rec rec;
	unsigned int blkszbits;
};

static int wr_probe_extent(void *priv, uint64_t la, uint32_t llen,
			   uint8_t type, const uint8_t *src,
			   const uint8_t *pcl, uint32_t pblks)
{
	struct wr_reuse_probe *p = priv;
	uint64_t h[3] = { la, llen, ((uint64_t)type << 32) | pblks };
	int ret;

	(void)src;
	ret = wr_rec_put(&p->rec, h, sizeof(h));
	if (!ret)
		ret = wr_rec_put(&p->rec, pcl, (size_t)pblks << p->blkszbits);
	return ret;
}

static int wr_probe_inline(void *priv, const uint8_t *data, uint32_t len,
			   uint8_t type)
{
	struct wr_reuse_probe *p = priv;
	uint32_t h[2] = { len, type };
	int ret = wr_rec_put(&p->rec, h, sizeof(h));

	return ret ? ret : wr_rec_put(&p->rec, data, len);
}

static int wr_probe_fragment(void *priv, uint64_t la, const uint8_t *src,
			     size_t len)
{
	struct wr_reuse_probe *p = priv;
	uint64_t h[2] = { la, len };

	(void)src;
	return wr_rec_put(&p->rec, h, sizeof(h));
}

static const struct erofs_wr_zcut_ops wr_probe_ops = {
	.extent = wr_probe_extent,
	.inline_tail = wr_probe_inline,
	.fragment = wr_probe_fragment,
};

/*
 * Cut one OLD file (its bytes in buf, prepared in rw) compressed and
 * replayed; 1 if both agree, 0 if not, 2 if nothing was replayed, or
 * -errno.
 */
static int wr_reuse_probe_file(const struct erofs_wr *w,
			       struct erofs_wr_reuse_worker *rw,
			       struct erofs_compress_ctx *ctx, uint8_t *enc,
			       uint8_t *pcl, const uint8_t *buf, uint64_t size)
{
	const struct erofs_mkfs_params *p = w->p;
	struct wr_reuse_probe a = { .blkszbits = w->blkszbits };
	struct wr_reuse_probe b = { .blkszbits = w->blkszbits };
	struct erofs_wr_zcut c = {
		.blkszbits = w->blkszbits, .max_extent = w->z.max_extent,
		.pmax = w->z.pcluster_dflt, .tailpacking = p->ztailpacking,
		.frag_max = p->fragments ? w->z.pcluster_dflt : 0,
		.ctx = ctx, .enc = enc, .pcl = pcl, .ops = &wr_probe_ops,
		.log = w->log, .path = "--reuse sample",
	};
	uint64_t replayed;
	int ret;

	c.priv = &a;
	ret = erofs_wr_zcut_segment(&c, buf, 0, (size_t)size);
	if (ret)
		goto out;
	c.priv = &b;
	c.replay = erofs_wr_reuse_replay;
	c.replay_priv = rw;
	replayed = rw->bytes;
	ret = erofs_wr_zcut_segment(&c, buf, 0, (size_t)size);
	if (ret)
		goto out;
	/* 2: nothing of it could be replayed, it proves nothing */
	ret = rw->bytes == replayed ? 2 :
	      a.rec.len == b.rec.len && !memcmp(a.rec.b, b.rec.b, a.rec.len);
out:
	free(a.rec.b);
	free(b.rec.b);
	return ret;
}

/* sample order: largest first, then lowest nid */
static int wr_reuse_sample_cmp(const void *x, const void *y)
{
	const struct erofs_ishare_file *a = x, *b = y;

	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	return a->nid < b->nid ? -1 : a->nid > b->nid;
}

/* what is on disk must agree before any file is tried */
static bool wr_reuse_settings_match(const struct erofs_wr *w,
				    const struct erofs_image *img,
				    unsigned int ci)
{
	const struct erofs_compress_cfg *cfg = &w->z.cfgs[ci];
	uint8_t rec[64];
	int len;

	if (img->blkszbits != w->blkszbits)
		return false;
	if (cfg->c->alg != Z_EROFS_COMPRESSION_LZMA)
		return true;
	/* LZMA's dictionary is in its record, and changes the encoding */
	len = erofs_compress_write_cfg(cfg, rec, sizeof(rec));
	return len >= 4 && img->lzma_dictsize ==
	       ((uint32_t)rec[0] | (uint32_t)rec[1] << 8 |
		(uint32_t)rec[2] << 16 | (uint32_t)rec[3] << 24);
}

/*
 * Does OLD's encoding with algorithm ci equal this build's?  Up to
 * WR_REUSE_SAMPLE_FILES of its largest files (that fit the sample size)
 * are cut both ways; one disagreement, or no file to try, says no.
 */
static int wr_reuse_prove(struct erofs_wr *w, uint32_t src,
			  const struct erofs_ishare_list *list,
			  unsigned int ci, bool *proved)
{
	struct erofs_wr_reuse *r = &w->reuse;
	struct erofs_image *img = &r->main[src].img;
	struct erofs_wr_reuse_worker rw;
	struct erofs_compress_ctx ctx;
	size_t pmax = w->z.pcluster_dflt, n, tried = 0;
	size_t cap = WR_REUSE_SAMPLE_MAX;
	uint8_t *enc = malloc(pmax), *pcl = malloc(pmax);
	uint8_t *sbuf = malloc(cap);
	unsigned int pass;
	uint32_t saved;
	bool agree = true;
	int ret;

	*proved = false;
	ret = erofs_wr_reuse_worker_init(w, &rw);
	if (!ret && (!enc || !pcl || !sbuf))
		ret = -ENOMEM;
	if (!ret)
		ret = erofs_compress_init(&ctx, &w->z.cfgs[ci]);
	if (ret)
		goto out_free;
	saved = r->alg_ok[ci];
	r->alg_ok[ci] = 1U << src;	/* prepare looks in this one only */
	/*
	 * The largest files up to the sample size; if OLD has none, its
	 * smallest one of one segment (the last in the sorted list).
	 */
	for (pass = 0; pass < 2 && !tried && !ret; pass++) {
		size_t limit = pass ? WR_ZSEGMENT : WR_REUSE_SAMPLE_MAX;

		for (n = 0; n < list->nr && agree &&
			    tried < (pass ? 1 : WR_REUSE_SAMPLE_FILES); n++) {
			const struct erofs_ishare_file *fl =
				&list->files[pass ? list->nr - 1 - n : n];
			uint8_t digest[EROFS_ISHARE_DIGEST_LEN];
			struct erofs_inode inode;

			if (fl->size > limit || fl->size <= w->bs ||
			    !fl->value ||
			    erofs_ishare_value_decode(fl->value, fl->value_len,
						      digest) ||
			    erofs_inode_read(img, fl->nid, &inode) ||
			    !erofs_inode_is_compressed(&inode))
				continue;
			if (fl->size > cap) {
				uint8_t *nb = realloc(sbuf, (size_t)fl->size);

				if (!nb) {
					ret = -ENOMEM;
					break;
				}
				sbuf = nb;
				cap = (size_t)fl->size;
			}
			if (erofs_read_data(&inode, sbuf, (size_t)fl->size, 0))
				continue;
			/* as a worker would: look it up, map it, compare it */
			if (!erofs_wr_reuse_prepare(w, &rw, ci, digest, sbuf, 0,
						    (size_t)fl->size, fl->size,
						    inode.inode_isize +
						    inode.xattr_isize,
						    w->log, fl->path))
				continue;
			ret = wr_reuse_probe_file(w, &rw, &ctx, enc, pcl,
						  sbuf, fl->size);
			if (ret < 0)
				break;
			tried += ret != 2;
			agree = ret > 0;
			ret = 0;
		}
	}
	r->alg_ok[ci] = saved;
	*proved = !ret && tried && agree;
	erofs_compress_release(&ctx);
out_free:
	erofs_wr_reuse_worker_release(&rw);
	free(enc);
	free(pcl);
	free(sbuf);
	return ret;
}

/*
 * -E dedupe makes extents of several files share one pcluster (those
 * files get full indexes).  Such a pcluster was encoded for one of them,
 * from what was offered there; replayed for another it could differ from
 * what this build's encoder makes of that one.  So every pcluster that
 * full-index files of OLD share is left out of the replay.
 */
static int wr_reuse_find_shared(struct erofs_wr *w, uint32_t src,
				const struct erofs_ishare_list *list)
{
	struct erofs_wr_reuse *r = &w->reuse;
	struct erofs_image *img = &r->main[src].img;
	struct erofs_htab seen = { 0 };
	size_t i;
	int ret = 0;

	for (i = 0; i < list->nr && !ret; i++) {
		struct erofs_data_ctx d;
		struct erofs_inode inode;
		uint64_t off = 0;

		if (!list->files[i].value ||
		    erofs_inode_read(img, list->files[i].nid, &inode) ||
		    inode.datalayout != EROFS_INODE_COMPRESSED_FULL ||
		    erofs_data_open(&d, &inode))
			continue;
		while (off < inode.size && !ret) {
			struct erofs_map m = { .la = off };

			if (erofs_data_map(&d, &m) || m.la + m.llen <= off)
				break;	/* a bad file is refused when tried */
			off = m.la + m.llen;
			if (m.kind != EROFS_MAP_COMPRESSED ||
			    (m.zflags & (EROFS_Z_MAP_INLINE |
					 EROFS_Z_MAP_FRAGMENT)))
				continue;
			ret = erofs_htab_set_add(&seen, wr_reuse_pkey(src, m.pa));
			if (ret > 0)
				ret = erofs_htab_set_add(&r->shared,
						wr_reuse_pkey(src, m.pa));
			if (ret > 0)
				ret = 0;
		}
		erofs_data_close(&d);
	}
	erofs_htab_release(&seen);
	return ret;
}

/* index one OLD image's fingerprints and prove its settings */
static int wr_reuse_load(struct erofs_wr *w, uint32_t src)
{
	struct erofs_wr_reuse *r = &w->reuse;
	struct erofs_wr_reuse_img *ri = &r->main[src];
	const char *path = r->paths[src];
	struct erofs_ishare_list list;
	size_t i, nr = 0;
	unsigned int ci;
	int ret;

	/*
	 * erofs_mkfs_reuse_check() opened it before IMAGE was replaced;
	 * what fails now only costs the compression it would have saved
	 */
	ret = wr_reuse_img_open(ri, path);
	if (ret) {
		erofs_warn(w->log, "--reuse %s: cannot read it as an EROFS image: %s; not used",
			   path, strerror(-ret));
		return ret == -ENOMEM ? ret : 0;
	}
	erofs_ishare_list_init(&list);
	ret = erofs_ishare_collect(&ri->img, &list);
	if (ret) {
		erofs_warn(w->log, "--reuse %s: cannot list its files: %s; not used",
			   path, strerror(-ret));
		ret = ret == -ENOMEM ? ret : 0;
		goto out;
	}
	for (i = 0; i < list.nr; i++) {
		const struct erofs_ishare_file *fl = &list.files[i];
		struct erofs_wr_reuse_file *f;

		/* what OLD stored uncompressed counts too (prepare) */
		if (!fl->value || fl->size <= w->bs)
			continue;
		ret = erofs_array_reserve(&r->files, &r->cap_files,
					  r->nr_files + 1);
		if (ret)
			goto out;
		f = &r->files[r->nr_files];
		if (erofs_ishare_value_decode(fl->value, fl->value_len,
					      f->digest))
			continue;	/* a malformed value: not a key */
		f->src = src;
		f->nid = fl->nid;
		f->size = fl->size;
		ret = erofs_htab_add(&r->tab,
				     erofs_hash_bytes(f->digest, sizeof(f->digest)),
				     r->nr_files);
		if (ret >= 0)
			ret = erofs_htab_set_add(&r->sizes, f->size);
		if (ret > 0)
			ret = 0;
		if (ret)
			goto out;
		r->nr_files++;
		nr++;
	}
	if (!nr) {
		erofs_warn(w->log, "--reuse %s: no file with a fingerprint; nothing to reuse",
			   path);
		goto out;
	}
	ret = wr_reuse_find_shared(w, src, &list);
	if (ret)
		goto out;
	qsort(list.files, list.nr, sizeof(*list.files), wr_reuse_sample_cmp);
	for (ci = 0; ci < w->p->nr_compr; ci++) {
		bool proved;

		if (!wr_reuse_settings_match(w, &ri->img, ci))
			proved = false;
		else
			ret = wr_reuse_prove(w, src, &list, ci, &proved);
		if (ret)
			goto out;
		if (proved)
			r->alg_ok[ci] |= 1U << src;
		else
			erofs_warn(w->log, "--reuse %s: %s data is not encoded as this build would (other settings?); not reused",
				   path, w->z.cfgs[ci].c->name);
	}
	erofs_info(w->log, "--reuse %s: %zu files with fingerprints", path, nr);
out:
	erofs_ishare_list_release(&list);
	return ret;
}

int erofs_wr_reuse_load_all(struct erofs_wr *w)
{
	struct erofs_wr_reuse *r = &w->reuse;
	const struct erofs_mkfs_params *p = w->p;
	uint32_t i;
	int ret = 0;

	if (!p->nr_reuse || !p->nr_compr)
		return 0;
	if (p->all_fragments) {
		erofs_info(w->log, "--reuse: with -E all-fragments files are (mostly) in the packed inode, which is not reused; nothing to reuse");
		return 0;
	}
	r->paths = p->reuse;
	r->main = calloc(p->nr_reuse, sizeof(*r->main));
	if (!r->main)
		return -ENOMEM;
	r->nr_src = (uint32_t)p->nr_reuse;
	for (i = 0; i < r->nr_src && !ret; i++)
		ret = wr_reuse_load(w, i);
	return ret;
}

int erofs_wr_reuse_init(struct erofs_wr *w)
{
	bool taken;
	int ret;

	/* loaded while the source was walked (zreuse_pre.c)? */
	if (w->p->reuse_pre) {
		ret = erofs_mkfs_reuse_take(w->p->reuse_pre, w, &taken);
		if (taken)
			return ret;
	}
	return erofs_wr_reuse_load_all(w);
}

void erofs_wr_reuse_release(struct erofs_wr *w)
{
	struct erofs_wr_reuse *r = &w->reuse;
	uint32_t i;

	for (i = 0; r->main && i < r->nr_src; i++)
		wr_reuse_img_close(&r->main[i]);
	free(r->main);
	free(r->files);
	erofs_htab_release(&r->tab);
	erofs_htab_release(&r->sizes);
	erofs_htab_release(&r->shared);
	memset(r, 0, sizeof(*r));
}

bool erofs_wr_reuse_wants_digest(const struct erofs_wr *w,
				 const struct erofs_wr_inode *wi,
				 unsigned int ci, uint32_t pmax)
{
	return w->reuse.nr_src && w->reuse.alg_ok[ci] && !wi->packed &&
	       pmax == w->z.pcluster_dflt &&
	       erofs_htab_set_has(&w->reuse.sizes, wi->size);
}

int erofs_wr_reuse_digest(const struct erofs_wr *w,
			  const struct erofs_wr_inode *wi,
			  uint8_t digest[EROFS_ISHARE_DIGEST_LEN])
{
	const struct erofs_node *n = wi->node;
	struct erofs_sha256 *sha = erofs_sha256_new();
	uint8_t *buf = malloc(WR_ZREAD);
	uint64_t done = 0;
	int fd = -1, ret = 0;

	if (!sha || !buf) {
		ret = -ENOMEM;
		goto out;
	}
	fd = open(n->src_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = erofs_sha256_reset(sha);
	while (!ret && done < wi->size) {
		size_t want = (size_t)EROFS_MIN(wi->size - done,
						(uint64_t)WR_ZREAD);
		ssize_t got = pread(fd, buf, want,
				    (off_t)(n->src_off + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			/* the pass reads it again and says what is wrong */
			ret = got < 0 ? -errno : -EIO;
			break;
		}
		ret = erofs_sha256_update(sha, buf, (size_t)got);
		done += (uint64_t)got;
	}
	if (!ret)
		ret = erofs_sha256_final(sha, digest);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	erofs_sha256_free(sha);
	return ret;
}

int erofs_mkfs_reuse_check(const struct erofs_mkfs_params *p,
			   const char *image)
{
	struct stat st_img, st;
	bool have_img = !stat(image, &st_img);
	size_t i;
	int ret;

	if (p->nr_reuse > EROFS_MKFS_MAX_REUSE) {
		erofs_err(p->log, "--reuse: at most %u images",
			  EROFS_MKFS_MAX_REUSE);
		return -EINVAL;
	}
	for (i = 0; i < p->nr_reuse; i++) {
		struct erofs_wr_reuse_img ri = { 0 };

		/* building over OLD would replace or truncate what it reads */
		if (have_img && !stat(p->reuse[i], &st) &&
		    st.st_dev == st_img.st_dev && st.st_ino == st_img.st_ino) {
			erofs_err(p->log, "--reuse %s: it is the image being built",
				  p->reuse[i]);
			return -EINVAL;
		}
		ret = wr_reuse_img_open(&ri, p->reuse[i]);
		if (ret) {
			erofs_err(p->log, "--reuse %s: cannot read it as an EROFS image: %s",
				  p->reuse[i], strerror(-ret));
			return ret;
		}
		wr_reuse_img_close(&ri);
	}
	return 0;
}
