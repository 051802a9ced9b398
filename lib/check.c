// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * check.c - the check engine (erofs/check.h).
 *
 * One walk over the directory tree (lib/walk.c).  Each distinct nid is
 * checked once (inode fields, xattrs, data mapping); every directory entry
 * is checked where it is found (order, names, "." and "..", file type).
 * Byte ranges owned by metadata and data are collected on the way and
 * checked for overlaps at the end, together with link counts.
 *
 * With params.workers, regular files' data checks (check_data, the
 * decoding and the parallel verifiers) run ahead in worker threads
 * (check_ahead.c), which record what the check would do; the walk
 * applies each record where it would have run the check itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/array.h"
#include "erofs/check.h"
#include "erofs/tree.h"
#include "erofs/walk.h"
#include "erofs/zmap.h"
#include "check_ahead.h"

enum region_kind {
	REGION_META,		/* superblock, inodes, tables, directories */
	REGION_DATA,		/* file data: may be shared by any inodes */
	REGION_SHARED_XATTR,	/* one shared xattr entry, many users */
};

struct region {
	uint64_t start, end;
	erofs_nid_t owner;
	enum region_kind kind;
};

/* what the checks remember per inode, indexed like the walk's nodes */
struct node_rec {
	bool is_dir;
	bool bad;		/* unreadable inode */
	bool special;		/* the packed inode: no names expected */
	uint32_t mode;
	uint32_t nlink;
	uint32_t refs;		/* names pointing here */
	uint32_t subdirs;
};

/* the directory being listed: what its entries are compared against */
struct dir_scan {
	char *prev;
	unsigned int prevlen;
	size_t prevcap;
	bool have_prev, unsorted_reported, dot, dotdot;
};

struct check_ctx {
	struct erofs_image *img;
	const struct erofs_check_params *p;
	struct erofs_check_stats *st;
	struct erofs_walk walk;
	struct node_rec *nodes;
	size_t nr_nodes, nodes_cap;
	struct region *regions;
	size_t nregions, regions_cap;
	/* the path reports name: the walk's, or a fixed label outside it */
	const char *path;
	struct dir_scan scan;
	unsigned char *databuf;
	/*
	 * Start addresses of the pclusters and blocks already counted in
	 * physical_bytes: with dedupe or chunk sharing several extents of
	 * several files use one pcluster, which is stored once and so is
	 * counted once across the image.
	 */
	struct erofs_htab counted;
	/*
	 * Every pcluster seen, by start address: Linux keeps one object per
	 * pcluster start and decodes it the way its first reader mapped it,
	 * so all extents that share one must agree on its size and
	 * algorithm.
	 */
	struct erofs_htab pcl_at;
	struct pcl_rec {
		uint64_t pa;
		uint32_t plen;
		unsigned int alg;
		erofs_nid_t nid;
	} *pcls;
	size_t nr_pcls, pcls_cap;
	/*
	 * verifiers taking part (bits of p->verifiers), those of them not
	 * parallel (verify.h), and for the file being checked those that
	 * want its data
	 */
	uint32_t von, serial, vdata;
	struct erofs_verify_sink sink;
	const struct erofs_inode *vinode;	/* NULL: image-wide reports */
	struct erofs_verify_file vfs[EROFS_CHECK_MAX_VERIFIERS];
	struct erofs_ahead *ahead;	/* NULL: no workers */
	bool full;		/* walk from the root */
	int oom;
	uint64_t dev_told;	/* extra devices (bit id - 1) said missing */
	bool chunk_nofeature_told;	/* said once per image */
};
void erofs_check_params_init(struct erofs_check_params *p)
{
	memset(p, 0, sizeof(*p));
	p->check_xattrs = true;
	p->read_data = true;
	p->check_overlap = true;
	p->max_depth = 0;
}

void erofs_check_report(erofs_check_report_fn fn, void *priv,
			struct erofs_check_stats *stats, unsigned int code,
			bool has_nid, erofs_nid_t nid, const char *path,
			const char *fmt, ...)
{
	struct erofs_problem_report r;
	char detail[512];
	va_list ap;

	r.info = erofs_problem_lookup(code);
	r.has_nid = has_nid;
	r.nid = nid;
	r.path = path;
	r.detail = NULL;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
		r.detail = detail;
	}
	if (stats) {
		if (r.info->severity == EROFS_SEV_ERROR)
			stats->errors++;
		else if (r.info->severity == EROFS_SEV_UNSUPPORTED)
			stats->unsupported++;
		else
			stats->warnings++;
		if (code < EROFS_PROB_MAX)
			stats->counts[code]++;
	}
	if (fn)
		fn(priv, &r);
}

#define report(c, code, nid, ...) \
	erofs_check_report((c)->p->report, (c)->p->report_priv, (c)->st, \
			   (code), true, (nid), (c)->path, __VA_ARGS__)
#define report_sb(c, code, ...) \
	erofs_check_report((c)->p->report, (c)->p->report_priv, (c)->st, \
			   (code), false, 0, NULL, __VA_ARGS__)

/* the record of node idx, created zeroed on first use */
static struct node_rec *node_rec(struct check_ctx *c, size_t idx)
{
	if (idx >= c->nr_nodes) {
		if (erofs_array_reserve_zero(&c->nodes, &c->nodes_cap,
					     idx + 1)) {
			c->oom = -ENOMEM;
			return NULL;
		}
		c->nr_nodes = idx + 1;
	}
	return &c->nodes[idx];
}

/* true the first time pa is seen; false afterwards (or out of memory) */
static bool counted_first(struct check_ctx *c, uint64_t pa)
{
	int ret = erofs_htab_set_add(&c->counted, pa);

	if (ret < 0)
		c->oom = ret;
	return !ret;
}

/*
 * A compressed extent's pcluster: the first to use a start address
 * defines it; false when an earlier one there has another size or
 * algorithm (*other: its record).
 */
static bool pcl_agrees(struct check_ctx *c, const struct erofs_map *map,
		       erofs_nid_t nid, const struct pcl_rec **other)
{
	uint64_t h = erofs_hash_u64(map->pa), v;
	size_t pos = 0;

	while (erofs_htab_next(&c->pcl_at, h, &pos, &v)) {
		const struct pcl_rec *r = &c->pcls[v];

		if (r->pa != map->pa)
			continue;
		*other = r;
		return r->plen == map->plen && r->alg == map->alg;
	}
	if (erofs_array_reserve(&c->pcls, &c->pcls_cap, c->nr_pcls + 1) ||
	    erofs_htab_add(&c->pcl_at, h, c->nr_pcls)) {
		c->oom = -ENOMEM;
		return true;
	}
	c->pcls[c->nr_pcls++] = (struct pcl_rec){ map->pa, map->plen,
						  map->alg, nid };
	return true;
}

static const char *node_path(struct check_ctx *c, erofs_nid_t nid)
{
	long idx = erofs_walk_find(&c->walk, nid);

	return idx < 0 ? NULL : erofs_walk_node(&c->walk, idx)->path;
}

static void add_region(struct check_ctx *c, uint64_t start, uint64_t len,
		       erofs_nid_t owner, enum region_kind kind)
{
	if (!len || !c->p->check_overlap)
		return;
	if (erofs_array_reserve(&c->regions, &c->regions_cap,
				c->nregions + 1)) {
		c->oom = -ENOMEM;
		return;
	}
	c->regions[c->nregions++] = (struct region){
		start, start + len, owner, kind };
}

/* ---- per-inode checks ---- */
struct xattr_check {
	struct check_ctx *c;
	struct erofs_inode *inode;
	struct erofs_xattr_header hdr;
	bool filter;
};

/*
 * Why the kernel would fail to decode a POSIX ACL xattr value (its
 * posix_acl_from_xattr(): a version 2 header, then whole 8-byte entries
 * of known tags, a valid id for named users and groups; none at all
 * reads as "no ACL", ENODATA for a name listxattr shows), or NULL.
 */
static uint32_t acl_le(const uint8_t *p, unsigned int n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static const char *acl_value_fault(const uint8_t *v, size_t size)
{
	size_t i;

	if (size < 4 || (size - 4) % 8)
		return "size is not 4 + 8 * entries";
	if (acl_le(v, 4) != 2)
		return "header version is not 2";
	if (size == 4)
		return "no entries";
	for (i = 4; i < size; i += 8) {
		unsigned int tag = acl_le(v + i, 2);

		if (tag != 0x01 && tag != 0x02 && tag != 0x04 &&
		    tag != 0x08 && tag != 0x10 && tag != 0x20)
			return "unknown entry tag";
		if ((tag == 0x02 || tag == 0x08) &&
		    acl_le(v + i + 4, 4) == 0xffffffffU)
			return "named entry with id -1";
	}
	return NULL;
}

static int xattr_check_cb(void *priv, const struct erofs_xattr_info *x)
{
	struct xattr_check *xc = priv;
	struct check_ctx *c = xc->c;

	if (!x->known) {
		report(c, EROFS_PROB_XATTR_PREFIX, xc->inode->nid,
		       "name index 0x%02x", x->index);
		return 0;
	}
	/*
	 * "user." alone: listxattr shows it, but the VFS refuses to look
	 * up a name that is only a namespace (EINVAL), so its value can
	 * never be read: an error, as the kernel's verdict on that read.
	 * No writer makes one (setxattr refuses such a name too).  (The
	 * ACL names are whole names, and hidden or lustre. names have no
	 * handler to look them up.)
	 */
	if (!x->filter_name_len &&
	    (x->base_index == EROFS_XATTR_INDEX_USER ||
	     x->base_index == EROFS_XATTR_INDEX_TRUSTED ||
	     x->base_index == EROFS_XATTR_INDEX_SECURITY))
		report(c, EROFS_PROB_XATTR_EMPTY_NAME, xc->inode->nid,
		       "\"%s\"", x->name);
	/* the kernel lists names as NUL-terminated strings */
	if (memchr(x->name, '\0', x->name_len))
		report(c, EROFS_PROB_XATTR_NAME_NUL, xc->inode->nid,
		       "\"%s\" (of %zu bytes)", x->name, x->name_len);
	if (x->base_index == EROFS_XATTR_INDEX_POSIX_ACL_ACCESS ||
	    x->base_index == EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT) {
		const char *why = acl_value_fault(x->value, x->value_size);

		if (why)
			report(c, EROFS_PROB_XATTR_ACL, xc->inode->nid,
			       "\"%s\": %s", x->name, why);
	}
	if (x->shared) {
		struct erofs_image *img = c->img;
		uint64_t pos = (img->xattr_blkaddr << img->blkszbits) +
			(uint64_t)x->shared_id * 4;

		if (!(img->feature_compat &
		      EROFS_FEATURE_COMPAT_SHARED_EA_IN_METABOX))
			add_region(c, pos, x->entry_size, x->shared_id,
				   REGION_SHARED_XATTR);
	}
	if (xc->filter) {
		unsigned int bit = erofs_xattr_filter_bit(x->base_index,
				x->filter_name, x->filter_name_len);

		if (xc->hdr.name_filter & (1U << bit))
			report(c, EROFS_PROB_XATTR_FILTER, xc->inode->nid,
			       "filter bit %u set for \"%s\"", bit, x->name);
	}
	return 0;
}

static void check_xattrs(struct check_ctx *c, struct erofs_inode *inode)
{
	struct erofs_image *img = c->img;
	struct xattr_check xc = { .c = c, .inode = inode };
	int ret;

	if (!inode->xattr_isize)
		return;
	/* the filter can only be verified when every name was read */
	xc.filter = img->xattr_filter && erofs_xattr_filter_available();
	if (xc.filter) {
		struct erofs_xattr_ibody_header ih;

		if (erofs_meta_read(img, inode->in_metabox, &ih, sizeof(ih),
				    inode->iloc + inode->inode_isize,
				    EROFS_PROB_INODE_RANGE))
			xc.filter = false;
		else
			xc.hdr.name_filter = erofs_le32(ih.h_name_filter);
	}
	ret = erofs_xattr_iterate(inode, xattr_check_cb, &xc, &xc.hdr);
	if (ret == -ENOMEM)
		c->oom = ret;
	else if (ret)
		report(c, img->problem ? img->problem : EROFS_PROB_DATA_READ,
		       inode->nid, "%s", strerror(-ret));
	else if (xc.hdr.reserved_nonzero)
		report(c, EROFS_PROB_XATTR_RESERVED, inode->nid, NULL);
}

/*
 * The target is a C string to the kernel: a NUL inside i_size makes it
 * refuse the link (EFSCORRUPTED), as the campaign saw in Linux 7.2.  An
 * unreadable target is check_data()'s to report.
 */
static void check_symlink_target(struct check_ctx *c,
				 struct erofs_inode *inode)
{
	char target[4096];

	if (!erofs_read_data(inode, target, inode->size, 0) &&
	    memchr(target, '\0', inode->size))
		report(c, EROFS_PROB_SYMLINK_NUL, inode->nid,
		       "NUL at byte %zu of %llu",
		       (size_t)((char *)memchr(target, '\0', inode->size) - target),
		       (unsigned long long)inode->size);
}

/* ---- verifiers (erofs/verify.h) ---- */
static void sink_report(const struct erofs_verify_sink *sink,
			unsigned int code, const char *fmt, ...)
{
	struct check_ctx *c = sink->engine;
	const struct erofs_inode *inode = c->vinode;
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (inode)
		report(c, code, inode->nid, "%s", detail);
	else
		report_sb(c, code, "%s", detail);
}

static void verifiers_call(struct check_ctx *c, int ret)
{
	if (ret == -ENOMEM)
		c->oom = ret;
}

/* the ones that fit the bit masks (check.h says at most 32) */
static unsigned int nr_verifiers(const struct erofs_check_params *p)
{
	return EROFS_MIN(p->nr_verifiers, EROFS_CHECK_MAX_VERIFIERS);
}

static void verifiers_begin(struct check_ctx *c, bool whole)
{
	unsigned int i;

	c->sink.report = sink_report;
	c->sink.engine = c;
	for (i = 0; i < nr_verifiers(c->p); i++) {
		const struct erofs_verifier *v = &c->p->verifiers[i];
		int ret = v->ops->begin ? v->ops->begin(v->priv, c->img, whole,
							&c->sink) : 0;

		if (!ret) {
			c->von |= 1U << i;
			if (!v->ops->parallel)
				c->serial |= 1U << i;
		}
		verifiers_call(c, ret);
	}
}

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

	for (i = 0; i < nr_verifiers(p); i++) {
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

	for (i = 0; i < nr_verifiers(p); i++) {
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

	for (i = 0; i < nr_verifiers(p); i++) {
		const struct erofs_verifier *v = &p->verifiers[i];

		if ((mask & (1U << i)) && v->ops->file_abort)
			v->ops->file_abort(v->priv, &vf[i]);
	}
}

static void verifiers_file_end(struct check_ctx *c, int err)
{
	unsigned int i;

	for (i = 0; i < nr_verifiers(c->p); i++) {
		const struct erofs_verifier *v = &c->p->verifiers[i];

		if ((c->von & (1U << i)) && v->ops->file_end)
			verifiers_call(c, v->ops->file_end(v->priv, &c->vfs[i],
							   err));
	}
	c->vinode = NULL;
}

/* ---- one file's data check, done now or recorded ahead ---- */
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
	EV_COUNT_FIRST,		/* a = pa, b = bytes: once per pa */
	EV_COUNT,		/* b = bytes */
	EV_PCL,			/* a = pa, b = plen, code = alg */
	EV_MISSING,		/* code = device */
	EV_CHUNK_NOFEATURE,
	EV_DATA,		/* a = off, b = len, text = bytes or NULL */
};

struct ev {
	unsigned int kind, code;
	uint64_t a, b;
	char *text;
};

/* a file computed ahead (job->result) */
struct file_result {
	struct ev *evs;
	size_t nr, cap, mem;
	bool na;		/* not computed: the walk checks it itself */
	int derr;		/* check_data()'s result */
	int oom;
	struct erofs_inode inode;	/* the lane's copy */
	uint32_t vdata;		/* parallel verifiers that took the data */
	struct erofs_verify_file vf[EROFS_CHECK_MAX_VERIFIERS];
	struct erofs_verify_sink sink;
};

struct data_run {
	struct check_ctx *c;	/* the walk's: apply now; NULL: record */
	struct file_result *res;
	const struct erofs_check_params *p;
	struct erofs_image *img;
	struct erofs_inode *inode;
	unsigned char *buf;	/* 64 KiB */
	struct erofs_verify_file *vf;
	uint32_t vdata;		/* verifiers fed here */
	bool rec_data;		/* record the data for the walk's verifiers */
	bool shared_told;	/* direct runs: EV_PCL's state */
};

/* a file's data, kept for the walk's own verifiers (extraction) */
#define AHEAD_DATA_MAX	(4U << 20)
/* results held by jobs done and not yet applied */
#define AHEAD_BUDGET	(64U << 20)

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
	*e = (struct ev){ kind, code, a, b, NULL };
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

static void apply_pcl(struct check_ctx *c, bool *told, erofs_nid_t nid,
		      uint64_t pa, uint32_t plen, unsigned int alg)
{
	struct erofs_map map = { .pa = pa, .plen = plen, .alg = alg };
	const struct pcl_rec *o;

	if (*told || pcl_agrees(c, &map, nid, &o))
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
		add_region(r->c, start, len, r->inode->nid, kind);
	else if (len && r->p->check_overlap)
		rec(r, EV_REGION, kind, start, len, NULL, 0);
}

static void run_count(struct data_run *r, bool first_only, uint64_t pa,
		      uint64_t bytes)
{
	if (!r->c)
		rec(r, first_only ? EV_COUNT_FIRST : EV_COUNT, 0, pa, bytes,
		    NULL, 0);
	else if (!first_only || counted_first(r->c, pa))
		r->c->st->physical_bytes += bytes;
}

static void run_pcl(struct data_run *r, const struct erofs_map *map)
{
	if (r->c)
		apply_pcl(r->c, &r->shared_told, r->inode->nid, map->pa,
			  map->plen, map->alg);
	else
		rec(r, EV_PCL, map->alg, map->pa, map->plen, NULL, 0);
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

	if (!zi || zi->extents || zi->whole_fragment)
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
			uint64_t plen = map.kind == EROFS_MAP_MAPPED ?
				map.llen : map.plen;

			plen = EROFS_ROUND_UP(plen, (uint64_t)img->blksz);
			if (map.pa + plen > limit && !map.device)
				run_report(r, EROFS_PROB_DATA_RANGE, inode->nid,
					   "blocks %llu..%llu past the %llu blocks of the image",
					   (unsigned long long)(map.pa >> img->blkszbits),
					   (unsigned long long)((map.pa + plen - 1) >> img->blkszbits),
					   (unsigned long long)img->blocks);
			if (map.kind == EROFS_MAP_COMPRESSED && !map.device)
				run_pcl(r, &map);
			/* one pcluster can serve several extents of a file;
			 * another device's blocks are no region of this image */
			if (map.pa != last_pa) {
				if (!map.device)
					run_region(r, map.pa, plen, kind);
				zblocks += plen >> img->blkszbits;
			}
			/*
			 * Fragment extents are skipped above: their bytes are
			 * counted once, with the packed inode's own extents.
			 */
			if (S_ISREG(inode->mode) && !map.device)
				run_count(r, true, map.pa,
					  map.kind == EROFS_MAP_MAPPED ?
					  map.llen : map.plen);
			else if (S_ISREG(inode->mode) && map.device &&
				 map.pa != last_pa)
				run_count(r, false, map.pa,
					  map.kind == EROFS_MAP_MAPPED ?
					  map.llen : map.plen);
			last_pa = map.pa;
		} else if (map.kind == EROFS_MAP_INLINE ||
			   (map.kind == EROFS_MAP_COMPRESSED &&
			    (map.zflags & EROFS_Z_MAP_INLINE))) {
			uint64_t len = map.kind == EROFS_MAP_INLINE ?
				map.llen : map.plen;

			if (!map.in_metabox)
				run_region(r, map.pa, len, REGION_META);
			if (S_ISREG(inode->mode))
				run_count(r, false, map.pa, len);
		}
		if ((r->p->read_data || r->vdata || r->rec_data) &&
		    map.kind != EROFS_MAP_HOLE) {
			uint64_t off;

			for (off = la; off < la + n; off += 65536) {
				size_t chunk = EROFS_MIN(65536, la + n - off);

				ret = erofs_data_read(&d, r->buf, chunk, off);
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
				/* the verifiers hash what was just decoded */
				if (r->vdata || r->rec_data)
					run_data(r, off, r->buf, chunk);
			}
		} else if (r->vdata || r->rec_data) {
			run_data(r, la, NULL, n);	/* a hole */
		}
		la += n;
	}
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
	rec(&r, EV_REPORT, code, r.res->inode.nid, 0, detail,
	    strlen(detail) + 1);
}

static void ahead_run(void *priv, struct erofs_image *img, void *scratch,
		      struct erofs_ahead_job *j)
{
	struct check_ctx *c = priv;
	struct file_result *res = calloc(1, sizeof(*res));
	struct data_run r = { .res = res, .p = c->p, .img = img,
			      .buf = scratch };
	uint32_t par = c->von & ~c->serial;

	j->result = res;
	if (!res)
		return;
	r.inode = &res->inode;
	r.vf = res->vf;
	/* a hard link to it may be met first; the walk reads it anyway */
	if (erofs_inode_read(img, j->nid, &res->inode) ||
	    !S_ISREG(res->inode.mode) || j->nid == img->packed_nid ||
	    (c->serial && res->inode.size > AHEAD_DATA_MAX)) {
		res->na = true;
		return;
	}
	/* the walk's verifiers get the data from the record */
	r.rec_data = c->serial != 0;
	res->sink = (struct erofs_verify_sink){ wsink_report, res };
	res->vdata = par ? file_begin_mask(c->p, par, res->vf, &res->inode,
					   NULL, &res->sink, &res->oom) : 0;
	r.vdata = res->vdata;
	res->derr = check_data(&r, false);
	j->mem = sizeof(*res) + res->mem;
}

static void ahead_drop(void *priv, struct erofs_ahead_job *j)
{
	struct check_ctx *c = priv;
	struct file_result *res = j->result;
	size_t i;

	if (!res)
		return;
	if (!res->na)
		file_abort_mask(c->p, c->von & ~c->serial, res->vf);
	for (i = 0; i < res->nr; i++)
		free(res->evs[i].text);
	free(res->evs);
	free(res);
	j->result = NULL;
}

/*
 * An entry the walk will follow: a regular file workers may compute, or a
 * directory they may list ahead of the walk (with ".." skipped, as the
 * walk skips it); 0 or -ENOMEM.
 */
static int offer_ahead(struct erofs_ahead *a, const struct erofs_dir_entry *ent)
{
	bool dir = ent->file_type == EROFS_FT_DIR;

	if ((ent->file_type != EROFS_FT_REG_FILE && !dir) ||
	    memchr(ent->name, '/', ent->name_len) ||
	    memchr(ent->name, '\0', ent->name_len) ||
	    (dir && ent->name[0] == '.' && (ent->name_len == 1 ||
	     (ent->name_len == 2 && ent->name[1] == '.'))))
		return 0;
	return erofs_ahead_offer(a, ent->nid, dir);
}

struct expand_ctx {
	struct erofs_ahead *a;
	int err;
};

static int expand_cb(void *priv, const struct erofs_dir_entry *ent)
{
	struct expand_ctx *x = priv;

	x->err = offer_ahead(x->a, ent);
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
}

static const struct erofs_ahead_ops ahead_ops = {
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
			add_region(c, e->a, e->b, inode->nid,
				   (enum region_kind)e->code);
			break;
		case EV_COUNT_FIRST:
			if (counted_first(c, e->a))
				c->st->physical_bytes += e->b;
			break;
		case EV_COUNT:
			c->st->physical_bytes += e->b;
			break;
		case EV_PCL:
			apply_pcl(c, &told, inode->nid, e->a, (uint32_t)e->b,
				  e->code);
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
 * special: the packed inode, which is checked like a regular file (its
 * regions, its data, its block count) but is no file of the tree, so it
 * is left out of the per-type counts, the logical size and the hooks.
 */
static void check_inode(struct check_ctx *c, struct erofs_inode *inode,
			bool special)
{
	struct erofs_image *img = c->img;
	bool has48 = img->feature_incompat & EROFS_FEATURE_INCOMPAT_48BIT;
	uint32_t type = inode->mode & S_IFMT;
	struct erofs_ahead_job *job = NULL;
	struct file_result *res = NULL;
	unsigned int problem;
	int derr = 0;

	if (inode->reserved_nonzero)
		report(c, EROFS_PROB_INODE_RESERVED, inode->nid, NULL);
	if (inode->version == EROFS_INODE_LAYOUT_EXTENDED && inode->i_nb &&
	    !has48 && (type == S_IFREG || type == S_IFDIR || type == S_IFLNK))
		report(c, EROFS_PROB_INODE_NB, inode->nid, "i_nb 0x%04x",
		       inode->i_nb);
	if ((inode->nlink_1 || inode->dot_omitted) && !has48)
		report(c, EROFS_PROB_INODE_FEATURE, inode->nid,
		       "i_format bit 4 without 48BIT");
	if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK) {
		/*
		 * Linux never reads a device's or fifo's data: the campaign
		 * saw inline, compressed and chunk-based layouts on them read
		 * exactly (an unknown layout is refused when the inode is
		 * read, elsewhere).
		 */
		if (inode->datalayout != EROFS_INODE_FLAT_PLAIN)
			report(c, EROFS_PROB_INODE_LAYOUT_SPECIAL, inode->nid,
			       "special file with data layout %u",
			       inode->datalayout);
		if (inode->size)
			report(c, EROFS_PROB_INODE_SIZE, inode->nid,
			       "special file with size %llu",
			       (unsigned long long)inode->size);
	}
	/* (uid_t)-1 means "no id" to every syscall; only 32-bit ids hold it */
	if (inode->uid == UINT32_MAX || inode->gid == UINT32_MAX)
		report(c, EROFS_PROB_INODE_ID, inode->nid, "uid %u gid %u",
		       inode->uid, inode->gid);
	if (type == S_IFLNK && (!inode->size || inode->size >= 4096))
		report(c, EROFS_PROB_SYMLINK_SIZE, inode->nid, "size %llu",
		       (unsigned long long)inode->size);
	else if (type == S_IFLNK)
		check_symlink_target(c, inode);
	if (type == S_IFDIR && !inode->size)
		report(c, EROFS_PROB_DIR_SIZE, inode->nid, "empty directory");
	if (!inode->in_metabox)
		add_region(c, inode->iloc, inode->inode_isize +
			   inode->xattr_isize, inode->nid, REGION_META);
	if (c->p->check_xattrs)
		check_xattrs(c, inode);
	/* the data's calls leave the walk's image as they found it, done
	 * here or by a worker on its own copy */
	problem = img->problem;
	if (type == S_IFREG && !special && c->ahead) {
		job = erofs_ahead_take(c->ahead, inode->nid);
		res = job ? job->result : NULL;
		if (!res || res->na) {
			erofs_ahead_release(c->ahead, job);
			job = NULL;
			res = NULL;
		}
	}
	if (type == S_IFREG && !special && c->von) {
		uint32_t here = res ? c->serial : c->von;
		unsigned int i;

		c->vinode = inode;
		c->vdata = file_begin_mask(c->p, here, c->vfs, inode, c->path,
					   &c->sink, &c->oom);
		/* the others began in the worker: theirs for file_end */
		for (i = 0; res && i < nr_verifiers(c->p); i++)
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
	} else if (type == S_IFREG || type == S_IFDIR || type == S_IFLNK) {
		struct data_run r = { .c = c, .p = c->p, .img = img,
				      .inode = inode, .buf = c->databuf,
				      .vf = c->vfs };

		if (type == S_IFREG && !special)
			r.vdata = c->vdata;
		derr = check_data(&r, special);
	}
	img->problem = problem;
	erofs_ahead_release(c->ahead, job);
	if (special)
		return;
	switch (type) {
	case S_IFREG:
		c->st->files++;
		c->st->logical_bytes += inode->size;
		if (c->von)
			verifiers_file_end(c, derr);
		c->vdata = 0;
		break;
	case S_IFDIR: c->st->dirs++; break;
	case S_IFLNK: c->st->symlinks++; break;
	case S_IFCHR: c->st->chrdevs++; break;
	case S_IFBLK: c->st->blkdevs++; break;
	case S_IFIFO: c->st->fifos++; break;
	case S_IFSOCK: c->st->sockets++; break;
	}
	c->st->inodes++;
	if (c->p->inode_hook)
		c->p->inode_hook(c->p->hook_priv, inode, c->path);
}

/* ---- the walk, and the consumer that shares it ---- */
#define FORWARD(c, op, ...) \
	((c)->p->walk_ops && (c)->p->walk_ops->op ? \
	 consumer_ret(c, (c)->p->walk_ops->op((c)->p->walk_priv, \
					      __VA_ARGS__)) : \
	 (c)->oom)

static int consumer_ret(struct check_ctx *c, int ret)
{
	if (ret < 0 && !c->oom)
		c->oom = ret;
	return c->oom;
}

static int check_dirent(void *priv, const struct erofs_walk_dir *d,
		     const struct erofs_dir_entry *ent)
{
	struct check_ctx *c = priv;
	struct dir_scan *s = &c->scan;
	struct erofs_inode *dir = d->inode;
	erofs_nid_t dnid = dir->nid;
	bool isdot = ent->name_len == 1 && ent->name[0] == '.';
	bool isdotdot = ent->name_len == 2 && !memcmp(ent->name, "..", 2);

	c->path = erofs_walk_path(&c->walk);
	if (s->have_prev) {
		int r = erofs_name_cmp(s->prev, s->prevlen, ent->name,
				       ent->name_len);

		if (!r)
			report(c, EROFS_PROB_DIR_DUPLICATE, dnid,
			       "\"%.*s\" appears twice", (int)ent->name_len,
			       ent->name);
		else if (r > 0 && !s->unsorted_reported) {
			report(c, EROFS_PROB_DIR_UNSORTED, dnid,
			       "\"%.*s\" after \"%.*s\"", (int)ent->name_len,
			       ent->name, (int)s->prevlen, s->prev);
			s->unsorted_reported = true;
		}
	}
	if (erofs_array_reserve(&s->prev, &s->prevcap, ent->name_len + 1))
		return c->oom = -ENOMEM;
	memcpy(s->prev, ent->name, ent->name_len);
	s->prevlen = ent->name_len;
	s->have_prev = true;

	if (ent->tail_dirty)
		report(c, EROFS_PROB_DIR_TAIL, dnid, "block %llu",
		       (unsigned long long)ent->block);
	if (ent->reserved)
		report(c, EROFS_PROB_DIR_RESERVED, dnid, "entry \"%.*s\"",
		       (int)ent->name_len, ent->name);
	/* the walk follows none of the names below */
	if (memchr(ent->name, '/', ent->name_len) ||
	    memchr(ent->name, '\0', ent->name_len)) {
		report(c, EROFS_PROB_DIR_BADNAME, dnid,
		       "name \"%.*s\" contains '/' or NUL", (int)ent->name_len,
		       ent->name);
		return 0;
	}
	if (isdot) {
		if (s->dot)
			return 0;	/* reported as duplicate */
		s->dot = true;
		if (dir->dot_omitted)
			report(c, EROFS_PROB_DIR_DOT, dnid,
			       "\".\" stored although DOT_OMITTED is set");
		if (ent->nid != dnid)
			report(c, EROFS_PROB_DIR_DOT, dnid,
			       "\".\" points at nid %llu",
			       (unsigned long long)ent->nid);
		if (ent->file_type != EROFS_FT_DIR)
			report(c, EROFS_PROB_DIR_FTYPE, dnid,
			       "\".\" has file type %u", ent->file_type);
		return 0;
	}
	if (isdotdot) {
		if (s->dotdot)
			return 0;
		s->dotdot = true;
		if (d->parent_known && ent->nid != d->parent)
			report(c, EROFS_PROB_DIR_DOTDOT, dnid,
			       "\"..\" points at nid %llu instead of %llu",
			       (unsigned long long)ent->nid,
			       (unsigned long long)d->parent);
		if (ent->file_type != EROFS_FT_DIR)
			report(c, EROFS_PROB_DIR_FTYPE, dnid,
			       "\"..\" has file type %u", ent->file_type);
		return 0;
	}
	return 0;
}

/*
 * The kernel's lookup reads a whole directory block and ends the last name
 * at a NUL or the block end, so on-disk bytes past i_size in the last
 * block must be zero (format.md 5.2); readdir stops at i_size and would
 * still list the name.
 */
static void check_dir_block_tail(struct check_ctx *c, struct erofs_inode *dir)
{
	struct erofs_image *img = c->img;
	unsigned char buf[512];
	struct erofs_map map;
	uint64_t pos, end;

	if (!(dir->size & (img->blksz - 1)) || erofs_inode_is_compressed(dir))
		return;
	map.la = dir->size - 1;
	if (erofs_map_blocks(dir, &map) || map.kind != EROFS_MAP_MAPPED)
		return;
	pos = map.pa + (dir->size - map.la);
	end = EROFS_ROUND_UP(pos, (uint64_t)img->blksz);
	while (pos < end) {
		size_t n = EROFS_MIN(sizeof(buf), end - pos), i;

		if (erofs_meta_read(img, false, buf, n, pos,
				    EROFS_PROB_DATA_RANGE))
			return;
		for (i = 0; i < n; i++)
			if (buf[i]) {
				report(c, EROFS_PROB_DIR_BLOCK_TAIL, dir->nid,
				       "byte %llu of the image",
				       (unsigned long long)(pos + i));
				return;
			}
		pos += n;
	}
}

static int dirent_cb(void *priv, const struct erofs_walk_dir *d,
		     const struct erofs_dir_entry *ent)
{
	struct check_ctx *c = priv;
	int ret = check_dirent(c, d, ent);

	if (ret >= 0)
		ret = FORWARD(c, dirent, d, ent);
	if (!ret && c->ahead) {
		ret = offer_ahead(c->ahead, ent);
		if (ret)
			c->oom = ret;
	}
	return ret;
}

static int dir_read_cb(void *priv, const struct erofs_walk_dir *d, int ret)
{
	struct check_ctx *c = priv;
	struct erofs_inode *dir = d->inode;
	struct dir_scan *s = &c->scan;

	c->path = erofs_walk_path(&c->walk);
	if (ret == -ENOMEM)
		c->oom = ret;
	else if (ret < 0)
		report(c, c->img->problem ? c->img->problem :
		       EROFS_PROB_DATA_READ, dir->nid, "%s", strerror(-ret));
	if (!ret || ret == -EFSCORRUPTED) {
		if (!s->dot && !dir->dot_omitted)
			report(c, EROFS_PROB_DIR_DOT, dir->nid,
			       "no \".\" entry");
		if (!s->dotdot)
			report(c, EROFS_PROB_DIR_DOTDOT, dir->nid,
			       "no \"..\" entry");
	}
	if (!ret)
		check_dir_block_tail(c, dir);
	/* the next directory listed starts afresh */
	s->have_prev = s->unsorted_reported = s->dot = s->dotdot = false;
	return c->oom ? c->oom : FORWARD(c, dir_read, d, ret);
}

static int visit_cb(void *priv, const struct erofs_walk_entry *e, size_t idx,
		    struct erofs_inode *inode, int err)
{
	struct check_ctx *c = priv;
	struct node_rec *rec = node_rec(c, idx), *prec;
	bool too_deep;

	if (!rec)
		return c->oom;
	c->path = erofs_walk_path(&c->walk);
	rec->refs = 1;
	if (err) {
		rec->bad = true;
		report(c, c->img->problem ? c->img->problem :
		       EROFS_PROB_DATA_READ, e->nid, "%s", strerror(-err));
		return FORWARD(c, visit, e, idx, inode, err);
	}
	rec->mode = inode->mode;
	rec->nlink = inode->nlink;
	rec->is_dir = S_ISDIR(inode->mode);
	if (e && e->file_type != erofs_mode_to_ftype(inode->mode))
		report(c, EROFS_PROB_DIR_FTYPE, e->nid,
		       "file type %u, inode mode 0%o", e->file_type,
		       inode->mode);
	/* a limit only when the caller asks for one: the format has none */
	too_deep = e && rec->is_dir && c->p->max_depth &&
		e->depth > c->p->max_depth;
	if (!too_deep && FORWARD(c, visit, e, idx, inode, 0))
		return c->oom;
	c->path = erofs_walk_path(&c->walk);
	check_inode(c, inode, false);
	if (c->oom)
		return c->oom;
	if (!e || !rec->is_dir)
		return 0;
	prec = node_rec(c, e->parent_idx);
	if (prec)
		prec->subdirs++;
	if (too_deep) {
		report(c, EROFS_PROB_DIR_DEPTH, inode->nid,
		       "deeper than %u levels", c->p->max_depth);
		return EROFS_WALK_SKIP;
	}
	return c->oom;
}

static int again_cb(void *priv, const struct erofs_walk_entry *e, size_t idx)
{
	struct check_ctx *c = priv;
	struct node_rec *rec = node_rec(c, idx);

	if (!rec)
		return c->oom;
	c->path = erofs_walk_path(&c->walk);
	rec->refs++;
	if (!rec->bad && e->file_type != erofs_mode_to_ftype(rec->mode))
		report(c, EROFS_PROB_DIR_FTYPE, e->nid,
		       "file type %u, inode mode 0%o", e->file_type,
		       rec->mode);
	if (rec->is_dir)
		report(c, EROFS_PROB_DIR_LOOP, e->nid,
		       "directory nid %llu already reached",
		       (unsigned long long)e->nid);
	return FORWARD(c, again, e, idx);
}

static int leave_cb(void *priv, const struct erofs_walk_dir *d)
{
	struct check_ctx *c = priv;

	return FORWARD(c, leave, d);
}

static const struct erofs_walk_ops check_walk_ops = {
	.dirent = dirent_cb,
	.dir_read = dir_read_cb,
	.visit = visit_cb,
	.again = again_cb,
	.leave = leave_cb,
};

/* ---- whole-image checks ---- */
static int region_cmp(const void *a, const void *b)
{
	const struct region *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

static bool may_share(const struct region *a, const struct region *b)
{
	/*
	 * EROFS lets any number of inodes use the same data blocks (the
	 * kernel never asks whose they are): only metadata must be its
	 * own.  And one shared xattr has many users.
	 */
	if (a->kind == REGION_DATA && b->kind == REGION_DATA)
		return true;
	if (a->kind == REGION_SHARED_XATTR && b->kind == REGION_SHARED_XATTR)
		return a->owner == b->owner;
	return a->owner == b->owner && a->kind == b->kind;
}

static void check_overlaps(struct check_ctx *c)
{
	unsigned int reported = 0;
	size_t i, maxi = 0;

	if (!c->nregions)
		return;
	qsort(c->regions, c->nregions, sizeof(*c->regions), region_cmp);
	for (i = 1; i < c->nregions; i++) {
		const struct region *prev = &c->regions[maxi];
		const struct region *cur = &c->regions[i];

		if (cur->start < prev->end && !may_share(prev, cur) &&
		    reported++ < 16) {
			erofs_check_report(c->p->report, c->p->report_priv,
				c->st, EROFS_PROB_DATA_OVERLAP, true, cur->owner,
				node_path(c, cur->owner), "bytes %llu..%llu (%s) overlap %llu..%llu (%s of nid %llu)",
				(unsigned long long)cur->start,
				(unsigned long long)cur->end - 1,
				cur->kind == REGION_META ? "metadata" : "data",
				(unsigned long long)prev->start,
				(unsigned long long)prev->end - 1,
				prev->kind == REGION_META ? "metadata" : "data",
				(unsigned long long)prev->owner);
		}
		if (cur->end > prev->end)
			maxi = i;
	}
}

static void check_links(struct check_ctx *c)
{
	size_t i;

	/* in the order the inodes were found, so reports are reproducible */
	for (i = 0; i < c->nr_nodes; i++) {
		const struct erofs_walk_node *n = erofs_walk_node(&c->walk, i);
		struct node_rec *r = &c->nodes[i];

		if (!n || r->bad)
			continue;
		if (r->is_dir) {
			/* mkfs stores 1 for directories with too many links */
			if (r->nlink != 2 + r->subdirs && r->nlink != 1)
				erofs_check_report(c->p->report,
					c->p->report_priv, c->st,
					EROFS_PROB_DIR_NLINK, true, n->nid,
					n->path, "nlink %u, expected %u",
					r->nlink, 2 + r->subdirs);
		} else if (r->special && !r->refs) {
			continue;	/* the packed inode has no names */
		} else if (r->nlink != r->refs) {
			erofs_check_report(c->p->report, c->p->report_priv,
				c->st, EROFS_PROB_NLINK, true, n->nid, n->path,
				"nlink %u but %u names", r->nlink, r->refs);
		}
	}
}

static bool bytes_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

static void check_super(struct check_ctx *c)
{
	struct erofs_image *img = c->img;
	const struct erofs_super_block *sb = &img->sb;
	bool reserved_ok;

	if (img->blocks > (img->size >> img->blkszbits))
		report_sb(c, EROFS_PROB_IMAGE_TRUNCATED,
			  "%llu blocks in the superblock, %llu in the image",
			  (unsigned long long)img->blocks,
			  (unsigned long long)(img->size >> img->blkszbits));
	if (!memchr(sb->volume_name, 0, sizeof(sb->volume_name)))
		report_sb(c, EROFS_PROB_SB_VOLUME_NAME, NULL);
	reserved_ok = bytes_zero(sb->reserved, sizeof(sb->reserved)) &&
		bytes_zero(sb->reserved2, sizeof(sb->reserved2)) &&
		bytes_zero(sb->reserved3, sizeof(sb->reserved3));
	if (!(img->feature_compat & EROFS_FEATURE_COMPAT_ISHARE_XATTRS) &&
	    sb->ishare_xattr_prefix_id)
		reserved_ok = false;
	/* read by today's kernels, ignored by those before long prefixes */
	if (img->xattr_prefix_count &&
	    !(img->feature_incompat & EROFS_FEATURE_INCOMPAT_XATTR_PREFIXES))
		report_sb(c, EROFS_PROB_SB_PREFIX_FEATURE,
			  "%u long prefixes", img->xattr_prefix_count);
	/*
	 * Linux (7.2 at least) keeps one set of LZMA decoders sized from the
	 * largest dictionary mounted since boot; with a size that is not a
	 * multiple of 4 they fail (EUCLEAN) on every extent at least that
	 * long, of this image and of any LZMA image mounted later.  Legal,
	 * but the extents it breaks here are errors (check_data).
	 */
	if (img->lzma_dictsize & 3)
		report_sb(c, EROFS_PROB_SB_LZMA_DICT, "dictionary size %u",
			  img->lzma_dictsize);
	/* the verifiers' superblock rows come before the reserved-bytes row */
	verifiers_begin(c, true);
	if (!reserved_ok)
		report_sb(c, EROFS_PROB_SB_RESERVED, NULL);
	add_region(c, EROFS_SUPER_OFFSET, img->cfg_end - EROFS_SUPER_OFFSET,
		   ~0ULL, REGION_META);
	if (img->extra_devices)
		add_region(c, (uint64_t)erofs_le16(sb->devt_slotoff) *
			   EROFS_DEVT_SLOT_SIZE,
			   (uint64_t)img->extra_devices * EROFS_DEVT_SLOT_SIZE,
			   ~0ULL - 1, REGION_META);
	if (img->xattr_prefix_count && img->prefix_space == 0)
		add_region(c, img->prefix_table_start,
			   img->prefix_table_end - img->prefix_table_start,
			   ~0ULL - 2, REGION_META);
}

/*
 * The packed inode (superblock packed_nid) holds the fragments (tails or
 * whole files) of other files and may hold the long xattr prefixes.  The
 * kernel reads it like a file, so it gets the checks of a regular file;
 * its stored bytes are the fragments' physical bytes.  Reports name it
 * PACKED_PATH.
 */
#define PACKED_PATH "(packed inode)"

static void check_packed(struct check_ctx *c)
{
	struct erofs_image *img = c->img;
	struct erofs_inode inode = img->packed;
	struct node_rec *rec;
	long idx;

	if (!img->packed_nid || !img->packed.img)
		return;
	/* marked first: a name pointing at it is a link to a seen inode */
	idx = erofs_walk_mark(&c->walk, img->packed_nid, PACKED_PATH);
	if (idx < 0) {
		c->oom = idx;
		return;
	}
	rec = node_rec(c, idx);
	if (!rec)
		return;
	rec->special = true;
	rec->mode = inode.mode;
	rec->nlink = inode.nlink;
	c->path = PACKED_PATH;
	check_inode(c, &inode, true);
	c->path = "/";
}

int erofs_check_image(struct erofs_image *img,
		      const struct erofs_check_params *p,
		      struct erofs_check_stats *stats)
{
	struct check_ctx c = { .img = img, .p = p, .st = stats, .path = "/" };
	struct erofs_inode start;
	erofs_nid_t parent = 0;
	bool parent_known = false;
	char *label = NULL;
	int ret;

	memset(stats, 0, sizeof(*stats));
	erofs_walk_init(&c.walk, img, &check_walk_ops, &c);
	c.databuf = malloc(65536);
	if (!c.databuf) {
		ret = -ENOMEM;
		goto out;
	}
	if (p->start_path && *p->start_path && strcmp(p->start_path, "/")) {
		char *dup = strdup(p->start_path), *slash;

		if (!dup) {
			ret = -ENOMEM;
			goto out;
		}
		/* the parent of the start directory, for its ".." */
		slash = strrchr(dup, '/');
		while (slash && slash > dup && !slash[1]) {
			*slash = '\0';
			slash = strrchr(dup, '/');
		}
		if (slash) {
			struct erofs_inode pi;

			*slash = '\0';
			if (!erofs_path_lookup(img, *dup ? dup : "/", &pi)) {
				parent = pi.nid;
				parent_known = true;
			}
		}
		free(dup);
		ret = erofs_path_lookup(img, p->start_path, &start);
		if (ret)
			goto out;
		/* reports name it "/a/b" however it was spelt */
		label = malloc(strlen(p->start_path) + 2);
		if (!label) {
			ret = -ENOMEM;
			goto out;
		}
		sprintf(label, "/%s",
			p->start_path + (p->start_path[0] == '/'));
	} else if (p->has_start_nid && p->start_nid != img->root_nid) {
		ret = erofs_inode_read(img, p->start_nid, &start);
		if (ret) {
			report(&c, img->problem, p->start_nid, "%s",
			       strerror(-ret));
			ret = 0;
			goto out;
		}
		label = malloc(32);
		if (!label) {
			ret = -ENOMEM;
			goto out;
		}
		snprintf(label, 32, "<nid %llu>",
			 (unsigned long long)p->start_nid);
	} else {
		c.full = true;
		parent = img->root_nid;
		parent_known = true;
		check_super(&c);
		check_packed(&c);
		ret = erofs_inode_read(img, img->root_nid, &start);
		if (ret) {
			report(&c, img->problem, img->root_nid, "%s",
			       strerror(-ret));
			ret = 0;
			goto out;
		}
	}
	if (!c.full)
		verifiers_begin(&c, false);
	/* workers decode ahead when there is decoding to do */
	if (p->workers > 1 && p->read_data && !c.oom) {
		ret = erofs_ahead_start(&c.ahead, img, p->workers, 65536,
					AHEAD_BUDGET, &ahead_ops, &c);
		if (ret)
			goto out;
	}
	ret = erofs_walk_run(&c.walk, &start, label ? label : "/",
			     parent_known, parent);
	erofs_ahead_stop(c.ahead);
	c.ahead = NULL;
	if (ret && ret != c.oom)
		goto out;
	c.path = "/";
	if (c.full && !c.oom) {
		check_links(&c);
		check_overlaps(&c);
		if (stats->inodes + !!img->packed_nid +
		    !!(img->feature_incompat & EROFS_FEATURE_INCOMPAT_METABOX) !=
		    img->inos)
			report_sb(&c, EROFS_PROB_SB_INOS,
				  "superblock says %llu, found %llu",
				  (unsigned long long)img->inos,
				  (unsigned long long)stats->inodes);
	}
	ret = c.oom;
out:
	erofs_ahead_stop(c.ahead);
	erofs_walk_release(&c.walk);
	free(label);
	free(c.nodes);
	free(c.regions);
	free(c.scan.prev);
	erofs_htab_release(&c.counted);
	erofs_htab_release(&c.pcl_at);
	free(c.pcls);
	free(c.databuf);
	return ret;
}
