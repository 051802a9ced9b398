/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * zmap.h - compressed files: map a logical offset to the extent that holds
 * it (lib/zmap.c), and read decoded bytes (lib/decompress.c).
 *
 * The module does not know how an image is opened: the caller describes
 * the inode (size, layout, where its body ends) and hands in read
 * callbacks for the three byte spaces a compressed file touches -- the
 * metadata space holding the inode body (map header, lcluster indexes,
 * inline tail pcluster), the data space holding pclusters (unified device
 * byte addresses), and the packed inode's decoded data (fragments).  So it
 * works for plain images, metabox images and in-memory unit tests alike.
 *
 * Every value read from the image is checked before use (index types,
 * cluster offsets, lookback distances, CBLKCNT rules, algorithm ids,
 * pcluster and extent size limits, inline tail within one block) as
 * strictly as the kernel does; bad images give -EFSCORRUPTED with a
 * message naming the nid and a fault saying what was wrong, and only an
 * algorithm this build lacks gives -EOPNOTSUPP.  Both lcluster index forms
 * (FULL, COMPACT with 4B/2B packs, big pclusters, ztailpacking, fragments)
 * and the 48BIT encoded-extent records (format.md 7.14) are mapped.
 *
 * A struct erofs_z_inode caches the last decoded extent, the last compact
 * index pack with each of its heads' blocks, and the end of the last
 * extent mapped, so the index bytes must not change while it is in use;
 * it owns a decompression context unless one is lent to it, so it must
 * not be used by two threads at once; use one per thread (they are cheap
 * until read).
 */
#ifndef __EROFS_ZMAP_H
#define __EROFS_ZMAP_H

#include "erofs/compress.h"
#include "erofs/defs.h"
#include "erofs/log.h"

/* read exactly len bytes at byte off of one space; 0 or -errno */
typedef int (*erofs_z_read_fn)(void *priv, void *buf, size_t len,
			       uint64_t off);

/* what the caller (an image reader) knows about the inode and image */
struct erofs_z_params {
	erofs_nid_t nid;		/* only for messages */
	uint64_t i_size;
	unsigned int blkszbits;
	unsigned int datalayout;	/* EROFS_INODE_COMPRESSED_FULL/_COMPACT */
	uint64_t inode_end;		/* meta-space byte offset of iloc +
					 * inode size + inline xattr size */
	uint32_t feature_incompat;	/* superblock */
	uint16_t available_compr_algs;	/* sb u1; used only with COMPR_CFGS */
	erofs_z_read_fn read_meta;	/* inode body (raw image or metabox) */
	erofs_z_read_fn read_data;	/* pclusters: device byte address */
	erofs_z_read_fn read_packed;	/* packed inode data; NULL = none */
	void *priv;			/* passed to the three callbacks */
	struct erofs_log *log;		/* borrowed, may be NULL */
	struct erofs_decompress_ctx *dctx; /* borrowed; NULL: own one */
};

/*
 * What a failed call found wrong (erofs_z_inode::fault), so that an image
 * reader can name the broken structure.  The rule is the kernel's: what
 * it refuses or misreads is -EFSCORRUPTED, whatever errno the kernel
 * itself picks; -EOPNOTSUPP only means EROFS_Z_FAULT_UNBUILT.
 */
enum erofs_z_fault {
	EROFS_Z_FAULT_NONE,
	EROFS_Z_FAULT_HEADER,		/* the map header */
	EROFS_Z_FAULT_INDEX,		/* an lcluster index or extent record */
	EROFS_Z_FAULT_ALGORITHM,	/* unknown or undeclared algorithm */
	EROFS_Z_FAULT_DATA,		/* encoded data that does not decode */
	EROFS_Z_FAULT_UNBUILT,		/* an algorithm not built in */
};

/* the inode, with its map header decoded; see erofs_z_inode_init() */
struct erofs_z_inode {
	struct erofs_z_params p;
	uint16_t advise;		/* h_advise */
	uint8_t algs[2];		/* HEAD1 / HEAD2 algorithm ids */
	unsigned int lclusterbits;
	uint64_t nlclusters;		/* ceil(i_size / lcluster) */
	uint64_t index_pos;		/* meta offset of index 0 */
	unsigned int compact_4b_init;	/* compact: leading 4B entries */
	uint64_t compact_2b;		/* compact: entries in 2B packs */
	bool extents;			/* 48BIT encoded-extent records */
	unsigned int recsz;		/* extents: record size 4/8/16/32 */
	uint64_t nextents;		/* extents: record count (16/32) */
	uint64_t ext_pos;		/* extents: meta offset of records */
	uint64_t r4_l, r4_pos, r4_run;	/* 4-byte records: resume point */
	bool whole_fragment;		/* whole file in the packed inode */
	bool tail_fragment;		/* last extent in the packed inode */
	bool tail_inline;		/* last extent's pcluster inline */
	uint64_t fragment_off;		/* packed-inode offset of the tail */
	uint64_t tail_head_lcn;		/* head lcluster of the last extent */
	uint64_t idata_pos;		/* meta offset of the inline pcluster */
	unsigned int idata_size;
	/*
	 * The compact index pack read last: mapping one extent loads its
	 * head lcluster, the ones up to the next head and, for the block
	 * address, the entries before it, mostly in one 2-byte pack (16
	 * entries); a 4-byte pack holds 2, so longer extents read several.
	 */
	uint64_t pack_pos1;		/* meta offset + 1; 0 = none */
	unsigned int pack_len;
	uint8_t pack_type[16];		/* entry k: lcluster type */
	uint16_t pack_lo[16];		/* entry k: its low bits */
	uint32_t pack_base;		/* the pack's stored block */
	uint32_t pack_blk_known;	/* bit k: pack_blk[k] is set */
	uint64_t pack_blk[16];		/* entry k, a HEAD: its block */
	/*
	 * The end find_end() found last, for the head lcluster end_hlcn1 - 1
	 * (0: none): fsck maps every lcluster of an extent again, and each
	 * of those mappings would walk to the same end.
	 */
	uint64_t end_hlcn1, end_la;
	/* cache of the last decoded extent */
	uint8_t *ext_buf;
	size_t ext_cap;			/* bytes allocated at ext_buf */
	uint64_t ext_la, ext_len;
	bool ext_valid;
	struct erofs_decompress_ctx own_dctx;
	/*
	 * set by the call that fails (NONE when a read callback failed);
	 * only meaningful right after a non-zero return
	 */
	enum erofs_z_fault fault;
};

/* flags of struct erofs_z_map */
#define EROFS_Z_MAP_PARTIAL	0x1	/* PARTIAL_REF: a prefix of the
					 * pcluster's output */
#define EROFS_Z_MAP_INLINE	0x2	/* pa is a meta-space offset */
#define EROFS_Z_MAP_FRAGMENT	0x4	/* bytes are in the packed inode */
#define EROFS_Z_MAP_BIG		0x8	/* size came from a CBLKCNT */
#define EROFS_Z_MAP_HOLE	0x10	/* no data: reads as zeros */

/* one extent: logical [la, la + llen) decoded from pcluster [pa, pa+plen) */
struct erofs_z_map {
	uint64_t la, llen;		/* llen clamped at i_size */
	uint64_t pa;			/* data-space byte address, or meta
					 * offset with EROFS_Z_MAP_INLINE */
	uint32_t plen;			/* encoded bytes (incl. 0PADDING) */
	unsigned int alg;		/* Z_EROFS_COMPRESSION_* or
					 * EROFS_Z_ALG_SHIFTED/_INTERLACED */
	unsigned int flags;		/* EROFS_Z_MAP_* */
	uint64_t fragment_off;		/* FRAGMENT: packed-inode offset of la */
	uint64_t head_lcn;		/* lcluster holding the extent head */
	unsigned int head_type;		/* Z_EROFS_LCLUSTER_TYPE_* of the head */
};

/*
 * Copy p into zi and decode the map header (and, for ztailpacking or tail
 * fragments, locate the last extent).  Returns 0, -EFSCORRUPTED or the
 * callback's error.  Release zi with erofs_z_inode_release() whatever
 * the result.
 */
int erofs_z_inode_init(struct erofs_z_inode *zi,
		       const struct erofs_z_params *p);
void erofs_z_inode_release(struct erofs_z_inode *zi);

/* a map's algorithm by name: lz4 .. zstd, shifted, interlaced, or "?" */
const char *erofs_z_alg_name(unsigned int alg);

/*
 * Map the extent containing logical offset off (< i_size).  Files may map
 * holes (EROFS_Z_MAP_HOLE, read as zeros): encoded extents' and, as Linux
 * 7.2 reads them, index-marked ones; fragments carry
 * the packed-inode offset of map->la.  zi is updated (a resume point for
 * 4-byte extent records), hence not const.
 */
int erofs_z_map(struct erofs_z_inode *zi, uint64_t off,
		struct erofs_z_map *map);

/*
 * Decode a whole extent into out (map->llen bytes): reads the pcluster,
 * strips 0PADDING, undoes SHIFTED/INTERLACED plain storage, decodes
 * (partially for PARTIAL_REF) or copies from the packed inode.
 */
int erofs_z_read_extent(struct erofs_z_inode *zi,
			const struct erofs_z_map *map, void *out);

/*
 * Read exactly len decoded bytes at off (off + len <= i_size, else
 * -EINVAL).  The last decoded extent is cached in zi, so sequential small
 * reads decode each extent once.
 */
int erofs_z_read(struct erofs_z_inode *zi, void *buf, size_t len,
		 uint64_t off);

#endif
