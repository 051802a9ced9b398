// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_ishare.c - fingerprint values, SHA-256 vectors and the sharing
 * report's arithmetic on synthetic file lists (no images needed).
 */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef LIBCRYPTO_SONAME
#include <dlfcn.h>
#endif
#include "erofs/ishare.h"
#include "erofs/ishare_report.h"

static void hexdigest(const uint8_t *d, char *out)
{
	int i;

	for (i = 0; i < EROFS_ISHARE_DIGEST_LEN; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha256_of(const void *buf, size_t len, char *hex)
{
	uint8_t d[EROFS_ISHARE_DIGEST_LEN];
	struct erofs_sha256 *h = erofs_sha256_new();

	assert_non_null(h);
	assert_int_equal(erofs_sha256_update(h, buf, len), 0);
	assert_int_equal(erofs_sha256_final(h, d), 0);
	erofs_sha256_free(h);
	hexdigest(d, hex);
}

/*
 * libcrypto is loaded by the first hasher, not at start (it cost every
 * fsck and dump 2 MiB of RSS).  The first test of this binary, so that
 * nothing has hashed yet.
 */
static void test_sha256_loaded_on_use(void **state)
{
#ifdef LIBCRYPTO_SONAME
	struct erofs_sha256 *h;
	void *so;

	(void)state;
	assert_null(dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_NOLOAD));
	h = erofs_sha256_new();
	assert_non_null(h);
	so = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(so);
	dlclose(so);		/* the reference NOLOAD took */
	erofs_sha256_free(h);
#else
	(void)state;
	skip();
#endif
}

static void test_sha256_vectors(void **state)
{
	char hex[65];
	uint8_t *mil;
	struct erofs_sha256 *h;
	uint8_t d[EROFS_ISHARE_DIGEST_LEN];

	(void)state;
	/* FIPS 180-2 appendix B vectors */
	sha256_of("", 0, hex);
	assert_string_equal(hex,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256_of("abc", 3, hex);
	assert_string_equal(hex,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  56, hex);
	assert_string_equal(hex,
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* one million 'a', fed in uneven pieces, through one reused hash */
	mil = malloc(1000000);
	assert_non_null(mil);
	memset(mil, 'a', 1000000);
	h = erofs_sha256_new();
	assert_non_null(h);
	assert_int_equal(erofs_sha256_update(h, "x", 1), 0);
	assert_int_equal(erofs_sha256_final(h, d), 0);	/* resets */
	assert_int_equal(erofs_sha256_update(h, mil, 333333), 0);
	assert_int_equal(erofs_sha256_update(h, mil, 666667), 0);
	assert_int_equal(erofs_sha256_final(h, d), 0);
	hexdigest(d, hex);
	assert_string_equal(hex,
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	erofs_sha256_free(h);
	erofs_sha256_free(NULL);
	free(mil);
}

static void test_value_codec(void **state)
{
	uint8_t digest[EROFS_ISHARE_DIGEST_LEN], back[EROFS_ISHARE_DIGEST_LEN];
	uint8_t v[EROFS_ISHARE_VALUE_LEN + 1];
	char hex[EROFS_ISHARE_HEX_MAX];
	int i;

	(void)state;
	for (i = 0; i < EROFS_ISHARE_DIGEST_LEN; i++)
		digest[i] = (uint8_t)(i * 7 + 1);
	erofs_ishare_value_encode(digest, v);
	assert_int_equal(EROFS_ISHARE_VALUE_LEN, 39);
	assert_memory_equal(v, "sha256:", 7);
	assert_memory_equal(v + 7, digest, 32);
	assert_int_equal(erofs_ishare_value_decode(v, 39, back), 0);
	assert_memory_equal(back, digest, 32);
	/* wrong length either way, wrong prefix, hex instead of raw */
	assert_int_equal(erofs_ishare_value_decode(v, 38, back), -EINVAL);
	v[39] = 0;
	assert_int_equal(erofs_ishare_value_decode(v, 40, back), -EINVAL);
	v[0] = 'S';
	assert_int_equal(erofs_ishare_value_decode(v, 39, back), -EINVAL);
	assert_int_equal(erofs_ishare_value_decode(
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		71, back), -EINVAL);

	v[0] = 's';
	erofs_ishare_value_hex(v, 39, hex);
	assert_string_equal(hex,
		"01080f161d242b323940474e555c636a71787f868d949ba2a9b0b7bec5ccd3da");
	erofs_ishare_value_hex(NULL, 0, hex);
	assert_string_equal(hex, "-");
	erofs_ishare_value_hex("sha256:", 7, hex);
	assert_string_equal(hex, "malformed(7 bytes)");
	assert_string_equal(erofs_ishare_readpath_name(EROFS_ISHARE_READ_PLAIN),
			    "plain");
	assert_string_equal(
		erofs_ishare_readpath_name(EROFS_ISHARE_READ_COMPRESSED),
		"compressed");
}

/* a fingerprint value whose digest is `tag` repeated */
static void mkvalue(uint8_t v[EROFS_ISHARE_VALUE_LEN], uint8_t tag)
{
	uint8_t d[EROFS_ISHARE_DIGEST_LEN];

	memset(d, tag, sizeof(d));
	erofs_ishare_value_encode(d, v);
}

static void add(struct erofs_ishare_list *l, const char *path, uint64_t size,
		enum erofs_ishare_readpath rp, int tag)
{
	uint8_t v[EROFS_ISHARE_VALUE_LEN];

	if (tag >= 0)
		mkvalue(v, (uint8_t)tag);
	assert_int_equal(erofs_ishare_list_add(l, path, size, l->nr + 10, rp,
					       tag >= 0 ? v : NULL,
					       tag >= 0 ? sizeof(v) : 0), 0);
}

static void test_report_rule(void **state)
{
	struct erofs_ishare_list l[3];
	struct erofs_ishare_report rep;
	const uint64_t P = 4096;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		erofs_ishare_list_init(&l[i]);
		l[i].blksz = 4096;
	}
	assert_int_equal(erofs_ishare_list_set_label(&l[0], "a.img"), 0);
	assert_int_equal(erofs_ishare_list_set_label(&l[1], "b.img"), 0);

	/* image a */
	add(&l[0], "/lib", 10000, EROFS_ISHARE_READ_PLAIN, 1);	/* 3 pages */
	add(&l[0], "/lib.copy", 10000, EROFS_ISHARE_READ_PLAIN, 1); /* same image */
	add(&l[0], "/bin", 5000, EROFS_ISHARE_READ_PLAIN, 2);	/* 2 pages */
	add(&l[0], "/z", 5000, EROFS_ISHARE_READ_COMPRESSED, 2); /* other path */
	add(&l[0], "/nofp", 4096, EROFS_ISHARE_READ_PLAIN, -1);	/* 1 page */
	add(&l[0], "/empty", 0, EROFS_ISHARE_READ_PLAIN, -1);	/* 0 pages */
	/* image b */
	add(&l[1], "/lib", 10000, EROFS_ISHARE_READ_PLAIN, 1);
	add(&l[1], "/bin", 5001, EROFS_ISHARE_READ_PLAIN, 2);	/* size differs */
	add(&l[1], "/nofp", 4096, EROFS_ISHARE_READ_PLAIN, -1);	/* never shares */
	add(&l[1], "/z", 5000, EROFS_ISHARE_READ_COMPRESSED, 2);
	add(&l[1], "/x", 1, EROFS_ISHARE_READ_PLAIN, 3);
	/* image c: empty list */

	assert_int_equal(erofs_ishare_report_build(&rep, l, 3, 0), 0);
	assert_int_equal(rep.page_size, 4096);
	assert_int_equal(rep.nr_images, 3);
	assert_int_equal(rep.images[0].files, 6);
	assert_int_equal(rep.images[0].fingerprinted, 4);
	assert_int_equal(rep.images[0].bytes, (3 + 3 + 2 + 2 + 1 + 0) * P);
	assert_int_equal(rep.images[1].files, 5);
	assert_int_equal(rep.images[1].fingerprinted, 4);
	assert_int_equal(rep.images[1].bytes, (3 + 2 + 1 + 2 + 1) * P);
	assert_int_equal(rep.images[2].files, 0);
	assert_int_equal(rep.images[2].bytes, 0);
	assert_int_equal(rep.total, 20 * P);
	/* lib x3 -> 3 pages; bin(a) 2; bin(b) 2; z x2 -> 2; nofp 1 + 1; x 1 */
	assert_int_equal(rep.shared_total, (3 + 2 + 2 + 2 + 1 + 1 + 1) * P);
	assert_int_equal(rep.saved, 8 * P);
	assert_true(erofs_ishare_report_percent(&rep) > 39.99 &&
		    erofs_ishare_report_percent(&rep) < 40.01);

	/* groups: lib (3 copies, 2 images, saves 6 pages), z (saves 2) */
	assert_int_equal(rep.nr_groups, 2);
	assert_int_equal(rep.groups[0].count, 3);
	assert_int_equal(rep.groups[0].nr_images, 2);
	assert_int_equal(rep.groups[0].saved, 6 * P);
	assert_int_equal(rep.groups[0].rounded, 3 * P);
	assert_string_equal(rep.groups[0].file->path, "/lib");
	assert_int_equal(rep.groups[0].image, 0);
	assert_int_equal(rep.groups[1].count, 2);
	assert_int_equal(rep.groups[1].saved, 2 * P);
	assert_int_equal(rep.groups[1].file->readpath,
			 EROFS_ISHARE_READ_COMPRESSED);
	erofs_ishare_report_release(&rep);

	/* a value longer than the block never shares */
	l[2].blksz = 8;
	add(&l[2], "/lib", 10000, EROFS_ISHARE_READ_PLAIN, 1);
	assert_int_equal(erofs_ishare_report_build(&rep, l, 3, 0), 0);
	assert_int_equal(rep.images[2].fingerprinted, 0);
	assert_int_equal(rep.groups[0].count, 3);
	assert_int_equal(rep.saved, 8 * P);
	erofs_ishare_report_release(&rep);

	/* another page size */
	assert_int_equal(erofs_ishare_report_build(&rep, l, 1, 65536), 0);
	assert_int_equal(rep.total, 5 * 65536ULL);
	assert_int_equal(rep.saved, 65536);
	erofs_ishare_report_release(&rep);

	/* no images at all */
	assert_int_equal(erofs_ishare_report_build(&rep, l, 0, 0), 0);
	assert_int_equal(rep.total, 0);
	assert_int_equal(rep.nr_groups, 0);
	assert_true(erofs_ishare_report_percent(&rep) == 0);
	erofs_ishare_report_release(&rep);

	for (i = 0; i < 3; i++)
		erofs_ishare_list_release(&l[i]);
}

/* malformed values still share when byte-equal: the kernel compares raw */
static void test_report_raw_values(void **state)
{
	struct erofs_ishare_list l;
	struct erofs_ishare_report rep;

	(void)state;
	erofs_ishare_list_init(&l);
	assert_int_equal(erofs_ishare_list_add(&l, "/a", 100, 1,
			EROFS_ISHARE_READ_PLAIN, "xyz", 3), 0);
	assert_int_equal(erofs_ishare_list_add(&l, "/b", 100, 2,
			EROFS_ISHARE_READ_PLAIN, "xyz", 3), 0);
	assert_int_equal(erofs_ishare_list_add(&l, "/c", 100, 3,
			EROFS_ISHARE_READ_PLAIN, "xy", 2), 0);
	/* an empty value is no fingerprint */
	assert_int_equal(erofs_ishare_list_add(&l, "/d", 100, 4,
			EROFS_ISHARE_READ_PLAIN, "", 0), 0);
	assert_int_equal(erofs_ishare_list_add(&l, "/e", 100, 5,
			EROFS_ISHARE_READ_PLAIN, "", 0), 0);
	assert_int_equal(erofs_ishare_report_build(&rep, &l, 1, 0), 0);
	assert_int_equal(rep.total, 5 * 4096);
	assert_int_equal(rep.saved, 4096);
	assert_int_equal(rep.nr_groups, 1);
	assert_string_equal(rep.groups[0].file->path, "/a");
	erofs_ishare_report_release(&rep);
	erofs_ishare_list_release(&l);
}

static char *capture_list(const struct erofs_ishare_list *l, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	erofs_ishare_list_print(f, l, json);
	fclose(f);
	return buf;
}

static void test_output(void **state)
{
	struct erofs_ishare_list l;
	char *s, *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	erofs_ishare_list_init(&l);
	l.key = strdup("trusted.erofs.fingerprint");
	l.prefix_id = 2;
	add(&l, "/a b", 6, EROFS_ISHARE_READ_PLAIN, 0xab);
	add(&l, "/empty", 0, EROFS_ISHARE_READ_COMPRESSED, -1);
	add(&l, "/new\nline\\", 1, EROFS_ISHARE_READ_PLAIN, 1);
	s = capture_list(&l, false);
	assert_non_null(strstr(s, " /new\\x0aline\\\\\n"));
	assert_non_null(strstr(s,
		"fingerprint key: trusted.erofs.fingerprint (prefix id 2)\n"));
	assert_non_null(strstr(s,
		"abababababababababababababababababababababababababababababababab            6 plain      /a b\n"));
	assert_non_null(strstr(s, "-  "));
	assert_non_null(strstr(s, " compressed /empty\n"));
	free(s);
	s = capture_list(&l, true);
	assert_non_null(strstr(s, "\"key\": \"trusted.erofs.fingerprint\", \"prefix_id\": 2"));
	assert_non_null(strstr(s, "\"fingerprint\": \"sha256:abab"));
	assert_non_null(strstr(s, "\"status\": \"none\""));
	free(s);
	erofs_ishare_list_release(&l);

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	erofs_ishare_json_string(f, "q\"b\\\n\x01\xc3\xa9\xff");
	fclose(f);
	assert_string_equal(buf, "\"q\\\"b\\\\\\u000a\\u0001\xc3\xa9\\u00ff\"");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_loaded_on_use),
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_value_codec),
		cmocka_unit_test(test_report_rule),
		cmocka_unit_test(test_report_raw_values),
		cmocka_unit_test(test_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
