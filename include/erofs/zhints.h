/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * zhints.h - per-file compression rules for mkfs "--compress-hints=FILE",
 * read the way erofs-utils' mkfs.erofs reads them.  Each rule line is
 *
 *	PCLUSTERSIZE [ALG_INDEX] PATTERN
 *
 * PCLUSTERSIZE is the physical cluster size in bytes for matching files
 * (a multiple of the block size; 0 stores them uncompressed), ALG_INDEX
 * picks the i-th algorithm of "-z ALG1:ALG2..." (default 0, the first) and
 * PATTERN is a POSIX extended regular expression tested against the file's
 * path relative to the source root, without a leading '/' ("usr/bin/sh").
 * The first rule whose pattern matches wins; files no rule matches keep the
 * -C size and the first algorithm.  Lines that are empty, blank or start
 * with '#' (after optional blanks) are skipped.
 *
 * Where mkfs.erofs quietly drops or bends a line (a size that is not a
 * multiple of the block size, a regex that does not compile, a size that is
 * not a number), this module refuses the whole file instead and names
 * "FILE:LINE" and the cause for every bad line, since a dropped rule lets a
 * later rule or the default apply to files the user meant to steer.  Like
 * mkfs.erofs, a rule larger than -C raises the maximum instead of failing:
 * erofs_zhints_pcluster_max() tells the caller the raised value.
 *
 * Invariants of a loaded set: every rule's pcluster_size is 0 or a multiple
 * of blksz no larger than min(1 MiB, 2047 blocks); every alg < nr_algs (or
 * 0 when no index was given).  The set is immutable after loading, so
 * erofs_zhints_match() may be called from several threads at once.
 */
#ifndef __EROFS_ZHINTS_H
#define __EROFS_ZHINTS_H

#include "erofs/defs.h"
#include "erofs/log.h"

struct erofs_zhint {
	uint32_t pcluster_size;	/* bytes; 0 = store the file uncompressed */
	unsigned int alg;	/* index into the -z list */
	unsigned int line;	/* 1-based line of the rule, for messages */
};

struct erofs_zhints;	/* opaque, immutable once loaded */

/*
 * Read and compile the hints file at path.  nr_algs is the number of -z
 * algorithms, blksz the block size (a power of two), pcluster_max the -C
 * value in bytes (0 = one block).  On success *out owns the set (free it
 * with erofs_zhints_free()); on failure *out is NULL and the return is
 * -errno: -EINVAL for a malformed file (every bad line is logged as an
 * error), -ENOENT etc. when the file cannot be read, -ENOMEM.
 */
int erofs_zhints_load(struct erofs_zhints **out, const char *path,
		      unsigned int nr_algs, unsigned int blksz,
		      uint32_t pcluster_max, struct erofs_log *log);

/* the same from len bytes of text; name labels the messages */
int erofs_zhints_parse(struct erofs_zhints **out, const char *text,
		       size_t len, const char *name, unsigned int nr_algs,
		       unsigned int blksz, uint32_t pcluster_max,
		       struct erofs_log *log);

/*
 * The first rule matching relpath (relative to the source root, no
 * leading '/'), or NULL when none does (or h is NULL).  The result points
 * into h.  Safe to call concurrently.
 */
const struct erofs_zhint *erofs_zhints_match(const struct erofs_zhints *h,
					     const char *relpath);

/* max(pcluster_max given at load time, largest rule size): the -C value
 * the writer must use so that every rule fits, as mkfs.erofs raises it */
uint32_t erofs_zhints_pcluster_max(const struct erofs_zhints *h);

/* number of rules (comments and blank lines not counted) */
size_t erofs_zhints_count(const struct erofs_zhints *h);

/* accepts NULL */
void erofs_zhints_free(struct erofs_zhints *h);

#endif
