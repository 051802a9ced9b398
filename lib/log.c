// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#include <stdio.h>
#include <stdlib.h>
#include "erofs/log.h"

void erofs_log_init(struct erofs_log *log)
{
	log->level = EROFS_LOG_WARN;
	log->sink = NULL;
	log->priv = NULL;
}

void erofs_log_vemit(const struct erofs_log *log, int level, const char *fmt,
		     va_list ap)
{
	char buf[1024], *big = NULL;
	va_list ap2;
	int n;

	if (!log || !log->sink || level > log->level)
		return;
	/* most messages fit; deep paths get a heap buffer, not a cut */
	va_copy(ap2, ap);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= (int)sizeof(buf)) {
		big = malloc((size_t)n + 1);
		if (big)
			vsnprintf(big, (size_t)n + 1, fmt, ap2);
	}
	va_end(ap2);
	log->sink(log->priv, level, big ? big : buf);
	free(big);
}

void erofs_log_emit(const struct erofs_log *log, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	erofs_log_vemit(log, level, fmt, ap);
	va_end(ap);
}
