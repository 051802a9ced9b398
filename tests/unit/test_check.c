// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_check.c - the check engine reports WHICH rule a mutated image
 * breaks: each case mutates the hand-made image and asserts the code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "erofs/check.h"
#include "reader_img.h"

static unsigned char img_buf[TIMG_SIZE];

static void on_report(void *priv, const struct erofs_problem_report *r)
{
	(void)priv;
	(void)r;
}

/* run the check; return the stats (counts per code) */
static void run_check(struct erofs_check_stats *st)
{
	struct erofs_check_params p;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;

	timg_fix_crc(img_buf);
	erofs_log_init(&log);
	assert_int_equal(erofs_io_open_mem(&io, img_buf, TIMG_SIZE, false), 0);
	assert_int_equal(erofs_image_open(&img, &io, &log, 0), 0);
	erofs_check_params_init(&p);
	p.report = on_report;
	assert_int_equal(erofs_check_image(&img, &p, st), 0);
	erofs_image_release(&img);
	erofs_io_close(&io);
}

static void expect_code(unsigned int code)
{
	struct erofs_check_stats st;

	run_check(&st);
	if (!st.counts[code])
		fail_msg("expected %s", erofs_problem_lookup(code)->name);
	timg_build(img_buf);
}

static void test_clean(void **state)
{
	struct erofs_check_stats st;
	unsigned int i;

	timg_build(img_buf);
	run_check(&st);
	for (i = 0; i < EROFS_PROB_MAX; i++)
		if (st.counts[i])
			fail_msg("clean image reports %s",
				 erofs_problem_lookup(i)->name);
	assert_int_equal(st.inodes, 5);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.dirs, 2);
	assert_int_equal(st.symlinks, 1);
	assert_int_equal(st.logical_bytes, TIMG_F_SIZE + 3 * TIMG_BS);
}

static void test_codes(void **state)
{
	unsigned char *root = img_buf + TIMG_ROOT_DATA;

	timg_build(img_buf);
	/* swap the names "c" and "d" (same length): unsorted */
	root[72 + 3] = 'd';
	root[72 + 4] = 'c';
	expect_code(EROFS_PROB_DIR_UNSORTED);
	/* "d" renamed "c": a duplicate */
	root[72 + 4] = 'c';
	expect_code(EROFS_PROB_DIR_DUPLICATE);
	/* d/.. pointing at d itself */
	timg_put64(img_buf + TIMG_D_DATA + 12, TIMG_D);
	expect_code(EROFS_PROB_DIR_DOTDOT);
	/* "." of d pointing at root */
	timg_put64(img_buf + TIMG_D_DATA, TIMG_ROOT);
	expect_code(EROFS_PROB_DIR_DOT);
	/* d/x pointing back at the root: a cycle */
	timg_put64(img_buf + TIMG_D_DATA + 24, TIMG_ROOT);
	img_buf[TIMG_D_DATA + 24 + 10] = EROFS_FT_DIR;
	expect_code(EROFS_PROB_DIR_LOOP);
	/* f with nlink 3 but two names */
	timg_put16(img_buf + 1280 + 6, 3);
	expect_code(EROFS_PROB_NLINK);
	/* root nlink 5 with one subdirectory */
	timg_put16(img_buf + 1152 + 6, 5);
	expect_code(EROFS_PROB_DIR_NLINK);
	/* the dirent says symlink, the inode is a file */
	root[12 * 4 + 10] = EROFS_FT_SYMLINK;
	expect_code(EROFS_PROB_DIR_FTYPE);
	/* a name with a slash */
	img_buf[TIMG_D_DATA + 36 + 3] = '/';
	expect_code(EROFS_PROB_DIR_BADNAME);
	/* f's data on top of the inode block: overlap */
	timg_put32(img_buf + 1280 + 16, 0);
	expect_code(EROFS_PROB_DATA_OVERLAP);
	/* f's data past the end of the image */
	timg_put32(img_buf + 1280 + 16, 5);
	expect_code(EROFS_PROB_DATA_RANGE);
	/* xattr shared count past the area */
	img_buf[1280 + 32 + 4] = 30;
	expect_code(EROFS_PROB_XATTR_SHARED_COUNT);
	/* unknown short prefix index */
	img_buf[1280 + 32 + 16 + 1] = 9;
	expect_code(EROFS_PROB_XATTR_PREFIX);
	/* garbage after the last name of a directory block */
	img_buf[TIMG_D_DATA + 100] = 1;
	timg_put16(img_buf + 1504 + 8, 200);
	expect_code(EROFS_PROB_DIR_TAIL);
	/* a stray byte past d's i_size in its on-disk block */
	img_buf[TIMG_D_DATA + 41] = 'x';
	expect_code(EROFS_PROB_DIR_BLOCK_TAIL);
	/* reserved bytes of an inode */
	img_buf[1280 + 28] = 1;
	expect_code(EROFS_PROB_INODE_RESERVED);
	/* inode count */
	timg_put64(img_buf + 1024 + 16, 9);
	expect_code(EROFS_PROB_SB_INOS);
	/* blocks beyond the image */
	timg_put32(img_buf + 1024 + 36, 100);
	expect_code(EROFS_PROB_IMAGE_TRUNCATED);
	/* a symlink of size 0 */
	timg_put32(img_buf + 1440 + 8, 0);
	expect_code(EROFS_PROB_SYMLINK_SIZE);
	/* an unreadable child inode: nid past the image */
	timg_put64(root + 12 * 2, 900000);
	expect_code(EROFS_PROB_INODE_RANGE);
}

static void test_subtree(void **state)
{
	struct erofs_check_params p;
	struct erofs_check_stats st;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;

	timg_build(img_buf);
	erofs_log_init(&log);
	erofs_io_open_mem(&io, img_buf, TIMG_SIZE, false);
	assert_int_equal(erofs_image_open(&img, &io, &log, 0), 0);
	erofs_check_params_init(&p);
	p.start_path = "/d";
	assert_int_equal(erofs_check_image(&img, &p, &st), 0);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.inodes, 2);
	p.start_path = "/nope";
	assert_int_equal(erofs_check_image(&img, &p, &st), -ENOENT);
	p.start_path = NULL;
	p.has_start_nid = true;
	p.start_nid = TIMG_D;
	assert_int_equal(erofs_check_image(&img, &p, &st), 0);
	assert_int_equal(st.errors, 0);
	erofs_image_release(&img);
	erofs_io_close(&io);
}

/* a verifier that copies each file and reports one row per file */
struct copy_verifier {
	unsigned int begun, ended, files_ok;
	unsigned char data[16384];
	uint64_t next;
	bool saw_hole;
};

static int cv_begin(void *priv, struct erofs_image *img, bool whole,
		    const struct erofs_verify_sink *sink)
{
	assert_true(whole);
	return 0;
}

static int cv_file_begin(void *priv, const struct erofs_verify_file *f)
{
	struct copy_verifier *v = priv;

	v->begun++;
	v->next = 0;
	memset(v->data, 0xee, sizeof(v->data));
	return 0;
}

static int cv_file_data(void *priv, const struct erofs_verify_file *f,
			uint64_t off, const void *buf, size_t len)
{
	struct copy_verifier *v = priv;

	/* in order, without gaps, never past i_size */
	assert_true(off == v->next);
	assert_true(off + len <= f->inode->size);
	if (buf)
		memcpy(v->data + off, buf, len);
	else {
		memset(v->data + off, 0, len);
		v->saw_hole = true;
	}
	v->next = off + len;
	return 0;
}

static int cv_file_end(void *priv, const struct erofs_verify_file *f, int err)
{
	struct copy_verifier *v = priv;
	size_t i;

	v->ended++;
	assert_int_equal(err, 0);
	assert_true(v->next == f->inode->size);
	if (f->inode->nid == TIMG_F) {
		assert_string_equal(f->path, "/d/x");
		for (i = 0; i < TIMG_F_SIZE; i++)
			assert_int_equal(v->data[i], timg_f_byte(i));
	}
	v->files_ok++;
	f->sink->report(f->sink, EROFS_PROB_ISHARE_EMPTY, "row %u",
			v->files_ok);
	return 0;
}

static const struct erofs_verifier_ops cv_ops = {
	.name = "copy",
	.begin = cv_begin,
	.file_begin = cv_file_begin,
	.file_data = cv_file_data,
	.file_end = cv_file_end,
};

/* verifiers get every regular file once, with the data the check decodes */
static void test_verifier(void **state)
{
	struct copy_verifier cv = { 0 };
	struct erofs_verifier v = { &cv_ops, &cv };
	struct erofs_check_params p;
	struct erofs_check_stats st;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;

	timg_build(img_buf);
	timg_fix_crc(img_buf);
	erofs_log_init(&log);
	erofs_io_open_mem(&io, img_buf, TIMG_SIZE, false);
	assert_int_equal(erofs_image_open(&img, &io, &log, 0), 0);
	erofs_check_params_init(&p);
	p.verifiers = &v;
	p.nr_verifiers = 1;
	assert_int_equal(erofs_check_image(&img, &p, &st), 0);
	/* /c (chunk-based, with a hole) and /f (two names, once) */
	assert_int_equal(cv.begun, 2);
	assert_int_equal(cv.ended, 2);
	assert_true(cv.saw_hole);
	/* its rows are the engine's: counted with the table's severity */
	assert_int_equal(st.counts[EROFS_PROB_ISHARE_EMPTY], 2);
	assert_int_equal(st.warnings, 2);
	assert_int_equal(st.errors, 0);
	erofs_image_release(&img);
	erofs_io_close(&io);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_subtree),
		cmocka_unit_test(test_verifier),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
