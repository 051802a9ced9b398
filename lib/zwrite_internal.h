/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * zwrite_internal.h - what zwrite.c (the compression passes) and zjob.c
 * (one worker's job: one segment of one file) share (private to lib/).
 * A pass owns its files, their segments' result slots and the queue;
 * zwrite.c fills them before the workers start and reads the results
 * after they are joined, and a worker writes only the slot of the
 * segment in hand (and its own spool), so no result depends on which
 * worker ran which job.
 */
#ifndef __EROFS_ZWRITE_INTERNAL_H
#define __EROFS_ZWRITE_INTERNAL_H

#include "workpool.h"
#include "writer_internal.h"

/*
 * The segment size: as erofs-utils (16 MiB), a multiple of every block
 * size and larger than the largest extent (12 MiB), so small and medium
 * files are one segment and only very large ones get extra extent cuts.
 */
#define WR_ZSEGMENT	(16U << 20)
#define WR_ZREAD	(1U << 20)	/* source read size */

/*
 * -E dedupe at any offset (zslide.c): the segment's bytes [la, la + len)
 * equal the first len bytes of an earlier extent, the source: the
 * first-pass extent at sla of files[file].seg[seg], which decodes to slen
 * bytes from a pcluster of spblks blocks (or is a PLAIN block).
 */
struct erofs_wr_zcand {
	uint64_t la, sla;
	uint32_t len, slen, spblks;
	uint32_t file, seg;
	uint8_t stype;			/* its lcluster type */
};

/* what one segment produced */
struct erofs_wr_zseg {
	struct erofs_wr_extent *ext;	/* la relative to the file */
	size_t nr_ext, cap_ext, cap_esha, cap_psha;
	/* -E dedupe or fragments: SHA-256 of each extent's decoded bytes */
	uint8_t (*esha)[EROFS_ISHARE_DIGEST_LEN];
	/* -E dedupe: and of their first bytes (zdedupe.c: to find longer
	 * ones), and the rolling sum of those (zslide.c) */
	uint8_t (*psha)[EROFS_ISHARE_DIGEST_LEN];
	uint64_t *wsum;
	size_t cap_wsum;
	/* -E dedupe at any offset (zslide.c): where earlier pclusters'
	 * bytes recur, by la; and the extents that now use them */
	struct erofs_wr_zcand *cand;
	size_t nr_cand, cap_cand;
	struct erofs_wr_zlink *lnk;
	size_t nr_lnk;
	struct erofs_wr_zpiece pcl;	/* its pclusters */
	uint64_t zblocks;
	/* the file's last segment: inline form of the last extent */
	uint32_t inl_len;
	uint8_t inl_type;
	struct erofs_wr_zpiece inl;
	/* a one-segment file that compresses badly: its raw data */
	struct erofs_wr_zpiece raw;
	/* -E fragments: this segment's share of the file's fragment; when
	 * it is the whole fragment, frag_sha identifies it for sharing */
	struct erofs_wr_zpiece frag;
	bool frag_keyed;
	uint8_t frag_sha[EROFS_ISHARE_DIGEST_LEN];
};

struct erofs_wr_zfile {
	struct erofs_wr_inode *wi;
	uint32_t pmax;			/* its largest pcluster (bytes) */
	unsigned int ci;		/* its algorithm: w->z.cfgs[ci] */
	uint32_t nr_seg;
	struct erofs_wr_zseg *seg;
	/* files of several segments with a fingerprint: the running hash,
	 * and how many segments went into it (guarded by the pool lock) */
	struct erofs_sha256 *sha;
	uint32_t hashed;
	/* --reuse: digest read ahead of the pass, for the lookup only (the
	 * fingerprint is still hashed from the bytes the pass reads) */
	bool prehashed;
	uint8_t pre_digest[EROFS_ISHARE_DIGEST_LEN];
	/*
	 * A one-segment file whose bytes and settings equal those of an
	 * earlier-hashed file of the pass (its leader), and that no earlier
	 * image gave, is not compressed: collect gives it a copy of the
	 * leader's result (zjob.c: wr_zsame).  Set by the file's worker;
	 * read after the join.
	 */
	bool follower;
	uint32_t leader;		/* index in the pool's files[] */
	/* another one-segment file of the pass has its size: worth hashing
	 * to find equal bytes even without fingerprints */
	bool same_size;
	/* -E all-fragments: 0, the whole file is the fragment; else at most
	 * this much of its end is (ztails.c) */
	uint64_t frag_tail;
};

struct erofs_wr_zjobref {
	uint32_t file, seg;
	uint32_t len;			/* the segment's bytes */
};

struct erofs_wr_zpool;

struct erofs_wr_zworker {
	struct erofs_wr_zpool *pool;
	unsigned int id;		/* = its spool number */
	struct erofs_log log;		/* proxy into the build's log */
	/* one compressor per -z algorithm, set up on first use */
	struct erofs_compress_ctx ctx[EROFS_MKFS_MAX_COMPR];
	uint32_t ctx_ok;		/* bit per ctx[] set up */
	struct erofs_compress_ctx *cur;	/* the file in hand's */
	struct erofs_sha256 *sha;	/* one-segment files */
	struct erofs_sha256 *fsha;	/* fragment keys (-E fragments) */
	uint8_t *buf;			/* the segment's bytes */
	uint8_t *enc;			/* one encoded pcluster */
	uint8_t *pcl;			/* the padded pcluster */
	uint64_t bytes_read;
	/* the segment in hand, from file byte base */
	uint64_t base;
	struct erofs_wr_zfile *f;
	struct erofs_wr_zseg *s;
	const char *path;
	struct erofs_wr_reuse_worker reuse;	/* --reuse */
};

/* one compression pass: its files, its queue (workpool.h job numbers
 * index jobs[]) and its workers */
struct erofs_wr_zpool {
	struct erofs_wr *w;
	struct erofs_workpool wp;	/* the hashed counters are guarded
					 * by its lock */
	struct erofs_wr_zfile *files;
	size_t nr_files;
	struct erofs_wr_zjobref *jobs;
	size_t nr_jobs;
	size_t bufsz;			/* largest segment in the queue */
	/* digest -> files[] index of the leaders (under the pool lock) */
	struct erofs_htab same;
	struct erofs_htab same_sizes;	/* set: sizes of several files */
	bool any_same_size;		/* a file is hashed for that alone */
	struct erofs_wr_zworker *wk;
	unsigned int nr_wk;
	struct erofs_wr_zslide *slide;	/* -E dedupe (zslide.c) */
};

/* ztails.c: set frag_tail of the pool's files; 0 or -ENOMEM */
int erofs_wr_ztails(struct erofs_wr_zpool *pool);

/* zjob.c */
extern const struct erofs_workpool_ops erofs_wr_zjob_ops;
int erofs_wr_zworker_init(struct erofs_wr_zpool *pool,
			  struct erofs_wr_zworker *k, unsigned int id);
void erofs_wr_zworker_release(struct erofs_wr_zworker *k);

/* zjob.c: read file bytes [base, base + len) into k->buf (k->f's) */
int erofs_wr_zseg_read(struct erofs_wr_zworker *k, uint64_t base, size_t len,
		       bool last_seg);

/* zslide.c: -E dedupe at any offset, between the first pass and collect */
#define WR_SWIN		WR_DPFX	/* the window: extents' first bytes */
uint64_t erofs_wr_slide_sum(const uint8_t *p);
int erofs_wr_slide(struct erofs_wr_zpool *pool);
void erofs_wr_slide_release(struct erofs_wr_zpool *pool);
/* zsplice.c: the candidates become links (main thread, then workers) */
int erofs_wr_splice(struct erofs_wr_zpool *pool);
/* zjob.c: worker k's compressor for algorithm ci, set up on first use */
int erofs_wr_zworker_ctx(struct erofs_wr_zworker *k, unsigned int ci);

/* zwrite.c */
/*
 * Is the compressed form of wi worth keeping, given its pcluster blocks,
 * last extent, inline form and fragment?
 */
bool erofs_wr_z_keep(const struct erofs_wr *w, const struct erofs_wr_inode *wi,
		     uint64_t zblocks, const struct erofs_wr_extent *last,
		     uint32_t inl_len, uint64_t frag_len);

#endif
