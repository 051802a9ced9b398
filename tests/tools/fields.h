// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * fields.h - a valid EROFS image cut into its typed fields (superblock,
 * compression configuration records, device slots, every inode reachable
 * from the root with its inline xattr header and entry heads, directory
 * entries, compressed map headers and the first index bytes, chunk
 * indexes): what the crafted-image campaign's mutator (mutate.c) and the
 * "seed + field edits" fuzz target (tests/fuzz/fuzz_fields.c) edit.
 */
#ifndef EROFS_TESTS_FIELDS_H
#define EROFS_TESTS_FIELDS_H

#include <stddef.h>
#include <stdint.h>

struct field {
	uint64_t pos;
	unsigned int width;		/* 1, 2, 4 or 8 bytes, little endian */
	char name[40];
};

struct field_list {
	struct field *f;
	size_t nr, cap;
};

/*
 * Parse the image buf[0..len) with our reader and append its fields to
 * fl.  0, or -errno when the reader cannot open it (or memory ran out);
 * a field outside the image is left out.
 */
int fields_parse(const uint8_t *buf, size_t len, struct field_list *fl);
void fields_free(struct field_list *fl);

uint64_t field_get(const uint8_t *b, unsigned int width);
void field_put(uint8_t *b, unsigned int width, uint64_t v);

/*
 * One of the edits that find bugs (0, all ones, off by one, one bit, the
 * top bit, a small number, a small step, any number), chosen by op; r is
 * the randomness the edit may use (ops 4, 6, 7 and 8).  It may equal old.
 */
#define FIELD_EDIT_OPS	9
uint64_t field_edit(uint64_t old, unsigned int width, unsigned int op,
		    uint64_t r);
static inline int field_edit_uses_r(unsigned int op)
{
	op %= FIELD_EDIT_OPS;
	return op == 4 || op == 6 || op == 7 || op == 8;
}

/* fix the superblock checksum after edits, if the image has one */
void fields_fix_checksum(uint8_t *buf, size_t len);

#endif
