// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * uuid.c - filesystem UUIDs (see erofs/uuid.h).  Parsing and random
 * generation are ours, so the library does not need libuuid for them.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "erofs/uuid.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int erofs_uuid_parse(const char *s, uint8_t uuid[16])
{
	unsigned int i, n = 0;

	if (strlen(s) != EROFS_UUID_STR_LEN)
		return -EINVAL;
	for (i = 0; i < EROFS_UUID_STR_LEN; ) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -EINVAL;
			continue;
		}
		hi = hexval(s[i]);
		lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		uuid[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

void erofs_uuid_unparse(const uint8_t uuid[16], char *out)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		out += sprintf(out, "%02x", uuid[i]);
		if (i == 3 || i == 5 || i == 7 || i == 9)
			*out++ = '-';
	}
	*out = '\0';
}

int erofs_uuid_random(uint8_t uuid[16])
{
	size_t got = 0;

	while (got < 16) {
		ssize_t n = getrandom(uuid + got, 16 - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	uuid[6] = (uuid[6] & 0x0F) | 0x40;	/* version 4 */
	uuid[8] = (uuid[8] & 0x3F) | 0x80;	/* RFC variant */
	return 0;
}

/* FNV-1a over 128 bits (offset basis and prime from the FNV spec) */
struct fnv128 {
	unsigned __int128 h;
};

static void fnv_bytes(struct fnv128 *f, const void *buf, size_t len)
{
	const unsigned __int128 prime =
		((unsigned __int128)1 << 88) | 0x13B;
	const unsigned char *p = buf;

	while (len--) {
		f->h ^= *p++;
		f->h *= prime;
	}
}

/* integers are hashed as 8 little-endian bytes, whatever the host */
static void fnv_u64(struct fnv128 *f, uint64_t v)
{
	unsigned char b[8];
	unsigned int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	fnv_bytes(f, b, sizeof(b));
}

static void fnv_blob(struct fnv128 *f, const void *buf, size_t len)
{
	fnv_u64(f, len);
	fnv_bytes(f, buf, len);
}

static void hash_node(struct fnv128 *f, const struct erofs_node *n)
{
	size_t i;

	fnv_u64(f, n->mode);
	fnv_u64(f, n->uid);
	fnv_u64(f, n->gid);
	fnv_u64(f, (uint64_t)n->mtime);
	fnv_u64(f, n->mtime_nsec);
	fnv_u64(f, n->size);
	fnv_u64(f, n->nlink);
	fnv_u64(f, n->rdev);
	if (n->symlink)
		fnv_blob(f, n->symlink, n->size);
	for (i = 0; i < n->nr_xattrs; i++) {
		fnv_blob(f, n->xattrs[i].name, n->xattrs[i].name_len);
		fnv_blob(f, n->xattrs[i].value, n->xattrs[i].value_len);
	}
	fnv_u64(f, n->nr_dentries);
	/*
	 * Hard-linked nodes are simply hashed once per name.  ino_hint is
	 * left out: host inode numbers must not leak into the image.
	 * Recursion depth is the tree depth, fine for real trees.
	 */
	for (i = 0; i < n->nr_dentries; i++) {
		fnv_blob(f, n->dentries[i].name, n->dentries[i].name_len);
		hash_node(f, n->dentries[i].inode);
	}
}

void erofs_uuid_from_tree(const struct erofs_node *root, int64_t build_time,
			  const char *label, uint8_t uuid[16])
{
	struct fnv128 f = {
		.h = ((unsigned __int128)0x6C62272E07BB0142ULL << 64) |
		     0x62B821756295C58DULL,
	};
	unsigned int i;

	fnv_bytes(&f, "erofs-tools uuid v1", 19);
	fnv_u64(&f, (uint64_t)build_time);
	fnv_blob(&f, label ? label : "", label ? strlen(label) : 0);
	if (root)
		hash_node(&f, root);
	for (i = 0; i < 16; i++)
		uuid[i] = (uint8_t)(f.h >> (8 * (15 - i)));
	uuid[6] = (uuid[6] & 0x0F) | 0x80;	/* version 8: custom */
	uuid[8] = (uuid[8] & 0x3F) | 0x80;	/* RFC variant */
}
