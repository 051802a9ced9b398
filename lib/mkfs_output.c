// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * mkfs_output.c - the image and blob files mkfs writes, and their removal
 * on failure (erofs/mkfs_output.h).
 */
#include "config.h"	/* _GNU_SOURCE: asprintf */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "erofs/ishare.h"
#include "erofs/mkfs_output.h"
#include "erofs/stream.h"

/*
 * Freeing the blocks of a large image costs ext4 tens of milliseconds
 * (40 ms for 140 MB here, 90 to 110 ms on a slower disk), and O_TRUNC
 * pays that before the build can start.  So an old image is replaced
 * instead (erofs-utils removes it): the new one is created beside it and
 * renamed over it, so that the old one stays whole until then.  From
 * this size on a descriptor keeps the old one until a thread closes it:
 * the last close frees the blocks, there, while the build runs.
 */
#define OUTPUT_DROP_MIN		(4ULL << 20)

static void *output_drop_main(void *arg)
{
	close((int)(intptr_t)arg);
	return NULL;
}

/*
 * Open a new IMAGE in place of an old regular one: true when o->io is
 * open on it.  Each step that fails leaves the old image as it was, to
 * be truncated by the caller as before: one we may not write (the open
 * below asks what O_TRUNC would), one that other hard links or a
 * symbolic link name (they keep seeing what we write), and one whose
 * directory takes no new file (no inode left, a quota, permissions).
 */
static bool output_replace_old(struct erofs_mkfs_output *o)
{
	struct stat st;
	char *tmp = NULL;
	int fd, i, ret = -EEXIST;

	/* O_NONBLOCK: should it have become a fifo, never wait for a reader */
	fd = open(o->image, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		return false;
	}
	for (i = 0; i < 8 && ret == -EEXIST; i++) {
		free(tmp);
		if (asprintf(&tmp, "%s.erofs-new-%ld-%d", o->image,
			     (long)getpid(), i) < 0) {
			tmp = NULL;
			break;
		}
		ret = erofs_io_open_file(&o->io, tmp,
					 O_RDWR | O_CREAT | O_EXCL);
	}
	if (!ret && rename(tmp, o->image)) {
		erofs_io_close(&o->io);
		unlink(tmp);
		ret = -1;
	}
	free(tmp);
	if (ret) {
		close(fd);
		return false;
	}
	if ((uint64_t)st.st_size < OUTPUT_DROP_MIN ||
	    pthread_create(&o->drop_thread, NULL, output_drop_main,
			   (void *)(intptr_t)fd))
		close(fd);
	else
		o->dropping = true;
	return true;
}

int erofs_mkfs_output_open(struct erofs_mkfs_output *o)
{
	struct stat st;
	bool isblk, regular;
	int ret;

	if (o->io_open)
		return 0;
	if (o->extend) {
		ret = erofs_io_open_file(&o->io, o->image, O_RDWR);
		o->io.offset = o->offset;
		if (!ret)
			ret = erofs_io_size(&o->io, &o->old_size);
		if (ret) {
			if (o->io.ops)
				erofs_io_close(&o->io);
			erofs_err(o->log, "cannot open image %s to extend it: %s",
				  o->image, strerror(-ret));
			return ret;
		}
		o->io_open = true;
		o->created = false;
		return 0;
	}
	/* never remove what was not a regular file (a device, a fifo) */
	regular = stat(o->image, &st) || S_ISREG(st.st_mode);
	isblk = !regular && S_ISBLK(st.st_mode);
	if (regular && !o->dropping && output_replace_old(o))
		ret = 0;
	else
		ret = erofs_io_open_file(&o->io, o->image,
					 isblk ? O_RDWR | O_EXCL :
					 O_RDWR | O_CREAT | O_TRUNC);
	if (ret) {
		if (isblk && ret == -EBUSY)
			erofs_err(o->log, "cannot open image %s: the device is busy (mounted or in use)",
				  o->image);
		else
			erofs_err(o->log, "cannot open image %s: %s", o->image,
				  strerror(-ret));
		return ret;
	}
	o->io.offset = o->offset;
	o->io_open = true;
	o->created = regular;
	return 0;
}

int erofs_mkfs_output_open_blob(struct erofs_mkfs_output *o)
{
	int ret;

	if (o->map_path && !o->map_open) {
		ret = erofs_io_open_file(&o->map, o->map_path,
					 O_RDWR | O_CREAT | O_TRUNC);
		if (ret) {
			erofs_err(o->log, "cannot open block list %s: %s",
				  o->map_path, strerror(-ret));
			return ret;
		}
		o->map_open = true;
	}
	if (!o->blob_path || o->blob_open)
		return 0;
	ret = erofs_io_open_file(&o->blob, o->blob_path,
				 O_RDWR | O_CREAT | O_TRUNC);
	if (ret) {
		erofs_err(o->log, "cannot open blob %s: %s", o->blob_path,
			  strerror(-ret));
		return ret;
	}
	o->blob_open = true;
	return 0;
}

int erofs_mkfs_output_stream(struct erofs_mkfs_output *o,
			     unsigned int blkszbits, bool digests,
			     struct erofs_stream **st)
{
	int ret = erofs_stream_open(st, &o->io, blkszbits, digests);

	/* its one -EOPNOTSUPP: no hasher for the digests */
	if (ret == -EOPNOTSUPP)
		ret = erofs_sha256_unavailable(o->log, "fingerprints need");
	else if (ret)
		erofs_err(o->log, "cannot write %s: %s", o->image,
			  strerror(-ret));
	return ret;
}

const char *erofs_mkfs_output_removable(const struct erofs_mkfs_output *o)
{
	return o->created ? o->image : NULL;
}

int erofs_mkfs_output_commit(struct erofs_mkfs_output *o)
{
	int ret = 0;

	/* the image names the blob's contents: the blob goes first */
	if (o->blob_open) {
		ret = erofs_io_sync(&o->blob);
		if (ret)
			erofs_err(o->log, "cannot write blob %s: %s",
				  o->blob_path, strerror(-ret));
	}
	if (!ret && o->map_open) {
		ret = erofs_io_sync(&o->map);
		if (ret)
			erofs_err(o->log, "cannot write block list %s: %s",
				  o->map_path, strerror(-ret));
	}
	if (!ret && o->io_open) {
		ret = erofs_io_sync(&o->io);
		if (ret)
			erofs_err(o->log, "cannot build %s: %s",
				  o->image, strerror(-ret));
	}
	return ret;
}

void erofs_mkfs_output_close(struct erofs_mkfs_output *o, bool failed)
{
	struct stat st;
	uint64_t size;

	/* what a failed --incremental appended goes; the rest was not
	   touched before the end, or put back (see emit.c); a block device
	   keeps its size */
	if (o->io_open && o->extend && failed && !o->written &&
	    !fstat(o->io.fd, &st) && S_ISREG(st.st_mode) &&
	    !erofs_io_size(&o->io, &size) && size > o->old_size &&
	    erofs_io_truncate(&o->io, o->old_size))
		erofs_err(o->log, "cannot cut %s back to its size before: %s",
			  o->image, strerror(errno));
	if (o->io_open)
		erofs_io_close(&o->io);
	if (o->blob_open)
		erofs_io_close(&o->blob);
	if (o->map_open) {
		erofs_io_close(&o->map);
		if (failed && unlink(o->map_path) && errno != ENOENT)
			erofs_err(o->log, "cannot remove the block list %s: %s",
				  o->map_path, strerror(errno));
	}
	o->io_open = o->blob_open = o->map_open = false;
	if (o->dropping)
		pthread_join(o->drop_thread, NULL);
	o->dropping = false;
	if (failed && o->created && unlink(o->image) && errno != ENOENT)
		erofs_err(o->log, "cannot remove the partial image %s: %s",
			  o->image, strerror(errno));
	o->created = false;
}
