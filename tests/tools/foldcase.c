// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * foldcase.c - an LD_PRELOAD shim that makes any directory look like one
 * that folds case (ext4, f2fs or tmpfs casefold; vfat), for tests of
 * extraction onto such a target where the kernel has no CONFIG_UNICODE.
 *
 * Every *at() call on a relative name under a directory descriptor (how
 * the extractor makes and looks up entries) gets the name in lower case.
 * Two names that differ only in case are then one name, as on a folding
 * target; the stored name is the lower-case one, where casefold would keep
 * the first creator's.  Absolute names and AT_FDCWD are left alone, so
 * the image and the target itself are opened as given.
 *
 * Build: cc -shared -fPIC -o foldcase.so foldcase.c -ldl
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *fold(int dfd, const char *name, char *buf)
{
	size_t i;

	if (dfd == AT_FDCWD || !name || name[0] == '/' ||
	    strlen(name) >= PATH_MAX)
		return name;
	for (i = 0; name[i]; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[i] = '\0';
	return buf;
}

/* looked up at each call: dlsym is thread-safe, a cached pointer set by
 * racing workers would not be */
#define REAL(ret, fn, ...) \
	ret (*real)(__VA_ARGS__) = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, fn)

/* openat and openat64 (32-bit builds with 64-bit offsets call it) */
static int open_folded(const char *sym, int dfd, const char *name, int flags,
		       va_list ap)
{
	typedef int (*open_fn)(int, const char *, int, ...);
	open_fn real = (open_fn)dlsym(RTLD_NEXT, sym);
	char b[PATH_MAX];
	mode_t mode = 0;

	if (flags & (O_CREAT | __O_TMPFILE))
		mode = (mode_t)va_arg(ap, int);
	return real(dfd, fold(dfd, name, b), flags, mode);
}

int openat(int dfd, const char *name, int flags, ...)
{
	va_list ap;
	int ret;

	va_start(ap, flags);
	ret = open_folded("openat", dfd, name, flags, ap);
	va_end(ap);
	return ret;
}

int openat64(int dfd, const char *name, int flags, ...)
{
	va_list ap;
	int ret;

	va_start(ap, flags);
	ret = open_folded("openat64", dfd, name, flags, ap);
	va_end(ap);
	return ret;
}

int fstatat(int dfd, const char *name, struct stat *st, int flags)
{
	char b[PATH_MAX];
	REAL(int, "fstatat", int, const char *, struct stat *, int);

	return real(dfd, fold(dfd, name, b), st, flags);
}

int fstatat64(int dfd, const char *name, struct stat64 *st, int flags)
{
	char b[PATH_MAX];
	REAL(int, "fstatat64", int, const char *, struct stat64 *, int);

	return real(dfd, fold(dfd, name, b), st, flags);
}

int linkat(int odfd, const char *old, int ndfd, const char *new, int flags)
{
	char b1[PATH_MAX], b2[PATH_MAX];
	REAL(int, "linkat", int, const char *, int, const char *, int);

	return real(odfd, fold(odfd, old, b1), ndfd, fold(ndfd, new, b2),
		    flags);
}

int unlinkat(int dfd, const char *name, int flags)
{
	char b[PATH_MAX];
	REAL(int, "unlinkat", int, const char *, int);

	return real(dfd, fold(dfd, name, b), flags);
}

int mkdirat(int dfd, const char *name, mode_t mode)
{
	char b[PATH_MAX];
	REAL(int, "mkdirat", int, const char *, mode_t);

	return real(dfd, fold(dfd, name, b), mode);
}

int symlinkat(const char *target, int dfd, const char *name)
{
	char b[PATH_MAX];
	REAL(int, "symlinkat", const char *, int, const char *);

	return real(target, dfd, fold(dfd, name, b));
}

int mknodat(int dfd, const char *name, mode_t mode, dev_t dev)
{
	char b[PATH_MAX];
	REAL(int, "mknodat", int, const char *, mode_t, dev_t);

	return real(dfd, fold(dfd, name, b), mode, dev);
}

int fchownat(int dfd, const char *name, uid_t uid, gid_t gid, int flags)
{
	char b[PATH_MAX];
	REAL(int, "fchownat", int, const char *, uid_t, gid_t, int);

	return real(dfd, fold(dfd, name, b), uid, gid, flags);
}

int fchmodat(int dfd, const char *name, mode_t mode, int flags)
{
	char b[PATH_MAX];
	REAL(int, "fchmodat", int, const char *, mode_t, int);

	return real(dfd, fold(dfd, name, b), mode, flags);
}

int utimensat(int dfd, const char *name, const struct timespec ts[2],
	      int flags)
{
	char b[PATH_MAX];
	REAL(int, "utimensat", int, const char *, const struct timespec *,
	     int);

	return real(dfd, fold(dfd, name, b), ts, flags);
}
