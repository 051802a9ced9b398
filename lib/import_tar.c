// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * import_tar.c - build an erofs_node tree from a tar stream through
 * libarchive (see erofs/import.h).
 *
 * Entries are applied in archive order, the way "tar -x" would apply them
 * to an empty directory: a later entry for a path replaces the earlier one
 * (a directory over a directory only updates its metadata), hard links
 * name whatever the target path holds at that moment.  Regular file data
 * goes to one spool file as it streams by, or with --sort=none straight
 * into the image (erofs/stream.h), so the archive is read exactly once
 * and may be a pipe.  In the index modes (--tar=i, --tar=headerball) the
 * data is not copied at all: files point into the archive (pieces), or
 * are holes.
 *
 * Lookups by (directory, name) go through one hash table holding dentry
 * indexes (dentry arrays are only appended to, so indexes stay valid).  A
 * directory that a later entry replaces is parked in a "graveyard" until
 * the end instead of being freed, so that no other node takes its address
 * while the table holds entries hashed from it.
 */
#include "config.h"
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "erofs/array.h"
#include "erofs/htab.h"
#include "erofs/import.h"
#include "erofs/ishare.h"
#include "erofs/spool.h"
#include "import_internal.h"
#include "selabel.h"
#ifdef HAVE_LIBARCHIVE
#include <archive.h>
#include <archive_entry.h>
#endif

#define TAR_PROGRESS_EVERY	256
#define TAR_BLOCK		512	/* tar's record unit */
#define AUFS_WH_PREFIX		".wh."
#define AUFS_WH_OPAQUE		".wh..wh..opq"

#ifndef HAVE_LIBARCHIVE
int erofs_import_tar(const struct erofs_import_params *p, const char *path,
		     struct erofs_node **rootp, struct erofs_spool **spoolp)
{
	(void)path;
	*rootp = NULL;
	*spoolp = NULL;
	erofs_err(p->log, "tar input needs libarchive, which this build lacks");
	return -EOPNOTSUPP;
}

int erofs_import_tar_index(const struct erofs_import_params *p,
			   const char *path, bool headerball,
			   struct erofs_node **rootp, uint64_t *tar_bytes)
{
	struct erofs_spool *spool;

	(void)headerball;
	*tar_bytes = 0;
	return erofs_import_tar(p, path, rootp, &spool);
}

int erofs_import_tar_reserve(const struct erofs_import_params *p,
			     const char *path, struct erofs_node **rootp)
{
	struct erofs_spool *spool;

	return erofs_import_tar(p, path, rootp, &spool);
}
#else

enum tar_mode { TAR_COPY, TAR_INDEX, TAR_HEADERBALL, TAR_RESERVE };

struct tar_ctx {
	const struct erofs_import_params *p;
	const struct erofs_log *log;
	const char *name;		/* the archive, for messages */
	struct archive *a;
	int fd;				/* the archive file, -1 for stdin */
	struct erofs_spool *spool;
	struct erofs_node *root;
	struct erofs_import_filter filter;
	struct erofs_dindex dindex;	/* names already in the tree */
	struct erofs_node **grave;
	size_t nr_grave, cap_grave;
	/*
	 * Excluded non-directories, kept out of the tree but alive: a later
	 * hard link entry outside the excluded part still needs their data,
	 * which tar stores only with the first name.
	 */
	struct tar_ghost { char *rel; struct erofs_node *node; } *ghosts;
	size_t nr_ghosts, cap_ghosts;
	const char *entry;		/* raw name of the current entry */
	uint64_t done;
	/* index modes (erofs_import_tar_index, _reserve) */
	enum tar_mode mode;
	struct erofs_sha256 *h;		/* p->digests: each file's SHA-256 */
	uint8_t hb_block[TAR_BLOCK];	/* headerball: the block handed out */
};

#define TAR_ERR(c, fmt, ...) \
	erofs_err((c)->log, "%s: %s: " fmt, (c)->name, (c)->entry, ##__VA_ARGS__)

static struct erofs_dentry *tar_lookup(struct tar_ctx *c,
				       struct erofs_node *dir,
				       const char *name, size_t len)
{
	return erofs_dindex_find(&c->dindex, dir, name, len);
}

/* callers have checked that name is not in dir yet */
static int tar_link(struct tar_ctx *c, struct erofs_node *dir,
		    const char *name, size_t len, struct erofs_node *child)
{
	return erofs_dindex_add(&c->dindex, dir, name, len, child);
}

/* point an existing dentry at another node; old directories are parked */
static int tar_relink(struct tar_ctx *c, struct erofs_dentry *d,
		      struct erofs_node *dir, struct erofs_node *child)
{
	struct erofs_node *old = d->inode;

	if (old == child)
		return 0;
	if (S_ISDIR(old->mode)) {
		int ret = erofs_array_reserve(&c->grave, &c->cap_grave,
					      c->nr_grave + 1);

		if (ret)
			return ret;
		c->grave[c->nr_grave++] = old;	/* keeps the reference */
	} else {
		erofs_node_put(old);
	}
	d->inode = child;
	child->refcount++;
	if (S_ISDIR(child->mode))
		child->parent = dir;
	return 0;
}

/*
 * "./a//b/" -> "a/b"; "" for the root.  -EPERM for a ".." component,
 * -ENAMETOOLONG for a component over 255 bytes (both logged).
 */
static int tar_normalize(struct tar_ctx *c, const char *in, char **out)
{
	size_t n = strlen(in), o = 0;
	char *s = malloc(n + 1);
	const char *p = in;

	if (!s)
		return -ENOMEM;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if ((len == 1 && p[0] == '.') || !len) {
			/* nothing */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			TAR_ERR(c, "refusing a path with a \"..\" component");
			free(s);
			return -EPERM;
		} else if (len > 255) {
			TAR_ERR(c, "a name in this path is longer than 255 bytes");
			free(s);
			return -ENAMETOOLONG;
		} else {
			if (o)
				s[o++] = '/';
			memcpy(s + o, p, len);
			o += len;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	s[o] = '\0';
	*out = s;
	return 0;
}

static bool tar_excluded(struct tar_ctx *c, char *rel)
{
	char *p;
	bool ex;

	if (!c->filter.nr_excludes && !c->filter.nr_regs)
		return false;
	/* a path is left out with any directory above it */
	for (p = strchr(rel, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		ex = erofs_import_filter_match(&c->filter, rel);
		*p = '/';
		if (ex)
			return true;
	}
	return erofs_import_filter_match(&c->filter, rel);
}

static char *image_path(const char *rel, size_t len)
{
	char *s = malloc(len + 2);

	if (s) {
		s[0] = '/';
		memcpy(s + 1, rel, len);
		s[len + 1] = '\0';
	}
	return s;
}

/* a parent directory the archive never listed (before its children) */
static int tar_mkdir_implicit(struct tar_ctx *c, struct erofs_node *dir,
			      const char *rel, size_t rel_len,
			      const char *name, size_t len,
			      struct erofs_node **out)
{
	struct erofs_node *node;
	int ret;

	node = erofs_node_new(S_IFDIR | 0755 |
			      (dir->mode & (S_IWGRP | S_IWOTH)));
	if (!node)
		return -ENOMEM;
	node->uid = dir->uid;
	node->gid = dir->gid;
	node->mtime = dir->mtime;
	node->mtime_nsec = dir->mtime_nsec;
	node->path = image_path(rel, rel_len);
	ret = node->path ? tar_link(c, dir, name, len, node) : -ENOMEM;
	erofs_node_put(node);
	if (!ret)
		*out = node;
	return ret;
}

/*
 * Walk rel (normalized, not empty) to the directory holding its last
 * component; with create, missing directories are made.  *last points
 * into rel.
 */
static int tar_walk(struct tar_ctx *c, const char *rel, bool create,
		    struct erofs_node **dirp, const char **last)
{
	struct erofs_node *dir = c->root;
	const char *p = rel, *e;
	int ret;

	while ((e = strchr(p, '/'))) {
		size_t len = (size_t)(e - p);
		struct erofs_dentry *d = tar_lookup(c, dir, p, len);

		if (d && !S_ISDIR(d->inode->mode)) {
			TAR_ERR(c, "/%.*s is not a directory",
				(int)(e - rel), rel);
			return -ENOTDIR;
		}
		if (d) {
			dir = d->inode;
		} else if (!create) {
			return -ENOENT;
		} else {
			ret = tar_mkdir_implicit(c, dir, rel, (size_t)(e - rel),
						 p, len, &dir);
			if (ret)
				return ret;
		}
		p = e + 1;
	}
	*dirp = dir;
	*last = p;
	return 0;
}

/* kernel POSIX ACL xattr format (erofs-format.md; linux posix_acl_xattr.h) */
#define ACL_XATTR_VERSION	2
enum { ACL_T_USER_OBJ = 1, ACL_T_USER = 2, ACL_T_GROUP_OBJ = 4,
       ACL_T_GROUP = 8, ACL_T_MASK = 0x10, ACL_T_OTHER = 0x20 };

struct acl_ent {
	uint16_t tag, perm;
	uint32_t id;
};

static int acl_ent_cmp(const void *a, const void *b)
{
	const struct acl_ent *x = a, *y = b;

	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

/* libarchive's parsed POSIX.1e ACL of one type -> system.posix_acl_* */
static int tar_acl_xattr(struct tar_ctx *c, struct erofs_node *node,
			 struct archive_entry *e, int type, const char *xname)
{
	struct acl_ent *v;
	uint8_t *buf;
	size_t n = 0, i, k;
	int cnt, t, perm, tag, id, ret;
	const char *nm;

	cnt = archive_entry_acl_reset(e, type);
	if (cnt <= 0)
		return 0;
	v = calloc((size_t)cnt, sizeof(*v));
	if (!v)
		return -ENOMEM;
	while (n < (size_t)cnt &&
	       archive_entry_acl_next(e, type, &t, &perm, &tag, &id, &nm) ==
	       ARCHIVE_OK) {
		struct acl_ent *a = &v[n];

		switch (tag) {
		case ARCHIVE_ENTRY_ACL_USER_OBJ: a->tag = ACL_T_USER_OBJ; break;
		case ARCHIVE_ENTRY_ACL_USER: a->tag = ACL_T_USER; break;
		case ARCHIVE_ENTRY_ACL_GROUP_OBJ: a->tag = ACL_T_GROUP_OBJ; break;
		case ARCHIVE_ENTRY_ACL_GROUP: a->tag = ACL_T_GROUP; break;
		case ARCHIVE_ENTRY_ACL_MASK: a->tag = ACL_T_MASK; break;
		case ARCHIVE_ENTRY_ACL_OTHER: a->tag = ACL_T_OTHER; break;
		default:
			continue;
		}
		a->perm = (uint16_t)(perm & 7);
		a->id = (a->tag == ACL_T_USER || a->tag == ACL_T_GROUP) ?
			(uint32_t)id : 0xffffffffU;
		n++;
	}
	if (!n) {
		free(v);
		return 0;
	}
	qsort(v, n, sizeof(*v), acl_ent_cmp);
	/* one entry per (tag, id): the later definition wins */
	for (i = 0, k = 0; i < n; i++) {
		if (k && !acl_ent_cmp(&v[k - 1], &v[i]))
			k--;
		v[k++] = v[i];
	}
	buf = malloc(4 + 8 * k);
	if (!buf) {
		free(v);
		return -ENOMEM;
	}
	put_le32(buf, ACL_XATTR_VERSION);
	for (i = 0; i < k; i++) {
		put_le16(buf + 4 + 8 * i, v[i].tag);
		put_le16(buf + 6 + 8 * i, v[i].perm);
		put_le32(buf + 8 + 8 * i, v[i].id);
	}
	ret = erofs_node_set_xattr(node, xname, buf, 4 + 8 * k);
	free(buf);
	free(v);
	return ret;
}

static int tar_xattrs(struct tar_ctx *c, struct erofs_node *node,
		      struct archive_entry *e)
{
	const char *xn;
	const void *val;
	size_t size, suffix_len;
	bool has_acl = false, has_dacl = false;
	int ret;

	while (node->nr_xattrs) {
		ret = erofs_node_del_xattr(node, node->xattrs[0].name);
		if (ret)
			return ret;
	}
	if (!c->p->xattrs)
		return 0;
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &xn, &val, &size) == ARCHIVE_OK) {
		size_t len = strlen(xn);

		if (!len)
			continue;
		if (!erofs_import_xattr_storable(xn, len, &suffix_len)) {
			erofs_dbg(c->log, "%s: %s: skipping xattr %s (no EROFS prefix)",
				  c->name, c->entry, xn);
			continue;
		}
		if (c->p->file_contexts && !strcmp(xn, "security.selinux"))
			continue;
		if (suffix_len > 255) {
			TAR_ERR(c, "xattr name %s is too long (max 255 bytes after the prefix)",
				xn);
			return -ENAMETOOLONG;
		}
		if (size > 65535) {
			TAR_ERR(c, "value of xattr %s is %zu bytes (max 65535)",
				xn, size);
			return -E2BIG;
		}
		has_acl |= !strcmp(xn, "system.posix_acl_access");
		has_dacl |= !strcmp(xn, "system.posix_acl_default");
		ret = erofs_node_set_xattr(node, xn, val, size);
		if (ret)
			return ret;
	}
	/* ACLs archived as ACLs (tar --acls), unless also kept as xattrs */
	ret = 0;
	if (!has_acl)
		ret = tar_acl_xattr(c, node, e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS,
				    "system.posix_acl_access");
	if (!ret && !has_dacl && S_ISDIR(node->mode))
		ret = tar_acl_xattr(c, node, e, ARCHIVE_ENTRY_ACL_TYPE_DEFAULT,
				    "system.posix_acl_default");
	return ret;
}

/* mode, owner, mtime and xattrs of an entry onto node */
static int tar_meta(struct tar_ctx *c, struct erofs_node *node,
		    struct archive_entry *e)
{
	int64_t sec = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : 0;
	long nsec = archive_entry_mtime_is_set(e) ? archive_entry_mtime_nsec(e) : 0;
	int ret;

	node->mode = (node->mode & S_IFMT) | (archive_entry_perm(e) & 07777);
	erofs_import_mtime(c->p, node, sec,
			   nsec >= 0 && nsec < 1000000000 ? (uint32_t)nsec : 0);
	ret = erofs_import_owner(c->p, node, archive_entry_uid(e),
				 archive_entry_gid(e));
	if (ret) {
		TAR_ERR(c, "uid/gid %lld/%lld out of range after offsets",
			(long long)archive_entry_uid(e) + c->p->uid_offset,
			(long long)archive_entry_gid(e) + c->p->gid_offset);
		return ret;
	}
	return tar_xattrs(c, node, e);
}

/*
 * The entry's next data block (a sparse entry's come at their offsets):
 * 0 and the block, 1 at its end, or a negative error (logged).  Every
 * block must lie inside the size bytes the header gave.
 */
static int tar_data_block(struct tar_ctx *c, uint64_t size, const void **buf,
			  size_t *len, uint64_t *off)
{
	la_int64_t o;
	int r = archive_read_data_block(c->a, buf, len, &o);

	if (r == ARCHIVE_EOF)
		return 1;
	if (r < ARCHIVE_WARN) {
		TAR_ERR(c, "cannot read the file data: %s",
			archive_error_string(c->a));
		return -EIO;
	}
	if (o < 0 || (uint64_t)o > size || *len > size - (uint64_t)o) {
		TAR_ERR(c, "data lies beyond the file size %llu",
			(unsigned long long)size);
		return -EFSCORRUPTED;
	}
	*off = (uint64_t)o;
	return 0;
}

/* copy the entry's data (holes of sparse entries stay holes) */
static int tar_spool_data(struct tar_ctx *c, struct erofs_node *node,
			  uint64_t size)
{
	uint64_t base, off;
	const void *buf;
	size_t len;
	int ret;

	ret = erofs_spool_reserve(c->spool, size, &base);
	if (ret) {
		TAR_ERR(c, "cannot extend the spool file: %s", strerror(-ret));
		return ret;
	}
	while (!(ret = tar_data_block(c, size, &buf, &len, &off))) {
		ret = erofs_spool_pwrite(c->spool, buf, len, base + off);
		if (ret) {
			TAR_ERR(c, "cannot write the spool file: %s",
				strerror(-ret));
			return ret;
		}
	}
	if (ret < 0)
		return ret;
	node->size = size;
	if (size) {
		node->src_path = strdup(erofs_spool_path(c->spool));
		if (!node->src_path)
			return -ENOMEM;
		node->src_off = base;
	}
	return 0;
}

/* --sort=none: the entry's data straight into the image, one read */
static int tar_stream_data(struct tar_ctx *c, struct erofs_node *node,
			   uint64_t size)
{
	struct erofs_stream *st = c->p->stream;
	const void *buf;
	uint64_t off;
	size_t len;
	int ret;

	node->size = size;
	if (!size)
		return 0;
	ret = erofs_stream_begin(st, size, &node->stream_id);
	while (!ret) {
		ret = tar_data_block(c, size, &buf, &len, &off);
		if (ret) {
			ret = ret < 0 ? ret : 0;
			break;
		}
		ret = erofs_stream_write(st, off, buf, len);
		if (ret == -EINVAL) {
			TAR_ERR(c, "sparse data out of order (not supported with --sort=none)");
			ret = -EFSCORRUPTED;
			break;
		}
		if (ret)
			TAR_ERR(c, "cannot write the data into the image: %s",
				strerror(-ret));
	}
	if (!ret) {
		ret = erofs_stream_end(st);
		if (ret)
			TAR_ERR(c, "cannot write the data into the image: %s",
				strerror(-ret));
	}
	return ret;
}

/* the SHA-256 of the entry's data, holes read as zeros (p->digests) */
static int tar_index_digest(struct tar_ctx *c, struct erofs_node *node)
{
	static const uint8_t zeros[4096];
	uint64_t at = 0, n, off;
	const void *buf;
	size_t len;
	int ret, r = 0;

	ret = erofs_sha256_reset(c->h);
	while (!ret && !(r = tar_data_block(c, node->size, &buf, &len, &off))) {
		if (off < at) {
			TAR_ERR(c, "sparse data out of order");
			return -EFSCORRUPTED;
		}
		for (; !ret && at < off; at += n) {
			n = EROFS_MIN(off - at, sizeof(zeros));
			ret = erofs_sha256_update(c->h, zeros, (size_t)n);
		}
		if (!ret)
			ret = erofs_sha256_update(c->h, buf, len);
		at += len;
	}
	if (!ret && r < 0)
		return r;
	for (; !ret && at < node->size; at += n) {
		n = EROFS_MIN(node->size - at, sizeof(zeros));
		ret = erofs_sha256_update(c->h, zeros, (size_t)n);
	}
	if (!ret)
		ret = erofs_sha256_final(c->h, node->digest);
	node->has_digest = !ret;
	return ret;
}

/*
 * Index mode: the data stays in the archive, which is device 1.  libarchive
 * has consumed the headers (and a pax 1.0 sparse map) when it returns an
 * entry, so its read position is where the data starts; a sparse entry's
 * segments lie one after another from there.
 */
static int tar_index_data(struct tar_ctx *c, struct archive_entry *e,
			  struct erofs_node *node, uint64_t size)
{
	uint64_t pos = (uint64_t)archive_filter_bytes(c->a, 0);
	uint64_t at = 0;
	la_int64_t soff, slen;
	size_t i;
	int ret = 0;

	node->size = size;
	if (!size)
		return 0;
	if (c->mode == TAR_HEADERBALL)
		return erofs_node_add_piece(node, size, 0, EROFS_PIECE_HOLE);
	if (archive_entry_sparse_reset(e) > 0) {
		while (!ret && archive_entry_sparse_next(e, &soff, &slen) ==
		       ARCHIVE_OK) {
			if (soff < 0 || slen < 0 || (uint64_t)soff < at ||
			    (uint64_t)soff + (uint64_t)slen > size) {
				TAR_ERR(c, "sparse map out of order or beyond the file size");
				return -EFSCORRUPTED;
			}
			ret = erofs_node_add_piece(node, (uint64_t)soff - at, 0,
					EROFS_PIECE_HOLE);
			if (!ret)
				ret = erofs_node_add_piece(node, (uint64_t)slen, pos, 1);
			pos += (uint64_t)slen;
			at = (uint64_t)soff + (uint64_t)slen;
		}
	} else {
		ret = erofs_node_add_piece(node, size, pos, 1);
		at = size;
	}
	if (!ret)
		ret = erofs_node_add_piece(node, size - at, 0, EROFS_PIECE_HOLE);
	if (ret)
		return ret;
	/* reserved blocks: the offsets only go into the block list */
	node->reserved = c->mode == TAR_RESERVE;
	/* the image addresses the tar in 512-byte blocks */
	for (i = 0; c->mode == TAR_INDEX && i < node->nr_pieces; i++) {
		const struct erofs_node_piece *pc = &node->pieces[i];

		if ((pc->device != EROFS_PIECE_HOLE && pc->pos % TAR_BLOCK) ||
		    (i + 1 < node->nr_pieces && pc->len % TAR_BLOCK)) {
			TAR_ERR(c, "data at byte %llu of the archive is not %u-byte aligned and cannot be indexed",
				(unsigned long long)pc->pos, TAR_BLOCK);
			return -EINVAL;
		}
	}
	return c->h ? tar_index_digest(c, node) : 0;
}

/* the node an entry describes, with its data */
static int tar_new_node(struct tar_ctx *c, struct archive_entry *e,
			const char *rel, bool whiteout,
			struct erofs_node **out)
{
	mode_t type = archive_entry_filetype(e);
	struct erofs_node *node;
	const char *target;
	int ret;

	node = erofs_node_new(whiteout ? S_IFCHR : type);
	if (!node)
		return -ENOMEM;
	node->path = image_path(rel, strlen(rel));
	ret = node->path ? tar_meta(c, node, e) : -ENOMEM;
	/*
	 * A whiteout is the device 0:0 with no permission bits, as
	 * erofs-utils and containerd's own overlay applier make it: the
	 * .wh. entry's mode describes a placeholder file, not the device.
	 */
	if (!ret && whiteout)
		node->mode = S_IFCHR;
	if (ret || whiteout)
		goto out;
	switch (type) {
	case AE_IFREG:
		if (archive_entry_size(e) < 0) {
			TAR_ERR(c, "negative file size");
			ret = -EFSCORRUPTED;
			break;
		}
		if (c->mode != TAR_COPY)
			ret = tar_index_data(c, e, node,
					     (uint64_t)archive_entry_size(e));
		else if (c->p->stream)
			ret = tar_stream_data(c, node,
					      (uint64_t)archive_entry_size(e));
		else
			ret = tar_spool_data(c, node,
					     (uint64_t)archive_entry_size(e));
		break;
	case AE_IFLNK:
		target = archive_entry_symlink(e);
		if (!target)
			target = archive_entry_symlink_utf8(e);
		if (!target || !*target) {
			TAR_ERR(c, "symlink without a target");
			ret = -EFSCORRUPTED;
			break;
		}
		node->symlink = strdup(target);
		node->size = strlen(target);
		if (!node->symlink)
			ret = -ENOMEM;
		break;
	case AE_IFCHR:
	case AE_IFBLK:
		node->rdev = makedev(archive_entry_rdevmajor(e),
				     archive_entry_rdevminor(e));
		break;
	default:	/* directories, fifos, sockets */
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

static struct erofs_node *tar_ghost_find(struct tar_ctx *c, const char *rel)
{
	size_t i;

	/* newest first: a later entry of the same path wins, as in the tree */
	for (i = c->nr_ghosts; i; i--)
		if (!strcmp(c->ghosts[i - 1].rel, rel))
			return c->ghosts[i - 1].node;
	return NULL;
}

/* remember an excluded entry's node; takes the reference on node */
static int tar_ghost_add(struct tar_ctx *c, const char *rel,
			 struct erofs_node *node)
{
	if (erofs_array_reserve(&c->ghosts, &c->cap_ghosts,
				c->nr_ghosts + 1))
		goto nomem;
	c->ghosts[c->nr_ghosts].rel = strdup(rel);
	if (!c->ghosts[c->nr_ghosts].rel)
		goto nomem;
	c->ghosts[c->nr_ghosts++].node = node;
	return 0;
nomem:
	erofs_node_put(node);
	return -ENOMEM;
}

/* the inode a hard link entry names: in the tree, or an excluded one */
static struct erofs_node *tar_link_target(struct tar_ctx *c, const char *trel)
{
	struct erofs_dentry *t = NULL;
	struct erofs_node *tdir;
	const char *tname;

	if (*trel && !tar_walk(c, trel, false, &tdir, &tname))
		t = tar_lookup(c, tdir, tname, strlen(tname));
	return t ? t->inode : tar_ghost_find(c, trel);
}

/*
 * An excluded entry leaves no name in the image, but a non-directory keeps
 * its inode (and spooled data) for hard links from outside the excluded
 * paths: excluding a path must not make the rest of the archive unusable.
 */
static int tar_exclude(struct tar_ctx *c, struct archive_entry *e,
		       const char *rel, const char *link)
{
	struct erofs_node *node;
	char *trel;
	int ret;

	if (link) {
		ret = tar_normalize(c, link, &trel);
		if (ret)
			return ret;
		node = tar_link_target(c, trel);
		free(trel);
		if (!node || S_ISDIR(node->mode))
			return 0;	/* nothing to keep; a later link says so */
		node->refcount++;
		return tar_ghost_add(c, rel, node);
	}
	if (archive_entry_filetype(e) == AE_IFDIR)
		return 0;
	ret = tar_new_node(c, e, rel, false, &node);
	if (ret)
		return ret;
	return tar_ghost_add(c, rel, node);
}

static int tar_hardlink(struct tar_ctx *c, struct erofs_node *dir,
			const char *name, size_t len, const char *link)
{
	struct erofs_node *target;
	struct erofs_dentry *d;
	char *trel;
	int ret;

	ret = tar_normalize(c, link, &trel);
	if (ret)
		return ret;
	target = tar_link_target(c, trel);
	if (!target) {
		TAR_ERR(c, "hard link target %s does not exist", link);
		ret = -ENOENT;
	} else if (S_ISDIR(target->mode)) {
		TAR_ERR(c, "hard link target %s is a directory", link);
		ret = -EISDIR;
	}
	free(trel);
	if (ret)
		return ret;
	d = tar_lookup(c, dir, name, len);
	if (d)
		return tar_relink(c, d, dir, target);
	return tar_link(c, dir, name, len, target);
}

static int tar_entry(struct tar_ctx *c, struct archive_entry *e)
{
	const char *raw = archive_entry_pathname(e);
	const char *link = archive_entry_hardlink(e);
	struct erofs_node *dir, *node = NULL;
	struct erofs_dentry *d;
	const char *name;
	bool whiteout = false;
	char *rel = NULL;
	size_t len;
	int ret;

	if (!raw)
		raw = archive_entry_pathname_utf8(e);
	c->entry = raw ? raw : "?";
	if (!raw) {
		TAR_ERR(c, "entry without a usable path name");
		return -EFSCORRUPTED;
	}
	if (link && !*link)
		link = NULL;
	if (!link && !archive_entry_filetype(e)) {
		erofs_warn(c->log, "%s: %s: unsupported entry type, skipped",
			   c->name, raw);
		return 0;
	}
	ret = tar_normalize(c, raw, &rel);
	if (ret)
		return ret;
	if (tar_excluded(c, rel)) {
		erofs_dbg(c->log, "%s: %s: excluded", c->name, raw);
		ret = tar_exclude(c, e, rel, link);
		goto out;
	}
	if (!*rel) {	/* "." or "/": the root itself */
		if (link || archive_entry_filetype(e) != AE_IFDIR) {
			TAR_ERR(c, "the root must be a directory");
			ret = -ENOTDIR;
		} else {
			ret = tar_meta(c, c->root, e);
		}
		goto out;
	}
	ret = tar_walk(c, rel, true, &dir, &name);
	if (ret)
		goto out;
	len = strlen(name);
	if (c->p->aufs) {
		if (!strcmp(name, AUFS_WH_OPAQUE)) {
			ret = erofs_node_set_xattr(dir, "trusted.overlay.opaque",
						   "y", 1);
			goto out;
		}
		if (len > strlen(AUFS_WH_PREFIX) &&
		    !memcmp(name, AUFS_WH_PREFIX, strlen(AUFS_WH_PREFIX))) {
			name += strlen(AUFS_WH_PREFIX);
			len -= strlen(AUFS_WH_PREFIX);
			whiteout = true;
			/*
			 * As erofs-utils: a directory holding whiteouts gets
			 * an (empty) origin xattr, so that overlayfs does not
			 * list it directly and expose the whiteouts.
			 */
			ret = erofs_node_set_xattr(dir, "trusted.overlay.origin",
						   "", 0);
			if (ret)
				goto out;
		}
	}
	if (link && !whiteout) {
		ret = tar_hardlink(c, dir, name, len, link);
		goto out;
	}
	d = tar_lookup(c, dir, name, len);
	if (d && !whiteout && S_ISDIR(d->inode->mode) &&
	    archive_entry_filetype(e) == AE_IFDIR) {
		ret = tar_meta(c, d->inode, e);	/* keep the children */
		goto out;
	}
	ret = tar_new_node(c, e, rel, whiteout, &node);
	if (ret)
		goto out;
	ret = d ? tar_relink(c, d, dir, node) : tar_link(c, dir, name, len, node);
	erofs_node_put(node);	/* the dentry holds the tree's reference */
out:
	free(rel);
	return ret;
}

/* file_contexts labels for every reachable node, by its image path */
static int tar_selabel(struct tar_ctx *c)
{
	struct erofs_selabel *sel;
	struct erofs_node **st = NULL;
	size_t n = 0, cap = 0, i;
	int ret;

	ret = erofs_selabel_open(&sel, c->p->file_contexts,
				 c->p->mount_point, c->log);
	if (ret)
		return ret;
	ret = erofs_array_reserve(&st, &cap, 1);
	if (!ret)
		st[n++] = c->root;
	while (!ret && n) {
		struct erofs_node *node = st[--n];
		char *label = NULL;
		size_t len;

		ret = erofs_selabel_lookup(sel, node->path, node->mode,
					   &label, &len);
		if (ret) {
			erofs_err(c->log, "%s: cannot look up the SELinux label of %s: %s",
				  c->name, node->path, strerror(-ret));
			break;
		}
		if (label)
			ret = erofs_node_set_xattr(node, "security.selinux",
						   label, len);
		free(label);
		if (ret || !S_ISDIR(node->mode))
			continue;
		ret = erofs_array_reserve(&st, &cap, n + node->nr_dentries);
		for (i = 0; !ret && i < node->nr_dentries; i++)
			st[n++] = node->dentries[i].inode;
	}
	free(st);
	erofs_selabel_close(sel);
	return ret;
}

/*
 * A headerball holds tar headers without the file data that should follow
 * them.  libarchive is handed the input one 512-byte block at a time, so
 * that it never buffers past the header it asked for, and told that
 * skipping a file's data (and its padding) succeeded at once: the next
 * block it reads is then the next header.
 */
static la_ssize_t hb_read(struct archive *a, void *priv, const void **buf)
{
	struct tar_ctx *c = priv;
	size_t got = 0;
	ssize_t n;

	while (got < TAR_BLOCK) {
		n = read(c->fd >= 0 ? c->fd : STDIN_FILENO, c->hb_block + got,
			 TAR_BLOCK - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			archive_set_error(a, errno, "read error");
			return -1;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	*buf = c->hb_block;
	return (la_ssize_t)got;
}

static la_int64_t hb_skip(struct archive *a, void *priv, la_int64_t request)
{
	(void)a;
	(void)priv;
	return request;		/* the data is not there */
}

static int tar_open(struct tar_ctx *c, const char *path)
{
	int r;

	c->a = archive_read_new();
	if (!c->a)
		return -ENOMEM;
	if (c->mode == TAR_HEADERBALL)
		archive_read_support_filter_none(c->a);
	else
		archive_read_support_filter_all(c->a);
	archive_read_support_format_tar(c->a);
	archive_read_support_format_gnutar(c->a);
	if (path) {
		c->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (c->fd < 0) {
			int err = errno;

			erofs_err(c->log, "cannot open tar input %s: %s", path,
				  strerror(err));
			return -err;
		}
	}
	if (c->mode == TAR_HEADERBALL) {
		archive_read_set_read_callback(c->a, hb_read);
		archive_read_set_skip_callback(c->a, hb_skip);
		archive_read_set_callback_data(c->a, c);
		r = archive_read_open1(c->a);
	} else {
		/* libarchive skips file data by seeking when the fd allows */
		r = archive_read_open_fd(c->a, path ? c->fd : STDIN_FILENO,
					 65536);
	}
	if (r != ARCHIVE_OK) {
		erofs_err(c->log, "%s: not a readable tar archive: %s", c->name,
			  archive_error_string(c->a));
		return -EIO;
	}
	if (c->mode == TAR_INDEX &&
	    archive_filter_code(c->a, 0) != ARCHIVE_FILTER_NONE) {
		erofs_err(c->log, "%s: the archive is %s-compressed; --tar=i indexes the tar itself, which must be uncompressed",
			  c->name, archive_filter_name(c->a, 0));
		return -EINVAL;
	}
	return 0;
}

static int tar_read_all(struct tar_ctx *c)
{
	struct archive_entry *e;
	int r, ret = 0;

	for (;;) {
		r = archive_read_next_header(c->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			if (!c->done)
				erofs_err(c->log, "%s: not a readable tar archive: %s",
					  c->name, archive_error_string(c->a));
			else
				erofs_err(c->log, "%s: damaged archive after %llu entries: %s",
					  c->name, (unsigned long long)c->done,
					  archive_error_string(c->a));
			return -EIO;
		}
		if (r == ARCHIVE_WARN)
			erofs_warn(c->log, "%s: %s: %s", c->name,
				   archive_entry_pathname(e) ?
				   archive_entry_pathname(e) : "?",
				   archive_error_string(c->a));
		ret = tar_entry(c, e);
		if (ret)
			return ret;
		if (++c->done % TAR_PROGRESS_EVERY == 0 && c->p->progress)
			c->p->progress(c->p->progress_priv, c->done);
	}
	return 0;
}

static int tar_import(const struct erofs_import_params *p, const char *path,
		      enum tar_mode mode, struct erofs_node **rootp,
		      struct erofs_spool **spoolp, uint64_t *tar_bytes)
{
	struct tar_ctx c = { .p = p, .log = p->log, .fd = -1, .mode = mode };
	locale_t utf8, old = (locale_t)0;
	size_t i;
	int ret;

	/*
	 * libarchive converts pax names (UTF-8) to the current locale's
	 * charset, which in a program that never called setlocale() is
	 * ASCII: every other name would be mangled.  A UTF-8 locale for
	 * this thread only, for the duration of the import, makes that
	 * conversion the identity; the names are stored as the bytes the
	 * archive holds.
	 */
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8)
		old = uselocale(utf8);

	*rootp = NULL;
	*spoolp = NULL;
	*tar_bytes = 0;
	if (path && !strcmp(path, "-"))
		path = NULL;
	c.name = path ? path : "(standard input)";
	c.entry = "";
	ret = erofs_import_filter_init(&c.filter, p);
	if (ret)
		goto out;
	c.root = erofs_node_new(S_IFDIR | 0755);
	if (!c.root || !(c.root->path = strdup("/"))) {
		ret = -ENOMEM;
		goto out;
	}
	erofs_import_mtime(p, c.root, p->timestamp > 0 ? p->timestamp : 0, 0);
	ret = erofs_import_owner(p, c.root, 0, 0);
	if (ret) {
		erofs_err(p->log, "%s: root uid/gid out of range after offsets",
			  c.name);
		goto out;
	}
	if (c.mode == TAR_COPY && !p->stream)
		ret = erofs_spool_open(p->log, &c.spool);
	if (!ret && (c.mode == TAR_INDEX || c.mode == TAR_RESERVE) &&
	    p->digests && !(c.h = erofs_sha256_new()))
		ret = erofs_sha256_unavailable(p->log, "fingerprints need");
	if (!ret)
		ret = tar_open(&c, path);
	if (!ret)
		ret = tar_read_all(&c);
	if (!ret && c.mode == TAR_INDEX)
		*tar_bytes = (uint64_t)archive_filter_bytes(c.a, 0);
	if (!ret && p->file_contexts)
		ret = tar_selabel(&c);
	if (!ret) {
		ret = erofs_tree_finalize(c.root);
		if (ret)
			erofs_err(p->log, "%s: cannot finalize the tree: %s",
				  c.name, strerror(-ret));
	}
	if (!ret && p->progress)
		p->progress(p->progress_priv, c.done);
out:
	if (c.a)
		archive_read_free(c.a);
	if (c.fd >= 0)
		close(c.fd);
	erofs_sha256_free(c.h);
	for (i = 0; i < c.nr_grave; i++)
		erofs_node_put(c.grave[i]);
	free(c.grave);
	for (i = 0; i < c.nr_ghosts; i++) {
		free(c.ghosts[i].rel);
		erofs_node_put(c.ghosts[i].node);
	}
	free(c.ghosts);
	erofs_dindex_release(&c.dindex);
	erofs_import_filter_release(&c.filter);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	if (ret) {
		if (ret == -ENOMEM)
			erofs_err(p->log, "out of memory importing %s", c.name);
		else if (c.mode == TAR_HEADERBALL && ret != -ENOENT)
			erofs_err(p->log, "%s: a headerball holds tar headers without the file data; is this a whole tar (--tar=f or --tar=i)?",
				  c.name);
		erofs_node_put(c.root);
		erofs_spool_close(c.spool);
		return ret;
	}
	*rootp = c.root;
	*spoolp = c.spool;
	return 0;
}

int erofs_import_tar(const struct erofs_import_params *p, const char *path,
		     struct erofs_node **rootp, struct erofs_spool **spoolp)
{
	uint64_t bytes;

	return tar_import(p, path, TAR_COPY, rootp, spoolp, &bytes);
}

int erofs_import_tar_index(const struct erofs_import_params *p,
			   const char *path, bool headerball,
			   struct erofs_node **rootp, uint64_t *tar_bytes)
{
	struct erofs_spool *spool;

	return tar_import(p, path, headerball ? TAR_HEADERBALL : TAR_INDEX,
			  rootp, &spool, tar_bytes);
}

int erofs_import_tar_reserve(const struct erofs_import_params *p,
			     const char *path, struct erofs_node **rootp)
{
	struct erofs_spool *spool;
	uint64_t bytes;

	return tar_import(p, path, TAR_RESERVE, rootp, &spool, &bytes);
}
#endif
