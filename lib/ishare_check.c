// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * ishare_check.c - fsck's side of page cache sharing: find each regular
 * file's fingerprint entry and prove it equals the SHA-256 of the decoded
 * contents.  The kernel trusts these values blindly (it computes nothing),
 * so a wrong value makes two different files share one page cache; that
 * is why a mismatch is an error, not a warning.
 */
#include "config.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/ishare_report.h"
#include "ishare_internal.h"

/* read size per erofs_read_data() call: large enough to amortise the
 * per-call extent mapping, small enough to stay cheap on the heap */
#define ISHARE_READ_CHUNK	(128 * 1024)

int erofs_ishare_prefix_id(const struct erofs_image *img)
{
	if (!(img->feature_compat & EROFS_FEATURE_COMPAT_ISHARE_XATTRS))
		return -1;
	if (img->ishare_prefix_id >= img->xattr_prefix_count)
		return -1;
	return img->ishare_prefix_id;
}

char *erofs_ishare_key_name(const struct erofs_image *img)
{
	const struct erofs_xattr_prefix *p;
	const char *base;
	size_t blen;
	char *name;
	int id = erofs_ishare_prefix_id(img);

	if (id < 0 || !img->prefixes)
		return NULL;
	p = &img->prefixes[id];
	base = erofs_xattr_short_prefix(p->base_index);
	blen = base ? strlen(base) : 0;
	name = malloc(blen + p->infix_len + 1);
	if (!name)
		return ERR_PTR(-ENOMEM);
	if (blen)
		memcpy(name, base, blen);
	memcpy(name + blen, p->infix, p->infix_len);
	name[blen + p->infix_len] = '\0';
	return name;
}

const char *erofs_ishare_readpath_name(enum erofs_ishare_readpath rp)
{
	return rp == EROFS_ISHARE_READ_COMPRESSED ? "compressed" : "plain";
}

enum erofs_ishare_readpath erofs_ishare_inode_readpath(
					const struct erofs_inode *inode)
{
	return erofs_inode_is_compressed(inode) ? EROFS_ISHARE_READ_COMPRESSED :
						  EROFS_ISHARE_READ_PLAIN;
}

void erofs_ishare_value_hex(const void *value, size_t len,
			    char out[EROFS_ISHARE_HEX_MAX])
{
	uint8_t digest[EROFS_ISHARE_DIGEST_LEN];
	unsigned int i;

	if (!value) {
		strcpy(out, "-");
		return;
	}
	if (erofs_ishare_value_decode(value, len, digest)) {
		snprintf(out, EROFS_ISHARE_HEX_MAX, "malformed(%zu bytes)", len);
		return;
	}
	for (i = 0; i < EROFS_ISHARE_DIGEST_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

struct find_ctx {
	unsigned int index;
	size_t name_len;	/* full prefix length: the suffix is empty */
	uint8_t *value;
	size_t len;
	bool found;
};

static int find_cb(void *priv, const struct erofs_xattr_info *x)
{
	struct find_ctx *fc = priv;

	if (fc->found || !x->known || x->index != fc->index ||
	    x->name_len != fc->name_len)
		return 0;
	fc->value = malloc(x->value_size ? x->value_size : 1);
	if (!fc->value)
		return -ENOMEM;
	memcpy(fc->value, x->value, x->value_size);
	fc->len = x->value_size;
	fc->found = true;
	return 0;
}

int erofs_ishare_find_value(struct erofs_inode *inode, unsigned int prefix_id,
			    uint8_t **value, size_t *len)
{
	struct erofs_image *img = inode->img;
	struct find_ctx fc = {
		.index = EROFS_XATTR_LONG_PREFIX | prefix_id,
	};
	int ret;

	*value = NULL;
	*len = 0;
	if (prefix_id >= img->xattr_prefix_count || !inode->xattr_isize)
		return 0;
	fc.name_len = erofs_xattr_prefix_len(&img->prefixes[prefix_id]);
	ret = erofs_xattr_iterate(inode, find_cb, &fc, NULL);
	if (ret) {
		free(fc.value);
		return ret;
	}
	if (!fc.found)
		return 0;
	*value = fc.value;
	*len = fc.len;
	return 1;
}

int erofs_ishare_digest_inode(struct erofs_inode *inode,
			      uint8_t digest[EROFS_ISHARE_DIGEST_LEN])
{
	struct erofs_sha256 *h;
	uint64_t off = 0;
	void *buf;
	int ret = 0;

#ifndef HAVE_LIBCRYPTO
	return -EOPNOTSUPP;
#endif
	h = erofs_sha256_new();
	if (!h)
		return -ENOMEM;
	buf = malloc(ISHARE_READ_CHUNK);
	if (!buf) {
		ret = -ENOMEM;
		goto out_hash;
	}
	while (off < inode->size) {
		size_t n = EROFS_MIN((uint64_t)ISHARE_READ_CHUNK,
				     inode->size - off);

		ret = erofs_read_data(inode, buf, n, off);
		if (ret)
			goto out_buf;
		ret = erofs_sha256_update(h, buf, n);
		if (ret)
			goto out_buf;
		off += n;
	}
	ret = erofs_sha256_final(h, digest);
out_buf:
	free(buf);
out_hash:
	erofs_sha256_free(h);
	return ret;
}

struct check_ctx {
	struct erofs_ishare_check_stats *st;
	erofs_ishare_issue_cb cb;
	void *priv;
	unsigned int prefix_id;
};

static const char *const issue_titles[] = {
	[EROFS_ISHARE_MISSING] = "missing fingerprint",
	[EROFS_ISHARE_MALFORMED] = "malformed fingerprint",
	[EROFS_ISHARE_MISMATCH] = "fingerprint mismatch",
	[EROFS_ISHARE_UNREADABLE] = "cannot verify fingerprint",
	[EROFS_ISHARE_UNSUPPORTED] = "cannot verify fingerprint",
	[EROFS_ISHARE_EMPTY_FILE] = "empty file carries a fingerprint",
};

static void report(struct check_ctx *cc, enum erofs_ishare_issue_kind kind,
		   const char *path, const struct erofs_inode *inode,
		   erofs_nid_t nid, int err, const char *fmt, ...)
	EROFS_PRINTF(7, 8);

static void report(struct check_ctx *cc, enum erofs_ishare_issue_kind kind,
		   const char *path, const struct erofs_inode *inode,
		   erofs_nid_t nid, int err, const char *fmt, ...)
{
	struct erofs_ishare_issue is = {
		.kind = kind,
		/* an unverifiable file is not proof of corruption (and an
		 * unreadable one is reported by the structural check) */
		.error = kind == EROFS_ISHARE_MISSING ||
			 kind == EROFS_ISHARE_MALFORMED ||
			 kind == EROFS_ISHARE_MISMATCH,
		.path = path,
		.nid = inode ? inode->nid : nid,
		.size = inode ? inode->size : 0,
		.err = err,
	};
	char detail[224], msg[288];
	va_list ap;

	switch (kind) {
	case EROFS_ISHARE_MISSING:	cc->st->missing++; break;
	case EROFS_ISHARE_MALFORMED:	cc->st->malformed++; break;
	case EROFS_ISHARE_MISMATCH:	cc->st->mismatch++; break;
	case EROFS_ISHARE_UNREADABLE:	cc->st->unreadable++; break;
	case EROFS_ISHARE_UNSUPPORTED:	cc->st->unsupported++; break;
	case EROFS_ISHARE_EMPTY_FILE:	cc->st->warnings++; break;
	}
	if (is.error)
		cc->st->errors++;
	if (!cc->cb)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s: %s", issue_titles[kind], detail);
	is.title = issue_titles[kind];
	is.detail = detail;
	is.message = msg;
	cc->cb(cc->priv, &is);
}

static void hex_digest(const uint8_t *d, char out[EROFS_ISHARE_HEX_MAX])
{
	unsigned int i;

	for (i = 0; i < EROFS_ISHARE_DIGEST_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* the full xattr name, for messages */
static const char *key_of(const struct erofs_image *img, char *buf,
			  size_t size)
{
	char *key = erofs_ishare_key_name(img);

	if (IS_ERR_OR_NULL(key))
		return "the fingerprint xattr";
	snprintf(buf, size, "%s", key);
	free(key);
	return buf;
}

static int check_one(struct check_ctx *cc, struct erofs_image *img,
		     const char *path, struct erofs_inode *inode)
{
	uint8_t stored[EROFS_ISHARE_DIGEST_LEN], computed[EROFS_ISHARE_DIGEST_LEN];
	char hs[EROFS_ISHARE_HEX_MAX], hc[EROFS_ISHARE_HEX_MAX], kb[272];
	uint8_t *value;
	size_t len;
	int ret;

	cc->st->files++;
	ret = erofs_ishare_find_value(inode, cc->prefix_id, &value, &len);
	if (ret < 0) {
		if (ret == -ENOMEM)
			return ret;
		report(cc, EROFS_ISHARE_UNREADABLE, path, inode, 0, ret,
		       "reading extended attributes: %s", strerror(-ret));
		return 0;
	}
	if (!inode->size) {
		if (ret)
			report(cc, EROFS_ISHARE_EMPTY_FILE, path, inode, 0, 0,
			       "%s", key_of(img, kb, sizeof(kb)));
		free(value);
		return 0;
	}
	if (!ret) {
		report(cc, EROFS_ISHARE_MISSING, path, inode, 0, 0,
		       "no %s on a %llu-byte file", key_of(img, kb, sizeof(kb)),
		       (unsigned long long)inode->size);
		return 0;
	}
	ret = erofs_ishare_value_decode(value, len, stored);
	free(value);
	if (ret) {
		if (len != EROFS_ISHARE_VALUE_LEN)
			report(cc, EROFS_ISHARE_MALFORMED, path, inode, 0, 0,
			       "%zu bytes, expected %u (\"%s\" + %u-byte digest)",
			       len, EROFS_ISHARE_VALUE_LEN,
			       EROFS_ISHARE_VALUE_PREFIX,
			       EROFS_ISHARE_DIGEST_LEN);
		else
			report(cc, EROFS_ISHARE_MALFORMED, path, inode, 0, 0,
			       "value does not start with \"%s\"",
			       EROFS_ISHARE_VALUE_PREFIX);
		return 0;
	}
	ret = erofs_ishare_digest_inode(inode, computed);
	if (ret == -ENOMEM)
		return ret;
	if (ret == -EOPNOTSUPP) {
		report(cc, EROFS_ISHARE_UNSUPPORTED, path, inode, 0, ret,
		       "%s data cannot be decoded by this reader",
		       erofs_ishare_readpath_name(
				erofs_ishare_inode_readpath(inode)));
		return 0;
	}
	if (ret) {
		report(cc, EROFS_ISHARE_UNREADABLE, path, inode, 0, ret,
		       "reading file data: %s", strerror(-ret));
		return 0;
	}
	if (memcmp(stored, computed, sizeof(stored))) {
		hex_digest(stored, hs);
		hex_digest(computed, hc);
		report(cc, EROFS_ISHARE_MISMATCH, path, inode, 0, 0,
		       "stored sha256:%s, contents hash to sha256:%s", hs, hc);
		return 0;
	}
	cc->st->verified++;
	return 0;
}

static int check_file(struct erofs_ishare_walk *w, const char *path,
		      struct erofs_inode *inode)
{
	return check_one(w->priv, w->img, path, inode);
}

static int check_error(struct erofs_ishare_walk *w, const char *path,
		       erofs_nid_t nid, int err)
{
	struct check_ctx *cc = w->priv;

	report(cc, EROFS_ISHARE_UNREADABLE, path, NULL, nid, err,
	       "reading inode or directory (nid %llu): %s",
	       (unsigned long long)nid, strerror(-err));
	return 0;
}

int erofs_ishare_check_super(struct erofs_image *img)
{
	if (!(img->feature_compat & EROFS_FEATURE_COMPAT_ISHARE_XATTRS))
		return -ENODATA;
	if (img->ishare_prefix_id >= img->xattr_prefix_count)
		return -EFSCORRUPTED;
#ifndef HAVE_LIBCRYPTO
	return -EOPNOTSUPP;
#endif
	return 0;
}

int erofs_ishare_check_inode(struct erofs_image *img, struct erofs_inode *inode,
			     const char *path, erofs_ishare_issue_cb cb,
			     void *priv, struct erofs_ishare_check_stats *st)
{
	struct check_ctx cc = { .st = st, .cb = cb, .priv = priv };

	if (erofs_ishare_prefix_id(img) < 0)
		return -ENODATA;
	cc.prefix_id = img->ishare_prefix_id;
	return check_one(&cc, img, path, inode);
}

int erofs_ishare_check(struct erofs_image *img, erofs_ishare_issue_cb cb,
		       void *priv, struct erofs_ishare_check_stats *st)
{
	struct check_ctx cc = { .st = st, .cb = cb, .priv = priv };
	struct erofs_ishare_walk w = {
		.img = img,
		.priv = &cc,
		.file = check_file,
		.error = check_error,
	};
	int ret;

	memset(st, 0, sizeof(*st));
	ret = erofs_ishare_check_super(img);
	if (ret == -ENODATA)
		erofs_err(img->log,
			  "image has no page cache sharing fingerprints (compat ISHARE_XATTRS not set)");
	else if (ret == -EFSCORRUPTED)
		erofs_err(img->log,
			  "superblock: ishare_xattr_prefix_id %u is out of range (%u long xattr prefixes)",
			  img->ishare_prefix_id, img->xattr_prefix_count);
	else if (ret)
		erofs_err(img->log,
			  "built without libcrypto: cannot compute SHA-256");
	if (ret)
		return ret;
	cc.prefix_id = img->ishare_prefix_id;
	return erofs_ishare_walk(&w);
}
