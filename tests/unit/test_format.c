// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_format.c - every on-disk field sits at the offset the format (and
 * the kernel) expects.  The sizes are static asserts in erofs_fs.h; this
 * checks positions, which a size check cannot catch (two swapped fields).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "erofs/erofs_fs.h"

#define OFF(type, field, want) \
	assert_int_equal(offsetof(struct type, field), (want))

static void test_superblock_offsets(void **state)
{
	OFF(erofs_super_block, magic, 0x00);
	OFF(erofs_super_block, checksum, 0x04);
	OFF(erofs_super_block, feature_compat, 0x08);
	OFF(erofs_super_block, blkszbits, 0x0C);
	OFF(erofs_super_block, sb_extslots, 0x0D);
	OFF(erofs_super_block, rb.rootnid_2b, 0x0E);
	OFF(erofs_super_block, rb.blocks_hi, 0x0E);
	OFF(erofs_super_block, inos, 0x10);
	OFF(erofs_super_block, epoch, 0x18);
	OFF(erofs_super_block, fixed_nsec, 0x20);
	OFF(erofs_super_block, blocks_lo, 0x24);
	OFF(erofs_super_block, meta_blkaddr, 0x28);
	OFF(erofs_super_block, xattr_blkaddr, 0x2C);
	OFF(erofs_super_block, uuid, 0x30);
	OFF(erofs_super_block, volume_name, 0x40);
	OFF(erofs_super_block, feature_incompat, 0x50);
	OFF(erofs_super_block, u1.available_compr_algs, 0x54);
	OFF(erofs_super_block, u1.lz4_max_distance, 0x54);
	OFF(erofs_super_block, extra_devices, 0x56);
	OFF(erofs_super_block, devt_slotoff, 0x58);
	OFF(erofs_super_block, dirblkbits, 0x5A);
	OFF(erofs_super_block, xattr_prefix_count, 0x5B);
	OFF(erofs_super_block, xattr_prefix_start, 0x5C);
	OFF(erofs_super_block, packed_nid, 0x60);
	OFF(erofs_super_block, xattr_filter_reserved, 0x68);
	OFF(erofs_super_block, ishare_xattr_prefix_id, 0x69);
	OFF(erofs_super_block, reserved, 0x6A);
	OFF(erofs_super_block, build_time, 0x6C);
	OFF(erofs_super_block, rootnid_8b, 0x70);
	OFF(erofs_super_block, reserved2, 0x78);
	OFF(erofs_super_block, metabox_nid, 0x80);
	OFF(erofs_super_block, reserved3, 0x88);
	assert_int_equal(sizeof(struct erofs_super_block), 144);
}

static void test_compact_inode_offsets(void **state)
{
	OFF(erofs_inode_compact, i_format, 0);
	OFF(erofs_inode_compact, i_xattr_icount, 2);
	OFF(erofs_inode_compact, i_mode, 4);
	OFF(erofs_inode_compact, i_nb, 6);
	OFF(erofs_inode_compact, i_size, 8);
	OFF(erofs_inode_compact, i_mtime, 12);
	OFF(erofs_inode_compact, i_u, 16);
	OFF(erofs_inode_compact, i_ino, 20);
	OFF(erofs_inode_compact, i_uid, 24);
	OFF(erofs_inode_compact, i_gid, 26);
	OFF(erofs_inode_compact, i_reserved, 28);
}

static void test_extended_inode_offsets(void **state)
{
	OFF(erofs_inode_extended, i_format, 0);
	OFF(erofs_inode_extended, i_xattr_icount, 2);
	OFF(erofs_inode_extended, i_mode, 4);
	OFF(erofs_inode_extended, i_nb, 6);
	OFF(erofs_inode_extended, i_size, 8);
	OFF(erofs_inode_extended, i_u, 16);
	OFF(erofs_inode_extended, i_ino, 20);
	OFF(erofs_inode_extended, i_uid, 24);
	OFF(erofs_inode_extended, i_gid, 28);
	OFF(erofs_inode_extended, i_mtime, 32);
	OFF(erofs_inode_extended, i_mtime_nsec, 40);
	OFF(erofs_inode_extended, i_nlink, 44);
	OFF(erofs_inode_extended, i_reserved2, 48);
}

static void test_other_offsets(void **state)
{
	OFF(erofs_xattr_ibody_header, h_name_filter, 0);
	OFF(erofs_xattr_ibody_header, h_shared_count, 4);
	OFF(erofs_xattr_ibody_header, h_shared_xattrs, 12);
	OFF(erofs_xattr_entry, e_name_len, 0);
	OFF(erofs_xattr_entry, e_name_index, 1);
	OFF(erofs_xattr_entry, e_value_size, 2);
	OFF(erofs_xattr_entry, e_name, 4);
	OFF(erofs_dirent, nid, 0);
	OFF(erofs_dirent, nameoff, 8);
	OFF(erofs_dirent, file_type, 10);
	OFF(erofs_dirent, reserved, 11);
	OFF(z_erofs_map_header, h_fragmentoff, 0);
	OFF(z_erofs_map_header, h_idata_size, 2);
	OFF(z_erofs_map_header, h_advise, 4);
	OFF(z_erofs_map_header, h_algorithmtype, 6);
	OFF(z_erofs_map_header, h_clusterbits, 7);
	OFF(z_erofs_lcluster_index, di_advise, 0);
	OFF(z_erofs_lcluster_index, di_clusterofs, 2);
	OFF(z_erofs_lcluster_index, di_u.blkaddr, 4);
	OFF(erofs_inode_chunk_index, startblk_hi, 0);
	OFF(erofs_inode_chunk_index, device_id, 2);
	OFF(erofs_inode_chunk_index, startblk_lo, 4);
	OFF(erofs_deviceslot, blocks_lo, 64);
	OFF(erofs_deviceslot, uniaddr_lo, 68);
	OFF(z_erofs_extent, lstart_lo, 12);
}

static void test_dev_encoding(void **state)
{
	uint32_t r = erofs_encode_dev(259, 300000);

	assert_int_equal(erofs_dev_major(r), 259);
	assert_int_equal(erofs_dev_minor(r), 300000);
	assert_int_equal(erofs_encode_dev(4, 5), 0x405);
}

static void test_mode_to_ftype(void **state)
{
	assert_int_equal(erofs_mode_to_ftype(S_IFREG | 0644), EROFS_FT_REG_FILE);
	assert_int_equal(erofs_mode_to_ftype(S_IFDIR | 0755), EROFS_FT_DIR);
	assert_int_equal(erofs_mode_to_ftype(S_IFCHR), EROFS_FT_CHRDEV);
	assert_int_equal(erofs_mode_to_ftype(S_IFBLK), EROFS_FT_BLKDEV);
	assert_int_equal(erofs_mode_to_ftype(S_IFIFO), EROFS_FT_FIFO);
	assert_int_equal(erofs_mode_to_ftype(S_IFSOCK), EROFS_FT_SOCK);
	assert_int_equal(erofs_mode_to_ftype(S_IFLNK | 0777), EROFS_FT_SYMLINK);
	assert_int_equal(erofs_mode_to_ftype(0), EROFS_FT_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_superblock_offsets),
		cmocka_unit_test(test_compact_inode_offsets),
		cmocka_unit_test(test_extended_inode_offsets),
		cmocka_unit_test(test_other_offsets),
		cmocka_unit_test(test_dev_encoding),
		cmocka_unit_test(test_mode_to_ftype),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
