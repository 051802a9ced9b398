// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * xattr_name.c - xattr prefix tables and the name bloom filter hash.
 */
#include <stdlib.h>
#include <string.h>
#include "config.h"
#ifdef HAVE_LIBXXHASH
#include <xxhash.h>
#endif
#include "erofs/erofs_fs.h"
#include "erofs/xattr.h"

static const char *const erofs_short_prefixes[] = {
	[EROFS_XATTR_INDEX_USER] = "user.",
	[EROFS_XATTR_INDEX_POSIX_ACL_ACCESS] = "system.posix_acl_access",
	[EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT] = "system.posix_acl_default",
	[EROFS_XATTR_INDEX_TRUSTED] = "trusted.",
	[EROFS_XATTR_INDEX_LUSTRE] = "lustre.",
	[EROFS_XATTR_INDEX_SECURITY] = "security.",
};

const char *erofs_xattr_short_prefix(unsigned int index)
{
	if (index >= EROFS_ARRAY_SIZE(erofs_short_prefixes))
		return NULL;
	return erofs_short_prefixes[index];
}

int erofs_xattr_split_name(const char *name, size_t len, uint8_t *index,
			   size_t *suffix_off)
{
	unsigned int i;

	for (i = 1; i < EROFS_ARRAY_SIZE(erofs_short_prefixes); i++) {
		const char *p = erofs_short_prefixes[i];
		size_t plen = strlen(p);
		bool acl = i == EROFS_XATTR_INDEX_POSIX_ACL_ACCESS ||
			   i == EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT;

		/* ACL names match whole; the others are real prefixes */
		if (acl ? (len != plen) : (len < plen))
			continue;
		if (memcmp(name, p, plen))
			continue;
		*index = (uint8_t)i;
		*suffix_off = plen;
		return 0;
	}
	return -EOPNOTSUPP;
}

int erofs_xattr_prefix_from_name(struct erofs_xattr_prefix *pfx,
				 const char *name)
{
	size_t len = name ? strlen(name) : 0, off = 0;
	uint8_t index = 0;

	memset(pfx, 0, sizeof(*pfx));
	if (!len)
		return -EINVAL;
	if (erofs_xattr_split_name(name, len, &index, &off))
		index = 0, off = 0;	/* hidden prefix: the whole name */
	/* on-disk length is 1 + infix and must stay within 1..256 */
	if (len - off > 255)
		return -EINVAL;
	pfx->base_index = index;
	pfx->infix_len = len - off;
	pfx->infix = malloc(pfx->infix_len + 1);
	if (!pfx->infix)
		return -ENOMEM;
	memcpy(pfx->infix, name + off, pfx->infix_len + 1);
	return 0;
}

void erofs_xattr_prefix_release(struct erofs_xattr_prefix *pfx)
{
	if (!pfx)
		return;
	free(pfx->infix);
	pfx->infix = NULL;
	pfx->infix_len = 0;
}

size_t erofs_xattr_prefix_len(const struct erofs_xattr_prefix *pfx)
{
	const char *s = erofs_xattr_short_prefix(pfx->base_index);

	return (s ? strlen(s) : 0) + pfx->infix_len;
}

unsigned int erofs_xattr_filter_bit(unsigned int base_index, const void *name,
				    size_t len)
{
#ifdef HAVE_LIBXXHASH
	return XXH32(name, len, EROFS_XATTR_FILTER_SEED + base_index) &
		(EROFS_XATTR_FILTER_BITS - 1);
#else
	/* callers check erofs_xattr_filter_available() first */
	return 0;
#endif
}

bool erofs_xattr_filter_available(void)
{
#ifdef HAVE_LIBXXHASH
	return true;
#else
	return false;
#endif
}
