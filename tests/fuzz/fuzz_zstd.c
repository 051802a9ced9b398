// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * fuzz_zstd.c - libFuzzer target for the ZSTD decoder behind
 * erofs_decompress(); the input format and the checks are described in
 * fuzz_decode.h.  tests/fuzz/replay.c runs corpus-zstd/ through it in
 * every "make check".
 */
#include "config.h"
#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_decode_one(Z_EROFS_COMPRESSION_ZSTD, data, size);
}
