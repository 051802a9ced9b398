/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * check_internal.h - the check engine's state, shared by check.c (the
 * walk: inodes, directories, xattrs, the superblock, overlaps and links)
 * and check_data.c (a file's data: decoding, the verifiers' per-file
 * calls, and the records of files that workers check ahead).  Private
 * to lib/.
 */
#ifndef __EROFS_CHECK_INTERNAL_H
#define __EROFS_CHECK_INTERNAL_H

#include "erofs/check.h"
#include "erofs/htab.h"
#include "erofs/walk.h"
#include "check_ahead.h"

enum region_kind {
	REGION_META,		/* superblock, inodes, tables, directories */
	REGION_DATA,		/* file data: may be shared by any inodes */
	REGION_SHARED_XATTR,	/* one shared xattr entry, many users */
};

struct region {
	uint64_t start, end;
	erofs_nid_t owner;
	enum region_kind kind;
};

/* what the checks remember per inode, indexed like the walk's nodes */
struct node_rec {
	bool is_dir;
	bool bad;		/* unreadable inode */
	bool special;		/* the packed inode: no names expected */
	uint32_t mode;
	uint32_t nlink;
	uint32_t refs;		/* names pointing here */
	uint32_t subdirs;
};

/* the directory being listed: what its entries are compared against */
struct dir_scan {
	char *prev;
	unsigned int prevlen;
	size_t prevcap;
	bool have_prev, unsorted_reported, dot, dotdot;
};

struct check_ctx {
	struct erofs_image *img;
	const struct erofs_check_params *p;
	struct erofs_check_stats *st;
	struct erofs_walk walk;
	struct node_rec *nodes;
	size_t nr_nodes, nodes_cap;
	struct region *regions;
	size_t nregions, regions_cap;
	/* the path reports name: the walk's, or a fixed label outside it */
	const char *path;
	struct dir_scan scan;
	char *npath;			/* node_path()'s */
	size_t npath_cap;
	unsigned char *databuf;
	/*
	 * Start addresses of the pclusters and blocks already counted in
	 * physical_bytes: with dedupe or chunk sharing several extents of
	 * several files use one pcluster, which is stored once and so is
	 * counted once across the image.
	 */
	struct erofs_htab counted;
	/*
	 * Every pcluster seen, by start address: Linux keeps one object per
	 * pcluster start and decodes it the way its first reader mapped it,
	 * so all extents that share one must agree on its size and
	 * algorithm.  pcl_at files a record's index under its start
	 * address itself (as a set would), so the record needs no copy.
	 */
	struct erofs_htab pcl_at;
	struct pcl_rec {
		erofs_nid_t nid;
		uint32_t plen;
		uint32_t alg;
	} *pcls;
	size_t nr_pcls, pcls_cap;
	/*
	 * Start addresses that are block-aligned and inside the image file
	 * (nearly all) are kept in arrays indexed by block instead, made on
	 * first use: a bit each for counted, pcls' index + 1 for pcl_at.
	 * The tables' slots were 2.4 MB of a 143 MB lz4hc image check's
	 * 6.3 MB heap (heaptrack); these arrays take 84 KB there.  Other
	 * addresses (inline pclusters, images past by_blocks) still go to
	 * the tables.
	 */
	uint8_t *counted_bits;
	uint32_t *pcl_first;
	uint64_t by_blocks;		/* blocks the arrays cover, 0: none */
	/*
	 * verifiers taking part (bits of p->verifiers), those of them not
	 * parallel (verify.h), and for the file being checked those that
	 * want its data
	 */
	uint32_t von, serial, vdata;
	struct erofs_verify_sink sink;
	const struct erofs_inode *vinode;	/* NULL: image-wide reports */
	struct erofs_verify_file vfs[EROFS_CHECK_MAX_VERIFIERS];
	struct erofs_ahead *ahead;	/* NULL: no workers */
	struct erofs_ahead_offers offers;	/* the listing's, not queued */
	bool full;		/* walk from the root */
	int oom;
	uint64_t dev_told;	/* extra devices (bit id - 1) said missing */
	bool chunk_nofeature_told;	/* said once per image */
};
#define report(c, code, nid, ...) \
	erofs_check_report((c)->p->report, (c)->p->report_priv, (c)->st, \
			   (code), true, (nid), (c)->path, __VA_ARGS__)
#define report_sb(c, code, ...) \
	erofs_check_report((c)->p->report, (c)->p->report_priv, (c)->st, \
			   (code), false, 0, NULL, __VA_ARGS__)

/* the verifiers that fit the bit masks (check.h says at most 32) */
static inline unsigned int
erofs_chk_nr_verifiers(const struct erofs_check_params *p)
{
	return EROFS_MIN(p->nr_verifiers, EROFS_CHECK_MAX_VERIFIERS);
}

/* check.c: the image-wide records */
bool erofs_chk_counted_first(struct check_ctx *c, uint64_t pa);
bool erofs_chk_pcl_agrees(struct check_ctx *c, const struct erofs_map *map,
			  erofs_nid_t nid, const struct pcl_rec **other);
void erofs_chk_add_region(struct check_ctx *c, uint64_t start, uint64_t len,
			  erofs_nid_t owner, enum region_kind kind);

/* check_data.c */
int erofs_chk_file_data(struct check_ctx *c, struct erofs_inode *inode,
			bool special);
/* the verifiers' file_end for the regular file just checked */
void erofs_chk_file_end(struct check_ctx *c, int err);
/* a directory entry the walk follows, offered to the workers */
int erofs_chk_offer(struct erofs_ahead *a, struct erofs_ahead_offers *o,
		    const struct erofs_dir_entry *ent);
size_t erofs_chk_ahead_budget(const struct check_ctx *c);
extern const struct erofs_ahead_ops erofs_chk_ahead_ops;

#endif
