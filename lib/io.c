// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * io.c - file and memory backends of the I/O layer (see erofs/io.h).
 */
#include "config.h"	/* _GNU_SOURCE: sync_file_range */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "erofs/array.h"
#include "erofs/io.h"

/*
 * The read-ahead window; reads of at most a quarter of it use it.  It
 * starts at FILE_RA_MIN and doubles while reads go on sequentially, so a
 * short run (one small file among others another thread reads) does not
 * copy a whole window for a few KiB.  32 KiB reads 4 KiB pclusters eight
 * at a time; 128 KiB took no less time and 0.3 MiB more of fsck's RSS
 * (one window per open image).
 */
#define FILE_RA_BYTES	(32U << 10)
#define FILE_RA_MIN	(16U << 10)

/* read up to len bytes at off; fewer only at the end of the file */
static ssize_t file_read_upto(int fd, unsigned char *p, size_t len,
			      uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, p + got, len - got, (off_t)(off + got));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int file_pread(struct erofs_io *io, void *buf, size_t len, uint64_t off)
{
	unsigned char *p = buf;

	if (io->readahead && len <= FILE_RA_BYTES / 4) {
		bool hit = off >= io->ra_off && off - io->ra_off <= io->ra_len &&
			   len <= io->ra_len - (off - io->ra_off);

		/* a read that continues the last one fills the window */
		if (!hit && off == io->ra_next) {
			size_t want = io->ra_win ?
				EROFS_MIN(io->ra_win * 2, FILE_RA_BYTES) :
				FILE_RA_MIN;
			ssize_t n;

			if (!io->ra && !(io->ra = malloc(FILE_RA_BYTES)))
				goto direct;
			want = EROFS_MAX(want, len);
			io->ra_win = want;
			n = file_read_upto(io->fd, io->ra, want, off);
			if (n < 0)
				return (int)n;
			io->ra_off = off;
			io->ra_len = (size_t)n;
			hit = len <= (size_t)n;
		}
		if (hit) {
			memcpy(buf, io->ra + (off - io->ra_off), len);
			io->ra_next = off + len;
			return 0;
		}
	}
direct:
	if (off != io->ra_next)
		io->ra_win = 0;		/* not sequential: start small again */
	io->ra_next = off + len;

	while (len) {
		ssize_t n = pread(io->fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)		/* past the end: never hand back a partial buffer */
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Start writeback (without waiting) every this many bytes written, so that
 * the final sync finds little left to do: the disk works while we still
 * compute and copy.  Only a hint; errors surface at the sync.  2 MiB
 * rather than 64: an uncompressed build of /usr/share/doc (130 MB) then
 * waits 60 ms instead of 88 in its fsync, 0.91x the wall time.
 */
#define FILE_KICK_BYTES	(2ULL << 20)

/*
 * Every this many bytes written, a thread of the image's own makes what
 * is written so far durable (fdatasync) while the writer goes on.  A disk
 * with a volatile write cache (a virtual disk above its host's page
 * cache, most SSDs without power-loss protection) stores data only when
 * flushed, at a cost that grows with what it holds: on the bench machine
 * the final fsync of a 150 MB image took 80 ms even with its writeback
 * long finished, a third of an uncompressed build.  Flushing as we go
 * leaves the final fsync the last part only.  It never makes durable what
 * the kernel's own writeback could not, so no crash leaves a state that
 * could not happen before; the order of the explicit syncs is unchanged.
 */
#define FILE_FLUSH_BYTES	(32ULL << 20)

struct erofs_io_flusher {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	int fd;
	bool want, busy, stop;
	int err;		/* the first error of a flush not yet returned */
};

static void *flusher_main(void *arg)
{
	struct erofs_io_flusher *f = arg;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		int ret;

		while (!f->want && !f->stop)
			pthread_cond_wait(&f->cond, &f->lock);
		if (f->stop)
			break;
		f->want = false;
		f->busy = true;
		pthread_mutex_unlock(&f->lock);
		ret = fdatasync(f->fd) && errno != EINVAL ? -errno : 0;
		pthread_mutex_lock(&f->lock);
		/* the kernel reports a writeback error to this descriptor
		 * once: the final sync must still see it */
		if (ret && !f->err)
			f->err = ret;
		f->busy = false;
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* ask for a flush; without a thread (none could start) the final sync
 * simply does it all */
static void flusher_kick(struct erofs_io *io)
{
	struct erofs_io_flusher *f = io->flusher;

	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return;
		f->fd = io->fd;
		pthread_mutex_init(&f->lock, NULL);
		pthread_cond_init(&f->cond, NULL);
		if (pthread_create(&f->thread, NULL, flusher_main, f)) {
			pthread_cond_destroy(&f->cond);
			pthread_mutex_destroy(&f->lock);
			free(f);
			return;
		}
		io->flusher = f;
	}
	pthread_mutex_lock(&f->lock);
	f->want = true;
	/* all: a sync may wait on the same condition */
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

/*
 * No flush pending or running once this returns; the first error since
 * the last call, if any.  A flush asked for still runs: it leaves the
 * fsync after it less to do.
 */
static int flusher_settle(struct erofs_io_flusher *f)
{
	int ret;

	pthread_mutex_lock(&f->lock);
	while (f->want || f->busy)
		pthread_cond_wait(&f->cond, &f->lock);
	ret = f->err;
	f->err = 0;
	pthread_mutex_unlock(&f->lock);
	return ret;
}

static void flusher_stop(struct erofs_io *io)
{
	struct erofs_io_flusher *f = io->flusher;

	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
	io->flusher = NULL;
}

static int file_pwrite(struct erofs_io *io, const void *buf, size_t len,
		       uint64_t off)
{
	const unsigned char *p = buf;

	io->ra_len = 0;		/* the window may hold the old bytes */
	io->unflushed += len;
	if (io->unflushed >= FILE_KICK_BYTES) {
		io->unflushed = 0;
		sync_file_range(io->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	}
	io->unsynced += len;
	if (io->unsynced >= FILE_FLUSH_BYTES) {
		io->unsynced = 0;
		flusher_kick(io);
	}

	while (len) {
		ssize_t n = pwrite(io->fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -ENOSPC;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int file_size(struct erofs_io *io, uint64_t *size)
{
	struct stat st;

	if (fstat(io->fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(io->fd, 0, SEEK_END);

		if (end < 0)
			return -errno;
		*size = (uint64_t)end;
		return 0;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

static int file_truncate(struct erofs_io *io, uint64_t size)
{
	struct stat st;

	if (fstat(io->fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))	/* block devices keep their size */
		return 0;
	io->ra_len = 0;
	return ftruncate(io->fd, (off_t)size) ? -errno : 0;
}

static int file_sync(struct erofs_io *io)
{
	int ret = io->flusher ? flusher_settle(io->flusher) : 0;

	io->unsynced = 0;
	if (fsync(io->fd) && errno != EINVAL && !ret)
		ret = -errno;
	return ret;
}

static void file_close(struct erofs_io *io)
{
	flusher_stop(io);
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
	free(io->ra);
	io->ra = NULL;
}

static const struct erofs_io_ops erofs_io_file_ops = {
	.pread = file_pread,
	.pwrite = file_pwrite,
	.size = file_size,
	.truncate = file_truncate,
	.sync = file_sync,
	.close = file_close,
};

int erofs_io_open_file(struct erofs_io *io, const char *path, int flags)
{
	memset(io, 0, sizeof(*io));
	io->fd = open(path, flags | O_CLOEXEC, 0644);
	if (io->fd < 0)
		return -errno;
	io->ops = &erofs_io_file_ops;
	io->readahead = (flags & O_ACCMODE) == O_RDONLY;
	return 0;
}

static int mem_pread(struct erofs_io *io, void *buf, size_t len, uint64_t off)
{
	if (off > io->len || len > io->len - off)
		return -EIO;
	memcpy(buf, io->buf + off, len);
	return 0;
}

static int mem_reserve(struct erofs_io *io, uint64_t size)
{
	if (!io->owns_buf)
		return -EROFS;
	if (size > SIZE_MAX / 2)
		return -EFBIG;
	/* a write past the end leaves zeros in the gap, as a file would */
	return erofs_array_reserve_zero(&io->buf, &io->cap, (size_t)size);
}

static int mem_pwrite(struct erofs_io *io, const void *buf, size_t len,
		      uint64_t off)
{
	int ret;

	if (off + len < off)
		return -EFBIG;
	ret = mem_reserve(io, off + len);
	if (ret || !len)	/* nothing reserved: buf may still be NULL */
		return ret;
	memcpy(io->buf + off, buf, len);
	if (off + len > io->len)
		io->len = off + len;
	return 0;
}

static int mem_size(struct erofs_io *io, uint64_t *size)
{
	*size = io->len;
	return 0;
}

static int mem_truncate(struct erofs_io *io, uint64_t size)
{
	int ret = mem_reserve(io, size);

	if (ret)
		return ret;
	if (size < io->len)
		memset(io->buf + size, 0, io->len - size);
	io->len = size;
	return 0;
}

static void mem_close(struct erofs_io *io)
{
	if (io->owns_buf)
		free(io->buf);
	io->buf = NULL;
	io->len = io->cap = 0;
}

static const struct erofs_io_ops erofs_io_mem_ops = {
	.pread = mem_pread,
	.pwrite = mem_pwrite,
	.size = mem_size,
	.truncate = mem_truncate,
	.close = mem_close,
};

int erofs_io_open_mem(struct erofs_io *io, const void *buf, size_t len,
		      bool writable)
{
	memset(io, 0, sizeof(*io));
	io->fd = -1;
	io->ops = &erofs_io_mem_ops;
	io->cheap_reads = true;
	if (!writable) {
		io->buf = (unsigned char *)buf;
		io->len = io->cap = len;
		return 0;
	}
	io->owns_buf = true;
	if (len) {
		int ret = mem_pwrite(io, buf ? buf : "", 0, 0);

		if (ret)
			return ret;
		ret = mem_reserve(io, len);
		if (ret)
			return ret;
		if (buf)
			memcpy(io->buf, buf, len);
		io->len = len;
	}
	return 0;
}

int erofs_io_clone(struct erofs_io *dst, const struct erofs_io *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->ops = src->ops;
	dst->offset = src->offset;
	dst->readahead = src->readahead;
	dst->cheap_reads = src->cheap_reads;
	dst->fd = -1;
	if (src->ops == &erofs_io_file_ops) {
		/* its own descriptor: closing one leaves the other working */
		dst->fd = fcntl(src->fd, F_DUPFD_CLOEXEC, 0);
		return dst->fd < 0 ? -errno : 0;
	}
	if (src->ops != &erofs_io_mem_ops || src->owns_buf)
		return -EOPNOTSUPP;
	dst->buf = src->buf;
	dst->len = dst->cap = src->len;
	return 0;
}

void erofs_io_close(struct erofs_io *io)
{
	if (io && io->ops && io->ops->close)
		io->ops->close(io);
}
