// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * extract.c - recreate an image's tree on the host (erofs/extract.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "erofs/extract.h"

#define COPY_CHUNK	(128 * 1024)

/* per-nid memory of the extraction: hash table, open addressing */
struct nid_slot {
	erofs_nid_t nid;
	bool used;
	bool dir_entered;	/* cycle guard */
	char *relpath;		/* where a hard-linked file was written */
};

struct ext_ctx {
	struct erofs_image *img;
	const struct erofs_extract_params *p;
	struct erofs_check_stats *st;
	int rootfd;
	char *rel;		/* path relative to the target, "" = target */
	size_t rellen, relcap;
	char *abs;		/* scratch: target + "/" + rel */
	unsigned char *buf;
	struct nid_slot *slots;
	size_t slots_cap, slots_used;
	int oom;
};

struct ent {
	erofs_nid_t nid;
	char *name;
	unsigned int len;
};

void erofs_extract_params_init(struct erofs_extract_params *p)
{
	memset(p, 0, sizeof(*p));
	p->xattrs = true;
	p->preserve_perms = true;
	p->max_depth = 1024;
	p->umask = 022;
}

#define report(c, code, nid, ...) \
	erofs_check_report((c)->p->report, (c)->p->report_priv, (c)->st, \
			   (code), true, (nid), (c)->rel[0] ? (c)->rel : "/", \
			   __VA_ARGS__)

static int rel_push(struct ext_ctx *c, const char *name, size_t len)
{
	size_t need = c->rellen + 1 + len + 1;

	if (need > c->relcap) {
		size_t ncap = EROFS_MAX(need, c->relcap * 2);
		char *n = realloc(c->rel, ncap);

		if (!n)
			return c->oom = -ENOMEM;
		c->rel = n;
		c->relcap = ncap;
	}
	if (c->rellen)
		c->rel[c->rellen++] = '/';
	memcpy(c->rel + c->rellen, name, len);
	c->rellen += len;
	c->rel[c->rellen] = '\0';
	return 0;
}

static const char *abs_path(struct ext_ctx *c)
{
	size_t need = strlen(c->p->dir) + 1 + c->rellen + 1;
	char *n = realloc(c->abs, need);

	if (!n)
		return NULL;
	c->abs = n;
	snprintf(c->abs, need, "%s/%s", c->p->dir, c->rel);
	return c->abs;
}

struct xattr_apply {
	struct ext_ctx *c;
	int fd;			/* or -1: use the path (no following) */
	erofs_nid_t nid;
};

static int apply_xattr_cb(void *priv, const struct erofs_xattr_info *x)
{
	struct xattr_apply *a = priv;
	struct ext_ctx *c = a->c;
	int ret;

	/* hidden names have no namespace the host would accept */
	if (!x->known || x->hidden)
		return 0;
	if (a->fd >= 0) {
		ret = fsetxattr(a->fd, x->name, x->value, x->value_size, 0);
	} else {
		const char *path = abs_path(c);

		ret = path ? lsetxattr(path, x->name, x->value, x->value_size,
				       0) : -1;
	}
	if (ret && errno != ENOTSUP)
		report(c, EROFS_PROB_EXTRACT, a->nid, "setting xattr %s: %s",
		       x->name, strerror(errno));
	return 0;
}

/*
 * metadata in the order that keeps it: owner first (chown drops
 * security.capability and set-id bits), xattrs, mode, then times
 */
static void set_meta(struct ext_ctx *c, int dfd, const char *name, int fd,
		     struct erofs_inode *inode)
{
	const struct erofs_extract_params *p = c->p;
	struct timespec ts[2];
	mode_t mode = inode->mode & 07777;

	if (p->preserve_owner) {
		int ret = fd >= 0 ? fchown(fd, inode->uid, inode->gid) :
			fchownat(dfd, name, inode->uid, inode->gid,
				 AT_SYMLINK_NOFOLLOW);

		if (ret)
			report(c, EROFS_PROB_EXTRACT, inode->nid, "chown: %s",
			       strerror(errno));
	}
	if (p->xattrs && inode->xattr_isize) {
		struct xattr_apply a = { c, fd, inode->nid };

		erofs_xattr_iterate(inode, apply_xattr_cb, &a, NULL);
	}
	if (!p->preserve_perms)
		mode &= ~p->umask;
	if (!S_ISLNK(inode->mode)) {
		int ret = fd >= 0 ? fchmod(fd, mode) :
			fchmodat(dfd, name, mode, 0);

		if (ret)
			report(c, EROFS_PROB_EXTRACT, inode->nid, "chmod: %s",
			       strerror(errno));
	}
	ts[0].tv_sec = ts[1].tv_sec = inode->mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = inode->mtime_nsec % 1000000000;
	if (fd >= 0 ? futimens(fd, ts) :
	    utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW))
		report(c, EROFS_PROB_EXTRACT, inode->nid, "setting times: %s",
		       strerror(errno));
}

/* make room for a new non-directory entry when overwriting */
static int make_room(struct ext_ctx *c, int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!c->p->overwrite)
		return -EEXIST;
	if (S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, AT_REMOVEDIR) ? -errno : 0;
	return unlinkat(dfd, name, 0) ? -errno : 0;
}

static int write_file(struct ext_ctx *c, int fd, struct erofs_inode *inode)
{
	struct erofs_data_ctx d;
	struct erofs_map map;
	uint64_t la = 0;
	int ret;

	ret = erofs_data_open(&d, inode);
	if (ret)
		return ret;
	while (la < inode->size) {
		uint64_t end;

		map.la = la;
		ret = erofs_data_map(&d, &map);
		if (ret)
			goto out;
		end = map.la + map.llen;
		/* holes stay holes: the file is sparse where the image is */
		while (map.kind != EROFS_MAP_HOLE && la < end) {
			size_t n = EROFS_MIN(COPY_CHUNK, end - la);
			size_t done = 0;

			ret = erofs_data_read(&d, c->buf, n, la);
			if (ret)
				goto out;
			while (done < n) {
				ssize_t w = pwrite(fd, c->buf + done, n - done,
						   la + done);

				if (w < 0) {
					ret = -errno;
					goto out;
				}
				done += w;
			}
			la += n;
		}
		la = end;
	}
	ret = ftruncate(fd, inode->size) ? -errno : 0;
out:
	erofs_data_close(&d);
	return ret;
}

static size_t nid_hash(erofs_nid_t nid, size_t cap)
{
	return (size_t)((nid * 0x9E3779B97F4A7C15ULL) >> 20) & (cap - 1);
}

static struct nid_slot *nid_get(struct ext_ctx *c, erofs_nid_t nid,
				bool create)
{
	size_t i;

	if (create && (c->slots_used + 1) * 2 > c->slots_cap) {
		size_t ncap = c->slots_cap ? c->slots_cap * 2 : 256, j;
		struct nid_slot *n = calloc(ncap, sizeof(*n));

		if (!n) {
			c->oom = -ENOMEM;
			return NULL;
		}
		for (j = 0; j < c->slots_cap; j++) {
			if (!c->slots[j].used)
				continue;
			i = nid_hash(c->slots[j].nid, ncap);
			while (n[i].used)
				i = (i + 1) & (ncap - 1);
			n[i] = c->slots[j];
		}
		free(c->slots);
		c->slots = n;
		c->slots_cap = ncap;
	}
	if (!c->slots_cap)
		return NULL;
	for (i = nid_hash(nid, c->slots_cap); c->slots[i].used;
	     i = (i + 1) & (c->slots_cap - 1))
		if (c->slots[i].nid == nid)
			return &c->slots[i];
	if (!create)
		return NULL;
	c->slots[i].used = true;
	c->slots[i].nid = nid;
	c->slots_used++;
	return &c->slots[i];
}

static const char *find_link(struct ext_ctx *c, erofs_nid_t nid)
{
	struct nid_slot *s = nid_get(c, nid, false);

	return s ? s->relpath : NULL;
}

static void remember_link(struct ext_ctx *c, erofs_nid_t nid)
{
	struct nid_slot *s = nid_get(c, nid, true);

	if (!s || s->relpath)
		return;
	s->relpath = strdup(c->rel);
	if (!s->relpath)
		c->oom = -ENOMEM;
}

static void extract_dir(struct ext_ctx *c, int dfd, struct erofs_inode *dir,
			unsigned int depth);

static void extract_entry(struct ext_ctx *c, int dfd, const struct ent *e,
			  unsigned int depth)
{
	struct erofs_inode inode;
	const char *name = e->name;
	int ret, fd;

	ret = erofs_inode_read(c->img, e->nid, &inode);
	if (ret) {
		report(c, c->img->problem, e->nid, "unreadable inode: %s",
		       strerror(-ret));
		return;
	}
	switch (inode.mode & S_IFMT) {
	case S_IFDIR: {
		struct stat st;

		if (mkdirat(dfd, name, 0700) && errno != EEXIST) {
			report(c, EROFS_PROB_EXTRACT, e->nid, "mkdir: %s",
			       strerror(errno));
			return;
		}
		/* an existing entry must be a real directory, not a link */
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode)) {
			if (!c->p->overwrite || make_room(c, dfd, name) ||
			    mkdirat(dfd, name, 0700)) {
				report(c, EROFS_PROB_EXTRACT, e->nid,
				       "cannot create a directory over an existing entry");
				return;
			}
		}
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
		if (fd < 0) {
			report(c, EROFS_PROB_EXTRACT, e->nid, "open: %s",
			       strerror(errno));
			return;
		}
		extract_dir(c, fd, &inode, depth + 1);
		set_meta(c, dfd, name, fd, &inode);
		close(fd);
		return;
	}
	case S_IFREG: {
		const char *target = inode.nlink > 1 ? find_link(c, e->nid) :
			NULL;

		ret = make_room(c, dfd, name);
		if (ret) {
			report(c, EROFS_PROB_EXTRACT, e->nid, "%s",
			       strerror(-ret));
			return;
		}
		if (target) {
			/* linkat with flags 0 never follows the old name */
			if (linkat(c->rootfd, target, dfd, name, 0))
				report(c, EROFS_PROB_EXTRACT, e->nid,
				       "link to %s: %s", target,
				       strerror(errno));
			return;
		}
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
			    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			report(c, EROFS_PROB_EXTRACT, e->nid, "create: %s",
			       strerror(errno));
			return;
		}
		ret = write_file(c, fd, &inode);
		if (ret)
			report(c, ret == -EFSCORRUPTED || ret == -EOPNOTSUPP ?
			       c->img->problem : EROFS_PROB_EXTRACT, e->nid,
			       "writing data: %s", strerror(-ret));
		set_meta(c, dfd, name, fd, &inode);
		close(fd);
		if (inode.nlink > 1)
			remember_link(c, e->nid);
		return;
	}
	case S_IFLNK: {
		char *target;

		if (!inode.size || inode.size >= 4096) {
			report(c, EROFS_PROB_SYMLINK_SIZE, e->nid, "size %llu",
			       (unsigned long long)inode.size);
			return;
		}
		target = calloc(1, inode.size + 1);
		if (!target) {
			c->oom = -ENOMEM;
			return;
		}
		ret = erofs_read_data(&inode, target, inode.size, 0);
		if (!ret)
			ret = make_room(c, dfd, name);
		if (!ret && symlinkat(target, dfd, name))
			ret = -errno;
		free(target);
		if (ret) {
			report(c, EROFS_PROB_EXTRACT, e->nid, "symlink: %s",
			       strerror(-ret));
			return;
		}
		set_meta(c, dfd, name, -1, &inode);
		return;
	}
	default: {
		dev_t dev = 0;

		if (S_ISCHR(inode.mode) || S_ISBLK(inode.mode))
			dev = makedev(erofs_dev_major(inode.rdev),
				      erofs_dev_minor(inode.rdev));
		ret = make_room(c, dfd, name);
		if (!ret && mknodat(dfd, name, (inode.mode & S_IFMT) | 0600,
				    dev))
			ret = -errno;
		if (ret) {
			report(c, EROFS_PROB_EXTRACT, e->nid, "mknod: %s",
			       strerror(-ret));
			return;
		}
		set_meta(c, dfd, name, -1, &inode);
		return;
	}
	}
}

struct collect {
	struct ext_ctx *c;
	struct ent *ents;
	size_t n, cap;
	erofs_nid_t dnid;
};

static int collect_cb(void *priv, const struct erofs_dir_entry *de)
{
	struct collect *col = priv;
	struct ext_ctx *c = col->c;
	struct ent *e;

	if ((de->name_len == 1 && de->name[0] == '.') ||
	    (de->name_len == 2 && !memcmp(de->name, "..", 2)))
		return 0;
	/* never let a name walk out of its directory */
	if (memchr(de->name, '/', de->name_len) ||
	    memchr(de->name, '\0', de->name_len)) {
		report(c, EROFS_PROB_DIR_BADNAME, col->dnid,
		       "refusing to extract \"%.*s\"", (int)de->name_len,
		       de->name);
		return 0;
	}
	if (col->n == col->cap) {
		size_t ncap = col->cap ? col->cap * 2 : 64;
		struct ent *n = realloc(col->ents, ncap * sizeof(*n));

		if (!n)
			return c->oom = -ENOMEM;
		col->ents = n;
		col->cap = ncap;
	}
	e = &col->ents[col->n];
	e->name = malloc(de->name_len + 1);
	if (!e->name)
		return c->oom = -ENOMEM;
	memcpy(e->name, de->name, de->name_len);
	e->name[de->name_len] = '\0';
	e->len = de->name_len;
	e->nid = de->nid;
	col->n++;
	return 0;
}

static void extract_dir(struct ext_ctx *c, int dfd, struct erofs_inode *dir,
			unsigned int depth)
{
	struct collect col = { .c = c, .dnid = dir->nid };
	size_t i, saved = c->rellen;
	struct nid_slot *slot;
	int ret;

	if (depth > c->p->max_depth) {
		report(c, EROFS_PROB_DIR_DEPTH, dir->nid, "not extracted");
		return;
	}
	slot = nid_get(c, dir->nid, true);
	if (!slot)
		return;
	if (slot->dir_entered) {
		report(c, EROFS_PROB_DIR_LOOP, dir->nid,
		       "directory already extracted");
		return;
	}
	slot->dir_entered = true;
	ret = erofs_dir_iterate(dir, collect_cb, &col);
	if (ret < 0 && ret != -ENOMEM)
		report(c, c->img->problem, dir->nid, "%s", strerror(-ret));
	for (i = 0; i < col.n && !c->oom; i++) {
		if (rel_push(c, col.ents[i].name, col.ents[i].len))
			break;
		extract_entry(c, dfd, &col.ents[i], depth);
		c->rellen = saved;
		c->rel[saved] = '\0';
	}
	for (i = 0; i < col.n; i++)
		free(col.ents[i].name);
	free(col.ents);
}

int erofs_extract(struct erofs_image *img,
		  const struct erofs_extract_params *p,
		  struct erofs_check_stats *stats)
{
	struct ext_ctx c = { .img = img, .p = p, .st = stats, .rootfd = -1 };
	struct erofs_inode root;
	char *real;
	size_t i;
	int ret;

	memset(stats, 0, sizeof(*stats));
	if (mkdir(p->dir, 0755) && errno != EEXIST)
		return -errno;
	real = realpath(p->dir, NULL);
	if (!real)
		return -errno;
	if (!strcmp(real, "/") && !p->force) {
		free(real);
		return -EPERM;
	}
	free(real);
	c.rootfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.rootfd < 0)
		return -errno;
	c.rel = calloc(1, c.relcap = 256);
	c.buf = malloc(COPY_CHUNK);
	if (!c.rel || !c.buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (p->start_path)
		ret = erofs_path_lookup(img, p->start_path, &root);
	else
		ret = erofs_inode_read(img, p->has_start_nid ? p->start_nid :
				       img->root_nid, &root);
	if (ret)
		goto out;
	if (S_ISDIR(root.mode)) {
		extract_dir(&c, c.rootfd, &root, 0);
		set_meta(&c, c.rootfd, ".", c.rootfd, &root);
	} else {
		report(&c, EROFS_PROB_EXTRACT, root.nid,
		       "start inode is not a directory");
	}
	ret = c.oom;
out:
	for (i = 0; i < c.slots_cap; i++)
		free(c.slots[i].relpath);
	free(c.slots);
	free(c.rel);
	free(c.abs);
	free(c.buf);
	close(c.rootfd);
	return ret;
}
