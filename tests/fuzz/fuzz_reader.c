// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * fuzz_reader.c - libFuzzer target for the reader and the check engine:
 * the input is an image, walked as reader_walk.h says.  Built as a fuzzer
 * with --enable-fuzzing; tests/fuzz/replay.c feeds the corpus to the same
 * function in every "make check".
 */
#include <stddef.h>
#include <stdint.h>
#include "reader_walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reader_walk(data, size);
	return 0;
}
