// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * import.c - build an erofs_node tree from a host directory
 * (see erofs/import.h).
 *
 * The walk holds one directory fd per level and uses the *at() calls, so
 * symlinks are never followed and path length is not limited by
 * PATH_MAX while walking.  Entries of each directory are visited in name
 * order, which makes "the first name of a hard link" (the node's path
 * and src_path) independent of readdir order.
 */
#include "config.h"
#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "erofs/array.h"
#include "erofs/htab.h"
#include "erofs/import.h"
#include "erofs/xattr.h"
#include "import_internal.h"
#include "listxattrat.h"
#include "selabel.h"

#define IMPORT_PROGRESS_EVERY	256


void erofs_import_params_init(struct erofs_import_params *p)
{
	memset(p, 0, sizeof(*p));
	p->force_uid = -1;
	p->force_gid = -1;
	p->timestamp = -1;
	p->xattrs = true;
}

/* (st_dev, st_ino) -> node for sources with nlink > 1 */
struct hardlink {
	dev_t dev;
	ino_t ino;
	struct erofs_node *node;	/* no reference: the tree holds one */
};

struct import_ctx {
	const struct erofs_import_params *p;
	const struct erofs_log *log;
	const char *src;	/* source root as given */
	char *rel;		/* current path relative to src, no leading / */
	size_t rel_len, rel_cap;
	struct erofs_import_filter filter;
	struct erofs_selabel *sel;
	struct hardlink *links;
	size_t nr_links, cap_links;
	struct erofs_htab link_index;	/* hash_dev_ino -> links[] index */
	uint64_t done;
	bool procfd;		/* /proc/self/fd usable for xattr calls */
	bool no_lxat;		/* listxattrat(2) missing or filtered */
	bool has_skip;		/* params->skip_file exists: its identity */
	dev_t skip_dev;
	ino_t skip_ino;
};

static uint64_t hash_dev_ino(dev_t dev, ino_t ino)
{
	return erofs_hash_u64(erofs_hash_u64((uint64_t)dev) ^ (uint64_t)ino);
}

static struct hardlink *hardlink_find(struct import_ctx *c, dev_t dev,
				      ino_t ino)
{
	uint64_t h = hash_dev_ino(dev, ino), i;
	size_t pos = 0;

	while (erofs_htab_next(&c->link_index, h, &pos, &i))
		if (c->links[i].dev == dev && c->links[i].ino == ino)
			return &c->links[i];
	return NULL;
}

static int hardlink_add(struct import_ctx *c, dev_t dev, ino_t ino,
			struct erofs_node *node)
{
	int ret = erofs_array_reserve(&c->links, &c->cap_links,
				      c->nr_links + 1);

	if (!ret)
		ret = erofs_htab_add(&c->link_index, hash_dev_ino(dev, ino),
				     c->nr_links);
	if (ret)
		return ret;
	c->links[c->nr_links++] = (struct hardlink){
		.dev = dev, .ino = ino, .node = node,
	};
	return 0;
}

/* append "/name" (or "name" at the top) to the relative path */
static int rel_push(struct import_ctx *c, const char *name, size_t len)
{
	int ret = erofs_array_reserve(&c->rel, &c->rel_cap,
				      c->rel_len + 1 + len + 1);

	if (ret)
		return ret;
	if (c->rel_len)
		c->rel[c->rel_len++] = '/';
	memcpy(c->rel + c->rel_len, name, len);
	c->rel_len += len;
	c->rel[c->rel_len] = '\0';
	return 0;
}

static void rel_pop(struct import_ctx *c, size_t old_len)
{
	c->rel_len = old_len;
	c->rel[old_len] = '\0';
}

/* the source path of the current entry, for messages and src_path */
static char *src_path_dup(const struct import_ctx *c)
{
	size_t slen = strlen(c->src);
	char *s;

	while (slen > 1 && c->src[slen - 1] == '/')
		slen--;
	s = malloc(slen + 1 + c->rel_len + 1);
	if (!s)
		return NULL;
	memcpy(s, c->src, slen);
	if (c->rel_len) {
		if (s[slen - 1] != '/')
			s[slen++] = '/';
		memcpy(s + slen, c->rel, c->rel_len);
		slen += c->rel_len;
	}
	s[slen] = '\0';
	return s;
}

/* the path inside the image: "/" + rel */
static char *image_path_dup(const struct import_ctx *c)
{
	char *s = malloc(c->rel_len + 2);

	if (!s)
		return NULL;
	s[0] = '/';
	memcpy(s + 1, c->rel, c->rel_len + 1);
	return s;
}

/* messages name the source path; "?" only if even that allocation fails */
#define IMPORT_ERR(c, fmt, ...) do {					\
	char *__p = src_path_dup(c);					\
	erofs_err((c)->log, "%s: " fmt, __p ? __p : "?", ##__VA_ARGS__); \
	free(__p);							\
} while (0)
#define IMPORT_DBG(c, fmt, ...) do {					\
	char *__p = src_path_dup(c);					\
	erofs_dbg((c)->log, "%s: " fmt, __p ? __p : "?", ##__VA_ARGS__); \
	free(__p);							\
} while (0)

bool erofs_import_filter_match(const struct erofs_import_filter *f,
			       const char *rel)
{
	size_t i;

	for (i = 0; i < f->nr_excludes; i++)
		if (!strcmp(f->excludes[i], rel))
			return true;
	for (i = 0; i < f->nr_regs; i++)
		if (!regexec(&f->regs[i], rel, 0, NULL, 0))
			return true;
	return false;
}

/*
 * Only names some short prefix covers can be stored (erofs-format.md 4.3);
 * "lustre." has an index but the kernel never shows it, so it is dropped
 * like any other unknown namespace.
 */
bool erofs_import_xattr_storable(const char *name, size_t len,
				 size_t *suffix_len)
{
	uint8_t idx;
	size_t off;

	if (erofs_xattr_split_name(name, len, &idx, &off) || idx == 5)
		return false;
	*suffix_len = len - off;
	return true;
}

/*
 * Read the xattrs of the current entry: through fd when given (the root),
 * else by name relative to dfd without following a final symlink.
 */
static int import_xattrs(struct import_ctx *c, struct erofs_node *node,
			 int fd, int dfd, const char *name)
{
	char *path = NULL, *list = NULL, *val = NULL;
	ssize_t n, vn;
	size_t off;
	int ret = 0;

	if (!c->p->xattrs)
		return 0;
#ifdef __NR_listxattrat
	/*
	 * Most entries have no xattrs, and asking by name relative to dfd
	 * costs a quarter of asking through /proc/self/fd (procfs walks
	 * the path on every call): 20 ms of a 7,000-entry tree.  Entries
	 * that have some, and errors, take the way below, which reads the
	 * values and reports errors.
	 */
	if (fd < 0 && !c->no_lxat) {
		n = syscall(__NR_listxattrat, dfd, name, AT_SYMLINK_NOFOLLOW,
			    NULL, (size_t)0);
		if (!n || (n < 0 && errno == ENOTSUP))
			return 0;
		/* an older kernel, or a seccomp filter that does not know
		 * the call */
		if (n < 0 && (errno == ENOSYS || errno == EPERM))
			c->no_lxat = true;
	}
#endif
	if (fd < 0) {
		/* short whatever the depth, unlike the full source path */
		if (c->procfd) {
			size_t len = strlen(name) + 32;

			path = malloc(len);
			if (path)
				snprintf(path, len, "/proc/self/fd/%d/%s", dfd,
					 name);
		} else {
			path = src_path_dup(c);
		}
		if (!path)
			return -ENOMEM;
	}

	for (;;) {
		n = fd >= 0 ? flistxattr(fd, NULL, 0) : llistxattr(path, NULL, 0);
		if (n <= 0)
			break;
		free(list);
		list = malloc((size_t)n);
		if (!list) {
			ret = -ENOMEM;
			goto out;
		}
		n = fd >= 0 ? flistxattr(fd, list, (size_t)n) :
			      llistxattr(path, list, (size_t)n);
		if (n >= 0 || errno != ERANGE)
			break;		/* ERANGE: the list grew, retry */
	}
	if (n < 0) {
		if (errno == ENOTSUP)	/* filesystem without xattrs */
			goto out;
		ret = -errno;
		IMPORT_ERR(c, "cannot list xattrs: %s", strerror(-ret));
		goto out;
	}

	for (off = 0; off < (size_t)n; off += strlen(list + off) + 1) {
		const char *xn = list + off;
		size_t xlen = strlen(xn), suffix_len;

		if (!xlen)
			continue;
		if (!erofs_import_xattr_storable(xn, xlen, &suffix_len)) {
			IMPORT_DBG(c, "skipping xattr %s (no EROFS prefix)", xn);
			continue;
		}
		/* file_contexts labels replace whatever the source had */
		if (c->sel && !strcmp(xn, "security.selinux"))
			continue;
		if (suffix_len > 255) {
			IMPORT_ERR(c, "xattr name %s is too long (max 255 bytes after the prefix)",
				   xn);
			ret = -ENAMETOOLONG;
			goto out;
		}
		for (;;) {
			vn = fd >= 0 ? fgetxattr(fd, xn, NULL, 0) :
				       lgetxattr(path, xn, NULL, 0);
			if (vn < 0)
				break;
			free(val);
			val = malloc(vn ? (size_t)vn : 1);
			if (!val) {
				ret = -ENOMEM;
				goto out;
			}
			vn = fd >= 0 ? fgetxattr(fd, xn, val, (size_t)vn) :
				       lgetxattr(path, xn, val, (size_t)vn);
			if (vn >= 0 || errno != ERANGE)
				break;
		}
		if (vn < 0) {
			if (errno == ENODATA)	/* removed meanwhile */
				continue;
			ret = -errno;
			IMPORT_ERR(c, "cannot read xattr %s: %s", xn,
				   strerror(-ret));
			goto out;
		}
		if (vn > 65535) {
			IMPORT_ERR(c, "value of xattr %s is %zd bytes (max 65535)",
				   xn, vn);
			ret = -E2BIG;
			goto out;
		}
		ret = erofs_node_set_xattr(node, xn, val, (size_t)vn);
		if (ret)
			goto out;
	}
out:
	free(val);
	free(list);
	free(path);
	return ret;
}

static int apply_selabel(struct import_ctx *c, struct erofs_node *node)
{
	char *ipath, *label = NULL;
	size_t len;
	int ret;

	if (!c->sel)
		return 0;
	ipath = image_path_dup(c);
	if (!ipath)
		return -ENOMEM;
	ret = erofs_selabel_lookup(c->sel, ipath, node->mode, &label, &len);
	if (!ret && label)
		ret = erofs_node_set_xattr(node, "security.selinux", label, len);
	else if (ret && ret != -ENOMEM)
		IMPORT_ERR(c, "cannot look up the SELinux label of %s: %s",
			   ipath, strerror(-ret));
	free(label);
	free(ipath);
	return ret;
}

int erofs_import_owner(const struct erofs_import_params *p,
		       struct erofs_node *node, int64_t uid, int64_t gid)
{
	if (p->all_root)
		uid = gid = 0;
	if (p->force_uid >= 0)
		uid = p->force_uid;
	if (p->force_gid >= 0)
		gid = p->force_gid;
	uid += p->uid_offset;
	gid += p->gid_offset;
	if (uid < 0 || uid > UINT32_MAX || gid < 0 || gid > UINT32_MAX)
		return -ERANGE;
	node->uid = (uint64_t)uid;
	node->gid = (uint64_t)gid;
	return 0;
}

void erofs_import_mtime(const struct erofs_import_params *p,
			struct erofs_node *node, int64_t sec, uint32_t nsec)
{
	node->mtime = sec;
	node->mtime_nsec = nsec;
	if (p->timestamp < 0)
		return;
	if (p->all_time || p->ignore_mtime ||
	    (p->clamp_mtime && node->mtime >= p->timestamp)) {
		node->mtime = p->timestamp;
		node->mtime_nsec = 0;
	}
}

static int read_symlink(struct import_ctx *c, struct erofs_node *node,
			int dfd, const char *name, const struct stat *st)
{
	size_t cap = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;

	for (;;) {
		char *buf = malloc(cap);
		ssize_t n;

		if (!buf)
			return -ENOMEM;
		n = readlinkat(dfd, name, buf, cap);
		if (n < 0) {
			int err = errno;

			free(buf);
			IMPORT_ERR(c, "cannot read symlink: %s", strerror(err));
			return -err;
		}
		if ((size_t)n < cap) {
			buf[n] = '\0';
			node->symlink = buf;
			node->size = (uint64_t)n;
			return 0;
		}
		free(buf);	/* target grew since lstat: retry larger */
		cap *= 2;
	}
}

static void note_progress(struct import_ctx *c)
{
	if (++c->done % IMPORT_PROGRESS_EVERY == 0 && c->p->progress)
		c->p->progress(c->p->progress_priv, c->done);
}

/* fill the fields every kind of node shares */
static int fill_node(struct import_ctx *c, struct erofs_node *node,
		     const struct stat *st)
{
	int ret;

	node->ino_hint = hash_dev_ino(st->st_dev, st->st_ino);
	erofs_import_mtime(c->p, node, st->st_mtim.tv_sec,
			   (uint32_t)st->st_mtim.tv_nsec);
	node->path = image_path_dup(c);
	if (!node->path)
		return -ENOMEM;
	ret = erofs_import_owner(c->p, node, st->st_uid, st->st_gid);
	if (ret)
		IMPORT_ERR(c, "uid/gid %lld/%lld out of range after offsets",
			   (long long)st->st_uid + c->p->uid_offset,
			   (long long)st->st_gid + c->p->gid_offset);
	return ret;
}

static int import_tree(struct import_ctx *c, int dfd, struct erofs_node *dir);

static bool has_xattr(const struct erofs_node *node, const char *name)
{
	size_t i;

	for (i = 0; i < node->nr_xattrs; i++)
		if (!strcmp(node->xattrs[i].name, name))
			return true;
	return false;
}

/* one directory entry (c->rel already names it) */
static int import_entry(struct import_ctx *c, int dfd, struct erofs_node *dir,
			const char *name, size_t len)
{
	struct erofs_node *node;
	struct hardlink *hl;
	bool track_link = false;
	struct stat st;
	int ret, fd = -1;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		ret = -errno;
		IMPORT_ERR(c, "cannot stat: %s", strerror(-ret));
		return ret;
	}
	if (c->has_skip && st.st_dev == c->skip_dev && st.st_ino == c->skip_ino) {
		IMPORT_DBG(c, "skipped (the file being written)");
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st)) {
			ret = -errno;
			IMPORT_ERR(c, "cannot open directory: %s",
				   strerror(-ret));
			if (fd >= 0)
				close(fd);
			return ret;
		}
	} else if (st.st_nlink > 1 && !c->p->hard_dereference) {
		hl = hardlink_find(c, st.st_dev, st.st_ino);
		track_link = true;
		if (hl) {
			note_progress(c);
			return erofs_tree_add(dir, name, len, hl->node);
		}
	}

	node = erofs_node_new(st.st_mode);
	if (!node) {
		ret = -ENOMEM;
		goto out;
	}
	ret = fill_node(c, node, &st);
	if (ret)
		goto out;

	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		node->size = (uint64_t)st.st_size;
		node->src_path = src_path_dup(c);
		if (!node->src_path)
			ret = -ENOMEM;
		break;
	case S_IFLNK:
		ret = read_symlink(c, node, dfd, name, &st);
		break;
	case S_IFCHR:
	case S_IFBLK:
		node->rdev = (uint64_t)st.st_rdev;
		break;
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFDIR:
		break;
	default:
		IMPORT_ERR(c, "unsupported file type 0%o",
			   (unsigned int)(st.st_mode & S_IFMT));
		ret = -EOPNOTSUPP;
	}
	if (!ret)
		ret = import_xattrs(c, node, fd, dfd, name);
	if (!ret)
		ret = apply_selabel(c, node);
	if (!ret)
		ret = erofs_tree_add(dir, name, len, node);
	/*
	 * As erofs-utils: a directory holding an overlayfs whiteout gets an
	 * empty trusted.overlay.origin, so that overlayfs does not list it
	 * directly and show the whiteouts (kernel commit b79e05aaa166); an
	 * origin the directory has already is kept.
	 */
	if (!ret && S_ISCHR(node->mode) && !node->rdev && c->p->xattrs &&
	    !has_xattr(dir, "trusted.overlay.origin"))
		ret = erofs_node_set_xattr(dir, "trusted.overlay.origin", "", 0);
	if (!ret && track_link)
		ret = hardlink_add(c, st.st_dev, st.st_ino, node);
	note_progress(c);
	if (!ret && fd >= 0)
		ret = import_tree(c, fd, node);
out:
	erofs_node_put(node);	/* the dentry holds the tree's reference */
	if (fd >= 0)
		close(fd);
	return ret;
}

struct name_vec {
	char **v;
	size_t n, cap;
};

static int name_ptr_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return erofs_name_cmp(x, strlen(x), y, strlen(y));
}

/* list a directory's names (without . and ..) in name order */
static int list_dir(struct import_ctx *c, int dfd, struct name_vec *nv)
{
	DIR *d;
	struct dirent *de;
	int fd = dup(dfd), ret = 0;

	if (fd < 0 || !(d = fdopendir(fd))) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		IMPORT_ERR(c, "cannot read directory: %s", strerror(-ret));
		return ret;
	}
	rewinddir(d);
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno) {
				ret = -errno;
				IMPORT_ERR(c, "cannot read directory: %s",
					   strerror(-ret));
			}
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ret = erofs_array_reserve(&nv->v, &nv->cap, nv->n + 1);
		if (ret)
			break;
		nv->v[nv->n] = strdup(de->d_name);
		if (!nv->v[nv->n]) {
			ret = -ENOMEM;
			break;
		}
		nv->n++;
	}
	closedir(d);
	if (!ret && nv->n > 1)
		qsort(nv->v, nv->n, sizeof(*nv->v), name_ptr_cmp);
	return ret;
}

static int import_tree(struct import_ctx *c, int dfd, struct erofs_node *dir)
{
	struct name_vec nv = { 0 };
	size_t i, base = c->rel_len;
	int ret = list_dir(c, dfd, &nv);

	for (i = 0; !ret && i < nv.n; i++) {
		size_t len = strlen(nv.v[i]);

		ret = rel_push(c, nv.v[i], len);
		if (ret)
			break;
		if (len > 255) {
			IMPORT_ERR(c, "name is longer than 255 bytes");
			ret = -ENAMETOOLONG;
		} else if (erofs_import_filter_match(&c->filter, c->rel)) {
			IMPORT_DBG(c, "excluded");
		} else {
			ret = import_entry(c, dfd, dir, nv.v[i], len);
		}
		rel_pop(c, base);
	}
	for (i = 0; i < nv.n; i++)
		free(nv.v[i]);
	free(nv.v);
	return ret;
}

int erofs_import_filter_init(struct erofs_import_filter *f,
			      const struct erofs_import_params *p)
{
	size_t n, i;

	for (n = 0; p->exclude_paths && p->exclude_paths[n]; n++)
		;
	if (n) {
		f->excludes = calloc(n, sizeof(*f->excludes));
		if (!f->excludes)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const char *s = p->exclude_paths[i];
		size_t len;

		while (*s == '/')
			s++;
		len = strlen(s);
		while (len && s[len - 1] == '/')
			len--;
		f->excludes[i] = strndup(s, len);
		if (!f->excludes[i])
			return -ENOMEM;
		f->nr_excludes++;
	}

	for (n = 0; p->exclude_regex && p->exclude_regex[n]; n++)
		;
	if (n) {
		f->regs = calloc(n, sizeof(*f->regs));
		if (!f->regs)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		int err = regcomp(&f->regs[i], p->exclude_regex[i],
				  REG_EXTENDED | REG_NOSUB);

		if (err) {
			char msg[256];

			regerror(err, &f->regs[i], msg, sizeof(msg));
			erofs_err(p->log, "invalid exclude regex '%s': %s",
				  p->exclude_regex[i], msg);
			return -EINVAL;
		}
		f->nr_regs++;
	}
	return 0;
}

void erofs_import_filter_release(struct erofs_import_filter *f)
{
	size_t i;

	for (i = 0; i < f->nr_excludes; i++)
		free(f->excludes[i]);
	free(f->excludes);
	for (i = 0; i < f->nr_regs; i++)
		regfree(&f->regs[i]);
	free(f->regs);
	memset(f, 0, sizeof(*f));
}

static void ctx_release(struct import_ctx *c)
{
	erofs_import_filter_release(&c->filter);
	erofs_selabel_close(c->sel);
	free(c->links);
	erofs_htab_release(&c->link_index);
	free(c->rel);
}

int erofs_import_dir(const struct erofs_import_params *p, const char *src_dir,
		     struct erofs_node **rootp)
{
	struct import_ctx c = { .p = p, .log = p->log, .src = src_dir };
	struct erofs_node *root = NULL;
	struct stat st;
	int fd = -1, ret;

	*rootp = NULL;
	ret = rel_push(&c, "", 0);	/* allocate the empty relative path */
	if (!ret)
		ret = erofs_import_filter_init(&c.filter, p);
	if (!ret && p->file_contexts)
		ret = erofs_selabel_open(&c.sel, p->file_contexts,
					 p->mount_point, p->log);
	if (ret)
		goto out;
	c.procfd = !access("/proc/self/fd", X_OK);
	if (p->skip_file && !stat(p->skip_file, &st)) {
		c.has_skip = true;
		c.skip_dev = st.st_dev;
		c.skip_ino = st.st_ino;
	}

	fd = open(src_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		erofs_err(p->log, "cannot open source directory %s: %s",
			  src_dir, strerror(-ret));
		goto out;
	}
	root = erofs_node_new(st.st_mode);
	if (!root) {
		ret = -ENOMEM;
		goto out;
	}
	ret = fill_node(&c, root, &st);
	if (!ret)
		ret = import_xattrs(&c, root, fd, -1, NULL);
	if (!ret)
		ret = apply_selabel(&c, root);
	note_progress(&c);
	if (!ret)
		ret = import_tree(&c, fd, root);
	if (!ret) {
		ret = erofs_tree_finalize(root);
		if (ret)
			erofs_err(p->log, "%s: cannot finalize the tree: %s",
				  src_dir, strerror(-ret));
	}
	if (!ret && p->progress)
		p->progress(p->progress_priv, c.done);
out:
	if (fd >= 0)
		close(fd);
	ctx_release(&c);
	if (ret) {
		if (ret == -ENOMEM)
			erofs_err(p->log, "out of memory importing %s", src_dir);
		erofs_node_put(root);
		return ret;
	}
	*rootp = root;
	return 0;
}
