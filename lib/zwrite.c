// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zwrite.c - compressed regular files for the writer (format.md 7).
 *
 * Before layout, every regular file larger than one block is read once:
 * the same pass feeds the fingerprint hash and cuts the data into extents
 * with the compressor's fixed-output call ("fill one pcluster").  The
 * encoded pclusters go to a spool file exactly as they will sit in the
 * image (0PADDING: stream at the end of its blocks; PLAIN: raw data at the
 * start, SHIFTED), so layout only has to choose positions and emit only
 * has to copy.  A file whose compression does not save a block is stored
 * uncompressed from the spool, never re-read.
 *
 * Extent rules (format.md 7.1, 7.6, 7.8):
 *  - lclusters are one block; an extent that is not the last must end in a
 *    later lcluster than it starts in (one extent start per lcluster);
 *  - a compressed extent is kept only if its block-rounded encoded size is
 *    smaller than its decoded size; otherwise that spot becomes a PLAIN
 *    extent of (at most) one block of raw data;
 *  - with ztailpacking the last extent also gets an inline form (encoded
 *    or raw, < 1 block) that layout may place right after the indexes.
 * compress_file() depends on nothing but the file's bytes and the params,
 * so files could be compressed in parallel later (one context each).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "erofs/ishare.h"
#include "writer_internal.h"

#define WR_ZREAD	(1U << 20)	/* source read size */

/* ---- spool: an unlinked temporary file, append-only ---- */

static int wr_spool_open(struct erofs_wr *w)
{
	const char *dir = w->p->tmpdir;
	char path[4096];
	int fd;

	if (!dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	if (snprintf(path, sizeof(path), "%s/erofs-spool.XXXXXX", dir) >=
	    (int)sizeof(path)) {
		erofs_err(w->log, "spool directory name too long: %s", dir);
		return -ENAMETOOLONG;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		int err = -errno;

		erofs_err(w->log, "cannot create a spool file in %s: %s", dir,
			  strerror(errno));
		return err;
	}
	unlink(path);
	w->spool_fd = fd;
	w->spool_len = 0;
	return 0;
}

static int wr_spool_append(struct erofs_wr *w, const void *buf, size_t len,
			   uint64_t *off)
{
	const uint8_t *p = buf;
	uint64_t pos = w->spool_len;

	if (off)
		*off = pos;
	while (len) {
		ssize_t n = pwrite(w->spool_fd, p, len, (off_t)pos);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			erofs_err(w->log, "spool write error: %s",
				  strerror(errno));
			return -errno;
		}
		p += n;
		pos += (uint64_t)n;
		len -= (size_t)n;
	}
	w->spool_len = pos;
	return 0;
}

int erofs_wr_spool_read(const struct erofs_wr *w, void *buf, size_t len,
			uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(w->spool_fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			erofs_err(w->log, "spool read error at %llu: %s",
				  (unsigned long long)off,
				  n ? strerror(errno) : "short read");
			return n ? -errno : -EIO;
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- setup ---- */

int erofs_wr_z_init(struct erofs_wr *w)
{
	const struct erofs_mkfs_params *p = w->p;
	uint32_t pmax = p->pcluster_max ? p->pcluster_max : w->bs;
	uint32_t limit;

	w->spool_fd = -1;
	if (!p->nr_compr)
		return 0;
	if (!p->compr[0].c || !p->compr[0].c->built) {
		erofs_err(w->log, "compressor %s is not built in",
			  p->compr[0].c ? p->compr[0].c->name : "(none)");
		return -EOPNOTSUPP;
	}
	/* CBLKCNT has 11 bits; the kernel reads at most 1 MiB per pcluster */
	limit = EROFS_MIN(EROFS_Z_PCLUSTER_MAX, 2047U << w->blkszbits);
	if (pmax % w->bs || pmax > limit) {
		erofs_err(w->log,
			  "-C %u: the pcluster size must be a multiple of the block size (%u) and at most %u",
			  pmax, w->bs, limit);
		return -EINVAL;
	}
	w->pcluster_blks = pmax >> w->blkszbits;
	w->zbig = w->pcluster_blks > 1;
	if (p->max_extent_bytes) {
		if (p->max_extent_bytes < w->bs ||
		    p->max_extent_bytes > EROFS_Z_EXTENT_MAX) {
			erofs_err(w->log,
				  "--max-extent-bytes %u is not in %u..%u",
				  p->max_extent_bytes, w->bs,
				  EROFS_Z_EXTENT_MAX);
			return -EINVAL;
		}
		w->max_extent = p->max_extent_bytes;
	} else {
		w->max_extent = EROFS_MIN(EROFS_Z_EXTENT_MAX,
					  EROFS_MAX(1U << 20, 4 * pmax));
	}
	if (p->nr_compr > 1)
		erofs_info(w->log,
			   "-z: every file uses %s; the other algorithms are kept for --compress-hints",
			   p->compr[0].c->name);
	w->zcfg = p->compr[0];
	w->zcfg.blkszbits = w->blkszbits;
	w->zcfg.max_pclusterblks = w->pcluster_blks;
	return wr_spool_open(w);
}

void erofs_wr_z_release(struct erofs_wr *w)
{
	size_t i;

	for (i = 0; i < w->nr_inodes; i++) {
		struct erofs_wr_zinfo *z = w->inodes[i].z;

		if (z) {
			free(z->ext);
			free(z);
			w->inodes[i].z = NULL;
		}
	}
	if (w->spool_fd >= 0)
		close(w->spool_fd);
	w->spool_fd = -1;
}

/* ---- compressing one file ---- */

struct wr_zjob {
	struct erofs_wr *w;
	struct erofs_compress_ctx ctx;
	struct erofs_sha256 *sha;
	uint8_t *win;			/* input window */
	size_t wincap;
	uint8_t *enc;			/* one pcluster of encoded output */
	uint8_t *pcl;			/* the padded pcluster */

	/* current file */
	const struct erofs_wr_inode *wi;
	int fd;
	uint64_t size, wbase, wlen;	/* window = file bytes [wbase, +wlen) */
	struct erofs_wr_zinfo *z;
	size_t cap_ext;
};

static const char *wr_path(const struct erofs_wr_inode *wi)
{
	return wi->node->path ? wi->node->path : wi->node->src_path;
}

/* make file bytes [head, head + need) available in the window */
static int wr_zwindow(struct wr_zjob *j, uint64_t head, size_t need)
{
	const struct erofs_node *n = j->wi->node;

	if (head + need <= j->wbase + j->wlen)
		return 0;
	if (head > j->wbase) {
		memmove(j->win, j->win + (head - j->wbase),
			(size_t)(j->wbase + j->wlen - head));
		j->wlen -= head - j->wbase;
		j->wbase = head;
	}
	while (j->wbase + j->wlen < j->size && j->wlen < j->wincap) {
		size_t want = (size_t)EROFS_MIN(j->size - j->wbase - j->wlen,
						j->wincap - j->wlen);
		ssize_t got;

		want = EROFS_MIN(want, (size_t)WR_ZREAD);
		got = pread(j->fd, j->win + j->wlen, want,
			    (off_t)(n->src_off + j->wbase + j->wlen));
		if (got < 0) {
			if (errno == EINTR)
				continue;
			erofs_err(j->w->log, "%s: read error: %s",
				  wr_path(j->wi), strerror(errno));
			return -errno;
		}
		if (!got) {
			erofs_err(j->w->log,
				  "%s: file shrank while building (%llu of %llu bytes)",
				  wr_path(j->wi),
				  (unsigned long long)(j->wbase + j->wlen),
				  (unsigned long long)j->size);
			return -EIO;
		}
		if (j->sha) {
			int ret = erofs_sha256_update(j->sha, j->win + j->wlen,
						      (size_t)got);
			if (ret)
				return ret;
		}
		j->wlen += (size_t)got;
		j->w->data_bytes_read += (uint64_t)got;
	}
	return 0;
}

static int wr_zadd(struct wr_zjob *j, uint64_t la, uint32_t llen,
		   uint32_t pblks, uint8_t type)
{
	struct erofs_wr_zinfo *z = j->z;

	if (z->nr_ext == j->cap_ext) {
		size_t cap = j->cap_ext ? 2 * j->cap_ext : 16;
		struct erofs_wr_extent *e = realloc(z->ext, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		z->ext = e;
		j->cap_ext = cap;
	}
	z->ext[z->nr_ext++] = (struct erofs_wr_extent){
		.la = la, .llen = llen, .pblks = pblks, .type = type,
	};
	z->zblocks += pblks;
	return 0;
}

/* spool one pcluster: zero padding then the stream (0PADDING) */
static int wr_zput_encoded(struct wr_zjob *j, const uint8_t *enc, size_t len,
			   uint32_t *pblks)
{
	unsigned int bs = j->w->bs;
	size_t total = EROFS_ROUND_UP(len, bs);

	memset(j->pcl, 0, total - len);
	memcpy(j->pcl + total - len, enc, len);
	*pblks = (uint32_t)(total / bs);
	return wr_spool_append(j->w, j->pcl, total, NULL);
}

/* spool one PLAIN block: raw data then zeros (SHIFTED) */
static int wr_zput_plain(struct wr_zjob *j, const uint8_t *raw, size_t len)
{
	unsigned int bs = j->w->bs;

	memcpy(j->pcl, raw, len);
	memset(j->pcl + len, 0, bs - len);
	return wr_spool_append(j->w, j->pcl, bs, NULL);
}

/* how much input to offer the compressor at once */
static size_t wr_zoffer(const struct wr_zjob *j, uint64_t r, size_t last_in)
{
	size_t want = (size_t)EROFS_MIN(r, (uint64_t)j->w->max_extent);
	unsigned int alg = j->w->zcfg.c->alg;
	size_t pmax = (size_t)j->w->pcluster_blks << j->w->blkszbits;

	/*
	 * zstd and libdeflate cannot stop at an output size; their backends
	 * search the input length and try the whole offer first, so offering
	 * the maximum every time would cost O(max_extent) per pcluster.
	 * Offer about twice what the previous pcluster took instead (a pure
	 * function of the data, so still deterministic).
	 */
	if (alg == Z_EROFS_COMPRESSION_DEFLATE ||
	    alg == Z_EROFS_COMPRESSION_ZSTD)
		want = EROFS_MIN(want, EROFS_MAX(8 * pmax, 2 * last_in));
	return want;
}

static int wr_zfile_extents(struct wr_zjob *j)
{
	struct erofs_wr *w = j->w;
	struct erofs_wr_zinfo *z = j->z;
	unsigned int bs = w->bs, L = w->bs;
	size_t pmax = (size_t)w->pcluster_blks << w->blkszbits;
	uint64_t head = 0;
	size_t last_in = 0;
	int ret;

	z->spool_off = w->spool_len;
	while (head < j->size) {
		uint64_t r = j->size - head;
		size_t in = wr_zoffer(j, r, last_in);
		const uint8_t *src;
		bool last;
		int enc;
		uint32_t pblks;

		ret = wr_zwindow(j, head, in);
		if (ret)
			return ret;
		src = j->win + (head - j->wbase);
		enc = erofs_compress_destsize(&j->ctx, src, &in, j->enc, pmax);
		if (enc == -ENOSPC) {
			enc = 0;
			in = 0;
		} else if (enc < 0) {
			erofs_err(w->log, "%s: %s compression failed: %s",
				  wr_path(j->wi), w->zcfg.c->name,
				  strerror(-enc));
			return enc;
		}
		last = in == r;
		if (w->p->ztailpacking && enc > 0 && last &&
		    (unsigned int)enc < bs && (size_t)enc < in) {
			/*
			 * The tail: its block form first (compressed if that
			 * saves a block, else raw), so the pclusters stay
			 * contiguous in the spool, then the inline form.
			 */
			if (EROFS_ROUND_UP((size_t)enc, bs) < in) {
				ret = wr_zput_encoded(j, j->enc, (size_t)enc,
						      &pblks);
				if (!ret)
					ret = wr_zadd(j, head, (uint32_t)in,
						      pblks,
						      Z_EROFS_LCLUSTER_TYPE_HEAD1);
			} else {
				ret = wr_zput_plain(j, src, in);
				if (!ret)
					ret = wr_zadd(j, head, (uint32_t)in, 1,
						      Z_EROFS_LCLUSTER_TYPE_PLAIN);
			}
			if (!ret)
				ret = wr_spool_append(w, j->enc, (size_t)enc,
						      &z->inl_off);
			z->inl_len = (uint32_t)enc;
			z->inl_type = Z_EROFS_LCLUSTER_TYPE_HEAD1;
			return ret;
		}
		if (enc > 0 && EROFS_ROUND_UP((size_t)enc, bs) < in &&
		    (last || (head + in) / L > head / L)) {
			ret = wr_zput_encoded(j, j->enc, (size_t)enc, &pblks);
			if (!ret)
				ret = wr_zadd(j, head, (uint32_t)in, pblks,
					      Z_EROFS_LCLUSTER_TYPE_HEAD1);
			if (ret)
				return ret;
			head += in;
			last_in = in;
			continue;
		}
		/* incompressible here: one block of raw data */
		in = (size_t)EROFS_MIN(r, (uint64_t)bs);
		ret = wr_zput_plain(j, src, in);
		if (!ret)
			ret = wr_zadd(j, head, (uint32_t)in, 1,
				      Z_EROFS_LCLUSTER_TYPE_PLAIN);
		if (!ret && w->p->ztailpacking && in == r && in < bs) {
			ret = wr_spool_append(w, src, in, &z->inl_off);
			z->inl_len = (uint32_t)in;
			z->inl_type = Z_EROFS_LCLUSTER_TYPE_PLAIN;
		}
		if (ret)
			return ret;
		head += in;
		last_in = in;
	}
	return 0;
}

/* bytes of the map header and indexes (format.md 7.2, 7.5, 7.7) */
static unsigned int wr_zmeta_len(const struct erofs_wr *w,
				 const struct erofs_wr_inode *wi)
{
	uint64_t n = EROFS_DIV_ROUND_UP(wi->size, w->bs);
	unsigned int body = wi->isize + wi->xattr_size;
	unsigned int pad = EROFS_ROUND_UP(body, 8) - body;
	unsigned int ebase, init4;
	uint64_t n2 = 0, rest, len;

	if (w->p->legacy_compress)
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

static int wr_zfile(struct wr_zjob *j, struct erofs_wr_inode *wi)
{
	struct erofs_wr *w = j->w;
	const struct erofs_node *n = wi->node;
	struct erofs_wr_zinfo *z;
	uint64_t flat_blocks = EROFS_DIV_ROUND_UP(wi->size, w->bs), i;
	bool any_head1 = false, whole;
	uint8_t c;
	int ret;

	z = calloc(1, sizeof(*z));
	if (!z)
		return -ENOMEM;
	wi->z = z;
	j->wi = wi;
	j->z = z;
	j->cap_ext = 0;
	j->size = wi->size;
	j->wbase = j->wlen = 0;
	j->fd = open(n->src_path, O_RDONLY | O_CLOEXEC);
	if (j->fd < 0) {
		ret = -errno;
		erofs_err(w->log, "%s: cannot open %s: %s", wr_path(wi),
			  n->src_path, strerror(errno));
		return ret;
	}
	if (j->sha && (ret = erofs_sha256_reset(j->sha)))
		goto out;
	ret = wr_zfile_extents(j);
	if (ret)
		goto out;
	/* every byte went through the window on its way to an extent */
	if (j->wbase + j->wlen != j->size) {
		erofs_err(w->log, "internal error: %s: %llu of %llu bytes read",
			  wr_path(wi), (unsigned long long)(j->wbase + j->wlen),
			  (unsigned long long)j->size);
		ret = -EIO;
		goto out;
	}
	/* a whole-file source must end here; spool files continue */
	if (!n->src_off && pread(j->fd, &c, 1, (off_t)wi->size) > 0) {
		erofs_err(w->log,
			  "%s: file grew while building (expected %llu bytes)",
			  wr_path(wi), (unsigned long long)wi->size);
		ret = -EIO;
		goto out;
	}
	if (j->sha) {
		ret = erofs_sha256_final(j->sha, z->digest);
		if (ret)
			goto out;
		z->has_digest = true;
	}
	for (i = 0; i < z->nr_ext; i++)
		any_head1 |= z->ext[i].type == Z_EROFS_LCLUSTER_TYPE_HEAD1;
	whole = j->wbase == 0 && j->wlen == j->size;
	if (z->zblocks >= flat_blocks) {
		if (!any_head1) {
			/* all PLAIN from offset 0: the spool is the raw data */
			z->flat = true;
			z->raw_off = z->spool_off;
		} else if (whole) {
			z->flat = true;
			ret = wr_spool_append(w, j->win, (size_t)j->size,
					      &z->raw_off);
		}
		/* else: as many blocks either way; keep it compressed */
	}
	if (!z->flat) {
		z->meta_len = wr_zmeta_len(w, wi);
		w->nr_zfiles++;
	}
out:
	close(j->fd);
	j->fd = -1;
	return ret;
}

int erofs_wr_z_compress_all(struct erofs_wr *w)
{
	struct wr_zjob j = { .w = w, .fd = -1 };
	size_t pmax = (size_t)w->pcluster_blks << w->blkszbits, i;
	int ret;

	if (!w->p->nr_compr)
		return 0;
	j.wincap = w->max_extent + WR_ZREAD;
	j.win = malloc(j.wincap);
	j.enc = malloc(pmax);
	j.pcl = malloc(pmax);
	if (!j.win || !j.enc || !j.pcl) {
		ret = -ENOMEM;
		goto out;
	}
	if (w->ishare_id >= 0) {
		j.sha = erofs_sha256_new();
		if (!j.sha) {
			erofs_err(w->log,
				  "fingerprints need SHA-256 (libcrypto), which is not available");
			ret = -EOPNOTSUPP;
			goto out;
		}
	}
	ret = erofs_compress_init(&j.ctx, &w->zcfg);
	if (ret) {
		erofs_err(w->log, "cannot set up %s: %s", w->zcfg.c->name,
			  strerror(-ret));
		goto out;
	}
	for (i = 0; i < w->nr_inodes && !ret; i++) {
		struct erofs_wr_inode *wi = &w->inodes[i];

		/* one block or less cannot get smaller in blocks */
		if (wi->ftype != EROFS_FT_REG_FILE || wi->size <= w->bs)
			continue;
		ret = wr_zfile(&j, wi);
	}
	erofs_compress_release(&j.ctx);
out:
	erofs_sha256_free(j.sha);
	free(j.win);
	free(j.enc);
	free(j.pcl);
	return ret;
}

/* ---- superblock side ---- */

void erofs_wr_z_features(struct erofs_wr *w)
{
	unsigned int alg = w->zcfg.c ? w->zcfg.c->alg : 0;
	uint8_t *rec = w->cfg_rec;
	int len;

	w->cfg_len = 0;
	if (!w->nr_zfiles)
		return;
	w->feature_incompat |= EROFS_FEATURE_INCOMPAT_ZERO_PADDING;
	if (alg == Z_EROFS_COMPRESSION_LZ4 && !w->zbig)
		return;		/* u1 = lz4_max_distance, no records */
	w->feature_incompat |= EROFS_FEATURE_INCOMPAT_COMPR_CFGS;
	/* one algorithm in use: one record, le16 length + payload */
	len = erofs_compress_write_cfg(&w->zcfg, rec + 2,
				       sizeof(w->cfg_rec) - 2);
	if (len < 0)
		len = 0;	/* cannot happen for a built row */
	rec[0] = (uint8_t)len;
	rec[1] = (uint8_t)(len >> 8);
	w->cfg_len = EROFS_ROUND_UP(2 + (unsigned int)len, 4);
}

/* ---- indexes ---- */

struct wr_lc {
	uint8_t type;
	uint16_t lo;			/* clusterofs / delta0 / CBLKCNT|blks */
	uint16_t d1;			/* NONHEAD: delta1 */
	uint32_t blk;			/* HEAD/PLAIN: pcluster block */
	uint32_t rep_blk;		/* big packs: block of the pcluster
					 * this entry represents, else ~0 */
};

#define WR_D_MAX	(Z_EROFS_LI_D0_CBLKCNT - 1)	/* 2047 */

/* one entry per lcluster (format.md 7.6 builder rules) */
static void wr_zlclusters(const struct erofs_wr *w,
			  const struct erofs_wr_inode *wi, struct wr_lc *lc,
			  uint64_t n)
{
	const struct erofs_wr_zinfo *z = wi->z;
	uint64_t blk = wi->startblk, k, i;
	unsigned int bits = w->blkszbits;

	for (k = 0; k < n; k++)
		lc[k].rep_blk = UINT32_MAX;
	for (i = 0; i < z->nr_ext; i++) {
		const struct erofs_wr_extent *e = &z->ext[i];
		uint64_t h = e->la >> bits, end = e->la + e->llen;
		uint64_t ns = end >> bits;	/* lcluster of the next start */

		lc[h] = (struct wr_lc){
			.type = e->type,
			.lo = (uint16_t)(e->la & (w->bs - 1)),
			.blk = (uint32_t)blk,
			.rep_blk = (uint32_t)blk,
		};
		for (k = h + 1; k < ns && k < n; k++) {
			lc[k] = (struct wr_lc){
				.type = Z_EROFS_LCLUSTER_TYPE_NONHEAD,
				.lo = (uint16_t)EROFS_MIN(k - h, WR_D_MAX),
				.d1 = (uint16_t)EROFS_MIN(ns - k, WR_D_MAX),
				.rep_blk = UINT32_MAX,
			};
			if (k == h + 1 && w->zbig) {
				/* the head's size; an inline one counts 1 */
				lc[k].lo = Z_EROFS_LI_D0_CBLKCNT |
					   (uint16_t)(e->pblks ? e->pblks : 1);
				lc[k].rep_blk = (uint32_t)blk;
				lc[h].rep_blk = UINT32_MAX;
			}
		}
		blk += e->pblks;
	}
	/* the last extent ends inside the EOF lcluster: terminate it */
	if (wi->size & (w->bs - 1)) {
		const struct erofs_wr_extent *e = &z->ext[z->nr_ext - 1];

		if ((e->la >> bits) != n - 1)
			lc[n - 1] = (struct wr_lc){
				.type = Z_EROFS_LCLUSTER_TYPE_PLAIN,
				.lo = (uint16_t)(wi->size & (w->bs - 1)),
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
static void wr_zpack(const struct erofs_wr *w, const struct wr_lc *lc,
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
	if (!w->zbig)
		base -= 1;
	wr_put32(out + bytes - 4, base);
}

int erofs_wr_z_encode_meta(const struct erofs_wr *w,
			   const struct erofs_wr_inode *wi, uint8_t *out)
{
	const struct erofs_wr_zinfo *z = wi->z;
	uint64_t n = EROFS_DIV_ROUND_UP(wi->size, w->bs), k;
	unsigned int body = wi->isize + wi->xattr_size;
	unsigned int pad = EROFS_ROUND_UP(body, 8) - body;
	uint8_t *h = out + pad, *p;
	struct wr_lc *lc = calloc(n, sizeof(*lc));
	uint32_t *next_blk = calloc(n + 1, sizeof(*next_blk));

	if (!lc || !next_blk) {
		free(lc);
		free(next_blk);
		return -ENOMEM;
	}
	memset(out, 0, z->meta_len);
	/* header: idata size, advise, algorithm (HEAD1), clusterbits 0 */
	if (z->inlined)
		wr_put16(h + 2, (uint16_t)z->inl_len);
	wr_put16(h + 4, z->advise);
	h[6] = (uint8_t)w->zcfg.c->alg;
	h[7] = 0;
	wr_zlclusters(w, wi, lc, n);
	if (w->p->legacy_compress) {
		p = h + 16;
		for (k = 0; k < n; k++, p += 8) {
			const struct wr_lc *e = &lc[k];

			wr_put16(p, e->type);
			if (e->type == Z_EROFS_LCLUSTER_TYPE_NONHEAD) {
				wr_put16(p + 2, 0);
				wr_put16(p + 4, e->lo);
				wr_put16(p + 6, e->d1);
			} else {
				wr_put16(p + 2, e->lo);
				wr_put32(p + 4, e->blk);
			}
		}
	} else {
		uint64_t init4, n2 = 0;
		unsigned int ebase = EROFS_ROUND_UP(body, 8) + 8;

		/* next_blk[k]: block of the first pcluster represented at
		 * or after entry k (the value a pack starting there needs) */
		next_blk[n] = (uint32_t)(wi->startblk + wi->nblocks);
		for (k = n; k-- > 0;)
			next_blk[k] = lc[k].rep_blk != UINT32_MAX ?
				      lc[k].rep_blk : next_blk[k + 1];
		init4 = ((32 - ebase % 32) / 4) & 7;
		if (init4 < n)
			n2 = (n - init4) / 16 * 16;
		p = h + 8;
		for (k = 0; k < n && k < init4; k += 2, p += 8)
			wr_zpack(w, lc, n, k, 2, p, next_blk);
		for (; n2 && k < init4 + n2; k += 16, p += 32)
			wr_zpack(w, lc, n, k, 16, p, next_blk);
		for (; k < n; k += 2, p += 8)
			wr_zpack(w, lc, n, k, 2, p, next_blk);
	}
	free(lc);
	free(next_blk);
	return 0;
}
