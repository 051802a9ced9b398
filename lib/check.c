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
 * A file's data is check_data.c's, which with params.workers has it
 * checked ahead in worker threads (check_ahead.c); the walk still
 * applies every file in its order.
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
#include "check_internal.h"

void erofs_check_params_init(struct erofs_check_params *p)
{
	memset(p, 0, sizeof(*p));
	p->check_xattrs = true;
	p->read_data = true;
	p->check_overlap = true;
	p->check_lookbacks = true;
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

/*
 * The block of pa for the block-indexed arrays, or false: not aligned,
 * past them, or they could not be had (then all go to the tables).
 * Capped at 2^24 blocks (64 MiB of pcl_first, touched only where
 * pclusters start); past that a table is still smaller for sparse starts.
 */
#define CHK_BY_BLOCKS_MAX	(1ULL << 24)

static bool chk_block_of(struct check_ctx *c, uint64_t pa, uint64_t *blk)
{
	const struct erofs_image *img = c->img;

	/* decided once: an address always goes to the same place */
	if (!c->by_blocks) {
		c->by_blocks = EROFS_MIN(img->size >> img->blkszbits,
					 CHK_BY_BLOCKS_MAX);
		if (c->by_blocks) {
			c->counted_bits = calloc((size_t)(c->by_blocks + 7) / 8,
						 1);
			c->pcl_first = calloc((size_t)c->by_blocks,
					      sizeof(*c->pcl_first));
		}
		if (!c->counted_bits || !c->pcl_first) {
			free(c->counted_bits);
			free(c->pcl_first);
			c->counted_bits = NULL;
			c->pcl_first = NULL;
			c->by_blocks = UINT64_MAX;	/* none: tables */
		}
	}
	if (c->by_blocks == UINT64_MAX ||
	    pa & (((uint64_t)1 << img->blkszbits) - 1) ||
	    (pa >> img->blkszbits) >= c->by_blocks)
		return false;
	*blk = pa >> img->blkszbits;
	return true;
}

/* true the first time pa is seen; false afterwards (or out of memory) */
bool erofs_chk_counted_first(struct check_ctx *c, uint64_t pa)
{
	uint64_t b;
	int ret;

	if (chk_block_of(c, pa, &b)) {
		uint8_t bit = (uint8_t)(1U << (b & 7));

		if (c->counted_bits[b >> 3] & bit)
			return false;
		c->counted_bits[b >> 3] |= bit;
		return true;
	}
	ret = erofs_htab_set_add(&c->counted, pa);

	if (ret < 0)
		c->oom = ret;
	return !ret;
}

/*
 * A compressed extent's pcluster: the first to use a start address
 * defines it; false when an earlier one there has another size or
 * algorithm (*other: its record).
 */
bool erofs_chk_pcl_agrees(struct check_ctx *c, const struct erofs_map *map,
			  erofs_nid_t nid, const struct pcl_rec **other)
{
	uint64_t v, b;
	uint32_t *slot = NULL;
	size_t pos = 0;

	if (chk_block_of(c, map->pa, &b))
		slot = &c->pcl_first[b];
	if (slot && *slot) {
		const struct pcl_rec *r = &c->pcls[*slot - 1];

		*other = r;
		return r->plen == map->plen && r->alg == map->alg;
	}
	/* at most one record a start address: the first */
	if (!slot && erofs_htab_next(&c->pcl_at, map->pa, &pos, &v)) {
		const struct pcl_rec *r = &c->pcls[v];

		*other = r;
		return r->plen == map->plen && r->alg == map->alg;
	}
	if (erofs_array_reserve(&c->pcls, &c->pcls_cap, c->nr_pcls + 1) ||
	    c->nr_pcls >= UINT32_MAX ||
	    (!slot && erofs_htab_add(&c->pcl_at, map->pa, c->nr_pcls))) {
		c->oom = -ENOMEM;
		return true;
	}
	if (slot)
		*slot = (uint32_t)c->nr_pcls + 1;
	c->pcls[c->nr_pcls++] = (struct pcl_rec){ nid, map->plen, map->alg };
	return true;
}

/*
 * The first path of node idx (valid until the next call), or NULL; out
 * of memory is the check's failure, not a report without its path
 */
static const char *node_path_idx(struct check_ctx *c, long idx)
{
	int ret;

	if (idx < 0)
		return NULL;
	ret = erofs_walk_node_path(&c->walk, (size_t)idx, false, &c->npath,
				   &c->npath_cap);
	if (ret) {
		if (ret == -ENOMEM)
			c->oom = ret;
		return NULL;
	}
	return c->npath;
}

static const char *node_path(struct check_ctx *c, erofs_nid_t nid)
{
	return node_path_idx(c, erofs_walk_find(&c->walk, nid));
}

void erofs_chk_add_region(struct check_ctx *c, uint64_t start, uint64_t len,
			  erofs_nid_t owner, enum region_kind kind)
{
	struct region *last = c->nregions ? &c->regions[c->nregions - 1] :
					    NULL;

	if (!len || !c->p->check_overlap)
		return;
	/*
	 * The next piece of the same owner's same kind (a file's pclusters
	 * one after another): one region.  Pieces of one owner and kind may
	 * share anyway, so no overlap is lost; a report names the joined
	 * range.  This halved the regions of a 143 MB lz4hc rootfs, and
	 * the sort's copy of them with it.
	 */
	if (last && last->owner == owner && last->kind == kind &&
	    last->end == start && last->end > last->start &&
	    start + len > start) {
		last->end = start + len;
		return;
	}
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
			erofs_chk_add_region(c, pos, x->entry_size, x->shared_id,
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

static void verifiers_begin(struct check_ctx *c, bool whole)
{
	unsigned int i;

	c->sink.report = sink_report;
	c->sink.engine = c;
	for (i = 0; i < erofs_chk_nr_verifiers(c->p); i++) {
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
		erofs_chk_add_region(c, inode->iloc, inode->inode_isize +
			   inode->xattr_isize, inode->nid, REGION_META);
	if (c->p->check_xattrs)
		check_xattrs(c, inode);
	if (type == S_IFREG || type == S_IFDIR || type == S_IFLNK)
		derr = erofs_chk_file_data(c, inode, special);
	if (special)
		return;
	switch (type) {
	case S_IFREG:
		c->st->files++;
		c->st->logical_bytes += inode->size;
		if (c->von)
			erofs_chk_file_end(c, derr);
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
	/* a hint: without memory for it the walk checks the file itself */
	if (!ret && c->ahead)
		erofs_chk_offer(c->ahead, &c->offers, ent);
	return ret;
}

static int dir_read_cb(void *priv, const struct erofs_walk_dir *d, int ret)
{
	struct check_ctx *c = priv;
	struct erofs_inode *dir = d->inode;
	struct dir_scan *s = &c->scan;

	c->path = erofs_walk_path(&c->walk);
	/* the listing's files are queued before the walk visits them */
	if (c->ahead)
		erofs_ahead_flush(c->ahead, &c->offers);
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
		const char *path;

		if (cur->start < prev->end && !may_share(prev, cur) &&
		    reported++ < 16) {
			/* NULL for an owner the walk never met, or no memory */
			path = node_path(c, cur->owner);
			if (c->oom)
				return;
			erofs_check_report(c->p->report, c->p->report_priv,
				c->st, EROFS_PROB_DATA_OVERLAP, true, cur->owner,
				path, "bytes %llu..%llu (%s) overlap %llu..%llu (%s of nid %llu)",
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
	for (i = 0; i < c->nr_nodes && !c->oom; i++) {
		const struct erofs_walk_node *n = erofs_walk_node(&c->walk, i);
		struct node_rec *r = &c->nodes[i];
		const char *path;

		if (!n || r->bad)
			continue;
		if (r->is_dir) {
			/* mkfs stores 1 for directories with too many links */
			if (r->nlink == 2 + r->subdirs || r->nlink == 1)
				continue;
			path = node_path_idx(c, (long)i);
			if (path)
				erofs_check_report(c->p->report,
					c->p->report_priv, c->st,
					EROFS_PROB_DIR_NLINK, true, n->nid,
					path, "nlink %u, expected %u",
					r->nlink, 2 + r->subdirs);
		} else if (r->special && !r->refs) {
			continue;	/* the packed inode has no names */
		} else if (r->nlink != r->refs) {
			path = node_path_idx(c, (long)i);
			if (path)
				erofs_check_report(c->p->report,
					c->p->report_priv, c->st,
					EROFS_PROB_NLINK, true, n->nid, path,
					"nlink %u but %u names",
					r->nlink, r->refs);
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
	erofs_chk_add_region(c, EROFS_SUPER_OFFSET, img->cfg_end - EROFS_SUPER_OFFSET,
		   ~0ULL, REGION_META);
	if (img->extra_devices)
		erofs_chk_add_region(c, (uint64_t)erofs_le16(sb->devt_slotoff) *
			   EROFS_DEVT_SLOT_SIZE,
			   (uint64_t)img->extra_devices * EROFS_DEVT_SLOT_SIZE,
			   ~0ULL - 1, REGION_META);
	if (img->xattr_prefix_count && img->prefix_space == 0)
		erofs_chk_add_region(c, img->prefix_table_start,
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
	/*
	 * Workers decode ahead when there is decoding to do; without them
	 * (no memory, no descriptor for another copy) the walk does it all.
	 */
	if (p->workers > 1 && p->read_data && !c.oom &&
	    erofs_ahead_start(&c.ahead, img, p->workers, 65536,
			      erofs_chk_ahead_budget(&c), &erofs_chk_ahead_ops,
			      &c))
		c.ahead = NULL;
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
	free(c.npath);
	erofs_htab_release(&c.counted);
	erofs_htab_release(&c.pcl_at);
	free(c.counted_bits);
	free(c.pcl_first);
	free(c.pcls);
	free(c.databuf);
	return ret;
}
