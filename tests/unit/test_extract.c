// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_extract.c - the extractor on the hand-made image, alone (its own
 * walk) and in one pass with the check: the same tree, hard link as a
 * link, the chunk file's hole as zeros.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "erofs/extract.h"
#include "reader_img.h"

static unsigned char img_buf[TIMG_SIZE];
static char tmpdir[64];

static void read_file(const char *path, unsigned char *buf, size_t len)
{
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
}

static void verify_tree(const char *dir)
{
	static unsigned char buf[TIMG_F_SIZE];
	char p1[128], p2[128], link[16];
	struct stat s1, s2;
	size_t i;
	ssize_t n;

	snprintf(p1, sizeof(p1), "%s/f", dir);
	snprintf(p2, sizeof(p2), "%s/d/x", dir);
	assert_int_equal(stat(p1, &s1), 0);
	assert_int_equal(stat(p2, &s2), 0);
	/* two names, one file: the second is a link to the first */
	assert_true(s1.st_ino == s2.st_ino);
	assert_int_equal(s1.st_nlink, 2);
	assert_int_equal(s1.st_size, TIMG_F_SIZE);
	assert_int_equal(s1.st_mode & 07777, 0644);
	read_file(p1, buf, TIMG_F_SIZE);
	for (i = 0; i < TIMG_F_SIZE; i++)
		assert_int_equal(buf[i], timg_f_byte(i));
	snprintf(p1, sizeof(p1), "%s/l", dir);
	n = readlink(p1, link, sizeof(link));
	assert_int_equal(n, 6);
	assert_memory_equal(link, "target", 6);
	snprintf(p1, sizeof(p1), "%s/c", dir);
	assert_int_equal(stat(p1, &s1), 0);
	assert_int_equal(s1.st_size, 12288);
	read_file(p1, buf, 4096);
	{
		static unsigned char hole[4096];
		FILE *f = fopen(p1, "rb");

		assert_non_null(f);
		assert_int_equal(fseek(f, 4096, SEEK_SET), 0);
		assert_int_equal(fread(buf, 1, 4096, f), 4096);
		fclose(f);
		assert_memory_equal(buf, hole, 4096);
	}
}

static void test_extract(void **state)
{
	struct erofs_extract_params p;
	struct erofs_check_params cp;
	struct erofs_check_stats st, est;
	struct erofs_extractor *x;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;
	char dir[96];

	(void)state;
	timg_build(img_buf);
	timg_fix_crc(img_buf);
	erofs_log_init(&log);
	assert_int_equal(erofs_io_open_mem(&io, img_buf, TIMG_SIZE, false), 0);
	assert_int_equal(erofs_image_open(&img, &io, &log, 0), 0);

	erofs_extract_params_init(&p);
	p.xattrs = false;
	snprintf(dir, sizeof(dir), "%s/alone", tmpdir);
	p.dir = dir;
	assert_int_equal(erofs_extract(&img, &p, &est), 0);
	assert_int_equal(est.errors, 0);
	verify_tree(dir);

	snprintf(dir, sizeof(dir), "%s/onepass", tmpdir);
	assert_int_equal(erofs_extractor_new(&x, &img, &p, &est), 0);
	erofs_check_params_init(&cp);
	assert_int_equal(erofs_extractor_check(x, &cp, &st), 0);
	erofs_extractor_free(x);
	assert_int_equal(st.errors, 0);
	assert_int_equal(est.errors, 0);
	assert_int_equal(st.files, 2);
	verify_tree(dir);

	erofs_image_release(&img);
	erofs_io_close(&io);
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/erofs-test-extract-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
