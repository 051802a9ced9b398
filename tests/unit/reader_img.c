// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/* reader_img.c - see reader_img.h */
#include <string.h>
#include "erofs/crc32c.h"
#include "erofs/erofs_fs.h"
#include "reader_img.h"

void timg_put16(unsigned char *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

void timg_put32(unsigned char *p, uint32_t v)
{
	timg_put16(p, v & 0xffff);
	timg_put16(p + 2, v >> 16);
}

void timg_put64(unsigned char *p, uint64_t v)
{
	timg_put32(p, (uint32_t)v);
	timg_put32(p + 4, (uint32_t)(v >> 32));
}

unsigned char timg_f_byte(size_t i)
{
	return (unsigned char)(i * 7 + 3);
}

static void inode(unsigned char *p, unsigned int layout, uint16_t icount,
		  uint16_t mode, uint16_t nlink, uint32_t size, uint32_t iu,
		  uint32_t ino)
{
	timg_put16(p, erofs_i_format(0, layout));
	timg_put16(p + 2, icount);
	timg_put16(p + 4, mode);
	timg_put16(p + 6, nlink);
	timg_put32(p + 8, size);
	timg_put32(p + 16, iu);
	timg_put32(p + 20, ino);
}

/* a directory block from sorted names; returns its size */
static unsigned int dirblock(unsigned char *p, const char *const *names,
			     const uint64_t *nids, const uint8_t *types,
			     unsigned int n)
{
	unsigned int i, off = 12 * n;

	for (i = 0; i < n; i++) {
		timg_put64(p + 12 * i, nids[i]);
		timg_put16(p + 12 * i + 8, off);
		p[12 * i + 10] = types[i];
		memcpy(p + off, names[i], strlen(names[i]));
		off += strlen(names[i]);
	}
	return off;
}

static unsigned int xentry(unsigned char *p, uint8_t index, const char *name,
			   const void *value, uint16_t vlen)
{
	size_t nl = strlen(name);

	p[0] = (unsigned char)nl;
	p[1] = index;
	timg_put16(p + 2, vlen);
	memcpy(p + 4, name, nl);
	memcpy(p + 4 + nl, value, vlen);
	return erofs_xattr_entry_size(nl, vlen);
}

void timg_fix_crc(unsigned char *buf)
{
	timg_put32(buf + 1024 + 4, 0);
	timg_put32(buf + 1024 + 4, erofs_sb_checksum(buf, TIMG_BS));
}

void timg_build(unsigned char *buf)
{
	static const char *const rnames[] = { ".", "..", "c", "d", "f", "l" };
	static const uint64_t rnids[] = { TIMG_ROOT, TIMG_ROOT, TIMG_C, TIMG_D,
					  TIMG_F, TIMG_L };
	static const uint8_t rtypes[] = { EROFS_FT_DIR, EROFS_FT_DIR,
		EROFS_FT_REG_FILE, EROFS_FT_DIR, EROFS_FT_REG_FILE,
		EROFS_FT_SYMLINK };
	static const char *const dnames[] = { ".", "..", "x" };
	static const uint64_t dnids[] = { TIMG_D, TIMG_ROOT, TIMG_F };
	static const uint8_t dtypes[] = { EROFS_FT_DIR, EROFS_FT_DIR,
					  EROFS_FT_REG_FILE };
	/* a minimal ACL the kernel decodes: owner rw, group r, other r */
	static const unsigned char acl[] = { 2, 0, 0, 0,
		0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
		0x04, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
		0x20, 0, 4, 0, 0xff, 0xff, 0xff, 0xff };
	unsigned char *sb = buf + 1024, *x;
	unsigned int rsize, dsize, i;

	memset(buf, 0, TIMG_SIZE);
	/* superblock */
	timg_put32(sb, EROFS_SUPER_MAGIC_V1);
	timg_put32(sb + 8, EROFS_FEATURE_COMPAT_SB_CHKSUM |
		   EROFS_FEATURE_COMPAT_PLAIN_XATTR_PFX);
	sb[12] = 12;
	timg_put16(sb + 14, TIMG_ROOT);
	timg_put64(sb + 16, 5);			/* inos */
	timg_put32(sb + 36, TIMG_BLOCKS);
	timg_put32(sb + 80, EROFS_FEATURE_INCOMPAT_CHUNKED_FILE |
		   EROFS_FEATURE_INCOMPAT_XATTR_PREFIXES);
	sb[91] = 1;				/* one long prefix */
	timg_put32(sb + 92, 1536 / 4);
	memcpy(sb + 64, "timg", 4);

	/* root */
	rsize = dirblock(buf + TIMG_ROOT_DATA, rnames, rnids, rtypes, 6);
	inode(buf + 1152, EROFS_INODE_FLAT_INLINE, 0, 040755, 3, rsize,
	      EROFS_NULL_ADDR32, 1);
	/* f: 64 bytes of xattrs -> icount 14 (ends at 1376, before 1408) */
	inode(buf + 1280, EROFS_INODE_FLAT_PLAIN, 14, 0100644, 2, TIMG_F_SIZE,
	      2, 2);
	x = buf + 1280 + 32;
	x[4] = 1;				/* one shared id */
	timg_put32(x + 12, 1408 / 4);
	x += 16;
	x += xentry(x, EROFS_XATTR_INDEX_USER, "a", "1", 1);
	x += xentry(x, EROFS_XATTR_INDEX_POSIX_ACL_ACCESS, "", acl, sizeof(acl));
	x += xentry(x, EROFS_XATTR_LONG_PREFIX | 0, "x", "v", 1);
	xentry(buf + 1408, EROFS_XATTR_INDEX_TRUSTED, "s", "shared", 6);
	for (i = 0; i < TIMG_F_SIZE; i++)
		buf[2 * TIMG_BS + i] = timg_f_byte(i);
	/* l */
	inode(buf + 1440, EROFS_INODE_FLAT_INLINE, 0, 0120777, 1, 6,
	      EROFS_NULL_ADDR32, 3);
	memcpy(buf + 1472, "target", 6);
	/* d */
	dsize = dirblock(buf + TIMG_D_DATA, dnames, dnids, dtypes, 3);
	inode(buf + 1504, EROFS_INODE_FLAT_PLAIN, 0, 040700, 2, dsize, 1, 4);
	/* long prefix table: len 1 + 5, base user., "long." */
	timg_put16(buf + 1536, 6);
	buf[1538] = EROFS_XATTR_INDEX_USER;
	memcpy(buf + 1539, "long.", 5);
	/* c: chunk-based, one block per chunk, map [4, hole, 5] */
	inode(buf + 1600, EROFS_INODE_CHUNK_BASED, 0, 0100600, 1, 3 * TIMG_BS,
	      0, 5);
	timg_put32(buf + 1632, 4);
	timg_put32(buf + 1636, EROFS_NULL_ADDR32);
	timg_put32(buf + 1640, 5);
	memset(buf + 4 * TIMG_BS, 0xc4, TIMG_BS);
	memset(buf + 5 * TIMG_BS, 0xc5, TIMG_BS);
	timg_fix_crc(buf);
}
