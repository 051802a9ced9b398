/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * ishare_check.h - fsck --check-ishare: the fingerprint verifier that
 * plugs into the check engine (erofs/verify.h, lib/ishare_check.c).
 *
 * Rules: the superblock enables ISHARE_XATTRS with a prefix id below the
 * long prefix count (E_ISHARE_ABSENT, E_SB_ISHARE_PREFIX); a regular file
 * of size > 0 carries a well-formed fingerprint (E_ISHARE_MISSING,
 * E_ISHARE_MALFORMED) equal to the SHA-256 of its decoded contents
 * (E_ISHARE_MISMATCH); an empty file carries none (W_ISHARE_EMPTY); a file
 * whose xattrs or data cannot be read or decoded is W_ISHARE_UNVERIFIED
 * (the structural check reports the cause).  The contents are hashed
 * from the bytes the engine decodes for its own check: no file is
 * decoded twice.
 *
 *	struct erofs_ishare_verifier *fp = erofs_ishare_verifier_new();
 *	struct erofs_verifier v = { &erofs_ishare_verifier_ops, fp };
 *	params.verifiers = &v; params.nr_verifiers = 1;
 *	erofs_check_image(img, &params, &stats);
 *	erofs_ishare_verifier_free(fp);
 */
#ifndef __EROFS_ISHARE_CHECK_H
#define __EROFS_ISHARE_CHECK_H

#include "erofs/verify.h"

struct erofs_ishare_verifier;	/* opaque: the state of one check */

extern const struct erofs_verifier_ops erofs_ishare_verifier_ops;

/* NULL on allocation failure */
struct erofs_ishare_verifier *erofs_ishare_verifier_new(void);
void erofs_ishare_verifier_free(struct erofs_ishare_verifier *v);

/*
 * The superblock side alone: 0, -ENODATA (no ISHARE_XATTRS),
 * -EFSCORRUPTED (prefix id out of range), -EOPNOTSUPP (built without
 * SHA-256 support) or -ELIBACC (libcrypto could not be loaded).
 */
int erofs_ishare_check_super(struct erofs_image *img);

#endif
