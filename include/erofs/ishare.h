/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * ishare.h - page cache sharing ("ishare") fingerprints.
 *
 * A fingerprint is the xattr value "sha256:" + 32 raw SHA-256 bytes of a
 * regular file's whole uncompressed content (holes as zeros), stored under
 * a long xattr prefix whose index is the superblock's
 * ishare_xattr_prefix_id (see ../shared/docs/ishare.md).  The writer hashes
 * while it reads each file for the image; the checker recomputes from the
 * decoded data (erofs/ishare_check.h).  SHA-256 comes from OpenSSL's
 * libcrypto.  This header declares lib/ishare.c: the hash, the value's
 * form, the image's fingerprint key and where an inode keeps its value.
 */
#ifndef __EROFS_ISHARE_H
#define __EROFS_ISHARE_H

#include "erofs/defs.h"
#include "erofs/erofs_fs.h"

struct erofs_image;
struct erofs_inode;
struct erofs_sha256;	/* opaque streaming hash */

/*
 * Make SHA-256 ready: libcrypto is loaded on first use, which takes a file
 * descriptor, so a tool that will hash calls this before its threads and
 * open files take them.  0, -EOPNOTSUPP (built without libcrypto) or
 * -ELIBACC (libcrypto could not be loaded).
 */
int erofs_sha256_load(void);
/* why SHA-256 is not available (for messages), NULL when it is */
const char *erofs_sha256_why(void);
struct erofs_log;
/*
 * After erofs_sha256_new() failed for a job that needs it: logs "<need>
 * SHA-256 (libcrypto), which is not available: <why>" (need: say
 * "fingerprints need", "--chunksize needs", ...) and returns -EOPNOTSUPP,
 * or logs that memory ran out and returns -ENOMEM.
 */
int erofs_sha256_unavailable(const struct erofs_log *log, const char *need);
/* NULL on allocation failure or when SHA-256 is not available */
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

/* the prefix id if the image has a usable fingerprint key, else -1 */
int erofs_ishare_prefix_id(const struct erofs_image *img);

/*
 * The full name of the image's fingerprint xattr (e.g.
 * "trusted.erofs.fingerprint", or "erofs.fingerprint.v1" for a hidden one)
 * in a malloc'ed string the caller frees.  NULL (not an error pointer)
 * when the image has no ISHARE_XATTRS feature or its prefix id is out of
 * range; ERR_PTR(-ENOMEM) on allocation failure.
 */
char *erofs_ishare_key_name(const struct erofs_image *img);

/*
 * The fingerprint entry of an inode: the first entry (inline, then shared,
 * the kernel's lookup order) with e_name_index 0x80 | prefix_id and an
 * empty name suffix.  Returns 1 with a malloc'ed copy of the value in
 * *value / *len, 0 if there is none, or the reader's -errno.
 */
int erofs_ishare_find_value(struct erofs_inode *inode, unsigned int prefix_id,
			    uint8_t **value, size_t *len);

enum erofs_ishare_readpath {
	EROFS_ISHARE_READ_PLAIN,	/* flat, inline and chunk-based layouts */
	EROFS_ISHARE_READ_COMPRESSED,	/* COMPRESSED_FULL and _COMPACT */
};

/* "plain" / "compressed" */
const char *erofs_ishare_readpath_name(enum erofs_ishare_readpath rp);
enum erofs_ishare_readpath erofs_ishare_inode_readpath(
					const struct erofs_inode *inode);

/*
 * Format a raw value for humans: the 64 hex digits of the digest for a
 * well-formed value, "-" for none, "malformed(N bytes)" otherwise.  out
 * must hold EROFS_ISHARE_HEX_MAX bytes.
 */
#define EROFS_ISHARE_HEX_MAX	(2 * EROFS_ISHARE_DIGEST_LEN + 1)
void erofs_ishare_value_hex(const void *value, size_t len,
			    char out[EROFS_ISHARE_HEX_MAX]);

#endif
