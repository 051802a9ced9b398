/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * crc32c.h - CRC-32C (Castagnoli) as the kernel's crc32c(): the caller
 * passes the running register, no final inversion is applied.
 */
#ifndef __EROFS_CRC32C_H
#define __EROFS_CRC32C_H

#include "erofs/defs.h"

uint32_t erofs_crc32c(uint32_t crc, const void *buf, size_t len);

/*
 * The superblock checksum of an image whose first block is blk0 (at least
 * 1024 + 128 bytes, blksz bytes long): CRC32C over the superblock block
 * range with the checksum field read as zero.
 */
uint32_t erofs_sb_checksum(const void *blk0, unsigned int blksz);

#endif
