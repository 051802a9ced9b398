// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * dir.c - directory blocks (format.md section 5): iteration with the
 * kernel's per-block checks, lookup and path resolution.
 */
#include <stdlib.h>
#include <string.h>
#include "erofs/reader.h"

static int dir_fail(struct erofs_inode *dir, unsigned int code, uint64_t blk,
		    const char *what)
{
	return erofs_image_fail(dir->img, code, EFSCORRUPTED,
		"nid %llu: directory block %llu: %s",
		(unsigned long long)dir->nid, (unsigned long long)blk, what);
}

static int iterate_block(struct erofs_inode *dir, const unsigned char *b,
			 unsigned int len, uint64_t blk, erofs_dir_cb cb,
			 void *priv)
{
	const struct erofs_dirent *de = (const void *)b;
	unsigned int nameoff0, count, i;
	int ret;

	if (len < sizeof(*de))
		return dir_fail(dir, EROFS_PROB_DIR_NAMEOFF, blk,
				"block too short for a dirent");
	nameoff0 = erofs_le16(de[0].nameoff);
	if (nameoff0 < sizeof(*de) || nameoff0 >= dir->img->blksz ||
	    nameoff0 % sizeof(*de) || nameoff0 > len)
		return dir_fail(dir, EROFS_PROB_DIR_NAMEOFF, blk,
				"invalid de[0].nameoff");
	count = nameoff0 / sizeof(*de);
	for (i = 0; i < count; i++) {
		struct erofs_dir_entry ent;
		unsigned int off = erofs_le16(de[i].nameoff), end;

		if (i + 1 < count) {
			end = erofs_le16(de[i + 1].nameoff);
		} else {
			/* the last name ends at the first NUL or the end */
			end = off;
			while (end < len && b[end])
				end++;
		}
		if (off < nameoff0 || off > len || end > len || end < off)
			return dir_fail(dir, EROFS_PROB_DIR_NAMEOFF, blk,
					"name offset out of the block");
		if (end == off || end - off > EROFS_NAME_LEN)
			return dir_fail(dir, EROFS_PROB_DIR_NAMELEN, blk,
					"invalid name length");
		memset(&ent, 0, sizeof(ent));
		ent.nid = erofs_le64(de[i].nid);
		ent.file_type = de[i].file_type;
		ent.name = (const char *)b + off;
		ent.name_len = end - off;
		ent.block = blk;
		ent.index = i;
		ent.reserved = de[i].reserved;
		if (i + 1 == count) {
			unsigned int j;

			ent.last_in_block = true;
			for (j = end; j < len; j++)
				if (b[j]) {
					ent.tail_dirty = true;
					break;
				}
		}
		ret = cb(priv, &ent);
		if (ret)
			return ret;
	}
	return 0;
}

int erofs_dir_iterate(struct erofs_inode *dir, erofs_dir_cb cb, void *priv)
{
	struct erofs_image *img = dir->img;
	unsigned char *b;
	uint64_t pos, blk;
	int ret = 0;

	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	b = malloc(img->blksz);
	if (!b)
		return -ENOMEM;
	for (pos = 0, blk = 0; pos < dir->size; pos += img->blksz, blk++) {
		unsigned int len = EROFS_MIN((uint64_t)img->blksz,
					     dir->size - pos);

		ret = erofs_read_data(dir, b, len, pos);
		if (ret)
			break;
		ret = iterate_block(dir, b, len, blk, cb, priv);
		if (ret)
			break;
	}
	free(b);
	return ret;
}

struct lookup_ctx {
	const char *name;
	size_t len;
	erofs_nid_t nid;
	unsigned int ftype;
};

static int lookup_cb(void *priv, const struct erofs_dir_entry *ent)
{
	struct lookup_ctx *c = priv;

	if (ent->name_len != c->len || memcmp(ent->name, c->name, c->len))
		return 0;
	c->nid = ent->nid;
	c->ftype = ent->file_type;
	return 1;
}

int erofs_dir_lookup(struct erofs_inode *dir, const char *name, size_t len,
		     erofs_nid_t *nid, unsigned int *file_type)
{
	struct lookup_ctx c = { .name = name, .len = len };
	int ret = erofs_dir_iterate(dir, lookup_cb, &c);

	if (ret < 0)
		return ret;
	if (!ret)
		return -ENOENT;
	*nid = c.nid;
	if (file_type)
		*file_type = c.ftype;
	return 0;
}

int erofs_path_lookup(struct erofs_image *img, const char *path,
		      struct erofs_inode *inode)
{
	int ret = erofs_inode_read(img, img->root_nid, inode);
	unsigned int depth = 0;

	while (!ret) {
		const char *end;
		erofs_nid_t nid;

		while (*path == '/')
			path++;
		if (!*path)
			break;
		end = strchr(path, '/');
		if (!end)
			end = path + strlen(path);
		if (!S_ISDIR(inode->mode))
			return -ENOTDIR;
		if (++depth > 4096)
			return -ELOOP;
		ret = erofs_dir_lookup(inode, path, end - path, &nid, NULL);
		if (ret)
			return ret;
		ret = erofs_inode_read(img, nid, inode);
		path = end;
	}
	return ret;
}
