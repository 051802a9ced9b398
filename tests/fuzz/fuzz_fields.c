// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * fuzz_fields.c - libFuzzer target "seed image + field edits": the
 * campaign's typed fields (tests/tools/fields.h) under coverage guidance.
 * An input is
 *
 *   "EFE1" | N (1 byte, at most 16) | N edits | a valid seed image
 *
 * and each edit is 9 bytes: field selector (u32 LE, taken modulo the
 * number of fields the seed has), op (u8, fields.h's field_edit) and a
 * value (u32 LE, the op's randomness).  The target cuts the seed into its
 * fields, applies the edits in order, fixes the superblock checksum and
 * walks the result as fuzz_reader does (reader_walk.h).  An input that is
 * not in this form is walked as a bare image.
 *
 * Built as a fuzzer (--enable-fuzzing), the custom mutator below edits
 * only the edit list: adds, drops or changes an edit, or lets libFuzzer
 * mutate the list's bytes; the seed stays valid, so every run explores
 * field values rather than random bytes; crossing two inputs mixes their
 * edit lists over the first one's seed.  replay_fields (every "make
 * check") runs the corpus, tests/fuzz/corpus-fields.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../tools/fields.h"
#include "erofs/crc32c.h"
#include "reader_walk.h"

#define EFE_MAGIC	"EFE1"
#define EFE_EDIT	9
#define EFE_MAX_EDITS	16
#define EFE_HDR(n)	(5 + (size_t)(n) * EFE_EDIT)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the fields of the last seed seen: a fuzzing run mutates one seed often */
static struct {
	uint32_t crc;
	size_t len;
	bool ok;
	struct field_list fl;
} last;

static const struct field_list *seed_fields(const uint8_t *img, size_t len)
{
	uint32_t crc = erofs_crc32c(~0U, img, len);

	if (last.fl.f && last.len == len && last.crc == crc)
		return last.ok ? &last.fl : NULL;
	fields_free(&last.fl);
	last.len = len;
	last.crc = crc;
	last.ok = !fields_parse(img, len, &last.fl) && last.fl.nr;
	return last.ok ? &last.fl : NULL;
}

static bool split(const uint8_t *data, size_t size, unsigned int *n)
{
	if (size < 5 || memcmp(data, EFE_MAGIC, 4) || data[4] > EFE_MAX_EDITS)
		return false;
	*n = data[4];
	return size >= EFE_HDR(*n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct field_list *fl;
	const uint8_t *img;
	unsigned int n, i;
	uint8_t *out;
	size_t len;

	if (!split(data, size, &n)) {
		fuzz_reader_walk(data, size);
		return 0;
	}
	img = data + EFE_HDR(n);
	len = size - EFE_HDR(n);
	fl = seed_fields(img, len);
	if (!fl)
		return 0;	/* not a seed our reader opens: nothing to edit */
	out = malloc(len);
	if (!out)
		return 0;
	memcpy(out, img, len);
	for (i = 0; i < n; i++) {
		const uint8_t *e = data + 5 + (size_t)i * EFE_EDIT;
		const struct field *f = &fl->f[field_get(e, 4) % fl->nr];
		uint64_t old = field_get(out + f->pos, f->width);
		uint64_t v = field_edit(old, f->width, e[4], field_get(e + 5, 4));

		field_put(out + f->pos, f->width, v == old ? old ^ 1 : v);
	}
	fields_fix_checksum(out, len);
	fuzz_reader_walk(out, len);
	free(out);
	return 0;
}

#ifdef EROFS_LIBFUZZER
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1,
				 const uint8_t *d2, size_t s2, uint8_t *out,
				 size_t max_out, unsigned int seed);

/* xorshift32 on libFuzzer's seed: the mutation must depend on it alone */
static uint32_t next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
			       unsigned int seed)
{
	uint8_t edits[EFE_MAX_EDITS * EFE_EDIT];
	uint32_t r = seed | 1;
	unsigned int n, k;
	size_t imglen;

	if (!split(data, size, &n)) {
		/* a bare image becomes a seed with no edits */
		if (size + EFE_HDR(0) > max_size)
			return LLVMFuzzerMutate(data, size, max_size);
		memmove(data + EFE_HDR(0), data, size);
		memcpy(data, EFE_MAGIC, 4);
		data[4] = 0;
		return size + EFE_HDR(0);
	}
	imglen = size - EFE_HDR(n);
	memcpy(edits, data + 5, (size_t)n * EFE_EDIT);
	switch (next(&r) % 4) {
	case 0:		/* add an edit */
		if (n < EFE_MAX_EDITS && size + EFE_EDIT <= max_size) {
			for (k = 0; k < EFE_EDIT; k++)
				edits[n * EFE_EDIT + k] = (uint8_t)next(&r);
			n++;
			break;
		}
		/* fall through */
	case 1:		/* drop one */
		if (n) {
			k = next(&r) % n;
			memmove(edits + k * EFE_EDIT, edits + (k + 1) * EFE_EDIT,
				(size_t)(n - k - 1) * EFE_EDIT);
			n--;
		}
		break;
	case 2:		/* a new op or value for one */
		if (n) {
			k = next(&r) % n;
			if (next(&r) & 1)
				edits[k * EFE_EDIT + 4] = (uint8_t)next(&r);
			else
				field_put(edits + k * EFE_EDIT + 5, 4, next(&r));
		}
		break;
	default:	/* libFuzzer's own byte mutations on the list */
		if (n)
			LLVMFuzzerMutate(edits, (size_t)n * EFE_EDIT,
					 (size_t)n * EFE_EDIT);
		break;
	}
	memmove(data + EFE_HDR(n), data + size - imglen, imglen);
	memcpy(data, EFE_MAGIC, 4);
	data[4] = (uint8_t)n;
	memcpy(data + 5, edits, (size_t)n * EFE_EDIT);
	return EFE_HDR(n) + imglen;
}

/*
 * Crossing two inputs: the first one's seed with a mix of both edit
 * lists (libFuzzer's byte-wise crossover would splice two seed images).
 */
size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1,
				 const uint8_t *d2, size_t s2, uint8_t *out,
				 size_t max_out, unsigned int seed)
{
	unsigned int n1, n2, k, n = 0;
	uint32_t r = seed | 1;
	size_t imglen;

	if (!split(d1, s1, &n1) || !split(d2, s2, &n2))
		return 0;
	imglen = s1 - EFE_HDR(n1);
	for (k = 0; k < n1 + n2 && n < EFE_MAX_EDITS; k++) {
		const uint8_t *e = k < n1 ? d1 + 5 + (size_t)k * EFE_EDIT :
				   d2 + 5 + (size_t)(k - n1) * EFE_EDIT;

		if (!(next(&r) & 1))
			continue;
		if (EFE_HDR(n + 1) + imglen > max_out)
			break;
		memcpy(out + 5 + (size_t)n * EFE_EDIT, e, EFE_EDIT);
		n++;
	}
	if (EFE_HDR(n) + imglen > max_out)
		return 0;
	memcpy(out, EFE_MAGIC, 4);
	out[4] = (uint8_t)n;
	memcpy(out + EFE_HDR(n), d1 + EFE_HDR(n1), imglen);
	return EFE_HDR(n) + imglen;
}
#endif
