/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * ishare_report.h - verify, list and compare the page-cache-sharing
 * fingerprints of opened images (fsck --check-ishare, dump --fingerprint).
 *
 * Three layers, so that the arithmetic is testable without images:
 *  - erofs_ishare_check() walks an opened image and recomputes every
 *    regular file's SHA-256 from the decoded data, reporting each missing,
 *    malformed or mismatching fingerprint through a callback;
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
 * Every tree walk visits each inode once: a hard-linked file is listed and
 * counted under the first path met in on-disk directory order (which is
 * sorted by name, so the order is deterministic).
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

enum erofs_ishare_readpath {
	EROFS_ISHARE_READ_PLAIN,	/* flat, inline and chunk-based layouts */
	EROFS_ISHARE_READ_COMPRESSED,	/* COMPRESSED_FULL and _COMPACT */
};

/* "plain" / "compressed" */
const char *erofs_ishare_readpath_name(enum erofs_ishare_readpath rp);
enum erofs_ishare_readpath erofs_ishare_inode_readpath(
					const struct erofs_inode *inode);

/*
 * The full name of the image's fingerprint xattr (e.g.
 * "trusted.erofs.fingerprint", or "erofs.fingerprint.v1" for a hidden one)
 * in a malloc'ed string the caller frees.  NULL (not an error pointer)
 * when the image has no ISHARE_XATTRS feature or its prefix id is out of
 * range; ERR_PTR(-ENOMEM) on allocation failure.
 */
char *erofs_ishare_key_name(const struct erofs_image *img);

/*
 * Format a raw value for humans: the 64 hex digits of the digest for a
 * well-formed value, "-" for none, "malformed(N bytes)" otherwise.  out
 * must hold EROFS_ISHARE_HEX_MAX bytes.
 */
#define EROFS_ISHARE_HEX_MAX	(2 * EROFS_ISHARE_DIGEST_LEN + 1)
void erofs_ishare_value_hex(const void *value, size_t len,
			    char out[EROFS_ISHARE_HEX_MAX]);

/* ---------------------------------------------------------------- check */

enum erofs_ishare_issue_kind {
	EROFS_ISHARE_MISSING,		/* size > 0 but no fingerprint entry */
	EROFS_ISHARE_MALFORMED,		/* not "sha256:" + 32 raw bytes */
	EROFS_ISHARE_MISMATCH,		/* digest differs from the contents */
	EROFS_ISHARE_UNREADABLE,	/* warning: data, xattrs or a directory
					 * unreadable (the structural check
					 * reports the cause as an error) */
	EROFS_ISHARE_UNSUPPORTED,	/* warning: data this reader cannot decode */
	EROFS_ISHARE_EMPTY_FILE,	/* warning: an empty file carries one */
};

struct erofs_ishare_issue {
	enum erofs_ishare_issue_kind kind;
	bool error;			/* false: a warning */
	const char *path;		/* path of the file in the image */
	erofs_nid_t nid;
	uint64_t size;
	int err;			/* UNREADABLE/UNSUPPORTED: -errno */
	const char *title;		/* "fingerprint mismatch", ... */
	const char *detail;		/* what exactly, e.g. both digests */
	const char *message;		/* "title: detail"; no path */
};

typedef void (*erofs_ishare_issue_cb)(void *priv,
				      const struct erofs_ishare_issue *issue);

struct erofs_ishare_check_stats {
	uint64_t files;			/* regular files (inodes) visited */
	uint64_t verified;		/* fingerprints recomputed and equal */
	uint64_t missing, malformed, mismatch, unreadable, unsupported;
	uint64_t warnings;		/* empty files carrying a fingerprint */
	/* (unreadable and unsupported ones are warnings too, counted only
	 * in their own fields) */
	uint64_t errors;		/* issues with error == true */
};

/*
 * fsck --check-ishare.  Checks the superblock side (ISHARE_XATTRS set,
 * prefix id < xattr_prefix_count), then every regular file: size > 0
 * needs a well-formed fingerprint equal to the SHA-256 of its decoded
 * contents; size 0 should carry none.  Each issue goes to cb (may be
 * NULL) and is counted in *st (zeroed first).
 *
 * Returns 0 when every file was looked at (issues or not: see *st),
 * -ENODATA if the image has no fingerprints at all (logged as "image has
 * no page cache sharing fingerprints"), -EFSCORRUPTED for a prefix id out
 * of range, -EOPNOTSUPP without SHA-256 support, -ENOMEM.
 */
int erofs_ishare_check(struct erofs_image *img, erofs_ishare_issue_cb cb,
		       void *priv, struct erofs_ishare_check_stats *st);

/*
 * The superblock side alone: 0, or -ENODATA / -EFSCORRUPTED /
 * -EOPNOTSUPP as above (not logged: the caller reports).  For a caller that walks the tree itself
 * (the fsck engine) and then calls erofs_ishare_check_inode() per regular
 * file.
 */
int erofs_ishare_check_super(struct erofs_image *img);

/*
 * Check one regular file (inode read by the caller, path for messages);
 * adds to *st (not zeroed).  -ENODATA if the image has no usable key,
 * -ENOMEM; otherwise 0 with any issue reported through cb.
 */
int erofs_ishare_check_inode(struct erofs_image *img, struct erofs_inode *inode,
			     const char *path, erofs_ishare_issue_cb cb,
			     void *priv, struct erofs_ishare_check_stats *st);

/*
 * The SHA-256 of a file's whole decoded contents (holes as zeros); used
 * by the checker, exported for dump and tests.
 */
int erofs_ishare_digest_inode(struct erofs_inode *inode,
			      uint8_t digest[EROFS_ISHARE_DIGEST_LEN]);

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
