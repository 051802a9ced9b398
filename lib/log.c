// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#include <stdio.h>
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
	char buf[1024];

	if (!log || !log->sink || level > log->level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log->sink(log->priv, level, buf);
}

void erofs_log_emit(const struct erofs_log *log, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	erofs_log_vemit(log, level, fmt, ap);
	va_end(ap);
}
