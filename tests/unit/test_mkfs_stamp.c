// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_mkfs_stamp.c - mkfs's build time, mtime and UUID rules, and its
 * output files (created, truncated, removed on failure, never a device).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "erofs/mkfs_output.h"
#include "erofs/mkfs_stamp.h"

struct times {
	int ret;
	int64_t build, stamp;
	bool all, clamp, fixed;
};

static struct times run(bool has_T, int64_t T, enum erofs_stamp_mtime m,
			const char *sde)
{
	struct erofs_mkfs_stamp s = { .has_T = has_T, .T = T, .mtime = m };
	struct erofs_import_params imp;
	struct erofs_mkfs_params mk;
	struct erofs_log log;
	struct times r;

	erofs_log_init(&log);
	log.level = -1;		/* the bad-SDE case logs */
	erofs_import_params_init(&imp);
	erofs_mkfs_params_init(&mk);
	mk.log = imp.log = &log;
	r.ret = erofs_mkfs_stamp_times(&s, sde, 5000, &imp, &mk);
	r.build = mk.build_time;
	r.stamp = imp.timestamp;
	r.all = imp.all_time;
	r.clamp = imp.clamp_mtime;
	r.fixed = s.fixed_time;
	return r;
}

static void test_times(void **state)
{
	struct times r;

	/* nothing: now, mtimes kept, not reproducible */
	r = run(false, 0, EROFS_STAMP_MTIME_DEFAULT, NULL);
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.build, 5000);
	assert_int_equal(r.stamp, 5000);
	assert_false(r.all || r.clamp || r.fixed);
	/* --all-time alone: every file gets now */
	r = run(false, 0, EROFS_STAMP_MTIME_ALL, NULL);
	assert_true(r.all && !r.clamp && !r.fixed);
	/* -T: every file gets T, unless --mkfs-time */
	r = run(true, 77, EROFS_STAMP_MTIME_DEFAULT, NULL);
	assert_int_equal(r.build, 77);
	assert_int_equal(r.stamp, 77);
	assert_true(r.all && !r.clamp && r.fixed);
	r = run(true, 77, EROFS_STAMP_MTIME_KEEP, NULL);
	assert_true(!r.all && !r.clamp && r.fixed);
	/* -T wins over SOURCE_DATE_EPOCH, even a bad one */
	r = run(true, 77, EROFS_STAMP_MTIME_DEFAULT, "junk");
	assert_int_equal(r.ret, 0);
	assert_int_equal(r.build, 77);
	/* SOURCE_DATE_EPOCH clamps, replaces with --all-time, or keeps */
	r = run(false, 0, EROFS_STAMP_MTIME_DEFAULT, "1234");
	assert_int_equal(r.build, 1234);
	assert_true(!r.all && r.clamp && r.fixed);
	r = run(false, 0, EROFS_STAMP_MTIME_ALL, "1234");
	assert_true(r.all && !r.clamp && r.fixed);
	r = run(false, 0, EROFS_STAMP_MTIME_KEEP, "1234");
	assert_true(!r.all && !r.clamp && r.fixed);
	/* not a number of seconds */
	assert_int_equal(run(false, 0, EROFS_STAMP_MTIME_DEFAULT, "1e9").ret,
			 -EINVAL);
	assert_int_equal(run(false, 0, EROFS_STAMP_MTIME_DEFAULT, "-1").ret,
			 -EINVAL);
}

static void test_uuid(void **state)
{
	struct erofs_node *root = erofs_node_new(S_IFDIR | 0755);
	struct erofs_mkfs_stamp s = { .fixed_time = true };
	struct erofs_mkfs_params mk;
	uint8_t derived[16], zero[16] = { 0 };

	erofs_mkfs_params_init(&mk);
	mk.build_time = 99;
	/* fixed time: derived, the same every time */
	assert_int_equal(erofs_mkfs_stamp_uuid(&s, root, &mk), 0);
	memcpy(derived, mk.uuid, 16);
	assert_memory_not_equal(derived, zero, 16);
	memset(mk.uuid, 0, 16);
	assert_int_equal(erofs_mkfs_stamp_uuid(&s, root, &mk), 0);
	assert_memory_equal(mk.uuid, derived, 16);
	/* -U random wins over the fixed time */
	s.uuid = EROFS_STAMP_UUID_RANDOM;
	assert_int_equal(erofs_mkfs_stamp_uuid(&s, root, &mk), 0);
	assert_memory_not_equal(mk.uuid, derived, 16);
	/* -U UUID / clear: what parsing put there stays */
	s.uuid = EROFS_STAMP_UUID_GIVEN;
	memset(mk.uuid, 0, 16);
	assert_int_equal(erofs_mkfs_stamp_uuid(&s, root, &mk), 0);
	assert_memory_equal(mk.uuid, zero, 16);
	/* no fixed time: random */
	s.uuid = EROFS_STAMP_UUID_DEFAULT;
	s.fixed_time = false;
	assert_int_equal(erofs_mkfs_stamp_uuid(&s, root, &mk), 0);
	assert_memory_not_equal(mk.uuid, derived, 16);
	assert_memory_not_equal(mk.uuid, zero, 16);
	erofs_node_put(root);
}

static void test_output(void **state)
{
	char dir[] = "/tmp/erofs-out-XXXXXX", img[64], blob[64], bad[80];
	struct erofs_log log;
	struct erofs_mkfs_output o = { .image = img, .blob_path = blob,
				       .log = &log, .offset = 512 };
	struct stat st;
	int fd;

	erofs_log_init(&log);
	log.level = -1;
	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/img", dir);
	snprintf(blob, sizeof(blob), "%s/blob", dir);
	/* an existing file is replaced, and is ours to remove */
	fd = open(img, O_CREAT | O_WRONLY, 0644);
	assert_int_equal(write(fd, "old", 3), 3);
	close(fd);
	assert_int_equal(erofs_mkfs_output_open(&o), 0);
	assert_int_equal(erofs_mkfs_output_open(&o), 0);	/* again: no-op */
	assert_int_equal(erofs_mkfs_output_open_blob(&o), 0);
	assert_string_equal(erofs_mkfs_output_removable(&o), img);
	assert_int_equal(o.io.offset, 512);
	assert_int_equal(stat(img, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(erofs_io_pwrite(&o.io, "x", 1, 0), 0);
	assert_int_equal(erofs_mkfs_output_commit(&o), 0);
	erofs_mkfs_output_close(&o, false);
	assert_int_equal(stat(img, &st), 0);
	assert_int_equal(st.st_size, 513);
	assert_int_equal(stat(blob, &st), 0);
	/* a failed build removes the image, not the blob */
	assert_int_equal(erofs_mkfs_output_open(&o), 0);
	erofs_mkfs_output_close(&o, true);
	assert_int_not_equal(stat(img, &st), 0);
	assert_null(erofs_mkfs_output_removable(&o));
	unlink(blob);
	/* what cannot be opened is reported, and nothing is removed */
	snprintf(bad, sizeof(bad), "%s/no/such", dir);
	o.image = bad;
	o.blob_path = NULL;
	assert_int_equal(erofs_mkfs_output_open(&o), -ENOENT);
	assert_null(erofs_mkfs_output_removable(&o));
	erofs_mkfs_output_close(&o, true);
	/* a character device is written, never removed */
	o.image = "/dev/null";
	assert_int_equal(erofs_mkfs_output_open(&o), 0);
	assert_null(erofs_mkfs_output_removable(&o));
	erofs_mkfs_output_close(&o, true);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
