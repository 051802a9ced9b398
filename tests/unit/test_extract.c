// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_extract.c - the extractor on the hand-made image, alone (its own
 * walk) and in one pass with the check: the same tree, hard link as a
 * link, the chunk file's hole as zeros.  With workers, the files they
 * write ahead into unnamed files reach their names however linking goes
 * (openat, linkat and the walk's take are wrapped: -Wl,--wrap).  On a
 * target that folds names (casefold, vfat; fstatat and unlinkat wrapped
 * too), two names of one listing that are one name there.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "erofs/extract.h"
#include "reader_img.h"

/* ---- the syscalls the extractor makes files with, failing on demand ---- */
static int fail_tmpfile;	/* O_TMPFILE opens but the probe: EMFILE */
static int fail_link;		/* 1: AT_EMPTY_PATH refused, 2: no link at all */
static int nr_tmpfile, nr_linked;
static bool slow_walk;
/* a target where "f" and "c" are one name (case folding, say) */
static bool fold_names;

static const char *fold(const char *path)
{
	return fold_names && !strcmp(path, "f") ? "c" : path;
}

int __real_openat(int dfd, const char *path, int flags, ...);
int __wrap_openat(int dfd, const char *path, int flags, ...);
int __wrap_openat(int dfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if ((flags & O_TMPFILE) == O_TMPFILE &&
	    __atomic_fetch_add(&nr_tmpfile, 1, __ATOMIC_RELAXED) &&
	    fail_tmpfile) {
		errno = EMFILE;
		return -1;
	}
	return __real_openat(dfd, fold(path), flags, mode);
}

int __real_linkat(int odfd, const char *old, int ndfd, const char *new,
		  int flags);
int __wrap_linkat(int odfd, const char *old, int ndfd, const char *new,
		  int flags);
int __wrap_linkat(int odfd, const char *old, int ndfd, const char *new,
		  int flags)
{
	if (fail_link && (flags & AT_EMPTY_PATH)) {
		errno = ENOENT;
		return -1;
	}
	if (fail_link == 2 && (flags & AT_SYMLINK_FOLLOW)) {
		errno = EXDEV;
		return -1;
	}
	if (flags & (AT_EMPTY_PATH | AT_SYMLINK_FOLLOW))
		nr_linked++;
	return __real_linkat(odfd, fold(old), ndfd, fold(new), flags);
}

int __real_fstatat(int dfd, const char *path, struct stat *st, int flags);
int __wrap_fstatat(int dfd, const char *path, struct stat *st, int flags);
int __wrap_fstatat(int dfd, const char *path, struct stat *st, int flags)
{
	return __real_fstatat(dfd, fold(path), st, flags);
}

int __real_unlinkat(int dfd, const char *path, int flags);
int __wrap_unlinkat(int dfd, const char *path, int flags);
int __wrap_unlinkat(int dfd, const char *path, int flags)
{
	return __real_unlinkat(dfd, fold(path), flags);
}

/* the walk takes its time: the workers have done every file by then */
struct erofs_ahead;
struct erofs_ahead_job;
struct erofs_ahead_job *__real_erofs_ahead_take(struct erofs_ahead *a,
						erofs_nid_t nid);
struct erofs_ahead_job *__wrap_erofs_ahead_take(struct erofs_ahead *a,
						erofs_nid_t nid);
struct erofs_ahead_job *__wrap_erofs_ahead_take(struct erofs_ahead *a,
						erofs_nid_t nid)
{
	if (slow_walk)
		usleep(200000);
	return __real_erofs_ahead_take(a, nid);
}

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

/* the hand-made image, opened from memory */
static void timg_open(struct erofs_io *io, struct erofs_image *img,
		      struct erofs_log *log)
{
	timg_build(img_buf);
	timg_fix_crc(img_buf);
	erofs_log_init(log);
	assert_int_equal(erofs_io_open_mem(io, img_buf, TIMG_SIZE, false), 0);
	assert_int_equal(erofs_image_open(img, io, log, 0), 0);
}

/* check and extract in one pass into tmpdir/NAME: a clean, whole tree */
static void extract_checked(struct erofs_image *img,
			    struct erofs_extract_params *p, const char *name,
			    unsigned int workers)
{
	struct erofs_check_params cp;
	struct erofs_check_stats st, est;
	struct erofs_extractor *x;
	char dir[96];

	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	p->dir = dir;
	assert_int_equal(erofs_extractor_new(&x, img, p, &est), 0);
	erofs_check_params_init(&cp);
	cp.workers = workers;
	assert_int_equal(erofs_extractor_check(x, &cp, &st), 0);
	erofs_extractor_free(x);
	assert_int_equal(st.errors, 0);
	assert_int_equal(est.errors, 0);
	assert_int_equal(st.files, 2);
	verify_tree(dir);
}

static void test_extract(void **state)
{
	struct erofs_extract_params p;
	struct erofs_check_stats est;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;
	char dir[96];

	(void)state;
	timg_open(&io, &img, &log);
	erofs_extract_params_init(&p);
	p.xattrs = false;
	snprintf(dir, sizeof(dir), "%s/alone", tmpdir);
	p.dir = dir;
	assert_int_equal(erofs_extract(&img, &p, &est), 0);
	assert_int_equal(est.errors, 0);
	verify_tree(dir);

	extract_checked(&img, &p, "onepass", 1);
	erofs_image_release(&img);
	erofs_io_close(&io);
}

/* check and extract with two workers into tmpdir/NAME, as the test says */
static void extract_workers(const char *name, bool serial)
{
	struct erofs_extract_params p;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;

	timg_open(&io, &img, &log);
	erofs_extract_params_init(&p);
	p.xattrs = false;
	p.serial = serial;
	nr_tmpfile = nr_linked = 0;
	slow_walk = true;
	extract_checked(&img, &p, name, 2);
	slow_walk = false;
	erofs_image_release(&img);
	erofs_io_close(&io);
}

static void test_extract_workers(void **state)
{
	(void)state;
	/* the probe, then one unnamed file for each of the two files */
	extract_workers("w2", false);
	assert_int_equal(nr_tmpfile, 3);
	assert_int_equal(nr_linked, 2);
	/* a target without O_TMPFILE: the walk writes, as with one worker
	 * (the probe of what a new file gets is made anyway) */
	extract_workers("w2serial", true);
	assert_int_equal(nr_tmpfile, 1);
	assert_int_equal(nr_linked, 0);
}

static void test_extract_fallbacks(void **state)
{
	(void)state;
	/* no unnamed file for the workers: the walk writes the files */
	fail_tmpfile = 1;
	extract_workers("notmp", false);
	fail_tmpfile = 0;
	assert_int_equal(nr_linked, 0);
	/* linkat(AT_EMPTY_PATH) refused (no CAP_DAC_READ_SEARCH): /proc */
	fail_link = 1;
	extract_workers("proc", false);
	assert_int_equal(nr_linked, 2);
	/* no link at all (no /proc, say): the walk writes them */
	fail_link = 2;
	extract_workers("copy", false);
	fail_link = 0;
	assert_int_equal(nr_tmpfile, 3);
	assert_int_equal(nr_linked, 0);
}

/*
 * Extract (with the check unless workers is 0) into tmpdir/NAME, a fresh
 * directory, where "f" and "c" are one name: the root's listing (c, d,
 * f, l) has no two equal names, so no lookup is made before each entry,
 * yet "f" finds "c" in its way.  "f" is the second name of the file
 * written first at d/x (a hard link), so this is the link's way; t089
 * has the others (files, symlinks, two names of one file), through an
 * LD_PRELOAD shim.  It must be as if a lookup had been made: "f"
 * replaces "c" with --overwrite, and is refused (one error) without.
 */
static void extract_folding(const char *name, unsigned int workers,
			    bool overwrite)
{
	static unsigned char buf[TIMG_F_SIZE];
	struct erofs_check_params cp;
	struct erofs_check_stats st, est;
	struct erofs_extract_params p;
	struct erofs_extractor *x;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;
	struct stat s1, s2;
	char dir[96], p1[128], p2[128];
	size_t i;

	timg_open(&io, &img, &log);
	erofs_extract_params_init(&p);
	p.xattrs = false;
	p.overwrite = overwrite;
	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	p.dir = dir;
	fold_names = true;
	if (!workers) {
		/* no check: the walk writes the files from the image */
		memset(&st, 0, sizeof(st));
		assert_int_equal(erofs_extract(&img, &p, &est), 0);
	} else {
		assert_int_equal(erofs_extractor_new(&x, &img, &p, &est), 0);
		erofs_check_params_init(&cp);
		cp.workers = workers;
		assert_int_equal(erofs_extractor_check(x, &cp, &st), 0);
		erofs_extractor_free(x);
	}
	fold_names = false;
	erofs_image_release(&img);
	erofs_io_close(&io);
	assert_int_equal(st.errors, 0);
	assert_int_equal(est.errors, overwrite ? 0 : 1);

	/* "f" is stored as "c" here; d/x is its first name */
	snprintf(p1, sizeof(p1), "%s/c", dir);
	snprintf(p2, sizeof(p2), "%s/d/x", dir);
	assert_int_equal(stat(p1, &s1), 0);
	assert_int_equal(stat(p2, &s2), 0);
	assert_int_equal(s2.st_size, TIMG_F_SIZE);
	read_file(p2, buf, TIMG_F_SIZE);
	for (i = 0; i < TIMG_F_SIZE; i++)
		assert_int_equal(buf[i], timg_f_byte(i));
	if (overwrite) {
		assert_true(s1.st_ino == s2.st_ino);
		assert_int_equal(s1.st_nlink, 2);
	} else {
		/* the chunk file stays */
		assert_int_equal(s1.st_size, 12288);
		assert_int_equal(s2.st_nlink, 1);
	}
}

static void test_extract_folding(void **state)
{
	(void)state;
	extract_folding("fold0", 0, true);
	extract_folding("fold0x", 0, false);
	extract_folding("fold1", 1, true);
	extract_folding("fold1x", 1, false);
	slow_walk = true;
	extract_folding("fold2", 2, true);
	extract_folding("fold2x", 2, false);
	slow_walk = false;
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
		cmocka_unit_test(test_extract_workers),
		cmocka_unit_test(test_extract_fallbacks),
		cmocka_unit_test(test_extract_folding),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
