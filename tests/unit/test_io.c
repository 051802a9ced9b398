// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/* test_io.c - the memory and file backends behave alike. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "erofs/io.h"

/*
 * fdatasync, as the file backend's flusher thread calls it: counted, and
 * failing with EIO when told to (a writeback error the kernel reports to
 * that call only)
 */
static int flushes, flush_fail;
int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd)
{
	__atomic_add_fetch(&flushes, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&flush_fail, __ATOMIC_SEQ_CST)) {
		errno = EIO;
		return -1;
	}
	return __real_fdatasync(fd);
}

static void roundtrip(struct erofs_io *io)
{
	char buf[16];
	uint64_t size;

	assert_int_equal(erofs_io_pwrite(io, "hello", 5, 4096), 0);
	assert_int_equal(erofs_io_size(io, &size), 0);
	assert_int_equal(size, 4101);
	assert_int_equal(erofs_io_pread(io, buf, 5, 4096), 0);
	assert_memory_equal(buf, "hello", 5);
	/* the gap reads as zeros */
	assert_int_equal(erofs_io_pread(io, buf, 4, 100), 0);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	/* reading past the end is an error, never a short buffer */
	assert_int_equal(erofs_io_pread(io, buf, 8, 4100), -EIO);
	assert_int_equal(erofs_io_truncate(io, 8192), 0);
	assert_int_equal(erofs_io_size(io, &size), 0);
	assert_int_equal(size, 8192);
}

static void test_mem_backend(void **state)
{
	struct erofs_io io;

	assert_int_equal(erofs_io_open_mem(&io, NULL, 0, true), 0);
	roundtrip(&io);
	erofs_io_close(&io);
}

static void test_file_backend(void **state)
{
	char path[] = "/tmp/erofs-test-io-XXXXXX";
	int fd = mkstemp(path);
	struct erofs_io io;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(erofs_io_open_file(&io, path, O_RDWR | O_TRUNC), 0);
	roundtrip(&io);
	erofs_io_close(&io);
	unlink(path);
}

static void test_readonly_mem(void **state)
{
	static const char img[] = "abcdef";
	struct erofs_io io;
	char c;

	assert_int_equal(erofs_io_open_mem(&io, img, 6, false), 0);
	assert_int_equal(erofs_io_pread(&io, &c, 1, 5), 0);
	assert_int_equal(c, 'f');
	assert_int_not_equal(erofs_io_pwrite(&io, "x", 1, 0), 0);
	erofs_io_close(&io);
}

/* read-only files: small reads through the read-ahead window give the
 * file's bytes, across window ends, backwards and at random, up to the
 * end of the file and never past it */
static void test_readahead(void **state)
{
	char path[] = "/tmp/erofs-test-io-XXXXXX";
	unsigned char *data = malloc(300000), buf[5000];
	int fd = mkstemp(path);
	struct erofs_io io;
	uint64_t off;
	size_t i;

	(void)state;
	assert_true(fd >= 0);
	for (i = 0; i < 300000; i++)
		data[i] = (unsigned char)(i * 13 + (i >> 9));
	assert_int_equal(write(fd, data, 300000), 300000);
	close(fd);
	assert_int_equal(erofs_io_open_file(&io, path, O_RDONLY), 0);
	/* 4999-byte steps: reads straddle window ends */
	for (off = 0; off + 4999 <= 300000; off += 4999) {
		assert_int_equal(erofs_io_pread(&io, buf, 4999, off), 0);
		assert_memory_equal(buf, data + off, 4999);
	}
	/* backwards and random, then past the end */
	assert_int_equal(erofs_io_pread(&io, buf, 100, 1000), 0);
	assert_memory_equal(buf, data + 1000, 100);
	assert_int_equal(erofs_io_pread(&io, buf, 100, 299900), 0);
	assert_memory_equal(buf, data + 299900, 100);
	assert_int_equal(erofs_io_pread(&io, buf, 10, 299995), -EIO);
	assert_int_equal(erofs_io_pread(&io, buf, 10, 300000), -EIO);
	erofs_io_close(&io);
	unlink(path);
	free(data);
}

/*
 * A clone reads the same bytes through its own descriptor and window
 * (fsck's worker lanes), survives the original's close, and a writable
 * memory image (whose buffer may move) is not cloned
 */
static void test_clone(void **state)
{
	char path[] = "/tmp/test_io_cloneXXXXXX", buf[8];
	int fd = mkstemp(path);
	struct erofs_io io, copy, mem;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	assert_int_equal(erofs_io_open_file(&io, path, O_RDONLY), 0);
	io.offset = 2;
	assert_int_equal(erofs_io_clone(&copy, &io), 0);
	assert_true(copy.fd >= 0 && copy.fd != io.fd);
	assert_int_equal(erofs_io_pread(&io, buf, 4, 1), 0);
	erofs_io_close(&io);
	assert_int_equal(erofs_io_pread(&copy, buf, 4, 3), 0);
	assert_memory_equal(buf, "5678", 4);
	erofs_io_close(&copy);
	unlink(path);

	assert_int_equal(erofs_io_open_mem(&mem, "abcdef", 6, false), 0);
	assert_int_equal(erofs_io_clone(&copy, &mem), 0);
	assert_int_equal(erofs_io_pread(&copy, buf, 3, 2), 0);
	assert_memory_equal(buf, "cde", 3);
	erofs_io_close(&copy);
	erofs_io_close(&mem);
	assert_int_equal(erofs_io_open_mem(&mem, "abc", 3, true), 0);
	assert_int_equal(erofs_io_clone(&copy, &mem), -EOPNOTSUPP);
	erofs_io_close(&mem);
}

/* write n MiB of 'x' in 1 MiB pieces */
static void write_mib(struct erofs_io *io, unsigned int n)
{
	static char mib[1 << 20];
	unsigned int i;

	memset(mib, 'x', sizeof(mib));
	for (i = 0; i < n; i++)
		assert_int_equal(erofs_io_pwrite(io, mib, sizeof(mib),
						 (uint64_t)i << 20), 0);
}

/*
 * A large image is flushed in the background as it is written; a flush's
 * error reaches the final sync even though the descriptor's fsync would
 * no longer see it.
 */
static void test_background_flush(void **state)
{
	char path[] = "/tmp/test_io_flushXXXXXX", buf[4];
	int fd = mkstemp(path);
	struct erofs_io io;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	/* small: the final sync does it all */
	flushes = flush_fail = 0;
	assert_int_equal(erofs_io_open_file(&io, path, O_RDWR | O_TRUNC), 0);
	write_mib(&io, 4);
	assert_int_equal(erofs_io_sync(&io), 0);
	assert_int_equal(flushes, 0);
	erofs_io_close(&io);

	assert_int_equal(erofs_io_open_file(&io, path, O_RDWR | O_TRUNC), 0);
	write_mib(&io, 80);
	assert_int_equal(erofs_io_sync(&io), 0);
	assert_true(flushes >= 1);
	assert_int_equal(erofs_io_pread(&io, buf, 4, (80 << 20) - 4), 0);
	assert_memory_equal(buf, "xxxx", 4);
	erofs_io_close(&io);

	flushes = 0;
	flush_fail = 1;
	assert_int_equal(erofs_io_open_file(&io, path, O_RDWR | O_TRUNC), 0);
	write_mib(&io, 40);
	assert_int_equal(erofs_io_sync(&io), -EIO);
	assert_int_equal(flushes, 1);
	/* reported once, as the kernel does */
	assert_int_equal(erofs_io_sync(&io), 0);
	erofs_io_close(&io);
	/* closed without a sync: the flusher thread still ends */
	flush_fail = 0;
	assert_int_equal(erofs_io_open_file(&io, path, O_RDWR | O_TRUNC), 0);
	write_mib(&io, 40);
	erofs_io_close(&io);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mem_backend),
		cmocka_unit_test(test_file_backend),
		cmocka_unit_test(test_readonly_mem),
		cmocka_unit_test(test_readahead),
		cmocka_unit_test(test_clone),
		cmocka_unit_test(test_background_flush),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
