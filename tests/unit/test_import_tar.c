// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_import_tar.c - build tar archives in memory with libarchive's
 * writer, import them with erofs_import_tar() and check the nodes: every
 * file type, data in the spool, pax times and large ids, xattrs and ACLs,
 * tar semantics (later entries win, implicit parents, hard links), --aufs,
 * options, and the errors (".." paths, dangling hard links, garbage).
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
#include <sys/sysmacros.h>
#include <unistd.h>
#include "erofs/import.h"
#include "erofs/io.h"
#include "erofs/ishare.h"
#ifdef HAVE_LIBARCHIVE
#include <archive.h>
#include <archive_entry.h>

static char lastmsg[1024];

static void sink(void *priv, int level, const char *msg)
{
	(void)priv;
	if (level == EROFS_LOG_ERR)
		snprintf(lastmsg, sizeof(lastmsg), "%s", msg);
}

static struct erofs_log test_log = { EROFS_LOG_DBG, sink, NULL };

/* an archive being written to a temporary file */
struct tarw {
	struct archive *a;
	char path[64];
};

static void tw_open(struct tarw *w, int format)
{
	int fd;

	snprintf(w->path, sizeof(w->path), "/tmp/importer2-unit-XXXXXX");
	fd = mkstemp(w->path);
	assert_true(fd >= 0);
	close(fd);
	w->a = archive_write_new();
	assert_non_null(w->a);
	assert_int_equal(archive_write_set_format(w->a, format), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(w->a, w->path), ARCHIVE_OK);
}

/* add one entry; data (size bytes) for regular files, link for symlinks */
static struct archive_entry *tw_entry(const char *path, mode_t mode)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, path);
	archive_entry_set_mode(e, mode);
	archive_entry_set_mtime(e, 1700000000, 0);
	return e;
}

static void tw_add(struct tarw *w, struct archive_entry *e, const char *data)
{
	size_t n = data ? strlen(data) : 0;

	if (S_ISREG(archive_entry_mode(e)) && !archive_entry_hardlink(e))
		archive_entry_set_size(e, (la_int64_t)n);
	assert_int_equal(archive_write_header(w->a, e), ARCHIVE_OK);
	if (n)
		assert_int_equal(archive_write_data(w->a, data, n), (ssize_t)n);
	archive_entry_free(e);
}

static void tw_file(struct tarw *w, const char *path, const char *data)
{
	tw_add(w, tw_entry(path, S_IFREG | 0644), data);
}

static void tw_close(struct tarw *w)
{
	assert_int_equal(archive_write_close(w->a), ARCHIVE_OK);
	archive_write_free(w->a);
}

static void params(struct erofs_import_params *p)
{
	erofs_import_params_init(p);
	p->log = &test_log;
	p->timestamp = 1234;
}

/* the node at a '/'-separated path below root, NULL if absent */
static struct erofs_node *find(struct erofs_node *root, const char *path)
{
	struct erofs_node *n = root;
	char buf[256], *tok, *save = NULL;
	size_t i;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, "/", &save); tok && n;
	     tok = strtok_r(NULL, "/", &save)) {
		struct erofs_node *next = NULL;

		for (i = 0; i < n->nr_dentries; i++)
			if (!strcmp(n->dentries[i].name, tok))
				next = n->dentries[i].inode;
		n = next;
	}
	return n;
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

/* the data of a regular file node, read back from the spool */
static void check_data(const struct erofs_node *n, const char *want)
{
	char buf[256] = { 0 };
	int fd;

	assert_int_equal(n->size, strlen(want));
	if (!n->size) {
		assert_null(n->src_path);
		return;
	}
	assert_non_null(n->src_path);
	assert_true(n->src_off > 0);
	fd = open(n->src_path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, n->size, (off_t)n->src_off),
			 (ssize_t)n->size);
	close(fd);
	assert_memory_equal(buf, want, n->size);
}

static int import(struct tarw *w, const struct erofs_import_params *p,
		  struct erofs_node **root, struct erofs_spool **spool)
{
	int ret;

	lastmsg[0] = '\0';
	ret = erofs_import_tar(p, w->path, root, spool);
	unlink(w->path);
	return ret;
}

static void test_types(void **state)
{
	struct erofs_import_params p;
	struct erofs_spool *spool;
	struct erofs_node *root, *n;
	struct archive_entry *e;
	struct tarw w;
	char spool_src[64], longname[2 + 255 + 1];

	(void)state;
	tw_open(&w, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	e = tw_entry("./", S_IFDIR | 0711);
	archive_entry_set_uid(e, 5);
	tw_add(&w, e, NULL);
	tw_add(&w, tw_entry("dir/", S_IFDIR | 0750), NULL);
	e = tw_entry("dir/f", S_IFREG | 04755);
	archive_entry_set_uid(e, 100000);
	archive_entry_set_gid(e, 200000);
	archive_entry_set_mtime(e, 5000000000LL, 123456789);
	archive_entry_xattr_add_entry(e, "user.k", "v\0w", 3);
	archive_entry_xattr_add_entry(e, "trusted.t", "", 0);
	archive_entry_xattr_add_entry(e, "unknown.ns", "x", 1);
	tw_add(&w, e, "hello");
	tw_file(&w, "empty", NULL);
	e = tw_entry("sym", S_IFLNK | 0777);
	archive_entry_set_symlink(e, "dir/f");
	tw_add(&w, e, NULL);
	e = tw_entry("hard", S_IFREG | 0644);
	archive_entry_set_hardlink(e, "./dir/f");
	tw_add(&w, e, NULL);
	e = tw_entry("chr", S_IFCHR | 0600);
	archive_entry_set_rdevmajor(e, 4095);
	archive_entry_set_rdevminor(e, 1048575);
	tw_add(&w, e, NULL);
	tw_add(&w, tw_entry("blk", S_IFBLK | 0600), NULL);
	tw_add(&w, tw_entry("fifo", S_IFIFO | 0644), NULL);
	memset(longname, 'a', sizeof(longname) - 1);
	memcpy(longname, "n/", 2);
	longname[2 + 255] = '\0';	/* "n/" and a 255-byte name */
	tw_file(&w, longname, "long");
	tw_close(&w);

	params(&p);
	assert_int_equal(import(&w, &p, &root, &spool), 0);
	assert_non_null(spool);
	assert_true(S_ISDIR(root->mode));
	assert_int_equal(root->mode & 07777, 0711);
	assert_int_equal(root->uid, 5);
	assert_string_equal(root->path, "/");

	n = find(root, "dir/f");
	assert_non_null(n);
	assert_int_equal(n->mode, S_IFREG | 04755);
	assert_int_equal(n->uid, 100000);
	assert_int_equal(n->gid, 200000);
	assert_int_equal(n->mtime, 5000000000LL);
	assert_int_equal(n->mtime_nsec, 123456789);
	assert_int_equal(n->nlink, 2);
	assert_string_equal(n->path, "/dir/f");
	check_data(n, "hello");
	snprintf(spool_src, sizeof(spool_src), "%s", n->src_path);
	assert_int_equal(n->nr_xattrs, 2);	/* unknown.ns is dropped */
	assert_int_equal(xattr(n, "user.k")->value_len, 3);
	assert_memory_equal(xattr(n, "user.k")->value, "v\0w", 3);
	assert_non_null(xattr(n, "trusted.t"));
	assert_ptr_equal(find(root, "hard"), n);

	check_data(find(root, "empty"), "");
	n = find(root, "sym");
	assert_true(S_ISLNK(n->mode));
	assert_string_equal(n->symlink, "dir/f");
	assert_int_equal(n->size, 5);
	n = find(root, "chr");
	assert_true(S_ISCHR(n->mode));
	assert_int_equal(n->rdev, makedev(4095, 1048575));
	assert_true(S_ISBLK(find(root, "blk")->mode));
	assert_true(S_ISFIFO(find(root, "fifo")->mode));
	assert_non_null(find(root, "n"));
	assert_int_equal(find(root, "n")->nr_dentries, 1);
	assert_int_equal(find(root, "n")->dentries[0].name_len, 255);
	assert_int_equal(find(root, "dir")->mode & 07777, 0750);
	assert_int_equal(root->nlink, 4);	/* ., .., dir, n */

	/* the spool can be opened while held and is gone after close */
	erofs_node_put(root);
	erofs_spool_close(spool);
	assert_int_equal(open(spool_src, O_RDONLY), -1);
}

/*
 * --sort=none: regular file data goes into the stream in archive order
 * (a replaced file's data included), no spool is made, hard links share
 * the first name's data, empty files stream nothing.
 */
static void test_stream(void **state)
{
	struct erofs_import_params p;
	struct erofs_spool *spool;
	const struct erofs_stream_file *f;
	struct erofs_node *root, *n;
	struct archive_entry *e;
	struct erofs_stream *s;
	struct erofs_io io;
	uint64_t first, end, bytes;
	struct tarw w;

	(void)state;
	tw_open(&w, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	tw_file(&w, "x", "old");
	tw_file(&w, "d/y", "why");
	tw_file(&w, "empty", NULL);
	e = tw_entry("h", S_IFREG | 0644);
	archive_entry_set_hardlink(e, "d/y");
	tw_add(&w, e, NULL);
	tw_file(&w, "x", "new!");
	tw_close(&w);

	assert_int_equal(erofs_io_open_mem(&io, NULL, 0, true), 0);
	assert_int_equal(erofs_stream_open(&s, &io, 9, false), 0);
	params(&p);
	p.stream = s;
	assert_int_equal(import(&w, &p, &root, &spool), 0);
	assert_null(spool);
	erofs_stream_extent(s, &first, &end, &bytes);
	assert_int_equal(first, 3);		/* 1024 + 128 bytes: 3 blocks */
	assert_int_equal(end, 6);		/* three files, one block each */
	assert_int_equal(bytes, 10);
	n = find(root, "x");
	assert_null(n->src_path);
	f = erofs_stream_get(s, n->stream_id);
	assert_non_null(f);
	assert_int_equal(f->blk, 5);		/* after old x and d/y */
	assert_int_equal(f->size, 4);
	assert_memory_equal(io.buf + 5 * 512, "new!", 4);
	assert_memory_equal(io.buf + 3 * 512, "old", 3);	/* dead */
	n = find(root, "d/y");
	assert_ptr_equal(find(root, "h"), n);
	assert_int_equal(erofs_stream_get(s, n->stream_id)->blk, 4);
	n = find(root, "empty");
	assert_int_equal(n->stream_id, 0);
	assert_int_equal(n->size, 0);
	erofs_node_put(root);
	erofs_stream_free(s);
	erofs_io_close(&io);
}

static void test_semantics(void **state)
{
	struct erofs_import_params p;
	struct erofs_spool *spool;
	struct erofs_node *root, *n;
	struct archive_entry *e;
	struct tarw w;

	(void)state;
	tw_open(&w, ARCHIVE_FORMAT_TAR_GNUTAR);
	tw_file(&w, "a/b/c/file", "first");	/* parents implicit */
	tw_file(&w, "x", "one");
	e = tw_entry("y", S_IFREG | 0644);
	archive_entry_set_hardlink(e, "x");
	tw_add(&w, e, NULL);
	tw_file(&w, "./x", "two-longer");	/* replaces x, y keeps "one" */
	tw_add(&w, tw_entry("a/b/", S_IFDIR | 0700), NULL);	/* merged */
	tw_file(&w, "a/b/c/file", "second");
	tw_file(&w, "gone/sub/f", "f");
	tw_file(&w, "gone", "now a file");	/* a directory replaced */
	tw_close(&w);

	params(&p);
	p.timestamp = 777;
	p.all_root = true;
	p.uid_offset = 10;
	assert_int_equal(import(&w, &p, &root, &spool), 0);
	check_data(find(root, "x"), "two-longer");
	check_data(find(root, "y"), "one");
	assert_int_equal(find(root, "x")->nlink, 1);
	assert_int_equal(find(root, "y")->nlink, 1);
	check_data(find(root, "a/b/c/file"), "second");
	n = find(root, "a");
	assert_int_equal(n->mode, S_IFDIR | 0755);	/* implicit */
	assert_int_equal(n->uid, 10);			/* root's owner */
	assert_int_equal(n->mtime, 777);
	assert_int_equal(find(root, "a/b")->mode, S_IFDIR | 0700);
	assert_int_equal(find(root, "a/b")->mtime, 1700000000);
	assert_int_equal(find(root, "x")->uid, 10);
	assert_string_equal(find(root, "a/b/c")->path, "/a/b/c");
	check_data(find(root, "gone"), "now a file");
	assert_int_equal(root->mtime, 777);
	erofs_node_put(root);
	erofs_spool_close(spool);
}

static void test_acl_aufs_exclude(void **state)
{
	static const uint8_t want[] = {
		2, 0, 0, 0,
		0x01, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,	/* user:: rwx */
		0x02, 0, 5, 0, 0xe8, 0x03, 0, 0,	/* user:1000: r-x */
		0x04, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,	/* group:: r-- */
		0x10, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,	/* mask:: r-x */
		0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,	/* other:: --- */
	};
	struct erofs_import_params p;
	struct erofs_spool *spool;
	struct erofs_node *root, *n;
	const struct erofs_xattr *x;
	struct archive_entry *e;
	struct tarw w;

	(void)state;
	tw_open(&w, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	e = tw_entry("acl", S_IFDIR | 0750);
	assert_int_equal(archive_entry_acl_from_text(e,
		"user::rwx,user:1000:r-x,group::r--,mask::r-x,other::---",
		ARCHIVE_ENTRY_ACL_TYPE_ACCESS), ARCHIVE_OK);
	assert_int_equal(archive_entry_acl_from_text(e,
		"user::rwx,group::r-x,other::r-x",
		ARCHIVE_ENTRY_ACL_TYPE_DEFAULT), ARCHIVE_OK);
	tw_add(&w, e, NULL);
	tw_file(&w, "d/.wh.deleted", NULL);
	tw_file(&w, "o/.wh..wh..opq", NULL);
	tw_file(&w, "skip/me", "x");
	tw_file(&w, "keep.txt", "k");
	tw_file(&w, "drop.tmp", "t");
	tw_close(&w);

	params(&p);
	p.aufs = true;
	p.exclude_paths = (const char *const[]){ "/skip/", NULL };
	p.exclude_regex = (const char *const[]){ "\\.tmp$", NULL };
	assert_int_equal(import(&w, &p, &root, &spool), 0);
	n = find(root, "acl");
	x = xattr(n, "system.posix_acl_access");
	assert_non_null(x);
	assert_int_equal(x->value_len, sizeof(want));
	assert_memory_equal(x->value, want, sizeof(want));
	x = xattr(n, "system.posix_acl_default");
	assert_non_null(x);
	assert_int_equal(x->value_len, 4 + 3 * 8);

	n = find(root, "d/deleted");
	assert_non_null(n);
	assert_true(S_ISCHR(n->mode));
	assert_int_equal(n->rdev, 0);
	assert_null(find(root, "d/.wh.deleted"));
	assert_non_null(xattr(find(root, "d"), "trusted.overlay.origin"));
	x = xattr(find(root, "o"), "trusted.overlay.opaque");
	assert_non_null(x);
	assert_memory_equal(x->value, "y", 1);
	assert_int_equal(find(root, "o")->nr_dentries, 0);

	assert_null(find(root, "skip"));
	assert_null(find(root, "drop.tmp"));
	assert_non_null(find(root, "keep.txt"));
	erofs_node_put(root);
	erofs_spool_close(spool);
}

/*
 * A hard link whose target lies in an excluded path still gets the data:
 * tar stores it only with the first (excluded) name.  This used to fail
 * with "hard link target ... does not exist".
 */
static void test_link_into_excluded(void **state)
{
	struct erofs_import_params p;
	struct erofs_spool *spool;
	struct erofs_node *root, *n;
	struct archive_entry *e;
	struct tarw w;

	(void)state;
	tw_open(&w, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	tw_file(&w, "skip/data", "payload");
	e = tw_entry("keep/link", S_IFREG | 0644);
	archive_entry_set_hardlink(e, "skip/data");
	tw_add(&w, e, NULL);
	e = tw_entry("keep/link2", S_IFREG | 0644);
	archive_entry_set_hardlink(e, "keep/link");
	tw_add(&w, e, NULL);
	tw_close(&w);

	params(&p);
	p.exclude_paths = (const char *const[]){ "skip", NULL };
	assert_int_equal(import(&w, &p, &root, &spool), 0);
	assert_null(find(root, "skip"));
	n = find(root, "keep/link");
	assert_non_null(n);
	check_data(n, "payload");
	assert_ptr_equal(find(root, "keep/link2"), n);
	assert_int_equal(n->nlink, 2);	/* the excluded name does not count */
	erofs_node_put(root);
	erofs_spool_close(spool);
}

static void expect_error(struct tarw *w, int err, const char *msg)
{
	struct erofs_import_params p;
	struct erofs_spool *spool = (void *)1;
	struct erofs_node *root = (void *)1;

	params(&p);
	assert_int_equal(import(w, &p, &root, &spool), err);
	assert_null(root);
	assert_null(spool);
	if (!strstr(lastmsg, msg))
		fail_msg("message '%s' lacks '%s'", lastmsg, msg);
}

static void test_errors(void **state)
{
	struct archive_entry *e;
	struct tarw w;
	FILE *f;

	(void)state;
	tw_open(&w, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	tw_file(&w, "ok", "fine");
	tw_file(&w, "a/../../evil", "x");
	tw_close(&w);
	expect_error(&w, -EPERM, "a/../../evil: refusing a path with a \"..\"");

	tw_open(&w, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	e = tw_entry("link", S_IFREG | 0644);
	archive_entry_set_hardlink(e, "nowhere");
	tw_add(&w, e, NULL);
	tw_close(&w);
	expect_error(&w, -ENOENT, "hard link target nowhere does not exist");

	tw_open(&w, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	tw_file(&w, "file", "x");
	tw_file(&w, "file/below", "y");
	tw_close(&w);
	expect_error(&w, -ENOTDIR, "/file is not a directory");

	tw_open(&w, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	tw_file(&w, ".", "x");
	tw_close(&w);
	expect_error(&w, -ENOTDIR, "the root must be a directory");

	tw_open(&w, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	tw_close(&w);
	f = fopen(w.path, "w");
	assert_non_null(f);
	fputs("definitely not a tar archive, just some words", f);
	fclose(f);
	expect_error(&w, -EIO, "not a readable tar archive");

	snprintf(w.path, sizeof(w.path), "/nonexistent/x.tar");
	expect_error(&w, -ENOENT, "cannot open tar input /nonexistent/x.tar");
}

/* read len bytes of the archive at pos */
static void tar_bytes_at(const char *path, uint64_t pos, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)pos), (ssize_t)len);
	close(fd);
}

/* --tar=i: pieces into the archive, digests, headerball, refusals */
static void test_index(void **state)
{
	static const char hello[] = "hello";
	char big[1500], buf[1500], hb_path[64];
	struct erofs_import_params p;
	struct erofs_node *root, *n;
	struct erofs_sha256 *h;
	uint8_t want[32];
	uint64_t bytes;
	struct tarw w;
	FILE *in, *out;
	int fd, blk;

	(void)state;
	memset(big, 'b', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	tw_open(&w, ARCHIVE_FORMAT_TAR_USTAR);
	tw_add(&w, tw_entry("./", S_IFDIR | 0755), NULL);
	tw_file(&w, "a", hello);
	tw_file(&w, "empty", NULL);
	tw_file(&w, "big", big);
	tw_close(&w);

	params(&p);
	p.digests = true;
	assert_int_equal(erofs_import_tar_index(&p, w.path, false, &root,
						&bytes), 0);
	/* ./, a + 1 data block, empty, big + 3, two zero blocks at least */
	assert_true(bytes >= 9 * 512 && bytes % 512 == 0);
	n = find(root, "a");
	assert_non_null(n);
	assert_null(n->src_path);
	assert_int_equal(n->nr_pieces, 1);
	assert_int_equal(n->pieces[0].device, 1);
	assert_int_equal(n->pieces[0].len, 5);
	assert_int_equal(n->pieces[0].pos % 512, 0);
	tar_bytes_at(w.path, n->pieces[0].pos, buf, 5);
	assert_memory_equal(buf, hello, 5);
	h = erofs_sha256_new();
	if (h) {	/* built with libcrypto */
		assert_int_equal(erofs_sha256_update(h, hello, 5), 0);
		assert_int_equal(erofs_sha256_final(h, want), 0);
		erofs_sha256_free(h);
		assert_true(n->has_digest);
		assert_memory_equal(n->digest, want, 32);
	}
	n = find(root, "big");
	assert_int_equal(n->nr_pieces, 1);
	assert_int_equal(n->size, sizeof(big) - 1);
	tar_bytes_at(w.path, n->pieces[0].pos, buf, sizeof(big) - 1);
	assert_memory_equal(buf, big, sizeof(big) - 1);
	n = find(root, "empty");
	assert_int_equal(n->size, 0);
	assert_int_equal(n->nr_pieces, 0);
	erofs_node_put(root);

	/* the same archive without its data blocks: a headerball */
	snprintf(hb_path, sizeof(hb_path), "/tmp/importer2-hb-XXXXXX");
	fd = mkstemp(hb_path);
	assert_true(fd >= 0);
	in = fopen(w.path, "rb");
	out = fdopen(fd, "wb");
	assert_non_null(in);
	assert_non_null(out);
	for (blk = 0; fread(buf, 1, 512, in) == 512; blk++)
		if (blk != 2 && (blk < 5 || blk > 7))	/* a's, big's data */
			assert_int_equal(fwrite(buf, 1, 512, out), 512);
	fclose(in);
	fclose(out);
	unlink(w.path);
	assert_int_equal(erofs_import_tar_index(&p, hb_path, true, &root,
						&bytes), 0);
	unlink(hb_path);
	assert_int_equal(bytes, 0);
	n = find(root, "big");
	assert_non_null(n);
	assert_int_equal(n->size, sizeof(big) - 1);
	assert_int_equal(n->nr_pieces, 1);
	assert_int_equal(n->pieces[0].device, EROFS_PIECE_HOLE);
	assert_int_equal(n->pieces[0].len, sizeof(big) - 1);
	assert_false(n->has_digest);
	assert_non_null(find(root, "a"));
	assert_non_null(find(root, "empty"));
	erofs_node_put(root);

	/* the index addresses the tar itself: a compressed one cannot be */
	tw_open(&w, ARCHIVE_FORMAT_TAR_USTAR);
	archive_write_free(w.a);
	w.a = archive_write_new();
	assert_int_equal(archive_write_set_format(w.a, ARCHIVE_FORMAT_TAR_USTAR),
			 ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_gzip(w.a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(w.a, w.path), ARCHIVE_OK);
	tw_file(&w, "a", hello);
	tw_close(&w);
	lastmsg[0] = '\0';
	assert_int_equal(erofs_import_tar_index(&p, w.path, false, &root,
						&bytes), -EINVAL);
	unlink(w.path);
	assert_non_null(strstr(lastmsg, "must be uncompressed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_semantics),
		cmocka_unit_test(test_acl_aufs_exclude),
		cmocka_unit_test(test_link_into_excluded),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
static void test_no_libarchive(void **state)
{
	struct erofs_import_params p;
	struct erofs_spool *spool;
	struct erofs_node *root;

	(void)state;
	erofs_import_params_init(&p);
	assert_int_equal(erofs_import_tar(&p, "-", &root, &spool), -EOPNOTSUPP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_libarchive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
