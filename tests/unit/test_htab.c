// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_htab.c - the hash table: candidates, duplicates, sets, growth; and
 * its compact form for indexes (erofs_idxtab).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
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

/* an index over an array of nids, as the walk keeps its nodes */
static uint64_t nids[20000];

static uint64_t nid_hash(const void *priv, uint32_t pos)
{
	const uint64_t *keys = priv;

	return erofs_hash_u64(keys[pos]);
}

static long idx_find(const struct erofs_idxtab *t, uint64_t nid)
{
	size_t iter = 0;
	uint32_t pos;
	long found = -1;

	while (erofs_idxtab_next(t, erofs_hash_u64(nid), &iter, &pos)) {
		assert_true(pos < 20000);
		if (nids[pos] == nid) {
			assert_int_equal(found, -1);	/* filed once */
			found = pos;
		}
	}
	return found;
}

static void test_idxtab(void **state)
{
	struct erofs_idxtab t = { 0 };
	uint32_t i, pos;
	size_t iter = 0;

	(void)state;
	assert_false(erofs_idxtab_next(&t, 5, &iter, &pos));
	assert_int_equal(idx_find(&t, 32), -1);
	/* nid-like strides, through several growths */
	for (i = 0; i < 20000; i++) {
		nids[i] = 32ULL * i + 96;
		assert_int_equal(erofs_idxtab_add(&t, erofs_hash_u64(nids[i]),
						  i, nid_hash, nids), 0);
		assert_true(t.nr * 2 <= t.cap);
	}
	assert_int_equal(t.nr, 20000);
	assert_true(t.cap * sizeof(*t.slots) <= 256 * 1024);
	for (i = 0; i < 20000; i++)
		assert_int_equal(idx_find(&t, nids[i]), i);
	assert_int_equal(idx_find(&t, 0), -1);
	assert_int_equal(idx_find(&t, 97), -1);
	assert_int_equal(erofs_idxtab_add(&t, 1, UINT32_MAX - 1, nid_hash,
					  nids), -EOVERFLOW);
	erofs_idxtab_release(&t);
	assert_null(t.slots);
	assert_int_equal(t.cap, 0);
}

static uint64_t same_hash(const void *priv, uint32_t pos)
{
	(void)priv;
	(void)pos;
	return 12345;
}

/* positions under one hash all come back, each once, after growing too */
static void test_idxtab_same_hash(void **state)
{
	struct erofs_idxtab t = { 0 };
	unsigned char seen[300] = { 0 };
	size_t iter = 0, n = 0;
	uint32_t i, pos;

	(void)state;
	for (i = 0; i < 300; i++)
		assert_int_equal(erofs_idxtab_add(&t, 12345, i, same_hash,
						  NULL), 0);
	assert_true(t.cap >= 600);
	while (erofs_idxtab_next(&t, 12345, &iter, &pos)) {
		assert_true(pos < 300);
		assert_false(seen[pos]);
		seen[pos] = 1;
		n++;
	}
	assert_int_equal(n, 300);
	erofs_idxtab_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidates),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_hash_bytes),
		cmocka_unit_test(test_idxtab),
		cmocka_unit_test(test_idxtab_same_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
