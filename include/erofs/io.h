/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * io.h - the I/O layer: a tiny vtable so that the writer, reader, unit tests
 * and fuzzers share one code path whether the image is a file or a buffer.
 * All calls return 0 or -errno; short reads past the end are an error
 * (-EIO) so that callers never see half-filled buffers silently.
 */
#ifndef __EROFS_IO_H
#define __EROFS_IO_H

#include <sys/types.h>
#include "erofs/defs.h"

struct erofs_io;

struct erofs_io_ops {
	/* read exactly len bytes at off; -EIO if the range is out of bounds */
	int (*pread)(struct erofs_io *io, void *buf, size_t len, uint64_t off);
	/* write exactly len bytes at off (extends the image as needed) */
	int (*pwrite)(struct erofs_io *io, const void *buf, size_t len,
		      uint64_t off);
	/* current size in bytes */
	int (*size)(struct erofs_io *io, uint64_t *size);
	/* set the size (zero-filling when growing) */
	int (*truncate)(struct erofs_io *io, uint64_t size);
	/* make written data durable */
	int (*sync)(struct erofs_io *io);
	void (*close)(struct erofs_io *io);
};

struct erofs_io {
	const struct erofs_io_ops *ops;
	uint64_t offset;	/* image start inside the backing store */
	int fd;			/* file backend */
	uint64_t unflushed;	/* bytes written since writeback was kicked */
	uint64_t unsynced;	/* bytes written since the flusher was asked */
	struct erofs_io_flusher *flusher;	/* see io.c */
	/*
	 * Read-only files: small reads that continue the previous one are
	 * served from a window read ahead in one go (a pcluster or a block
	 * at a time, one syscall each, was most of fsck's system time).
	 * Not thread-safe, like the rest of this struct.
	 */
	bool readahead;
	unsigned char *ra;
	uint64_t ra_off, ra_next;
	size_t ra_len, ra_win;	/* bytes in the window; its next size / 2 */
	unsigned char *buf;	/* memory backend */
	size_t len, cap;
	bool owns_buf;
	/* reads are plain memory copies (the memory backend, whose borrowed
	 * buffer the caller may also change): readers do not cache them */
	bool cheap_reads;
};

/* open a file backend; flags as open(2) (O_RDONLY, O_RDWR|O_CREAT|O_TRUNC) */
int erofs_io_open_file(struct erofs_io *io, const char *path, int flags);
/*
 * a memory backend over buf/len.  With writable=false the buffer is only
 * borrowed (fuzzers, tests); with writable=true a NULL buf starts empty and
 * the backend grows (and owns) its own buffer.
 */
int erofs_io_open_mem(struct erofs_io *io, const void *buf, size_t len,
		      bool writable);
/*
 * Another reader of the same read-only image: a file backend gets its own
 * descriptor and read-ahead window, a borrowed memory buffer is borrowed
 * again, so that each thread reads through its own struct.  A writable
 * memory backend: -EOPNOTSUPP (its buffer may move).
 */
int erofs_io_clone(struct erofs_io *dst, const struct erofs_io *src);
void erofs_io_close(struct erofs_io *io);

static inline int erofs_io_pread(struct erofs_io *io, void *buf, size_t len,
				 uint64_t off)
{
	return io->ops->pread(io, buf, len, off + io->offset);
}
static inline int erofs_io_pwrite(struct erofs_io *io, const void *buf,
				  size_t len, uint64_t off)
{
	return io->ops->pwrite(io, buf, len, off + io->offset);
}
static inline int erofs_io_size(struct erofs_io *io, uint64_t *size)
{
	int ret = io->ops->size(io, size);

	if (!ret)
		*size = *size > io->offset ? *size - io->offset : 0;
	return ret;
}
static inline int erofs_io_truncate(struct erofs_io *io, uint64_t size)
{
	return io->ops->truncate(io, size + io->offset);
}
static inline int erofs_io_sync(struct erofs_io *io)
{
	return io->ops->sync ? io->ops->sync(io) : 0;
}

#endif
