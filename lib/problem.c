// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * problem.c - the problem table (erofs/problem.h).
 */
#include "erofs/defs.h"
#include "erofs/problem.h"

#define E(c, m) [EROFS_PROB_##c] = { EROFS_PROB_##c, "E_" #c, EROFS_SEV_ERROR, m }
#define W(c, m) [EROFS_PROB_##c] = { EROFS_PROB_##c, "W_" #c, EROFS_SEV_WARN, m }
#define U(c, m) [EROFS_PROB_##c] = { EROFS_PROB_##c, "U_" #c, EROFS_SEV_UNSUPPORTED, m }

static const struct erofs_problem_info erofs_problems[EROFS_PROB_MAX] = {
	[EROFS_PROB_NONE] = { EROFS_PROB_NONE, "OK", EROFS_SEV_WARN, "no problem" },
	E(SB_READ, "superblock unreadable"),
	E(SB_MAGIC, "bad superblock magic"),
	E(SB_BLKSZBITS, "unsupported block size"),
	E(SB_DIRBLKBITS, "dirblkbits must be 0"),
	E(SB_CHECKSUM, "superblock checksum mismatch"),
	E(SB_INCOMPAT, "unknown incompatible feature"),
	E(SB_EXTSLOTS, "superblock extension slots too large"),
	E(SB_METABOX, "invalid metabox configuration"),
	E(SB_PACKED_NID, "invalid packed or metabox inode"),
	E(SB_COMPR_CFGS, "invalid compression configuration"),
	E(SB_DEVICE_TABLE, "invalid device table"),
	E(SB_XATTR_PREFIX, "invalid long xattr prefix table"),
	E(SB_ISHARE_PREFIX, "ishare xattr prefix id out of range"),
	E(SB_ROOT, "root inode is not a directory"),
	W(SB_VOLUME_NAME, "volume name not NUL-terminated"),
	W(SB_RESERVED, "reserved superblock bytes not zero"),
	W(SB_INOS, "superblock inode count differs from the inodes found"),
	E(IMAGE_TRUNCATED, "image shorter than its superblock says"),
	E(INODE_NID, "invalid nid"),
	E(INODE_RANGE, "inode or inode body past the end of the image"),
	E(INODE_FORMAT, "unsupported i_format bits"),
	E(INODE_LAYOUT, "invalid data layout"),
	E(INODE_MODE, "invalid file type in i_mode"),
	E(INODE_SIZE, "invalid i_size"),
	E(INODE_NB, "i_nb not zero without 48BIT"),
	E(INODE_FEATURE, "inode uses a feature the superblock does not enable"),
	W(INODE_RESERVED, "reserved inode bytes not zero"),
	W(NLINK, "link count differs from the number of names"),
	E(DIR_NLINK, "directory link count differs from 2 + subdirectories"),
	E(SYMLINK_SIZE, "invalid symlink size"),
	E(DATA_RANGE, "data block address past the end of the image"),
	E(DATA_INLINE_CROSS, "inline data crosses a block boundary"),
	E(DATA_OVERLAP, "regions of the image overlap"),
	U(DATA_UNSUPPORTED, "data layout or algorithm not supported by this reader"),
	E(DATA_READ, "read error"),
	E(CHUNK_FORMAT, "invalid chunk format"),
	E(CHUNK_DEVICE, "invalid chunk device id"),
	E(DIR_NAMEOFF, "invalid dirent name offset"),
	E(DIR_NAMELEN, "invalid dirent name length"),
	E(DIR_UNSORTED, "directory entries not sorted"),
	E(DIR_DUPLICATE, "duplicate directory entry"),
	E(DIR_DOT, "missing or wrong \".\" entry"),
	E(DIR_DOTDOT, "missing or wrong \"..\" entry"),
	E(DIR_BADNAME, "invalid name in a directory entry"),
	E(DIR_FTYPE, "dirent file type differs from the inode mode"),
	E(DIR_LOOP, "directory reachable more than once (cycle or hard link)"),
	E(DIR_DEPTH, "directory tree too deep"),
	W(DIR_TAIL, "non-zero bytes after the last name of a directory block"),
	W(DIR_RESERVED, "reserved dirent byte not zero"),
	E(DIR_SIZE, "invalid directory size"),
	E(XATTR_ICOUNT, "unsupported xattr area size"),
	E(XATTR_SHARED_COUNT, "shared xattr count past the xattr area"),
	E(XATTR_ENTRY_RANGE, "xattr entry past the xattr area"),
	E(XATTR_SHARED_RANGE, "shared xattr id past the end of the image"),
	E(XATTR_PREFIX, "unknown xattr name prefix index"),
	E(XATTR_FILTER, "xattr name filter hides a present name"),
	W(XATTR_RESERVED, "reserved xattr header bytes not zero"),
	E(EXTRACT, "extraction failed"),
	U(ISHARE_ABSENT, "image has no page cache sharing fingerprints"),
	W(ISHARE_MISSING, "missing fingerprint (the file is not shared)"),
	E(ISHARE_MALFORMED, "malformed fingerprint"),
	E(ISHARE_MISMATCH, "fingerprint does not match the file contents"),
	W(ISHARE_UNVERIFIED, "fingerprint could not be verified"),
	W(ISHARE_EMPTY, "empty file carries a fingerprint"),
	E(COMPRESSED, "compressed data does not decode"),
	W(INODE_BLOCKS, "i_u block count differs from the blocks used"),
	E(DIR_BLOCK_TAIL, "non-zero bytes after the directory end in its last block (lookup misses the last name)"),
	U(DEVICE_MISSING, "data on an extra device that was not given (use --device)"),
	W(CHUNK_NOFEATURE, "chunk-based file without the CHUNKED_FILE feature bit (the kernel reads it; erofs-utils writes such images with --tar=i and when merging)"),
	E(Z_HEADER, "invalid compressed map header"),
	E(Z_INDEX, "invalid compressed index or extent record"),
	E(Z_ALGORITHM, "compression algorithm unknown or not declared in the superblock"),
	W(SB_PREFIX_FEATURE, "long xattr prefixes without the XATTR_PREFIXES feature (older kernels ignore them)"),
	E(XATTR_EMPTY_NAME, "xattr name with an empty suffix (listed, but getxattr refuses it: EINVAL)"),
	E(XATTR_NAME_NUL, "xattr name containing a NUL byte (listxattr cuts it there: getxattr cannot fetch it)"),
	E(XATTR_ACL, "POSIX ACL xattr value the kernel cannot decode (getxattr fails)"),
	E(SYMLINK_NUL, "symlink target containing a NUL byte (the kernel refuses it: EFSCORRUPTED)"),
	E(INODE_ID, "uid or gid 4294967295, which is no id (the kernel maps it to the invalid id: even root is refused access)"),
	W(SB_LZMA_DICT, "LZMA dictionary size not a multiple of 4 (Linux sizes its shared LZMA decoders from the largest one mounted, then fails on extents at least that long, in any image)"),
	W(INODE_LAYOUT_SPECIAL, "device, fifo or socket with a data layout other than flat (Linux ignores it)"),
	E(Z_SHARED, "pcluster shared by extents that disagree on its size or algorithm (Linux decodes it one way for all)"),
	E(Z_LZMA_DICT, "LZMA extent at least as long as a dictionary size that is not a multiple of 4 (Linux fails to decode it: EUCLEAN)"),
};

const struct erofs_problem_info *erofs_problem_lookup(unsigned int code)
{
	static const struct erofs_problem_info unknown = {
		EROFS_PROB_MAX, "E_UNKNOWN", EROFS_SEV_ERROR, "unknown problem"
	};

	if (code >= EROFS_PROB_MAX || !erofs_problems[code].name)
		return &unknown;
	return &erofs_problems[code];
}
