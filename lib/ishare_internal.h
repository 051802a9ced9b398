/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * ishare_internal.h - the tree walk shared by the fingerprint checker and
 * the fingerprint collector (lib/ishare_walk.c).  Not a public API.
 *
 * The walk visits every regular-file inode exactly once (a hard link is
 * seen under its first path in on-disk directory order), never enters a
 * directory twice (a crafted image may link a directory into itself) and
 * stops descending at EROFS_ISHARE_WALK_MAX_DEPTH.  Directory entries are
 * copied out before descending, so the reader's directory iterator is
 * never re-entered.
 */
#ifndef __EROFS_ISHARE_INTERNAL_H
#define __EROFS_ISHARE_INTERNAL_H

#include "erofs/reader.h"

#define EROFS_ISHARE_WALK_MAX_DEPTH	4096

/* a set of nids (open addressing; key nid + 1, 0 = empty slot) */
struct erofs_nidset {
	uint64_t *slots;
	size_t cap, nr;
};

/* 1 if nid was already in the set, 0 if it was added, -ENOMEM */
int erofs_nidset_add(struct erofs_nidset *set, erofs_nid_t nid);
void erofs_nidset_release(struct erofs_nidset *set);

struct erofs_ishare_walk {
	struct erofs_image *img;
	void *priv;
	/* each regular file once; non-zero stops the walk (returned) */
	int (*file)(struct erofs_ishare_walk *w, const char *path,
		    struct erofs_inode *inode);
	/*
	 * an inode or directory at path could not be read (err = -errno);
	 * return 0 to skip it and go on, non-zero to stop with that value.
	 * NULL: stop with err.
	 */
	int (*error)(struct erofs_ishare_walk *w, const char *path,
		     erofs_nid_t nid, int err);
	/* private */
	struct erofs_nidset files, dirs;
	char *path;
	size_t len, cap;
	unsigned int depth;
};

/* walk from the root; 0 or the first non-zero callback / error value */
int erofs_ishare_walk(struct erofs_ishare_walk *w);

/*
 * The fingerprint entry of an inode: the first entry (inline, then shared,
 * the kernel's lookup order) with e_name_index 0x80 | prefix_id and an
 * empty name suffix.  Returns 1 with a malloc'ed copy of the value in
 * *value / *len, 0 if there is none, or the reader's -errno.
 */
int erofs_ishare_find_value(struct erofs_inode *inode, unsigned int prefix_id,
			    uint8_t **value, size_t *len);

/* the prefix id if the image has a usable fingerprint key, else -1 */
int erofs_ishare_prefix_id(const struct erofs_image *img);

#endif
