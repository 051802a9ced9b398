/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * walk.h - the one directory-tree walk of the reader side (check, extract,
 * fingerprints, dump statistics).
 *
 * The walk starts at one inode and visits every inode reachable from it
 * exactly once per nid, under the first path it is met at.  Order is
 * depth-first pre-order in on-disk directory order (which mkfs sorts by
 * name), so it is deterministic for an image.  Everything about loops,
 * depth and hard links is decided here:
 *  - a nid met again (a hard link, or a directory reached twice, which is
 *    a cycle or a directory hard link) goes to ops->again and is never
 *    entered twice, so any image terminates;
 *  - "." and "..", and names containing '/' or NUL are never followed
 *    (they still go to ops->dirent, so a checker can judge them);
 *  - there is no depth limit: the walk keeps its own stack on the heap,
 *    so a valid tree of any depth is walked (a consumer that wants a
 *    limit refuses to enter a directory from ops->visit);
 *  - a directory's entries are copied out before any is followed, so the
 *    reader's directory iterator is never re-entered.
 *
 * Callbacks return 0 to go on, a negative errno to stop the walk (that
 * value is returned by erofs_walk_run), or, where said, EROFS_WALK_SKIP.
 * Node indexes count the distinct nids in the order they were first met
 * (0 = the start, or the first erofs_walk_mark()ed nid), so a consumer
 * keeps its per-inode records in a plain array indexed by them.
 */
#ifndef __EROFS_WALK_H
#define __EROFS_WALK_H

#include "erofs/htab.h"
#include "erofs/reader.h"

/* from ops->dirent: do not follow; from ops->visit: do not enter */
#define EROFS_WALK_SKIP		1

struct erofs_walk;

/* the directory entry being followed */
struct erofs_walk_entry {
	const struct erofs_walk *walk;	/* for erofs_walk_path() & co */
	erofs_nid_t parent;		/* nid of the directory holding it */
	size_t parent_idx;		/* its node index */
	erofs_nid_t nid;
	unsigned int file_type;		/* EROFS_FT_* as stored */
	const char *name;		/* NUL-terminated copy */
	unsigned int name_len;
	unsigned int depth;		/* the start is 0, its entries 1 */
};

/* the directory being read (ops->dirent, ops->dir_read) or left */
struct erofs_walk_dir {
	const struct erofs_walk *walk;
	struct erofs_inode *inode;
	size_t idx;
	/* the nid its ".." must point at, when known */
	bool parent_known;
	erofs_nid_t parent;
	unsigned int depth;
};

struct erofs_walk_ops {
	/*
	 * Every stored entry of a directory as read, in on-disk order, "."
	 * and ".." included, before any entry is followed.  Return
	 * EROFS_WALK_SKIP to not follow this one.
	 */
	int (*dirent)(void *priv, const struct erofs_walk_dir *d,
		      const struct erofs_dir_entry *ent);
	/* the directory was read; err is erofs_dir_iterate()'s result */
	int (*dir_read)(void *priv, const struct erofs_walk_dir *d, int err);
	/*
	 * First arrival at a nid.  e is NULL for the start inode.  inode is
	 * the inode read, or NULL when reading it failed with err.  Return
	 * EROFS_WALK_SKIP to not enter this directory.
	 */
	int (*visit)(void *priv, const struct erofs_walk_entry *e, size_t idx,
		     struct erofs_inode *inode, int err);
	/* a nid already visited (or marked) was met again */
	int (*again)(void *priv, const struct erofs_walk_entry *e, size_t idx);
	/*
	 * all entries of a directory entered were followed (post-order);
	 * the path is the directory's again
	 */
	int (*leave)(void *priv, const struct erofs_walk_dir *d);
};

/*
 * The first path an inode was met at is its directory's, then its name:
 * kept as the directory's node and the name (a third of the memory of
 * whole paths).  Erofs_walk_node_path() puts it together.
 */
struct erofs_walk_node {
	erofs_nid_t nid;
	uint32_t parent;		/* node index + 1; 0: name is the path */
	uint32_t name_len;
	size_t name_off;		/* in erofs_walk.names */
};

struct erofs_walk_frame;

/* every field is private to lib/walk.c; read through the functions */
struct erofs_walk {
	struct erofs_image *img;
	const struct erofs_walk_ops *ops;
	void *priv;
	struct erofs_idxtab index;	/* nid -> node index */
	struct erofs_walk_node *nodes;
	size_t nr_nodes, nodes_cap;
	char *names;			/* the nodes' names, one after another */
	size_t names_len, names_cap;
	struct erofs_walk_frame *stack;
	size_t depth, stack_cap;
	char *path;
	size_t pathlen, pathcap, base_len;
};

void erofs_walk_init(struct erofs_walk *w, struct erofs_image *img,
		     const struct erofs_walk_ops *ops, void *priv);
void erofs_walk_release(struct erofs_walk *w);

/*
 * Remember nid as already visited under path (e.g. the packed inode, which
 * no name should reach): meeting it later calls ops->again.  Returns the
 * node index, or -ENOMEM.
 */
long erofs_walk_mark(struct erofs_walk *w, erofs_nid_t nid, const char *path);

/*
 * Walk from start (already read by the caller), whose path is start_path
 * ("/" for the root, "/a/b", or any label such as "<nid 36>").  For a
 * directory start, parent is what its ".." must be (if parent_known).
 * Returns 0 or the first negative callback value / -ENOMEM.
 */
int erofs_walk_run(struct erofs_walk *w, struct erofs_inode *start,
		   const char *start_path, bool parent_known,
		   erofs_nid_t parent);

/* the path of the inode or entry being reported (valid in callbacks) */
const char *erofs_walk_path(const struct erofs_walk *w);
/*
 * The same path relative to the start: "" for the start itself, "a/b"
 * below it (what an extraction creates under its target).
 */
const char *erofs_walk_relpath(const struct erofs_walk *w);
/*
 * The first path of node idx, whole or (rel) relative to the start like
 * the above, into *buf (grown with erofs_array_reserve, the caller's to
 * free).  0, -ENOENT (no such node) or -ENOMEM.
 */
int erofs_walk_node_path(const struct erofs_walk *w, size_t idx, bool rel,
			 char **buf, size_t *cap);

size_t erofs_walk_nr_nodes(const struct erofs_walk *w);
const struct erofs_walk_node *erofs_walk_node(const struct erofs_walk *w,
					      size_t idx);
/* the node index of nid, or -1 when it was not met */
long erofs_walk_find(const struct erofs_walk *w, erofs_nid_t nid);

#endif
