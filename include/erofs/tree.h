/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * tree.h - the in-memory tree that mkfs builds before writing an image.
 *
 * Importers (a host directory, later a tar stream) produce it; the writer
 * (erofs/mkfs.h) plans and emits the image from it.  The tree is pure data:
 * no image offsets live here except in the writer-private `wr` field.
 *
 * Invariants once an importer returns:
 *  - inodes and dentries are separate: a hard link is two dentries whose
 *    ->inode is the same struct erofs_node (->nlink counts the names,
 *    plus 2 + subdirectories for directories);
 *  - every directory's dentries are sorted by erofs_tree_finalize() in the
 *    format's order (memcmp, shorter first), "." and ".." not included;
 *  - xattrs of each node are sorted by full name, names unique;
 *  - regular file data is read from src_path at src_off, size bytes, or,
 *    when stream_id is set, is already in the image being built
 *    (erofs/stream.h, mkfs --sort=none), or, when nr_pieces is set, stays
 *    where it is on extra devices (struct erofs_node_piece: tar index
 *    mode, rebuild mode); such a file is written chunk-based.
 */
#ifndef __EROFS_TREE_H
#define __EROFS_TREE_H

#include <sys/types.h>
#include "erofs/defs.h"
#include "erofs/htab.h"

struct erofs_node;

struct erofs_xattr {
	char *name;		/* full name, e.g. "user.foo", NUL-terminated */
	size_t name_len;
	void *value;
	size_t value_len;
};

struct erofs_dentry {
	char *name;		/* one path component, no NUL inside */
	size_t name_len;
	struct erofs_node *inode;	/* holds one reference */
};

/*
 * A piece of a regular file whose data is not copied into the image: the
 * next len bytes of the file are at byte pos of extra device `device`
 * (1-based, in erofs_mkfs_params::devices order), or are a hole when
 * device is EROFS_PIECE_HOLE.  Pieces cover the file in order; pos and
 * every piece's len except the last are multiples of the block size.  The
 * writer turns them into chunk indexes (erofs-format.md 6), choosing the
 * largest chunk size that every boundary allows.
 */
#define EROFS_PIECE_HOLE	UINT32_MAX
struct erofs_node_piece {
	uint64_t len;
	uint64_t pos;
	uint32_t device;
};

struct erofs_node {
	unsigned int refcount;	/* dentries (and the root pointer) holding it */
	mode_t mode;		/* S_IFMT type and permission bits */
	uint64_t uid, gid;
	int64_t mtime;		/* seconds since the epoch */
	uint32_t mtime_nsec;
	uint64_t size;		/* regular files and symlinks */
	uint32_t nlink;
	uint64_t rdev;		/* makedev(major, minor) for devices */
	uint64_t ino_hint;	/* source (dev, ino) hash, diagnostics only */

	char *symlink;		/* target of a symlink, size bytes */
	char *src_path;		/* regular file: where the data is read */
	uint64_t src_off;	/* ... at this offset (tar spool files) */
	uint64_t stream_id;	/* regular file: 0, or its file in the
				   erofs_stream that holds its data */
	struct erofs_node_piece *pieces;	/* regular file: its data on
					   extra devices (nr_pieces > 0) */
	size_t nr_pieces, cap_pieces;
	/*
	 * Regular file: its blocks are reserved in the image (plain layout)
	 * and never written: someone fills them later, from the block list
	 * (mkfs --tar=X,MAPFILE) or otherwise (--clean=rvsp).  Pieces, if
	 * any, then say where each byte range is in the source archive
	 * (device 1 meaning the archive), for the block list.
	 */
	bool reserved;
	/*
	 * --incremental: an inode of the image being extended, kept as it
	 * is (never written; no dentries or data here): dentries name it by
	 * base_nid, its type is mode's S_IFMT.  A kept directory's ".."
	 * dirent, whose nid field is at image byte base_dotdot (0 = none to
	 * fix), is pointed at its new parent.
	 */
	bool kept;
	uint64_t base_nid;
	uint64_t base_dotdot;
	/*
	 * The SHA-256 of the content when the importer knows it and the
	 * writer cannot read the data (pieces); without it such a file gets
	 * no fingerprint.
	 */
	bool has_digest;
	uint8_t digest[32];
	char *path;		/* path inside the image, "/" for the root,
				   for messages */

	struct erofs_xattr *xattrs;
	size_t nr_xattrs, cap_xattrs;

	/* directories */
	struct erofs_node *parent;	/* the first directory that names it,
					   NULL for the root (no reference) */
	struct erofs_dentry *dentries;
	size_t nr_dentries, cap_dentries;

	void *wr;		/* writer-private state, freed by the writer */
};

/* a node with one reference and nlink 0; NULL when out of memory */
struct erofs_node *erofs_node_new(mode_t mode);
/* drop one reference; frees the node (and for a directory its subtree) at 0 */
void erofs_node_put(struct erofs_node *node);

/* add a dentry name -> child to dir; takes a new reference on child */
int erofs_tree_add(struct erofs_node *dir, const char *name, size_t name_len,
		   struct erofs_node *child);

/*
 * An index of dentries by (directory, name) for importers that look names
 * up while they build (dentries unsorted until erofs_tree_finalize()):
 * erofs_tree_add() through it, then find in constant time.  Dentry arrays
 * are only appended to, so the index stays valid until the tree is
 * finalized or a directory's dentries are rewritten.
 */
struct erofs_dindex {
	struct erofs_htab tab;	/* hash(dir, name) -> dentry index */
};

int erofs_dindex_add(struct erofs_dindex *ix, struct erofs_node *dir,
		     const char *name, size_t len, struct erofs_node *child);
struct erofs_dentry *erofs_dindex_find(const struct erofs_dindex *ix,
				       struct erofs_node *dir,
				       const char *name, size_t len);
void erofs_dindex_release(struct erofs_dindex *ix);
/* set (replace) an xattr; copies name and value */
int erofs_node_set_xattr(struct erofs_node *node, const char *name,
			 const void *value, size_t value_len);
/*
 * append a piece (len bytes at pos of device, or EROFS_PIECE_HOLE) to a
 * regular file's pieces, merged into the last one when it continues it;
 * len 0 adds nothing
 */
int erofs_node_add_piece(struct erofs_node *node, uint64_t len, uint64_t pos,
			 uint32_t device);
/* remove an xattr by name; 0 or -ENODATA */
int erofs_node_del_xattr(struct erofs_node *node, const char *name);
/*
 * sort dentries and xattrs of the whole tree and compute nlink; -EEXIST
 * for a duplicate name in a directory or a node, -EMLINK for a directory
 * reachable through two names
 */
int erofs_tree_finalize(struct erofs_node *root);
/* the format's name order: memcmp, then shorter first */
int erofs_name_cmp(const char *a, size_t alen, const char *b, size_t blen);

#endif
