// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_import_erofs.c - rebuild mode's importer: two layer images built
 * with our writer from small trees, merged with erofs_import_images(), and
 * the merged nodes checked: a whiteout and an opaque directory hide what
 * lies below, pieces point at the right device and block, an inline tail
 * is copied, the device table carries the sources' UUIDs and sizes,
 * --ovlfs-strip drops whiteouts and overlay markers, and bad sources fail.
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
#include <sys/stat.h>
#include <unistd.h>
#include "erofs/import.h"
#include "erofs/io.h"
#include "erofs/mkfs.h"

static char tmpdir[64];
static char lastmsg[1024];

static void sink(void *priv, int level, const char *msg)
{
	(void)priv;
	if (level == EROFS_LOG_ERR)
		snprintf(lastmsg, sizeof(lastmsg), "%s", msg);
}

static struct erofs_log tlog = { EROFS_LOG_DBG, sink, NULL };

static struct erofs_node *add(struct erofs_node *dir, const char *name,
			      mode_t mode)
{
	struct erofs_node *n = erofs_node_new(mode);
	char path[256];

	assert_non_null(n);
	snprintf(path, sizeof(path), "%s/%s",
		 strcmp(dir->path, "/") ? dir->path : "", name);
	n->path = strdup(path);
	n->mtime = 1700000000;
	assert_int_equal(erofs_tree_add(dir, name, strlen(name), n), 0);
	erofs_node_put(n);
	return n;
}

/* a file of len bytes of value c */
static struct erofs_node *add_file(struct erofs_node *dir, const char *name,
				   size_t len, int c)
{
	struct erofs_node *n = add(dir, name, S_IFREG | 0644);
	char path[128];
	char *buf = malloc(len);
	int fd;

	memset(buf, c, len);
	snprintf(path, sizeof(path), "%s/%s-%d", tmpdir, name, c);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	free(buf);
	n->src_path = strdup(path);
	n->size = len;
	return n;
}

static struct erofs_node *mkroot(void)
{
	struct erofs_node *r = erofs_node_new(S_IFDIR | 0755);

	assert_non_null(r);
	r->path = strdup("/");
	return r;
}

/* write root as an image file; uuid byte u */
static void write_image(struct erofs_node *root, const char *path, uint8_t u)
{
	struct erofs_mkfs_params p;
	struct erofs_io io;

	erofs_mkfs_params_init(&p);
	p.log = &tlog;
	p.build_time = 1700000000;
	memset(p.uuid, u, sizeof(p.uuid));
	assert_int_equal(erofs_tree_finalize(root), 0);
	assert_int_equal(erofs_io_open_file(&io, path, O_RDWR | O_CREAT | O_TRUNC), 0);
	assert_int_equal(erofs_mkfs_build(&p, root, &io, NULL), 0);
	erofs_io_close(&io);
	erofs_node_put(root);
}

static struct erofs_node *child(struct erofs_node *dir, const char *name)
{
	size_t i;

	for (i = 0; i < dir->nr_dentries; i++)
		if (!strcmp(dir->dentries[i].name, name))
			return dir->dentries[i].inode;
	return NULL;
}

static bool has_xattr(const struct erofs_node *n, const char *name)
{
	size_t i;

	for (i = 0; i < n->nr_xattrs; i++)
		if (!strcmp(n->xattrs[i].name, name))
			return true;
	return false;
}

static char l1[96], l2[96];

static int setup(void **state)
{
	struct erofs_node *root, *d, *o;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rebuild-unit-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(l1, sizeof(l1), "%s/l1.img", tmpdir);
	snprintf(l2, sizeof(l2), "%s/l2.img", tmpdir);

	/* bottom: d/{a,b}, keep, o/old, t (a file) */
	root = mkroot();
	d = add(root, "d", S_IFDIR | 0755);
	add_file(d, "a", 8192, 'a');
	add_file(d, "b", 100, 'b');		/* an inline tail */
	add_file(root, "keep", 4096, 'k');
	o = add(root, "o", S_IFDIR | 0755);
	add_file(o, "old", 4096, 'o');
	add_file(root, "t", 4096, 't');
	write_image(root, l1, 0x11);

	/* top: d/a whited out, o opaque with o/new, x, t a directory */
	root = mkroot();
	d = add(root, "d", S_IFDIR | 0700);
	add(d, "a", S_IFCHR);
	assert_int_equal(erofs_node_set_xattr(d, "trusted.overlay.origin",
					      "", 0), 0);
	o = add(root, "o", S_IFDIR | 0755);
	assert_int_equal(erofs_node_set_xattr(o, "trusted.overlay.opaque",
					      "y", 1), 0);
	add_file(o, "new", 4096, 'n');
	add_file(root, "x", 4096, 'x');
	add(root, "t", S_IFDIR | 0755);
	write_image(root, l2, 0x22);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

static void params(struct erofs_import_params *p)
{
	erofs_import_params_init(p);
	p->log = &tlog;
}

static void test_merge(void **state)
{
	const char *paths[] = { l1, l2 };
	struct erofs_import_params p;
	struct erofs_rebuild rb;
	struct erofs_node *root, *d, *n;
	char tag[33];

	(void)state;
	params(&p);
	assert_int_equal(erofs_import_images(&p, paths, 2,
			 EROFS_REBUILD_BLOB_INDEX, false, 0, &root, &rb), 0);
	assert_int_equal(rb.blkszbits, 12);
	assert_int_equal(rb.nr_devices, 2);
	memset(tag, 0, sizeof(tag));
	memcpy(tag, rb.devices[0].tag, 32);
	assert_string_equal(tag, "11111111111111111111111111111111");
	assert_true(rb.devices[0].blocks >= 5);
	assert_int_equal(rb.devices[1].tag[0], '2');

	/* the upper d: its mode, the whiteout over a, b from below (copied) */
	d = child(root, "d");
	assert_non_null(d);
	assert_int_equal(d->mode & 07777, 0700);
	n = child(d, "a");
	assert_true(S_ISCHR(n->mode) && !n->rdev);
	n = child(d, "b");
	assert_non_null(n);
	assert_int_equal(n->nr_pieces, 0);
	assert_non_null(n->src_path);
	assert_int_equal(n->size, 100);
	assert_true(has_xattr(d, "trusted.overlay.origin"));
	/* opaque o: only new */
	d = child(root, "o");
	assert_null(child(d, "old"));
	n = child(d, "new");
	assert_int_equal(n->nr_pieces, 1);
	assert_int_equal(n->pieces[0].device, 2);
	assert_true(has_xattr(d, "trusted.overlay.opaque"));
	/* keep: one piece on device 1, block-aligned, 4096 bytes */
	n = child(root, "keep");
	assert_int_equal(n->nr_pieces, 1);
	assert_int_equal(n->pieces[0].device, 1);
	assert_int_equal(n->pieces[0].len, 4096);
	assert_int_equal(n->pieces[0].pos % 4096, 0);
	assert_non_null(child(root, "x"));
	/* t: the upper directory; the lower file is gone */
	assert_true(S_ISDIR(child(root, "t")->mode));
	erofs_node_put(root);
	erofs_rebuild_release(&rb);

	/* --ovlfs-strip: no whiteout, no markers */
	assert_int_equal(erofs_import_images(&p, paths, 2,
			 EROFS_REBUILD_BLOB_INDEX, true, 0, &root, &rb), 0);
	d = child(root, "d");
	assert_null(child(d, "a"));
	assert_false(has_xattr(d, "trusted.overlay.origin"));
	assert_false(has_xattr(child(root, "o"), "trusted.overlay.opaque"));
	erofs_node_put(root);
	erofs_rebuild_release(&rb);

	/* -x -1: no xattrs kept, but the opaque directory still hides */
	p.xattrs = false;
	assert_int_equal(erofs_import_images(&p, paths, 2,
			 EROFS_REBUILD_BLOB_INDEX, false, 0, &root, &rb), 0);
	d = child(root, "o");
	assert_null(child(d, "old"));
	assert_int_equal(d->nr_xattrs, 0);
	erofs_node_put(root);
	erofs_rebuild_release(&rb);
	p.xattrs = true;

	/* --clean=data: everything copied, no devices */
	assert_int_equal(erofs_import_images(&p, paths, 2, EROFS_REBUILD_FULL,
					     true, 0, &root, &rb), 0);
	assert_int_equal(rb.nr_devices, 0);
	n = child(root, "keep");
	assert_int_equal(n->nr_pieces, 0);
	assert_non_null(n->src_path);
	assert_non_null(rb.spool);
	erofs_node_put(root);
	erofs_rebuild_release(&rb);
}

static void test_bad_sources(void **state)
{
	const char *paths[] = { l1, NULL };
	struct erofs_import_params p;
	struct erofs_rebuild rb;
	struct erofs_node *root;
	char junk[128];
	FILE *f;

	(void)state;
	params(&p);
	snprintf(junk, sizeof(junk), "%s/junk", tmpdir);
	f = fopen(junk, "w");
	assert_non_null(f);
	fputs("not an image", f);
	fclose(f);
	paths[1] = junk;
	lastmsg[0] = '\0';
	assert_true(erofs_import_images(&p, paths, 2, EROFS_REBUILD_BLOB_INDEX,
					false, 0, &root, &rb) < 0);
	assert_null(root);
	assert_non_null(strstr(lastmsg, "junk"));
	paths[1] = "/nonexistent.img";
	assert_int_equal(erofs_import_images(&p, paths, 2,
			 EROFS_REBUILD_BLOB_INDEX, false, 0, &root, &rb),
			 -ENOENT);
	/* -b512 below the sources' 4096: device sizes count 512-byte blocks */
	paths[1] = l1;
	assert_int_equal(erofs_import_images(&p, paths, 1,
			 EROFS_REBUILD_BLOB_INDEX, false, 9, &root, &rb), 0);
	assert_int_equal(rb.devices[0].blocks % 8, 0);	/* in 512-byte units */
	erofs_node_put(root);
	erofs_rebuild_release(&rb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_bad_sources),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
