// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * spool.c - the temporary file of erofs/spool.h.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "erofs/spool.h"

struct erofs_spool {
	int fd;
	char *unlink_path;	/* still named on disk: remove on close */
	char *src;		/* the path the writer opens */
	uint64_t end;		/* next free offset = bytes the file spans */
};

void erofs_spool_close(struct erofs_spool *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->unlink_path)
		unlink(s->unlink_path);
	free(s->unlink_path);
	free(s->src);
	free(s);
}

int erofs_spool_open(const struct erofs_log *log, struct erofs_spool **out)
{
	const char *dir = getenv("TMPDIR");
	struct erofs_spool *s;
	char proc[64];
	int fd, ret;

	*out = NULL;
	if (!dir || !*dir)
		dir = "/tmp";
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	if (asprintf(&s->unlink_path, "%s/erofs-spool-XXXXXX", dir) < 0) {
		s->unlink_path = NULL;
		erofs_spool_close(s);
		return -ENOMEM;
	}
	s->fd = mkostemp(s->unlink_path, O_CLOEXEC);
	if (s->fd < 0) {
		ret = -errno;
		erofs_err(log, "cannot create a spool file in %s: %s", dir,
			  strerror(-ret));
		free(s->unlink_path);
		s->unlink_path = NULL;
		erofs_spool_close(s);
		return ret;
	}
	/* reopenable through /proc: unlink now, so a kill leaves nothing */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", s->fd);
	fd = open(proc, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		s->src = strdup(proc);
		if (s->src && !unlink(s->unlink_path)) {
			free(s->unlink_path);
			s->unlink_path = NULL;
		}
	} else {
		s->src = strdup(s->unlink_path);
	}
	if (!s->src) {
		erofs_spool_close(s);
		return -ENOMEM;
	}
	s->end = 1;	/* offset 0 stays unused (see erofs_spool_reserve) */
	*out = s;
	return 0;
}

int erofs_spool_reserve(struct erofs_spool *s, uint64_t size, uint64_t *off)
{
	*off = s->end;
	if (size && ftruncate(s->fd, (off_t)(s->end + size)))
		return -errno;
	s->end += size;
	return 0;
}

int erofs_spool_pwrite(struct erofs_spool *s, const void *buf, size_t len,
		       uint64_t pos)
{
	while (len) {
		ssize_t n = pwrite(s->fd, buf, len, (off_t)pos);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf = (const char *)buf + n;
		len -= (size_t)n;
		pos += (uint64_t)n;
	}
	return 0;
}

const char *erofs_spool_path(const struct erofs_spool *s)
{
	return s->src;
}
