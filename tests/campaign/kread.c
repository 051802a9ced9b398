// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * kread.c - read a mounted tree the way a user would, as the campaign's
 * oracle: every name (lstat), every regular file's bytes (read(2)), every
 * symlink target and every xattr (listxattr, getxattr).  Built static,
 * because it runs in the QEMU guest's busybox initramfs; the host runs
 * the same program over fsck --extract's tree to compare what both read.
 *
 *   kread DIR
 *   kread -m IMAGE MNT   mount IMAGE (an EROFS image file: the kernel's
 *                        file-backed mount, no loop device) read-only on
 *                        MNT, read it, unmount it; "mount-err ERRNO_NAME"
 *                        when the kernel refuses it (exit 3)
 *   kread -P IMAGE MNT   the same, and then every regular file again one
 *                        4 KiB page at a time from a dropped cache, as a
 *                        random reader meets it (each page mapped on its
 *                        own; only read errors count): slow, for single
 *                        images
 *
 * With -m, every regular file is also mapped with FIEMAP, as filefrag
 * and copy tools do: the kernel then walks every lcluster of a compressed
 * file, where a sequential read in large folios skips those in the middle
 * of a pcluster.  (Reading each 4 KiB page on its own instead costs about
 * 1.5 ms a page here: too slow for thousands of cases.)
 *
 * prints one line: "ok HASH" when everything read, else
 * "err ERRNO_NAME PATH" for the first failure (and exits 1).  HASH (FNV-1a
 * 64) covers names in sorted order, file types, permission bits (not of
 * symlinks), sizes, contents, symlink targets and xattr names and values
 * (not those of POSIX ACLs): not owners or times, which an extraction as
 * another user may not keep.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static uint64_t h = 0xcbf29ce484222325ULL;
static const char *mounted;	/* -m: unmount on the way out */
static int pages;		/* -P: the page-at-a-time pass */
static char buf[1 << 16];

static void mix(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
}

static void fail(const char *path)
{
	const char *e = strerrorname_np(errno);

	printf("err %s %s\n", e ? e : "?", path);
	fflush(stdout);
	if (mounted && umount(mounted))
		printf("umount-err %s\n", strerrorname_np(errno));
	exit(1);
}

/* FIEMAP over the whole file, 32 extents a call */
static void probe(int fd, const char *path)
{
	union {
		struct fiemap fm;
		char b[sizeof(struct fiemap) + 32 * sizeof(struct fiemap_extent)];
	} u;
	struct fiemap_extent *last;
	uint64_t start = 0;

	for (;;) {
		memset(&u, 0, sizeof(u));
		u.fm.fm_start = start;
		u.fm.fm_length = FIEMAP_MAX_OFFSET - start;
		u.fm.fm_extent_count = 32;
		if (ioctl(fd, FS_IOC_FIEMAP, &u.fm)) {
			/* a kernel without fiemap for this layout is no failure */
			if (errno == EOPNOTSUPP || errno == ENOTTY)
				break;
			fail(path);
		}
		if (!u.fm.fm_mapped_extents)
			break;
		last = &u.fm.fm_extents[u.fm.fm_mapped_extents - 1];
		if (last->fe_flags & FIEMAP_EXTENT_LAST ||
		    last->fe_logical + last->fe_length <= start)
			break;
		start = last->fe_logical + last->fe_length;
	}
}

/*
 * Read every page of a file again on its own, from a dropped cache: the
 * kernel then maps each page's offset itself, where a sequential read in
 * large folios maps only each folio's last byte.  A read error fails.
 */
static void page_pass(int fd, const char *path, off_t size)
{
	static char pg[4096];
	off_t off;

	if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) ||
	    posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM))
		return;
	for (off = 0; off < size; off += (off_t)sizeof(pg))
		if (pread(fd, pg, sizeof(pg), off) < 0)
			fail(path);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* xattr names are compared sorted, values hashed with them (unless
 * !hash: the top directory, which an extraction does not recreate) */
static void xattrs(const char *path, int hash)
{
	static char names[1 << 16], val[1 << 16];
	char *list[1024];
	ssize_t n, v;
	size_t nr = 0, i;
	char *p;

	n = llistxattr(path, names, sizeof(names));
	if (n < 0) {
		if (errno == ENOTSUP)
			return;
		fail(path);
	}
	for (p = names; p < names + n && nr < 1024; p += strlen(p) + 1)
		list[nr++] = p;
	qsort(list, nr, sizeof(*list), cmp);
	for (i = 0; i < nr; i++) {
		v = lgetxattr(path, list[i], val, sizeof(val));
		/* a name listed twice reads one value: an extraction keeps one */
		if (i && !strcmp(list[i], list[i - 1]))
			continue;
		if (v < 0)
			fail(path);
		if (hash) {
			mix(list[i], strlen(list[i]) + 1);
			/*
			 * not an ACL's value: its mask entry and the mode's
			 * group bits are one thing to the kernel, so an
			 * extraction that sets both rewrites one of them
			 */
			if (strncmp(list[i], "system.posix_acl_", 17))
				mix(val, (size_t)v);
		}
	}
}

static void walk(const char *path, int depth)
{
	struct stat st;
	uint32_t mode;
	uint64_t size;

	if (lstat(path, &st))
		fail(path);
	/* a symlink's permission bits cannot be set (always 0777) */
	mode = st.st_mode & (S_ISLNK(st.st_mode) ? S_IFMT : S_IFMT | 07777);
	size = S_ISDIR(st.st_mode) ? 0 : (uint64_t)st.st_size;
	if (depth) {
		mix(&mode, sizeof(mode));
		mix(&size, sizeof(size));
	}
	xattrs(path, depth);
	if (S_ISREG(st.st_mode)) {
		int fd = open(path, O_RDONLY | O_NOFOLLOW);
		ssize_t n;

		if (fd < 0)
			fail(path);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			mix(buf, (size_t)n);
		if (n < 0)
			fail(path);
		if (mounted)
			probe(fd, path);
		if (pages)
			page_pass(fd, path, st.st_size);
		close(fd);
	} else if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(path, buf, sizeof(buf));

		if (n < 0)
			fail(path);
		mix(buf, (size_t)n);
	} else if (S_ISDIR(st.st_mode) && depth < 4096) {
		DIR *d = opendir(path);
		struct dirent *de;
		char **names = NULL;
		size_t nr = 0, cap = 0, i;

		if (!d)
			fail(path);
		errno = 0;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			if (nr == cap) {
				cap = cap ? 2 * cap : 64;
				names = realloc(names, cap * sizeof(*names));
				if (!names)
					fail(path);
			}
			names[nr++] = strdup(de->d_name);
		}
		if (errno)
			fail(path);
		closedir(d);
		qsort(names, nr, sizeof(*names), cmp);
		for (i = 0; i < nr; i++) {
			char *sub;

			mix(names[i], strlen(names[i]) + 1);
			if (asprintf(&sub, "%s/%s", path, names[i]) < 0)
				fail(path);
			walk(sub, depth + 1);
			free(sub);
			free(names[i]);
		}
		free(names);
	}
}

int main(int argc, char **argv)
{
	const char *dir;

	if (argc == 4 && !strcmp(argv[1], "-P"))
		pages = 1;
	if (argc == 4 && (!strcmp(argv[1], "-m") || pages)) {
		if (mount(argv[2], argv[3], "erofs", MS_RDONLY, NULL)) {
			const char *e = strerrorname_np(errno);

			printf("mount-err %s\n", e ? e : "?");
			return 3;
		}
		dir = mounted = argv[3];
	} else if (argc == 2) {
		dir = argv[1];
	} else {
		fprintf(stderr, "usage: kread DIR | kread -m IMAGE MNT\n");
		return 2;
	}
	walk(dir, 0);
	printf("ok %016llx\n", (unsigned long long)h);
	fflush(stdout);
	if (argc == 4 && umount(dir))
		printf("umount-err %s\n", strerrorname_np(errno));
	return 0;
}
