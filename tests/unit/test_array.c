// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/* test_array.c - growable arrays: growth, zeroing, overflow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdlib.h>
#include "erofs/array.h"

static void test_append(void **state)
{
	uint32_t *v = NULL;
	size_t nr = 0, cap = 0, i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		assert_int_equal(erofs_array_reserve(&v, &cap, nr + 1), 0);
		v[nr++] = i;
	}
	assert_true(cap >= 1000 && cap < 2048);
	for (i = 0; i < 1000; i++)
		assert_int_equal(v[i], i);
	/* enough room: nothing moves */
	assert_int_equal(erofs_array_reserve(&v, &cap, 10), 0);
	free(v);
}

static void test_zero_and_overflow(void **state)
{
	uint64_t *v = NULL;
	size_t cap = 0, i;

	(void)state;
	assert_int_equal(erofs_array_reserve_zero(&v, &cap, 3), 0);
	assert_int_equal(cap, 16);
	v[0] = 7;
	assert_int_equal(erofs_array_reserve_zero(&v, &cap, 100), 0);
	assert_int_equal(v[0], 7);
	for (i = 1; i < cap; i++)
		assert_int_equal(v[i], 0);
	assert_int_equal(erofs_array_reserve(&v, &cap, SIZE_MAX / 4), -ENOMEM);
	assert_true(cap >= 100 && cap < 1000);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_zero_and_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
