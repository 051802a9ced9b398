// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * xattr_read.c - read inline and shared xattrs (format.md section 4):
 * iteration with full names, getxattr with the name filter, listxattr.
 */
#include <stdlib.h>
#include <string.h>
#include "erofs/reader.h"

#define NAME_MAX_FULL	(32 + 256 + 256)

struct xattr_walk {
	struct erofs_inode *inode;
	erofs_xattr_cb cb;
	void *priv;
	char name[NAME_MAX_FULL];
};

static int xattr_fail(struct erofs_inode *inode, unsigned int code,
		      const char *what)
{
	return erofs_image_fail(inode->img, code, EFSCORRUPTED,
		"nid %llu: xattrs: %s", (unsigned long long)inode->nid, what);
}

/* build the full name of one entry and hand it to the callback */
static int emit(struct xattr_walk *w, const struct erofs_xattr_entry *e,
		const unsigned char *name, const unsigned char *value,
		bool shared, uint32_t id)
{
	struct erofs_image *img = w->inode->img;
	struct erofs_xattr_info x;
	const char *pfx = NULL;
	size_t plen = 0, n = 0;

	memset(&x, 0, sizeof(x));
	x.index = e->e_name_index;
	x.shared = shared;
	x.shared_id = id;
	x.value = value;
	x.value_size = erofs_le16(e->e_value_size);
	x.entry_size = erofs_xattr_entry_size(e->e_name_len, x.value_size);
	if (x.index & EROFS_XATTR_LONG_PREFIX) {
		unsigned int k = x.index & EROFS_XATTR_LONG_PREFIX_MASK;

		if (k < img->xattr_prefix_count) {
			const struct erofs_xattr_prefix *lp = &img->prefixes[k];

			x.known = true;
			x.base_index = lp->base_index;
			x.hidden = !lp->base_index;
			pfx = erofs_xattr_short_prefix(lp->base_index);
			if (pfx) {
				plen = strlen(pfx);
				memcpy(w->name, pfx, plen);
			}
			memcpy(w->name + plen, lp->infix, lp->infix_len);
			n = plen + lp->infix_len;
			/* the filter hashes everything after the short prefix */
			x.filter_name = w->name + plen;
		}
	} else {
		pfx = erofs_xattr_short_prefix(x.index);
		if (pfx) {
			x.known = true;
			x.base_index = x.index;
			plen = strlen(pfx);
			memcpy(w->name, pfx, plen);
			n = plen;
			x.filter_name = w->name + plen;
		}
	}
	if (!x.known)
		n = 0;
	else {
		memcpy(w->name + n, name, e->e_name_len);
		n += e->e_name_len;
		x.filter_name_len = w->name + n - x.filter_name;
	}
	w->name[n] = '\0';
	x.name = w->name;
	x.name_len = n;
	return w->cb(w->priv, &x);
}

static int walk_shared(struct xattr_walk *w, uint32_t id)
{
	struct erofs_inode *inode = w->inode;
	struct erofs_image *img = inode->img;
	struct erofs_xattr_entry e;
	unsigned char *buf;
	erofs_off_t pos;
	bool meta = img->feature_compat &
		EROFS_FEATURE_COMPAT_SHARED_EA_IN_METABOX;
	size_t len;
	int ret;

	pos = (img->xattr_blkaddr << img->blkszbits) + (erofs_off_t)id * 4;
	ret = erofs_meta_read(img, meta, &e, sizeof(e), pos,
			      EROFS_PROB_XATTR_SHARED_RANGE);
	if (ret) {
		erofs_err(img->log, "nid %llu: shared xattr id %u unreadable",
			  (unsigned long long)inode->nid, id);
		return ret;
	}
	len = (size_t)e.e_name_len + erofs_le16(e.e_value_size);
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	ret = erofs_meta_read(img, meta, buf, len, pos + sizeof(e),
			      EROFS_PROB_XATTR_SHARED_RANGE);
	if (!ret)
		ret = emit(w, &e, buf, buf + e.e_name_len, true, id);
	free(buf);
	return ret;
}

int erofs_xattr_iterate(struct erofs_inode *inode, erofs_xattr_cb cb,
			void *priv, struct erofs_xattr_header *hdr)
{
	const struct erofs_xattr_ibody_header *ih;
	struct xattr_walk *w;
	unsigned char *area;
	unsigned int size = inode->xattr_isize, off, i, nshared;
	int ret;

	if (hdr)
		memset(hdr, 0, sizeof(*hdr));
	if (!size)
		return 0;
	if (size < sizeof(*ih) + 4)	/* icount 1: header only */
		return erofs_image_fail(inode->img, EROFS_PROB_XATTR_ICOUNT,
			EOPNOTSUPP, "nid %llu: xattr_isize %u is not supported",
			(unsigned long long)inode->nid, size);
	area = malloc(size);
	w = malloc(sizeof(*w));
	if (!area || !w) {
		ret = -ENOMEM;
		goto out;
	}
	w->inode = inode;
	w->cb = cb;
	w->priv = priv;
	ret = erofs_meta_read(inode->img, inode->in_metabox, area, size,
			      inode->iloc + inode->inode_isize,
			      EROFS_PROB_INODE_RANGE);
	if (ret)
		goto out;
	ih = (const void *)area;
	nshared = ih->h_shared_count;
	if (hdr) {
		hdr->name_filter = erofs_le32(ih->h_name_filter);
		hdr->shared_count = nshared;
		for (i = 0; i < sizeof(ih->h_reserved2); i++)
			if (ih->h_reserved2[i])
				hdr->reserved_nonzero = true;
	}
	off = sizeof(*ih) + 4 * nshared;
	if (off > size) {
		ret = xattr_fail(inode, EROFS_PROB_XATTR_SHARED_COUNT,
				 "shared xattr count past the xattr area");
		goto out;
	}
	/* inline entries fill the rest of the area */
	while (off + sizeof(struct erofs_xattr_entry) <= size) {
		const struct erofs_xattr_entry *e = (const void *)(area + off);
		unsigned int esz = erofs_xattr_entry_size(e->e_name_len,
					erofs_le16(e->e_value_size));

		if (esz > size - off) {
			ret = xattr_fail(inode, EROFS_PROB_XATTR_ENTRY_RANGE,
					 "inline entry past the xattr area");
			goto out;
		}
		/* all-zero 4-byte entries are padding, not xattrs */
		if (e->e_name_len || e->e_name_index || e->e_value_size) {
			const unsigned char *nm = area + off + sizeof(*e);

			ret = emit(w, e, nm, nm + e->e_name_len, false, 0);
			if (ret)
				goto out;
		}
		off += esz;
	}
	for (i = 0; i < nshared; i++) {
		__le32 id;

		memcpy(&id, area + sizeof(*ih) + 4 * i, 4);
		ret = walk_shared(w, erofs_le32(id));
		if (ret)
			goto out;
	}
out:
	free(w);
	free(area);
	return ret;
}

struct get_ctx {
	const char *name;
	size_t len;
	void *buf;
	size_t size;
	ssize_t result;
};

static int get_cb(void *priv, const struct erofs_xattr_info *x)
{
	struct get_ctx *c = priv;

	if (!x->known || x->name_len != c->len || memcmp(x->name, c->name, c->len))
		return 0;
	c->result = (ssize_t)x->value_size;
	if (c->size) {
		if (x->value_size > c->size)
			c->result = -ERANGE;
		else
			memcpy(c->buf, x->value, x->value_size);
	}
	return 1;
}

ssize_t erofs_getxattr(struct erofs_inode *inode, const char *name, void *buf,
		       size_t size)
{
	struct get_ctx c = { .name = name, .len = strlen(name), .buf = buf,
			     .size = size, .result = -ENODATA };
	struct erofs_image *img = inode->img;
	int ret;

	if (!inode->xattr_isize)
		return -ENODATA;
	if (img->xattr_filter && erofs_xattr_filter_available()) {
		struct erofs_xattr_ibody_header ih;
		uint8_t idx;
		size_t off;

		ret = erofs_meta_read(img, inode->in_metabox, &ih, sizeof(ih),
				      inode->iloc + inode->inode_isize,
				      EROFS_PROB_INODE_RANGE);
		if (ret)
			return ret;
		/* a set bit means "no such name here", like the kernel */
		if (!erofs_xattr_split_name(name, c.len, &idx, &off) &&
		    (erofs_le32(ih.h_name_filter) &
		     (1U << erofs_xattr_filter_bit(idx, name + off,
						   c.len - off))))
			return -ENODATA;
	}
	ret = erofs_xattr_iterate(inode, get_cb, &c, NULL);
	if (ret < 0)
		return ret;
	return c.result;
}

struct list_ctx {
	char *buf;
	size_t size, len;
	bool overflow;
};

static int list_cb(void *priv, const struct erofs_xattr_info *x)
{
	struct list_ctx *c = priv;

	/* the kernel has no handler for lustre.: never listed */
	if (!x->known || x->hidden ||
	    x->base_index == EROFS_XATTR_INDEX_LUSTRE)
		return 0;
	if (c->size) {
		if (c->len + x->name_len + 1 > c->size) {
			c->overflow = true;
			return 1;
		}
		memcpy(c->buf + c->len, x->name, x->name_len + 1);
	}
	c->len += x->name_len + 1;
	return 0;
}

ssize_t erofs_listxattr(struct erofs_inode *inode, char *buf, size_t size)
{
	struct list_ctx c = { .buf = buf, .size = size };
	int ret = erofs_xattr_iterate(inode, list_cb, &c, NULL);

	if (ret < 0)
		return ret;
	if (c.overflow)
		return -ERANGE;
	return (ssize_t)c.len;
}
