/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * ishare_report.h - list and compare the page-cache-sharing fingerprints
 * of opened images (dump --fingerprint); lib/ishare_report.c.  Verifying
 * them is fsck's job (erofs/ishare_check.h).
 *
 * Two layers, so that the arithmetic is testable without images:
 *  - erofs_ishare_collect() turns an opened image into a plain list of
 *    regular files (path, size, read path, raw fingerprint value);
 *  - erofs_ishare_report_build() is pure data: given several such lists it
 *    applies the kernel's sharing rule and computes what sharing saves.
 *
 * The kernel's rule (Linux 7.0 inode page cache sharing): two regular
 * files share one page cache iff their fingerprint values are byte-equal,
 * their sizes are equal and they use the same read path (plain or
 * compressed).  A file without a fingerprint, or with one longer than a
 * block, never shares.  All images are assumed to be mounted in one domain.
 *
 * The tree walk (erofs/walk.h) visits each inode once: a hard-linked file
 * is listed and counted under the first path met in on-disk directory
 * order (which is sorted by name, so the order is deterministic).
 *
 * The *_print() functions format for a front end onto a caller-given FILE;
 * nothing else in this module writes anywhere but the image's log.
 */
#ifndef __EROFS_ISHARE_REPORT_H
#define __EROFS_ISHARE_REPORT_H

#include <stdio.h>
#include "erofs/defs.h"
#include "erofs/ishare.h"

struct erofs_image;
struct erofs_log;
struct erofs_inode;

/* the unit the report rounds file sizes to: the page cache's page */
#define EROFS_ISHARE_PAGE_SIZE	4096

/* ---------------------------------------------------------------- lists */

struct erofs_ishare_file {
	char *path;			/* owned */
	uint64_t size;
	erofs_nid_t nid;
	enum erofs_ishare_readpath readpath;
	uint8_t *value;			/* owned raw xattr value, NULL if none */
	size_t value_len;
};

struct erofs_ishare_list {
	char *label;			/* owned; e.g. the image path */
	char *key;			/* owned; NULL without the feature */
	int prefix_id;			/* -1 without the feature */
	unsigned int blksz;		/* 0: value length unlimited */
	struct erofs_ishare_file *files;
	size_t nr, cap;
};

void erofs_ishare_list_init(struct erofs_ishare_list *list);
void erofs_ishare_list_release(struct erofs_ishare_list *list);
/* copies label (may be NULL); -ENOMEM */
int erofs_ishare_list_set_label(struct erofs_ishare_list *list,
				const char *label);
/* append a file; path and value are copied.  -ENOMEM */
int erofs_ishare_list_add(struct erofs_ishare_list *list, const char *path,
			  uint64_t size, erofs_nid_t nid,
			  enum erofs_ishare_readpath readpath,
			  const void *value, size_t value_len);

/*
 * dump --fingerprint: append every regular file of the image (each inode
 * once) in walk order, with its raw fingerprint value.  Works on images
 * without the feature too (key NULL, no values).  Unreadable directories
 * or xattr areas fail the call with the reader's error.
 */
int erofs_ishare_collect(struct erofs_image *img,
			 struct erofs_ishare_list *list);

/*
 * Open the image file at path (image starting `offset` bytes in, flags as
 * erofs_image_open()), collect it into list (label = path) and close it.
 * Failures are logged to log with the path.
 */
int erofs_ishare_collect_file(struct erofs_ishare_list *list, const char *path,
			      uint64_t offset, unsigned int flags,
			      struct erofs_log *log);

/* ---------------------------------------------------------------- report */

struct erofs_ishare_group {
	const struct erofs_ishare_file *file;	/* first member (in lists) */
	size_t image;				/* list index of that member */
	unsigned int count;			/* members over all images */
	unsigned int nr_images;			/* images holding a member */
	uint64_t rounded;			/* page-rounded size */
	uint64_t saved;				/* (count - 1) * rounded */
};

struct erofs_ishare_image_stats {
	uint64_t files;			/* regular files (inodes) */
	uint64_t fingerprinted;		/* of them, with a shareable value */
	uint64_t bytes;			/* page-rounded sizes, summed */
};

struct erofs_ishare_report {
	unsigned int page_size;
	size_t nr_images;
	struct erofs_ishare_image_stats *images;
	uint64_t total;			/* all images, no sharing */
	uint64_t shared_total;		/* one copy per sharing group */
	uint64_t saved;			/* total - shared_total */
	/* groups with count >= 2, largest saving first */
	struct erofs_ishare_group *groups;
	size_t nr_groups;
};

/*
 * Apply the kernel's sharing rule over nr lists.  page_size 0 means
 * EROFS_ISHARE_PAGE_SIZE.  The report points into lists, which must
 * outlive it.  Returns 0 or -ENOMEM.
 */
int erofs_ishare_report_build(struct erofs_ishare_report *rep,
			      const struct erofs_ishare_list *lists, size_t nr,
			      unsigned int page_size);
void erofs_ishare_report_release(struct erofs_ishare_report *rep);
/* saved / total in percent (0 for an empty report) */
double erofs_ishare_report_percent(const struct erofs_ishare_report *rep);

/* ---------------------------------------------------------------- output */

/*
 * One image: a header ("key NAME prefix-id N", or a line saying the image
 * has none), then one line per regular file: hex fingerprint, size, read
 * path, path.  In text output a path's control bytes and backslashes are
 * escaped (as \xHH and \\) so that every file is one line; json: one
 * object with the same data (paths as JSON strings).
 */
void erofs_ishare_list_print(FILE *f, const struct erofs_ishare_list *list,
			     bool json);

/* several images: per-image table, totals, the max_groups largest groups */
void erofs_ishare_report_print(FILE *f, const struct erofs_ishare_report *rep,
			       const struct erofs_ishare_list *lists,
			       size_t max_groups, bool json);

/* a JSON string literal for s (quotes included) */
void erofs_ishare_json_string(FILE *f, const char *s);

#endif
