/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * mkfs.h - write an EROFS image from an erofs_node tree.
 *
 * The writer plans first (nids, block addresses, inline decisions, xattr
 * sharing) and then emits every region in order, checking that each lands
 * where it was planned.  The superblock is written last, so an interrupted
 * build never leaves a valid-looking image behind.  Same tree + same params
 * = same bytes.
 *
 * With compression (nr_compr > 0) the plan starts by compressing every
 * regular file larger than one block: each source is read exactly once
 * (fingerprint included) and its encoded pclusters are kept in unlinked
 * spool files under tmpdir (one per worker thread) until emit copies them
 * into place, so a build needs temporary space of about the compressed
 * data size, and memory of about 16 MiB per worker for the data being
 * compressed.
 */
#ifndef __EROFS_MKFS_H
#define __EROFS_MKFS_H

#include "erofs/compress.h"
#include "erofs/erofs_fs.h"
#include "erofs/io.h"
#include "erofs/log.h"
#include "erofs/stream.h"
#include "erofs/tree.h"
#include "erofs/xattr.h"
#include "erofs/zhints.h"

#define EROFS_MKFS_MAX_COMPR	8	/* algorithms in one -z list */
#define EROFS_MKFS_MAX_WORKERS	1024	/* --workers upper bound */
#define EROFS_MKFS_MAX_REUSE	32	/* --reuse images */

/* -E fragdedupe: which fragments may share one copy in the packed inode */
enum erofs_fragdedupe {
	EROFS_FRAGDEDUPE_FULL,	/* any identical fragment (default) */
	EROFS_FRAGDEDUPE_INODE,	/* only fragments that are a whole file */
	EROFS_FRAGDEDUPE_OFF,	/* -E ^fragdedupe: every fragment stored */
};

/* -E force-inode-blockmap / force-chunk-indexes */
enum erofs_chunk_form {
	EROFS_CHUNK_AUTO,	/* block map unless a chunk is on a device */
	EROFS_CHUNK_BLOCKMAP,	/* 4-byte block map (device 0 only) */
	EROFS_CHUNK_INDEXES,	/* 8-byte chunk indexes */
};

enum erofs_inode_form {
	EROFS_FORM_AUTO,	/* compact where it fits */
	EROFS_FORM_COMPACT,	/* -E force-inode-compact (where possible) */
	EROFS_FORM_EXTENDED,	/* -E force-inode-extended */
};

/*
 * One extra device of the image's device table (erofs-format.md 5): the
 * slot's tag (e.g. the blob's digest; NUL-padded, not necessarily
 * terminated) and its size in blocks.  The writer maps the devices one
 * after another behind the image in the unified address space (as
 * erofs-utils does), so that the image with the devices appended in
 * order mounts without device= options (containerd's tar-index layers).
 */
struct erofs_mkfs_device {
	uint8_t tag[64];
	uint64_t blocks;
};

struct erofs_mkfs_base {
	struct erofs_super_block sb;	/* the old superblock */
	uint64_t end;			/* bytes kept, a block multiple */
	uint64_t meta_base;		/* meta_blkaddr in bytes */
	uint64_t root_pos;		/* the old root inode: where, and the */
	unsigned int root_room;		/* bytes it may take (inode, xattrs,
					 * inline data) */
	int64_t epoch;			/* of compact inodes' mtimes */
	bool b48;
	uint64_t inos;			/* the old count: new i_ino follow */
	/* the old inodes still reachable (kept entries and what lies under
	   them, the packed inode): the superblock's count adds the new ones */
	uint64_t kept_inos;
	/* the long xattr prefixes, in table order (borrowed) */
	const struct erofs_xattr_prefix *pfx;
	unsigned int nr_pfx;
	int ishare_id;			/* -1: no fingerprints */
	uint32_t algs;			/* COMPR_CFGS: available algorithms */
	uint8_t cfg_rec[256];		/* COMPR_CFGS: the records */
	unsigned int cfg_len;
};

struct erofs_mkfs_params {
	struct erofs_log *log;
	unsigned int blkszbits;		/* -b, default 12 */
	int64_t build_time;		/* -T / SOURCE_DATE_EPOCH / now */
	uint32_t build_time_nsec;
	uint8_t uuid[16];		/* -U (all zero with "clear") */
	char volume_label[16];		/* -L, NUL-terminated */
	enum erofs_inode_form inode_form;
	bool noinline_data;		/* -E noinline_data */
	/*
	 * -E 48bit: the 48BIT layout (erofs-format.md 2.6), which 6.15+
	 * kernels read: compact inodes keep any mtime within 2^32 s of the
	 * epoch.  -E dot-omitted: directories store no "." entry (implies
	 * 48bit, as in erofs-utils, so that older kernels refuse it).
	 */
	bool b48, dot_omitted;
	bool sb_checksum;		/* default on, -E nosbcrc clears */
	bool xattr_filter;		/* xattr name bloom filter, default on */
	int xattr_share_threshold;	/* -x N: share if > N users; -1 off */
	unsigned int root_xattr_isize;	/* --root-xattr-isize */
	/*
	 * -E plain-xattr-prefixes: the long prefix table stays on the raw
	 * device (compat PLAIN_XATTR_PFX) even when a packed inode exists;
	 * by default it goes into the packed inode, where kernels before
	 * PLAIN_XATTR_PFX look for it.
	 */
	bool plain_xattr_prefixes;
	/* --xattr-prefix=PREFIX, in order given */
	const char *const *xattr_prefixes;
	size_t nr_xattr_prefixes;
	/* --ishare_key / --xattr-inode-digest: NULL = off */
	const char *ishare_key;
	/*
	 * Compression (-z).  nr_compr == 0: no compression.  compr[] holds
	 * the algorithms of "-z ALG[,level=N][,dictsize=S][:ALG2...]" in the
	 * order given (erofs_mkfs_parse_compress() fills it); files use
	 * compr[0] unless a --compress-hints rule picks another.  Regular
	 * files larger than one block (any size with fragments) are
	 * compressed when that saves at least one block; symlinks, smaller
	 * files and (without --zD) directories stay uncompressed.
	 */
	struct erofs_compress_cfg compr[EROFS_MKFS_MAX_COMPR];
	unsigned int nr_compr;
	uint32_t pcluster_max;		/* -C bytes: max physical cluster
					 * (multiple of the block size, up to
					 * 1 MiB and 2047 blocks); 0 = 1 block */
	uint32_t max_extent_bytes;	/* --max-extent-bytes: max decoded
					 * bytes per extent; 0 = automatic
					 * (max(1 MiB, 4 * pcluster) <= 12 MiB) */
	bool legacy_compress;		/* -E legacy-compress: full indexes */
	bool ztailpacking;		/* -E ztailpacking: inline tail pcluster */
	/*
	 * -E fragments[=SIZE]: each compressed file's tail (what is left
	 * once it is at most one pcluster; small files whole) goes to the
	 * packed inode, identical tails once, and the packed inode is
	 * compressed like a file with SIZE-byte pclusters (0 = -C).  With
	 * -E all-fragments every file goes there whole.
	 */
	bool fragments, all_fragments;
	uint32_t packed_pcluster;
	enum erofs_fragdedupe fragdedupe;
	/*
	 * -E dedupe: an extent whose decoded bytes equal an earlier one's
	 * (same algorithm) points at that pcluster instead of storing its
	 * own, and so does one whose bytes are the start of an earlier,
	 * longer compressed extent (partial reference); files that do get
	 * full indexes.  Works with any --workers:
	 * extents are matched after compression, in inode order.
	 */
	bool dedupe;
	/*
	 * --zD: every directory's data goes whole into the packed inode,
	 * which is compressed with compr[0] once all inodes are placed
	 * (directory data holds the children's nids); the directory keeps
	 * only the 8-byte fragment header.  As erofs-utils 1.9 does.
	 */
	bool compress_dirs;
	/*
	 * -m SIZE[:ALG]: the metabox (erofs-format.md 6.5, Linux 6.17+):
	 * every inode but the packed one lives in the data of one more
	 * inode (nids with bit 63), compressed like a file in SIZE-byte
	 * pclusters with compr[metabox_alg], or stored as it is without
	 * -z; the long prefix table (unless plain) and the shared xattrs
	 * (compat SHARED_EA_IN_METABOX) go there too.  Implies
	 * 48BIT, as in erofs-utils.  0 = off.  ALG (an algorithm name, added
	 * to compr[] as erofs-utils adds it to its -z list, or an index into
	 * that list) is resolved by erofs_mkfs_params_finish().
	 */
	uint32_t metabox_pcluster;
	unsigned int metabox_alg;
	const char *metabox_alg_arg;
	/*
	 * --MZ with 'd': directory data goes first in the data area, right
	 * after the inodes (erofs-utils' metadata zone; without 'd' that is
	 * our layout anyway: every inode in one area before the data).
	 */
	bool dirdata_first;
	/*
	 * --compress-hints: per-file pcluster size and algorithm (index
	 * into compr[]) by path rules, loaded with erofs_zhints_load() for
	 * this nr_compr, block size and pcluster_max; borrowed, NULL = none.
	 * A rule of size 0 keeps its files uncompressed.
	 */
	const struct erofs_zhints *zhints;
	/* directory for the compressed-data spool files; NULL = $TMPDIR or
	 * /tmp (the files are unlinked at once) */
	const char *tmpdir;
	/*
	 * --workers: threads compressing files at once (and, less one,
	 * reading uncompressed files ahead of the writer); 0 = the number of
	 * online CPUs, 1 = no extra thread.  Never changes the image: files
	 * (and 16 MiB segments of larger ones) are compressed independently
	 * and their results placed in a fixed order.  Values above
	 * EROFS_MKFS_MAX_WORKERS are clamped.
	 */
	unsigned int workers;
	/*
	 * --sort=none: regular file data already streamed into the image
	 * (erofs/stream.h; nodes with a stream_id); the build places the
	 * metadata after it.  Borrowed, NULL = none.  Same io and block
	 * size as the build; no compression (-EOPNOTSUPP).
	 */
	const struct erofs_stream *stream;
	/*
	 * --dsunit=N: every file's data (and the packed inode's) starts on
	 * a block address that is a multiple of N blocks; 0 or 1 = off.
	 * Not with --sort=none (streamed data is placed as it arrives).
	 */
	uint32_t dsunit;
	/*
	 * --fsalignblks=N: the image's block count is rounded up to a
	 * multiple of N (itself rounded up to a power of two), zero blocks
	 * at the end; 0 or 1 = off.
	 */
	uint32_t fsalignblks;
	/*
	 * --chunksize: regular files that are not stored compressed are
	 * written chunk-based (erofs-format.md 6) in chunks of 1 << chunkbits
	 * bytes (>= the block size; 0 = off): a chunk whose bytes equal an
	 * earlier one's points at that copy, an all-zero chunk is a hole, and
	 * consecutive chunks that lie one after another are merged into
	 * larger ones.  Chunk data goes to the data area, or with blob to
	 * that device (device 1; the image then holds metadata only).
	 */
	unsigned int chunkbits;
	enum erofs_chunk_form chunk_form;
	struct erofs_io *blob;		/* --blobdev, borrowed; NULL = none */
	/*
	 * --tar=X,MAPFILE: the block list of reserved files (erofs/tree.h
	 * `reserved`), written as erofs-utils does (blocklist.c), empty when
	 * no file is; borrowed, NULL = none.
	 */
	struct erofs_io *blocklist;
	/*
	 * Extra devices, in device-id order (device 1 first): nodes'
	 * pieces (erofs/tree.h) point into them.  Borrowed; 0 = none.
	 * Not with blob (which is device 1).
	 */
	const struct erofs_mkfs_device *devices;
	unsigned int nr_devices;
	/*
	 * --reuse=OLD (repeatable): earlier images whose encodings of files
	 * with the same content (by their fingerprints) are taken instead of
	 * compressing those files again.  With OLD built with the same
	 * options the image is the same as without it; an OLD whose encoding
	 * is seen to differ (another level, -C, algorithm option) is not
	 * used, and every taken file is decoded and compared first.
	 * Borrowed paths; 0 = none.  Check them with erofs_mkfs_reuse_check()
	 * before the image is opened.
	 */
	const char *const *reuse;
	size_t nr_reuse;
	/* those images being loaded already (erofs_mkfs_reuse_start());
	 * borrowed, NULL = the build loads them */
	struct erofs_mkfs_reuse *reuse_pre;
	/*
	 * --incremental: the image being extended (mkfs_base.c fills it);
	 * NULL = a new image.  Its first `end` bytes stay as they are, but
	 * for the superblock (sb, updated), the ".." of kept directories
	 * (erofs/tree.h `kept`) and, when the new root's nid would not fit
	 * the superblock, the old root's slot; new inodes and data follow,
	 * with nids counted from the old meta_blkaddr.  The params must
	 * agree with it (erofs_mkfs_base_apply()).
	 */
	const struct erofs_mkfs_base *base;
	/* progress: called with (done, total) inodes while emitting */
	void (*progress)(void *priv, uint64_t done, uint64_t total);
	void *progress_priv;
};

struct erofs_mkfs_stats {
	uint64_t inodes, blocks, image_bytes;
	uint64_t data_bytes_read;
	uint64_t compressed_files;	/* files stored compressed */
	/* --reuse: files whose encoding came from an earlier image, and
	 * their decoded bytes taken over */
	uint64_t reused_files, reused_bytes;
};

void erofs_mkfs_params_init(struct erofs_mkfs_params *p);
/*
 * After the options: erofs-utils' rules between them.  -E dedupe without
 * -z means chunk dedupe in block-sized chunks; a blob (has_blob) needs
 * --chunksize and chunk indexes.  Returns 0 or -EINVAL (logged).
 */
int erofs_mkfs_params_finish(struct erofs_mkfs_params *p, bool has_blob);
/*
 * Can file data be streamed into the image as it is imported (--sort=
 * none)?  Not when the build must place it afterwards (-z, --dsunit,
 * chunk-based files): then, as erofs-utils, the request is dropped with
 * an info message and data is sorted by path.  Call after
 * erofs_mkfs_params_finish().
 */
bool erofs_mkfs_can_stream(const struct erofs_mkfs_params *p);
/*
 * Parse a -z argument "ALG[,level=N][,dictsize=S][:ALG2[,...]...]" into
 * p->compr[] / p->nr_compr (replacing an earlier -z).  Algorithms: lz4,
 * lz4hc, lzma, deflate, zstd (erofs/compress.h).  Returns 0, -EINVAL (the
 * reason went to p->log) or -EOPNOTSUPP (algorithm not built in).
 */
int erofs_mkfs_parse_compress(struct erofs_mkfs_params *p, const char *arg);
/*
 * Parse -m "SIZE[:ALG]" (metabox_pcluster, metabox_alg_arg) and --MZ
 * "[0|i|d|id]" (arg NULL: "id").  0 or -EINVAL (logged).
 */
int erofs_mkfs_parse_metabox(struct erofs_mkfs_params *p, const char *arg);
int erofs_mkfs_parse_metazone(struct erofs_mkfs_params *p, const char *arg);
/* --zD[=0|1] (arg NULL: 1) into compress_dirs; 0 or -EINVAL (logged) */
int erofs_mkfs_parse_zd(struct erofs_mkfs_params *p, const char *arg);
/*
 * Before IMAGE is opened (and truncated): is every --reuse image
 * readable, and none of them IMAGE itself?  0 or -errno (logged).
 */
int erofs_mkfs_reuse_check(const struct erofs_mkfs_params *p,
			   const char *image);
/*
 * Start loading the --reuse images of p in a thread, to overlap the walk
 * of the source; the build given p with reuse_pre = *r takes the result
 * when nothing it depends on changed meanwhile, and loads them itself
 * otherwise.  *r = NULL when there is nothing to load or no thread could
 * start (the build then loads them).  0 or -ENOMEM.  Free *r after the
 * build (it may be NULL).
 */
struct erofs_mkfs_reuse;
int erofs_mkfs_reuse_start(const struct erofs_mkfs_params *p,
			   struct erofs_mkfs_reuse **r);
/* did a build take what r loaded? */
bool erofs_mkfs_reuse_taken(const struct erofs_mkfs_reuse *r);
void erofs_mkfs_reuse_free(struct erofs_mkfs_reuse *r);
/*
 * Build the image of root into io (which should be empty).  Returns 0 or
 * -errno; on error nothing valid-looking is left (no superblock written).
 * stats may be NULL.
 */
int erofs_mkfs_build(const struct erofs_mkfs_params *p, struct erofs_node *root,
		     struct erofs_io *io, struct erofs_mkfs_stats *stats);

#endif
