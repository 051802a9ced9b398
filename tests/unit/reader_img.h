/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * reader_img.h - a small hand-made image for the reader and check unit
 * tests, built byte by byte so every offset is known (BS 4096, 6 blocks):
 *
 *   nid 36 (1152) /   dir, FLAT_INLINE: . .. c d f l (data at 1184)
 *   nid 40 (1280) /f  file, FLAT_PLAIN 5000 bytes in blocks 2-3, nlink 2,
 *                     xattrs: shared trusted.s, user.a, ACL, user.long.x
 *   nid 45 (1440) /l  symlink, FLAT_INLINE "target"
 *   nid 47 (1504) /d  dir, FLAT_PLAIN block 1: . .. x (x = nid 40)
 *   nid 50 (1600) /c  chunk-based, 4-byte map [4, hole, 5], 12288 bytes
 *   1408: shared xattr (id 352); 1536: long prefix table ("user.long.")
 */
#ifndef __TEST_READER_IMG_H
#define __TEST_READER_IMG_H

#include <stddef.h>
#include <stdint.h>

#define TIMG_BS		4096
#define TIMG_BLOCKS	6
#define TIMG_SIZE	(TIMG_BS * TIMG_BLOCKS)
#define TIMG_ROOT	36
#define TIMG_F		40
#define TIMG_L		45
#define TIMG_D		47
#define TIMG_C		50
#define TIMG_ROOT_DATA	1184	/* root's inline dirents */
#define TIMG_D_DATA	4096	/* d's dirent block */
#define TIMG_F_SIZE	5000

/* fill buf (TIMG_SIZE bytes) with the image */
void timg_build(unsigned char *buf);
/* recompute the superblock checksum after a mutation */
void timg_fix_crc(unsigned char *buf);
/* the expected byte i of /f */
unsigned char timg_f_byte(size_t i);
/* little-endian stores */
void timg_put16(unsigned char *p, uint16_t v);
void timg_put32(unsigned char *p, uint32_t v);
void timg_put64(unsigned char *p, uint64_t v);

#endif
