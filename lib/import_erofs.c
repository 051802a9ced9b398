// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * import_erofs.c - rebuild mode: the trees of EROFS images merged into one
 * erofs_node tree (see erofs/import.h).
 *
 * The images are layers, the last one on top, and are merged as
 * overlayfs would stack them: they are read top down, and a name already
 * in the merged tree hides the same name below, except that two
 * directories merge.  A whiteout (character device 0:0) hides what lies
 * below it; an opaque directory (trusted.overlay.opaque=y), or a
 * whiteout or non-directory met below a directory, ends the merge of
 * that directory.  This is what erofs-utils does, except that a
 * non-directory below a directory ends the merge there too (overlayfs
 * stops its lookup at a lower non-directory; erofs-utils went on).
 *
 * Regular file data stays in the source images (each one an extra
 * device of the new image, pieces pointing into it), or with
 * EROFS_REBUILD_FULL is copied, or with EROFS_REBUILD_RESERVE only gets
 * its blocks reserved (unwritten) in the new image.  A file the new image cannot point at
 * (an inline tail, compressed, data inside a tar-index image rather than
 * in its tar) is copied too: erofs-utils refuses those.
 */
#include "config.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "erofs/array.h"
#include "erofs/htab.h"
#include "erofs/import.h"
#include "erofs/ishare.h"
#include "erofs/reader.h"
#include "import_internal.h"

#define OVL_OPAQUE	"trusted.overlay.opaque"
#define OVL_ORIGIN	"trusted.overlay.origin"
#define RB_BUF		(1U << 20)
#define RB_MAX_SYMLINK	65536	/* far above PATH_MAX: damage, not a target */

struct rb_link {		/* a source nid met before -> its node */
	erofs_nid_t nid;
	struct erofs_node *node;
};

struct rb_src {
	const char *path;
	unsigned int dev;		/* its device id in the new image */
	struct erofs_io io;
	bool io_open;
	struct erofs_image img;
	bool img_open;
	int ishare_id;			/* its fingerprint prefix, or -1 */
	char *ishare_key;		/* ... and that xattr's name */
	struct erofs_htab links;	/* hash(nid) -> index in link[] */
	struct rb_link *link;
	size_t nr_link, cap_link;
};

struct rb_ctx {
	const struct erofs_import_params *p;
	const struct erofs_log *log;
	enum erofs_rebuild_data mode;
	bool strip;
	unsigned int bits;		/* the new image's block size bits */
	struct erofs_rebuild *out;
	struct rb_src *src;		/* the one being read */
	struct erofs_htab opaque;	/* merged directories closed below */
	struct erofs_dindex dindex;	/* the merged tree's names */
	struct erofs_sha256 *h;		/* p->digests */
	uint8_t *buf;
	uint64_t copied;		/* files whose data was copied */
};

#define RB_ERR(c, where, fmt, ...) \
	erofs_err((c)->log, "%s: %s: " fmt, (c)->src->path, (where), \
		  ##__VA_ARGS__)

static uint64_t ptr_key(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}


static bool node_whiteout(const struct erofs_node *n)
{
	return S_ISCHR(n->mode) && !n->rdev;
}

static struct erofs_node *rb_lookup(struct rb_ctx *c, struct erofs_node *dir,
				    const char *name, size_t len)
{
	struct erofs_dentry *d = erofs_dindex_find(&c->dindex, dir, name, len);

	return d ? d->inode : NULL;
}

/* ---- one inode's metadata ---------------------------------------------- */

struct rb_xa {
	struct rb_ctx *c;
	struct erofs_node *node;
	const char *path;
	bool opaque;
	int ret;
};

static int rb_xattr_cb(void *priv, const struct erofs_xattr_info *x)
{
	struct rb_xa *a = priv;
	struct rb_src *s = a->c->src;

	/* the source's fingerprint: kept as the file's digest */
	if (s->ishare_key &&
	    x->index == (EROFS_XATTR_LONG_PREFIX | (unsigned int)s->ishare_id) &&
	    !strcmp(x->name, s->ishare_key)) {
		if (S_ISREG(a->node->mode) &&
		    !erofs_ishare_value_decode(x->value, x->value_size,
					       a->node->digest))
			a->node->has_digest = true;
		return 0;
	}
	if (!strcmp(x->name, OVL_OPAQUE)) {
		a->opaque = x->value_size == 1 && *(const char *)x->value == 'y';
		if (a->c->strip)
			return 0;
	}
	/* the empty origin only keeps overlayfs from listing whiteouts
	   (erofs-utils and --aufs add it): gone with them */
	if (a->c->strip && !x->value_size && !strcmp(x->name, OVL_ORIGIN))
		return 0;
	if (!a->c->p->xattrs)	/* -x -1: read for the rules above only */
		return 0;
	a->ret = erofs_node_set_xattr(a->node, x->name, x->value,
				      x->value_size);
	return a->ret;
}

static int rb_meta(struct rb_ctx *c, struct erofs_inode *in,
		   struct erofs_node *node, const char *path, bool *opaque)
{
	struct rb_xa a = { .c = c, .node = node, .path = path };
	int ret;

	node->mode = (node->mode & S_IFMT) | (in->mode & 07777);
	erofs_import_mtime(c->p, node, in->mtime, in->mtime_nsec);
	ret = erofs_import_owner(c->p, node, in->uid, in->gid);
	if (ret) {
		RB_ERR(c, path, "uid/gid out of range after offsets");
		return ret;
	}
	/* even with -x -1: opaque directories and fingerprints matter */
	ret = erofs_xattr_iterate(in, rb_xattr_cb, &a, NULL);
	if (a.ret)
		ret = a.ret;
	if (ret) {
		RB_ERR(c, path, "cannot read its xattrs: %s", strerror(-ret));
		return ret;
	}
	if (opaque)
		*opaque = a.opaque;
	return 0;
}

/* ---- regular file data ---------------------------------------------------- */

/* the content through the reader: into the spool and/or the digest */
static int rb_read_data(struct rb_ctx *c, struct erofs_inode *in,
			struct erofs_node *node, const char *path, bool copy)
{
	struct erofs_data_ctx d;
	uint64_t off, base = 0;
	size_t n;
	int ret;

	if (copy) {
		if (!c->out->spool) {
			ret = erofs_spool_open(c->log, &c->out->spool);
			if (ret)
				return ret;
		}
		ret = erofs_spool_reserve(c->out->spool, in->size, &base);
		if (ret) {
			RB_ERR(c, path, "cannot extend the spool file: %s",
			       strerror(-ret));
			return ret;
		}
	}
	if (c->h && (ret = erofs_sha256_reset(c->h)))
		return ret;
	ret = erofs_data_open(&d, in);
	if (ret) {
		RB_ERR(c, path, "cannot read its data: %s", strerror(-ret));
		return ret;
	}
	for (off = 0; !ret && off < in->size; off += n) {
		n = (size_t)EROFS_MIN(in->size - off, (uint64_t)RB_BUF);
		ret = erofs_data_read(&d, c->buf, n, off);
		if (ret) {
			if (ret == -ENODEV)
				RB_ERR(c, path, "its data is on a device of the source that was not given");
			else
				RB_ERR(c, path, "cannot read its data: %s",
				       strerror(-ret));
			break;
		}
		if (copy && (ret = erofs_spool_pwrite(c->out->spool, c->buf,
						      n, base + off)))
			RB_ERR(c, path, "cannot write the spool file: %s",
			       strerror(-ret));
		if (!ret && c->h)
			ret = erofs_sha256_update(c->h, c->buf, n);
	}
	erofs_data_close(&d);
	if (ret)
		return ret;
	if (c->h && !node->has_digest) {
		ret = erofs_sha256_final(c->h, node->digest);
		if (ret)
			return ret;
		node->has_digest = true;
	}
	if (copy) {
		node->src_path = strdup(erofs_spool_path(c->out->spool));
		if (!node->src_path)
			return -ENOMEM;
		node->src_off = base;
		c->copied++;
	}
	return 0;
}

/*
 * Pieces on the source's device: its image, or for a tar-index source
 * its tar.  false when some data is not there (inline, compressed, or
 * inside a tar-index image): the caller copies the file then.
 */
static int rb_pieces(struct rb_ctx *c, struct erofs_inode *in,
		     struct erofs_node *node, bool *ok)
{
	struct erofs_image *img = &c->src->img;
	uint64_t la = 0, ua_pos = 0, dev_bytes = 0;
	int ret = 0;

	*ok = false;
	if (erofs_inode_is_compressed(in))
		return 0;
	if (img->extra_devices) {
		ua_pos = img->devices[0].uniaddr << img->blkszbits;
		dev_bytes = img->devices[0].blocks << img->blkszbits;
	}
	while (la < in->size) {
		struct erofs_map map = { .la = la };
		uint64_t pos;

		ret = erofs_map_blocks(in, &map);
		if (ret)
			return ret;
		if (map.la != la || !map.llen)
			return -EFSCORRUPTED;
		if (map.kind == EROFS_MAP_HOLE) {
			ret = erofs_node_add_piece(node, map.llen, 0,
						   EROFS_PIECE_HOLE);
		} else if (map.kind != EROFS_MAP_MAPPED) {
			goto no;
		} else if (!img->extra_devices) {
			if (map.device)
				goto no;
			ret = erofs_node_add_piece(node, map.llen, map.pa,
						   c->src->dev);
		} else {
			/* a tar-index source: its tar is the device */
			if (map.device == 1)
				pos = map.pa;
			else if (!map.device && ua_pos && map.pa >= ua_pos &&
				 map.pa - ua_pos < dev_bytes)
				pos = map.pa - ua_pos;	/* tar appended */
			else
				goto no;
			ret = erofs_node_add_piece(node, map.llen, pos,
						   c->src->dev);
		}
		if (ret)
			return ret;
		la += map.llen;
	}
	*ok = true;
	return 0;
no:
	free(node->pieces);
	node->pieces = NULL;
	node->nr_pieces = node->cap_pieces = 0;
	return 0;
}

static int rb_file_data(struct rb_ctx *c, struct erofs_inode *in,
			struct erofs_node *node, const char *path)
{
	bool ok = false;
	int ret;

	node->size = in->size;
	if (!in->size)
		return 0;
	if (c->mode == EROFS_REBUILD_RESERVE) {
		/* blocks reserved, unwritten: read only for a fingerprint */
		node->reserved = true;
		if (!c->h || node->has_digest)
			return 0;
		return rb_read_data(c, in, node, path, false);
	}
	if (c->mode == EROFS_REBUILD_BLOB_INDEX) {
		ret = rb_pieces(c, in, node, &ok);
		if (ret) {
			RB_ERR(c, path, "cannot map its data: %s",
			       strerror(-ret));
			return ret;
		}
	}
	if (ok && (!c->h || node->has_digest))
		return 0;
	/* copy it, or (pieces) read it for the fingerprint */
	return rb_read_data(c, in, node, path, !ok);
}

/* ---- the merge ------------------------------------------------------------ */

static int rb_dir(struct rb_ctx *c, struct erofs_inode *dir,
		  struct erofs_node *mdir, const char *mpath);

static struct erofs_node *rb_link_find(struct rb_src *s, erofs_nid_t nid)
{
	size_t pos = 0;
	uint64_t v;

	while (erofs_htab_next(&s->links, erofs_hash_u64(nid), &pos, &v))
		if (s->link[v].nid == nid)
			return s->link[v].node;
	return NULL;
}

static int rb_link_add(struct rb_src *s, erofs_nid_t nid,
		       struct erofs_node *node)
{
	int ret = erofs_array_reserve(&s->link, &s->cap_link, s->nr_link + 1);

	if (ret)
		return ret;
	s->link[s->nr_link] = (struct rb_link){ .nid = nid, .node = node };
	ret = erofs_htab_add(&s->links, erofs_hash_u64(nid), s->nr_link);
	if (!ret)
		s->nr_link++;
	return ret;
}

/* a new node for the source inode in */
static int rb_new(struct rb_ctx *c, struct erofs_inode *in, const char *path,
		  struct erofs_node **out, bool *opaque)
{
	struct erofs_node *node = erofs_node_new(in->mode & S_IFMT);
	int ret;

	*opaque = false;
	if (!node)
		return -ENOMEM;
	node->path = strdup(path);
	ret = node->path ? rb_meta(c, in, node, path, opaque) : -ENOMEM;
	if (ret)
		goto out;
	switch (in->mode & S_IFMT) {
	case S_IFREG:
		ret = rb_file_data(c, in, node, path);
		break;
	case S_IFLNK:
		if (!in->size || in->size > RB_MAX_SYMLINK) {
			RB_ERR(c, path, "symlink target of %llu bytes",
			       (unsigned long long)in->size);
			ret = -EFSCORRUPTED;
			break;
		}
		node->symlink = calloc(1, in->size + 1);
		node->size = in->size;
		ret = node->symlink ? erofs_read_data(in, node->symlink,
						      in->size, 0) : -ENOMEM;
		if (ret && ret != -ENOMEM)
			RB_ERR(c, path, "cannot read the symlink target: %s",
			       strerror(-ret));
		break;
	case S_IFCHR:
	case S_IFBLK:
		node->rdev = makedev(erofs_dev_major(in->rdev),
				     erofs_dev_minor(in->rdev));
		break;
	default:
		break;
	}
out:
	if (ret) {
		erofs_node_put(node);
		return ret;
	}
	*out = node;
	return 0;
}

struct rb_dirent {
	erofs_nid_t nid;
	char *name;
	size_t len;
};

struct rb_list {
	struct rb_dirent *v;
	size_t nr, cap;
	int ret;
};

static int rb_list_cb(void *priv, const struct erofs_dir_entry *e)
{
	struct rb_list *l = priv;

	if ((e->name_len == 1 && e->name[0] == '.') ||
	    (e->name_len == 2 && !memcmp(e->name, "..", 2)))
		return 0;
	l->ret = erofs_array_reserve(&l->v, &l->cap, l->nr + 1);
	if (l->ret)
		return l->ret;
	l->v[l->nr].nid = e->nid;
	l->v[l->nr].len = e->name_len;
	l->v[l->nr].name = strndup(e->name, e->name_len);
	if (!l->v[l->nr].name)
		return l->ret = -ENOMEM;
	l->nr++;
	return 0;
}

/* a lower directory's trusted.overlay.opaque=y */
static int rb_meta_opaque(struct rb_ctx *c, struct erofs_inode *in,
			  const char *path, bool *opaque)
{
	char v[2];
	ssize_t n = erofs_getxattr(in, OVL_OPAQUE, v, sizeof(v));

	*opaque = n == 1 && v[0] == 'y';
	if (n < 0 && n != -ENODATA && n != -ERANGE) {
		RB_ERR(c, path, "cannot read its xattrs: %s", strerror((int)-n));
		return (int)n;
	}
	return 0;
}

/* one entry of a source directory, merged into mdir */
static int rb_entry(struct rb_ctx *c, struct erofs_node *mdir,
		    const char *mpath, const struct rb_dirent *de)
{
	struct erofs_node *have = rb_lookup(c, mdir, de->name, de->len);
	struct erofs_node *node;
	struct erofs_inode in;
	bool opaque;
	char *path;
	int ret;

	/* an upper non-directory, whiteout included, hides this name */
	if (have && (!S_ISDIR(have->mode) ||
		     erofs_htab_set_has(&c->opaque, ptr_key(have))))
		return 0;
	if (asprintf(&path, "%s%s%s", mpath, mpath[1] ? "/" : "",
		     de->name) < 0)
		return -ENOMEM;
	ret = erofs_inode_read(&c->src->img, de->nid, &in);
	if (ret) {
		RB_ERR(c, path, "cannot read its inode (nid %llu): %s",
		       (unsigned long long)de->nid, strerror(-ret));
		goto out;
	}
	if (have) {
		/* below an upper directory: only a directory merges */
		if (!S_ISDIR(in.mode)) {
			ret = erofs_htab_set_add(&c->opaque, ptr_key(have));
			goto out;
		}
		ret = rb_meta_opaque(c, &in, path, &opaque);
		if (!ret && opaque)
			ret = erofs_htab_set_add(&c->opaque, ptr_key(have));
		if (!ret)
			ret = rb_dir(c, &in, have, path);
		goto out;
	}
	/* a hard link inside this source */
	if (!S_ISDIR(in.mode) && in.nlink > 1 &&
	    (node = rb_link_find(c->src, de->nid))) {
		ret = erofs_dindex_add(&c->dindex, mdir, de->name, de->len,
				       node);
		goto out;
	}
	ret = rb_new(c, &in, path, &node, &opaque);
	if (ret)
		goto out;
	ret = erofs_dindex_add(&c->dindex, mdir, de->name, de->len, node);
	erofs_node_put(node);	/* the dentry holds the tree's reference */
	if (!ret && !S_ISDIR(in.mode) && in.nlink > 1)
		ret = rb_link_add(c->src, de->nid, node);
	if (!ret && S_ISDIR(in.mode)) {
		if (opaque)
			ret = erofs_htab_set_add(&c->opaque, ptr_key(node));
		if (!ret)
			ret = rb_dir(c, &in, node, path);
	}
out:
	free(path);
	return ret;
}

static int rb_dir(struct rb_ctx *c, struct erofs_inode *dir,
		  struct erofs_node *mdir, const char *mpath)
{
	struct rb_list l = { 0 };
	size_t i;
	int ret;

	ret = erofs_dir_iterate(dir, rb_list_cb, &l);
	if (l.ret)
		ret = l.ret;
	if (ret)
		RB_ERR(c, mpath, "cannot read the directory: %s",
		       strerror(-ret));
	for (i = 0; !ret && i < l.nr; i++)
		ret = rb_entry(c, mdir, mpath, &l.v[i]);
	for (i = 0; i < l.nr; i++)
		free(l.v[i].name);
	free(l.v);
	return ret;
}

/* --ovlfs-strip: whiteouts leave the tree once everything is merged */
static int rb_strip(struct erofs_node *dir)
{
	size_t i, k = 0;
	int ret;

	for (i = 0; i < dir->nr_dentries; i++) {
		struct erofs_dentry *d = &dir->dentries[i];

		if (node_whiteout(d->inode)) {
			free(d->name);
			erofs_node_put(d->inode);
			continue;
		}
		if (S_ISDIR(d->inode->mode) && d->inode->parent == dir &&
		    (ret = rb_strip(d->inode)))
			return ret;
		dir->dentries[k++] = *d;
	}
	dir->nr_dentries = k;
	return 0;
}

static int rb_open(struct rb_ctx *c, struct rb_src *s)
{
	int ret = erofs_io_open_file(&s->io, s->path, O_RDONLY);

	if (ret) {
		erofs_err(c->log, "cannot open %s: %s", s->path, strerror(-ret));
		return ret;
	}
	s->io_open = true;
	ret = erofs_image_open(&s->img, &s->io, (struct erofs_log *)c->log, 0);
	if (ret) {
		/* a file given as SOURCE by mistake ends up here too */
		erofs_err(c->log, "%s: not a directory, nor a usable EROFS image to merge: %s",
			  s->path, strerror(-ret));
		return ret;
	}
	s->img_open = true;
	if (s->img.extra_devices > 1) {
		erofs_err(c->log, "%s: %u extra devices; a source may have at most one (a tar-index layer's tar)",
			  s->path, s->img.extra_devices);
		return -EOPNOTSUPP;
	}
	s->ishare_id = erofs_ishare_prefix_id(&s->img);
	if (s->ishare_id >= 0 && !(s->ishare_key = erofs_ishare_key_name(&s->img)))
		return -ENOMEM;
	return 0;
}

/* the new image's device for source s: the source, or its tar */
static int rb_device(struct rb_ctx *c, struct rb_src *s,
		     struct erofs_mkfs_device *d)
{
	const struct erofs_image *img = &s->img;
	uint64_t blocks = img->extra_devices ? img->devices[0].blocks :
					       img->blocks;
	const uint8_t *u = img->sb.uuid;
	unsigned int i;

	if (img->blkszbits < c->bits) {
		erofs_err(c->log, "%s: %u-byte blocks, smaller than the new image's %u: its data cannot be addressed",
			  s->path, img->blksz, 1U << c->bits);
		return -EINVAL;
	}
	memset(d, 0, sizeof(*d));
	d->blocks = blocks << (img->blkszbits - c->bits);
	if (img->extra_devices && img->devices[0].tag[0]) {
		memcpy(d->tag, img->devices[0].tag, sizeof(d->tag));
	} else {
		/* as erofs-utils: the source's UUID in hex */
		for (i = 0; i < 16; i++)
			snprintf((char *)d->tag + 2 * i, 3, "%02x", u[i]);
	}
	return 0;
}

int erofs_import_images(const struct erofs_import_params *p,
			const char *const *paths, size_t nr,
			enum erofs_rebuild_data mode, bool ovlfs_strip,
			unsigned int blkszbits, struct erofs_node **rootp,
			struct erofs_rebuild *out)
{
	struct rb_ctx c = { .p = p, .log = p->log, .mode = mode,
			    .strip = ovlfs_strip, .out = out };
	struct rb_src *src = calloc(nr ? nr : 1, sizeof(*src));
	struct erofs_node *root = NULL;
	struct erofs_inode rin;
	size_t i;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	*rootp = NULL;
	c.buf = malloc(RB_BUF);
	if (!src || !c.buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr && !ret; i++) {
		src[i].path = paths[i];
		src[i].dev = (unsigned int)i + 1;
		src[i].ishare_id = -1;
		c.src = &src[i];
		ret = rb_open(&c, &src[i]);
	}
	if (ret)
		goto out;
	/* the smallest block size addresses every source's blocks */
	c.bits = blkszbits;
	for (i = 0; !blkszbits && i < nr; i++)
		if (!c.bits || src[i].img.blkszbits < c.bits)
			c.bits = src[i].img.blkszbits;
	out->blkszbits = c.bits;
	if (mode == EROFS_REBUILD_BLOB_INDEX) {
		out->devices = calloc(nr, sizeof(*out->devices));
		if (!out->devices) {
			ret = -ENOMEM;
			goto out;
		}
		out->nr_devices = (unsigned int)nr;
		for (i = 0; i < nr && !ret; i++)
			ret = rb_device(&c, &src[i], &out->devices[i]);
		if (ret)
			goto out;
	}
	if (p->digests && !(c.h = erofs_sha256_new())) {
		ret = erofs_sha256_unavailable(p->log, "fingerprints need");
		goto out;
	}
	/* the top layer (the last one named) first */
	for (i = nr; i-- > 0 && !ret;) {
		bool opaque;

		c.src = &src[i];
		if (!out->ishare_key && src[i].ishare_key) {
			out->ishare_key = strdup(src[i].ishare_key);
			if (!out->ishare_key) {
				ret = -ENOMEM;
				break;
			}
		}
		ret = erofs_inode_read(&src[i].img, src[i].img.root_nid, &rin);
		if (ret) {
			RB_ERR(&c, "/", "cannot read the root inode: %s",
			       strerror(-ret));
			break;
		}
		if (!S_ISDIR(rin.mode)) {
			RB_ERR(&c, "/", "the root is not a directory");
			ret = -ENOTDIR;
			break;
		}
		if (!root) {	/* the top layer's root is the new root */
			root = erofs_node_new(S_IFDIR);
			if (!root || !(root->path = strdup("/"))) {
				ret = -ENOMEM;
				break;
			}
			ret = rb_meta(&c, &rin, root, "/", &opaque);
			if (!ret && opaque)
				ret = erofs_htab_set_add(&c.opaque,
							 ptr_key(root));
		} else if (!erofs_htab_set_has(&c.opaque, ptr_key(root))) {
			ret = rb_meta_opaque(&c, &rin, "/", &opaque);
			if (!ret && opaque)
				ret = erofs_htab_set_add(&c.opaque,
							 ptr_key(root));
		} else {
			continue;
		}
		if (!ret)
			ret = rb_dir(&c, &rin, root, "/");
	}
	if (!ret && ovlfs_strip)
		ret = rb_strip(root);
	if (!ret) {
		ret = erofs_tree_finalize(root);
		if (ret)
			erofs_err(p->log, "cannot finalize the merged tree: %s",
				  strerror(-ret));
	}
	if (!ret && c.copied)
		erofs_info(p->log, "%llu file(s) copied: their data could not be pointed at (inline tails, compressed, or inside a tar-index image)",
			   (unsigned long long)c.copied);
out:
	for (i = 0; src && i < nr; i++) {
		if (src[i].img_open)
			erofs_image_release(&src[i].img);
		if (src[i].io_open)
			erofs_io_close(&src[i].io);
		free(src[i].ishare_key);
		free(src[i].link);
		erofs_htab_release(&src[i].links);
	}
	free(src);
	free(c.buf);
	erofs_sha256_free(c.h);
	erofs_htab_release(&c.opaque);
	erofs_dindex_release(&c.dindex);
	if (ret) {
		if (ret == -ENOMEM)
			erofs_err(p->log, "out of memory merging the images");
		erofs_node_put(root);
		erofs_rebuild_release(out);
		return ret;
	}
	*rootp = root;
	return 0;
}

void erofs_rebuild_release(struct erofs_rebuild *r)
{
	free(r->devices);
	free(r->ishare_key);
	erofs_spool_close(r->spool);
	memset(r, 0, sizeof(*r));
}
