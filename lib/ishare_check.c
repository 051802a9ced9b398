// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * ishare_check.c - fsck's side of page cache sharing, a verifier of the
 * check engine (erofs/verify.h): find each regular file's fingerprint
 * entry and prove it equals the SHA-256 of the contents the engine
 * decodes.  The kernel trusts these values blindly (it computes nothing),
 * so a wrong value makes two different files share one page cache; that
 * is why a mismatch is an error, not a warning.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/ishare.h"
#include "erofs/ishare_check.h"

/* what file_begin found in the file's xattrs, reported by file_end */
enum fp_state {
	FP_HASH,		/* a well-formed value: compare with the data */
	FP_XATTR_ERR,		/* the xattrs could not be read */
	FP_EMPTY_WITH,		/* an empty file that carries one */
	FP_EMPTY,		/* an empty file without one: fine */
	FP_MISSING,
	FP_MALFORMED,
};

struct erofs_ishare_verifier {
	struct erofs_image *img;
	unsigned int prefix_id;
	int sha_err;		/* SHA-256 unavailable: -EOPNOTSUPP, -ELIBACC */
};

/* one file being verified (its verify_file's state) */
struct fp_file {
	enum fp_state state;
	int err;			/* FP_XATTR_ERR, or a hash failure */
	size_t value_len;		/* FP_MALFORMED */
	uint8_t stored[EROFS_ISHARE_DIGEST_LEN];
	struct erofs_sha256 *h;		/* FP_HASH with libcrypto */
	/* hashed ahead (fp_file_data_end): the digest, the hash freed */
	uint8_t computed[EROFS_ISHARE_DIGEST_LEN];
	bool hashed;
};

int erofs_ishare_check_super(struct erofs_image *img)
{
	if (!(img->feature_compat & EROFS_FEATURE_COMPAT_ISHARE_XATTRS))
		return -ENODATA;
	if (img->ishare_prefix_id >= img->xattr_prefix_count)
		return -EFSCORRUPTED;
	/* before the lanes open their copies of the image (descriptors) */
	return erofs_sha256_load();
}

static int fp_begin(void *priv, struct erofs_image *img, bool whole,
		    const struct erofs_verify_sink *sink)
{
	struct erofs_ishare_verifier *v = priv;
	int r = erofs_ishare_check_super(img);

	/* the image-wide rows belong to a check of the whole image */
	if (whole && r == -ENODATA)
		sink->report(sink, EROFS_PROB_ISHARE_ABSENT,
			     "compat ISHARE_XATTRS not set");
	else if (whole && r == -EFSCORRUPTED)
		sink->report(sink, EROFS_PROB_SB_ISHARE_PREFIX,
			     "id %u, %u long prefixes", img->ishare_prefix_id,
			     img->xattr_prefix_count);
	else if (whole && r)
		sink->report(sink, EROFS_PROB_ISHARE_UNVERIFIED,
			     "no SHA-256: %s", erofs_sha256_why());
	v->img = img;
	v->sha_err = r == -EOPNOTSUPP || r == -ELIBACC ? r : 0;
	/* without a usable key there is nothing to compare the files with */
	if (erofs_ishare_prefix_id(img) < 0)
		return EROFS_VERIFY_NO_DATA;
	v->prefix_id = img->ishare_prefix_id;
	return 0;
}

static int fp_file_begin(void *priv, struct erofs_verify_file *f)
{
	struct erofs_ishare_verifier *v = priv;
	struct erofs_inode *inode = f->inode;
	struct fp_file *ff;
	uint8_t *value;
	size_t len;
	int ret;

	ff = calloc(1, sizeof(*ff));
	f->state = ff;
	if (!ff)
		return -ENOMEM;
	ret = erofs_ishare_find_value(inode, v->prefix_id, &value, &len);
	if (ret < 0) {
		/* the verdict must not take it for a hash (there is none) */
		if (ret == -ENOMEM)
			return ff->err = ret;
		ff->state = FP_XATTR_ERR;
		ff->err = ret;
		return EROFS_VERIFY_NO_DATA;
	}
	if (!inode->size) {
		ff->state = ret ? FP_EMPTY_WITH : FP_EMPTY;
		free(value);
		return EROFS_VERIFY_NO_DATA;
	}
	if (!ret) {
		ff->state = FP_MISSING;
		return EROFS_VERIFY_NO_DATA;
	}
	ret = erofs_ishare_value_decode(value, len, ff->stored);
	free(value);
	if (ret) {
		ff->state = FP_MALFORMED;
		ff->value_len = len;
		return EROFS_VERIFY_NO_DATA;
	}
	ff->state = FP_HASH;
	if (v->sha_err) {
		/* nothing to hash with: the verdict says so */
		ff->err = v->sha_err;
		return EROFS_VERIFY_NO_DATA;
	}
	ff->h = erofs_sha256_new();
	if (!ff->h)
		return ff->err = -ENOMEM;
	return 0;
}

static int fp_file_data(void *priv, const struct erofs_verify_file *f,
			uint64_t off, const void *buf, size_t len)
{
	static const uint8_t zeros[4096];
	struct fp_file *ff = f->state;

	(void)priv;
	if (buf) {
		if (!ff->err)
			ff->err = erofs_sha256_update(ff->h, buf, len);
		return 0;
	}
	/* a hole hashes as the zeros it reads as */
	while (len && !ff->err) {
		size_t n = EROFS_MIN(len, sizeof(zeros));

		ff->err = erofs_sha256_update(ff->h, zeros, n);
		len -= n;
	}
	return 0;
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

static int fp_file_verdict(void *priv, const struct erofs_verify_file *f,
			   int err)
{
	struct erofs_ishare_verifier *v = priv;
	const struct erofs_verify_sink *s = f->sink;
	struct fp_file *ff = f->state;
	uint8_t computed[EROFS_ISHARE_DIGEST_LEN];
	char hs[EROFS_ISHARE_HEX_MAX], hc[EROFS_ISHARE_HEX_MAX], kb[272];

	switch (ff->state) {
	case FP_XATTR_ERR:
		/* an unverifiable file is not proof of corruption (and an
		 * unreadable one is reported by the structural check) */
		s->report(s, EROFS_PROB_ISHARE_UNVERIFIED,
			  "reading extended attributes: %s", strerror(-ff->err));
		return 0;
	case FP_EMPTY_WITH:
		s->report(s, EROFS_PROB_ISHARE_EMPTY, "%s",
			  key_of(v->img, kb, sizeof(kb)));
		return 0;
	case FP_EMPTY:
		return 0;
	case FP_MISSING:
		s->report(s, EROFS_PROB_ISHARE_MISSING,
			  "no %s on a %llu-byte file",
			  key_of(v->img, kb, sizeof(kb)),
			  (unsigned long long)f->inode->size);
		return 0;
	case FP_MALFORMED:
		if (ff->value_len != EROFS_ISHARE_VALUE_LEN)
			s->report(s, EROFS_PROB_ISHARE_MALFORMED,
				  "%zu bytes, expected %u (\"%s\" + %u-byte digest)",
				  ff->value_len, EROFS_ISHARE_VALUE_LEN,
				  EROFS_ISHARE_VALUE_PREFIX,
				  EROFS_ISHARE_DIGEST_LEN);
		else
			s->report(s, EROFS_PROB_ISHARE_MALFORMED,
				  "value does not start with \"%s\"",
				  EROFS_ISHARE_VALUE_PREFIX);
		return 0;
	case FP_HASH:
		break;
	}
	if (ff->err == -EOPNOTSUPP || ff->err == -ELIBACC) {
		s->report(s, EROFS_PROB_ISHARE_UNVERIFIED, "no SHA-256: %s",
			  erofs_sha256_why());
		return 0;
	}
	if (!err)
		err = ff->err;
	if (!err && ff->hashed)
		memcpy(computed, ff->computed, sizeof(computed));
	else if (!err)
		err = erofs_sha256_final(ff->h, computed);
	if (err == -ENOMEM)
		return err;
	if (err == -EOPNOTSUPP) {
		s->report(s, EROFS_PROB_ISHARE_UNVERIFIED,
			  "%s data cannot be decoded by this reader",
			  erofs_ishare_readpath_name(
				erofs_ishare_inode_readpath(f->inode)));
		return 0;
	}
	if (err) {
		s->report(s, EROFS_PROB_ISHARE_UNVERIFIED,
			  "reading file data: %s", strerror(-err));
		return 0;
	}
	if (memcmp(ff->stored, computed, sizeof(computed))) {
		hex_digest(ff->stored, hs);
		hex_digest(computed, hc);
		s->report(s, EROFS_PROB_ISHARE_MISMATCH,
			  "stored sha256:%s, contents hash to sha256:%s",
			  hs, hc);
	}
	return 0;
}

static void fp_file_abort(void *priv, const struct erofs_verify_file *f)
{
	struct fp_file *ff = f->state;

	(void)priv;
	if (ff)
		erofs_sha256_free(ff->h);
	free(ff);
}

/* in a worker: the digest now, so that the hash's state is freed */
static void fp_file_data_end(void *priv, struct erofs_verify_file *f,
			     int err)
{
	struct fp_file *ff = f->state;

	(void)priv;
	/* the verdict does not use the hash then */
	if (err || ff->err || !ff->h)
		return;
	ff->err = erofs_sha256_final(ff->h, ff->computed);
	if (ff->err)
		return;
	erofs_sha256_free(ff->h);
	ff->h = NULL;
	ff->hashed = true;
}

static int fp_file_end(void *priv, const struct erofs_verify_file *f,
		       int err)
{
	int ret = f->state ? fp_file_verdict(priv, f, err) : -ENOMEM;

	fp_file_abort(priv, f);
	return ret;
}

const struct erofs_verifier_ops erofs_ishare_verifier_ops = {
	.name = "ishare",
	.begin = fp_begin,
	.file_begin = fp_file_begin,
	.file_data = fp_file_data,
	.file_end = fp_file_end,
	.file_abort = fp_file_abort,
	.file_data_end = fp_file_data_end,
	/* all it keeps of a file is in its fp_file */
	.parallel = true,
};

struct erofs_ishare_verifier *erofs_ishare_verifier_new(void)
{
	return calloc(1, sizeof(struct erofs_ishare_verifier));
}

void erofs_ishare_verifier_free(struct erofs_ishare_verifier *v)
{
	free(v);
}
