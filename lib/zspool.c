// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zspool.c - spool files: unlinked temporary files that hold what the
 * compressed writer produced (pclusters, inline tails, raw copies,
 * fragments) between compression and emit.  Append-only while being
 * filled (a small write buffer saves one syscall per one-block
 * pcluster), read back as pieces by layout and emit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "writer_internal.h"

/* as emit.c's WR_WBUF: larger pwrites copy slower on 6.18 */
#define WR_SPOOL_WBUF	(64U << 10)

int erofs_wr_spool_open(struct erofs_wr *w, struct erofs_wr_spool *s,
			bool buffered)
{
	const char *dir = w->p->tmpdir;
	char path[4096];
	int fd;

	s->fd = -1;
	s->len = 0;
	s->wbuf = NULL;
	s->wlen = 0;
	if (!dir)
		dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	if (snprintf(path, sizeof(path), "%s/erofs-spool.XXXXXX", dir) >=
	    (int)sizeof(path)) {
		erofs_err(w->log, "spool directory name too long: %s", dir);
		return -ENAMETOOLONG;
	}
	fd = mkstemp(path);
	if (fd < 0) {
		int err = -errno;

		erofs_err(w->log, "cannot create a spool file in %s: %s", dir,
			  strerror(errno));
		return err;
	}
	unlink(path);
	s->fd = fd;
	if (buffered) {
		s->wbuf = malloc(WR_SPOOL_WBUF);
		if (!s->wbuf) {
			erofs_wr_spool_close(s);
			return -ENOMEM;
		}
	}
	return 0;
}

void erofs_wr_spool_close(struct erofs_wr_spool *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->wbuf);
	s->wbuf = NULL;
}

int erofs_wr_spool_pwrite(struct erofs_wr_spool *s, const void *buf,
			  size_t len, uint64_t pos)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(s->fd, p,
				   EROFS_MIN(len, (size_t)WR_SPOOL_WBUF),
				   (off_t)pos);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EIO;
		p += n;
		pos += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int erofs_wr_spool_flush(struct erofs_wr_spool *s)
{
	size_t len = s->wlen;

	s->wlen = 0;
	return len ? erofs_wr_spool_pwrite(s, s->wbuf, len, s->len - len) : 0;
}

int erofs_wr_spool_append(struct erofs_wr_spool *s, const void *buf,
			  size_t len, uint64_t *off)
{
	uint64_t pos = s->len;
	int ret;

	if (off)
		*off = pos;
	if (!s->wbuf || len >= WR_SPOOL_WBUF) {
		ret = erofs_wr_spool_flush(s);
		if (!ret)
			ret = erofs_wr_spool_pwrite(s, buf, len, pos);
	} else {
		ret = 0;
		if (s->wlen + len > WR_SPOOL_WBUF)
			ret = erofs_wr_spool_flush(s);
		if (!ret) {
			memcpy(s->wbuf + s->wlen, buf, len);
			s->wlen += len;
		}
	}
	s->len = pos + len;
	return ret;
}

int erofs_wr_spool_read(const struct erofs_wr *w,
			const struct erofs_wr_zpiece *pc, size_t nr, void *buf,
			size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t at;
		size_t n;
		ssize_t got;

		/* find the piece holding off */
		while (nr && off >= pc->len) {
			off -= pc->len;
			pc++;
			nr--;
		}
		if (!nr || pc->spool >= w->z.nr_spools) {
			erofs_err(w->log,
				  "internal error: spool read beyond the data");
			return -EIO;
		}
		at = pc->off + off;
		n = (size_t)EROFS_MIN((uint64_t)len, pc->len - off);
		got = pread(w->z.spools[pc->spool].fd, p, n, (off_t)at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			erofs_err(w->log, "spool read error at %llu: %s",
				  (unsigned long long)at,
				  got ? strerror(errno) : "short read");
			return got ? -errno : -EIO;
		}
		p += got;
		off += (uint64_t)got;
		len -= (size_t)got;
	}
	return 0;
}
