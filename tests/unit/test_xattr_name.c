// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/* test_xattr_name.c - prefix splitting, long prefixes, filter, crc32c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "erofs/crc32c.h"
#include "erofs/xattr.h"

static void test_split(void **state)
{
	uint8_t idx;
	size_t off;

	assert_int_equal(erofs_xattr_split_name("user.foo", 8, &idx, &off), 0);
	assert_int_equal(idx, 1);
	assert_int_equal(off, 5);
	assert_int_equal(erofs_xattr_split_name("system.posix_acl_access", 23,
						&idx, &off), 0);
	assert_int_equal(idx, 2);
	assert_int_equal(off, 23);
	assert_int_equal(erofs_xattr_split_name("system.posix_acl_accessX", 24,
						&idx, &off), -EOPNOTSUPP);
	assert_int_equal(erofs_xattr_split_name("security.selinux", 16,
						&idx, &off), 0);
	assert_int_equal(idx, 6);
	assert_int_equal(erofs_xattr_split_name("erofs.x", 7, &idx, &off),
			 -EOPNOTSUPP);
}

static void test_long_prefix(void **state)
{
	struct erofs_xattr_prefix p;

	assert_int_equal(erofs_xattr_prefix_from_name(&p, "trusted.overlay."), 0);
	assert_int_equal(p.base_index, 4);
	assert_string_equal(p.infix, "overlay.");
	assert_int_equal(erofs_xattr_prefix_len(&p), 16);
	erofs_xattr_prefix_release(&p);
	assert_int_equal(erofs_xattr_prefix_from_name(&p, "erofs.fingerprint.v1"), 0);
	assert_int_equal(p.base_index, 0);
	assert_string_equal(p.infix, "erofs.fingerprint.v1");
	erofs_xattr_prefix_release(&p);
	assert_int_equal(erofs_xattr_prefix_from_name(&p, ""), -EINVAL);
}

/* vectors from erofs-format.md 4.5, checked against mkfs.erofs images */
static void test_filter_bits(void **state)
{
	assert_int_equal(erofs_xattr_filter_bit(2, "", 0), 30);
	assert_int_equal(erofs_xattr_filter_bit(3, "", 0), 21);
	assert_int_equal(erofs_xattr_filter_bit(1, "shared", 6), 27);
	assert_int_equal(erofs_xattr_filter_bit(6, "selinux", 7), 11);
	assert_int_equal(erofs_xattr_filter_bit(4, "overlay.opaque", 14), 20);
}

static void test_crc32c(void **state)
{
	/* the standard check value of CRC-32C is 0xE3069283 (with ~ both ends) */
	assert_int_equal(~erofs_crc32c(~0U, "123456789", 9), 0xE3069283U);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_long_prefix),
		cmocka_unit_test(test_filter_bits),
		cmocka_unit_test(test_crc32c),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
