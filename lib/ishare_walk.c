// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * ishare_walk.c - visit every regular file of an opened image once, with
 * its path, for the fingerprint checker and collector.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "ishare_internal.h"

static size_t nidset_slot(uint64_t key, size_t cap)
{
	/* a 64-bit mix (splitmix64 finaliser): nids are multiples of small
	 * strides, so the low bits alone would cluster */
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return key & (cap - 1);
}

int erofs_nidset_add(struct erofs_nidset *set, erofs_nid_t nid)
{
	uint64_t key = nid + 1;
	size_t i;

	if ((set->nr + 1) * 2 > set->cap) {
		size_t ncap = set->cap ? set->cap * 2 : 64, j;
		uint64_t *ns = calloc(ncap, sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		for (j = 0; j < set->cap; j++) {
			if (!set->slots[j])
				continue;
			i = nidset_slot(set->slots[j], ncap);
			while (ns[i])
				i = (i + 1) & (ncap - 1);
			ns[i] = set->slots[j];
		}
		free(set->slots);
		set->slots = ns;
		set->cap = ncap;
	}
	i = nidset_slot(key, set->cap);
	while (set->slots[i]) {
		if (set->slots[i] == key)
			return 1;
		i = (i + 1) & (set->cap - 1);
	}
	set->slots[i] = key;
	set->nr++;
	return 0;
}

void erofs_nidset_release(struct erofs_nidset *set)
{
	free(set->slots);
	set->slots = NULL;
	set->cap = set->nr = 0;
}

/* the entries of one directory, copied out of the reader's buffers */
struct walk_dirent {
	erofs_nid_t nid;
	size_t name_off, name_len;
};

struct walk_dirlist {
	struct walk_dirent *ents;
	size_t nr, cap;
	char *names;
	size_t names_len, names_cap;
};

static int dirlist_add(void *priv, const struct erofs_dir_entry *ent)
{
	struct walk_dirlist *dl = priv;

	if ((ent->name_len == 1 && ent->name[0] == '.') ||
	    (ent->name_len == 2 && !memcmp(ent->name, "..", 2)))
		return 0;
	if (dl->nr == dl->cap) {
		size_t ncap = dl->cap ? dl->cap * 2 : 16;
		struct walk_dirent *n = realloc(dl->ents, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		dl->ents = n;
		dl->cap = ncap;
	}
	if (dl->names_len + ent->name_len > dl->names_cap) {
		size_t ncap = EROFS_MAX(dl->names_cap * 2,
					dl->names_len + ent->name_len + 256);
		char *n = realloc(dl->names, ncap);

		if (!n)
			return -ENOMEM;
		dl->names = n;
		dl->names_cap = ncap;
	}
	memcpy(dl->names + dl->names_len, ent->name, ent->name_len);
	dl->ents[dl->nr].nid = ent->nid;
	dl->ents[dl->nr].name_off = dl->names_len;
	dl->ents[dl->nr].name_len = ent->name_len;
	dl->names_len += ent->name_len;
	dl->nr++;
	return 0;
}

/* set the path to its first `len` bytes plus "/" name */
static int path_push(struct erofs_ishare_walk *w, size_t len,
		     const char *name, size_t name_len)
{
	size_t need = len + 1 + name_len + 1;

	if (need > w->cap) {
		size_t ncap = EROFS_MAX(need, w->cap * 2);
		char *n = realloc(w->path, ncap);

		if (!n)
			return -ENOMEM;
		w->path = n;
		w->cap = ncap;
	}
	w->path[len] = '/';
	memcpy(w->path + len + 1, name, name_len);
	w->len = len + 1 + name_len;
	w->path[w->len] = '\0';
	return 0;
}

static int walk_error(struct erofs_ishare_walk *w, erofs_nid_t nid, int err)
{
	if (err == -ENOMEM || !w->error)
		return err;
	return w->error(w, w->len ? w->path : "/", nid, err);
}

static int walk_dir(struct erofs_ishare_walk *w, struct erofs_inode *dir)
{
	struct walk_dirlist dl = { 0 };
	size_t base = w->len, i;
	int ret;

	ret = erofs_dir_iterate(dir, dirlist_add, &dl);
	if (ret) {
		ret = walk_error(w, dir->nid, ret);
		goto out;
	}
	for (i = 0; i < dl.nr; i++) {
		struct erofs_inode inode;

		ret = path_push(w, base, dl.names + dl.ents[i].name_off,
				dl.ents[i].name_len);
		if (ret)
			goto out;
		ret = erofs_inode_read(w->img, dl.ents[i].nid, &inode);
		if (ret) {
			ret = walk_error(w, dl.ents[i].nid, ret);
			if (ret)
				goto out;
			continue;
		}
		if (S_ISDIR(inode.mode)) {
			ret = erofs_nidset_add(&w->dirs, inode.nid);
			if (ret < 0)
				goto out;
			if (ret)	/* a directory loop; walk it once */
				continue;
			if (w->depth >= EROFS_ISHARE_WALK_MAX_DEPTH) {
				ret = walk_error(w, inode.nid, -EFSCORRUPTED);
				if (ret)
					goto out;
				continue;
			}
			w->depth++;
			ret = walk_dir(w, &inode);
			w->depth--;
		} else if (S_ISREG(inode.mode)) {
			ret = erofs_nidset_add(&w->files, inode.nid);
			if (ret < 0)
				goto out;
			if (ret)	/* another name of a file already seen */
				continue;
			ret = w->file(w, w->path, &inode);
		}
		if (ret)
			goto out;
	}
	ret = 0;
out:
	w->len = base;
	if (w->path)
		w->path[base] = '\0';
	free(dl.ents);
	free(dl.names);
	return ret;
}

int erofs_ishare_walk(struct erofs_ishare_walk *w)
{
	struct erofs_inode root;
	int ret;

	w->len = 0;
	w->depth = 0;
	ret = erofs_inode_read(w->img, w->img->root_nid, &root);
	if (ret) {
		ret = walk_error(w, w->img->root_nid, ret);
		goto out;
	}
	ret = erofs_nidset_add(&w->dirs, root.nid);
	if (ret >= 0)
		ret = walk_dir(w, &root);
out:
	erofs_nidset_release(&w->files);
	erofs_nidset_release(&w->dirs);
	free(w->path);
	w->path = NULL;
	w->cap = w->len = 0;
	return ret;
}
