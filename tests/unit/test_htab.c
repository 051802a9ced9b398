// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/* test_htab.c - the hash table: candidates, duplicates, sets, growth. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "erofs/htab.h"

static void test_candidates(void **state)
{
	struct erofs_htab t = { 0 };
	uint64_t v, seen = 0;
	size_t pos = 0;
	int i;

	(void)state;
	assert_false(erofs_htab_next(&t, 5, &pos, &v));
	/* many values under one hash, and noise under others */
	for (i = 0; i < 40; i++) {
		assert_int_equal(erofs_htab_add(&t, 77, i), 0);
		assert_int_equal(erofs_htab_add(&t, 1000 + i, 500 + i), 0);
	}
	while (erofs_htab_next(&t, 77, &pos, &v)) {
		assert_true(v < 40);
		assert_false(seen & (1ULL << v));
		seen |= 1ULL << v;
	}
	assert_int_equal(seen, (1ULL << 40) - 1);
	pos = 0;
	assert_true(erofs_htab_next(&t, 1039, &pos, &v));
	assert_int_equal(v, 539);
	assert_false(erofs_htab_next(&t, 1039, &pos, &v));
	pos = 0;
	assert_false(erofs_htab_next(&t, 3, &pos, &v));
	assert_int_equal(erofs_htab_add(&t, 1, UINT64_MAX), -EINVAL);
	erofs_htab_release(&t);
	assert_null(t.slots);
}

static void test_set(void **state)
{
	struct erofs_htab t = { 0 };
	uint64_t k;

	(void)state;
	for (k = 0; k < 100000; k += 32)	/* nid-like strides */
		assert_int_equal(erofs_htab_set_add(&t, k), 0);
	for (k = 0; k < 100000; k += 32)
		assert_int_equal(erofs_htab_set_add(&t, k), 1);
	assert_true(erofs_htab_set_has(&t, 0));
	assert_false(erofs_htab_set_has(&t, 33));
	assert_int_equal(t.nr, 3125);
	assert_true(t.nr * 2 <= t.cap);
	erofs_htab_release(&t);
}

static void test_hash_bytes(void **state)
{
	(void)state;
	assert_int_equal(erofs_hash_bytes("abc", 3), erofs_hash_bytes("abc", 3));
	assert_true(erofs_hash_bytes("abc", 3) != erofs_hash_bytes("abd", 3));
	assert_true(erofs_hash_bytes("", 0) != erofs_hash_bytes("\0", 1));
	assert_true(erofs_hash_u64(1) != erofs_hash_u64(2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidates),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_hash_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
