/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * uuid.h - filesystem UUIDs for mkfs: parse and print the usual
 * 8-4-4-4-12 hex form, make a random one, or derive one reproducibly.
 *
 * A derived UUID is a 128-bit FNV-1a hash of the tree's metadata (names,
 * modes, owners, sizes, times, symlink targets, xattrs; not file data),
 * the build time and the volume label, with the RFC 9562 version 8
 * ("custom") and variant bits set.  Equal inputs give equal UUIDs, so a
 * build with a fixed timestamp is byte-for-byte reproducible, while
 * different trees still get different UUIDs.
 */
#ifndef __EROFS_UUID_H
#define __EROFS_UUID_H

#include "erofs/tree.h"

#define EROFS_UUID_STR_LEN	36	/* without the NUL */

/* 0, or -EINVAL when s is not a UUID */
int erofs_uuid_parse(const char *s, uint8_t uuid[16]);
/* lower-case, out must hold EROFS_UUID_STR_LEN + 1 bytes */
void erofs_uuid_unparse(const uint8_t uuid[16], char *out);
/* a random (version 4) UUID: 0 or -errno */
int erofs_uuid_random(uint8_t uuid[16]);
/* a reproducible UUID, see above; root should be finalized */
void erofs_uuid_from_tree(const struct erofs_node *root, int64_t build_time,
			  const char *label, uint8_t uuid[16]);

#endif
