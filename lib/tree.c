// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * tree.c - the in-memory tree between importers and the writer
 * (see erofs/tree.h).
 *
 * Walks over the tree (freeing, finalizing) use an explicit work stack
 * rather than recursion, so a pathologically deep source tree cannot
 * exhaust the C stack.  Arrays grow through erofs_array_reserve(), so
 * adding the n-th dentry or xattr is amortised O(1).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "erofs/array.h"
#include "erofs/tree.h"

/* a growable stack of node pointers for the iterative walks */
struct node_stack {
	struct erofs_node **v;
	size_t n, cap;
};

static int node_stack_push(struct node_stack *s, struct erofs_node *node)
{
	int ret = erofs_array_reserve(&s->v, &s->cap, s->n + 1);

	if (ret)
		return ret;
	s->v[s->n++] = node;
	return 0;
}

struct erofs_node *erofs_node_new(mode_t mode)
{
	struct erofs_node *node = calloc(1, sizeof(*node));

	if (!node)
		return NULL;
	node->refcount = 1;
	node->mode = mode;
	return node;
}

/* frees what the node owns, but not its children */
static void node_free_one(struct erofs_node *node)
{
	size_t i;

	for (i = 0; i < node->nr_xattrs; i++) {
		free(node->xattrs[i].name);
		free(node->xattrs[i].value);
	}
	free(node->xattrs);
	for (i = 0; i < node->nr_dentries; i++)
		free(node->dentries[i].name);
	free(node->dentries);
	free(node->symlink);
	free(node->src_path);
	free(node->pieces);
	free(node->path);
	/* the writer owns ->wr and must have released it */
	free(node);
}

static void node_put_slow(struct erofs_node *node)
{
	struct node_stack st = { 0 };
	size_t i;

	/*
	 * Children whose last reference goes away are queued instead of
	 * recursed into.  If the queue cannot grow we fall back to
	 * recursion for that child, which is correct, only deeper.
	 */
	if (node_stack_push(&st, node)) {
		node_free_one(node);
		return;
	}
	while (st.n) {
		struct erofs_node *cur = st.v[--st.n];

		for (i = 0; i < cur->nr_dentries; i++) {
			struct erofs_node *child = cur->dentries[i].inode;

			if (!child || --child->refcount)
				continue;
			if (node_stack_push(&st, child)) {
				child->refcount = 1;
				erofs_node_put(child);
			}
		}
		node_free_one(cur);
	}
	free(st.v);
}

void erofs_node_put(struct erofs_node *node)
{
	if (!node || --node->refcount)
		return;
	node_put_slow(node);
}

int erofs_name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int ret = memcmp(a, b, EROFS_MIN(alen, blen));

	if (ret)
		return ret < 0 ? -1 : 1;
	if (alen == blen)
		return 0;
	return alen < blen ? -1 : 1;
}

int erofs_tree_add(struct erofs_node *dir, const char *name, size_t name_len,
		   struct erofs_node *child)
{
	struct erofs_dentry *d;

	if (!S_ISDIR(dir->mode) || !child)
		return -ENOTDIR;
	/* one path component: no '/', no NUL, not "." or ".." */
	if (!name_len || name_len > 255 || memchr(name, '/', name_len) ||
	    memchr(name, '\0', name_len))
		return -EINVAL;
	if ((name_len == 1 && name[0] == '.') ||
	    (name_len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;

	if (erofs_array_reserve(&dir->dentries, &dir->cap_dentries,
				dir->nr_dentries + 1))
		return -ENOMEM;
	d = &dir->dentries[dir->nr_dentries];
	d->name = malloc(name_len + 1);
	if (!d->name)
		return -ENOMEM;
	memcpy(d->name, name, name_len);
	d->name[name_len] = '\0';
	d->name_len = name_len;
	d->inode = child;
	child->refcount++;
	if (S_ISDIR(child->mode) && !child->parent)
		child->parent = dir;
	dir->nr_dentries++;
	return 0;
}

static struct erofs_xattr *node_find_xattr(struct erofs_node *node,
					   const char *name)
{
	size_t i;

	for (i = 0; i < node->nr_xattrs; i++)
		if (!strcmp(node->xattrs[i].name, name))
			return &node->xattrs[i];
	return NULL;
}

static uint64_t dindex_hash(const struct erofs_node *dir, const char *name,
			    size_t len)
{
	return erofs_hash_bytes(name, len) ^
	       erofs_hash_u64((uint64_t)(uintptr_t)dir);
}

int erofs_dindex_add(struct erofs_dindex *ix, struct erofs_node *dir,
		     const char *name, size_t len, struct erofs_node *child)
{
	int ret = erofs_tree_add(dir, name, len, child);

	/* failing here leaves a name the index lacks: callers stop */
	if (!ret)
		ret = erofs_htab_add(&ix->tab, dindex_hash(dir, name, len),
				     dir->nr_dentries - 1);
	return ret;
}

struct erofs_dentry *erofs_dindex_find(const struct erofs_dindex *ix,
				       struct erofs_node *dir,
				       const char *name, size_t len)
{
	size_t pos = 0;
	uint64_t i;

	/*
	 * A candidate may have been filed for another directory; but names
	 * are unique within dir, so a dentry of dir with this name is the one.
	 */
	while (erofs_htab_next(&ix->tab, dindex_hash(dir, name, len), &pos,
			       &i)) {
		struct erofs_dentry *d;

		if (i >= dir->nr_dentries)
			continue;
		d = &dir->dentries[i];
		if (d->name_len == len && !memcmp(d->name, name, len))
			return d;
	}
	return NULL;
}

void erofs_dindex_release(struct erofs_dindex *ix)
{
	erofs_htab_release(&ix->tab);
}

int erofs_node_add_piece(struct erofs_node *node, uint64_t len, uint64_t pos,
			 uint32_t device)
{
	struct erofs_node_piece *last = node->nr_pieces ?
		&node->pieces[node->nr_pieces - 1] : NULL;

	if (!len)
		return 0;
	if (last && last->device == device &&
	    (device == EROFS_PIECE_HOLE || last->pos + last->len == pos)) {
		last->len += len;
		return 0;
	}
	if (erofs_array_reserve(&node->pieces, &node->cap_pieces,
				node->nr_pieces + 1))
		return -ENOMEM;
	node->pieces[node->nr_pieces++] = (struct erofs_node_piece){
		.len = len, .pos = pos, .device = device,
	};
	return 0;
}

int erofs_node_set_xattr(struct erofs_node *node, const char *name,
			 const void *value, size_t value_len)
{
	struct erofs_xattr *x = node_find_xattr(node, name);
	void *v;

	if (!*name)
		return -EINVAL;
	/* malloc(0) may return NULL; always keep a valid pointer */
	v = malloc(value_len ? value_len : 1);
	if (!v)
		return -ENOMEM;
	if (value_len)
		memcpy(v, value, value_len);

	if (!x) {
		char *n = strdup(name);

		if (!n) {
			free(v);
			return -ENOMEM;
		}
		if (erofs_array_reserve(&node->xattrs, &node->cap_xattrs,
					node->nr_xattrs + 1)) {
			free(n);
			free(v);
			return -ENOMEM;
		}
		x = &node->xattrs[node->nr_xattrs++];
		x->name = n;
		x->name_len = strlen(n);
	} else {
		free(x->value);
	}
	x->value = v;
	x->value_len = value_len;
	return 0;
}

int erofs_node_del_xattr(struct erofs_node *node, const char *name)
{
	struct erofs_xattr *x = node_find_xattr(node, name);
	size_t i;

	if (!x)
		return -ENODATA;
	i = (size_t)(x - node->xattrs);
	free(x->name);
	free(x->value);
	memmove(x, x + 1, (node->nr_xattrs - i - 1) * sizeof(*x));
	node->nr_xattrs--;
	return 0;
}

static int dentry_cmp(const void *a, const void *b)
{
	const struct erofs_dentry *da = a, *db = b;

	return erofs_name_cmp(da->name, da->name_len, db->name, db->name_len);
}

static int xattr_cmp(const void *a, const void *b)
{
	const struct erofs_xattr *xa = a, *xb = b;

	return erofs_name_cmp(xa->name, xa->name_len, xb->name, xb->name_len);
}

/* sort one node's xattrs; names were unique on insertion, check anyway */
static int node_sort_xattrs(struct erofs_node *node)
{
	size_t i;

	if (node->nr_xattrs > 1)
		qsort(node->xattrs, node->nr_xattrs, sizeof(*node->xattrs),
		      xattr_cmp);
	for (i = 1; i < node->nr_xattrs; i++)
		if (!xattr_cmp(&node->xattrs[i - 1], &node->xattrs[i]))
			return -EEXIST;
	return 0;
}

/*
 * Two passes: first zero every nlink reachable from root, then count.
 * A directory is counted when it is popped (2 + its subdirectories); its
 * nlink being non-zero at that point means a second name led to it,
 * which no importer may produce.
 */
int erofs_tree_finalize(struct erofs_node *root)
{
	struct node_stack st = { 0 };
	size_t i;
	int ret;

	if (!root || !S_ISDIR(root->mode))
		return -ENOTDIR;

	root->nlink = 0;
	ret = node_stack_push(&st, root);
	while (!ret && st.n) {
		struct erofs_node *dir = st.v[--st.n];

		for (i = 0; i < dir->nr_dentries && !ret; i++) {
			struct erofs_node *child = dir->dentries[i].inode;

			child->nlink = 0;
			if (S_ISDIR(child->mode))
				ret = node_stack_push(&st, child);
		}
	}
	if (ret)
		goto out;

	st.n = 0;
	ret = node_stack_push(&st, root);
	while (!ret && st.n) {
		struct erofs_node *dir = st.v[--st.n];

		if (dir->nlink) {
			ret = -EMLINK;	/* a directory with two names */
			break;
		}
		dir->nlink = 2;
		if (dir->nr_dentries > 1)
			qsort(dir->dentries, dir->nr_dentries,
			      sizeof(*dir->dentries), dentry_cmp);
		ret = node_sort_xattrs(dir);
		for (i = 0; i < dir->nr_dentries && !ret; i++) {
			struct erofs_dentry *d = &dir->dentries[i];
			struct erofs_node *child = d->inode;

			if (i && !dentry_cmp(&dir->dentries[i - 1], d)) {
				ret = -EEXIST;
				break;
			}
			if (S_ISDIR(child->mode)) {
				dir->nlink++;
				child->parent = dir;
				ret = node_stack_push(&st, child);
				continue;
			}
			/* a hard-linked node is sorted once, on first sight */
			if (!child->nlink++)
				ret = node_sort_xattrs(child);
		}
	}
out:
	free(st.v);
	return ret;
}
