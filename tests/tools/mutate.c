// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * mutate.c - the typed-field mutator of the crafted-image campaign
 * (tests/campaign): parse a valid seed image into its fields (superblock,
 * compression configuration records, device slots, every inode reachable
 * from the root with its inline xattr header and entries, directory
 * entries, compressed map headers and the first index bytes, chunk
 * indexes), then write N images that each edit one or two of them, with
 * the superblock checksum fixed so that the edit, not the checksum, is
 * what a reader meets.
 *
 *   mutate SEED.img OUTDIR NAME COUNT RNGSEED
 *
 * writes OUTDIR/NAME-NNNNN.img and prints one manifest line per case:
 *   NAME-NNNNN FIELD@POS:OLD>NEW [FIELD@POS:OLD>NEW]
 * (values in hex).  The same arguments always give the same images.
 * Exit 0, 1 on an unusable seed (with the reason on stderr), 2 on usage.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fields.h"

/* splitmix64: small, and the same on every machine */
static uint64_t rng(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* a new value for a field, drawing the op and its randomness from st */
static uint64_t new_value(uint64_t old, unsigned int w, uint64_t *st)
{
	unsigned int op = (unsigned int)(rng(st) % FIELD_EDIT_OPS);

	return field_edit(old, w, op, field_edit_uses_r(op) ? rng(st) : 0);
}

int main(int argc, char **argv)
{
	struct field_list fl = { 0 };
	uint8_t *buf;
	size_t len;
	unsigned long count, i;
	uint64_t st;
	FILE *f;
	struct stat sb;
	uint8_t *out;
	char path[4096];

	if (argc != 6) {
		fprintf(stderr, "usage: mutate SEED.img OUTDIR NAME COUNT RNGSEED\n");
		return 2;
	}
	count = strtoul(argv[4], NULL, 0);
	st = strtoull(argv[5], NULL, 0);
	f = fopen(argv[1], "rb");
	if (!f || fstat(fileno(f), &sb) || sb.st_size < 2048) {
		fprintf(stderr, "mutate: %s: unusable seed\n", argv[1]);
		return 1;
	}
	len = (size_t)sb.st_size;
	buf = malloc(len);
	out = malloc(len);
	if (!buf || !out || fread(buf, 1, len, f) != len) {
		fprintf(stderr, "mutate: %s: cannot read\n", argv[1]);
		return 1;
	}
	fclose(f);
	if (fields_parse(buf, len, &fl) || !fl.nr) {
		fprintf(stderr, "mutate: %s: not an image our reader opens\n", argv[1]);
		return 1;
	}
	for (i = 0; i < count; i++) {
		unsigned int edits = 1 + (rng(&st) % 4 == 0), e;
		char desc[256];
		size_t dl = 0;

		memcpy(out, buf, len);
		for (e = 0; e < edits; e++) {
			const struct field *fd = &fl.f[rng(&st) % fl.nr];
			uint64_t old = field_get(out + fd->pos, fd->width), v;
			int tries = 0;

			do
				v = new_value(old, fd->width, &st);
			while (v == old && ++tries < 8);
			if (v == old)
				v = old ^ 1;
			field_put(out + fd->pos, fd->width, v);
			dl += (size_t)snprintf(desc + dl, sizeof(desc) - dl,
				"%s%s@%" PRIu64 ":%" PRIx64 ">%" PRIx64,
				e ? " " : "", fd->name, fd->pos, old, v);
			if (dl >= sizeof(desc))
				dl = sizeof(desc) - 1;
		}
		/* a checksum-only refusal would hide what the edit does */
		fields_fix_checksum(out, len);
		snprintf(path, sizeof(path), "%s/%s-%05lu.img", argv[2], argv[3], i);
		f = fopen(path, "wb");
		if (!f || fwrite(out, 1, len, f) != len || fclose(f)) {
			fprintf(stderr, "mutate: cannot write %s\n", path);
			return 1;
		}
		printf("%s-%05lu %s\n", argv[3], i, desc);
	}
	return 0;
}
