// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/* test_cli.c - option tables, integer parsing and filesystem UUIDs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "erofs/cli.h"
#include "erofs/import.h"
#include "erofs/mkfs.h"
#include "erofs/uuid.h"

static const struct erofs_cli_opt defs[] = {
	{ NULL, required_argument, 'b', "SIZE", "block size" },
	{ "flag", no_argument, 300, NULL, "a long-only flag" },
	{ "opt", optional_argument, 301, "[=X]", "optional value" },
	{ "help", no_argument, 'h', NULL, "help" },
};

static void test_tables(void **state)
{
	struct option *l;
	char *s, *help;

	assert_int_equal(erofs_cli_getopt_tables(defs, 4, &l, &s), 0);
	assert_string_equal(s, ":b:h");
	assert_string_equal(l[0].name, "flag");
	assert_int_equal(l[0].val, 300);
	assert_int_equal(l[1].has_arg, optional_argument);
	assert_string_equal(l[2].name, "help");
	assert_null(l[3].name);
	free(l);
	free(s);

	help = erofs_cli_help(defs, 4);
	assert_non_null(help);
	assert_non_null(strstr(help, "  -b SIZE "));
	assert_non_null(strstr(help, "      --flag "));
	assert_non_null(strstr(help, "      --opt[=X] "));
	assert_non_null(strstr(help, "  -h, --help "));
	free(help);
}

/* sizes take erofs-utils' K/M/G suffixes: -C64k, fragments=1M */
static void test_parse_size(void **state)
{
	long long v;

	(void)state;
	assert_int_equal(erofs_cli_parse_size("65536", 512, 1 << 20, &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(erofs_cli_parse_size("64k", 512, 1 << 20, &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(erofs_cli_parse_size("1M", 512, 1 << 20, &v), 0);
	assert_int_equal(v, 1 << 20);
	assert_int_equal(erofs_cli_parse_size("2g", 0, INT64_MAX, &v), 0);
	assert_int_equal(v, 2LL << 30);
	assert_int_equal(erofs_cli_parse_size("2M", 512, 1 << 20, &v), -EINVAL);
	assert_int_equal(erofs_cli_parse_size("4kb", 0, 1 << 20, &v), -EINVAL);
	assert_int_equal(erofs_cli_parse_size("k", 0, 1 << 20, &v), -EINVAL);
	assert_int_equal(erofs_cli_parse_size("-1k", -4096, 0, &v), -EINVAL);
	assert_int_equal(erofs_cli_parse_size("9223372036854775807k", 0,
					      INT64_MAX, &v), -EINVAL);
}

static void test_parse_int(void **state)
{
	long long v;

	assert_int_equal(erofs_cli_parse_int("4096", 512, 4096, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(erofs_cli_parse_int("0x10", 0, 100, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(erofs_cli_parse_int("-3", -5, 5, &v), 0);
	assert_int_equal(erofs_cli_parse_int("4097", 512, 4096, &v), -EINVAL);
	assert_int_equal(erofs_cli_parse_int("", 0, 9, &v), -EINVAL);
	assert_int_equal(erofs_cli_parse_int("1x", 0, 9, &v), -EINVAL);
	assert_int_equal(erofs_cli_parse_int("99999999999999999999", 0,
					     9, &v), -EINVAL);
}

/* nids: all 64 bits (a metabox inode's has bit 63), never a sign */
static void test_parse_u64(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(erofs_cli_parse_u64("9223372036854775808", &v), 0);
	assert_true(v == 1ULL << 63);
	assert_int_equal(erofs_cli_parse_u64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(erofs_cli_parse_u64("0x8000000000000024", &v), 0);
	assert_true(v == (1ULL << 63 | 36));
	assert_int_equal(erofs_cli_parse_u64("36", &v), 0);
	assert_true(v == 36);
	assert_int_equal(erofs_cli_parse_u64("18446744073709551616", &v),
			 -EINVAL);
	assert_int_equal(erofs_cli_parse_u64("-1", &v), -EINVAL);
	assert_int_equal(erofs_cli_parse_u64(" -1", &v), -EINVAL);
	assert_int_equal(erofs_cli_parse_u64("+1", &v), -EINVAL);
	assert_int_equal(erofs_cli_parse_u64("", &v), -EINVAL);
	assert_int_equal(erofs_cli_parse_u64("12x", &v), -EINVAL);
}

static void test_push_str(void **state)
{
	const char **arr = NULL;
	size_t n = 0, cap = 0;

	(void)state;
	assert_int_equal(erofs_cli_push_str(&arr, &n, &cap, "a"), 0);
	assert_int_equal(erofs_cli_push_str(&arr, &n, &cap, "b"), 0);
	assert_int_equal(n, 2);
	assert_string_equal(arr[0], "a");
	assert_string_equal(arr[1], "b");
	assert_null(arr[2]);
	free(arr);
}

static void test_mkfs_extended(void **state)
{
	struct erofs_mkfs_params mk;
	struct erofs_import_params imp;
	char opts[] = "force-inode-compact,noinline_data,^xattr-name-filter";
	char badopts[] = "nosbcrc,what,else";
	const char *bad = NULL;

	(void)state;
	erofs_mkfs_params_init(&mk);
	erofs_import_params_init(&imp);
	assert_int_equal(erofs_cli_mkfs_extended(&mk, &imp, opts, &bad), 0);
	assert_int_equal(mk.inode_form, EROFS_FORM_COMPACT);
	assert_true(imp.ignore_mtime);
	assert_true(mk.noinline_data);
	assert_false(mk.xattr_filter);
	assert_int_equal(erofs_cli_mkfs_extended(&mk, &imp, badopts, &bad),
			 -EINVAL);
	assert_string_equal(bad, "what");
	assert_false(mk.sb_checksum);
	{
		/* a known option with a bad value is told apart */
		char badval[] = "dedupe,fragments=abc";
		char neg[] = "^fragments=8192";
		char good[] = "fragments=8192";

		assert_int_equal(erofs_cli_mkfs_extended(&mk, &imp, badval,
							 &bad), -ERANGE);
		assert_string_equal(bad, "fragments=abc");
		assert_int_equal(erofs_cli_mkfs_extended(&mk, &imp, neg, &bad),
				 -ERANGE);
		assert_int_equal(erofs_cli_mkfs_extended(&mk, &imp, good,
							 &bad), 0);
		assert_true(mk.fragments);
		assert_int_equal(mk.packed_pcluster, 8192);
	}
	{
		/* as erofs-utils: any fragdedupe value but "inode" is full */
		char inode[] = "fragdedupe=inode,plain-xattr-prefixes";
		char full[] = "fragdedupe=whatever";
		char off[] = "^fragdedupe";
		char badneg[] = "^fragdedupe=inode";

		assert_int_equal(mk.fragdedupe, EROFS_FRAGDEDUPE_FULL);
		assert_int_equal(erofs_cli_mkfs_extended(&mk, &imp, inode,
							 &bad), 0);
		assert_int_equal(mk.fragdedupe, EROFS_FRAGDEDUPE_INODE);
		assert_true(mk.plain_xattr_prefixes);
		assert_int_equal(erofs_cli_mkfs_extended(&mk, &imp, full,
							 &bad), 0);
		assert_int_equal(mk.fragdedupe, EROFS_FRAGDEDUPE_FULL);
		assert_int_equal(erofs_cli_mkfs_extended(&mk, &imp, off,
							 &bad), 0);
		assert_int_equal(mk.fragdedupe, EROFS_FRAGDEDUPE_OFF);
		assert_int_equal(erofs_cli_mkfs_extended(&mk, &imp, badneg,
							 &bad), -ERANGE);
	}
}

static void test_uuid_text(void **state)
{
	static const char *s = "c1b9d5a2-f162-11cf-9ece-0020afc76f16";
	uint8_t u[16], r1[16], r2[16];
	char out[EROFS_UUID_STR_LEN + 1];

	assert_int_equal(erofs_uuid_parse(s, u), 0);
	assert_int_equal(u[0], 0xc1);
	assert_int_equal(u[15], 0x16);
	erofs_uuid_unparse(u, out);
	assert_string_equal(out, s);
	assert_int_equal(erofs_uuid_parse("C1B9D5A2-F162-11CF-9ECE-0020AFC76F16",
					  u), 0);
	erofs_uuid_unparse(u, out);
	assert_string_equal(out, s);
	assert_int_equal(erofs_uuid_parse("c1b9d5a2f16211cf9ece0020afc76f16",
					  u), -EINVAL);
	assert_int_equal(erofs_uuid_parse("c1b9d5a2-f162-11cf-9ece-0020afc76f1g",
					  u), -EINVAL);
	assert_int_equal(erofs_uuid_parse("c1b9d5a2-f162-11cf-9ece0-020afc76f16",
					  u), -EINVAL);
	assert_int_equal(erofs_uuid_random(r1), 0);
	assert_int_equal(erofs_uuid_random(r2), 0);
	assert_memory_not_equal(r1, r2, 16);
	assert_int_equal(r1[6] >> 4, 4);
	assert_int_equal(r1[8] >> 6, 2);
}

static void test_uuid_from_tree(void **state)
{
	struct erofs_node *root = erofs_node_new(S_IFDIR | 0755);
	struct erofs_node *f = erofs_node_new(S_IFREG | 0644);
	uint8_t a[16], b[16];

	assert_int_equal(erofs_tree_add(root, "f", 1, f), 0);
	assert_int_equal(erofs_tree_finalize(root), 0);
	erofs_uuid_from_tree(root, 100, "", a);
	f->ino_hint = 12345;	/* host inode numbers do not count */
	erofs_uuid_from_tree(root, 100, "", b);
	assert_memory_equal(a, b, 16);
	assert_int_equal(a[6] >> 4, 8);		/* version 8 */
	assert_int_equal(a[8] >> 6, 2);		/* RFC variant */
	erofs_uuid_from_tree(root, 101, "", b);
	assert_memory_not_equal(a, b, 16);
	erofs_uuid_from_tree(root, 100, "label", b);
	assert_memory_not_equal(a, b, 16);
	f->mode = S_IFREG | 0600;
	erofs_uuid_from_tree(root, 100, "", b);
	assert_memory_not_equal(a, b, 16);
	erofs_node_put(f);
	erofs_node_put(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_push_str),
		cmocka_unit_test(test_mkfs_extended),
		cmocka_unit_test(test_uuid_text),
		cmocka_unit_test(test_uuid_from_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
