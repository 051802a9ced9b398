/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * problem.h - the table of problems the reader and the check engine can
 * find in an image.  Every corruption the reader detects is tagged with one
 * of these codes (struct erofs_image::problem, set right before a call
 * returns -EFSCORRUPTED or -EOPNOTSUPP), so that the check engine and the
 * tests can tell WHICH rule an image broke rather than just "corrupted".
 *
 * Codes are stable identifiers: the table row gives the printable name
 * (e.g. "E_DIR_UNSORTED"), a severity and a one-line description.  New codes
 * are only ever appended before EROFS_PROB_MAX.
 */
#ifndef __EROFS_PROBLEM_H
#define __EROFS_PROBLEM_H

enum erofs_problem_code {
	EROFS_PROB_NONE = 0,
	/* superblock */
	EROFS_PROB_SB_READ,
	EROFS_PROB_SB_MAGIC,
	EROFS_PROB_SB_BLKSZBITS,
	EROFS_PROB_SB_DIRBLKBITS,
	EROFS_PROB_SB_CHECKSUM,
	EROFS_PROB_SB_INCOMPAT,
	EROFS_PROB_SB_EXTSLOTS,
	EROFS_PROB_SB_METABOX,
	EROFS_PROB_SB_PACKED_NID,
	EROFS_PROB_SB_COMPR_CFGS,
	EROFS_PROB_SB_DEVICE_TABLE,
	EROFS_PROB_SB_XATTR_PREFIX,
	EROFS_PROB_SB_ISHARE_PREFIX,
	EROFS_PROB_SB_ROOT,
	EROFS_PROB_SB_VOLUME_NAME,
	EROFS_PROB_SB_RESERVED,
	EROFS_PROB_SB_INOS,
	EROFS_PROB_IMAGE_TRUNCATED,
	/* inodes */
	EROFS_PROB_INODE_NID,
	EROFS_PROB_INODE_RANGE,
	EROFS_PROB_INODE_FORMAT,
	EROFS_PROB_INODE_LAYOUT,
	EROFS_PROB_INODE_MODE,
	EROFS_PROB_INODE_SIZE,
	EROFS_PROB_INODE_NB,
	EROFS_PROB_INODE_FEATURE,
	EROFS_PROB_INODE_RESERVED,
	EROFS_PROB_NLINK,
	EROFS_PROB_DIR_NLINK,
	EROFS_PROB_SYMLINK_SIZE,
	/* data */
	EROFS_PROB_DATA_RANGE,
	EROFS_PROB_DATA_INLINE_CROSS,
	EROFS_PROB_DATA_OVERLAP,
	EROFS_PROB_DATA_UNSUPPORTED,
	EROFS_PROB_DATA_READ,
	EROFS_PROB_CHUNK_FORMAT,
	EROFS_PROB_CHUNK_DEVICE,
	/* directories */
	EROFS_PROB_DIR_NAMEOFF,
	EROFS_PROB_DIR_NAMELEN,
	EROFS_PROB_DIR_UNSORTED,
	EROFS_PROB_DIR_DUPLICATE,
	EROFS_PROB_DIR_DOT,
	EROFS_PROB_DIR_DOTDOT,
	EROFS_PROB_DIR_BADNAME,
	EROFS_PROB_DIR_FTYPE,
	EROFS_PROB_DIR_LOOP,
	EROFS_PROB_DIR_DEPTH,
	EROFS_PROB_DIR_TAIL,
	EROFS_PROB_DIR_RESERVED,
	EROFS_PROB_DIR_SIZE,
	/* xattrs */
	EROFS_PROB_XATTR_ICOUNT,
	EROFS_PROB_XATTR_SHARED_COUNT,
	EROFS_PROB_XATTR_ENTRY_RANGE,
	EROFS_PROB_XATTR_SHARED_RANGE,
	EROFS_PROB_XATTR_PREFIX,
	EROFS_PROB_XATTR_FILTER,
	EROFS_PROB_XATTR_RESERVED,
	/* extraction */
	EROFS_PROB_EXTRACT,
	/* page cache sharing fingerprints (--check-ishare) */
	EROFS_PROB_ISHARE_ABSENT,
	EROFS_PROB_ISHARE_MISSING,
	EROFS_PROB_ISHARE_MALFORMED,
	EROFS_PROB_ISHARE_MISMATCH,
	EROFS_PROB_ISHARE_UNVERIFIED,
	EROFS_PROB_ISHARE_EMPTY,
	/* compressed data */
	EROFS_PROB_COMPRESSED,
	EROFS_PROB_INODE_BLOCKS,
	EROFS_PROB_DIR_BLOCK_TAIL,
	/* data on an extra device that was not given (fsck exit 8) */
	EROFS_PROB_DEVICE_MISSING,
	EROFS_PROB_CHUNK_NOFEATURE,
	/* compressed files, by the structure that is wrong */
	EROFS_PROB_Z_HEADER,
	EROFS_PROB_Z_INDEX,
	EROFS_PROB_Z_ALGORITHM,
	EROFS_PROB_SB_PREFIX_FEATURE,
	EROFS_PROB_XATTR_EMPTY_NAME,
	EROFS_PROB_XATTR_NAME_NUL,
	EROFS_PROB_XATTR_ACL,
	EROFS_PROB_SYMLINK_NUL,
	EROFS_PROB_INODE_ID,
	EROFS_PROB_SB_LZMA_DICT,
	EROFS_PROB_Z_LZMA_DICT,
	EROFS_PROB_Z_SHARED,
	EROFS_PROB_INODE_LAYOUT_SPECIAL,
	EROFS_PROB_MAX
};

/*
 * The class of a problem (man/fsck.erofs.1, "WHAT COUNTS AS CORRUPTION"):
 * the Linux kernel is the judge.  An image it would refuse or misread is
 * corrupted; one it reads correctly but no mkfs would write is suspicious;
 * and what this program cannot follow (an algorithm not built in) leaves
 * the image unchecked, which says nothing about the image.
 */
enum erofs_problem_severity {
	EROFS_SEV_ERROR,	/* corrupted: "E_", fsck exit 4 */
	EROFS_SEV_WARN,		/* legal but odd: "W_", exit unchanged */
	EROFS_SEV_UNSUPPORTED,	/* cannot be checked here: "U_", exit 8 */
};

struct erofs_problem_info {
	enum erofs_problem_code code;
	const char *name;		/* "E_DIR_UNSORTED" */
	enum erofs_problem_severity severity;
	const char *message;		/* lowercase, no trailing period */
};

/* the table row of code; an "unknown" row for out-of-range values */
const struct erofs_problem_info *erofs_problem_lookup(unsigned int code);

#endif
