/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * erofs_fs.h - the EROFS on-disk format, as read by Linux (up to 7.x).
 *
 * Every structure the kernel reads from an image lives here, with its exact
 * size asserted at compile time.  All multi-byte fields are little-endian on
 * disk; convert them with erofs_le{16,32,64}() / erofs_cpu_to_le{16,32,64}().
 * Offsets are documented per field and checked by tests/unit/test_format.c.
 *
 * This header is written from ../shared/docs/erofs-format.md (our own map of
 * the format) and the kernel's observable behaviour; where a name matches
 * the kernel's, it is so that readers can cross-reference.
 */
#ifndef __EROFS_EROFS_FS_H
#define __EROFS_EROFS_FS_H

#include <endian.h>
#include <stdint.h>
#include <sys/stat.h>
#include <linux/types.h>

/* -------- endianness helpers -------- */
static inline uint16_t erofs_le16(__le16 v) { return le16toh((uint16_t)v); }
static inline uint32_t erofs_le32(__le32 v) { return le32toh((uint32_t)v); }
static inline uint64_t erofs_le64(__le64 v) { return le64toh((uint64_t)v); }
static inline __le16 erofs_cpu_to_le16(uint16_t v) { return (__le16)htole16(v); }
static inline __le32 erofs_cpu_to_le32(uint32_t v) { return (__le32)htole32(v); }
static inline __le64 erofs_cpu_to_le64(uint64_t v) { return (__le64)htole64(v); }

#define EROFS_SUPER_MAGIC_V1	0xE0F5E1E2U
#define EROFS_SUPER_OFFSET	1024	/* superblock byte offset, any block size */
#define EROFS_ISLOTBITS		5	/* inodes live in 32-byte slots */
#define EROFS_SLOTSIZE		(1U << EROFS_ISLOTBITS)
#define EROFS_NAME_LEN		255
#define EROFS_MIN_BLKSZBITS	9
#define EROFS_MAX_BLKSZBITS	12	/* PAGE_SHIFT on x86-64 */
#define EROFS_NULL_ADDR32	0xFFFFFFFFU	/* "no block" / hole */

/* -------- superblock feature bits -------- */
/* compat: the kernel ignores bits it does not know */
#define EROFS_FEATURE_COMPAT_SB_CHKSUM		0x00000001
#define EROFS_FEATURE_COMPAT_MTIME		0x00000002
#define EROFS_FEATURE_COMPAT_XATTR_FILTER	0x00000004
#define EROFS_FEATURE_COMPAT_SHARED_EA_IN_METABOX 0x00000008
#define EROFS_FEATURE_COMPAT_PLAIN_XATTR_PFX	0x00000010
#define EROFS_FEATURE_COMPAT_ISHARE_XATTRS	0x00000020

/* incompat: any unknown bit makes the kernel refuse the mount */
#define EROFS_FEATURE_INCOMPAT_ZERO_PADDING	0x00000001
#define EROFS_FEATURE_INCOMPAT_LZ4_0PADDING	EROFS_FEATURE_INCOMPAT_ZERO_PADDING
#define EROFS_FEATURE_INCOMPAT_COMPR_CFGS	0x00000002
#define EROFS_FEATURE_INCOMPAT_BIG_PCLUSTER	0x00000002
#define EROFS_FEATURE_INCOMPAT_CHUNKED_FILE	0x00000004
#define EROFS_FEATURE_INCOMPAT_DEVICE_TABLE	0x00000008
#define EROFS_FEATURE_INCOMPAT_COMPR_HEAD2	0x00000008
#define EROFS_FEATURE_INCOMPAT_ZTAILPACKING	0x00000010
#define EROFS_FEATURE_INCOMPAT_FRAGMENTS	0x00000020
#define EROFS_FEATURE_INCOMPAT_DEDUPE		0x00000020
#define EROFS_FEATURE_INCOMPAT_XATTR_PREFIXES	0x00000040
#define EROFS_FEATURE_INCOMPAT_48BIT		0x00000080
#define EROFS_FEATURE_INCOMPAT_METABOX		0x00000100
#define EROFS_ALL_FEATURE_INCOMPAT		0x000001FF

/* -------- superblock (at byte 1024) -------- */
struct erofs_super_block {
	__le32 magic;			/* 0x00 EROFS_SUPER_MAGIC_V1 */
	__le32 checksum;		/* 0x04 crc32c, see erofs_sb_checksum() */
	__le32 feature_compat;		/* 0x08 */
	__u8 blkszbits;			/* 0x0C log2(block size) */
	__u8 sb_extslots;		/* 0x0D sb size = 128 + 16 * extslots */
	union {
		__le16 rootnid_2b;	/* 0x0E root nid (normal case) */
		__le16 blocks_hi;	/* 0x0E 48BIT with rootnid_8b != 0 */
	} rb;
	__le64 inos;			/* 0x10 total inode count */
	__le64 epoch;			/* 0x18 base of compact-inode mtimes */
	__le32 fixed_nsec;		/* 0x20 nsec of every compact mtime */
	__le32 blocks_lo;		/* 0x24 image size in blocks */
	__le32 meta_blkaddr;		/* 0x28 block of nid 0 */
	__le32 xattr_blkaddr;		/* 0x2C base block of shared xattr ids */
	__u8 uuid[16];			/* 0x30 */
	__u8 volume_name[16];		/* 0x40 NUL-terminated label */
	__le32 feature_incompat;	/* 0x50 */
	union {
		__le16 available_compr_algs;	/* 0x54 with COMPR_CFGS */
		__le16 lz4_max_distance;	/* 0x54 otherwise */
	} u1;
	__le16 extra_devices;		/* 0x56 */
	__le16 devt_slotoff;		/* 0x58 device table at slotoff*128 */
	__u8 dirblkbits;		/* 0x5A must be 0 */
	__u8 xattr_prefix_count;	/* 0x5B long xattr prefixes */
	__le32 xattr_prefix_start;	/* 0x5C prefix table at start*4 */
	__le64 packed_nid;		/* 0x60 fragments inode, 0 = none */
	__u8 xattr_filter_reserved;	/* 0x68 must be 0 to use filters */
	__u8 ishare_xattr_prefix_id;	/* 0x69 with COMPAT_ISHARE_XATTRS */
	__u8 reserved[2];		/* 0x6A */
	__le32 build_time;		/* 0x6C 48BIT: epoch + build_time */
	__le64 rootnid_8b;		/* 0x70 48BIT: full root nid */
	__u8 reserved2[8];		/* 0x78 */
	/* extension slot 1 (sb_extslots >= 1) */
	__le64 metabox_nid;		/* 0x80 */
	__u8 reserved3[8];		/* 0x88 */
};
#define EROFS_SB_BASE_SIZE	128	/* size without extension slots */

/* -------- inodes -------- */
/* i_format bits */
#define EROFS_I_VERSION_MASK		0x01
#define EROFS_INODE_LAYOUT_COMPACT	0
#define EROFS_INODE_LAYOUT_EXTENDED	1
#define EROFS_I_DATALAYOUT_BIT		1
#define EROFS_I_DATALAYOUT_MASK		0x07
#define EROFS_I_NLINK_1_BIT		4	/* compact non-dir: nlink == 1 */
#define EROFS_I_DOT_OMITTED_BIT		4	/* directories: no "." dirent */
#define EROFS_I_ALL			0x1F	/* bits the kernel accepts */

/* data layouts (i_format bits 1..3) */
enum {
	EROFS_INODE_FLAT_PLAIN = 0,
	EROFS_INODE_COMPRESSED_FULL = 1,
	EROFS_INODE_FLAT_INLINE = 2,
	EROFS_INODE_COMPRESSED_COMPACT = 3,
	EROFS_INODE_CHUNK_BASED = 4,
	EROFS_INODE_DATALAYOUT_MAX
};

static inline uint16_t erofs_i_format(unsigned int version, unsigned int layout)
{
	return (uint16_t)(version | (layout << EROFS_I_DATALAYOUT_BIT));
}
static inline unsigned int erofs_i_version(uint16_t ifmt)
{
	return ifmt & EROFS_I_VERSION_MASK;
}
static inline unsigned int erofs_i_datalayout(uint16_t ifmt)
{
	return (ifmt >> EROFS_I_DATALAYOUT_BIT) & EROFS_I_DATALAYOUT_MASK;
}

/* chunk-based layout: i_u.c.format */
/* a block map entry: the chunk's __le32 block address (device 0) */
#define EROFS_BLOCK_MAP_ENTRY_SIZE	4
#define EROFS_CHUNK_FORMAT_BLKBITS_MASK	0x001F
#define EROFS_CHUNK_FORMAT_INDEXES	0x0020
#define EROFS_CHUNK_FORMAT_48BIT	0x0040
#define EROFS_CHUNK_FORMAT_ALL		0x007F

struct erofs_inode_chunk_info {
	__le16 format;
	__le16 reserved;
};

union erofs_inode_i_u {
	__le32 startblk_lo;	/* flat layouts: first data block */
	__le32 blocks_lo;	/* compressed: on-disk blocks (st_blocks) */
	__le32 rdev;		/* char/block devices, new encoding */
	struct erofs_inode_chunk_info c;
};

/* 32-byte compact inode */
struct erofs_inode_compact {
	__le16 i_format;		/* 0x00 */
	__le16 i_xattr_icount;		/* 0x02 */
	__le16 i_mode;			/* 0x04 */
	__le16 i_nb;			/* 0x06 nlink, or startblk_hi w/ NLINK_1 */
	__le32 i_size;			/* 0x08 */
	__le32 i_mtime;			/* 0x0C seconds after sb epoch */
	union erofs_inode_i_u i_u;	/* 0x10 */
	__le32 i_ino;			/* 0x14 32-bit stat ino, not read */
	__le16 i_uid;			/* 0x18 */
	__le16 i_gid;			/* 0x1A */
	__le32 i_reserved;		/* 0x1C */
};

/* 64-byte extended inode */
struct erofs_inode_extended {
	__le16 i_format;		/* 0x00 */
	__le16 i_xattr_icount;		/* 0x02 */
	__le16 i_mode;			/* 0x04 */
	__le16 i_nb;			/* 0x06 startblk_hi (0 unless 48BIT) */
	__le64 i_size;			/* 0x08 */
	union erofs_inode_i_u i_u;	/* 0x10 */
	__le32 i_ino;			/* 0x14 */
	__le32 i_uid;			/* 0x18 */
	__le32 i_gid;			/* 0x1C */
	__le64 i_mtime;			/* 0x20 absolute seconds */
	__le32 i_mtime_nsec;		/* 0x28 */
	__le32 i_nlink;			/* 0x2C */
	__u8 i_reserved2[16];		/* 0x30 */
};

/* new Linux dev_t encoding stored in i_u.rdev */
static inline uint32_t erofs_encode_dev(unsigned int major, unsigned int minor)
{
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
}
static inline unsigned int erofs_dev_major(uint32_t rdev)
{
	return (rdev >> 8) & 0xfff;
}
static inline unsigned int erofs_dev_minor(uint32_t rdev)
{
	return (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
}

/* -------- extended attributes -------- */
/* inline xattr area header; i_xattr_icount n > 0 => size 12 + 4 * (n - 1) */
struct erofs_xattr_ibody_header {
	__le32 h_name_filter;		/* bloom filter, bit set = name absent */
	__u8 h_shared_count;
	__u8 h_reserved2[7];
	__le32 h_shared_xattrs[];	/* shared xattr ids */
};

/* short name prefix indexes (e_name_index) */
#define EROFS_XATTR_INDEX_USER			1
#define EROFS_XATTR_INDEX_POSIX_ACL_ACCESS	2
#define EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT	3
#define EROFS_XATTR_INDEX_TRUSTED		4
#define EROFS_XATTR_INDEX_LUSTRE		5
#define EROFS_XATTR_INDEX_SECURITY		6
#define EROFS_XATTR_LONG_PREFIX			0x80	/* 0x80 | k: long #k */
#define EROFS_XATTR_LONG_PREFIX_MASK		0x7f
#define EROFS_XATTR_MAX_LONG_PREFIXES		128

/* the bloom filter: bit = xxh32(name after base prefix, SEED + base) & 31 */
#define EROFS_XATTR_FILTER_BITS		32
#define EROFS_XATTR_FILTER_DEFAULT	0xFFFFFFFFU
#define EROFS_XATTR_FILTER_SEED		0x25BBE08FU

struct erofs_xattr_entry {
	__u8 e_name_len;		/* suffix length */
	__u8 e_name_index;		/* short index or 0x80 | long index */
	__le16 e_value_size;
	char e_name[];			/* suffix, then the value */
};

static inline unsigned int erofs_xattr_ibody_size(uint16_t icount)
{
	return icount ? 12 + 4 * (icount - 1U) : 0;
}
static inline unsigned int erofs_xattr_entry_size(unsigned int name_len,
						  unsigned int value_size)
{
	return (4 + name_len + value_size + 3) & ~3U;
}

/* long prefix record: le16 len (= 1 + infix length), then this, 4-aligned */
struct erofs_xattr_long_prefix {
	__u8 base_index;		/* short prefix the long one extends */
	char infix[];
};

/* -------- directories -------- */
struct erofs_dirent {
	__le64 nid;			/* 0x00 */
	__le16 nameoff;			/* 0x08 name offset inside the block */
	__u8 file_type;			/* 0x0A EROFS_FT_* */
	__u8 reserved;			/* 0x0B */
} __attribute__((packed));	/* 12 bytes, dirents are only 4-aligned */

enum {
	EROFS_FT_UNKNOWN,
	EROFS_FT_REG_FILE,
	EROFS_FT_DIR,
	EROFS_FT_CHRDEV,
	EROFS_FT_BLKDEV,
	EROFS_FT_FIFO,
	EROFS_FT_SOCK,
	EROFS_FT_SYMLINK,
	EROFS_FT_MAX
};

/* the dirent file_type of an inode mode; writer and checker must agree */
static inline unsigned int erofs_mode_to_ftype(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return EROFS_FT_REG_FILE;
	case S_IFDIR: return EROFS_FT_DIR;
	case S_IFCHR: return EROFS_FT_CHRDEV;
	case S_IFBLK: return EROFS_FT_BLKDEV;
	case S_IFIFO: return EROFS_FT_FIFO;
	case S_IFSOCK: return EROFS_FT_SOCK;
	case S_IFLNK: return EROFS_FT_SYMLINK;
	}
	return EROFS_FT_UNKNOWN;
}

/* -------- compression -------- */
enum {
	Z_EROFS_COMPRESSION_LZ4 = 0,
	Z_EROFS_COMPRESSION_LZMA = 1,
	Z_EROFS_COMPRESSION_DEFLATE = 2,
	Z_EROFS_COMPRESSION_ZSTD = 3,
	Z_EROFS_COMPRESSION_MAX
};
#define Z_EROFS_ALL_COMPR_ALGS	((1U << Z_EROFS_COMPRESSION_MAX) - 1)

/* configuration records that follow the superblock with COMPR_CFGS */
struct z_erofs_lz4_cfgs {
	__le16 max_distance;
	__le16 max_pclusterblks;
	__u8 reserved[10];
};
struct z_erofs_lzma_cfgs {
	__le32 dict_size;
	__le16 format;
	__u8 reserved[8];
} __attribute__((packed));
struct z_erofs_deflate_cfgs {
	__u8 windowbits;
	__u8 reserved[5];
};
struct z_erofs_zstd_cfgs {
	__u8 format;
	__u8 windowlog;			/* log2(window) - 10 */
	__u8 reserved[4];
};

/* h_advise */
#define Z_EROFS_ADVISE_COMPACTED_2B		0x0001
#define Z_EROFS_ADVISE_EXTENTS			0x0001	/* FULL layout */
#define Z_EROFS_ADVISE_BIG_PCLUSTER_1		0x0002
#define Z_EROFS_ADVISE_BIG_PCLUSTER_2		0x0004
#define Z_EROFS_ADVISE_INLINE_PCLUSTER		0x0008
#define Z_EROFS_ADVISE_INTERLACED_PCLUSTER	0x0010
#define Z_EROFS_ADVISE_FRAGMENT_PCLUSTER	0x0020
#define Z_EROFS_ADVISE_EXTRECSZ_BIT		1	/* with EXTENTS */
#define Z_EROFS_ADVISE_EXTRECSZ_MASK		0x3

#define Z_EROFS_FRAGMENT_INODE_BIT		7	/* h_clusterbits bit 7 */

struct z_erofs_map_header {
	union {
		__le32 h_fragmentoff;	/* fragment offset in packed inode */
		struct {
			__le16 h_reserved1;
			__le16 h_idata_size;	/* inline pcluster size */
		};
		__le32 h_extents_lo;	/* EXTENTS with large records */
	};
	__le16 h_advise;		/* Z_EROFS_ADVISE_* */
	__u8 h_algorithmtype;		/* HEAD1 alg: bits 0-3; HEAD2: 4-7 */
	__u8 h_clusterbits;		/* lclusterbits - blkszbits, bit 7 */
};
#define Z_EROFS_FULL_INDEX_START(end)	((((end) + 7) & ~7ULL) + 16)

/* lcluster types */
enum {
	Z_EROFS_LCLUSTER_TYPE_PLAIN = 0,
	Z_EROFS_LCLUSTER_TYPE_HEAD1 = 1,
	Z_EROFS_LCLUSTER_TYPE_NONHEAD = 2,
	Z_EROFS_LCLUSTER_TYPE_HEAD2 = 3,
	Z_EROFS_LCLUSTER_TYPE_MAX
};
#define Z_EROFS_LI_LCLUSTER_TYPE_MASK	0x3
#define Z_EROFS_LI_PARTIAL_REF		(1 << 15)
/* FULL indexes, HEAD: the pcluster is a hole, reads as zeros (Linux 7.2) */
#define Z_EROFS_LI_HOLE			(1 << 14)
#define Z_EROFS_LI_D0_CBLKCNT		(1 << 11)	/* NONHEAD delta0 flag */

/* full (legacy) lcluster index, 8 bytes */
struct z_erofs_lcluster_index {
	__le16 di_advise;
	__le16 di_clusterofs;
	union {
		__le32 blkaddr;		/* HEAD/PLAIN: pcluster start block */
		__le16 delta[2];	/* NONHEAD: back to head, forward */
	} di_u;
};

/* encoded-extent record (48BIT, EXTENTS advise), largest form */
struct z_erofs_extent {
	__le32 plen;
	__le32 pstart_lo;
	__le32 pstart_hi;
	__le32 lstart_lo;
	__le32 lstart_hi;
	__u8 reserved[12];
};

/* -------- chunk-based files -------- */
struct erofs_inode_chunk_index {
	__le16 startblk_hi;
	__le16 device_id;
	__le32 startblk_lo;
};

/* -------- device table slot (128 bytes) -------- */
struct erofs_deviceslot {
	__u8 tag[64];
	__le32 blocks_lo;
	__le32 uniaddr_lo;
	__le32 blocks_hi;
	__le16 uniaddr_hi;
	__u8 reserved[50];
};
#define EROFS_DEVT_SLOT_SIZE	sizeof(struct erofs_deviceslot)

/* -------- ishare (page cache sharing) fingerprint value -------- */
#define EROFS_ISHARE_VALUE_PREFIX	"sha256:"
#define EROFS_ISHARE_VALUE_PREFIX_LEN	7
#define EROFS_ISHARE_DIGEST_LEN		32
#define EROFS_ISHARE_VALUE_LEN	(EROFS_ISHARE_VALUE_PREFIX_LEN + EROFS_ISHARE_DIGEST_LEN)
#define EROFS_ISHARE_DEFAULT_KEY	"erofs.fingerprint.v1"

/* -------- compile-time layout checks -------- */
#define EROFS_FS_SIZE_CHECK(type, size) \
	_Static_assert(sizeof(type) == (size), #type " has the wrong size")
EROFS_FS_SIZE_CHECK(struct erofs_super_block, 144);
EROFS_FS_SIZE_CHECK(struct erofs_inode_compact, 32);
EROFS_FS_SIZE_CHECK(struct erofs_inode_extended, 64);
EROFS_FS_SIZE_CHECK(struct erofs_xattr_ibody_header, 12);
EROFS_FS_SIZE_CHECK(struct erofs_xattr_entry, 4);
EROFS_FS_SIZE_CHECK(struct erofs_xattr_long_prefix, 1);
EROFS_FS_SIZE_CHECK(struct erofs_dirent, 12);
EROFS_FS_SIZE_CHECK(struct z_erofs_map_header, 8);
EROFS_FS_SIZE_CHECK(struct z_erofs_lcluster_index, 8);
EROFS_FS_SIZE_CHECK(struct z_erofs_extent, 32);
EROFS_FS_SIZE_CHECK(struct erofs_inode_chunk_index, 8);
EROFS_FS_SIZE_CHECK(struct erofs_inode_chunk_info, 4);
EROFS_FS_SIZE_CHECK(struct erofs_deviceslot, 128);
EROFS_FS_SIZE_CHECK(struct z_erofs_lz4_cfgs, 14);
EROFS_FS_SIZE_CHECK(struct z_erofs_lzma_cfgs, 14);
EROFS_FS_SIZE_CHECK(struct z_erofs_deflate_cfgs, 6);
EROFS_FS_SIZE_CHECK(struct z_erofs_zstd_cfgs, 6);

#endif
