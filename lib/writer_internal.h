/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * writer_internal.h - state shared by the writer's files (private to lib/).
 *
 * mkfs.c (erofs_mkfs_build) runs one build over one struct erofs_wr:
 * plan, then emit.  The plan is erofs_wr_plan() in layout.c, a list of
 * steps that each call down, never back:
 *   layout.c       the inodes: breadth-first numbering, links, sizes, forms
 *   xattr_write.c  xattr areas, shared xattrs, long prefixes, filters
 *   zwrite.c       compressed files: which, how, the passes over them;
 *     workpool.c   generic worker threads (first error stops the rest)
 *     zjob.c       one job: read a segment, hash it, cut it, spool it
 *     zcut.c       the extent rules (pure: bytes in, extents out)
 *     zdedupe.c    -E dedupe: identical extents share a pcluster
 *     zspool.c     spool files holding what compression produced
 *   zpacked.c      the packed inode: fragments, --zD directories, and
 *                  the long prefix table when it lives there
 *   place.c        streamed data (--sort=none: file blocks written while
 *                  importing, erofs/stream.h), nids, inline tails, holes,
 *                  prefix table, shared xattrs, data blocks
 *   features.c     every superblock feature bit and COMPR_CFGS record,
 *                  from the finished plan
 * emit.c then streams data blocks and metadata to exactly the planned
 * offsets, checking every write against the plan, superblock last; it
 * only reads the plan (and skips the blocks streamed before the build).
 * dir_write.c (directory bytes) and zindex.c (map header and lcluster
 * indexes, the mirror of zmap.c) encode for both.
 *
 * struct erofs_wr is cut into parts, each written by one file, named at
 * its declaration with the files that read it.  Compression runs in
 * parallel, but results are spooled and collected per file in inode
 * order, so the plan never depends on the thread count.  Nothing here
 * depends on anything but the tree and the params, so two builds of the
 * same input produce the same bytes.  node->wr points at the node's
 * struct erofs_wr_inode only while a build runs.
 */
#ifndef __EROFS_WRITER_INTERNAL_H
#define __EROFS_WRITER_INTERNAL_H

#include "erofs/compress.h"
#include "erofs/erofs_fs.h"
#include "erofs/htab.h"
#include "erofs/ishare.h"
#include "erofs/mkfs.h"
#include "erofs/reader.h"
#include "erofs/xattr.h"
#include "erofs/zhints.h"

/* one xattr as it will be stored: index, suffix and value */
struct erofs_wr_xattr {
	uint8_t index;			/* short index or 0x80 | long prefix id */
	uint8_t filter_bit;		/* bloom filter bit of the name */
	const char *suffix;		/* points into the tree's name */
	size_t suffix_len;
	const void *value;		/* points into the tree's value */
	size_t value_len;
	const char *full_name;		/* for sorting and messages */
	uint32_t owner;			/* inode index that carries it */
	int64_t shared_idx;		/* -1 inline, else index in ->shared */
};

/* one extent of a compressed file (format.md 7.1) */
struct erofs_wr_extent {
	uint64_t la;			/* first decoded byte */
	uint32_t llen;			/* decoded bytes */
	uint32_t pblks;			/* pcluster blocks; 0 = inline */
	/* -E dedupe (or fragments): 1 + index into w->dedupe.src of the
	 * identical extent whose pcluster this one uses instead of its own;
	 * 0 = its own */
	uint32_t ref;
	/* its own pcluster, once others may use it: 1 + its index in
	 * w->dedupe.src, else 0 */
	uint32_t srcid;
	uint32_t pofs;			/* own pcluster: block in the file's
					 * stored blocks (set by layout) */
	uint32_t spool;			/* where the worker spooled it */
	uint64_t soff;
	uint8_t type;			/* Z_EROFS_LCLUSTER_TYPE_PLAIN/HEAD1 */
	/* only a prefix of what the pcluster decodes to (PARTIAL_REF): a
	 * ref, or (-E dedupe) an own one cut short where later bytes use
	 * an earlier pcluster */
	bool partial;
	bool link;			/* zslide.c: uses an earlier extent's
					 * pcluster (see erofs_wr_zlink) */
	bool linked;			/* and links use this one's */
};

/*
 * -E dedupe at any offset (zslide.c): an extent of a segment that uses
 * the pcluster of an earlier extent, the one of wi at la, which decodes
 * to slen bytes (its first llen are this extent's).  Made by the
 * compression workers, resolved to a ref by zdedupe.c in inode order.
 */
struct erofs_wr_zlink {
	uint32_t ext;			/* index among the segment's extents */
	uint32_t slen;
	const struct erofs_wr_inode *wi;
	uint64_t la;
};

/* -E dedupe: an extent whose pcluster others may use */
struct erofs_wr_zsrc {
	const struct erofs_wr_inode *wi;
	uint32_t ext;			/* index in wi->z->ext */
};

/* bytes [off, off + len) of spool file number `spool` */
struct erofs_wr_zpiece {
	uint32_t spool;
	uint64_t off, len;
};

/* one append-only, unlinked spool file (zspool.c); each compression
 * worker owns one */
struct erofs_wr_spool {
	int fd;
	uint64_t len;			/* bytes appended (buffered included) */
	uint8_t *wbuf;			/* appends not written yet, or NULL */
	size_t wlen;
};

/*
 * The result of compressing one regular file (zwrite.c).  zdedupe.c then
 * points extents at shared pclusters (ref, partial, zblocks, nr_ref,
 * full) and place.c records its placement (inlined, advise, pofs; an
 * inlined tail also drops the last extent's block form).  Its pclusters
 * (the tail's block form included) sit in the spools, block-aligned and
 * zero-padded exactly as they go to the image; concatenating pcl[] gives
 * them in extent order (one piece per segment of the file, each piece
 * written by whichever worker compressed that segment).  The last extent
 * may also have an inline form (ztailpacking); layout decides which one
 * is used.
 */
struct erofs_wr_zinfo {
	struct erofs_wr_extent *ext;
	size_t nr_ext;
	struct erofs_wr_zpiece *pcl;	/* pclusters, in extent order */
	size_t nr_pcl;
	uint64_t zblocks;		/* their blocks (tail block form too) */
	uint32_t inl_len;		/* inline form of the last extent, 0 = none */
	uint8_t inl_type;		/* its lcluster type */
	struct erofs_wr_zpiece inl;	/* its bytes (inl_len of them) */
	bool inlined;			/* layout chose the inline form */
	bool flat;			/* stored uncompressed after all: */
	struct erofs_wr_zpiece raw;	/* the raw data; len 0 = the pclusters
					 * (all PLAIN) are the raw data */
	unsigned int meta_len;		/* map header + indexes (bytes) */
	uint16_t advise;
	unsigned int alg;		/* on-disk algorithm id of its HEAD1s */
	/* -E dedupe: later files use its first-pass pclusters wherever
	 * their bytes recur (zslide.c), so it stays compressed */
	bool pinned;
	bool full;			/* full indexes (legacy-compress, or
					 * shared pclusters: compact packs
					 * assume consecutive blocks) */
	/* 48BIT: encoded extents (format.md 7.14) instead of lcluster
	 * indexes, when smaller: records of recsz bytes (4: one per
	 * 2^ext_lcbits bytes, pclusters back to back; 16/32: with their
	 * logical start); 0 = lcluster indexes */
	uint8_t recsz, ext_lcbits;
	size_t nr_ref;			/* extents using another's pcluster */
	/*
	 * -E fragments: the last frag_len bytes of the file (all of it when
	 * whole_frag) live in the packed inode at frag_off instead of in
	 * pclusters; the extent list then ends with that tail extent
	 * (pblks 0).  Identical fragments share one copy.
	 */
	uint64_t frag_off, frag_len;
	bool whole_frag;
	bool has_digest;
	uint8_t digest[EROFS_ISHARE_DIGEST_LEN];
};

/*
 * One chunk of a chunk-based file (chunk_write.c): where its bytes are.
 */
struct erofs_wr_chunk {
	uint32_t device;		/* 0: the image; 1..: extra device;
					 * EROFS_PIECE_HOLE: a hole */
	const struct erofs_wr_inode *owner; /* device 0: the inode whose
					 * stored blocks hold it */
	uint64_t blk;			/* device 0: block among the owner's
					 * stored blocks; else the block
					 * address on the device */
};

/* bytes of a file that it stores itself (its first copy of a chunk) */
struct erofs_wr_cown {
	uint64_t off, len;		/* in the file */
};

/*
 * A chunk-based file's plan.  Writer: chunk_write.c.  Readers: place.c
 * (meta_len, own_blocks), emit.c (own, blob_blk, digest).
 */
struct erofs_wr_cinfo {
	struct erofs_wr_chunk *ch;	/* one per chunk, in file order */
	uint64_t nr;
	unsigned int chunkbits;
	bool indexes;			/* 8-byte chunk indexes, else the
					 * 4-byte block map */
	bool wide;			/* an address needs more than 32
					 * bits: 48BIT chunk format */
	unsigned int meta_len;		/* padding to the index unit, then
					 * the index area */
	/* what it stores itself, in block order: in its data blocks
	 * (own_blocks of them) or, with --blobdev, at blob_blk onwards */
	struct erofs_wr_cown *own;
	size_t nr_own;
	uint64_t own_blocks;
	bool in_blob;
	uint64_t blob_blk;
	bool has_digest;		/* the content's SHA-256, read while
					 * planning (or the importer's) */
	uint8_t digest[EROFS_ISHARE_DIGEST_LEN];
};

/*
 * One inode of the plan.  Writers, by group: identity and form layout.c
 * (zpacked.c for the packed inode's, when layout.c asks), xattrs
 * xattr_write.c, position and data place.c, z zwrite.c (zpacked.c for
 * --zD directories).
 */
struct erofs_wr_inode {
	struct erofs_node *node;
	struct erofs_wr_inode *parent;	/* directories: the ".." target */
	uint32_t ino;			/* serial number, 1-based */
	uint32_t nlink;
	uint8_t ftype;			/* EROFS_FT_* */
	bool extended;
	unsigned int isize;		/* 32 or 64 */
	uint64_t size;			/* i_size */
	bool packed;			/* the packed or the metabox inode:
					 * in no directory, its data is a
					 * spool (data_spool) */
	const struct erofs_wr_spool *data_spool;

	/* xattrs: xa[0..nr_xa) of the build's array are this inode's */
	size_t xa_first, nr_xa;
	unsigned int nr_shared;		/* of those, how many are shared */
	unsigned int xattr_size;	/* inline area bytes, 0 = none */
	uint16_t icount;
	uint32_t filter;
	bool fingerprint;		/* carries the ishare xattr */

	/* position and data */
	erofs_nid_t nid;
	uint64_t pos;			/* byte position of the inode */
	uint8_t layout;			/* EROFS_INODE_* data layout */
	uint64_t nblocks;		/* blocks stored in the data area */
	erofs_blk_t startblk;
	bool streamed;			/* its blocks are in the image already
					 * (--sort=none): FLAT_PLAIN, startblk
					 * from the stream */
	bool hole;			/* 48BIT: all of it a hole in the
					 * source, FLAT_PLAIN without blocks
					 * (null start block) */
	unsigned int tail;		/* inline tail bytes (FLAT_INLINE) or
					 * inline pcluster (compressed) */
	struct erofs_wr_zinfo *z;	/* compression result, NULL if none */
	struct erofs_wr_cinfo *c;	/* chunk-based file, NULL if not */
};

/*
 * The packed inode: its data (the long prefix table when pfx_in,
 * fragments in inode order, then --zD directories) and its inode, the
 * extra slot at the end of inodes[] (wi, NULL if nothing needed it).
 * Writer: zpacked.c.  Readers: zwrite.c (spool, to compress it), layout.c
 * (late, wi, pfx_in), emit.c (spool, wi, pfx_in), features.c.
 */
struct erofs_wr_fragkey;
struct erofs_wr_packed {
	struct erofs_wr_spool spool;	/* fd -1 until something goes in */
	struct erofs_node node;
	struct erofs_wr_inode *wi;
	bool pfx_in;			/* the prefix table is in it */
	/* --zD: directories live in it, so it is filled, compressed and
	 * placed after every other inode */
	bool late;
	size_t nr_dirs;
	/* fragments stored, by content: identical ones are stored once */
	struct erofs_wr_fragkey *frags;
	size_t nr_frags, cap_frags;
	struct erofs_htab ftab;		/* hash -> index in frags */
};

/*
 * -m: the metabox.  Every inode of the tree has its position in a second
 * space, [EROFS_WR_MBOX_BASE, end): its offset there is its place in the
 * metabox inode's data, and its nid that offset / 32 with bit 63 set; the
 * main area keeps the superblock, records, device table, the packed
 * inode and the metabox inode.  The data is known only once the inodes
 * are emitted (their tails and fingerprints are read then), so the
 * metabox inode is compressed and its blocks placed after all other
 * data in a second step (erofs_wr_plan_metabox); its inode, with full
 * indexes, has its place reserved at the end of the main area.
 * Writer: layout.c (with place.c).  Readers: emit.c, features.c,
 * zwrite.c (pmax, ci).
 */
#define EROFS_WR_MBOX_BASE	(1ULL << 62)
struct erofs_wr_mbox {
	bool on;
	unsigned int ci;		/* its algorithm: w->z.cfgs[ci] */
	uint32_t pmax;			/* its pcluster bytes */
	uint64_t end;			/* end of the space */
	uint64_t main_cursor;		/* end of the main area so far */
	struct erofs_wr_spool spool;	/* its data, written by emit */
	struct erofs_node node;
	struct erofs_wr_inode wi;
	uint64_t data_end;		/* first block after the other data */
};

static inline bool erofs_wr_in_mbox(uint64_t pos)
{
	return pos >= EROFS_WR_MBOX_BASE;
}

/* the superblock's size: one extension slot holds metabox_nid */
static inline unsigned int erofs_wr_sb_size(const struct erofs_mkfs_params *p)
{
	return EROFS_SB_BASE_SIZE + (p->metabox_pcluster ? 16 : 0);
}

/* -m puts the long prefix table into the metabox, unless it is plain */
static inline bool erofs_wr_pfx_in_mbox(const struct erofs_mkfs_params *p)
{
	return p->metabox_pcluster && !p->plain_xattr_prefixes;
}

/*
 * -E dedupe, or whole extents with -E fragments: pclusters that identical
 * extents may use.  Writer:
 * zdedupe.c.  Readers: zindex.c (src), features.c (nr_ref).
 */
struct erofs_wr_dkey;
struct erofs_wr_dedupe {
	struct erofs_wr_zsrc *src;	/* extent refs point here (1-based) */
	size_t nr_src, cap_src;
	uint64_t nr_ref;		/* extents using another's pcluster */
	struct erofs_wr_dkey *keys;	/* content keys of src[] */
	size_t nr_keys, cap_keys;
	struct erofs_htab tab;		/* whole extents -> keys[] */
	struct erofs_htab ptab;		/* their first bytes -> keys[] */
};

/*
 * The inodes.  Writer: layout.c (the packed inode's slot is filled by
 * zpacked.c when layout.c asks).  Readers: every writer file.
 */
struct erofs_wr_tree {
	struct erofs_wr_inode *inodes;	/* breadth-first; [0] is the root */
	size_t nr_inodes;
	/*
	 * --incremental: the kept inodes of the old image that dentries
	 * name (erofs/tree.h `kept`), only their nid, type and (directories)
	 * parent: nothing else of the writer sees them.
	 */
	struct erofs_wr_inode *kept;
	size_t nr_kept;
};

/*
 * Xattrs and long prefixes.  Writer: xattr_write.c.  Readers: layout.c
 * (sizes), zpacked.c (the prefix table), emit.c, features.c.
 */
struct erofs_wr_xattrs {
	/* every stored xattr (inline and shared), grouped by owner */
	struct erofs_wr_xattr *xa;
	size_t nr_xa, cap_xa;
	/* distinct shared entries (pointers into xa), sorted */
	struct erofs_wr_xattr **shared;
	size_t nr_shared;
	/* long prefixes: --xattr-prefix ones, then maybe the ishare key */
	struct erofs_xattr_prefix *pfx;
	size_t nr_pfx;
	int ishare_id;			/* -1 when off */
	char *ishare_key;		/* copy of the key's full name */
	bool filters;			/* write name filters */
	bool any_filter;		/* some inode has a non-zero filter */
};

/*
 * Where the metadata goes.  Writer: place.c (through layout.c's steps).
 * Readers: emit.c, xattr_write.c (shared xattr ids), features.c
 * (any_inline_z).
 */
struct erofs_wr_place {
	/* --sort=none: blocks [stream_first, stream_end) hold the streamed
	 * file data, and the metadata starts after them at meta_base (bytes;
	 * meta_blkaddr = xattr_blkaddr = stream_end): nids and shared xattr
	 * ids count from there.  All 0 without a stream. */
	erofs_blk_t stream_first, stream_end;
	uint64_t meta_base;
	struct erofs_wr_inode **order;	/* nid order = data and emit order */
	unsigned int cfgs_len;		/* COMPR_CFGS bytes planned for */
	uint64_t devt_pos;		/* device table byte position */
	uint64_t pfx_pos;		/* prefix table byte position */
	uint64_t shared_start;		/* shared xattr area */
	uint64_t *shared_pos;		/* of each xattr.shared[] */
	uint64_t meta_end;		/* end of all metadata */
	uint64_t meta_pad;		/* bytes skipped to keep tails whole */
	/* the room left before the root when its inline tail made it start
	   a new block (other inodes may fill it) */
	uint64_t head_hole_pos, head_hole_len;
	erofs_blk_t data_blkaddr;	/* first data block */
	erofs_blk_t blocks;		/* image size in blocks */
	bool any_inline_z;		/* some inode has an inline pcluster */
};

/*
 * Compression of the build.  Writer: zwrite.c.  Readers: zcut.c (through
 * its config), zspool.c (spools), zindex.c (big), zpacked.c (cfgs[0]),
 * layout.c, emit.c, features.c (cfgs, cfg_used, big).
 */
struct erofs_wr_z {
	/* p->compr[] with writer context */
	struct erofs_compress_cfg cfgs[EROFS_MKFS_MAX_COMPR];
	uint32_t cfg_used;		/* bit per cfgs[] some file uses */
	bool big;			/* pclusters may span several blocks */
	uint32_t pcluster_blks;		/* max pcluster blocks (of all) */
	uint32_t pcluster_dflt;		/* -C bytes */
	uint32_t pcluster_packed;	/* the packed inode's (bytes) */
	uint32_t max_extent;		/* max decoded bytes per extent */
	struct erofs_wr_spool *spools;	/* one per compression worker */
	unsigned int nr_spools;
	uint64_t nr_files;		/* files stored compressed */
	uint64_t bytes_read;		/* source bytes the workers read */
};

/*
 * Chunk-based files and the device table.  Writer: chunk_write.c.
 * Readers: place.c (nr_devs), emit.c (devs, blob), features.c (any).
 */
struct erofs_wr_ckey;
struct erofs_wr_chunks {
	bool any;			/* some inode is chunk-based */
	struct erofs_mkfs_device *devs;	/* the device table to write */
	unsigned int nr_devs;
	uint64_t blob_blocks;		/* --blobdev: its size in blocks */
	/* --chunksize: chunks stored so far, by content */
	struct erofs_wr_ckey *keys;
	size_t nr_keys, cap_keys;
	struct erofs_htab tab;
	uint64_t bytes_read;
	uint64_t nr_dup, nr_hole;	/* chunks stored once, holes */
};

/*
 * What the superblock says about the plan.  Writer: features.c, from the
 * finished plan.  Reader: emit.c.
 */
struct erofs_wr_sb {
	uint32_t feature_compat, feature_incompat;
	uint32_t algs;			/* bit per on-disk algorithm id used */
	uint8_t cfg_rec[64];		/* COMPR_CFGS records (after the sb) */
	unsigned int cfg_len;
};

/*
 * --reuse: earlier images whose files' encodings may be taken over
 * (zreuse.c is the only writer; zjob.c's workers read it).
 */
struct erofs_wr_reuse_file;
struct erofs_wr_reuse_img;
struct erofs_wr_reuse {
	const char *const *paths;	/* p->reuse */
	uint32_t nr_src;
	struct erofs_wr_reuse_img *main;	/* the build thread's */
	struct erofs_wr_reuse_file *files;	/* by fingerprint: */
	size_t nr_files, cap_files;
	struct erofs_htab tab;
	struct erofs_htab sizes;		/* set of their sizes */
	struct erofs_htab shared;		/* pclusters OLD shares */
	/* bit per source: its encoding with cfgs[ci] is this build's */
	uint32_t alg_ok[EROFS_MKFS_MAX_COMPR];
	uint64_t files_reused, bytes_reused;	/* summed after each pass */
};

/* one worker's view: its own handles, the OLD file in hand */
struct erofs_wr_reuse_worker {
	struct erofs_wr_reuse_img *imgs;	/* per source, opened lazily */
	uint32_t nr_imgs;
	struct erofs_image *img;		/* of the file in hand */
	uint32_t src;				/* its source */
	const struct erofs_htab *shared;	/* = reuse.shared */
	struct erofs_inode inode;
	struct erofs_data_ctx data;
	bool data_open;
	bool all_plain;				/* OLD stored it raw */
	struct erofs_map *map;			/* its extents */
	size_t nr_map, cap_map, cur;
	uint8_t *vbuf;				/* a window of its bytes */
	uint64_t files, bytes;			/* reused so far */
};

/*
 * One build.  Each group has one writer, named at its declaration; the
 * first fields are set once by mkfs.c and only read after that.
 */
struct erofs_wr {
	const struct erofs_mkfs_params *p;
	struct erofs_log *log;
	struct erofs_io *io;
	unsigned int blkszbits, bs;

	struct erofs_wr_tree tree;	/* layout.c */
	struct erofs_wr_xattrs xattr;	/* xattr_write.c */
	struct erofs_wr_z z;		/* zwrite.c */
	struct erofs_wr_dedupe dedupe;	/* zdedupe.c */
	struct erofs_wr_packed packed;	/* zpacked.c */
	struct erofs_wr_chunks chunk;	/* chunk_write.c */
	struct erofs_wr_place place;	/* place.c, in layout.c's steps */
	struct erofs_wr_sb sb;		/* features.c */
	struct erofs_wr_reuse reuse;	/* zreuse.c */
	struct erofs_wr_mbox mbox;	/* layout.c */
};

/* xattr_write.c */
int erofs_wr_prefixes_init(struct erofs_wr *w);
int erofs_wr_xattrs_plan(struct erofs_wr *w);
void erofs_wr_xattrs_release(struct erofs_wr *w);
size_t erofs_wr_prefix_table_size(const struct erofs_wr *w);
void erofs_wr_prefix_table_encode(const struct erofs_wr *w, uint8_t *out);
size_t erofs_wr_xattr_entry_size(const struct erofs_wr_xattr *x);
/* encode one entry at out; returns its size */
size_t erofs_wr_xattr_entry_encode(const struct erofs_wr_xattr *x,
				   uint8_t *out);
/* encode the inline area of wi into out (wi->xattr_size bytes); when the
 * inode has a fingerprint, *fp_off receives the value's offset in out */
void erofs_wr_xattr_ibody_encode(const struct erofs_wr *w,
				 const struct erofs_wr_inode *wi, uint8_t *out,
				 size_t *fp_off);

/* dir_write.c */
/* count the bytes of a directory's data (i_size) */
int erofs_wr_dir_size(const struct erofs_wr *w, struct erofs_wr_inode *wi,
		      uint64_t *size);
/* render the whole directory data into buf (round_up(size, bs) bytes) */
int erofs_wr_dir_render(const struct erofs_wr *w,
			const struct erofs_wr_inode *wi, uint8_t *buf);

/* zspool.c */
/* create an unlinked spool file in -T/TMPDIR; buffered: gather small
 * appends (then erofs_wr_spool_flush before anyone reads it) */
int erofs_wr_spool_open(struct erofs_wr *w, struct erofs_wr_spool *s,
			bool buffered);
void erofs_wr_spool_close(struct erofs_wr_spool *s);
/* append at s->len; *off (may be NULL) receives where; 0 or -errno */
int erofs_wr_spool_append(struct erofs_wr_spool *s, const void *buf,
			  size_t len, uint64_t *off);
int erofs_wr_spool_flush(struct erofs_wr_spool *s);
/* write at pos, below s->len (space reserved earlier) */
int erofs_wr_spool_pwrite(struct erofs_wr_spool *s, const void *buf,
			  size_t len, uint64_t pos);
/* read bytes [off, off + len) of the concatenation of pieces pc[0..nr) */
int erofs_wr_spool_read(const struct erofs_wr *w,
			const struct erofs_wr_zpiece *pc, size_t nr, void *buf,
			size_t len, uint64_t off);

/* zwrite.c */
int erofs_wr_z_init(struct erofs_wr *w);
void erofs_wr_z_release(struct erofs_wr *w);
/* compress every candidate file (one read each, fingerprint included),
 * with p->workers threads; the result does not depend on their number.
 * Fragments go to the packed inode, identical extents are shared. */
int erofs_wr_z_compress_files(struct erofs_wr *w);
/* compress one more inode (the packed one), the same way */
int erofs_wr_z_compress_inode(struct erofs_wr *w, struct erofs_wr_inode *wi);
static inline const char *erofs_wr_path(const struct erofs_wr_inode *wi)
{
	return wi->node->path ? wi->node->path : wi->node->src_path;
}

/* the 48BIT layout (-E 48bit, or implied by -E dot-omitted) */
static inline bool erofs_wr_48bit(const struct erofs_wr *w)
{
	/* -m: the root is in the metabox, its nid needs rootnid_8b */
	return w->p->b48 || w->p->dot_omitted || w->p->metabox_pcluster;
}

/*
 * The superblock epoch: compact inodes store mtime - epoch.  Without
 * 48BIT older kernels read every compact inode as the epoch, so it is
 * the build time; with it, as erofs-utils, as late as keeps the build
 * time (epoch + build_time) in 32 bits.
 */
static inline int64_t erofs_wr_epoch(const struct erofs_wr *w)
{
	int64_t t = w->p->build_time;

	if (w->p->base)		/* --incremental: the kept inodes' */
		return w->p->base->epoch;
	if (!erofs_wr_48bit(w) || t < 0)
		return t;
	return t > (int64_t)UINT32_MAX ? t - (int64_t)UINT32_MAX : 0;
}

static inline bool erofs_wr_is_z(const struct erofs_wr_inode *wi)
{
	return wi->z && !wi->z->flat;
}

/* chunk_write.c */
/* make chunk-based the files with pieces and, with --chunksize, every
 * regular file not stored compressed (reading each once: chunk hashes
 * and fingerprint); sets up the device table */
int erofs_wr_chunks_plan(struct erofs_wr *w);
/* the index area of wi (wi->c->meta_len bytes), once blocks are placed */
int erofs_wr_chunks_encode_meta(const struct erofs_wr *w,
				const struct erofs_wr_inode *wi, uint8_t *out);
/* the i_u format word of a chunk-based inode */
uint16_t erofs_wr_chunks_format(const struct erofs_wr *w,
				const struct erofs_wr_inode *wi);
void erofs_wr_chunks_release(struct erofs_wr *w);

/* zcut.c: one segment's bytes into extents (no threads, no I/O) */
struct erofs_wr_zcut_ops {
	/* a new extent [la, la + llen) of src; its pcluster, as it goes to
	 * the image, is pcl[0 .. pblks blocks) */
	int (*extent)(void *priv, uint64_t la, uint32_t llen, uint8_t type,
		      const uint8_t *src, const uint8_t *pcl, uint32_t pblks);
	/* the inline form (len < 1 block) of the extent just given */
	int (*inline_tail)(void *priv, const uint8_t *data, uint32_t len,
			   uint8_t type);
	/* the rest, [la, la + len), goes to the packed inode */
	int (*fragment)(void *priv, uint64_t la, const uint8_t *src,
			size_t len);
};
struct erofs_wr_zcut {
	unsigned int blkszbits;
	uint32_t max_extent;		/* decoded bytes per extent */
	size_t pmax;			/* pcluster bytes */
	bool tailpacking;		/* the segment ends the file: give the
					 * last extent an inline form */
	uint64_t frag_max;		/* once at most this much is left, it
					 * is the fragment (0: never) */
	bool frag_last;			/* so is what the segment's last
					 * pcluster would hold */
	struct erofs_compress_ctx *ctx;	/* its algorithm and level */
	uint8_t *enc, *pcl;		/* scratch, pmax bytes each */
	const struct erofs_wr_zcut_ops *ops;
	void *priv;
	const struct erofs_log *log;	/* compressor errors, naming path */
	const char *path;
	/*
	 * --reuse (zreuse.c): before the compressor, ask for an earlier
	 * image's encoding at la of at most offer bytes: > 0 is its length
	 * in enc (cap bytes) with *in consumed, -ENOSPC "store raw", 0 "not
	 * known, compress"; NULL = none.
	 */
	int (*replay)(void *priv, uint64_t la, size_t offer, uint8_t *enc,
		      size_t cap, size_t *in);
	void *replay_priv;
};
/* cut buf[0..len), the file's bytes [base, base + len); every callback
 * error is returned as is */
int erofs_wr_zcut_segment(const struct erofs_wr_zcut *c, const uint8_t *buf,
			  uint64_t base, size_t len);

/* zreuse.c (--reuse): init takes what zreuse_pre.c loaded, if it
 * agrees, or loads the images (load_all) */
int erofs_wr_reuse_init(struct erofs_wr *w);
int erofs_wr_reuse_load_all(struct erofs_wr *w);
/* zreuse_pre.c: *taken: the result is w's (or its error is returned);
 * else load them yourself */
int erofs_mkfs_reuse_take(struct erofs_mkfs_reuse *r, struct erofs_wr *w,
			  bool *taken);
void erofs_wr_reuse_release(struct erofs_wr *w);
int erofs_wr_reuse_worker_init(const struct erofs_wr *w,
			       struct erofs_wr_reuse_worker *rw);
void erofs_wr_reuse_worker_release(struct erofs_wr_reuse_worker *rw);
/*
 * Is there an earlier image's file with this digest whose encoding with
 * cfgs[ci] can be replayed, and does it decode to buf[0..size)?  Then
 * rw holds it for erofs_wr_reuse_replay() until the next call.  A file
 * that fails the comparison is reported (warning) and not reused.
 */
bool erofs_wr_reuse_prepare(const struct erofs_wr *w,
			    struct erofs_wr_reuse_worker *rw, unsigned int ci,
			    const uint8_t digest[EROFS_ISHARE_DIGEST_LEN],
			    const uint8_t *buf, uint64_t base, size_t len,
			    uint64_t size, unsigned int body,
			    const struct erofs_log *log, const char *path);
/*
 * Files of several segments are hashed before the pass when an earlier
 * image has a file of their size: then each segment knows whether it may
 * be replayed (a second read of the file, from the page cache).
 */
bool erofs_wr_reuse_wants_digest(const struct erofs_wr *w,
				 const struct erofs_wr_inode *wi,
				 unsigned int ci, uint32_t pmax);
int erofs_wr_reuse_digest(const struct erofs_wr *w,
			  const struct erofs_wr_inode *wi,
			  uint8_t digest[EROFS_ISHARE_DIGEST_LEN]);
/* struct erofs_wr_zcut's replay, priv = the worker's rw */
int erofs_wr_reuse_replay(void *priv, uint64_t la, size_t offer, uint8_t *enc,
			  size_t cap, size_t *in);

/* zdedupe.c */
/* an extent's first bytes that find longer ones (and zslide.c's window) */
#define WR_DPFX		4096U
/* are extents shared at all (-E dedupe, or whole ones with -E fragments)? */
bool erofs_wr_dedupe_on(const struct erofs_mkfs_params *p);
/* SHA-256 of an extent's decoded bytes into esha, and of its first bytes
 * into psha (when psha is not NULL and the extent is that long); in the
 * workers */
int erofs_wr_dedupe_hash(struct erofs_sha256 *sha, const void *src,
			 uint32_t llen, uint8_t *esha, uint8_t *psha);
/* main thread, inode order: extents wi->z->ext[first..first + nr), with
 * their hashes (psha NULL without -E dedupe: whole extents only), use
 * earlier identical pclusters or are offered to later */
int erofs_wr_dedupe_extents(struct erofs_wr *w, struct erofs_wr_inode *wi,
			    size_t first, size_t nr,
			    const uint8_t (*esha)[EROFS_ISHARE_DIGEST_LEN],
			    const uint8_t (*psha)[EROFS_ISHARE_DIGEST_LEN],
			    const struct erofs_wr_zlink *lnk, size_t nr_lnk);
/* len bytes of wi's data from la, read from its source (zslide.c too);
 * errors are logged to log, naming the file */
int erofs_wr_dopen_src(const struct erofs_log *log,
		       const struct erofs_wr_inode *wi);
int erofs_wr_dread_src(const struct erofs_log *log,
		       const struct erofs_wr_inode *wi, int fd, uint64_t la,
		       void *buf, size_t len);
void erofs_wr_dedupe_release(struct erofs_wr_dedupe *d);

/* zpacked.c */
void erofs_wr_packed_init(struct erofs_wr_packed *pk);
void erofs_wr_packed_release(struct erofs_wr_packed *pk);
/* does the image need a packed inode (something went into it)? */
bool erofs_wr_packed_wanted(const struct erofs_wr *w);
/* store a fragment (spool pieces pc[0..nr), len bytes); sha: its content
 * key when it may be shared, else NULL; *off: where it is */
int erofs_wr_packed_add_frag(struct erofs_wr *w,
			     const struct erofs_wr_zpiece *pc, size_t nr,
			     uint64_t len, const uint8_t *sha, uint64_t *off);
/* --zD: reserve every directory's place (their wi->z, whole fragments) */
int erofs_wr_packed_reserve_dirs(struct erofs_wr *w);
/* make wi (serial number ino) the packed inode over what was stored */
void erofs_wr_packed_inode_init(struct erofs_wr *w, struct erofs_wr_inode *wi,
				uint32_t ino);
/* --zD, once every other inode is placed: write the directories */
int erofs_wr_packed_write_dirs(struct erofs_wr *w);

/* zindex.c: map header + lcluster indexes, the mirror of zmap.c */
struct erofs_wr_zmeta {
	unsigned int blkszbits;
	bool big;			/* big pclusters (CBLKCNT entries) */
	uint64_t size;			/* i_size */
	unsigned int body;		/* inode + inline xattrs: the header
					 * follows, 8-byte aligned */
	uint64_t startblk, nblocks;	/* the inode's own data blocks */
	const struct erofs_wr_zinfo *z;	/* ext, meta_len, advise, alg, full,
					 * inlined/inl_len, frag_* */
	/* dedupe: block and size of the pcluster extent e refers to */
	void (*ref)(const void *priv, const struct erofs_wr_extent *e,
		    uint64_t *blk, uint32_t *pblks);
	const void *priv;
};
/* bytes of the map header and indexes, padding before them included */
unsigned int erofs_wr_zmeta_len(unsigned int blkszbits, unsigned int body,
				uint64_t size, bool whole_frag, bool full);
/* write z->meta_len bytes into out; 0 or -ENOMEM */
int erofs_wr_zmeta_encode(const struct erofs_wr_zmeta *m, uint8_t *out);
/*
 * Encoded extents for z (48BIT): the record size and lcluster bits they
 * would use (*recsz 0: not possible: an inline tail, a whole fragment),
 * and their bytes from the end of the inode body (padding included).
 */
unsigned int erofs_wr_zext_len(unsigned int blkszbits, unsigned int body,
			       uint64_t size, const struct erofs_wr_zinfo *z,
			       uint8_t *recsz, uint8_t *lcbits);
/* the same for a planned inode of the build: the smaller form (encoded
 * extents only with 48BIT) */
unsigned int erofs_wr_z_meta_len(const struct erofs_wr *w,
				 const struct erofs_wr_inode *wi);
/* fix that choice in wi->z (recsz, ext_lcbits, meta_len) */
void erofs_wr_z_choose_index(const struct erofs_wr *w,
			     struct erofs_wr_inode *wi);
int erofs_wr_z_encode_meta(const struct erofs_wr *w,
			   const struct erofs_wr_inode *wi, uint8_t *out);

/* layout.c */
/* the whole plan, in order (the table of contents of the writer) */
int erofs_wr_plan(struct erofs_wr *w, struct erofs_node *root);
/* -m, after erofs_wr_emit_inodes() filled w->mbox.spool: compress and
 * place the metabox inode */
int erofs_wr_plan_metabox(struct erofs_wr *w);
void erofs_wr_plan_release(struct erofs_wr *w);

/* place.c: the placement steps, in the order layout.c calls them */
/* --sort=none: streamed files keep their blocks, metadata goes after */
int erofs_wr_place_streamed(struct erofs_wr *w);
/* superblock, COMPR_CFGS records, root, prefix table, shared xattrs */
int erofs_wr_place_head(struct erofs_wr *w, uint64_t *cursor);
/* every other inode but skip (a late packed inode), in place.order */
int erofs_wr_place_inodes(struct erofs_wr *w, uint64_t *cursor,
			  const struct erofs_wr_inode *skip);
/* the skipped one, last */
void erofs_wr_place_last(struct erofs_wr *w, struct erofs_wr_inode *wi,
			 uint64_t *cursor);
/* data blocks in nid order after the metadata ending at cursor */
int erofs_wr_place_data(struct erofs_wr *w, uint64_t cursor);
/* -m: the metabox inode's place in the main area (its record for full
 * indexes), then, once compressed, its data after all other data */
void erofs_wr_place_mbox_inode(struct erofs_wr *w, uint64_t *cursor);
int erofs_wr_place_mbox_data(struct erofs_wr *w);
void erofs_wr_place_release(struct erofs_wr *w);

/* features.c */
/* bytes of the COMPR_CFGS records the plan needs (for placement) */
unsigned int erofs_wr_features_cfgs_len(const struct erofs_wr *w);
/* every feature bit and record, from the finished plan */
int erofs_wr_features(struct erofs_wr *w);

/* emit.c: write the plan in two steps.  The first writes everything
 * but the superblock (and, with -m, the metabox inode, whose data, the
 * metabox space, goes to mbox); the second, once erofs_wr_plan_metabox()
 * placed that inode, the rest and the superblock last. */
struct wr_emit;
int erofs_wr_emit_inodes(const struct erofs_wr *w,
			 struct erofs_wr_spool *mbox, struct wr_emit **ep);
int erofs_wr_emit_finish(struct wr_emit *e);
/* *bytes_read: source bytes read (files not compressed); e may be NULL */
void erofs_wr_emit_free(struct wr_emit *e, uint64_t *bytes_read);
/* a plain file emit copies from its source (emit_ahead.c reads those) */
bool erofs_wr_emit_reads_source(const struct erofs_wr_inode *wi);

/* emit_ahead.c: with two or more workers, threads read the plain files
 * (and hash the fingerprinted ones) ahead of emit, in place order.
 * start: a = NULL when there is nothing to do or no thread (emit then
 * reads everything itself); 0 or -ENOMEM.  take: in emit order, 1 with
 * wi's whole content in *buf (and its digest, if fingerprinted), for
 * erofs_wr_ahead_put() once written; 0: read it yourself (a may be
 * NULL).  stop: cancel, join and free (NULL: nothing). */
struct erofs_wr_ahead;
int erofs_wr_ahead_start(const struct erofs_wr *w, struct erofs_wr_ahead **a);
int erofs_wr_ahead_take(struct erofs_wr_ahead *a,
			const struct erofs_wr_inode *wi, uint8_t **buf,
			uint8_t *digest);
void erofs_wr_ahead_put(struct erofs_wr_ahead *a, uint8_t *buf, size_t len);
void erofs_wr_ahead_stop(struct erofs_wr_ahead *a);

/* blocklist.c */
/* the block list of the reserved files into io (--tar=X,MAPFILE);
   -EINVAL (logged) for data that cannot be listed */
int erofs_wr_blocklist_emit(const struct erofs_wr *w, struct erofs_io *io);

#endif
