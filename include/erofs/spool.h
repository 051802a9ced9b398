/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * spool.h - one temporary file holding the data of files whose source
 * cannot be read again when the image is written (a tar stream, a
 * compressed or inline file of an EROFS source image): importers copy
 * the data in, and the tree's src_path/src_off point into it.
 *
 * It lives in $TMPDIR (else /tmp).  On Linux it is unlinked at once and
 * reached through /proc/self/fd, so nothing is left behind even when the
 * process is killed; elsewhere erofs_spool_close() removes it.
 */
#ifndef __EROFS_SPOOL_H
#define __EROFS_SPOOL_H

#include "erofs/defs.h"
#include "erofs/log.h"

struct erofs_spool;

/* 0, or -errno (logged) */
int erofs_spool_open(const struct erofs_log *log, struct erofs_spool **out);
/*
 * Reserve size bytes for one file: *off is where its data goes (never
 * 0: the writer reads src_off 0 as "the whole source file").  The range
 * reads as zeros until written (holes stay holes).
 */
int erofs_spool_reserve(struct erofs_spool *s, uint64_t size, uint64_t *off);
int erofs_spool_pwrite(struct erofs_spool *s, const void *buf, size_t len,
		       uint64_t pos);
/* the path the writer opens to read the data back */
const char *erofs_spool_path(const struct erofs_spool *s);
/* close and delete; NULL is fine */
void erofs_spool_close(struct erofs_spool *s);

#endif
