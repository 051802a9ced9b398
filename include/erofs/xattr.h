/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * xattr.h - xattr name handling shared by the writer and the reader:
 * short prefixes (user., trusted., ...), long prefixes (a short prefix plus
 * an infix, referenced as 0x80 | k) and the per-inode name bloom filter.
 *
 * A "long prefix" with base_index 0 is a hidden one: its whole name is the
 * infix and listxattr does not show it (how erofs-utils stores
 * erofs.fingerprint.v1).
 */
#ifndef __EROFS_XATTR_H
#define __EROFS_XATTR_H

#include "erofs/defs.h"

struct erofs_xattr_prefix {
	uint8_t base_index;	/* short prefix index, 0 = none (hidden) */
	char *infix;		/* bytes after the short prefix, owned */
	size_t infix_len;
};

/* the short prefix string of index 1..6, NULL for unknown ones */
const char *erofs_xattr_short_prefix(unsigned int index);

/*
 * Split a full name into a short index and its suffix.  ACL names give
 * index 2/3 and an empty suffix.  Returns 0, or -EOPNOTSUPP for names that
 * no short prefix covers (those can only be stored via a long prefix).
 */
int erofs_xattr_split_name(const char *name, size_t len, uint8_t *index,
			   size_t *suffix_off);

/*
 * Fill *pfx from a full prefix string, e.g. "trusted.overlay." gives base 4
 * and infix "overlay.", "erofs.fingerprint.v1" gives base 0 and the whole
 * string.  Returns 0, -EINVAL for an empty or over-long (> 255 bytes infix)
 * prefix, -ENOMEM.
 */
int erofs_xattr_prefix_from_name(struct erofs_xattr_prefix *pfx,
				 const char *name);
void erofs_xattr_prefix_release(struct erofs_xattr_prefix *pfx);

/* the full prefix string length (short prefix + infix) */
size_t erofs_xattr_prefix_len(const struct erofs_xattr_prefix *pfx);

/* the filter bit (0..31) of a name given its base index and the bytes after
 * the short prefix */
unsigned int erofs_xattr_filter_bit(unsigned int base_index, const void *name,
				    size_t len);

/* false when built without libxxhash: write no filters, check none */
bool erofs_xattr_filter_available(void);

#endif
