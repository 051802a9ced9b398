/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * compress.h - the compressor table: one const vtable per compressor, keyed
 * by the on-disk algorithm id (erofs_fs.h Z_EROFS_COMPRESSION_*).
 *
 * Every backend owns its command-line options ("-z ALG[,level=N]
 * [,dictsize=S]"), its on-disk configuration record (struct z_erofs_*_cfgs,
 * written after the superblock with COMPR_CFGS) and both directions of its
 * codec.  Backends that were not built (no HAVE_LIBxxx in config.h) are
 * still listed as stub rows so that "-z lz4" can fail with "lz4 not built
 * in" instead of "unknown compressor".  lz4hc is a second row that writes
 * the LZ4 algorithm id.
 *
 * Compression is EROFS's fixed-output call: erofs_compress_destsize() fills
 * at most dstsize output bytes and reports how much input it consumed.
 * LZ4/LZ4HC have that natively (LZ4_compress*_destSize), MicroLZMA too
 * (lzma_microlzma_encoder stops when the output is full); zstd and
 * libdeflate do not, so their backends search the input length (see
 * lib/compressor.c, erofs_compress_search()).
 *
 * No globals: every compressing call site (one per worker thread) owns a
 * struct erofs_compress_ctx, every decoding call site a struct
 * erofs_decompress_ctx.  The tables themselves are const.
 *
 * Decompression is hostile-input safe: the decoders never write beyond
 * outlen, and any stream that does not decode to exactly outlen bytes (or,
 * with partial set, to at least outlen bytes) yields -EFSCORRUPTED.
 */
#ifndef __EROFS_COMPRESS_H
#define __EROFS_COMPRESS_H

#include "erofs/defs.h"
#include "erofs/erofs_fs.h"
#include "erofs/log.h"

/* kernel-internal ids for PLAIN lclusters (never stored on disk) */
#define EROFS_Z_ALG_SHIFTED	Z_EROFS_COMPRESSION_MAX		/* 4 */
#define EROFS_Z_ALG_INTERLACED	(Z_EROFS_COMPRESSION_MAX + 1)	/* 5 */

/* kernel limits (format.md 7.1) */
#define EROFS_Z_PCLUSTER_MAX	(1U << 20)	/* encoded pcluster bytes */
#define EROFS_Z_EXTENT_MAX	(12U << 20)	/* decoded extent bytes */

struct erofs_compress_cfg;
struct erofs_compress_ctx;

struct erofs_compressor {
	const char *name;		/* "-z" name */
	const char *alias;		/* another "-z" name (erofs-utils'), or NULL */
	unsigned int alg;		/* on-disk id (Z_EROFS_COMPRESSION_*) */
	bool built;			/* false: stub row, every call fails */
	/*
	 * Encoding costs less than SHA-256: the writer does not hash files
	 * only to find equal ones (lz4)
	 */
	bool cheap;
	int default_level, min_level, max_level;
	uint32_t default_dictsize;	/* 0: the backend has no dictsize */
	uint32_t min_dictsize, max_dictsize;
	/*
	 * A dictsize the kernel decodes only when a multiple of this (0: any
	 * size); others are rounded up, with an info line
	 */
	uint32_t dictsize_align;
	/*
	 * A "-z ALG,KEY=VALUE" option of this backend only (lzma's lc, lp,
	 * pb), stored in cfg; -ENOENT for a key it does not know.
	 */
	int (*set_opt)(struct erofs_compress_cfg *cfg, const char *key,
		       const char *val, struct erofs_log *log);
	/* extra validation of a parsed cfg (e.g. dictsize a power of two) */
	int (*check)(const struct erofs_compress_cfg *cfg, struct erofs_log *log);
	/* allocate ctx->priv for cfg; released by ->release */
	int (*init)(struct erofs_compress_ctx *ctx);
	void (*release)(struct erofs_compress_ctx *ctx);
	/*
	 * Encode a prefix of src[0..*srclen) into at most dstsize bytes.
	 * Returns the encoded length (> 0) and sets *srclen to the bytes
	 * consumed; returns -ENOSPC if not even a tiny prefix fits.
	 */
	int (*compress_destsize)(struct erofs_compress_ctx *ctx,
				 const void *src, size_t *srclen,
				 void *dst, size_t dstsize);
	/* ---- decoding side (keyed by alg, shared by lz4 and lz4hc) ---- */
	int (*decompress)(void **state, const void *in, size_t inlen,
			  void *out, size_t outlen, bool partial);
	void (*dstate_free)(void *state);
	/* write the COMPR_CFGS payload; returns its length */
	int (*write_cfg)(const struct erofs_compress_cfg *cfg, void *payload,
			 size_t cap);
	/* validate a COMPR_CFGS payload read from an image (kernel checks) */
	int (*check_cfg)(const void *payload, size_t len,
			 unsigned int blkszbits, struct erofs_log *log);
};

/* what "-z ALG[,level=N][,dictsize=S]" selected, plus writer context */
struct erofs_compress_cfg {
	const struct erofs_compressor *c;
	int level;
	uint32_t dictsize;		/* bytes (0 if the backend has none) */
	unsigned int blkszbits;		/* filled by the writer */
	uint32_t max_pclusterblks;	/* LZ4 record: largest pcluster */
	/* lzma: literal context/position and position bits; -1 = the
	 * preset's (written by its set_opt, read by its init) */
	int lzma_lc, lzma_lp, lzma_pb;
};

struct erofs_compress_ctx {
	struct erofs_compress_cfg cfg;
	void *priv;			/* backend state */
	/* erofs_compress_search()'s room for encodings that may not fit */
	void *scratch;
	size_t scratch_cap;
	/*
	 * The caller's estimate of the input that fits (0: none), for the
	 * search's first attempt; the writer sets it before each call to
	 * what the previous pcluster of the segment took, so the result
	 * still depends only on the segment's data.
	 */
	size_t guess;
};

struct erofs_decompress_ctx {
	void *state[Z_EROFS_COMPRESSION_MAX];	/* lazily created */
	/* the encoded pcluster being decoded (lib/decompress.c) */
	uint8_t *in;
	size_t in_cap;
};

/* ---- the table ---- */

/* row by "-z" name (stub rows included; NULL if unknown) */
const struct erofs_compressor *erofs_compressor_find(const char *name);
/* decoding row for an on-disk algorithm id (NULL if unknown) */
const struct erofs_compressor *erofs_compressor_by_alg(unsigned int alg);
/* the i-th row (0..), NULL past the end: for --help listings */
const struct erofs_compressor *erofs_compressor_get(unsigned int i);

/*
 * Parse "ALG[,level=N][,dictsize=S]" (also "ALG,N" as mkfs 1.x accepts).
 * S takes K/M suffixes.  -EINVAL for syntax/range errors, -EOPNOTSUPP for
 * a stub row ("lz4 not built in"); the reason goes to log.
 */
int erofs_compress_cfg_parse(struct erofs_compress_cfg *cfg, const char *spec,
			     struct erofs_log *log);
/* defaults of a row: level and dictsize */
void erofs_compress_cfg_init(struct erofs_compress_cfg *cfg,
			     const struct erofs_compressor *c);

/* ---- compressing ---- */
int erofs_compress_init(struct erofs_compress_ctx *ctx,
			const struct erofs_compress_cfg *cfg);
void erofs_compress_release(struct erofs_compress_ctx *ctx);
/*
 * Fill at most dstsize bytes with the encoding of a prefix of src.  On
 * success returns the encoded length and sets *srclen to the consumed
 * input (which decodes back exactly).  -ENOSPC if nothing fits.
 */
int erofs_compress_destsize(struct erofs_compress_ctx *ctx, const void *src,
			    size_t *srclen, void *dst, size_t dstsize);
/* the COMPR_CFGS payload (without its le16 length) of ctx's algorithm */
int erofs_compress_write_cfg(const struct erofs_compress_cfg *cfg,
			     void *payload, size_t cap);

/* ---- decoding ---- */
void erofs_decompress_ctx_init(struct erofs_decompress_ctx *dctx);
void erofs_decompress_ctx_release(struct erofs_decompress_ctx *dctx);
/*
 * Decode the stream in[0..inlen) of algorithm alg (Z_EROFS_COMPRESSION_*)
 * into out[0..outlen).  partial=false: the stream must decode to exactly
 * outlen bytes; partial=true: only its first outlen bytes are wanted.
 * Returns 0, -EFSCORRUPTED (bad stream), -EOPNOTSUPP (not built in/unknown
 * id) or -ENOMEM.
 */
int erofs_decompress(struct erofs_decompress_ctx *dctx, unsigned int alg,
		     const void *in, size_t inlen, void *out, size_t outlen,
		     bool partial);
/* validate one COMPR_CFGS record of algorithm alg (for readers/fsck) */
int erofs_compress_check_cfg(unsigned int alg, const void *payload,
			     size_t len, unsigned int blkszbits,
			     struct erofs_log *log);

/*
 * Helper for backends without a native destsize mode: find the longest
 * prefix whose encoding (by try(), which returns the encoded length, 0 if it
 * does not fit into dstsize, or -errno) fits.  Leaves that encoding in dst.
 */
typedef int (*erofs_compress_try_fn)(struct erofs_compress_ctx *ctx,
				     const void *src, size_t srclen,
				     void *dst, size_t dstsize);
int erofs_compress_search(struct erofs_compress_ctx *ctx,
			  erofs_compress_try_fn try, const void *src,
			  size_t *srclen, void *dst, size_t dstsize);

#endif
