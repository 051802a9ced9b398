// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * check_data.c - the check engine's rules for a file's data (mapping,
 * lookbacks, pcluster agreement, ranges, decoding) and the verifiers'
 * per-file calls (erofs/verify.h).
 *
 * A file's data check is done by the walk, or ahead by a worker on its
 * own copy of the image (check_ahead.h).  check_data() changes nothing
 * itself but through run_*(): the walk applies each effect at once; a
 * worker records it, and the walk applies the record when it reaches the
 * file, through the same apply functions, so both give the same reports
 * in the same order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/array.h"
#include "erofs/zmap.h"
#include "check_internal.h"

/*
 * file_begin of the verifiers in mask, on their vf[] entries; returns
 * those that want the data (-ENOMEM in *oom)
 */
static uint32_t file_begin_mask(const struct erofs_check_params *p,
				uint32_t mask, struct erofs_verify_file *vf,
				struct erofs_inode *inode, const char *path,
				const struct erofs_verify_sink *sink, int *oom)
{
	uint32_t data = 0;
	unsigned int i;

	for (i = 0; i < erofs_chk_nr_verifiers(p); i++) {
		const struct erofs_verifier *v = &p->verifiers[i];
		int ret;

		if (!(mask & (1U << i)))
			continue;
		vf[i] = (struct erofs_verify_file){ inode, path, sink, NULL };
		ret = v->ops->file_begin ? v->ops->file_begin(v->priv,
							      &vf[i]) : 0;
		if (!ret)
			data |= 1U << i;
		if (ret == -ENOMEM)
			*oom = ret;
	}
	return data;
}

/* bytes off..off+len of the file (buf NULL: a hole) to the verifiers in
 * mask; the caller clamped them to i_size */
static void file_data_mask(const struct erofs_check_params *p, uint32_t mask,
			   const struct erofs_verify_file *vf, uint64_t off,
			   const void *buf, uint64_t len, int *oom)
{
	unsigned int i;

	for (i = 0; i < erofs_chk_nr_verifiers(p); i++) {
		const struct erofs_verifier *v = &p->verifiers[i];

		if ((mask & (1U << i)) && v->ops->file_data &&
		    v->ops->file_data(v->priv, &vf[i], off, buf,
				      (size_t)len) == -ENOMEM)
			*oom = -ENOMEM;
	}
}

static void file_abort_mask(const struct erofs_check_params *p, uint32_t mask,
			    struct erofs_verify_file *vf)
{
	unsigned int i;

	for (i = 0; i < erofs_chk_nr_verifiers(p); i++) {
		const struct erofs_verifier *v = &p->verifiers[i];

		if ((mask & (1U << i)) && v->ops->file_abort)
			v->ops->file_abort(v->priv, &vf[i]);
	}
}

void erofs_chk_file_end(struct check_ctx *c, int err)
{
	unsigned int i;

	for (i = 0; i < erofs_chk_nr_verifiers(c->p); i++) {
		const struct erofs_verifier *v = &c->p->verifiers[i];

		if ((c->von & (1U << i)) && v->ops->file_end)
			if (v->ops->file_end(v->priv, &c->vfs[i], err) == -ENOMEM)
				c->oom = -ENOMEM;
	}
	c->vinode = NULL;
	c->vdata = 0;
}
/*
 * What checking a file's data does to the engine's state, in order.  The
 * walk does it now (run->c set); a worker records it (check_ahead.h) and
 * the walk applies the record when it reaches the file, through the same
 * apply_*() functions, so both ways give the same reports in the same
 * order.
 */
enum ev_kind {
	EV_REPORT,		/* code, a = nid, text = detail or NULL */
	EV_LOG,			/* code = level, text = the message */
	EV_REGION,		/* a = start, b = len, code = kind */
	EV_COUNT,		/* b = bytes */
	/*
	 * A data extent of the image, the most common by far (a pcluster
	 * each): a = pa, b = its raw length, code = what it does (X_*) |
	 * its region kind << 4 | alg << 8.  One event instead of up to
	 * three, and n extents that follow each other in the image with
	 * the same code and length (the k-th at a + k * ev_step(b)) in
	 * one: the records waiting for the walk were half of a two-worker
	 * check's extra memory (some 2,500 files of 13 extents held).
	 */
	EV_EXTENT,
	EV_MISSING,		/* code = device */
	EV_CHUNK_NOFEATURE,
	EV_DATA,		/* a = off, b = len, text = bytes or NULL */
};

struct ev {
	unsigned int kind : 4;	/* enum ev_kind */
	unsigned int n : 28;	/* EV_EXTENT: extents in a row */
	unsigned int code;
	uint64_t a, b;
	char *text;
};

#define EV_RUN_MAX	((1U << 28) - 1)

/* where the next extent of a run starts: each takes whole blocks */
static uint64_t ev_step(const struct erofs_image *img, uint64_t raw)
{
	return EROFS_ROUND_UP(raw, (uint64_t)img->blksz);
}

/*
 * A file computed ahead (job->result; NULL when the worker left it to the
 * walk: not a regular file, too large to record, or out of memory)
 */
struct file_result {
	struct ev *evs;
	size_t nr, cap, mem;
	int derr;		/* check_data()'s result */
	int oom;
	/*
	 * Not the lane's copy of the inode (136 bytes): a two-worker check
	 * of a 143 MB rootfs holds 2,500 records at a time.
	 */
	erofs_nid_t nid;
	uint32_t vdata;		/* parallel verifiers that took the data */
	struct erofs_verify_sink sink;
	struct erofs_verify_file vf[];	/* one per verifier */
};

struct data_run {
	struct check_ctx *c;	/* the walk's: apply now; NULL: record */
	struct file_result *res;
	const struct erofs_check_params *p;
	struct erofs_image *img;
	struct erofs_inode *inode;
	unsigned char *buf;	/* 64 KiB */
	/*
	 * buf[0, pend) holds the file's bytes from pend_off on, decoded and
	 * not yet handed to the verifiers: small extents are passed on
	 * together (an extraction then writes 64 KiB at a time, not one
	 * extent of lz4hc's 8 KiB or so)
	 */
	uint64_t pend_off;
	size_t pend;
	struct erofs_verify_file *vf;
	uint32_t vdata;		/* verifiers fed here */
	bool rec_data;		/* record the data for the walk's verifiers */
	bool shared_told;	/* direct runs: X_PCL's state */
};

/*
 * Results held by jobs done and not yet applied: records, and with the
 * walk's own verifiers (extraction into a filesystem without O_TMPFILE,
 * lib/extract.c) the decoded bytes of files up to
 * AHEAD_DATA_MAX, for which a smaller budget keeps the decoding ahead
 * (the writing is what takes the time).  512 KiB, not 2 or 8 MiB:
 * extracting a 143 MB lz4hc rootfs with two workers then peaks at 6.9 MiB
 * instead of 8.9 (17.8 with 8 MiB), in the same time (0.98x on tmpfs,
 * farm-bench medians of 15).  Records are not held back: their peak
 * there is about 300 KB, and a budget of 256 KiB made that check with
 * --check-ishare 1.18x slower (the walk then decodes files the lanes
 * have not reached).
 */
#define AHEAD_BUDGET		(64U << 20)
#define AHEAD_DATA_BUDGET	(512U << 10)
#define AHEAD_DATA_MAX		(1U << 20)

size_t erofs_chk_ahead_budget(const struct check_ctx *c)
{
	return c->serial ? AHEAD_DATA_BUDGET : AHEAD_BUDGET;
}

static void rec(struct data_run *r, unsigned int kind, unsigned int code,
		uint64_t a, uint64_t b, const void *text, size_t tlen)
{
	struct file_result *res = r->res;
	struct ev *e;

	if (res->oom)
		return;
	if (erofs_array_reserve(&res->evs, &res->cap, res->nr + 1))
		goto oom;
	e = &res->evs[res->nr];
	*e = (struct ev){ .kind = kind, .n = 1, .code = code, .a = a, .b = b };
	if (text) {
		e->text = malloc(tlen ? tlen : 1);
		if (!e->text)
			goto oom;
		memcpy(e->text, text, tlen);
	}
	res->nr++;
	res->mem += sizeof(*e) + tlen;
	return;
oom:
	res->oom = -ENOMEM;
}

/* what a data extent does, in this order (EV_EXTENT's code) */
enum {
	X_PCL = 1,		/* its pcluster agrees with others there */
	X_REGION = 2,		/* its blocks are a region of the image */
	X_COUNT_FIRST = 4,	/* raw bytes counted once per address */
	X_COUNT = 8,		/* raw bytes counted (another device) */
};

static void apply_pcl(struct check_ctx *c, bool *told, erofs_nid_t nid,
		      uint64_t pa, uint32_t plen, unsigned int alg);

static void apply_extent(struct check_ctx *c, bool *told, erofs_nid_t nid,
			 unsigned int code, uint64_t pa, uint64_t raw)
{
	if (code & X_PCL)
		apply_pcl(c, told, nid, pa, (uint32_t)raw, code >> 8);
	if (code & X_REGION)
		erofs_chk_add_region(c, pa,
				     EROFS_ROUND_UP(raw, (uint64_t)c->img->blksz),
				     nid, (enum region_kind)((code >> 4) & 15));
	if ((code & X_COUNT_FIRST) && erofs_chk_counted_first(c, pa))
		c->st->physical_bytes += raw;
	if (code & X_COUNT)
		c->st->physical_bytes += raw;
}

static void apply_pcl(struct check_ctx *c, bool *told, erofs_nid_t nid,
		      uint64_t pa, uint32_t plen, unsigned int alg)
{
	struct erofs_map map = { .pa = pa, .plen = plen, .alg = alg };
	const struct pcl_rec *o;

	if (*told || erofs_chk_pcl_agrees(c, &map, nid, &o))
		return;
	report(c, EROFS_PROB_Z_SHARED, nid,
	       "pcluster at %llu: %u bytes of %s here, %u bytes of %s for nid %llu",
	       (unsigned long long)pa, plen, erofs_z_alg_name(alg), o->plen,
	       erofs_z_alg_name(o->alg), (unsigned long long)o->nid);
	*told = true;
}

/*
 * Data on an extra device that was not given: the metadata is still
 * checked; said once per device, as unsupported (fsck exit 8), never as
 * corruption.
 */
static void apply_missing(struct check_ctx *c, erofs_nid_t nid,
			  unsigned int dev)
{
	const struct erofs_device_info *di = &c->img->devices[dev - 1];
	uint64_t bit = 1ULL << ((dev - 1) & 63);

	if (c->dev_told & bit)
		return;
	c->dev_told |= bit;
	report(c, EROFS_PROB_DEVICE_MISSING, nid,
	       "device %u (tag \"%.*s\", %llu blocks) not given: its files' data is not checked",
	       dev, (int)strnlen((const char *)di->tag, sizeof(di->tag)),
	       (const char *)di->tag, (unsigned long long)di->blocks);
}

/* the kernel does not ask for the bit: legal but odd, said once */
static void apply_chunk_nofeature(struct check_ctx *c, erofs_nid_t nid)
{
	if (c->chunk_nofeature_told)
		return;
	c->chunk_nofeature_told = true;
	report(c, EROFS_PROB_CHUNK_NOFEATURE, nid, NULL);
}

static void run_report(struct data_run *r, unsigned int code,
		       erofs_nid_t nid, const char *fmt, ...)
	EROFS_PRINTF(4, 5);
static void run_report(struct data_run *r, unsigned int code,
		       erofs_nid_t nid, const char *fmt, ...)
{
	char detail[512] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	if (r->c)
		report(r->c, code, nid, fmt ? "%s" : NULL, detail);
	else
		rec(r, EV_REPORT, code, nid, 0, fmt ? detail : NULL,
		    fmt ? strlen(detail) + 1 : 0);
}

static void run_region(struct data_run *r, uint64_t start, uint64_t len,
		       enum region_kind kind)
{
	if (r->c)
		erofs_chk_add_region(r->c, start, len, r->inode->nid, kind);
	else if (len && r->p->check_overlap)
		rec(r, EV_REGION, kind, start, len, NULL, 0);
}

static void run_count(struct data_run *r, uint64_t bytes)
{
	if (!r->c)
		rec(r, EV_COUNT, 0, 0, bytes, NULL, 0);
	else
		r->c->st->physical_bytes += bytes;
}

static void run_extent(struct data_run *r, unsigned int what,
		       enum region_kind kind, const struct erofs_map *map,
		       uint64_t raw)
{
	unsigned int code = what | (unsigned int)kind << 4 | map->alg << 8;

	if (!what)
		return;
	if (r->c) {
		apply_extent(r->c, &r->shared_told, r->inode->nid, code,
			     map->pa, raw);
		return;
	}
	if (r->res->nr) {
		struct ev *e = &r->res->evs[r->res->nr - 1];

		if (e->kind == EV_EXTENT && e->code == code && e->b == raw &&
		    e->n < EV_RUN_MAX &&
		    map->pa == e->a + e->n * ev_step(r->img, raw)) {
			e->n++;
			return;
		}
	}
	rec(r, EV_EXTENT, code, map->pa, raw, NULL, 0);
}

static void run_missing(struct data_run *r, unsigned int dev)
{
	if (r->c)
		apply_missing(r->c, r->inode->nid, dev);
	else
		rec(r, EV_MISSING, dev, 0, 0, NULL, 0);
}

static void run_chunk_nofeature(struct data_run *r)
{
	if (r->c)
		apply_chunk_nofeature(r->c, r->inode->nid);
	else
		rec(r, EV_CHUNK_NOFEATURE, 0, 0, 0, NULL, 0);
}

/* bytes off..off+len of the file being checked (buf NULL: a hole) */
static void run_data(struct data_run *r, uint64_t off, const void *buf,
		     uint64_t len)
{
	int oom = 0;

	/* extents may run past i_size; the contents end there */
	if (off >= r->inode->size)
		return;
	len = EROFS_MIN(len, r->inode->size - off);
	file_data_mask(r->p, r->vdata, r->vf, off, buf, len, &oom);
	if (r->rec_data)
		rec(r, EV_DATA, 0, off, len, buf, buf ? (size_t)len : 0);
	if (oom && r->c)
		r->c->oom = oom;
	else if (oom)
		r->res->oom = oom;
}

/* hand what buf holds to the verifiers */
static void run_flush(struct data_run *r)
{
	if (r->pend)
		run_data(r, r->pend_off, r->buf, r->pend);
	r->pend = 0;
}

/* EV_LOG, from a lane's log while a job runs */
static void ahead_log(void *priv, struct erofs_ahead_job *j, int level,
		      const char *msg)
{
	struct data_run r = { .res = j->result };

	(void)priv;
	if (r.res)
		rec(&r, EV_LOG, (unsigned int)level, 0, 0, msg,
		    strlen(msg) + 1);
}

static unsigned int problem_or(struct erofs_image *img, unsigned int code)
{
	return img->problem ? img->problem : code;
}

/*
 * The blocks data may use: the image's, and with no devices given (the
 * kernel's flat view) every device mapped at its mapped_blkaddr too, as
 * containerd's tar-index layers have their tar appended.
 */
static uint64_t flat_blocks(const struct erofs_image *img)
{
	uint64_t n = img->blocks;
	unsigned int i;

	for (i = 0; !img->nr_dev_io && i < img->extra_devices; i++)
		if (img->devices[i].uniaddr)
			n = EROFS_MAX(n, img->devices[i].uniaddr +
				      img->devices[i].blocks);
	return n;
}

/*
 * The kernel maps each page on its own, finding the head of its extent
 * through the lookback deltas; the walk over extents above only maps
 * extent starts.  So map every lcluster start inside the extent too: each
 * must reach this extent's head, or the kernel fails (EFSCORRUPTED) or
 * decodes another extent for those pages.  Returns 0 or the -errno,
 * reported.
 */
static int check_lookbacks(struct data_run *r, struct erofs_data_ctx *d,
			   const struct erofs_map *map)
{
	const struct erofs_z_inode *zi = d->z;
	uint64_t lsz, o, end = map->la + map->llen;
	struct erofs_map m;
	int ret;

	if (!zi || zi->extents || zi->whole_fragment ||
	    !r->p->check_lookbacks)
		return 0;
	lsz = 1ULL << zi->lclusterbits;
	for (o = (map->la | (lsz - 1)) + 1; o < end; o += lsz) {
		m.la = o;
		ret = erofs_data_map(d, &m);
		if (ret) {
			run_report(r, problem_or(r->img, EROFS_PROB_Z_INDEX),
				   d->inode->nid, "mapping offset %llu: %s",
				   (unsigned long long)o, strerror(-ret));
			return ret;
		}
		if (m.la != map->la) {
			run_report(r, EROFS_PROB_Z_INDEX, d->inode->nid,
				   "lcluster %llu leads to the extent at %llu, not the one at %llu holding it",
				   (unsigned long long)(o >> zi->lclusterbits),
				   (unsigned long long)m.la,
				   (unsigned long long)map->la);
			return -EFSCORRUPTED;
		}
		/* a CBLKCNT on the way there sizes the pcluster (zmap.c) */
		if (m.kind != map->kind || m.pa != map->pa ||
		    m.plen != map->plen) {
			run_report(r, EROFS_PROB_Z_INDEX, d->inode->nid,
				   "a read from lcluster %llu takes the pcluster at %llu as %u bytes, not %u",
				   (unsigned long long)(o >> zi->lclusterbits),
				   (unsigned long long)m.pa, m.plen, map->plen);
			return -EFSCORRUPTED;
		}
	}
	return 0;
}

/*
 * Check the data of r->inode (special: the packed inode); returns the
 * -errno that stopped the decoding (already reported), or 0.  It reads
 * r->img and changes nothing but through run_*(), so that a worker can
 * run it on its lane.
 */
static int check_data(struct data_run *r, bool special)
{
	struct erofs_image *img = r->img;
	struct erofs_inode *inode = r->inode;
	uint64_t limit = flat_blocks(img) << img->blkszbits;
	bool z = erofs_inode_is_compressed(inode);
	bool dedupe = img->feature_incompat & EROFS_FEATURE_INCOMPAT_DEDUPE;
	/*
	 * Any file data may be shared (dedupe, chunk dedupe, merged
	 * images); a directory's blocks are metadata, its own.
	 */
	enum region_kind kind = S_ISDIR(inode->mode) ? REGION_META :
		REGION_DATA;
	uint64_t la = 0, zblocks = 0, last_pa = UINT64_MAX;
	bool lzma_told = false;
	struct erofs_data_ctx d;
	struct erofs_map map;
	int ret;

	/* problem_or() below names what this file's calls found */
	img->problem = 0;
	if (inode->datalayout == EROFS_INODE_CHUNK_BASED) {
		unsigned int unit = inode->chunkformat &
			EROFS_CHUNK_FORMAT_INDEXES ? 8 : 4;
		uint64_t nchunks = inode->chunkbits > 62 ? 0 :
			EROFS_DIV_ROUND_UP(inode->size, 1ULL << inode->chunkbits);
		uint64_t tpos = EROFS_ROUND_UP(erofs_inode_end(inode), unit);

		if (!(img->feature_incompat & EROFS_FEATURE_INCOMPAT_CHUNKED_FILE))
			run_chunk_nofeature(r);
		if (!inode->in_metabox)
			run_region(r, erofs_inode_end(inode),
				   tpos - erofs_inode_end(inode) + nchunks * unit,
				   REGION_META);
	}
	ret = erofs_data_open(&d, inode);
	if (ret) {
		run_report(r, problem_or(img, EROFS_PROB_COMPRESSED),
			   inode->nid, "%s", strerror(-ret));
		return ret;
	}
	while (la < inode->size) {
		uint64_t n;

		map.la = la;
		ret = erofs_data_map(&d, &map);
		if (ret) {
			run_report(r, problem_or(img, EROFS_PROB_DATA_READ),
				   inode->nid, "mapping offset %llu: %s",
				   (unsigned long long)la, strerror(-ret));
			goto out;
		}
		n = map.la + map.llen - la;
		if (map.kind == EROFS_MAP_COMPRESSED) {
			ret = check_lookbacks(r, &d, &map);
			if (ret)
				goto out;
			if (map.alg == Z_EROFS_COMPRESSION_LZMA &&
			    (img->lzma_dictsize & 3) &&
			    map.llen >= img->lzma_dictsize && !lzma_told &&
			    !(map.zflags & EROFS_Z_MAP_FRAGMENT)) {
				run_report(r, EROFS_PROB_Z_LZMA_DICT, inode->nid,
					   "extent at %llu decodes to %llu bytes, dictionary size %u",
					   (unsigned long long)map.la,
					   (unsigned long long)map.llen,
					   img->lzma_dictsize);
				lzma_told = true;
			}
		}
		if (map.kind == EROFS_MAP_MAPPED ||
		    (map.kind == EROFS_MAP_COMPRESSED &&
		     !(map.zflags & (EROFS_Z_MAP_INLINE | EROFS_Z_MAP_FRAGMENT)))) {
			uint64_t raw = map.kind == EROFS_MAP_MAPPED ?
				map.llen : map.plen;
			uint64_t plen = EROFS_ROUND_UP(raw,
						       (uint64_t)img->blksz);
			unsigned int what = 0;

			if (map.pa + plen > limit && !map.device)
				run_report(r, EROFS_PROB_DATA_RANGE, inode->nid,
					   "blocks %llu..%llu past the %llu blocks of the image",
					   (unsigned long long)(map.pa >> img->blkszbits),
					   (unsigned long long)((map.pa + plen - 1) >> img->blkszbits),
					   (unsigned long long)img->blocks);
			if (map.kind == EROFS_MAP_COMPRESSED && !map.device)
				what |= X_PCL;
			/* one pcluster can serve several extents of a file;
			 * another device's blocks are no region of this image */
			if (map.pa != last_pa) {
				if (!map.device && r->p->check_overlap)
					what |= X_REGION;
				zblocks += plen >> img->blkszbits;
			}
			/*
			 * Fragment extents are skipped above: their bytes are
			 * counted once, with the packed inode's own extents.
			 */
			if (S_ISREG(inode->mode) && !map.device)
				what |= X_COUNT_FIRST;
			else if (S_ISREG(inode->mode) && map.device &&
				 map.pa != last_pa)
				what |= X_COUNT;
			run_extent(r, what, kind, &map, raw);
			last_pa = map.pa;
		} else if (map.kind == EROFS_MAP_INLINE ||
			   (map.kind == EROFS_MAP_COMPRESSED &&
			    (map.zflags & EROFS_Z_MAP_INLINE))) {
			uint64_t len = map.kind == EROFS_MAP_INLINE ?
				map.llen : map.plen;

			if (!map.in_metabox)
				run_region(r, map.pa, len, REGION_META);
			if (S_ISREG(inode->mode))
				run_count(r, len);
		}
		if ((r->p->read_data || r->vdata || r->rec_data) &&
		    map.kind != EROFS_MAP_HOLE) {
			uint64_t off;

			for (off = la; off < la + n; off += 65536) {
				size_t chunk = EROFS_MIN(65536, la + n - off);

				if (r->pend + chunk > 65536)
					run_flush(r);
				ret = erofs_data_read(&d, r->buf + r->pend,
						      chunk, off);
				if (ret == -ENODEV) {
					run_missing(r, map.device);
					goto out;
				}
				if (ret) {
					run_report(r, problem_or(img,
						   EROFS_PROB_DATA_READ),
						   inode->nid,
						   "reading offset %llu: %s",
						   (unsigned long long)off,
						   strerror(-ret));
					goto out;
				}
				/* the verifiers get what was just decoded */
				if (!(r->vdata || r->rec_data))
					continue;
				if (!r->pend)
					r->pend_off = off;
				r->pend += chunk;
			}
		} else if (r->vdata || r->rec_data) {
			run_flush(r);
			run_data(r, la, NULL, n);	/* a hole */
		}
		la += n;
	}
	run_flush(r);
	/*
	 * i_u of a compressed inode counts its pcluster blocks (st_blocks).
	 * The DEDUPE bit is the FRAGMENTS bit, so with it a file may count
	 * pclusters it shares; the packed inode shares none with files.
	 */
	if (z && (!dedupe || special)) {
		uint64_t iu = inode->i_u;

		if (inode->nlink_1)
			iu |= (uint64_t)inode->i_nb << 32;
		if (iu != zblocks)
			run_report(r, EROFS_PROB_INODE_BLOCKS, inode->nid,
				   "i_u %llu, %llu blocks used",
				   (unsigned long long)iu,
				   (unsigned long long)zblocks);
	}
out:
	/* what was decoded before an error still counts */
	run_flush(r);
	erofs_data_close(&d);
	return ret;
}

/* ---- files computed ahead by workers (check_ahead.h) ---- */
/*
 * verify.h has verifiers report in file_end; one that reports earlier in
 * a worker is recorded, so that its row still comes in the walk's order
 */
static void wsink_report(const struct erofs_verify_sink *sink,
			 unsigned int code, const char *fmt, ...)
{
	struct data_run r = { .res = sink->engine };
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	rec(&r, EV_REPORT, code, r.res->nid, 0, detail,
	    strlen(detail) + 1);
}

static void result_free(struct check_ctx *c, struct file_result *res)
{
	size_t i;

	file_abort_mask(c->p, c->von & ~c->serial, res->vf);
	for (i = 0; i < res->nr; i++)
		free(res->evs[i].text);
	free(res->evs);
	free(res);
}

static void ahead_run(void *priv, struct erofs_image *img, void *scratch,
		      struct erofs_ahead_job *j)
{
	struct check_ctx *c = priv;
	uint32_t par = c->von & ~c->serial;
	unsigned int nv = erofs_chk_nr_verifiers(c->p);
	struct file_result *res = calloc(1, sizeof(*res) +
					 nv * sizeof(res->vf[0]));
	struct data_run r = { .res = res, .p = c->p, .img = img,
			      .buf = scratch };
	struct erofs_inode inode;	/* the lane's copy, for the run */
	unsigned int i;

	/* the lane's log lines go to j->result while it runs (ahead_log) */
	j->result = res;
	j->mem = 0;
	if (!res)
		return;
	res->nid = j->nid;
	r.inode = &inode;
	r.vf = res->vf;
	/*
	 * A hard link to it may be met first; the walk reads it anyway.
	 * A file all in its inode's block (most of a rootfs's) is left to
	 * the walk too when only the check looks at its data: the walk has
	 * that block at hand, and the records waiting for it were most of a
	 * two-worker check's extra memory.
	 */
	if (erofs_inode_read(img, j->nid, &inode) ||
	    !S_ISREG(inode.mode) || j->nid == img->packed_nid ||
	    (c->serial && inode.size > AHEAD_DATA_MAX) ||
	    (!c->von && inode.datalayout == EROFS_INODE_FLAT_INLINE &&
	     inode.size < img->blksz)) {
		result_free(c, res);
		j->result = NULL;
		return;
	}
	/* the walk's verifiers get the data from the record */
	r.rec_data = c->serial != 0;
	res->sink = (struct erofs_verify_sink){ wsink_report, res };
	res->vdata = par ? file_begin_mask(c->p, par, res->vf, &inode,
					   NULL, &res->sink, &res->oom) : 0;
	r.vdata = res->vdata;
	res->derr = check_data(&r, false);
	for (i = 0; i < nv; i++) {
		const struct erofs_verifier_ops *ops = c->p->verifiers[i].ops;

		if ((res->vdata & (1U << i)) && ops->file_data_end)
			ops->file_data_end(c->p->verifiers[i].priv,
					   &res->vf[i], res->derr);
		/* the walk gives them its own (erofs_chk_file_data) */
		res->vf[i].inode = NULL;
	}
	/* no memory for the record: the walk checks the file itself */
	if (res->oom) {
		result_free(c, res);
		j->result = NULL;
		return;
	}
	/*
	 * The record waits until the walk gets here, often behind a
	 * thousand others: give back the slack of its doubling array (13
	 * events a file on average, room for 28).  Peak RSS of a two-worker
	 * check of a 143 MB rootfs: 7.0 to 6.1 MiB.
	 */
	if (res->cap > res->nr && res->nr) {
		struct ev *e = realloc(res->evs, res->nr * sizeof(*e));

		if (e) {
			res->evs = e;
			res->cap = res->nr;
		}
	}
	j->mem = sizeof(*res) + nv * sizeof(res->vf[0]) + res->mem;
	for (i = 0; i < nv; i++)
		if (res->vdata & (1U << i))
			j->mem += c->p->verifiers[i].ops->held;
}

static void ahead_drop(void *priv, struct erofs_ahead_job *j)
{
	if (j->result)
		result_free(priv, j->result);
	j->result = NULL;
}

/*
 * An entry the walk will follow: a regular file workers may compute, or a
 * directory they may list ahead of the walk (with ".." skipped, as the
 * walk skips it); 0 or -ENOMEM.
 */
int erofs_chk_offer(struct erofs_ahead *a, struct erofs_ahead_offers *o,
		    const struct erofs_dir_entry *ent)
{
	bool dir = ent->file_type == EROFS_FT_DIR;

	if ((ent->file_type != EROFS_FT_REG_FILE && !dir) ||
	    memchr(ent->name, '/', ent->name_len) ||
	    memchr(ent->name, '\0', ent->name_len) ||
	    (dir && ent->name[0] == '.' && (ent->name_len == 1 ||
	     (ent->name_len == 2 && ent->name[1] == '.'))))
		return 0;
	return erofs_ahead_add(a, o, ent->nid, dir);
}

struct expand_ctx {
	struct erofs_ahead *a;
	struct erofs_ahead_offers o;
	int err;
};

static int expand_cb(void *priv, const struct erofs_dir_entry *ent)
{
	struct expand_ctx *x = priv;

	x->err = erofs_chk_offer(x->a, &x->o, ent);
	return x->err;
}

/* in a worker: offer what directory nid holds (errors are the walk's) */
static void ahead_expand(void *priv, struct erofs_ahead *a,
			 struct erofs_image *img, erofs_nid_t nid)
{
	struct expand_ctx x = { .a = a };
	struct erofs_inode dir;

	(void)priv;
	if (!erofs_inode_read(img, nid, &dir) && S_ISDIR(dir.mode))
		erofs_dir_iterate(&dir, expand_cb, &x);
	erofs_ahead_flush(a, &x.o);
}

const struct erofs_ahead_ops erofs_chk_ahead_ops = {
	.run = ahead_run,
	.log = ahead_log,
	.drop = ahead_drop,
	.expand = ahead_expand,
};

/* apply a record in the walk, where check_data() would have run */
static int apply_result(struct check_ctx *c, struct erofs_inode *inode,
			struct file_result *res)
{
	bool told = false;
	size_t i;
	uint64_t k;
	int oom = 0;

	for (i = 0; i < res->nr && !c->oom; i++) {
		const struct ev *e = &res->evs[i];

		switch (e->kind) {
		case EV_REPORT:
			report(c, e->code, e->a, e->text ? "%s" : NULL,
			       e->text);
			break;
		case EV_LOG:
			erofs_log_emit(c->img->log, (int)e->code, "%s",
				       e->text);
			break;
		case EV_REGION:
			erofs_chk_add_region(c, e->a, e->b, inode->nid,
				   (enum region_kind)e->code);
			break;
		case EV_COUNT:
			c->st->physical_bytes += e->b;
			break;
		case EV_EXTENT:
			for (k = 0; k < e->n && !c->oom; k++)
				apply_extent(c, &told, inode->nid, e->code,
					     e->a + k * ev_step(c->img, e->b),
					     e->b);
			break;
		case EV_MISSING:
			apply_missing(c, inode->nid, e->code);
			break;
		case EV_CHUNK_NOFEATURE:
			apply_chunk_nofeature(c, inode->nid);
			break;
		case EV_DATA:
			file_data_mask(c->p, c->vdata & c->serial, c->vfs,
				       e->a, e->text, e->b, &oom);
			if (oom)
				c->oom = oom;
			break;
		}
	}
	if (res->oom)
		c->oom = res->oom;
	return res->derr;
}

/*
 * The data of a regular file, directory or symbolic link (special: the
 * packed inode), with the verifiers' file_begin for a regular file: from
 * a worker's record when one computed it, else checked here.  Returns
 * the -errno that stopped the decoding (reported), or 0.
 */
int erofs_chk_file_data(struct check_ctx *c, struct erofs_inode *inode,
			bool special)
{
	struct erofs_image *img = c->img;
	bool reg = S_ISREG(inode->mode) && !special;
	struct erofs_ahead_job *job = NULL;
	struct file_result *res = NULL;
	unsigned int problem;
	int derr;

	/* the data's calls leave the walk's image as they found it, done
	 * here or by a worker on its own copy */
	problem = img->problem;
	if (reg && c->ahead) {
		job = erofs_ahead_take(c->ahead, inode->nid);
		res = job ? job->result : NULL;
		if (!res) {
			erofs_ahead_release(c->ahead, job);
			job = NULL;
			res = NULL;
		}
	}
	if (reg && c->von) {
		uint32_t here = res ? c->serial : c->von;
		unsigned int i;

		c->vinode = inode;
		c->vdata = file_begin_mask(c->p, here, c->vfs, inode, c->path,
					   &c->sink, &c->oom);
		/* the others began in the worker: theirs for file_end */
		for (i = 0; res && i < erofs_chk_nr_verifiers(c->p); i++)
			if (c->von & ~c->serial & (1U << i)) {
				c->vfs[i] = res->vf[i];
				c->vfs[i].inode = inode;
				c->vfs[i].path = c->path;
				c->vfs[i].sink = &c->sink;
				res->vf[i].state = NULL;
			}
	}
	if (res) {
		derr = apply_result(c, inode, res);
	} else {
		struct data_run r = { .c = c, .p = c->p, .img = img,
				      .inode = inode, .buf = c->databuf,
				      .vf = c->vfs };

		if (reg)
			r.vdata = c->vdata;
		derr = check_data(&r, special);
	}
	img->problem = problem;
	erofs_ahead_release(c->ahead, job);
	return derr;
}
