// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/* test_zhints.c - the --compress-hints parser and matcher. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "erofs/zhints.h"

/* every message of one parse, joined by '\n' */
struct msgs {
	char buf[8192];
	unsigned int nr_err, nr_warn;
};

static void sink(void *priv, int level, const char *msg)
{
	struct msgs *m = priv;
	size_t n = strlen(m->buf);

	snprintf(m->buf + n, sizeof(m->buf) - n, "%s\n", msg);
	if (level == EROFS_LOG_ERR)
		m->nr_err++;
	else if (level == EROFS_LOG_WARN)
		m->nr_warn++;
}

static void log_setup(struct erofs_log *log, struct msgs *m)
{
	memset(m, 0, sizeof(*m));
	erofs_log_init(log);
	log->sink = sink;
	log->priv = m;
}

/* parse text as "h.txt" with 3 algorithms, 4 KiB blocks, -C 64 KiB */
static int parse(struct erofs_zhints **h, const char *text, struct msgs *m)
{
	struct erofs_log log;

	log_setup(&log, m);
	return erofs_zhints_parse(h, text, strlen(text), "h.txt", 3, 4096,
				  65536, &log);
}

static void assert_has(const struct msgs *m, const char *needle)
{
	if (!strstr(m->buf, needle))
		fail_msg("\"%s\" not in messages:\n%s", needle, m->buf);
}

static void test_parse_basic(void **state)
{
	static const char text[] =
		"# leading comment\n"
		"\n"
		"   \t\n"
		"  # indented comment\n"
		"16384 \\.so$\n"
		"32768\t2\t^usr/share/\n"
		"0 1 \\.(jpg|png)$\r\n"
		"8192 1 a b  \n"
		"4096 last";	/* no final newline */
	const struct erofs_zhint *z;
	struct erofs_zhints *h;
	struct msgs m;

	assert_int_equal(parse(&h, text, &m), 0);
	assert_int_equal(m.nr_err, 0);
	assert_int_equal(m.nr_warn, 0);
	assert_int_equal(erofs_zhints_count(h), 5);
	assert_int_equal(erofs_zhints_pcluster_max(h), 65536);

	z = erofs_zhints_match(h, "lib/libc.so");
	assert_non_null(z);
	assert_int_equal(z->pcluster_size, 16384);
	assert_int_equal(z->alg, 0);
	assert_int_equal(z->line, 5);

	z = erofs_zhints_match(h, "usr/share/doc/README");
	assert_non_null(z);
	assert_int_equal(z->pcluster_size, 32768);
	assert_int_equal(z->alg, 2);
	assert_int_equal(z->line, 6);

	/* CRLF: the '\r' is not part of the pattern; size 0 = uncompressed */
	z = erofs_zhints_match(h, "img/a.png");
	assert_non_null(z);
	assert_int_equal(z->pcluster_size, 0);
	assert_int_equal(z->alg, 1);
	assert_int_equal(z->line, 7);

	/* with an index, the rest of the line (blanks inside) is the
	 * pattern; trailing blanks are not */
	z = erofs_zhints_match(h, "x/a b");
	assert_non_null(z);
	assert_int_equal(z->pcluster_size, 8192);
	assert_int_equal(z->line, 8);
	assert_null(erofs_zhints_match(h, "x/ab"));

	z = erofs_zhints_match(h, "the/last");
	assert_non_null(z);
	assert_int_equal(z->line, 9);

	assert_null(erofs_zhints_match(h, "etc/passwd"));
	erofs_zhints_free(h);
}

static void test_empty(void **state)
{
	struct erofs_zhints *h;
	struct msgs m;

	assert_int_equal(parse(&h, "", &m), 0);
	assert_int_equal(erofs_zhints_count(h), 0);
	assert_null(erofs_zhints_match(h, "a"));
	erofs_zhints_free(h);
	assert_int_equal(parse(&h, "# only\n\n", &m), 0);
	assert_int_equal(erofs_zhints_count(h), 0);
	erofs_zhints_free(h);
	assert_null(erofs_zhints_match(NULL, "a"));
	erofs_zhints_free(NULL);
}

/* one bad line: -EINVAL, *out NULL, and an error naming h.txt:LINE */
static void expect_bad(const char *text, const char *where, const char *why)
{
	struct erofs_zhints *h = (void *)1;
	struct msgs m;

	assert_int_equal(parse(&h, text, &m), -EINVAL);
	assert_null(h);
	assert_has(&m, where);
	assert_has(&m, why);
}

static void test_bad_size(void **state)
{
	expect_bad("# c\n4k foo\n", "h.txt:2: ", "\"4k\" is not a number");
	expect_bad("-4096 foo\n", "h.txt:1: ", "is not a number");
	expect_bad("0x1000 foo\n", "h.txt:1: ", "is not a number");
	expect_bad("99999999999 foo\n", "h.txt:1: ", "is not a number");
	expect_bad("\n\n4097 foo\n", "h.txt:3: ",
		   "4097 is not a multiple of the block size 4096");
	expect_bad("2048 foo\n", "h.txt:1: ", "not a multiple");
	/* the kernel reads at most 1 MiB per pcluster */
	expect_bad("2097152 foo\n", "h.txt:1: ", "larger than 1048576");
	expect_bad("4096\n", "h.txt:1: ", "missing pattern");
	expect_bad("4096   \n", "h.txt:1: ", "missing pattern");
}

static void test_bad_index(void **state)
{
	/* parse() says -z gave 3 algorithms: 0..2 are valid */
	expect_bad("4096 0 a\n4096 3 foo\n", "h.txt:2: ",
		   "algorithm index 3 is out of range: -z gives 3 algorithms");
	expect_bad("4096 x foo\n", "h.txt:1: ",
		   "algorithm index \"x\" is not a number");
	expect_bad("4096 -1 foo\n", "h.txt:1: ", "is not a number");
	/* mkfs.erofs would read "a" as index 0 and match only "b" */
	expect_bad("4096 a b\n", "h.txt:1: ", "needs an explicit index");
}

static void test_no_algs(void **state)
{
	struct erofs_zhints *h;
	struct erofs_log log;
	struct msgs m;

	log_setup(&log, &m);
	assert_int_equal(erofs_zhints_parse(&h, "4096 0 foo\n", 11, "n", 0,
					    4096, 0, &log), -EINVAL);
	assert_has(&m, "n:1: algorithm index 0 is out of range: -z gives 0 algorithms");
	log_setup(&log, &m);
	assert_int_equal(erofs_zhints_parse(&h, "4096 foo\n", 9, "n", 0,
					    4096, 0, &log), 0);
	assert_has(&m, "no effect without -z");
	erofs_zhints_free(h);
}

static void test_bad_regex(void **state)
{
	expect_bad("4096 ok\n8192 (foo\n", "h.txt:2: ",
		   "invalid regular expression \"(foo\"");
	expect_bad("4096 1 a[\n", "h.txt:1: ", "invalid regular expression");
}

static void test_all_errors_reported(void **state)
{
	struct erofs_zhints *h;
	struct msgs m;

	assert_int_equal(parse(&h, "x a\n4096 ok\n4097 b\n4096 ( \n", &m),
			 -EINVAL);
	assert_has(&m, "h.txt:1: ");
	assert_has(&m, "h.txt:3: ");
	assert_has(&m, "h.txt:4: ");
	assert_has(&m, "h.txt: 3 invalid lines");
	assert_int_equal(m.nr_err, 4);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "4096 a\0b\n";
	struct erofs_zhints *h;
	struct erofs_log log;
	struct msgs m;

	log_setup(&log, &m);
	assert_int_equal(erofs_zhints_parse(&h, text, sizeof(text) - 1, "z",
					    1, 4096, 0, &log), -EINVAL);
	assert_has(&m, "z:1: line contains a NUL byte");
}

static void test_first_match_wins(void **state)
{
	const struct erofs_zhint *z;
	struct erofs_zhints *h;
	struct msgs m;

	assert_int_equal(parse(&h, "8192 1 ^bin/sh$\n"
				   "16384 2 ^bin/\n"
				   "32768 .*\n", &m), 0);
	z = erofs_zhints_match(h, "bin/sh");
	assert_int_equal(z->pcluster_size, 8192);
	assert_int_equal(z->alg, 1);
	z = erofs_zhints_match(h, "bin/bash");
	assert_int_equal(z->pcluster_size, 16384);
	assert_int_equal(z->alg, 2);
	z = erofs_zhints_match(h, "etc/hosts");
	assert_int_equal(z->pcluster_size, 32768);
	assert_int_equal(z->alg, 0);
	erofs_zhints_free(h);

	/* a catch-all first hides everything after it */
	assert_int_equal(parse(&h, "4096 .\n8192 ^bin/sh$\n", &m), 0);
	assert_int_equal(erofs_zhints_match(h, "bin/sh")->pcluster_size, 4096);
	erofs_zhints_free(h);
}

static void test_relative_paths(void **state)
{
	const struct erofs_zhint *z;
	struct erofs_zhints *h;
	struct msgs m;

	assert_int_equal(parse(&h, "8192 ^usr/lib/.*\\.so(\\.[0-9]+)*$\n"
				   "16384 ^bin/\n"
				   "32768 (^|/)README$\n", &m), 0);
	z = erofs_zhints_match(h, "usr/lib/libz.so.1.3");
	assert_non_null(z);
	assert_int_equal(z->pcluster_size, 8192);
	assert_null(erofs_zhints_match(h, "usr/lib/libz.so.1.3.txt"));
	/* paths are relative, without a leading '/' */
	assert_null(erofs_zhints_match(h, "/usr/lib/libz.so"));
	assert_null(erofs_zhints_match(h, "opt/usr/lib/libz.so"));
	assert_int_equal(erofs_zhints_match(h, "bin/ls")->pcluster_size, 16384);
	assert_null(erofs_zhints_match(h, "usr/bin/ls"));
	assert_int_equal(erofs_zhints_match(h, "README")->pcluster_size, 32768);
	assert_int_equal(erofs_zhints_match(h, "doc/README")->pcluster_size,
			 32768);
	assert_null(erofs_zhints_match(h, "doc/README.md"));
	/* unanchored patterns match anywhere, as regexec does */
	erofs_zhints_free(h);
	assert_int_equal(parse(&h, "8192 lib\n", &m), 0);
	assert_non_null(erofs_zhints_match(h, "usr/lib64/x"));
	erofs_zhints_free(h);
}

static void test_raise_max(void **state)
{
	struct erofs_zhints *h;
	struct erofs_log log;
	struct msgs m;

	/* like mkfs.erofs: a rule above -C raises the maximum */
	assert_int_equal(parse(&h, "4096 a\n262144 b\n131072 c\n", &m), 0);
	assert_int_equal(erofs_zhints_pcluster_max(h), 262144);
	assert_int_equal(m.nr_warn, 1);
	assert_has(&m, "h.txt:2: pcluster size 262144 exceeds -C 65536");
	erofs_zhints_free(h);

	/* -C 0 means one block */
	log_setup(&log, &m);
	assert_int_equal(erofs_zhints_parse(&h, "0 a\n", 4, "n", 1, 4096, 0,
					    &log), 0);
	assert_int_equal(erofs_zhints_pcluster_max(h), 4096);
	assert_int_equal(m.nr_warn, 0);
	erofs_zhints_free(h);

	/* 512-byte blocks: 2047 blocks is the CBLKCNT limit */
	log_setup(&log, &m);
	assert_int_equal(erofs_zhints_parse(&h, "1048064 a\n", 10, "n", 1,
					    512, 0, &log), 0);
	erofs_zhints_free(h);
	log_setup(&log, &m);
	assert_int_equal(erofs_zhints_parse(&h, "1048576 a\n", 10, "n", 1,
					    512, 0, &log), -EINVAL);
	assert_has(&m, "larger than 1048064");

	log_setup(&log, &m);
	assert_int_equal(erofs_zhints_parse(&h, "", 0, "n", 1, 3000, 0,
					    &log), -EINVAL);
	assert_has(&m, "invalid block size 3000");
}

static void test_load(void **state)
{
	char path[] = "/tmp/zhints-XXXXXX";
	static const char text[] = "# x\n16384 1 \\.txt$\n";
	struct erofs_zhints *h;
	struct erofs_log log;
	struct msgs m;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);
	log_setup(&log, &m);
	assert_int_equal(erofs_zhints_load(&h, path, 2, 4096, 0, &log), 0);
	assert_int_equal(erofs_zhints_match(h, "a.txt")->alg, 1);
	erofs_zhints_free(h);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "4096 2 a\n", 9), 9);
	close(fd);
	log_setup(&log, &m);
	assert_int_equal(erofs_zhints_load(&h, path, 2, 4096, 0, &log),
			 -EINVAL);
	assert_null(h);
	assert_true(strncmp(m.buf, path, strlen(path)) == 0);
	assert_has(&m, ":1: algorithm index 2 is out of range");
	unlink(path);

	log_setup(&log, &m);
	assert_int_equal(erofs_zhints_load(&h, path, 2, 4096, 0, &log),
			 -ENOENT);
	assert_null(h);
	assert_has(&m, "cannot open compress hints");
	assert_has(&m, path);
}

struct match_arg {
	const struct erofs_zhints *h;
	int bad;
};

static void *match_thread(void *p)
{
	struct match_arg *a = p;
	char name[64];
	int i;

	for (i = 0; i < 20000; i++) {
		const struct erofs_zhint *z;
		unsigned int want;

		snprintf(name, sizeof(name), "d%d/f%d.%s", i % 7, i,
			 i % 3 == 0 ? "so" : i % 3 == 1 ? "txt" : "bin");
		want = i % 3 == 0 ? 8192 : i % 3 == 1 ? 16384 : 0;
		z = erofs_zhints_match(a->h, name);
		if (want ? (!z || z->pcluster_size != want) : z != NULL)
			a->bad++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct match_arg args[4];
	pthread_t t[4];
	struct erofs_zhints *h;
	struct msgs m;
	int i;

	assert_int_equal(parse(&h, "8192 ^d[0-9]+/f[0-9]+\\.so$\n"
				   "16384 \\.txt$\n", &m), 0);
	for (i = 0; i < 4; i++) {
		args[i].h = h;
		args[i].bad = 0;
		assert_int_equal(pthread_create(&t[i], NULL, match_thread,
						&args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(args[i].bad, 0);
	}
	erofs_zhints_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_bad_size),
		cmocka_unit_test(test_bad_index),
		cmocka_unit_test(test_no_algs),
		cmocka_unit_test(test_bad_regex),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_raise_max),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
