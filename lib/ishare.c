// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * ishare.c - fingerprint values and the streaming SHA-256 behind them.
 * libcrypto's EVP interface picks the SHA-NI code path on CPUs that have it.
 */
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "erofs/ishare.h"
#ifdef HAVE_LIBCRYPTO
#include <openssl/evp.h>
#endif

struct erofs_sha256 {
#ifdef HAVE_LIBCRYPTO
	EVP_MD_CTX *ctx;
#endif
	int unused;
};

struct erofs_sha256 *erofs_sha256_new(void)
{
#ifdef HAVE_LIBCRYPTO
	struct erofs_sha256 *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || erofs_sha256_reset(h)) {
		erofs_sha256_free(h);
		return NULL;
	}
	return h;
#else
	return NULL;
#endif
}

int erofs_sha256_reset(struct erofs_sha256 *h)
{
#ifdef HAVE_LIBCRYPTO
	return EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
#else
	return -EOPNOTSUPP;
#endif
}

int erofs_sha256_update(struct erofs_sha256 *h, const void *buf, size_t len)
{
#ifdef HAVE_LIBCRYPTO
	return EVP_DigestUpdate(h->ctx, buf, len) == 1 ? 0 : -EIO;
#else
	return -EOPNOTSUPP;
#endif
}

int erofs_sha256_final(struct erofs_sha256 *h,
		       uint8_t digest[EROFS_ISHARE_DIGEST_LEN])
{
#ifdef HAVE_LIBCRYPTO
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(h->ctx, digest, &len) != 1 ||
	    len != EROFS_ISHARE_DIGEST_LEN)
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
	EVP_MD_CTX_free(h->ctx);
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
