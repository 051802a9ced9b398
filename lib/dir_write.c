// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * dir_write.c - directory data: every entry including "." (unless
 * -E dot-omitted) and "..", in the
 * format's byte order across all blocks (lookup binary-searches it), packed
 * so that no dirent or name crosses a block, zeros after the last name.
 *
 * Sizing and rendering walk the same packing so that the i_size planned
 * for a directory is exactly what is emitted.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "writer_internal.h"

struct wr_dent {
	const char *name;
	size_t len;
	const struct erofs_wr_inode *target;
};

static int wr_name_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int r = memcmp(a, b, EROFS_MIN(al, bl));

	if (r)
		return r;
	return al < bl ? -1 : al > bl;
}

static int wr_dent_cmp(const void *pa, const void *pb)
{
	const struct wr_dent *a = pa, *b = pb;

	return wr_name_cmp(a->name, a->len, b->name, b->len);
}

/* the directory's entries in on-disk order, or an error for bad names */
static int wr_dir_entries(const struct erofs_wr *w,
			  const struct erofs_wr_inode *wi,
			  struct wr_dent **out, size_t *nr)
{
	const struct erofs_node *n = wi->node;
	struct wr_dent *d;
	size_t i, k = 0;

	d = malloc((n->nr_dentries + 2) * sizeof(*d));
	if (!d)
		return -ENOMEM;
	/* -E dot-omitted: the kernel synthesises "." */
	if (!w->p->dot_omitted)
		d[k++] = (struct wr_dent){ ".", 1, wi };
	d[k++] = (struct wr_dent){ "..", 2, wi->parent };
	for (i = 0; i < n->nr_dentries; i++) {
		const struct erofs_dentry *de = &n->dentries[i];

		if (!de->name_len || de->name_len > EROFS_NAME_LEN ||
		    memchr(de->name, '/', de->name_len) ||
		    memchr(de->name, '\0', de->name_len) ||
		    (de->name_len == 1 && de->name[0] == '.') ||
		    (de->name_len == 2 && !memcmp(de->name, "..", 2))) {
			erofs_err(w->log, "%s: invalid entry name \"%.*s\"",
				  n->path ? n->path : "?",
				  (int)EROFS_MIN(de->name_len, 300), de->name);
			free(d);
			return -EINVAL;
		}
		d[k++] = (struct wr_dent){ de->name, de->name_len,
					   de->inode->wr };
	}
	/* the tree is sorted already; sorting again costs little and makes
	 * "." and ".." land where the byte order puts them */
	qsort(d, k, sizeof(*d), wr_dent_cmp);
	for (i = 1; i < k; i++) {
		if (!wr_dent_cmp(&d[i - 1], &d[i])) {
			erofs_err(w->log, "%s: duplicate entry \"%.*s\"",
				  n->path ? n->path : "?", (int)d[i].len,
				  d[i].name);
			free(d);
			return -EINVAL;
		}
	}
	*out = d;
	*nr = k;
	return 0;
}

/*
 * Walk the packing; when buf is non-NULL render into it.  Returns the
 * directory's i_size through *size.
 */
static int wr_dir_pack(const struct erofs_wr *w,
		       const struct erofs_wr_inode *wi, uint8_t *buf,
		       uint64_t *size)
{
	struct wr_dent *d;
	size_t nr, i = 0, first;
	uint64_t blk = 0;
	unsigned int used = 0;
	int ret;

	ret = wr_dir_entries(w, wi, &d, &nr);
	if (ret)
		return ret;
	while (i < nr) {
		unsigned int namebytes = 0, count, off, k;

		/* how many entries fit in this block */
		first = i;
		used = 0;
		while (i < nr && used + sizeof(struct erofs_dirent) + d[i].len
				 <= w->bs) {
			used += sizeof(struct erofs_dirent) + d[i].len;
			i++;
		}
		count = (unsigned int)(i - first);
		if (buf) {
			uint8_t *b = buf + blk * w->bs;

			memset(b, 0, w->bs);
			off = count * sizeof(struct erofs_dirent);
			for (k = 0; k < count; k++) {
				const struct wr_dent *e = &d[first + k];
				struct erofs_dirent de = {
					.nid = erofs_cpu_to_le64(e->target->nid),
					.nameoff = erofs_cpu_to_le16(
						(uint16_t)(off + namebytes)),
					.file_type = e->target->ftype,
				};

				memcpy(b + k * sizeof(de), &de, sizeof(de));
				memcpy(b + off + namebytes, e->name, e->len);
				namebytes += (unsigned int)e->len;
			}
		}
		blk++;
	}
	free(d);
	*size = (blk - 1) * w->bs + used;
	return 0;
}

int erofs_wr_dir_size(const struct erofs_wr *w, struct erofs_wr_inode *wi,
		      uint64_t *size)
{
	return wr_dir_pack(w, wi, NULL, size);
}

int erofs_wr_dir_render(const struct erofs_wr *w,
			const struct erofs_wr_inode *wi, uint8_t *buf)
{
	uint64_t size;
	int ret = wr_dir_pack(w, wi, buf, &size);

	if (!ret && size != wi->size)
		return -EIO;	/* the caller logs: plan and emit disagree */
	return ret;
}
