// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * walk.c - the directory-tree walk (erofs/walk.h): an explicit stack of
 * directories being listed, a nid table and the current path.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "erofs/array.h"
#include "erofs/walk.h"

struct walk_dirent {
	erofs_nid_t nid;
	unsigned int file_type;
	size_t name_off;
	unsigned int name_len;
};

/* one directory on the stack: its entries and how far they were followed */
struct erofs_walk_frame {
	struct erofs_inode dir;
	size_t idx;
	unsigned int depth;
	bool parent_known;
	erofs_nid_t parent;
	size_t pathlen;			/* length of the directory's path */
	struct walk_dirent *ents;
	size_t nr, cap, next;
	char *names;			/* each name NUL-terminated */
	size_t names_len, names_cap;
};

void erofs_walk_init(struct erofs_walk *w, struct erofs_image *img,
		     const struct erofs_walk_ops *ops, void *priv)
{
	memset(w, 0, sizeof(*w));
	w->img = img;
	w->ops = ops;
	w->priv = priv;
}

static void frame_release(struct erofs_walk_frame *f)
{
	free(f->ents);
	free(f->names);
}

void erofs_walk_release(struct erofs_walk *w)
{
	size_t i;

	for (i = 0; i < w->depth; i++)
		frame_release(&w->stack[i]);
	free(w->stack);
	free(w->nodes);
	free(w->names);
	erofs_idxtab_release(&w->index);
	free(w->path);
	memset(w, 0, sizeof(*w));
}

long erofs_walk_find(const struct erofs_walk *w, erofs_nid_t nid)
{
	size_t iter = 0;
	uint32_t v;

	while (erofs_idxtab_next(&w->index, erofs_hash_u64(nid), &iter, &v))
		if (w->nodes[v].nid == nid)
			return (long)v;
	return -1;
}

static uint64_t node_hash(const void *priv, uint32_t idx)
{
	const struct erofs_walk *w = priv;

	return erofs_hash_u64(w->nodes[idx].nid);
}

/*
 * A node met at path: below parent (a node index + 1) it keeps only the
 * name, the last name_len bytes of path; at the top (parent 0: the
 * start's entries and marks) the whole path.
 */
static long node_add(struct erofs_walk *w, erofs_nid_t nid, const char *path,
		     size_t parent, size_t name_len)
{
	struct erofs_walk_node *n;
	size_t len = strlen(path);
	int ret;

	if (!parent)
		name_len = len;
	if (w->nr_nodes >= UINT32_MAX || name_len > UINT32_MAX)
		return -ENOMEM;
	ret = erofs_array_reserve(&w->nodes, &w->nodes_cap, w->nr_nodes + 1);
	if (!ret)
		ret = erofs_array_reserve(&w->names, &w->names_cap,
					  w->names_len + name_len);
	if (ret)
		return ret;
	n = &w->nodes[w->nr_nodes];
	n->nid = nid;
	ret = erofs_idxtab_add(&w->index, erofs_hash_u64(nid),
			       (uint32_t)w->nr_nodes, node_hash, w);
	if (ret)
		return ret == -EOVERFLOW ? -ENOMEM : ret;
	n->parent = (uint32_t)parent;
	n->name_len = (uint32_t)name_len;
	n->name_off = w->names_len;
	memcpy(w->names + w->names_len, path + len - name_len, name_len);
	w->names_len += name_len;
	return (long)w->nr_nodes++;
}

long erofs_walk_mark(struct erofs_walk *w, erofs_nid_t nid, const char *path)
{
	long idx = erofs_walk_find(w, nid);

	return idx >= 0 ? idx : node_add(w, nid, path, 0, 0);
}

size_t erofs_walk_nr_nodes(const struct erofs_walk *w)
{
	return w->nr_nodes;
}

const struct erofs_walk_node *erofs_walk_node(const struct erofs_walk *w,
					      size_t idx)
{
	return idx < w->nr_nodes ? &w->nodes[idx] : NULL;
}

const char *erofs_walk_path(const struct erofs_walk *w)
{
	return w->path;
}

static const char *relpath(const struct erofs_walk *w, const char *path)
{
	const char *p = path + EROFS_MIN(w->base_len, strlen(path));

	return *p == '/' ? p + 1 : p;
}

const char *erofs_walk_relpath(const struct erofs_walk *w)
{
	return relpath(w, w->path);
}

int erofs_walk_node_path(const struct erofs_walk *w, size_t idx, bool rel,
			 char **buf, size_t *cap)
{
	const struct erofs_walk_node *n;
	size_t len = 0, i = idx, end;
	int ret;

	if (idx >= w->nr_nodes)
		return -ENOENT;
	/* the length first, then the names from the last one back */
	for (n = &w->nodes[i]; ; n = &w->nodes[n->parent - 1]) {
		len += n->name_len;
		if (!n->parent)
			break;
		len++;
	}
	ret = erofs_array_reserve(buf, cap, len + 1);
	if (ret)
		return ret;
	end = len;
	(*buf)[end] = '\0';
	for (n = &w->nodes[i]; ; n = &w->nodes[n->parent - 1]) {
		end -= n->name_len;
		memcpy(*buf + end, w->names + n->name_off, n->name_len);
		if (!n->parent)
			break;
		(*buf)[--end] = '/';
	}
	if (rel) {
		const char *r = relpath(w, *buf);

		memmove(*buf, r, strlen(r) + 1);
	}
	return 0;
}

/* the path becomes its first len bytes, then "/" name */
static int path_set(struct erofs_walk *w, size_t len, const char *name,
		    size_t name_len)
{
	size_t need = len + 1 + name_len + 1;
	int ret;

	ret = erofs_array_reserve(&w->path, &w->pathcap, need);
	if (ret)
		return ret;
	/* below "/" a name is "/name", not "//name" */
	if (len != 1 || w->path[0] != '/')
		w->path[len++] = '/';
	memcpy(w->path + len, name, name_len);
	w->pathlen = len + name_len;
	w->path[w->pathlen] = '\0';
	return 0;
}

static void path_cut(struct erofs_walk *w, size_t len)
{
	w->pathlen = len;
	w->path[len] = '\0';
}

struct list_ctx {
	struct erofs_walk *w;
	struct erofs_walk_frame *f;
	struct erofs_walk_dir *d;
	int err;			/* a callback's or the allocator's */
};

static int list_cb(void *priv, const struct erofs_dir_entry *ent)
{
	struct list_ctx *lc = priv;
	struct erofs_walk_frame *f = lc->f;
	struct walk_dirent *de;
	int ret = 0;

	if (lc->w->ops->dirent) {
		ret = lc->w->ops->dirent(lc->w->priv, lc->d, ent);
		if (ret < 0)
			return lc->err = ret;
	}
	if (ret == EROFS_WALK_SKIP ||
	    (ent->name_len == 1 && ent->name[0] == '.') ||
	    (ent->name_len == 2 && !memcmp(ent->name, "..", 2)) ||
	    memchr(ent->name, '/', ent->name_len) ||
	    memchr(ent->name, '\0', ent->name_len))
		return 0;
	ret = erofs_array_reserve(&f->ents, &f->cap, f->nr + 1);
	if (!ret)
		ret = erofs_array_reserve(&f->names, &f->names_cap,
					  f->names_len + ent->name_len + 1);
	if (ret)
		return lc->err = ret;
	de = &f->ents[f->nr++];
	de->nid = ent->nid;
	de->file_type = ent->file_type;
	de->name_off = f->names_len;
	de->name_len = ent->name_len;
	memcpy(f->names + f->names_len, ent->name, ent->name_len);
	f->names_len += ent->name_len;
	f->names[f->names_len++] = '\0';
	return 0;
}

/* push dir (at the current path) and list its entries */
static int enter(struct erofs_walk *w, struct erofs_inode *dir, size_t idx,
		 unsigned int depth, bool parent_known, erofs_nid_t parent)
{
	struct erofs_walk_dir d = {
		.walk = w, .idx = idx, .parent_known = parent_known,
		.parent = parent, .depth = depth,
	};
	struct erofs_walk_frame *f;
	struct list_ctx lc;
	int ret;

	ret = erofs_array_reserve(&w->stack, &w->stack_cap, w->depth + 1);
	if (ret)
		return ret;
	f = &w->stack[w->depth++];
	memset(f, 0, sizeof(*f));
	f->dir = *dir;
	f->idx = idx;
	f->depth = depth;
	f->parent_known = parent_known;
	f->parent = parent;
	f->pathlen = w->pathlen;
	d.inode = &f->dir;
	lc = (struct list_ctx){ w, f, &d, 0 };
	ret = erofs_dir_iterate(&f->dir, list_cb, &lc);
	/*
	 * A callback's error stops the walk; a directory that cannot be
	 * read (entirely) does not: the entries read are still followed.
	 */
	if (lc.err)
		return lc.err;
	if (w->ops->dir_read)
		return w->ops->dir_read(w->priv, &d, ret);
	return 0;
}

/* follow the next entry of the top frame */
static int step(struct erofs_walk *w)
{
	struct erofs_walk_frame *f = &w->stack[w->depth - 1];
	const struct walk_dirent *de = &f->ents[f->next++];
	struct erofs_walk_entry e = {
		.walk = w, .parent = f->dir.nid, .parent_idx = f->idx,
		.nid = de->nid,
		.file_type = de->file_type, .name = f->names + de->name_off,
		.name_len = de->name_len, .depth = f->depth + 1,
	};
	struct erofs_inode inode;
	long idx;
	int ret, err;

	ret = path_set(w, f->pathlen, e.name, e.name_len);
	if (ret)
		return ret;
	idx = erofs_walk_find(w, e.nid);
	if (idx >= 0)
		return w->ops->again ? w->ops->again(w->priv, &e, idx) : 0;
	/*
	 * Below the start, the directory's node holds the path the walk
	 * came by; the start's own may be another (marked before), so its
	 * entries keep their whole paths.
	 */
	idx = node_add(w, e.nid, w->path, w->depth > 1 ? f->idx + 1 : 0,
		       e.name_len);
	if (idx < 0)
		return idx;
	err = erofs_inode_read(w->img, e.nid, &inode);
	ret = w->ops->visit ? w->ops->visit(w->priv, &e, idx,
					    err ? NULL : &inode, err) : 0;
	if (ret < 0 || err || ret == EROFS_WALK_SKIP || !S_ISDIR(inode.mode))
		return ret < 0 ? ret : 0;
	/* f may move when the stack grows: copy what enter() needs first */
	return enter(w, &inode, idx, e.depth, true, e.parent);
}

int erofs_walk_run(struct erofs_walk *w, struct erofs_inode *start,
		   const char *start_path, bool parent_known,
		   erofs_nid_t parent)
{
	size_t len = strlen(start_path);
	long idx;
	int ret;

	ret = erofs_array_reserve(&w->path, &w->pathcap, len + 1);
	if (ret)
		return ret;
	memcpy(w->path, start_path, len + 1);
	w->pathlen = w->base_len = len;
	/* the start may have been marked (a corrupt root = packed nid) */
	idx = erofs_walk_mark(w, start->nid, w->path);
	if (idx < 0)
		return idx;
	ret = w->ops->visit ? w->ops->visit(w->priv, NULL, idx, start, 0) : 0;
	if (ret < 0)
		return ret;
	if (ret != EROFS_WALK_SKIP && S_ISDIR(start->mode))
		ret = enter(w, start, idx, 0, parent_known, parent);
	while (ret >= 0 && w->depth) {
		struct erofs_walk_frame *f = &w->stack[w->depth - 1];

		if (f->next < f->nr) {
			ret = step(w);
			continue;
		}
		path_cut(w, f->pathlen);
		if (w->ops->leave) {
			struct erofs_walk_dir d = {
				.walk = w, .inode = &f->dir, .idx = f->idx,
				.parent_known = f->parent_known,
				.parent = f->parent, .depth = f->depth,
			};

			ret = w->ops->leave(w->priv, &d);
		}
		frame_release(f);
		w->depth--;
	}
	return ret < 0 ? ret : 0;
}
