// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_reader.c - the reader on a hand-made in-memory image: superblock
 * checks (each with its problem code), inode parsing, directories, data
 * of every uncompressed layout and xattrs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/reader.h"
#include "reader_img.h"

static unsigned char img_buf[TIMG_SIZE];

struct opened {
	struct erofs_io io;
	struct erofs_log log;
	struct erofs_image img;
};

static int open_img(struct opened *o, unsigned int flags)
{
	erofs_log_init(&o->log);
	assert_int_equal(erofs_io_open_mem(&o->io, img_buf, TIMG_SIZE, false), 0);
	return erofs_image_open(&o->img, &o->io, &o->log, flags);
}

static void close_img(struct opened *o)
{
	erofs_image_release(&o->img);
	erofs_io_close(&o->io);
}

/* open must fail with err and problem code */
static void expect_fail(int err, unsigned int code)
{
	struct opened o;

	assert_int_equal(open_img(&o, 0), err);
	assert_string_equal(erofs_problem_lookup(o.img.problem)->name,
			    erofs_problem_lookup(code)->name);
	erofs_io_close(&o.io);
	timg_build(img_buf);
}

static void test_open_ok(void **state)
{
	struct opened o;

	timg_build(img_buf);
	assert_int_equal(open_img(&o, 0), 0);
	assert_int_equal(o.img.blksz, 4096);
	assert_int_equal(o.img.root_nid, TIMG_ROOT);
	assert_int_equal(o.img.blocks, TIMG_BLOCKS);
	assert_int_equal(o.img.inos, 5);
	assert_int_equal(o.img.xattr_prefix_count, 1);
	assert_int_equal(o.img.prefixes[0].base_index, EROFS_XATTR_INDEX_USER);
	assert_string_equal(o.img.prefixes[0].infix, "long.");
	close_img(&o);
}

static void test_sb_checks(void **state)
{
	unsigned char *sb = img_buf + 1024;
	struct opened o;

	timg_build(img_buf);
	sb[0] ^= 1;
	expect_fail(-EINVAL, EROFS_PROB_SB_MAGIC);
	sb[100] ^= 1;			/* any byte in range: bad checksum */
	expect_fail(-EFSCORRUPTED, EROFS_PROB_SB_CHECKSUM);
	/* ... but accepted with the CRC check off */
	sb[100] ^= 1;
	timg_put32(sb + 4, 0x12345678);
	assert_int_equal(open_img(&o, EROFS_OPEN_NO_SBCRC), 0);
	close_img(&o);
	timg_build(img_buf);
	sb[12] = 8; timg_fix_crc(img_buf);
	expect_fail(-EFSCORRUPTED, EROFS_PROB_SB_BLKSZBITS);
	sb[12] = 13; timg_fix_crc(img_buf);
	expect_fail(-EFSCORRUPTED, EROFS_PROB_SB_BLKSZBITS);
	sb[90] = 1; timg_fix_crc(img_buf);
	expect_fail(-EFSCORRUPTED, EROFS_PROB_SB_DIRBLKBITS);
	timg_put32(sb + 80, 0x204); timg_fix_crc(img_buf);
	expect_fail(-EOPNOTSUPP, EROFS_PROB_SB_INCOMPAT);
	sb[13] = 255; timg_fix_crc(img_buf);
	expect_fail(-EFSCORRUPTED, EROFS_PROB_SB_EXTSLOTS);
	/* METABOX needs an extension slot */
	timg_put32(sb + 80, 0x144); timg_fix_crc(img_buf);
	expect_fail(-EFSCORRUPTED, EROFS_PROB_SB_METABOX);
	/* ishare prefix id must index the prefix table */
	timg_put32(sb + 8, erofs_le32(*(__le32 *)(sb + 8)) |
		   EROFS_FEATURE_COMPAT_ISHARE_XATTRS);
	sb[105] = 1; timg_fix_crc(img_buf);
	expect_fail(-EFSCORRUPTED, EROFS_PROB_SB_ISHARE_PREFIX);
	timg_put32(sb + 8, erofs_le32(*(__le32 *)(sb + 8)) |
		   EROFS_FEATURE_COMPAT_ISHARE_XATTRS);
	sb[105] = 0; timg_fix_crc(img_buf);
	assert_int_equal(open_img(&o, 0), 0);
	assert_int_equal(o.img.ishare_prefix_id, 0);
	close_img(&o);
	timg_build(img_buf);
	/* long prefix length 0 (would mean 65536) */
	timg_put16(img_buf + 1536, 0); timg_fix_crc(img_buf);
	expect_fail(-EFSCORRUPTED, EROFS_PROB_SB_XATTR_PREFIX);
	/* root must be a directory */
	timg_put16(sb + 14, TIMG_F); timg_fix_crc(img_buf);
	expect_fail(-EFSCORRUPTED, EROFS_PROB_SB_ROOT);
	/* compression configs: unknown algorithm bit */
	timg_put32(sb + 80, 0x46); timg_put16(sb + 84, 0x20);
	timg_fix_crc(img_buf);
	expect_fail(-EFSCORRUPTED, EROFS_PROB_SB_COMPR_CFGS);
	/* packed nid must not carry the metabox bit */
	timg_put32(sb + 80, 0x64); timg_put64(sb + 96, 1ULL << 63);
	timg_fix_crc(img_buf);
	expect_fail(-EFSCORRUPTED, EROFS_PROB_SB_PACKED_NID);
}

static void test_truncated(void **state)
{
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;

	timg_build(img_buf);
	erofs_log_init(&log);
	erofs_io_open_mem(&io, img_buf, 1100, false);
	assert_int_equal(erofs_image_open(&img, &io, &log, 0), -EINVAL);
	assert_int_equal(img.problem, EROFS_PROB_SB_READ);
	erofs_io_open_mem(&io, img_buf, 3000, false);
	assert_int_equal(erofs_image_open(&img, &io, &log, 0), -EFSCORRUPTED);
	assert_int_equal(img.problem, EROFS_PROB_IMAGE_TRUNCATED);
}

static void test_inode_parse(void **state)
{
	struct erofs_inode in;
	struct opened o;

	timg_build(img_buf);
	assert_int_equal(open_img(&o, 0), 0);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_F, &in), 0);
	assert_int_equal(in.iloc, 1280);
	assert_int_equal(in.version, EROFS_INODE_LAYOUT_COMPACT);
	assert_int_equal(in.datalayout, EROFS_INODE_FLAT_PLAIN);
	assert_int_equal(in.mode, 0100644);
	assert_int_equal(in.nlink, 2);
	assert_int_equal(in.size, TIMG_F_SIZE);
	assert_int_equal(in.startblk, 2);
	assert_int_equal(in.xattr_isize, 64);
	assert_int_equal(in.ino, 2);
	close_img(&o);

	/* the same inode as extended: 64 bytes, 32-bit ids, own mtime */
	memmove(img_buf + 1280 + 64, img_buf + 1280 + 32, 64);
	timg_put16(img_buf + 1280, erofs_i_format(1, EROFS_INODE_FLAT_PLAIN));
	timg_put64(img_buf + 1280 + 8, TIMG_F_SIZE);
	timg_put32(img_buf + 1280 + 16, 2);
	timg_put32(img_buf + 1280 + 24, 100000);	/* uid */
	timg_put32(img_buf + 1280 + 28, 200000);	/* gid */
	timg_put64(img_buf + 1280 + 32, 1700000000);
	timg_put32(img_buf + 1280 + 40, 123);
	timg_put32(img_buf + 1280 + 44, 2);
	memset(img_buf + 1280 + 48, 0, 16);
	timg_fix_crc(img_buf);
	assert_int_equal(open_img(&o, 0), 0);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_F, &in), 0);
	assert_int_equal(in.version, EROFS_INODE_LAYOUT_EXTENDED);
	assert_int_equal(in.uid, 100000);
	assert_int_equal(in.gid, 200000);
	assert_int_equal(in.mtime, 1700000000);
	assert_int_equal(in.mtime_nsec, 123);
	assert_int_equal(in.nlink, 2);
	assert_int_equal(erofs_inode_end(&in), 1280 + 64 + 64);
	/* negative i_size */
	timg_put64(img_buf + 1280 + 8, 1ULL << 63);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_F, &in), -EFSCORRUPTED);
	assert_int_equal(o.img.problem, EROFS_PROB_INODE_SIZE);
	close_img(&o);
	timg_build(img_buf);

	assert_int_equal(open_img(&o, 0), 0);
	img_buf[1280] = 0x21;			/* i_format bit 5 */
	assert_int_equal(erofs_inode_read(&o.img, TIMG_F, &in), -EOPNOTSUPP);
	assert_int_equal(o.img.problem, EROFS_PROB_INODE_FORMAT);
	img_buf[1280] = 5 << 1;			/* layout 5 */
	assert_int_equal(erofs_inode_read(&o.img, TIMG_F, &in), -EOPNOTSUPP);
	assert_int_equal(o.img.problem, EROFS_PROB_INODE_LAYOUT);
	img_buf[1280] = 0;
	timg_put16(img_buf + 1284, 0170644);	/* bogus type */
	assert_int_equal(erofs_inode_read(&o.img, TIMG_F, &in), -EFSCORRUPTED);
	assert_int_equal(o.img.problem, EROFS_PROB_INODE_MODE);
	/* an inode past the end */
	assert_int_equal(erofs_inode_read(&o.img, 100000, &in), -EFSCORRUPTED);
	assert_int_equal(o.img.problem, EROFS_PROB_INODE_RANGE);
	/* a chunk format with unknown bits */
	timg_put16(img_buf + 1600 + 16, 0x80);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_C, &in), -EOPNOTSUPP);
	assert_int_equal(o.img.problem, EROFS_PROB_CHUNK_FORMAT);
	close_img(&o);
	timg_build(img_buf);
}

struct names {
	char buf[256];
	size_t len;
};

static int collect(void *priv, const struct erofs_dir_entry *e)
{
	struct names *n = priv;

	memcpy(n->buf + n->len, e->name, e->name_len);
	n->len += e->name_len;
	n->buf[n->len++] = ' ';
	n->buf[n->len] = '\0';
	return 0;
}

static void test_dirs(void **state)
{
	struct names n = { .len = 0 };
	struct erofs_inode root, in;
	unsigned int ft;
	erofs_nid_t nid;
	struct opened o;

	timg_build(img_buf);
	assert_int_equal(open_img(&o, 0), 0);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_ROOT, &root), 0);
	assert_int_equal(erofs_dir_iterate(&root, collect, &n), 0);
	assert_string_equal(n.buf, ". .. c d f l ");
	assert_int_equal(erofs_dir_lookup(&root, "l", 1, &nid, &ft), 0);
	assert_int_equal(nid, TIMG_L);
	assert_int_equal(ft, EROFS_FT_SYMLINK);
	assert_int_equal(erofs_dir_lookup(&root, "zz", 2, &nid, &ft), -ENOENT);
	assert_int_equal(erofs_path_lookup(&o.img, "/d/x", &in), 0);
	assert_int_equal(in.nid, TIMG_F);
	assert_int_equal(erofs_path_lookup(&o.img, "//d//", &in), 0);
	assert_int_equal(in.nid, TIMG_D);
	assert_int_equal(erofs_path_lookup(&o.img, "/f/x", &in), -ENOTDIR);
	/* nameoff[0] not a multiple of 12 / too small / past the block */
	timg_put16(img_buf + TIMG_D_DATA + 8, 13);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_D, &in), 0);
	assert_int_equal(erofs_dir_iterate(&in, collect, &n), -EFSCORRUPTED);
	assert_int_equal(o.img.problem, EROFS_PROB_DIR_NAMEOFF);
	timg_put16(img_buf + TIMG_D_DATA + 8, 4096);
	assert_int_equal(erofs_dir_iterate(&in, collect, &n), -EFSCORRUPTED);
	timg_put16(img_buf + TIMG_D_DATA + 8, 36);
	/* a name offset beyond the directory size */
	timg_put16(img_buf + TIMG_D_DATA + 12 + 8, 300);
	assert_int_equal(erofs_dir_iterate(&in, collect, &n), -EFSCORRUPTED);
	assert_int_equal(o.img.problem, EROFS_PROB_DIR_NAMEOFF);
	/* zero-length name */
	timg_put16(img_buf + TIMG_D_DATA + 12 + 8, 36);
	assert_int_equal(erofs_dir_iterate(&in, collect, &n), -EFSCORRUPTED);
	assert_int_equal(o.img.problem, EROFS_PROB_DIR_NAMELEN);
	close_img(&o);
	timg_build(img_buf);
}

static void test_data(void **state)
{
	unsigned char buf[3 * TIMG_BS];
	struct erofs_inode in;
	struct erofs_map map;
	struct opened o;
	size_t i;

	timg_build(img_buf);
	assert_int_equal(open_img(&o, 0), 0);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_F, &in), 0);
	assert_int_equal(erofs_read_data(&in, buf, TIMG_F_SIZE, 0), 0);
	for (i = 0; i < TIMG_F_SIZE; i++)
		assert_int_equal(buf[i], timg_f_byte(i));
	assert_int_equal(erofs_read_data(&in, buf, 10, 4090), 0);
	assert_int_equal(buf[9], timg_f_byte(4099));
	assert_int_equal(erofs_read_data(&in, buf, 2, TIMG_F_SIZE - 1), -EINVAL);
	/* symlink: inline */
	assert_int_equal(erofs_inode_read(&o.img, TIMG_L, &in), 0);
	assert_int_equal(erofs_read_data(&in, buf, 6, 0), 0);
	assert_memory_equal(buf, "target", 6);
	map.la = 0;
	assert_int_equal(erofs_map_blocks(&in, &map), 0);
	assert_int_equal(map.kind, EROFS_MAP_INLINE);
	assert_int_equal(map.pa, 1472);
	/* chunks: block 4, a hole, block 5 */
	assert_int_equal(erofs_inode_read(&o.img, TIMG_C, &in), 0);
	assert_int_equal(erofs_read_data(&in, buf, 3 * TIMG_BS, 0), 0);
	assert_int_equal(buf[0], 0xc4);
	assert_int_equal(buf[TIMG_BS + 5], 0);
	assert_int_equal(buf[2 * TIMG_BS + 5], 0xc5);
	map.la = TIMG_BS + 1;
	assert_int_equal(erofs_map_blocks(&in, &map), 0);
	assert_int_equal(map.kind, EROFS_MAP_HOLE);
	assert_int_equal(map.la, TIMG_BS);
	assert_int_equal(map.llen, TIMG_BS);
	/* a chunk past the image */
	timg_put32(img_buf + 1640, 6);
	assert_int_equal(erofs_read_data(&in, buf, 10, 2 * TIMG_BS), -EFSCORRUPTED);
	assert_int_equal(o.img.problem, EROFS_PROB_DATA_RANGE);
	/* flat data past the image */
	timg_put32(img_buf + 1280 + 16, 5);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_F, &in), 0);
	assert_int_equal(erofs_read_data(&in, buf, 10, 0), -EFSCORRUPTED);
	assert_int_equal(o.img.problem, EROFS_PROB_DATA_RANGE);
	/* the all-ones address reads as a hole */
	timg_put32(img_buf + 1280 + 16, EROFS_NULL_ADDR32);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_F, &in), 0);
	assert_int_equal(erofs_read_data(&in, buf, 10, 0), 0);
	assert_int_equal(buf[3], 0);
	/* inline tail crossing a block boundary */
	timg_put16(img_buf + 1440 + 8, 3000);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_L, &in), 0);
	assert_int_equal(erofs_read_data(&in, buf, 10, 0), -EFSCORRUPTED);
	assert_int_equal(o.img.problem, EROFS_PROB_DATA_INLINE_CROSS);
	close_img(&o);
	timg_build(img_buf);
}

static void test_xattrs(void **state)
{
	static const char want[] = "user.a\0system.posix_acl_access\0"
		"user.long.x\0trusted.s";
	struct erofs_inode in;
	char list[256], val[64];
	struct opened o;

	timg_build(img_buf);
	assert_int_equal(open_img(&o, 0), 0);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_F, &in), 0);
	assert_int_equal(erofs_listxattr(&in, NULL, 0), sizeof(want));
	assert_int_equal(erofs_listxattr(&in, list, sizeof(list)), sizeof(want));
	assert_memory_equal(list, want, sizeof(want));
	assert_int_equal(erofs_listxattr(&in, list, 5), -ERANGE);
	assert_int_equal(erofs_getxattr(&in, "user.a", val, sizeof(val)), 1);
	assert_int_equal(val[0], '1');
	assert_int_equal(erofs_getxattr(&in, "trusted.s", val, sizeof(val)), 6);
	assert_memory_equal(val, "shared", 6);
	assert_int_equal(erofs_getxattr(&in, "user.long.x", val, sizeof(val)), 1);
	assert_int_equal(erofs_getxattr(&in, "system.posix_acl_access", NULL, 0), 28);
	assert_int_equal(erofs_getxattr(&in, "user.b", val, sizeof(val)), -ENODATA);
	assert_int_equal(erofs_getxattr(&in, "trusted.s", val, 2), -ERANGE);
	/* a hidden long prefix (base 0): full name, not listed */
	img_buf[1538] = 0;
	memcpy(img_buf + 1539, "hide.", 5);
	timg_fix_crc(img_buf);
	close_img(&o);
	assert_int_equal(open_img(&o, 0), 0);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_F, &in), 0);
	assert_int_equal(erofs_getxattr(&in, "hide.x", val, sizeof(val)), 1);
	assert_int_equal(erofs_listxattr(&in, list, sizeof(list)),
			 sizeof(want) - sizeof("user.long.x"));
	/* shared count past the area */
	img_buf[1280 + 32 + 4] = 20;
	assert_int_equal(erofs_listxattr(&in, list, sizeof(list)), -EFSCORRUPTED);
	assert_int_equal(o.img.problem, EROFS_PROB_XATTR_SHARED_COUNT);
	/* an entry running past the area */
	img_buf[1280 + 32 + 4] = 1;
	img_buf[1280 + 32 + 16] = 200;
	assert_int_equal(erofs_listxattr(&in, list, sizeof(list)), -EFSCORRUPTED);
	assert_int_equal(o.img.problem, EROFS_PROB_XATTR_ENTRY_RANGE);
	img_buf[1280 + 32 + 16] = 1;
	/* a shared id past the image */
	timg_put32(img_buf + 1280 + 32 + 12, 0x10000000);
	assert_int_equal(erofs_listxattr(&in, list, sizeof(list)), -EFSCORRUPTED);
	assert_int_equal(o.img.problem, EROFS_PROB_XATTR_SHARED_RANGE);
	/* icount 1: header only, unsupported like the kernel */
	timg_put16(img_buf + 1280 + 2, 1);
	assert_int_equal(erofs_inode_read(&o.img, TIMG_F, &in), 0);
	assert_int_equal(erofs_listxattr(&in, list, sizeof(list)), -EOPNOTSUPP);
	assert_int_equal(o.img.problem, EROFS_PROB_XATTR_ICOUNT);
	close_img(&o);
	timg_build(img_buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_ok),
		cmocka_unit_test(test_sb_checks),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_inode_parse),
		cmocka_unit_test(test_dirs),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_xattrs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
