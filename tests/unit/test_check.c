// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_check.c - the check engine reports WHICH rule a mutated image
 * breaks: each case mutates the hand-made image and asserts the code.
 * And out of memory at any allocation fails the check, never a report
 * that lost its path (malloc, calloc and realloc are wrapped here).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
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

static int cv_file_begin(void *priv, struct erofs_verify_file *f)
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
static void run_verifier(const struct erofs_verifier_ops *ops, unsigned int workers)
{
	struct copy_verifier cv = { 0 };
	struct erofs_verifier v = { ops, &cv };
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
	p.workers = workers;
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

static void test_verifier(void **state)
{
	run_verifier(&cv_ops, 0);
}

/*
 * With workers the engine decodes ahead on copies of the image; a serial
 * verifier still gets every call from the walk, in order
 */
static void test_verifier_workers(void **state)
{
	run_verifier(&cv_ops, 3);
}

/* the same verifier, keeping a file's copy in f->state */
struct pv_file {
	unsigned char data[16384];
	uint64_t next;
};

static int pv_file_begin(void *priv, struct erofs_verify_file *f)
{
	struct copy_verifier *v = priv;
	struct pv_file *pf = malloc(sizeof(*pf));

	__atomic_fetch_add(&v->begun, 1, __ATOMIC_RELAXED);
	f->state = pf;
	if (!pf)
		return -ENOMEM;
	pf->next = 0;
	memset(pf->data, 0xee, sizeof(pf->data));
	return 0;
}

static int pv_file_data(void *priv, const struct erofs_verify_file *f,
			uint64_t off, const void *buf, size_t len)
{
	struct copy_verifier *v = priv;
	struct pv_file *pf = f->state;

	assert_true(off == pf->next);
	assert_true(off + len <= f->inode->size);
	if (buf) {
		memcpy(pf->data + off, buf, len);
	} else {
		memset(pf->data + off, 0, len);
		v->saw_hole = true;
	}
	pf->next = off + len;
	return 0;
}

static int pv_file_end(void *priv, const struct erofs_verify_file *f, int err)
{
	struct copy_verifier *v = priv;
	struct pv_file *pf = f->state;
	size_t i;

	v->ended++;
	assert_int_equal(err, 0);
	assert_true(pf->next == f->inode->size);
	if (f->inode->nid == TIMG_F) {
		assert_string_equal(f->path, "/d/x");
		for (i = 0; i < TIMG_F_SIZE; i++)
			assert_int_equal(pf->data[i], timg_f_byte(i));
	}
	free(pf);
	v->files_ok++;
	f->sink->report(f->sink, EROFS_PROB_ISHARE_EMPTY, "row %u",
			v->files_ok);
	return 0;
}

static void pv_file_abort(void *priv, const struct erofs_verify_file *f)
{
	free(f->state);
}

static const struct erofs_verifier_ops pv_ops = {
	.name = "copy-parallel",
	.begin = cv_begin,
	.file_begin = pv_file_begin,
	.file_data = pv_file_data,
	.file_end = pv_file_end,
	.file_abort = pv_file_abort,
	.parallel = true,
};

/* a parallel verifier gets file_begin/file_data in the workers */
static void test_verifier_parallel(void **state)
{
	run_verifier(&pv_ops, 0);
	run_verifier(&pv_ops, 3);
}


/* ---- allocation failures ---- */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

/* allocations counted while armed; number fail_at (from 1) fails */
static bool alloc_armed;
static unsigned long alloc_n, alloc_fail_at;

static bool alloc_fails(void)
{
	return alloc_armed && ++alloc_n == alloc_fail_at;
}

void *__wrap_malloc(size_t n)
{
	return alloc_fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return alloc_fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return alloc_fails() ? NULL : __real_realloc(p, n);
}

struct report_log {
	char text[4096];
};

static void log_report(void *priv, const struct erofs_problem_report *r)
{
	struct report_log *l = priv;
	size_t n = strlen(l->text);

	snprintf(l->text + n, sizeof(l->text) - n, "%s %s|", r->info->name,
		 r->path ? r->path : "(null)");
}

/* the check of img_buf with allocation fail_at failing (0: none) */
static int check_failing(unsigned long fail_at, struct report_log *l)
{
	struct erofs_check_params p;
	struct erofs_check_stats st;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;
	int ret;

	erofs_log_init(&log);
	assert_int_equal(erofs_io_open_mem(&io, img_buf, TIMG_SIZE, false), 0);
	assert_int_equal(erofs_image_open(&img, &io, &log, 0), 0);
	erofs_check_params_init(&p);
	p.report = log_report;
	p.report_priv = l;
	memset(l, 0, sizeof(*l));
	alloc_n = 0;
	alloc_fail_at = fail_at;
	alloc_armed = true;
	ret = erofs_check_image(&img, &p, &st);
	alloc_armed = false;
	erofs_image_release(&img);
	erofs_io_close(&io);
	return ret;
}

/*
 * Reports named after the walk (link counts, overlaps) put the path
 * together then, which allocates: failing there once printed the row
 * without its path and passed the check.  Every allocation of the check
 * of an image with both link-count problems fails in turn: the check
 * either fails with -ENOMEM or reports exactly what it does normally.
 */
static void test_alloc_failures(void **state)
{
	struct report_log clean, l;
	unsigned long i, total;
	int ret;

	(void)state;
	timg_build(img_buf);
	timg_put16(img_buf + 1280 + 6, 3);	/* f: nlink 3, two names */
	timg_put16(img_buf + 1152 + 6, 5);	/* root: nlink 5 */
	timg_fix_crc(img_buf);
	assert_int_equal(check_failing(0, &clean), 0);
	total = alloc_n;
	assert_non_null(strstr(clean.text, "W_NLINK /f|") ?
			strstr(clean.text, "W_NLINK /f|") :
			strstr(clean.text, "W_NLINK /d/x|"));
	assert_non_null(strstr(clean.text, "DIR_NLINK /|"));
	for (i = 1; i <= total; i++) {
		ret = check_failing(i, &l);
		if (ret == -ENOMEM)
			continue;
		assert_int_equal(ret, 0);
		if (strcmp(l.text, clean.text))
			fail_msg("allocation %lu of %lu failed: \"%s\", normally \"%s\"",
				 i, total, l.text, clean.text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_subtree),
		cmocka_unit_test(test_verifier),
		cmocka_unit_test(test_verifier_workers),
		cmocka_unit_test(test_verifier_parallel),
		cmocka_unit_test(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
