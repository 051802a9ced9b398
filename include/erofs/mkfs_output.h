/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * mkfs_output.h - where mkfs writes: the image (a regular file it creates,
 * replaces or truncates, or a block device), the --blobdev file and the
 * block list (--tar=X,MAPFILE), and what happens to them when the build
 * fails.  Nothing that looks like an image may be left behind by a failed
 * build: a regular file this run created, replaced or truncated is
 * removed; a block device is never removed, and its head stays unwritten
 * (the writer puts the superblock last).
 *
 * The process's signal handlers are the front end's business; it asks
 * erofs_mkfs_output_removable() which path they should unlink.
 */
#ifndef __EROFS_MKFS_OUTPUT_H
#define __EROFS_MKFS_OUTPUT_H

#include <pthread.h>
#include "erofs/io.h"
#include "erofs/log.h"

struct erofs_mkfs_output {
	const char *image;		/* IMAGE */
	uint64_t offset;		/* --offset: bytes into IMAGE */
	const char *blob_path;		/* --blobdev, NULL = none */
	const char *map_path;		/* --tar=X,MAPFILE, NULL = none */
	/*
	 * --incremental: IMAGE is an existing image to extend, opened as it
	 * is; a failed build cuts it back to its old size (and never
	 * removes it).
	 */
	bool extend;
	bool written;			/* extend: the new superblock is in
					 * place; the image is never cut back */
	const struct erofs_log *log;

	/* owned by the functions below */
	struct erofs_io io, blob, map;
	bool io_open, blob_open, map_open;
	bool created;			/* IMAGE is a file this run wrote anew */
	bool dropping;			/* drop_thread frees the old IMAGE */
	pthread_t drop_thread;
	uint64_t old_size;		/* extend: IMAGE's size before */
};

/*
 * Open IMAGE for writing.  A missing file is created.  An old regular
 * one is replaced by a new file renamed over it (a large one freed in
 * the background), or else truncated: when other hard links or a
 * symbolic link name it, or when its directory takes no new file.  An
 * old one the caller may not write is refused, as O_TRUNC would be.  A
 * block device is opened exclusively (as mke2fs does), so that a mounted
 * or otherwise held device is refused (-EBUSY) instead of being written
 * under a live file system.  0 or -errno (logged).
 * Calling it again once open does nothing.
 */
int erofs_mkfs_output_open(struct erofs_mkfs_output *o);
/* open (create, truncate) blob_path and map_path if given: 0 or -errno
   (logged); a failed build removes the block list */
int erofs_mkfs_output_open_blob(struct erofs_mkfs_output *o);
/*
 * --sort=none: the stream that writes file data into the open IMAGE while
 * importing (erofs/stream.h); 0 or -errno (logged)
 */
struct erofs_stream;
int erofs_mkfs_output_stream(struct erofs_mkfs_output *o,
			     unsigned int blkszbits, bool digests,
			     struct erofs_stream **st);
/* the path a signal handler should unlink, NULL = none */
const char *erofs_mkfs_output_removable(const struct erofs_mkfs_output *o);
/*
 * After a successful build: the blob reaches the disk before the image
 * that refers to it.  0 or -errno (logged).
 */
int erofs_mkfs_output_commit(struct erofs_mkfs_output *o);
/*
 * Close everything; failed: remove IMAGE if this run created it (an
 * error removing it is logged).
 */
void erofs_mkfs_output_close(struct erofs_mkfs_output *o, bool failed);

#endif
