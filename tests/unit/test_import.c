// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_import.c - import a real temporary directory holding every file
 * type, hard links and xattrs, and check the nodes and the options.
 * Needs root for mknod/chown; skips those parts otherwise.
 *
 * Built twice: test_import_nolxat links with --wrap=syscall and runs the
 * same tests on a "kernel" without listxattrat(2) (ENOSYS, or EPERM from
 * a seccomp filter), where the walk asks through /proc/self/fd.
 */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "erofs/import.h"

#ifdef TEST_NO_LISTXATTRAT
#include "../../lib/listxattrat.h"
#ifdef __NR_listxattrat
#define LXAT_EXPECTED 1
#else
#define LXAT_EXPECTED 0
#endif
static int lxat_errno = ENOSYS;
static unsigned int lxat_calls;

long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, ...);
long __wrap_syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	int i;

#ifdef __NR_listxattrat
	if (nr == __NR_listxattrat) {
#else
	if (0) {
#endif
		lxat_calls++;
		errno = lxat_errno;
		return -1;
	}
	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return __real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#endif

static char tmpdir[64];
static char lastmsg[1024];
static uint64_t progress_last;

static void sink(void *priv, int level, const char *msg)
{
	if (level == EROFS_LOG_ERR)
		snprintf(lastmsg, sizeof(lastmsg), "%s", msg);
}

static void progress(void *priv, uint64_t done)
{
	progress_last = done;
}

static void put_file(const char *rel, const char *data)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static char *tpath(const char *rel)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, rel);
	return p[i];
}

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec ts[2] = { { 1000, 111 }, { 2000000000, 123456789 } };
	int s;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/importer-unit-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	put_file("file", "hello\n");
	put_file("empty", "");
	put_file("junk.tmp", "x");
	if (mkdir(tpath("dir"), 0750) || mkdir(tpath("dir/sub"), 0700) ||
	    mkdir(tpath("dir/sub/deeper"), 0700))
		return -1;
	put_file("dir/sub/deeper/f", "deep");
	if (link(tpath("file"), tpath("dir/hard")) ||
	    symlink("../file", tpath("dir/sym")) || mkfifo(tpath("fifo"), 0600))
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tpath("sock"));
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	close(s);
	if (!geteuid()) {
		if (mknod(tpath("chr"), S_IFCHR | 0600, makedev(1, 3)) ||
		    mknod(tpath("blk"), S_IFBLK | 0600, makedev(7, 200)) ||
		    chown(tpath("file"), 1234, 5678))
			return -1;
	}
	if (setxattr(tpath("file"), "user.b", "bee", 3, 0) ||
	    setxattr(tpath("file"), "user.a", "", 0, 0) ||
	    setxattr(tpath("dir"), "user.dir", "d", 1, 0))
		return -1;
	/* symlinks cannot carry user.* xattrs; trusted.* needs root */
	if (!geteuid() && lsetxattr(tpath("dir/sym"), "trusted.sym", "s", 1, 0))
		return -1;
	if (utimensat(AT_FDCWD, tpath("file"), ts, 0))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) ? -1 : 0;
}

static struct erofs_log test_log = { EROFS_LOG_DBG, sink, NULL };

static void params(struct erofs_import_params *p)
{
	erofs_import_params_init(p);
	p->log = &test_log;
}

static struct erofs_node *lookup(struct erofs_node *dir, const char *name)
{
	size_t i;

	for (i = 0; i < dir->nr_dentries; i++)
		if (!strcmp(dir->dentries[i].name, name))
			return dir->dentries[i].inode;
	return NULL;
}

static const struct erofs_xattr *xattr(const struct erofs_node *n,
				       const char *name)
{
	size_t i;

	for (i = 0; i < n->nr_xattrs; i++)
		if (!strcmp(n->xattrs[i].name, name))
			return &n->xattrs[i];
	return NULL;
}

static struct erofs_node *import(const struct erofs_import_params *p)
{
	struct erofs_node *root = NULL;

	assert_int_equal(erofs_import_dir(p, tmpdir, &root), 0);
	assert_non_null(root);
	return root;
}

static void test_defaults(void **state)
{
	struct erofs_import_params p;
	struct erofs_node *root, *f, *dir, *n;
	char expect[256];
	size_t i;

	params(&p);
#ifdef TEST_NO_LISTXATTRAT
	lxat_calls = 0;
#endif
	assert_int_equal(p.force_uid, -1);
	assert_int_equal(p.force_gid, -1);
	assert_int_equal(p.timestamp, -1);
	assert_true(p.xattrs);
	p.progress = progress;
	root = import(&p);
	assert_true(S_ISDIR(root->mode));
	assert_string_equal(root->path, "/");
	for (i = 1; i < root->nr_dentries; i++)
		assert_true(strcmp(root->dentries[i - 1].name,
				   root->dentries[i].name) < 0);

	f = lookup(root, "file");
	assert_non_null(f);
	assert_true(S_ISREG(f->mode));
	assert_int_equal(f->mode & 07777, 0644);
	assert_int_equal(f->size, 6);
	/* a hard link's node is named by its first path in walk order */
	snprintf(expect, sizeof(expect), "%s/dir/hard", tmpdir);
	assert_string_equal(f->src_path, expect);
	assert_string_equal(f->path, "/dir/hard");
	n = lookup(root, "empty");
	snprintf(expect, sizeof(expect), "%s/empty", tmpdir);
	assert_string_equal(n->src_path, expect);
	assert_string_equal(n->path, "/empty");
	assert_int_equal(f->mtime, 2000000000);
	assert_int_equal(f->mtime_nsec, 123456789);
	assert_int_equal(f->nlink, 2);
	assert_int_equal(f->nr_xattrs, 2);
	assert_string_equal(f->xattrs[0].name, "user.a");
	assert_int_equal(f->xattrs[0].value_len, 0);
	assert_string_equal(f->xattrs[1].name, "user.b");
	assert_memory_equal(f->xattrs[1].value, "bee", 3);
	if (!geteuid()) {
		assert_int_equal(f->uid, 1234);
		assert_int_equal(f->gid, 5678);
	}

	dir = lookup(root, "dir");
	assert_non_null(dir);
	assert_int_equal(dir->mode & 07777, 0750);
	assert_string_equal(dir->path, "/dir");
	assert_int_equal(dir->nlink, 3);
	assert_ptr_equal(dir->parent, root);
	assert_non_null(xattr(dir, "user.dir"));
	assert_ptr_equal(lookup(dir, "hard"), f);	/* one shared node */

	n = lookup(dir, "sym");
	assert_true(S_ISLNK(n->mode));
	assert_string_equal(n->symlink, "../file");
	assert_int_equal(n->size, 7);
	assert_null(n->src_path);
	if (!geteuid())
		assert_non_null(xattr(n, "trusted.sym"));

	n = lookup(lookup(lookup(dir, "sub"), "deeper"), "f");
	assert_non_null(n);
	assert_string_equal(n->path, "/dir/sub/deeper/f");
	assert_int_equal(n->nlink, 1);
#ifdef TEST_NO_LISTXATTRAT
	/* asked once per walk, then never again (never where the call has
	 * no known number) */
	assert_int_equal(lxat_calls, LXAT_EXPECTED);
#endif

	assert_true(S_ISFIFO(lookup(root, "fifo")->mode));
	assert_true(S_ISSOCK(lookup(root, "sock")->mode));
	assert_int_equal(lookup(root, "empty")->size, 0);
	if (!geteuid()) {
		n = lookup(root, "chr");
		assert_true(S_ISCHR(n->mode));
		assert_int_equal(n->rdev, makedev(1, 3));
		n = lookup(root, "blk");
		assert_true(S_ISBLK(n->mode));
		assert_int_equal(major(n->rdev), 7);
		assert_int_equal(minor(n->rdev), 200);
	}
	/* every name counted: root + 13 entries (11 without devices) */
	assert_int_equal(progress_last, geteuid() ? 12 : 14);
	erofs_node_put(root);
}

static void test_owner_and_time(void **state)
{
	struct erofs_import_params p;
	struct erofs_node *root, *f;

	params(&p);
	p.all_root = true;
	p.gid_offset = 5;
	root = import(&p);
	f = lookup(root, "file");
	assert_int_equal(f->uid, 0);
	assert_int_equal(f->gid, 5);
	assert_int_equal(root->uid, 0);
	erofs_node_put(root);

	params(&p);
	p.force_uid = 7;
	p.uid_offset = 10;
	p.force_gid = 3;
	p.timestamp = 42;
	p.all_time = true;
	root = import(&p);
	f = lookup(root, "file");
	assert_int_equal(f->uid, 17);
	assert_int_equal(f->gid, 3);
	assert_int_equal(lookup(root, "dir")->uid, 17);
	assert_int_equal(f->mtime, 42);
	assert_int_equal(f->mtime_nsec, 0);
	assert_int_equal(root->mtime, 42);
	erofs_node_put(root);

	/* clamping (SOURCE_DATE_EPOCH): only later mtimes move */
	params(&p);
	p.timestamp = 1500000000;
	p.clamp_mtime = true;
	root = import(&p);
	assert_int_equal(lookup(root, "file")->mtime, 1500000000);
	erofs_node_put(root);
	params(&p);
	p.timestamp = 2100000000;
	p.clamp_mtime = true;
	root = import(&p);
	assert_int_equal(lookup(root, "file")->mtime, 2000000000);
	assert_int_equal(lookup(root, "file")->mtime_nsec, 123456789);
	erofs_node_put(root);

	params(&p);
	p.timestamp = 77;
	p.ignore_mtime = true;
	root = import(&p);
	assert_int_equal(lookup(root, "file")->mtime, 77);
	erofs_node_put(root);

	/* an offset that leaves the 32-bit range is an error */
	params(&p);
	p.uid_offset = -1;
	p.all_root = true;
	root = (void *)1;
	assert_int_equal(erofs_import_dir(&p, tmpdir, &root), -ERANGE);
	assert_null(root);
	assert_non_null(strstr(lastmsg, "out of range"));
}

static void test_excludes(void **state)
{
	static const char *const paths[] = { "/dir/sub", "file", "nothere",
					     "dir/hard/", NULL };
	static const char *const regs[] = { "\\.tmp$", "^fi", NULL };
	struct erofs_import_params p;
	struct erofs_node *root, *dir;

	params(&p);
	p.exclude_paths = paths;
	root = import(&p);
	assert_null(lookup(root, "file"));
	assert_non_null(lookup(root, "fifo"));
	dir = lookup(root, "dir");
	assert_null(lookup(dir, "sub"));
	assert_null(lookup(dir, "hard"));
	assert_non_null(lookup(dir, "sym"));
	assert_int_equal(dir->nlink, 2);
	erofs_node_put(root);

	params(&p);
	p.exclude_regex = regs;
	root = import(&p);
	assert_null(lookup(root, "file"));
	assert_null(lookup(root, "fifo"));
	assert_null(lookup(root, "junk.tmp"));
	assert_non_null(lookup(root, "empty"));
	/* the regex sees "dir/hard", which "^fi" does not match */
	assert_non_null(lookup(lookup(root, "dir"), "hard"));
	assert_int_equal(lookup(lookup(root, "dir"), "hard")->nlink, 1);
	erofs_node_put(root);

	params(&p);
	p.exclude_regex = (const char *const[]){ "(", NULL };
	root = (void *)1;
	assert_int_equal(erofs_import_dir(&p, tmpdir, &root), -EINVAL);
	assert_null(root);
	assert_non_null(strstr(lastmsg, "regex"));
}

static void test_links_and_xattrs_off(void **state)
{
	struct erofs_import_params p;
	struct erofs_node *root, *f, *h;

	params(&p);
	p.hard_dereference = true;
	p.xattrs = false;
	root = import(&p);
	f = lookup(root, "file");
	h = lookup(lookup(root, "dir"), "hard");
	assert_ptr_not_equal(f, h);
	assert_int_equal(f->nlink, 1);
	assert_int_equal(h->nlink, 1);
	assert_int_equal(f->nr_xattrs, 0);
	assert_string_equal(h->path, "/dir/hard");
	erofs_node_put(root);
}

static void test_errors(void **state)
{
	struct erofs_import_params p;
	struct erofs_node *root = (void *)1;
	char missing[128];

	params(&p);
	snprintf(missing, sizeof(missing), "%s/nonexistent", tmpdir);
	assert_int_equal(erofs_import_dir(&p, missing, &root), -ENOENT);
	assert_null(root);
	assert_non_null(strstr(lastmsg, missing));
	assert_non_null(strstr(lastmsg, "No such file"));
	assert_int_equal(erofs_import_dir(&p, tpath("file"), &root), -ENOTDIR);
	assert_non_null(strstr(lastmsg, "file"));
}

static void test_selinux(void **state)
{
#ifdef HAVE_LIBSELINUX
	struct erofs_import_params p;
	struct erofs_node *root, *f;
	const struct erofs_xattr *x;
	char fc[256];
	FILE *fp;

	snprintf(fc, sizeof(fc), "%s.fc", tmpdir);
	fp = fopen(fc, "w");
	assert_non_null(fp);
	fputs("/system(/.*)?\tu:object_r:system_file:s0\n"
	      "/system/dir(/.*)?\tu:object_r:dir_file:s0\n"
	      "/system/fifo\t--\tu:object_r:never:s0\n", fp);
	fclose(fp);
	/* a label present in the source is replaced */
	assert_int_equal(setxattr(tpath("empty"), "security.selinux",
				  "old", 3, 0), 0);

	params(&p);
	p.file_contexts = fc;
	p.mount_point = "/system/";
	root = import(&p);
	x = xattr(root, "security.selinux");
	assert_non_null(x);
	assert_int_equal(x->value_len, strlen("u:object_r:system_file:s0"));
	assert_memory_equal(x->value, "u:object_r:system_file:s0", x->value_len);
	f = lookup(lookup(root, "dir"), "sym");
	x = xattr(f, "security.selinux");
	assert_non_null(x);
	assert_memory_equal(x->value, "u:object_r:dir_file:s0", x->value_len);
	x = xattr(lookup(root, "empty"), "security.selinux");
	assert_memory_equal(x->value, "u:object_r:system_file:s0", x->value_len);
	/* "--" matches regular files only: the FIFO gets the generic label */
	x = xattr(lookup(root, "fifo"), "security.selinux");
	assert_memory_equal(x->value, "u:object_r:system_file:s0", x->value_len);
	erofs_node_put(root);

	/* without a matching mount point nothing matches: no labels */
	params(&p);
	p.file_contexts = fc;
	root = import(&p);
	assert_null(xattr(root, "security.selinux"));
	assert_null(xattr(lookup(root, "empty"), "security.selinux"));
	erofs_node_put(root);

	params(&p);
	p.file_contexts = "/nonexistent/file_contexts";
	root = (void *)1;
	assert_true(erofs_import_dir(&p, tmpdir, &root) < 0);
	assert_null(root);
	assert_non_null(strstr(lastmsg, "/nonexistent/file_contexts"));
	unlink(fc);
	removexattr(tpath("empty"), "security.selinux");
#else
	skip();
#endif
}

/* a directory holding an overlayfs whiteout gets an empty origin xattr,
 * as erofs-utils gives it; one it has already is kept; -x -1: none */
static void test_whiteout_origin(void **state)
{
	struct erofs_import_params p;
	struct erofs_node *root, *d;
	const struct erofs_xattr *x;
	char dir[128];

	(void)state;
	if (geteuid()) {
		skip();
		return;
	}
	assert_int_equal(mkdir(tpath("ovl"), 0755), 0);
	assert_int_equal(mkdir(tpath("ovl/w"), 0755), 0);
	assert_int_equal(mkdir(tpath("ovl/keep"), 0755), 0);
	assert_int_equal(mknod(tpath("ovl/w/gone"), S_IFCHR, makedev(0, 0)), 0);
	assert_int_equal(mknod(tpath("ovl/keep/gone"), S_IFCHR, makedev(0, 0)), 0);
	assert_int_equal(setxattr(tpath("ovl/keep"), "trusted.overlay.origin",
				  "fh", 2, 0), 0);
	snprintf(dir, sizeof(dir), "%s/ovl", tmpdir);
	params(&p);
	assert_int_equal(erofs_import_dir(&p, dir, &root), 0);
	x = xattr(lookup(root, "w"), "trusted.overlay.origin");
	assert_non_null(x);
	assert_int_equal(x->value_len, 0);
	x = xattr(lookup(root, "keep"), "trusted.overlay.origin");
	assert_non_null(x);
	assert_int_equal(x->value_len, 2);
	assert_null(xattr(root, "trusted.overlay.origin"));
	erofs_node_put(root);
	p.xattrs = false;
	assert_int_equal(erofs_import_dir(&p, dir, &root), 0);
	d = lookup(root, "w");
	assert_int_equal(d->nr_xattrs, 0);
	erofs_node_put(root);
	snprintf(dir, sizeof(dir), "rm -rf '%s/ovl'", tmpdir);
	assert_int_equal(system(dir), 0);
}

#ifdef TEST_NO_LISTXATTRAT
/* a seccomp filter's EPERM falls back too, and the xattrs are all there */
static void test_lxat_filtered(void **state)
{
	lxat_errno = EPERM;
	test_defaults(state);
	lxat_errno = ENOSYS;
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifdef TEST_NO_LISTXATTRAT
		cmocka_unit_test(test_lxat_filtered),
#endif
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_owner_and_time),
		cmocka_unit_test(test_excludes),
		cmocka_unit_test(test_links_and_xattrs_off),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_selinux),
		cmocka_unit_test(test_whiteout_origin),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
