/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * log.h - how the library reports.  The library never prints: every context
 * (a build, an opened image) carries a struct erofs_log whose sink the front
 * end sets.  With no sink, messages are dropped.  Levels follow erofs-utils'
 * -d numbering so that "-d LEVEL" means the same thing.
 */
#ifndef __EROFS_LOG_H
#define __EROFS_LOG_H

#include <stdarg.h>
#include "erofs/defs.h"

enum erofs_log_level {
	EROFS_LOG_ERR = 0,
	EROFS_LOG_WARN = 2,
	EROFS_LOG_INFO = 3,
	EROFS_LOG_DBG = 7,
};

struct erofs_log {
	int level;	/* messages above this level are dropped */
	/* receives one formatted message without trailing newline */
	void (*sink)(void *priv, int level, const char *msg);
	void *priv;
};

/* sensible defaults: warnings and errors, no sink */
void erofs_log_init(struct erofs_log *log);
void erofs_log_emit(const struct erofs_log *log, int level, const char *fmt, ...)
	EROFS_PRINTF(3, 4);
void erofs_log_vemit(const struct erofs_log *log, int level, const char *fmt,
		     va_list ap);

#define erofs_err(log, ...)	erofs_log_emit((log), EROFS_LOG_ERR, __VA_ARGS__)
#define erofs_warn(log, ...)	erofs_log_emit((log), EROFS_LOG_WARN, __VA_ARGS__)
#define erofs_info(log, ...)	erofs_log_emit((log), EROFS_LOG_INFO, __VA_ARGS__)
#define erofs_dbg(log, ...)	erofs_log_emit((log), EROFS_LOG_DBG, __VA_ARGS__)

#endif
