/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * reader.h - read an EROFS image: superblock, inodes, data, directories and
 * extended attributes.
 *
 * A struct erofs_image is an opened image over a caller-owned struct
 * erofs_io (file or memory backend) and a caller-owned struct erofs_log.
 * There is no global state; several images may be open at once.  The image
 * is treated as hostile: every offset and length taken from it is checked
 * against the image size before use, so a crafted image yields
 * -EFSCORRUPTED (or -EOPNOTSUPP for valid-but-unsupported features), never
 * a crash.  When a call fails because of the image, img->problem holds the
 * erofs/problem.h code of the broken rule and a message naming the nid and
 * the cause went to the log.
 *
 * Inodes are small value structs (struct erofs_inode) filled by
 * erofs_inode_read(); they hold a pointer back to the image and nothing
 * that needs freeing.
 *
 * Data of every layout is read through erofs_read_data() (or a session,
 * struct erofs_data_ctx, for many reads of one file); the per-layout work
 * is erofs_map_blocks(), which translates a logical offset into an extent
 * (physical byte range, inline tail or hole) for the uncompressed layouts.
 * Compressed layouts go to lib/zmap.c + lib/decompress.c (erofs/zmap.h)
 * through the session; erofs_map_blocks() itself returns -EOPNOTSUPP for
 * them.
 */
#ifndef __EROFS_READER_H
#define __EROFS_READER_H

#include <sys/stat.h>
#include <sys/types.h>
#include "erofs/defs.h"
#include "erofs/erofs_fs.h"
#include "erofs/compress.h"
#include "erofs/io.h"
#include "erofs/log.h"
#include "erofs/problem.h"
#include "erofs/xattr.h"

#define EROFS_NID_METABOX_BIT	(1ULL << 63)
/* extra devices a front end takes (--device); the table allows 65535 */
#define EROFS_MAX_DEVICES	256

struct erofs_device_info {
	uint8_t tag[64];
	uint64_t blocks;
	uint64_t uniaddr;
};

/* inode, as parsed from its on-disk compact or extended form */
struct erofs_inode {
	struct erofs_image *img;
	erofs_nid_t nid;
	erofs_off_t iloc;		/* byte address of the inode (see in_metabox) */
	bool in_metabox;		/* iloc is inside the metabox inode's data */
	uint16_t i_format;
	unsigned int version;		/* EROFS_INODE_LAYOUT_COMPACT/EXTENDED */
	unsigned int datalayout;	/* EROFS_INODE_FLAT_PLAIN, ... */
	unsigned int inode_isize;	/* 32 or 64 */
	unsigned int xattr_isize;	/* inline xattr area size, 0 if none */
	uint16_t xattr_icount;
	uint32_t mode;
	uint64_t size;
	uint32_t nlink;
	uint32_t uid, gid;
	int64_t mtime;
	uint32_t mtime_nsec;
	uint32_t ino;			/* i_ino, the 32-bit stat number */
	uint32_t rdev;			/* devices: raw i_u (new dev_t encoding) */
	uint32_t i_u;			/* raw i_u */
	uint16_t i_nb;			/* raw i_nb */
	erofs_blk_t startblk;		/* flat layouts */
	bool startblk_null;		/* all-ones start: no blocks (hole) */
	uint16_t chunkformat;		/* chunk-based layout */
	unsigned int chunkbits;
	bool dot_omitted;		/* directory without a "." dirent */
	bool nlink_1;			/* compact NLINK_1 form */
	bool reserved_nonzero;		/* any reserved inode byte set */
};

static inline erofs_off_t erofs_inode_end(const struct erofs_inode *inode)
{
	return inode->iloc + inode->inode_isize + inode->xattr_isize;
}

static inline bool erofs_inode_is_compressed(const struct erofs_inode *inode)
{
	return inode->datalayout == EROFS_INODE_COMPRESSED_FULL ||
	       inode->datalayout == EROFS_INODE_COMPRESSED_COMPACT;
}

struct erofs_data_ctx;

struct erofs_image {
	struct erofs_io *io;		/* borrowed */
	struct erofs_log *log;		/* borrowed */
	uint64_t size;			/* bytes readable from io */
	struct erofs_super_block sb;	/* raw copy (sb_size bytes valid) */
	unsigned int sb_size;
	unsigned int blkszbits;
	unsigned int blksz;
	uint32_t feature_compat, feature_incompat;
	erofs_nid_t root_nid;
	erofs_nid_t packed_nid;		/* 0 = none */
	erofs_nid_t metabox_nid;	/* valid with METABOX */
	uint64_t blocks;		/* image size in blocks (superblock) */
	uint64_t inos;
	uint64_t epoch;
	uint32_t fixed_nsec;
	erofs_blk_t meta_blkaddr, xattr_blkaddr;
	uint16_t available_compr_algs;	/* with COMPR_CFGS */
	bool xattr_filter;		/* filters are honoured (4.5) */
	unsigned int xattr_prefix_count;
	struct erofs_xattr_prefix *prefixes;	/* loaded long prefixes */
	erofs_off_t prefix_table_start, prefix_table_end;
	int prefix_space;		/* 0 raw, 1 metabox, 2 packed inode */
	unsigned int ishare_prefix_id;	/* valid with COMPAT_ISHARE_XATTRS */
	unsigned int extra_devices;
	struct erofs_device_info *devices;
	/*
	 * The extra devices' contents, in table order, from
	 * erofs_image_add_device() (its only writer); nr_dev_io given so
	 * far.  None given: the kernel's "flat" view, where a device's data
	 * is read from this image at its mapped_blkaddr (containerd appends
	 * the tar of a tar-index layer so), else it cannot be read.
	 */
	struct erofs_io **dev_io;
	unsigned int nr_dev_io;
	erofs_off_t cfg_end;		/* end of compression config records */
	uint32_t lzma_dictsize;		/* of the LZMA config record, or 0 */
	bool sb_checksum_ok;		/* true if verified (or not present) */
	struct erofs_inode metabox;	/* valid with METABOX */
	struct erofs_inode packed;	/* valid if packed_nid */
	unsigned int depth;		/* recursion guard for metabox reads */
	/*
	 * Metadata blocks read lately (super.c only): inodes, xattrs,
	 * directory and index entries are read a few bytes at a time, and
	 * one pread each made syscalls most of fsck's time.  Least recently
	 * used goes first; allocated on first use.  Not thread-safe, like
	 * the rest of this struct.
	 */
	uint8_t *mcache;
	struct erofs_mcache_tag {
		erofs_blk_t blk1;	/* block + 1; 0 = empty */
		uint64_t used;		/* mcache_clock at the last use */
	} *mcache_tag;
	uint64_t mcache_clock;
	unsigned int mcache_last;	/* the slot used last */
	unsigned int mcache_slots;	/* set by erofs_image_open() */
	/*
	 * A read session on the packed inode kept open across calls
	 * (erofs_packed_read() is its only user): the fragments of many
	 * small files share one pcluster, which one-shot reads decoded
	 * again for every file.  Holds one decoded extent at most.
	 */
	struct erofs_data_ctx *packed_data;
	/* the same for the metabox inode (erofs_meta_read() its user):
	   its pclusters hold many inodes and their index entries */
	struct erofs_data_ctx *metabox_data;
	/* or all of its data, decoded at the first read (data.c) */
	uint8_t *metabox_whole;
	bool metabox_tried;
	/*
	 * Decoder states and the encoded-input buffer of this image's read
	 * sessions: creating a zstd or LZMA decoder per file cost more than
	 * decoding a small file.  The sessions share them: a decoder state
	 * is used only inside one decode call, and the input buffer is
	 * taken out while in use (an inline pcluster read from a compressed
	 * metabox decodes within another decode).
	 */
	struct erofs_decompress_ctx dctx;
	/* the last problem found by a failing call (erofs/problem.h) */
	unsigned int problem;
};

/* erofs_image_open() flags */
#define EROFS_OPEN_NO_SBCRC	0x1	/* do not verify the superblock CRC */
/* a reader of single files (fsck's workers): a smaller metadata cache */
#define EROFS_OPEN_FILE_READER	0x2

/*
 * Load and verify the superblock (every check the kernel makes at mount
 * time), the device table, compression configuration records and the long
 * xattr prefix table, then verify the root inode is a directory.  io and
 * log must outlive img.  Returns 0, -EFSCORRUPTED, -EOPNOTSUPP, -EIO or
 * -ENOMEM; on failure nothing needs releasing.
 */
int erofs_image_open(struct erofs_image *img, struct erofs_io *io,
		     struct erofs_log *log, unsigned int flags);
void erofs_image_release(struct erofs_image *img);

/*
 * Give the next extra device (device-table order; the caller keeps io
 * open while img is used).  -EINVAL once every slot has one.
 */
int erofs_image_add_device(struct erofs_image *img, struct erofs_io *io);

/*
 * Read len data bytes at byte off of device dev (0: the image itself,
 * where, once devices are given, a slot's mapped range leads to that
 * device).  A device not given: -ENODEV, problem DEVICE_MISSING.
 */
int erofs_dev_read(struct erofs_image *img, unsigned int dev, void *buf,
		   size_t len, uint64_t off);

/*
 * Read len bytes at off of the packed inode (fragments, long prefixes),
 * through the image's packed read session.  -EFSCORRUPTED past its end.
 */
/* bytes [off, off + len) of the metabox inode's data, through the
 * image's kept session; the caller checked the range */
int erofs_metabox_read(struct erofs_image *img, void *buf, size_t len,
		       uint64_t off);
int erofs_packed_read(struct erofs_image *img, void *buf, size_t len,
		      uint64_t off);

/*
 * Read len bytes of metadata at byte pos of the raw image (in_metabox
 * false) or of the metabox inode's data.  Out of range: -EFSCORRUPTED with
 * problem set to `code`.
 */
int erofs_meta_read(struct erofs_image *img, bool in_metabox, void *buf,
		    size_t len, erofs_off_t pos, unsigned int code);

/* record a problem: logs "nid N: ...", sets img->problem, returns -err */
int erofs_image_fail(struct erofs_image *img, unsigned int code, int err,
		     const char *fmt, ...) EROFS_PRINTF(4, 5);

/* byte address of a nid (bit 63 selects the metabox data space) */
erofs_off_t erofs_nid_to_pos(const struct erofs_image *img, erofs_nid_t nid,
			     bool *in_metabox);

/*
 * Parse the inode at nid into *inode, with the kernel's iget checks (format
 * bits, layout, file type, size sign, chunk format) and a range check of
 * the inode body (inode + xattr area) against the image.
 */
int erofs_inode_read(struct erofs_image *img, erofs_nid_t nid,
		     struct erofs_inode *inode);

/* ---- data ---- */
enum erofs_map_kind {
	EROFS_MAP_HOLE,		/* reads as zeros */
	EROFS_MAP_MAPPED,	/* raw bytes at pa of device `device` */
	EROFS_MAP_INLINE,	/* raw bytes at pa in the inode's meta space */
	EROFS_MAP_COMPRESSED,	/* encoded: see plen, alg, zflags */
};

struct erofs_map {
	uint64_t la;		/* in: logical offset; out: extent start */
	uint64_t llen;		/* logical length of the extent */
	uint64_t pa;		/* physical byte address (MAPPED/INLINE) */
	enum erofs_map_kind kind;
	unsigned int device;	/* 0: the image; else the extra device whose
				 * data pa addresses (devices given) */
	bool in_metabox;	/* INLINE: pa is in metabox space */
	/* COMPRESSED only (erofs_data_map) */
	uint32_t plen;		/* encoded bytes at pa */
	unsigned int alg;	/* Z_EROFS_COMPRESSION_* (or internal ids) */
	unsigned int zflags;	/* EROFS_Z_MAP_* (erofs/zmap.h) */
};

/*
 * Map the extent containing map->la (< inode->size).  The extent is
 * clamped to i_size and is range-checked against the image.  Compressed
 * layouts return -EOPNOTSUPP (problem DATA_UNSUPPORTED).
 */
int erofs_map_blocks(struct erofs_inode *inode, struct erofs_map *map);

/*
 * Read exactly len bytes of the file contents at off; off + len must not
 * exceed i_size (-EINVAL).  Holes read as zeros.
 */
int erofs_read_data(struct erofs_inode *inode, void *buf, size_t len,
		    uint64_t off);

/*
 * A read session on one inode: for compressed layouts it holds the
 * decoded map header and caches the last decoded extent, so sequential
 * reads decode each extent once.  erofs_read_data() is a one-shot session.
 * Not for use by two threads at once.
 */
struct erofs_z_inode;
struct erofs_data_ctx {
	struct erofs_inode *inode;	/* borrowed, must outlive the ctx */
	struct erofs_z_inode *z;	/* compressed layouts only */
};

int erofs_data_open(struct erofs_data_ctx *d, struct erofs_inode *inode);
/* like erofs_read_data() */
int erofs_data_read(struct erofs_data_ctx *d, void *buf, size_t len,
		    uint64_t off);
/* like erofs_map_blocks(), and maps compressed extents too */
int erofs_data_map(struct erofs_data_ctx *d, struct erofs_map *map);
void erofs_data_close(struct erofs_data_ctx *d);

/* ---- directories ---- */
struct erofs_dir_entry {
	erofs_nid_t nid;
	unsigned int file_type;		/* EROFS_FT_* as stored */
	const char *name;		/* not NUL-terminated */
	unsigned int name_len;
	uint64_t block;			/* directory block index */
	unsigned int index;		/* entry index inside the block */
	unsigned int reserved;		/* the dirent's reserved byte */
	bool last_in_block;
	bool tail_dirty;		/* (last in block) non-zero bytes follow */
};

/* return non-zero from the callback to stop; that value is returned */
typedef int (*erofs_dir_cb)(void *priv, const struct erofs_dir_entry *ent);

/*
 * Call cb for every stored entry of the directory, block by block, in
 * on-disk order (the kernel's rules of 5.2 are verified: nameoff[0] in
 * 12..BS-1 and a multiple of 12, names inside the block, lengths 1..255).
 */
int erofs_dir_iterate(struct erofs_inode *dir, erofs_dir_cb cb, void *priv);

/* find name in dir (a linear scan, so unsorted directories still work) */
int erofs_dir_lookup(struct erofs_inode *dir, const char *name, size_t len,
		     erofs_nid_t *nid, unsigned int *file_type);

/* resolve an absolute or root-relative path ("/", "/a/b"); no symlinks */
int erofs_path_lookup(struct erofs_image *img, const char *path,
		      struct erofs_inode *inode);

/* ---- xattrs ---- */
struct erofs_xattr_info {
	const char *name;		/* full name, NUL-terminated */
	size_t name_len;
	const void *value;
	size_t value_size;
	unsigned int index;		/* raw e_name_index */
	unsigned int base_index;	/* short prefix index (0 = hidden) */
	const char *filter_name;	/* bytes hashed by the name filter */
	size_t filter_name_len;
	unsigned int entry_size;	/* on-disk entry size incl. padding */
	bool shared;
	uint32_t shared_id;
	bool hidden;			/* long prefix with base 0: not listed */
	bool known;			/* the prefix index resolves */
};

struct erofs_xattr_header {
	uint32_t name_filter;
	unsigned int shared_count;
	bool reserved_nonzero;
};

typedef int (*erofs_xattr_cb)(void *priv, const struct erofs_xattr_info *x);

/*
 * Call cb for every xattr entry of the inode: inline entries first, then
 * shared ones (the kernel's order).  Entries with an unknown prefix index
 * are passed too (known == false, name "" ) so a checker can see them;
 * hdr (optional) receives the area header.
 */
int erofs_xattr_iterate(struct erofs_inode *inode, erofs_xattr_cb cb,
			void *priv, struct erofs_xattr_header *hdr);

/*
 * getxattr: copy the value of `name` into buf (size bytes; size 0 only
 * measures).  Returns the value size, -ENODATA, -ERANGE, or an error.
 * Honours the name filter like the kernel does.
 */
ssize_t erofs_getxattr(struct erofs_inode *inode, const char *name, void *buf,
		       size_t size);

/*
 * listxattr: NUL-separated names of every visible xattr (hidden, lustre.
 * and unknown-prefix ones excluded, as the kernel does).  size 0 measures.  Returns the length,
 * -ERANGE or an error.
 */
ssize_t erofs_listxattr(struct erofs_inode *inode, char *buf, size_t size);

#endif
