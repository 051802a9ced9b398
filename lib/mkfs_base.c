// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * mkfs_base.c - mkfs --incremental: reading the image being extended,
 * fitting the build's options to it and merging its tree under the new
 * source's (erofs/mkfs_base.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "erofs/array.h"
#include "erofs/htab.h"
#include "erofs/mkfs_base.h"
#include "erofs/xattr.h"

#define OVL_OPAQUE	"trusted.overlay.opaque"
#define OVL_ORIGIN	"trusted.overlay.origin"

static const uint32_t ft_mode[] = {
	[EROFS_FT_REG_FILE] = S_IFREG, [EROFS_FT_DIR] = S_IFDIR,
	[EROFS_FT_CHRDEV] = S_IFCHR, [EROFS_FT_BLKDEV] = S_IFBLK,
	[EROFS_FT_FIFO] = S_IFIFO, [EROFS_FT_SOCK] = S_IFSOCK,
	[EROFS_FT_SYMLINK] = S_IFLNK,
};

int erofs_mkfs_base_open(struct erofs_mkfs_base_ctx *b, struct erofs_io *io,
			 struct erofs_log *log)
{
	struct erofs_mkfs_base *in = &b->info;
	struct erofs_image *img = &b->img;
	struct erofs_inode root;
	struct stat st;
	uint64_t size;
	unsigned int i;
	int ret;

	memset(b, 0, sizeof(*b));
	b->log = log;
	ret = erofs_image_open(img, io, log, 0);
	if (ret) {
		erofs_err(log, "--incremental: the image cannot be extended: %s",
			  ret == -EFSCORRUPTED || ret == -EINVAL ?
			  "it is not a valid EROFS image" : strerror(-ret));
		return -EINVAL;
	}
	b->open = true;
	if (img->feature_incompat & EROFS_FEATURE_INCOMPAT_METABOX) {
		erofs_err(log, "--incremental: images with a metadata box (-m) cannot be extended");
		return -EINVAL;
	}
	ret = erofs_inode_read(img, img->root_nid, &root);
	if (ret || !S_ISDIR(root.mode)) {
		erofs_err(log, "--incremental: the image's root cannot be read");
		return -EINVAL;
	}
	ret = erofs_io_size(io, &size);
	if (ret)
		return ret;
	/*
	 * New blocks go after what lies past the superblock's end too (a
	 * tar appended, say); on a block device, after the image itself
	 * (the device's size is no image's end).
	 */
	if ((io->fd >= 0 && !fstat(io->fd, &st) && S_ISBLK(st.st_mode)) ||
	    size < img->blocks << img->blkszbits)
		size = img->blocks << img->blkszbits;
	/* a device mapped right after the image owns those addresses */
	for (i = 0; i < img->extra_devices; i++) {
		const struct erofs_device_info *d = &img->devices[i];

		if (d->uniaddr &&
		    (d->uniaddr + d->blocks) << img->blkszbits > size) {
			erofs_err(log, "--incremental: the image maps device %u at block %llu, right after itself (--blobdev, --tar=i): new blocks would land in it",
				  i + 1, (unsigned long long)d->uniaddr);
			return -EINVAL;
		}
	}
	in->end = EROFS_ROUND_UP(size, (uint64_t)img->blksz);
	in->sb = img->sb;
	in->meta_base = (uint64_t)img->meta_blkaddr << img->blkszbits;
	in->root_pos = root.iloc;
	in->root_room = root.inode_isize + root.xattr_isize;
	if (root.datalayout == EROFS_INODE_FLAT_INLINE)
		in->root_room += (unsigned int)(root.size % img->blksz);
	in->epoch = (int64_t)img->epoch;
	in->b48 = img->feature_incompat & EROFS_FEATURE_INCOMPAT_48BIT;
	in->inos = img->inos;
	in->ishare_id = img->feature_compat & EROFS_FEATURE_COMPAT_ISHARE_XATTRS ?
			(int)img->ishare_prefix_id : -1;
	in->pfx = img->prefixes;
	in->nr_pfx = img->xattr_prefix_count;
	if (img->feature_incompat & EROFS_FEATURE_INCOMPAT_COMPR_CFGS) {
		uint64_t start = EROFS_SUPER_OFFSET + img->sb_size;

		in->algs = img->available_compr_algs;
		in->cfg_len = (unsigned int)(img->cfg_end - start);
		if (in->cfg_len > sizeof(in->cfg_rec))
			return -EINVAL;
		ret = erofs_io_pread(io, in->cfg_rec, in->cfg_len, start);
		if (ret)
			return ret;
	}
	return 0;
}

int erofs_mkfs_base_apply(struct erofs_mkfs_base_ctx *b,
			  struct erofs_mkfs_params *p, bool has_b)
{
	const struct erofs_image *img = &b->img;

	if (has_b && p->blkszbits != img->blkszbits) {
		erofs_err(b->log, "--incremental: the image has %u-byte blocks, -b says %u",
			  img->blksz, 1U << p->blkszbits);
		return -EINVAL;
	}
	p->blkszbits = img->blkszbits;
	if ((p->b48 || p->dot_omitted) && !b->info.b48) {
		erofs_err(b->log, "--incremental: -E %s needs the 48-bit layout, which the image does not have",
			  p->dot_omitted ? "dot-omitted" : "48bit");
		return -EINVAL;
	}
	p->b48 = b->info.b48;
	if (p->fragments || p->all_fragments || p->compress_dirs) {
		erofs_err(b->log, "--incremental: %s would need a new packed inode; an existing image keeps its own",
			  p->compress_dirs ? "--zD" : "-E fragments");
		return -EINVAL;
	}
	if (p->metabox_pcluster) {
		erofs_err(b->log, "--incremental: -m would move every inode into a metabox; an existing image keeps its inodes where they are");
		return -EINVAL;
	}
	if (p->blob || p->nr_devices || p->stream) {
		erofs_err(b->log, "--incremental: the image's device table cannot change (--blobdev, --tar=i and merging images are not for it)");
		return -EINVAL;
	}
	/*
	 * Compact inodes of the kept part read their mtime from the epoch
	 * (or, without 48BIT, are the build time): both stay.
	 */
	p->build_time = b->info.b48 ? (int64_t)img->epoch +
			erofs_le32(img->sb.build_time) : (int64_t)img->epoch;
	p->build_time_nsec = img->fixed_nsec;
	memcpy(p->volume_label, img->sb.volume_name,
	       EROFS_MIN(sizeof(p->volume_label), sizeof(img->sb.volume_name)));
	p->volume_label[sizeof(p->volume_label) - 1] = '\0';
	/* shared xattrs' ids are the old table's: new ones stay inline */
	p->xattr_share_threshold = -1;
	/* one bit says whether every inode's filter is honoured */
	p->xattr_filter = img->feature_compat & EROFS_FEATURE_COMPAT_XATTR_FILTER;
	p->base = &b->info;
	return 0;
}

/* ---- the merge -------------------------------------------------------------- */

struct base_ent {
	char *name;
	unsigned int len, ftype;
	erofs_nid_t nid;
};

struct base_list {
	struct base_ent *v;
	size_t n, cap;
	int ret;
};

static int base_list_cb(void *priv, const struct erofs_dir_entry *ent)
{
	struct base_list *l = priv;
	struct base_ent *e;

	if ((ent->name_len == 1 && ent->name[0] == '.') ||
	    (ent->name_len == 2 && !memcmp(ent->name, "..", 2)))
		return 0;
	if (erofs_array_reserve(&l->v, &l->cap, l->n + 1)) {
		l->ret = -ENOMEM;
		return 1;
	}
	e = &l->v[l->n];
	e->name = malloc(ent->name_len + 1);
	if (!e->name) {
		l->ret = -ENOMEM;
		return 1;
	}
	memcpy(e->name, ent->name, ent->name_len);
	e->name[ent->name_len] = '\0';
	e->len = ent->name_len;
	e->ftype = ent->file_type;
	e->nid = ent->nid;
	l->n++;
	return 0;
}

struct base_dotdot {
	uint64_t block;
	unsigned int index;
	bool found;
};

static int base_dotdot_cb(void *priv, const struct erofs_dir_entry *ent)
{
	struct base_dotdot *d = priv;

	if (ent->name_len != 2 || memcmp(ent->name, "..", 2))
		return 0;
	d->block = ent->block;
	d->index = ent->index;
	d->found = true;
	return 1;
}

/* where the nid of the kept directory's ".." is, to point it elsewhere */
static int base_dotdot_pos(struct erofs_mkfs_base_ctx *b, erofs_nid_t nid,
			   const char *path, uint64_t *pos)
{
	struct base_dotdot d = { 0 };
	struct erofs_inode dir;
	struct erofs_map map = { 0 };
	uint64_t off;
	int ret;

	ret = erofs_inode_read(&b->img, nid, &dir);
	if (!ret)
		ret = erofs_dir_iterate(&dir, base_dotdot_cb, &d);
	if (ret < 0) {
		erofs_err(b->log, "--incremental: %s (nid %llu) cannot be read: %s",
			  path, (unsigned long long)nid, strerror(-ret));
		return ret;
	}
	if (!d.found) {
		erofs_err(b->log, "--incremental: %s (nid %llu) has no \"..\" entry",
			  path, (unsigned long long)nid);
		return -EINVAL;
	}
	off = d.block * b->img.blksz + d.index * sizeof(struct erofs_dirent);
	map.la = off;
	ret = erofs_map_blocks(&dir, &map);
	if (ret == -EOPNOTSUPP || (!ret && (map.kind == EROFS_MAP_COMPRESSED ||
					    map.device || map.in_metabox))) {
		erofs_err(b->log, "--incremental: %s is a compressed directory (--zD), whose \"..\" cannot be changed in place: it cannot be kept",
			  path);
		return -EOPNOTSUPP;
	}
	if (ret || map.kind == EROFS_MAP_HOLE) {
		erofs_err(b->log, "--incremental: %s (nid %llu): its \"..\" cannot be located",
			  path, (unsigned long long)nid);
		return ret ? ret : -EINVAL;
	}
	*pos = map.pa + (off - map.la);
	return 0;
}

static bool base_is_whiteout(const struct erofs_node *n)
{
	return S_ISCHR(n->mode) && !n->rdev && !n->kept;
}

static bool base_opaque(const struct erofs_node *n)
{
	size_t i;

	for (i = 0; i < n->nr_xattrs; i++)
		if (!strcmp(n->xattrs[i].name, OVL_OPAQUE))
			return n->xattrs[i].value_len == 1 &&
			       *(const char *)n->xattrs[i].value == 'y';
	return false;
}

/* the source's entry of that name: its first n dentries are sorted
   (erofs_tree_finalize: bytes, then the shorter first) */
static struct erofs_node *base_find(struct erofs_node *dir, size_t n,
				    const char *name, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct erofs_dentry *d = &dir->dentries[mid];
		int r = memcmp(d->name, name, EROFS_MIN(d->name_len, len));

		if (!r)
			r = d->name_len < len ? -1 : d->name_len > len;
		if (!r)
			return d->inode;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static char *base_path(const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);
	char *p = malloc(dl + nl + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, dl);
	if (!dl || dir[dl - 1] != '/')
		p[dl++] = '/';
	memcpy(p + dl, name, nl + 1);
	return p;
}

static int base_merge_dir(struct erofs_mkfs_base_ctx *b,
			  struct erofs_node *ndir, erofs_nid_t onid,
			  const char *path, bool strip, unsigned int depth);

/* one old entry of a merged directory */
static int base_entry(struct erofs_mkfs_base_ctx *b, struct erofs_node *ndir,
		      size_t nsrc, const struct base_ent *e, const char *dpath,
		      bool strip, unsigned int depth)
{
	struct erofs_node *have = base_find(ndir, nsrc, e->name, e->len);
	struct erofs_node *k;
	struct erofs_inode in;
	char *path = base_path(dpath, e->name);
	int ret = 0;

	if (!path)
		return -ENOMEM;
	if (have) {
		/* the source's name wins; two directories merge */
		if (S_ISDIR(have->mode) && e->ftype == EROFS_FT_DIR &&
		    !base_opaque(have))
			ret = base_merge_dir(b, have, e->nid, path, strip,
					     depth + 1);
		goto out;
	}
	if (e->ftype >= EROFS_ARRAY_SIZE(ft_mode) || !ft_mode[e->ftype]) {
		erofs_err(b->log, "--incremental: %s has file type %u in its directory, which a kept entry needs",
			  path, e->ftype);
		ret = -EINVAL;
		goto out;
	}
	/* an old whiteout goes with the source's (--ovlfs-strip) */
	if (strip && e->ftype == EROFS_FT_CHRDEV) {
		ret = erofs_inode_read(&b->img, e->nid, &in);
		if (ret) {
			erofs_err(b->log, "--incremental: %s (nid %llu) cannot be read: %s",
				  path, (unsigned long long)e->nid, strerror(-ret));
			goto out;
		}
		if (!in.rdev)
			goto out;
	}
	k = erofs_node_new(ft_mode[e->ftype]);
	if (!k) {
		ret = -ENOMEM;
		goto out;
	}
	k->kept = true;
	k->base_nid = e->nid;
	k->path = path;
	path = NULL;
	if (e->ftype == EROFS_FT_DIR)
		ret = base_dotdot_pos(b, e->nid, k->path, &k->base_dotdot);
	if (!ret)
		ret = erofs_tree_add(ndir, e->name, e->len, k);
	erofs_node_put(k);
	if (!ret)
		b->kept++;
out:
	free(path);
	return ret;
}

static int base_merge_dir(struct erofs_mkfs_base_ctx *b,
			  struct erofs_node *ndir, erofs_nid_t onid,
			  const char *path, bool strip, unsigned int depth)
{
	struct base_list l = { 0 };
	struct erofs_inode odir;
	size_t i, nsrc = ndir->nr_dentries;
	int ret;

	if (depth > 4096) {
		erofs_err(b->log, "--incremental: %s: directories nested too deep", path);
		return -ELOOP;
	}
	ret = erofs_inode_read(&b->img, onid, &odir);
	if (!ret && !S_ISDIR(odir.mode))
		return 0;
	if (!ret)
		ret = erofs_dir_iterate(&odir, base_list_cb, &l);
	if (!ret)
		ret = l.ret;
	if (ret < 0)
		erofs_err(b->log, "--incremental: %s (nid %llu) cannot be read: %s",
			  path, (unsigned long long)onid, strerror(-ret));
	/* the new names are the source's: look them up before adding */
	for (i = 0; ret >= 0 && i < l.n; i++)
		ret = base_entry(b, ndir, nsrc, &l.v[i], path, strip, depth);
	for (i = 0; i < l.n; i++)
		free(l.v[i].name);
	free(l.v);
	return ret < 0 ? ret : 0;
}

/*
 * --ovlfs-strip: the source's whiteouts go, with the opaque marks and the
 * empty origin xattrs (--aufs adds them for overlayfs's sake), as when
 * merging images
 */
static int base_strip(struct erofs_node *dir, unsigned int depth)
{
	size_t i, k = 0;
	int ret = 0;

	if (depth > 4096)
		return -ELOOP;
	erofs_node_del_xattr(dir, OVL_OPAQUE);
	for (i = 0; i < dir->nr_xattrs; i++)
		if (!dir->xattrs[i].value_len &&
		    !strcmp(dir->xattrs[i].name, OVL_ORIGIN)) {
			erofs_node_del_xattr(dir, OVL_ORIGIN);
			break;
		}
	for (i = 0; i < dir->nr_dentries; i++) {
		struct erofs_dentry *d = &dir->dentries[i];

		if (base_is_whiteout(d->inode)) {
			free(d->name);
			erofs_node_put(d->inode);
			continue;
		}
		if (S_ISDIR(d->inode->mode) && !d->inode->kept && !ret)
			ret = base_strip(d->inode, depth + 1);
		dir->dentries[k++] = *d;
	}
	dir->nr_dentries = k;
	return ret;
}

/* ---- the superblock's inode count ------------------------------------------ */

struct base_count {
	struct erofs_mkfs_base_ctx *b;
	struct erofs_htab seen;		/* nids counted */
	uint64_t n;
	unsigned int depth;
	int ret;
};

static int base_count_nid(struct base_count *c, erofs_nid_t nid, bool dir);

static int base_count_cb(void *priv, const struct erofs_dir_entry *ent)
{
	struct base_count *c = priv;

	if ((ent->name_len == 1 && ent->name[0] == '.') ||
	    (ent->name_len == 2 && !memcmp(ent->name, "..", 2)))
		return 0;
	c->ret = base_count_nid(c, ent->nid, ent->file_type == EROFS_FT_DIR);
	return c->ret ? 1 : 0;
}

/* count nid once, and below it if it is a directory */
static int base_count_nid(struct base_count *c, erofs_nid_t nid, bool dir)
{
	struct erofs_inode in;
	int ret = erofs_htab_set_add(&c->seen, nid);

	if (ret)
		return ret < 0 ? ret : 0;	/* 1: counted already */
	c->n++;
	if (!dir)
		return 0;
	if (c->depth > 4096)
		return -ELOOP;
	ret = erofs_inode_read(&c->b->img, nid, &in);
	if (ret)
		return ret;
	c->depth++;
	ret = erofs_dir_iterate(&in, base_count_cb, c);
	c->depth--;
	return ret < 0 ? ret : c->ret;
}

static int base_count_tree(struct base_count *c, const struct erofs_node *dir,
			   unsigned int depth)
{
	size_t i;
	int ret = 0;

	if (depth > 4096)
		return -ELOOP;
	for (i = 0; i < dir->nr_dentries && !ret; i++) {
		const struct erofs_node *n = dir->dentries[i].inode;

		if (n->kept)
			ret = base_count_nid(c, n->base_nid, S_ISDIR(n->mode));
		else if (S_ISDIR(n->mode))
			ret = base_count_tree(c, n, depth + 1);
	}
	return ret;
}

/*
 * How many old inodes the result still reaches, so that the superblock
 * counts exactly what a reader finds (fsck's W_SB_INOS): every kept
 * inode and all under a kept directory, once each, and the packed inode.
 * This reads the kept directories, metadata only.
 */
static int base_count_kept(struct erofs_mkfs_base_ctx *b,
			   const struct erofs_node *root)
{
	struct base_count c = { .b = b };
	int ret = base_count_tree(&c, root, 0);

	erofs_htab_release(&c.seen);
	if (ret) {
		erofs_err(b->log, "--incremental: cannot count the image's kept inodes: %s",
			  strerror(-ret));
		return ret;
	}
	b->info.kept_inos = c.n + !!b->img.packed_nid;
	return 0;
}

int erofs_mkfs_base_merge(struct erofs_mkfs_base_ctx *b,
			  struct erofs_node *root, bool ovlfs_strip,
			  struct erofs_mkfs_params *p, bool keep_uuid)
{
	int ret = 0;

	if (keep_uuid)
		memcpy(p->uuid, b->img.sb.uuid, sizeof(p->uuid));
	if (!base_opaque(root))
		ret = base_merge_dir(b, root, b->img.root_nid, "/",
				     ovlfs_strip, 0);
	if (!ret && ovlfs_strip)
		ret = base_strip(root, 0);
	if (!ret) {
		ret = erofs_tree_finalize(root);
		if (ret)
			erofs_err(b->log, "--incremental: cannot finalize the merged tree: %s",
				  strerror(-ret));
	}
	if (!ret)
		ret = base_count_kept(b, root);
	return ret;
}

int erofs_mkfs_base_start(struct erofs_mkfs_base_ctx *b,
			  struct erofs_mkfs_output *out,
			  struct erofs_mkfs_params *p, bool has_b,
			  struct erofs_log *log)
{
	int ret;

	out->extend = true;
	ret = erofs_mkfs_output_open(out);
	if (!ret)
		ret = erofs_mkfs_base_open(b, &out->io, log);
	if (!ret)
		ret = erofs_mkfs_base_apply(b, p, has_b);
	return ret;
}

void erofs_mkfs_base_close(struct erofs_mkfs_base_ctx *b)
{
	b->info.pfx = NULL;
	b->info.nr_pfx = 0;
	if (b->open)
		erofs_image_release(&b->img);
	b->open = false;
}
