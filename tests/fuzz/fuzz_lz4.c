// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * fuzz_lz4.c - libFuzzer target for the LZ4 decoder behind
 * erofs_decompress(); the input format and the checks are described in
 * fuzz_decode.h.  tests/fuzz/replay.c runs corpus-lz4/ through it in
 * every "make check".
 */
#include "config.h"
#include "fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_decode_one(Z_EROFS_COMPRESSION_LZ4, data, size);
}
