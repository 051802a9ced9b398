// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * crc32c.c - table-driven CRC-32C.  None of our dependencies exports
 * CRC-32C (zlib and libdeflate only do the IEEE polynomial), and it is only
 * run over one superblock block, so a small byte-wise table is enough.
 */
#include <string.h>
#include "erofs/crc32c.h"
#include "erofs/erofs_fs.h"

static uint32_t crc32c_table[256];
static int crc32c_table_ready;	/* idempotent, same result on any thread */

static void crc32c_init(void)
{
	unsigned int i, j;

	for (i = 0; i < 256; i++) {
		uint32_t c = i;

		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ (0x82F63B78U & (0U - (c & 1)));
		crc32c_table[i] = c;
	}
	__atomic_store_n(&crc32c_table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t erofs_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	if (!__atomic_load_n(&crc32c_table_ready, __ATOMIC_ACQUIRE))
		crc32c_init();
	while (len--)
		crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

uint32_t erofs_sb_checksum(const void *blk0, unsigned int blksz)
{
	const unsigned char *sb = (const unsigned char *)blk0 + EROFS_SUPER_OFFSET;
	unsigned int len = blksz > EROFS_SUPER_OFFSET ?
			   blksz - EROFS_SUPER_OFFSET : blksz;
	static const unsigned char zero[4];
	uint32_t crc;

	/* magic, then the checksum field as zeros, then the rest */
	crc = erofs_crc32c(~0U, sb, 4);
	crc = erofs_crc32c(crc, zero, 4);
	return erofs_crc32c(crc, sb + 8, len - 8);
}
