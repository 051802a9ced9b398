// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * ishare.c - fingerprint values (their key, their entry in an inode,
 * their form) and the streaming SHA-256 behind them, from libcrypto.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "erofs/ishare.h"
#include "erofs/log.h"
#include "erofs/reader.h"
#ifdef HAVE_LIBCRYPTO
#include <pthread.h>
/*
 * SHA256_Init/Update/Final where libcrypto has them, EVP otherwise.
 * OpenSSL 3 marks the former deprecated but keeps them (unless built
 * without its deprecated calls: then the headers lack them, and EVP is
 * compiled in alone).  Both run the same code (SHA-NI where the CPU has
 * it: 1 GB in 0.75 s either way here), but EVP's first digest sets up
 * the provider machinery and reads openssl.cnf, which grows the process
 * by 2.2 MiB; the low-level calls, by 0.2 MiB.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>
#ifndef OPENSSL_NO_DEPRECATED_3_0
#define HAVE_SHA256_LOW 1
#define SHA256_LOW(call)	(call)
#else
#define SHA256_LOW(call)	0	/* never reached: crypto.evp is set */
#endif
#ifdef LIBCRYPTO_SONAME
#include <dlfcn.h>
#endif
_Static_assert(SHA256_DIGEST_LENGTH == EROFS_ISHARE_DIGEST_LEN,
	       "a fingerprint holds one SHA-256 digest");

/*
 * The libcrypto calls used, resolved once for the process.  With
 * LIBCRYPTO_SONAME (configure.ac) the tools do not link libcrypto: loading
 * OpenSSL 3 costs about 1.7 MiB of RSS, and fsck without --check-ishare,
 * dump and erofsfuse never hash.  A tool that will hash loads it early
 * (erofs_sha256_load), before descriptors run short.  The table is the
 * library's one piece of process-wide state: written once under
 * pthread_once, read-only after, and never unloaded (a context may
 * outlive any caller).  __typeof__ keeps the pointers' types those of
 * the declarations in <openssl/sha.h> and <openssl/evp.h>.
 */
static struct {
#ifdef HAVE_SHA256_LOW
	__typeof__(&SHA256_Init) init;		/* NULL: EVP below */
	__typeof__(&SHA256_Update) update;
	__typeof__(&SHA256_Final) final;
#endif
	__typeof__(&EVP_MD_CTX_new) ctx_new;
	__typeof__(&EVP_MD_CTX_free) ctx_free;
	__typeof__(&EVP_sha256) sha256;
	__typeof__(&EVP_DigestInit_ex) evp_init;
	__typeof__(&EVP_DigestUpdate) evp_update;
	__typeof__(&EVP_DigestFinal_ex) evp_final;
	bool ok, evp;
	char why[160];		/* when !ok: what failed */
} crypto;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

struct erofs_sha256 {
#ifdef HAVE_SHA256_LOW
	SHA256_CTX low;
#endif
	EVP_MD_CTX *evp;		/* crypto.evp: the context */
};

#ifdef LIBCRYPTO_SONAME
/* POSIX guarantees a dlsym() result converts to a function pointer */
#define CRYPTO_SYM(h, field, name) \
	(crypto.field = (__typeof__(crypto.field))dlsym(h, #name))
#else
#define CRYPTO_SYM(h, field, name)	(crypto.field = name)
#endif

static bool crypto_low(void *h)
{
#ifdef HAVE_SHA256_LOW
	return CRYPTO_SYM(h, init, SHA256_Init) &&
	       CRYPTO_SYM(h, update, SHA256_Update) &&
	       CRYPTO_SYM(h, final, SHA256_Final);
#else
	(void)h;
	return false;
#endif
}

static bool crypto_evp(void *h)
{
	return CRYPTO_SYM(h, ctx_new, EVP_MD_CTX_new) &&
	       CRYPTO_SYM(h, ctx_free, EVP_MD_CTX_free) &&
	       CRYPTO_SYM(h, sha256, EVP_sha256) &&
	       CRYPTO_SYM(h, evp_init, EVP_DigestInit_ex) &&
	       CRYPTO_SYM(h, evp_update, EVP_DigestUpdate) &&
	       CRYPTO_SYM(h, evp_final, EVP_DigestFinal_ex);
}

/* a reset context (crypto loaded), NULL without memory or on failure */
static struct erofs_sha256 *sha256_alloc(void)
{
	struct erofs_sha256 *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	if ((crypto.evp && !(h->evp = crypto.ctx_new())) ||
	    erofs_sha256_reset(h)) {
		erofs_sha256_free(h);
		return NULL;
	}
	return h;
}

static void crypto_load(void)
{
	struct erofs_sha256 *h;
	void *so = NULL;

#ifdef LIBCRYPTO_SONAME
	so = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!so) {
		const char *e = dlerror();

		snprintf(crypto.why, sizeof(crypto.why), "%s",
			 e ? e : "cannot load " LIBCRYPTO_SONAME);
		return;
	}
#endif
	if (!crypto_low(so)) {
		crypto.evp = true;
		if (!crypto_evp(so)) {
			snprintf(crypto.why, sizeof(crypto.why),
				 "libcrypto lacks the SHA-256 calls (neither SHA256_Init nor EVP)");
			return;	/* a handle stays: harmless, and rare */
		}
	}
	/*
	 * A first digest, while descriptors are there: OpenSSL initialises
	 * itself then (and EVP reads its configuration file).
	 */
	h = sha256_alloc();
	crypto.ok = h != NULL;
	erofs_sha256_free(h);
	if (!crypto.ok)
		snprintf(crypto.why, sizeof(crypto.why),
			 "libcrypto cannot set up SHA-256");
}
#endif

const char *erofs_sha256_why(void)
{
#ifdef HAVE_LIBCRYPTO
	if (erofs_sha256_load())
		return crypto.why[0] ? crypto.why : "libcrypto cannot be loaded";
	return NULL;
#else
	return "built without libcrypto";
#endif
}

int erofs_sha256_unavailable(const struct erofs_log *log, const char *need)
{
	const char *why = erofs_sha256_why();

	if (!why) {
		erofs_err(log, "%s SHA-256: out of memory", need);
		return -ENOMEM;
	}
	erofs_err(log, "%s SHA-256 (libcrypto), which is not available: %s",
		  need, why);
	return -EOPNOTSUPP;
}

int erofs_sha256_load(void)
{
#ifdef HAVE_LIBCRYPTO
	if (pthread_once(&crypto_once, crypto_load))
		return -ELIBACC;
	return crypto.ok ? 0 : -ELIBACC;
#else
	return -EOPNOTSUPP;
#endif
}

struct erofs_sha256 *erofs_sha256_new(void)
{
#ifdef HAVE_LIBCRYPTO
	if (erofs_sha256_load())
		return NULL;
	return sha256_alloc();
#else
	return NULL;
#endif
}

/* the calls below take an h from erofs_sha256_new(): crypto is loaded */
int erofs_sha256_reset(struct erofs_sha256 *h)
{
#ifdef HAVE_LIBCRYPTO
	int r = crypto.evp ? crypto.evp_init(h->evp, crypto.sha256(), NULL) :
			     SHA256_LOW(crypto.init(&h->low));

	return r == 1 ? 0 : -EIO;
#else
	return -EOPNOTSUPP;
#endif
}

int erofs_sha256_update(struct erofs_sha256 *h, const void *buf, size_t len)
{
#ifdef HAVE_LIBCRYPTO
	int r = crypto.evp ? crypto.evp_update(h->evp, buf, len) :
			     SHA256_LOW(crypto.update(&h->low, buf, len));

	return r == 1 ? 0 : -EIO;
#else
	return -EOPNOTSUPP;
#endif
}

int erofs_sha256_final(struct erofs_sha256 *h,
		       uint8_t digest[EROFS_ISHARE_DIGEST_LEN])
{
#ifdef HAVE_LIBCRYPTO
	unsigned int len = EROFS_ISHARE_DIGEST_LEN;
	int r = crypto.evp ? crypto.evp_final(h->evp, digest, &len) :
			     SHA256_LOW(crypto.final(digest, &h->low));

	if (r != 1 || len != EROFS_ISHARE_DIGEST_LEN)
		return -EIO;
	return erofs_sha256_reset(h);	/* ready for the next file */
#else
	return -EOPNOTSUPP;
#endif
}

void erofs_sha256_free(struct erofs_sha256 *h)
{
	if (!h)
		return;
#ifdef HAVE_LIBCRYPTO
	if (h->evp)
		crypto.ctx_free(h->evp);
#endif
	free(h);
}

void erofs_ishare_value_encode(const uint8_t digest[EROFS_ISHARE_DIGEST_LEN],
			       uint8_t out[EROFS_ISHARE_VALUE_LEN])
{
	memcpy(out, EROFS_ISHARE_VALUE_PREFIX, EROFS_ISHARE_VALUE_PREFIX_LEN);
	memcpy(out + EROFS_ISHARE_VALUE_PREFIX_LEN, digest,
	       EROFS_ISHARE_DIGEST_LEN);
}

int erofs_ishare_value_decode(const void *value, size_t len,
			      uint8_t digest[EROFS_ISHARE_DIGEST_LEN])
{
	if (len != EROFS_ISHARE_VALUE_LEN ||
	    memcmp(value, EROFS_ISHARE_VALUE_PREFIX,
		   EROFS_ISHARE_VALUE_PREFIX_LEN))
		return -EINVAL;
	memcpy(digest, (const uint8_t *)value + EROFS_ISHARE_VALUE_PREFIX_LEN,
	       EROFS_ISHARE_DIGEST_LEN);
	return 0;
}

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
