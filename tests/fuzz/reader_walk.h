// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * reader_walk.h - what the reader fuzz targets do with an image: open it
 * over the memory backend (superblock CRC check off, so that mutations
 * reach the deeper parsers), run the full check engine, read the start
 * and the last byte of every file, its xattrs and its dump output.
 */
#ifndef EROFS_FUZZ_READER_WALK_H
#define EROFS_FUZZ_READER_WALK_H

#include <stddef.h>
#include <stdint.h>

/* the number of errors the check found, or -1 if the image did not open */
long fuzz_reader_walk(const uint8_t *data, size_t size);

#endif
