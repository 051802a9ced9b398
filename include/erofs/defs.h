/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * defs.h - small helpers shared by every module: domain number types,
 * rounding macros, error pointers and the "corrupted image" errno.
 */
#ifndef __EROFS_DEFS_H
#define __EROFS_DEFS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t erofs_blk_t;	/* block address */
typedef uint64_t erofs_nid_t;	/* inode number: 32-byte slot index */
typedef uint64_t erofs_off_t;	/* byte offset in an image */

/* a corrupted image, as the kernel reports it */
#ifndef EFSCORRUPTED
#define EFSCORRUPTED	EUCLEAN
#endif

#define EROFS_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define EROFS_DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define EROFS_ROUND_UP(x, a)	((((x) + (a) - 1) / (a)) * (a))
#define EROFS_ROUND_DOWN(x, a)	(((x) / (a)) * (a))
#define EROFS_MIN(a, b)		((a) < (b) ? (a) : (b))
#define EROFS_MAX(a, b)		((a) > (b) ? (a) : (b))

#define EROFS_MAX_ERRNO	4095
static inline void *ERR_PTR(long err) { return (void *)err; }
static inline long PTR_ERR(const void *p) { return (long)p; }
static inline bool IS_ERR(const void *p)
{
	return (unsigned long)p >= (unsigned long)-EROFS_MAX_ERRNO;
}
static inline bool IS_ERR_OR_NULL(const void *p) { return !p || IS_ERR(p); }

#if defined(__GNUC__)
#define EROFS_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define EROFS_UNUSED		__attribute__((unused))
#else
#define EROFS_PRINTF(f, a)
#define EROFS_UNUSED
#endif

#endif
