/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * fuzz_decode.h - the body shared by the four decoder fuzz targets
 * (fuzz_lz4.c, fuzz_lzma.c, fuzz_deflate.c, fuzz_zstd.c): each one only
 * names its algorithm.  Included by exactly one .c file per binary.
 *
 * Input: a 4-byte header, then the encoded stream.
 *   byte 0   bit 0: partial decode; bits 1-2: output length bits 16-17
 *   byte 1-2 output length - 1, low 16 bits (so 1 .. 256 KiB)
 *   byte 3   where to cut for the prefix check (see below)
 * The output buffer is exactly the requested length (ASan reports any
 * write past it).  A successful decode must be repeatable, both with the
 * warm decoder state and a fresh one, and, since PARTIAL_REF extents read
 * a prefix of a pcluster's output, a partial decode of any prefix of a
 * stream that decoded fully must succeed and give the same bytes.
 * Violations abort (libFuzzer and the replay driver report the input).
 */
#ifndef __EROFS_FUZZ_DECODE_H
#define __EROFS_FUZZ_DECODE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/compress.h"

#define FUZZ_DECODE_HDR	4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_decode_fail(unsigned int alg, const char *why, size_t outlen,
			     int ret)
{
	fprintf(stderr, "fuzz decode alg %u: %s (outlen %zu, ret %d)\n", alg,
		why, outlen, ret);
	abort();
}

/* the only results erofs_decompress() may give for a built-in algorithm */
static void fuzz_decode_check_ret(unsigned int alg, int ret, size_t outlen)
{
	if (ret && ret != -EFSCORRUPTED && ret != -ENOMEM)
		fuzz_decode_fail(alg, "unexpected error code", outlen, ret);
}

static int fuzz_decode_one(unsigned int alg, const uint8_t *data, size_t size)
{
	struct erofs_decompress_ctx warm, cold;
	const uint8_t *in = data + FUZZ_DECODE_HDR;
	size_t inlen, outlen, cut;
	uint8_t *out, *again;
	bool partial;
	int ret;

	if (size < FUZZ_DECODE_HDR)
		return 0;
	inlen = size - FUZZ_DECODE_HDR;
	partial = data[0] & 1;
	outlen = ((size_t)((data[0] >> 1) & 3) << 16 |
		  (size_t)data[1] | (size_t)data[2] << 8) + 1;
	out = malloc(outlen);
	again = malloc(outlen);
	if (!out || !again) {
		free(out);
		free(again);
		return 0;
	}
	erofs_decompress_ctx_init(&warm);
	erofs_decompress_ctx_init(&cold);
	ret = erofs_decompress(&warm, alg, in, inlen, out, outlen, partial);
	if (ret == -EOPNOTSUPP)		/* library not built in */
		goto out;
	fuzz_decode_check_ret(alg, ret, outlen);
	if (ret)
		goto out;

	/* same stream, warm state: same bytes */
	memset(again, 0xa5, outlen);
	ret = erofs_decompress(&warm, alg, in, inlen, again, outlen, partial);
	if (ret || memcmp(out, again, outlen))
		fuzz_decode_fail(alg, "second decode differs", outlen, ret);
	/* fresh state: same bytes */
	memset(again, 0x5a, outlen);
	ret = erofs_decompress(&cold, alg, in, inlen, again, outlen, partial);
	if (ret || memcmp(out, again, outlen))
		fuzz_decode_fail(alg, "fresh-state decode differs", outlen, ret);

	/*
	 * A prefix of the output (PARTIAL_REF).  With partial set the
	 * stream may be longer than outlen already, so any shorter prefix
	 * must work as well.
	 */
	cut = 1 + (size_t)data[3] * (outlen - 1) / 255;
	ret = erofs_decompress(&warm, alg, in, inlen, again, cut, true);
	if (ret == -ENOMEM)
		goto out;
	if (ret || memcmp(out, again, cut))
		fuzz_decode_fail(alg, "prefix decode differs", cut, ret);
	if (!partial) {
		/* the whole output as a "prefix" of itself */
		ret = erofs_decompress(&cold, alg, in, inlen, again, outlen,
				       true);
		if (ret == -ENOMEM)
			goto out;
		if (ret || memcmp(out, again, outlen))
			fuzz_decode_fail(alg, "full partial decode differs",
					 outlen, ret);
	}
out:
	erofs_decompress_ctx_release(&warm);
	erofs_decompress_ctx_release(&cold);
	free(out);
	free(again);
	return 0;
}

#endif
