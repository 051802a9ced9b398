/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * ishare.h - page cache sharing ("ishare") fingerprints.
 *
 * A fingerprint is the xattr value "sha256:" + 32 raw SHA-256 bytes of a
 * regular file's whole uncompressed content (holes as zeros), stored under
 * a long xattr prefix whose index is the superblock's
 * ishare_xattr_prefix_id (see ../shared/docs/ishare.md).  The writer hashes
 * while it reads each file for the image; the checker recomputes from the
 * decoded data.  SHA-256 comes from OpenSSL's libcrypto.
 */
#ifndef __EROFS_ISHARE_H
#define __EROFS_ISHARE_H

#include "erofs/defs.h"
#include "erofs/erofs_fs.h"

struct erofs_sha256;	/* opaque streaming hash */

/* NULL on allocation failure or when built without libcrypto */
struct erofs_sha256 *erofs_sha256_new(void);
int erofs_sha256_reset(struct erofs_sha256 *h);
int erofs_sha256_update(struct erofs_sha256 *h, const void *buf, size_t len);
int erofs_sha256_final(struct erofs_sha256 *h,
		       uint8_t digest[EROFS_ISHARE_DIGEST_LEN]);
void erofs_sha256_free(struct erofs_sha256 *h);	/* accepts NULL */

/* "sha256:" + digest -> out (EROFS_ISHARE_VALUE_LEN bytes, no NUL) */
void erofs_ishare_value_encode(const uint8_t digest[EROFS_ISHARE_DIGEST_LEN],
			       uint8_t out[EROFS_ISHARE_VALUE_LEN]);
/* 0 and the digest, or -EINVAL when the value is not of that form */
int erofs_ishare_value_decode(const void *value, size_t len,
			      uint8_t digest[EROFS_ISHARE_DIGEST_LEN]);

#endif
