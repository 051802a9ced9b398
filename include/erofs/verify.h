/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * verify.h - per-file verifiers plugged into the check engine.
 *
 * A verifier is one more rule about regular files that needs their
 * decoded contents (today: the page cache sharing fingerprints of
 * lib/ishare_check.c).  The engine decodes every file once anyway; it
 * hands the same bytes to each verifier, so a verifier never decodes a
 * file a second time.  A verifier reports through the engine, with codes
 * of the one problem table (erofs/problem.h), so its problems are counted
 * and printed like every other.
 *
 * For each regular file the engine calls, in this order:
 *   file_begin  after the engine's checks of the inode's metadata;
 *   file_data   for every byte of the file in order, unless file_begin
 *               returned EROFS_VERIFY_NO_DATA; a hole comes as buf NULL
 *               (len bytes of zeros), so a copy can stay sparse;
 *   file_end    after the data (err: 0, or the -errno that stopped the
 *               decoding, which the engine itself already reported).
 * A verifier reports in file_end, so that its rows follow the engine's
 * own rows about the file.  Callbacks return 0 or a negative errno
 * (-ENOMEM stops the check; other values are ignored).
 *
 * Each verifier gets its own struct erofs_verify_file per file, whose
 * state field is the verifier's (set in file_begin, freed in file_end or
 * file_abort).  A verifier marked parallel keeps everything about a file
 * there: the engine may then call its file_begin and file_data in worker
 * threads, for several files at once, with f->inode read from another
 * open copy of the image and f->path NULL; file_end (and every report)
 * still comes from the walk, in its order.  Without the mark, all calls
 * come from the walk's thread.
 */
#ifndef __EROFS_VERIFY_H
#define __EROFS_VERIFY_H

#include "erofs/reader.h"

/* from file_begin: this file's data is not needed */
#define EROFS_VERIFY_NO_DATA	1

/*
 * Where a verifier reports: the engine fills in the nid and path of the
 * file (or none, for image-wide reports from begin).
 */
struct erofs_verify_sink {
	void (*report)(const struct erofs_verify_sink *sink,
		       unsigned int code, const char *fmt, ...)
		EROFS_PRINTF(3, 4);
	void *engine;			/* private to the engine */
};

/* the regular file being verified */
struct erofs_verify_file {
	struct erofs_inode *inode;
	const char *path;
	const struct erofs_verify_sink *sink;
	void *state;			/* the verifier's, for this file */
};

struct erofs_verifier_ops {
	const char *name;
	/*
	 * Once, before the walk.  whole: the walk starts at the root (image
	 * wide problems are only reported then).  Return 0 to verify the
	 * files, EROFS_VERIFY_NO_DATA to sit this check out.
	 */
	int (*begin)(void *priv, struct erofs_image *img, bool whole,
		     const struct erofs_verify_sink *sink);
	int (*file_begin)(void *priv, struct erofs_verify_file *f);
	int (*file_data)(void *priv, const struct erofs_verify_file *f,
			 uint64_t off, const void *buf, size_t len);
	int (*file_end)(void *priv, const struct erofs_verify_file *f,
			int err);
	/*
	 * Optional, in the worker that ran file_data, after the last call
	 * (err as for file_end): the file's state then waits for the walk,
	 * thousands of them at a time, so keep only what file_end needs
	 * (the fingerprint verifier: the verdict, not the hash).
	 */
	void (*file_data_end)(void *priv, struct erofs_verify_file *f,
			      int err);
	/*
	 * The check stopped before file_end: free f->state (may be NULL;
	 * so may f->inode be, for a file begun in a worker)
	 */
	void (*file_abort)(void *priv, const struct erofs_verify_file *f);
	bool parallel;
	/*
	 * Parallel only: what a file begun in a worker holds until its
	 * file_end (an open descriptor, say), in bytes counted against the
	 * read-ahead budget like the memory of the results waiting there.
	 */
	size_t held;
};

struct erofs_verifier {
	const struct erofs_verifier_ops *ops;
	void *priv;
};

#endif
