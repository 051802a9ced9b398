/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * compressor_internal.h - the rows of the compressor table, one per backend
 * file (compressor_*.c); each file defines a real row when its library was
 * found by configure and a stub row otherwise.
 */
#ifndef __EROFS_COMPRESSOR_INTERNAL_H
#define __EROFS_COMPRESSOR_INTERNAL_H

#include "erofs/compress.h"

extern const struct erofs_compressor erofs_compressor_lz4;
extern const struct erofs_compressor erofs_compressor_lz4hc;
extern const struct erofs_compressor erofs_compressor_lzma;
extern const struct erofs_compressor erofs_compressor_deflate;
extern const struct erofs_compressor erofs_compressor_zstd;

/* shared check for records: payload must hold at least min bytes */
static inline bool erofs_cfg_short(size_t len, size_t min)
{
	return len < min;
}

#endif
