// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_mkfs.c - the writer on small in-memory trees: build into a memory
 * backend, then parse the superblock, inodes, dirents and xattr areas back
 * by hand (independently of the reader) and check every field that matters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "config.h"
#include "erofs/crc32c.h"
#include "erofs/erofs_fs.h"
#include "erofs/ishare.h"
#include "erofs/mkfs.h"
#include "erofs/mkfs_base.h"
#include "erofs/stream.h"
#include "erofs/tree.h"
#include "erofs/xattr.h"

#define BUILD_TIME 1700000000

static char tmpdir[64];
static struct erofs_log tlog;
/* meta_blkaddr in bytes (= xattr_blkaddr): 0 but with streamed data */
static uint64_t meta_base;

/* ---- tree helpers ---- */
static struct erofs_node *mknode(mode_t mode, const char *path)
{
	struct erofs_node *n = erofs_node_new(mode);

	assert_non_null(n);
	n->mtime = BUILD_TIME;
	n->path = strdup(path);
	return n;
}

static struct erofs_node *add(struct erofs_node *dir, const char *name,
			      mode_t mode)
{
	char path[512];
	struct erofs_node *n;

	snprintf(path, sizeof(path), "%s/%s",
		 strcmp(dir->path, "/") ? dir->path : "", name);
	n = mknode(mode, path);
	assert_int_equal(erofs_tree_add(dir, name, strlen(name), n), 0);
	erofs_node_put(n);	/* the dentry holds it now */
	return n;
}

/* a regular file whose data is `len` bytes of a pattern in a temp file */
static struct erofs_node *add_file(struct erofs_node *dir, const char *name,
				   size_t len, unsigned int seed)
{
	struct erofs_node *n = add(dir, name, S_IFREG | 0644);
	char path[256];
	unsigned char *buf = malloc(len + 1);
	size_t i;
	int fd;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 7 + seed);
	snprintf(path, sizeof(path), "%s/f%u_%zu", tmpdir, seed, len);
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
	return mknode(S_IFDIR | 0755, "/");
}

static void params(struct erofs_mkfs_params *p, unsigned int bits)
{
	erofs_mkfs_params_init(p);
	p->log = &tlog;
	p->blkszbits = bits;
	p->build_time = BUILD_TIME;
}

/* build and return the image bytes (caller frees) */
static int build(const struct erofs_mkfs_params *p, struct erofs_node *root,
		 unsigned char **img, size_t *len)
{
	struct erofs_io io;
	int ret;

	assert_int_equal(erofs_tree_finalize(root), 0);
	assert_int_equal(erofs_io_open_mem(&io, NULL, 0, true), 0);
	ret = erofs_mkfs_build(p, root, &io, NULL);
	if (!ret) {
		*img = malloc(io.len);
		memcpy(*img, io.buf, io.len);
		*len = io.len;
	}
	erofs_io_close(&io);
	return ret;
}

/* ---- image parsing helpers (independent of lib/) ---- */
static uint16_t g16(const unsigned char *p) { return p[0] | p[1] << 8; }
static uint32_t g32(const unsigned char *p)
{
	return g16(p) | (uint32_t)g16(p + 2) << 16;
}
static uint64_t g64(const unsigned char *p)
{
	return g32(p) | (uint64_t)g32(p + 4) << 32;
}

struct pinode {
	const unsigned char *raw;
	uint64_t pos, size;
	unsigned int ifmt, layout, isize, xsize, mode, nlink;
	uint32_t i_u;
	const unsigned char *xattrs;	/* area start */
	const unsigned char *tail;	/* inline data */
};

static struct pinode get_inode(const unsigned char *img, uint64_t nid)
{
	struct pinode pi = { 0 };
	const unsigned char *r = img + meta_base + nid * 32;

	pi.raw = r;
	pi.pos = meta_base + nid * 32;
	pi.ifmt = g16(r);
	pi.layout = (pi.ifmt >> 1) & 7;
	pi.xsize = erofs_xattr_ibody_size(g16(r + 2));
	pi.mode = g16(r + 4);
	if (pi.ifmt & 1) {
		pi.isize = 64;
		pi.size = g64(r + 8);
		pi.nlink = g32(r + 44);
	} else {
		pi.isize = 32;
		pi.size = g32(r + 8);
		pi.nlink = g16(r + 6);
	}
	pi.i_u = g32(r + 16);
	pi.xattrs = r + pi.isize;
	pi.tail = r + pi.isize + pi.xsize;
	return pi;
}

/* read a whole file's data through its layout */
static unsigned char *get_data(const unsigned char *img, unsigned int bs,
			       const struct pinode *pi)
{
	unsigned char *d = malloc(pi->size + 1);
	uint64_t inblk = pi->layout == EROFS_INODE_FLAT_INLINE ?
			 pi->size / bs * bs : pi->size;

	memcpy(d, img + (uint64_t)pi->i_u * bs, inblk);
	if (pi->layout == EROFS_INODE_FLAT_INLINE) {
		/* the tail must not cross a block */
		assert_true((pi->tail - img) % bs + (pi->size - inblk) <= bs);
		memcpy(d + inblk, pi->tail, pi->size - inblk);
	}
	return d;
}

struct pdent {
	uint64_t nid;
	unsigned int type;
	char name[256];
};

/* all dirents of a directory, in on-disk order; returns the count */
static size_t get_dirents(const unsigned char *img, unsigned int bs,
			  const struct pinode *dir, struct pdent *out,
			  size_t max)
{
	unsigned char *d = get_data(img, bs, dir);
	size_t n = 0;
	uint64_t off;

	for (off = 0; off < dir->size; off += bs) {
		const unsigned char *b = d + off;
		size_t valid = EROFS_MIN(bs, dir->size - off);
		unsigned int cnt = g16(b + 8) / 12, i;

		assert_true(cnt >= 1 && g16(b + 8) % 12 == 0);
		for (i = 0; i < cnt && n < max; i++) {
			unsigned int no = g16(b + i * 12 + 8);
			unsigned int end = i + 1 < cnt ? g16(b + i * 12 + 20) :
				(unsigned int)valid;

			/* the last name runs to the first NUL */
			if (i + 1 == cnt)
				end = no + (unsigned int)strnlen((char *)b + no,
								 end - no);
			out[n].nid = g64(b + i * 12);
			out[n].type = b[i * 12 + 10];
			memcpy(out[n].name, b + no, end - no);
			out[n].name[end - no] = '\0';
			n++;
		}
		/* zeros after the last name up to the valid end */
		if (off + bs >= dir->size) {
			size_t last = strlen(out[n - 1].name) +
				      g16(b + (cnt - 1) * 12 + 8);
			for (; last < valid; last++)
				assert_int_equal(b[last], 0);
		}
	}
	free(d);
	return n;
}

static uint64_t lookup(const unsigned char *img, unsigned int bs,
		       uint64_t dirnid, const char *name)
{
	struct pinode dir = get_inode(img, dirnid);
	static struct pdent de[20000];
	size_t n = get_dirents(img, bs, &dir, de, 20000), i;

	for (i = 0; i < n; i++)
		if (!strcmp(de[i].name, name))
			return de[i].nid;
	fail_msg("%s not found", name);
	return 0;
}

static uint64_t root_nid(const unsigned char *img)
{
	return g16(img + 1024 + 14);
}

/* find an xattr entry (inline or shared) by stored index and suffix */
static const unsigned char *find_xattr(const unsigned char *img,
				       const struct pinode *pi,
				       unsigned int index, const char *suffix,
				       bool *shared)
{
	const unsigned char *x = pi->xattrs, *e;
	unsigned int sc, i;
	size_t off;

	if (!pi->xsize)
		return NULL;
	sc = x[4];
	for (i = 0; i < sc; i++) {
		e = img + meta_base + (uint64_t)g32(x + 12 + 4 * i) * 4;
		if (e[1] == index && e[0] == strlen(suffix) &&
		    !memcmp(e + 4, suffix, e[0])) {
			*shared = true;
			return e;
		}
	}
	for (off = 12 + 4 * sc; off + 4 <= pi->xsize;) {
		e = x + off;
		if (e[1] == index && e[0] == strlen(suffix) &&
		    !memcmp(e + 4, suffix, e[0])) {
			*shared = false;
			return e;
		}
		off += erofs_xattr_entry_size(e[0], g16(e + 2));
	}
	return NULL;
}

/* ---- tests ---- */
static void test_minimal_root(void **state)
{
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot();
	unsigned char *img;
	size_t len;
	struct pinode ri;
	struct pdent de[4];

	params(&p, 12);
	memcpy(p.volume_label, "label", 6);
	p.uuid[0] = 0xab;
	assert_int_equal(build(&p, root, &img, &len), 0);
	assert_int_equal(len % 4096, 0);
	assert_int_equal(g32(img + 1024), EROFS_SUPER_MAGIC_V1);
	assert_int_equal(img[1024 + 12], 12);
	assert_int_equal(g64(img + 1024 + 16), 1);		/* inos */
	assert_int_equal(g64(img + 1024 + 24), BUILD_TIME);	/* epoch */
	assert_int_equal(g32(img + 1024 + 36), len / 4096);	/* blocks */
	assert_int_equal(img[1024 + 48], 0xab);
	assert_string_equal((char *)img + 1024 + 64, "label");
	assert_int_equal(g32(img + 1024 + 8),
			 EROFS_FEATURE_COMPAT_SB_CHKSUM |
			 EROFS_FEATURE_COMPAT_MTIME);
	assert_int_equal(g32(img + 1024 + 80), 0);
	assert_int_equal(g32(img + 1024 + 4), erofs_sb_checksum(img, 4096));
	assert_int_not_equal(root_nid(img), 0);

	ri = get_inode(img, root_nid(img));
	assert_int_equal(ri.isize, 32);		/* mtime == build time */
	assert_int_equal(ri.layout, EROFS_INODE_FLAT_INLINE);
	assert_int_equal(ri.size, 2 * 12 + 1 + 2);
	assert_int_equal(ri.nlink, 2);
	assert_int_equal(ri.mode, S_IFDIR | 0755);
	assert_int_equal(get_dirents(img, 4096, &ri, de, 4), 2);
	assert_string_equal(de[0].name, ".");
	assert_string_equal(de[1].name, "..");
	assert_int_equal(de[0].nid, root_nid(img));
	assert_int_equal(de[1].nid, root_nid(img));
	assert_int_equal(de[0].type, EROFS_FT_DIR);
	free(img);
	erofs_node_put(root);
}

static void test_dirent_order(void **state)
{
	static const char *names[] = { "a", "!x", " y", "-z", "..a", "\xe9" };
	static const char *want[] = { " y", "!x", "-z", ".", "..", "..a",
				      "a", "\xe9" };
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot();
	unsigned char *img;
	struct pdent de[16];
	struct pinode ri;
	size_t len, i;

	for (i = 0; i < EROFS_ARRAY_SIZE(names); i++)
		add(root, names[i], S_IFIFO | 0600);
	params(&p, 9);
	assert_int_equal(build(&p, root, &img, &len), 0);
	ri = get_inode(img, root_nid(img));
	assert_int_equal(get_dirents(img, 512, &ri, de, 16),
			 EROFS_ARRAY_SIZE(want));
	for (i = 0; i < EROFS_ARRAY_SIZE(want); i++)
		assert_string_equal(de[i].name, want[i]);
	assert_int_equal(de[0].type, EROFS_FT_FIFO);
	free(img);
	erofs_node_put(root);
}

/* many long names: several blocks, every name reachable, order kept */
static void test_big_directory(void **state)
{
	static struct pdent de[3000];
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot(), *d;
	unsigned char *img;
	char name[256];
	struct pinode di;
	size_t len, n, i;
	unsigned int bits;

	d = add(root, "d", S_IFDIR | 0755);
	for (i = 0; i < 2000; i++) {
		size_t l = 1 + (i * 37) % 255;

		memset(name, 'a' + i % 26, l);
		snprintf(name, sizeof(name), "%04zu", i);
		name[4] = 'x';
		name[l > 5 ? l : 5] = '\0';
		add(d, name, S_IFSOCK | 0600);
	}
	for (bits = 9; bits <= 12; bits++) {
		params(&p, bits);
		assert_int_equal(build(&p, root, &img, &len), 0);
		di = get_inode(img, lookup(img, 1U << bits, root_nid(img), "d"));
		n = get_dirents(img, 1U << bits, &di, de, 3000);
		assert_int_equal(n, 2002);
		for (i = 1; i < n; i++)
			assert_true(strcmp(de[i - 1].name, de[i].name) < 0);
		/* i_size: whole blocks plus the used part of the last */
		assert_true(di.size > (uint64_t)(1U << bits));
		free(img);
	}
	erofs_node_put(root);
}

static void test_regular_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 511, 512,
					513, 3 * 1024 * 1024 + 5 };
	struct erofs_mkfs_params p;
	struct erofs_node *root;
	unsigned char *img;
	unsigned int bits, k;
	size_t len, i;

	for (bits = 9; bits <= 12; bits++) {
		for (k = 0; k < 2; k++) {
			root = mkroot();
			for (i = 0; i < EROFS_ARRAY_SIZE(sizes); i++) {
				char name[32];

				snprintf(name, sizeof(name), "s%zu", sizes[i]);
				add_file(root, name, sizes[i], (unsigned int)i);
			}
			params(&p, bits);
			p.noinline_data = k;
			assert_int_equal(build(&p, root, &img, &len), 0);
			for (i = 0; i < EROFS_ARRAY_SIZE(sizes); i++) {
				char name[32];
				struct pinode fi;
				unsigned char *d;
				size_t j;

				snprintf(name, sizeof(name), "s%zu", sizes[i]);
				fi = get_inode(img, lookup(img, 1U << bits,
							   root_nid(img), name));
				assert_int_equal(fi.size, sizes[i]);
				if (!sizes[i]) {
					assert_int_equal(fi.layout,
							 EROFS_INODE_FLAT_PLAIN);
					assert_int_equal(fi.i_u, 0);
					continue;
				}
				if (k || !(sizes[i] % (1U << bits)))
					assert_int_equal(fi.layout,
							 EROFS_INODE_FLAT_PLAIN);
				d = get_data(img, 1U << bits, &fi);
				for (j = 0; j < sizes[i]; j++)
					if (d[j] != (unsigned char)(j * 7 + i))
						fail_msg("%s byte %zu", name, j);
				free(d);
			}
			free(img);
			erofs_node_put(root);
		}
	}
}

static void test_special_files(void **state)
{
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot(), *n, *f;
	unsigned char *img;
	struct pinode pi;
	size_t len;
	unsigned char *d;

	n = add(root, "blk", S_IFBLK | 0600);
	n->rdev = makedev(259, 300000);
	n = add(root, "chr", S_IFCHR | 0600);
	n->rdev = makedev(4, 5);
	n = add(root, "lnk", S_IFLNK | 0777);
	n->symlink = strdup("target");
	n->size = 6;
	f = add_file(root, "file", 10, 1);
	assert_int_equal(erofs_tree_add(root, "hard", 4, f), 0);
	n = add(root, "late", S_IFREG | 0644);	/* mtime != build time */
	n->mtime = BUILD_TIME + 1;
	n = add(root, "big_uid", S_IFREG | 0644);
	n->uid = 70000;

	params(&p, 12);
	assert_int_equal(build(&p, root, &img, &len), 0);
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "blk"));
	assert_int_equal(pi.i_u, 0x493103E0);
	assert_int_equal(pi.mode, S_IFBLK | 0600);
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "chr"));
	assert_int_equal(pi.i_u, erofs_encode_dev(4, 5));
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "lnk"));
	assert_int_equal(pi.layout, EROFS_INODE_FLAT_INLINE);
	d = get_data(img, 4096, &pi);
	assert_memory_equal(d, "target", 6);
	free(d);
	assert_int_equal(lookup(img, 4096, root_nid(img), "hard"),
			 lookup(img, 4096, root_nid(img), "file"));
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "file"));
	assert_int_equal(pi.nlink, 2);
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "late"));
	assert_int_equal(pi.isize, 64);
	assert_int_equal(g64(pi.raw + 32), BUILD_TIME + 1);
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "big_uid"));
	assert_int_equal(pi.isize, 64);
	assert_int_equal(g32(pi.raw + 24), 70000);
	assert_int_equal(g64(img + 1024 + 16), 7);	/* one inode per link set */
	free(img);
	erofs_node_put(root);
}

static void test_xattrs(void **state)
{
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot(), *n[4];
	unsigned char *img;
	const unsigned char *e;
	struct pinode pi;
	size_t len, i;
	bool shared;
	char name[8];

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		n[i] = add(root, name, S_IFREG | 0644);
		if (i < 3)
			erofs_node_set_xattr(n[i], "user.common", "v", 1);
	}
	erofs_node_set_xattr(n[0], "trusted.overlay.opaque", "y", 1);
	erofs_node_set_xattr(n[0], "system.posix_acl_access",
			     "\x02\0\0\0\x01\0\x06\0\xff\xff\xff\xff", 12);
	erofs_node_set_xattr(n[1], "security.selinux", "ctx", 3);
	erofs_node_set_xattr(n[1], "user.empty", "", 0);

	params(&p, 12);
	p.xattr_prefixes = (const char *const[]){ "trusted.overlay." };
	p.nr_xattr_prefixes = 1;
	assert_int_equal(build(&p, root, &img, &len), 0);
	assert_int_equal(g32(img + 1024 + 80),
			 EROFS_FEATURE_INCOMPAT_XATTR_PREFIXES);
	assert_true(g32(img + 1024 + 8) & EROFS_FEATURE_COMPAT_PLAIN_XATTR_PFX);
	assert_int_equal(img[1024 + 0x5b], 1);
	e = img + (uint64_t)g32(img + 1024 + 0x5c) * 4;
	assert_memory_equal(e, "\x09\x00\x04overlay.\0", 12);

	pi = get_inode(img, lookup(img, 4096, root_nid(img), "f0"));
	assert_true(pi.xsize > 12);
	e = find_xattr(img, &pi, EROFS_XATTR_INDEX_USER, "common", &shared);
	assert_non_null(e);
	assert_true(shared);		/* 3 users > threshold 2 */
	assert_int_equal(g16(e + 2), 1);
	e = find_xattr(img, &pi, 0x80, "opaque", &shared);
	assert_non_null(e);
	assert_false(shared);
	e = find_xattr(img, &pi, EROFS_XATTR_INDEX_POSIX_ACL_ACCESS, "",
		       &shared);
	assert_non_null(e);
	assert_int_equal(g16(e + 2), 12);
	if (erofs_xattr_filter_available()) {
		uint32_t f = g32(pi.xattrs);

		assert_true(g32(img + 1024 + 8) &
			    EROFS_FEATURE_COMPAT_XATTR_FILTER);
		assert_false(f & (1U << erofs_xattr_filter_bit(1, "common", 6)));
		assert_false(f & (1U << erofs_xattr_filter_bit(4,
						"overlay.opaque", 14)));
		assert_false(f & (1U << erofs_xattr_filter_bit(2, "", 0)));
	}
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "f1"));
	assert_non_null(find_xattr(img, &pi, EROFS_XATTR_INDEX_USER, "empty",
				   &shared));
	assert_non_null(find_xattr(img, &pi, EROFS_XATTR_INDEX_SECURITY,
				   "selinux", &shared));
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "f3"));
	assert_int_equal(pi.xsize, 0);
	free(img);

	/* -x -1: nothing shared */
	p.xattr_share_threshold = -1;
	assert_int_equal(build(&p, root, &img, &len), 0);
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "f2"));
	assert_non_null(find_xattr(img, &pi, 1, "common", &shared));
	assert_false(shared);
	free(img);
	erofs_node_put(root);
}

static void test_root_xattr_isize(void **state)
{
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot();
	unsigned char *img;
	struct pinode pi;
	size_t len;

	params(&p, 12);
	p.root_xattr_isize = 100;
	assert_int_equal(build(&p, root, &img, &len), 0);
	pi = get_inode(img, root_nid(img));
	assert_true(pi.xsize >= 100);
	free(img);
	erofs_node_put(root);
}

static void check_fingerprint(const unsigned char *img,
			      const struct pinode *pi, unsigned int id,
			      const void *data, size_t len)
{
	uint8_t digest[EROFS_ISHARE_DIGEST_LEN], want[EROFS_ISHARE_VALUE_LEN];
	struct erofs_sha256 *h = erofs_sha256_new();
	const unsigned char *e;
	bool shared;

	assert_non_null(h);
	erofs_sha256_update(h, data, len);
	erofs_sha256_final(h, digest);
	erofs_sha256_free(h);
	erofs_ishare_value_encode(digest, want);
	e = find_xattr(img, pi, 0x80 | id, "", &shared);
	assert_non_null(e);
	assert_false(shared);
	assert_int_equal(g16(e + 2), EROFS_ISHARE_VALUE_LEN);
	assert_memory_equal(e + 4, want, EROFS_ISHARE_VALUE_LEN);
}

static void test_ishare(void **state)
{
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot(), *f;
	unsigned char *img, *d;
	const unsigned char *rec;
	struct pinode pi;
	bool shared;
	size_t len;

#ifndef HAVE_LIBCRYPTO
	skip();
#endif
	f = add_file(root, "a", 5000, 3);
	erofs_node_set_xattr(f, "trusted.erofs.fingerprint", "stale", 5);
	add_file(root, "empty", 0, 3);
	f = add_file(root, "b", 5000, 3);	/* same content as a */
	erofs_node_set_xattr(f, "user.x", "1", 1);

	params(&p, 12);
	p.ishare_key = "trusted.erofs.fingerprint";
	p.xattr_prefixes = (const char *const[]){ "user.", "trusted.overlay." };
	p.nr_xattr_prefixes = 2;
	assert_int_equal(build(&p, root, &img, &len), 0);
	assert_true(g32(img + 1024 + 8) & EROFS_FEATURE_COMPAT_ISHARE_XATTRS);
	assert_true(g32(img + 1024 + 80) &
		    EROFS_FEATURE_INCOMPAT_XATTR_PREFIXES);
	assert_int_equal(img[1024 + 0x5b], 3);
	assert_int_equal(img[1024 + 0x69], 2);
	/* record 2 after "user." (len 1) and "overlay." (12 bytes) */
	rec = img + (uint64_t)g32(img + 1024 + 0x5c) * 4 + 4 + 12;
	assert_memory_equal(rec, "\x12\x00\x04" "erofs.fingerprint", 20);

	pi = get_inode(img, lookup(img, 4096, root_nid(img), "a"));
	d = get_data(img, 4096, &pi);
	check_fingerprint(img, &pi, 2, d, 5000);
	/* the stale source value is gone: only one entry of that name */
	assert_int_equal(pi.xsize, 12 + erofs_xattr_entry_size(0, 39));
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "b"));
	check_fingerprint(img, &pi, 2, d, 5000);
	/* user.x stored via long prefix 0 ("user.") with suffix "x" */
	assert_non_null(find_xattr(img, &pi, 0x80, "x", &shared));
	free(d);
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "empty"));
	assert_int_equal(pi.xsize, 0);
	free(img);

	/* the hidden default key, reusing an identical --xattr-prefix */
	p.ishare_key = EROFS_ISHARE_DEFAULT_KEY;
	p.xattr_prefixes = (const char *const[]){ EROFS_ISHARE_DEFAULT_KEY };
	p.nr_xattr_prefixes = 1;
	assert_int_equal(build(&p, root, &img, &len), 0);
	assert_int_equal(img[1024 + 0x5b], 1);
	assert_int_equal(img[1024 + 0x69], 0);
	rec = img + (uint64_t)g32(img + 1024 + 0x5c) * 4;
	assert_memory_equal(rec, "\x15\x00\x00" "erofs.fingerprint.v1", 23);
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "a"));
	d = get_data(img, 4096, &pi);
	check_fingerprint(img, &pi, 0, d, 5000);
	free(d);
	if (erofs_xattr_filter_available())
		assert_false(g32(pi.xattrs) & (1U << erofs_xattr_filter_bit(0,
				EROFS_ISHARE_DEFAULT_KEY,
				strlen(EROFS_ISHARE_DEFAULT_KEY))));
	free(img);
	erofs_node_put(root);
}

/* feed one file to the stream: data[0..size), only the ranges listed */
static uint64_t stream_file(struct erofs_stream *s, const unsigned char *data,
			    uint64_t size, const uint64_t (*ranges)[2],
			    size_t nr)
{
	uint64_t id;
	size_t i;

	assert_int_equal(erofs_stream_begin(s, size, &id), 0);
	for (i = 0; i < nr; i++)
		assert_int_equal(erofs_stream_write(s, ranges[i][0],
				 data + ranges[i][0],
				 (size_t)(ranges[i][1] - ranges[i][0])), 0);
	assert_int_equal(erofs_stream_end(s), 0);
	return id;
}

/*
 * --sort=none: data streamed before the build, in "archive" order (a
 * file replaced later included), then the metadata after it: files keep
 * their blocks (FLAT_PLAIN, even where a tail could be inlined), holes
 * read as zeros, fingerprints come from the stream, the build is
 * deterministic, and the stream's rules are enforced.
 */
static void test_streamed(void **state)
{
	static const uint64_t whole[][2] = { { 0, 5000 } };
	static const uint64_t holes[][2] = { { 4096, 4196 }, { 9000, 9001 } };
	struct erofs_mkfs_params p;
	unsigned char data[3 * 4096 + 10], *img[2], *d;
	const struct erofs_stream_file *sf;
	uint64_t first, end, id, dead_blk = 0;
	struct erofs_node *root, *a, *sp, *e;
	struct erofs_stream *s;
	struct erofs_io io;
	struct pinode pi;
	size_t len[2], i;
	int run;
	bool digests = false;

	(void)state;
#ifdef HAVE_LIBCRYPTO
	digests = true;
#endif
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 13 + 5);
	for (run = 0; run < 2; run++) {
		root = mkroot();
		params(&p, 12);
		if (digests)
			p.ishare_key = "trusted.erofs.fingerprint";
		assert_int_equal(erofs_io_open_mem(&io, NULL, 0, true), 0);
		assert_int_equal(erofs_stream_open(&s, &io, 12, digests), 0);
		/* a file a later entry replaces: its blocks stay, unused */
		id = stream_file(s, data, 5000, whole, 1);
		dead_blk = erofs_stream_get(s, id)->blk;
		a = add(root, "a", S_IFREG | 0644);
		a->size = 5000;
		a->stream_id = stream_file(s, data + 1, 5000, whole, 1);
		sp = add(root, "sparse", S_IFREG | 0644);
		sp->size = sizeof(data);
		sp->stream_id = stream_file(s, data, sizeof(data), holes, 2);
		e = add(root, "empty", S_IFREG | 0644);
		(void)e;
		/* out of order or past the end: refused */
		assert_int_equal(erofs_stream_begin(s, 10, &id), 0);
		assert_int_equal(erofs_stream_write(s, 5, data, 2), 0);
		assert_int_equal(erofs_stream_write(s, 0, data, 2), -EINVAL);
		assert_int_equal(erofs_stream_write(s, 8, data, 3), -EINVAL);
		assert_int_equal(erofs_stream_begin(s, 1, &id), -EBUSY);
		assert_int_equal(erofs_stream_end(s), 0);
		erofs_stream_extent(s, &first, &end, NULL);
		assert_int_equal(first, 1);
		assert_int_equal(end, 1 + 2 + 2 + 4 + 1);
		sf = erofs_stream_get(s, a->stream_id);
		assert_int_equal(sf->blk, 3);
		assert_int_equal(sf->has_digest, digests);

		assert_int_equal(erofs_tree_finalize(root), 0);
		p.stream = s;
		/* compression is refused, and so is another image */
		p.nr_compr = 1;
		assert_int_equal(erofs_mkfs_build(&p, root, &io, NULL),
				 -EOPNOTSUPP);
		p.nr_compr = 0;
		p.blkszbits = 10;
		assert_int_equal(erofs_mkfs_build(&p, root, &io, NULL), -EINVAL);
		p.blkszbits = 12;
		assert_int_equal(erofs_mkfs_build(&p, root, &io, NULL), 0);
		img[run] = malloc(io.len);
		memcpy(img[run], io.buf, io.len);
		len[run] = io.len;
		erofs_io_close(&io);
		erofs_stream_free(s);
		erofs_node_put(root);
	}
	assert_int_equal(len[0], len[1]);
	assert_memory_equal(img[0], img[1], len[0]);

	/* metadata right after the stream; nids count from there */
	assert_int_equal(g32(img[0] + 1024 + 40), end);
	assert_int_equal(g32(img[0] + 1024 + 44), end);
	meta_base = end * 4096;
	assert_int_equal(root_nid(img[0]), 0);
	/* the superblock's block holds nothing else */
	for (i = 0; i < 4096; i++)
		if (i < 1024 || i >= 1024 + 128)
			assert_int_equal(img[0][i], 0);
	pi = get_inode(img[0], lookup(img[0], 4096, 0, "a"));
	assert_int_equal(pi.layout, EROFS_INODE_FLAT_PLAIN);
	assert_int_equal(pi.i_u, 3);
	assert_memory_equal(img[0] + 3 * 4096, data + 1, 5000);
	/* the rest of its last block is zero */
	for (i = 5000; i < 2 * 4096; i++)
		assert_int_equal(img[0][3 * 4096 + i], 0);
	if (digests)
		check_fingerprint(img[0], &pi, 0, data + 1, 5000);
	pi = get_inode(img[0], lookup(img[0], 4096, 0, "sparse"));
	assert_int_equal(pi.layout, EROFS_INODE_FLAT_PLAIN);
	assert_int_equal(pi.size, sizeof(data));
	d = get_data(img[0], 4096, &pi);
	for (i = 0; i < sizeof(data); i++)
		assert_int_equal(d[i], (i >= 4096 && i < 4196) || i == 9000 ?
				 data[i] : 0);
	if (digests)
		check_fingerprint(img[0], &pi, 0, d, sizeof(data));
	free(d);
	pi = get_inode(img[0], lookup(img[0], 4096, 0, "empty"));
	assert_int_equal(pi.size, 0);
	/* the replaced file's bytes are still there, nobody's */
	assert_int_equal(dead_blk, 1);
	assert_memory_equal(img[0] + 4096, data, 5000);
	meta_base = 0;
	free(img[0]);
	free(img[1]);
}

struct extent {
	uint64_t start, end;
	const char *what;
};

static int extent_cmp(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * A pseudo-random tree through every block size: all data reads back, no
 * two inodes' metadata overlap, no two files share data blocks, nothing
 * lies past the image end, and every inline tail stays in one block.
 */
static void test_layout_invariants(void **state)
{
	static struct pdent de[512];
	static struct extent meta[512], data[512];
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot(), *n;
	unsigned int bits, seed = 12345;
	unsigned char *img;
	size_t len, i, j, nd;
	char name[32];

	for (i = 0; i < 300; i++) {
		size_t sz;

		seed = seed * 1103515245 + 12345;
		sz = (seed >> 8) % 9000;
		snprintf(name, sizeof(name), "f%03zu", i);
		n = add_file(root, name, sz, (unsigned int)i);
		for (j = 0; j < (seed >> 4) % 4; j++) {
			char xn[32], xv[64];

			snprintf(xn, sizeof(xn), "user.k%zu", j);
			snprintf(xv, sizeof(xv), "%0*zu", (int)((seed >> 12) % 60), j);
			erofs_node_set_xattr(n, xn, xv, strlen(xv));
		}
	}
	for (bits = 9; bits <= 12; bits++) {
		unsigned int bs = 1U << bits;
		struct pinode ri;
		uint64_t blocks;

		params(&p, bits);
		p.xattr_share_threshold = (int)bits - 9;
		assert_int_equal(build(&p, root, &img, &len), 0);
		blocks = g32(img + 1024 + 36);
		assert_int_equal(len, blocks * bs);
		ri = get_inode(img, root_nid(img));
		nd = get_dirents(img, bs, &ri, de, 512);
		assert_int_equal(nd, 302);
		meta[0] = (struct extent){ 1024, 1024 + 128, "sb" };
		for (i = 0, j = 0; i < nd; i++) {
			struct pinode fi;
			unsigned char *d;
			size_t k, idx;

			if (de[i].name[0] != 'f')
				continue;
			fi = get_inode(img, de[i].nid);
			idx = (size_t)atoi(de[i].name + 1);
			meta[j + 1] = (struct extent){ fi.pos, fi.pos + fi.isize +
				fi.xsize + (fi.layout == EROFS_INODE_FLAT_INLINE ?
					    fi.size % bs : 0), "inode" };
			data[j] = (struct extent){ (uint64_t)fi.i_u * bs,
				(uint64_t)fi.i_u * bs +
				(fi.layout == EROFS_INODE_FLAT_INLINE ?
				 fi.size / bs * bs : EROFS_ROUND_UP(fi.size, bs)),
				"data" };
			if (data[j].end == data[j].start)	/* no blocks */
				data[j].start = data[j].end = 0;
			assert_true(data[j].end <= len);
			d = get_data(img, bs, &fi);
			for (k = 0; k < fi.size; k++)
				if (d[k] != (unsigned char)(k * 7 + idx))
					fail_msg("%s byte %zu bs %u", de[i].name,
						 k, bs);
			free(d);
			j++;
		}
		assert_int_equal(j, 300);
		qsort(meta, j + 1, sizeof(*meta), extent_cmp);
		for (i = 1; i < j + 1; i++)
			assert_true(meta[i - 1].end <= meta[i].start);
		qsort(data, j, sizeof(*data), extent_cmp);
		for (i = 1; i < j; i++)
			if (data[i - 1].end > data[i - 1].start)
				assert_true(data[i - 1].end <= data[i].start ||
					    data[i].end == data[i].start);
		/* data never overlaps metadata */
		for (i = 0; i < j; i++)
			if (data[i].end > data[i].start)
				assert_true(data[i].start >=
					    meta[j].end);
		free(img);
	}
	erofs_node_put(root);
}

/* two builds gave the same bytes */
static void assert_same_image(const unsigned char *a, size_t la,
			      const unsigned char *b, size_t lb)
{
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
}

static void test_deterministic(void **state)
{
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot(), *d;
	unsigned char *a, *b;
	size_t la, lb;

	d = add(root, "dir", S_IFDIR | 0700);
	add_file(d, "x", 12345, 9);
	add_file(root, "y", 100, 9);
	erofs_node_set_xattr(d, "user.k", "v", 1);
	params(&p, 10);
	assert_int_equal(build(&p, root, &a, &la), 0);
	assert_int_equal(build(&p, root, &b, &lb), 0);
	assert_same_image(a, la, b, lb);
	free(a);
	free(b);
	erofs_node_put(root);
}

/*
 * Uncompressed builds with workers: plain files are read (and hashed)
 * ahead of emit by other threads (emit_ahead.c).  Sizes around its
 * limits: small buffers, mapped ones, the largest file read ahead and
 * the next size (left to emit), and enough of them to wait for its
 * memory budget.  Any worker count gives the same bytes.
 */
static void test_read_ahead(void **state)
{
	static const size_t sizes[] = {
		1, 4095, 4096, 5000, 100000, 262143, 262144, 300000,
		1U << 20, (1U << 20) + 1, 3U << 20,
	};
	static const unsigned int workers[] = { 2, 3, 8 };
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot(), *d;
	unsigned char *one, *img;
	size_t len1, len, i, j;
	char name[32];

	d = add(root, "d", S_IFDIR | 0755);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(name, sizeof(name), "s%zu", i);
		add_file(d, name, sizes[i], 20 + (unsigned int)i);
	}
	for (i = 0; i < 40; i++) {	/* 12 MB: the budget is 2 MiB */
		snprintf(name, sizeof(name), "m%zu", i);
		add_file(root, name, 300000 + i, 40 + (unsigned int)i);
	}
	for (j = 0; j < 2; j++) {
		params(&p, 12);
		p.ishare_key = j ? "trusted.fp" : NULL;
		p.workers = 1;
		assert_int_equal(build(&p, root, &one, &len1), 0);
		for (i = 0; i < sizeof(workers) / sizeof(workers[0]); i++) {
			p.workers = workers[i];
			assert_int_equal(build(&p, root, &img, &len), 0);
			assert_same_image(img, len, one, len1);
			free(img);
		}
		free(one);
	}
	erofs_node_put(root);
}

static void test_errors(void **state)
{
	static const char *many[130];
	static char names[130][16];
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot(), *f;
	unsigned char *img;
	size_t len, i;

	/* a data source that vanished */
	f = add(root, "gone", S_IFREG | 0644);
	f->src_path = strdup("/nonexistent/erofs-writer-test");
	f->size = 10;
	params(&p, 12);
	p.workers = 1;
	assert_int_equal(build(&p, root, &img, &len), -ENOENT);
	p.workers = 2;		/* a worker reading ahead leaves it to emit */
	assert_int_equal(build(&p, root, &img, &len), -ENOENT);
	f->size = 0;	/* now an empty file: its source is never opened */
	/* a file shorter, then longer than planned */
	f = add_file(root, "short", 10, 1);
	f->size = 20;
	assert_int_equal(build(&p, root, &img, &len), -EIO);
	f->size = 5;
	assert_int_equal(build(&p, root, &img, &len), -EIO);
	f->size = 10;
	assert_int_equal(build(&p, root, &img, &len), 0);
	free(img);

	p.ishare_key = "";
	assert_int_equal(build(&p, root, &img, &len), -EINVAL);
	for (i = 0; i < 130; i++) {
		snprintf(names[i], sizeof(names[i]), "user.p%zu.", i);
		many[i] = names[i];
	}
	p.ishare_key = NULL;
	p.xattr_prefixes = many;
	p.nr_xattr_prefixes = 129;
	assert_int_equal(build(&p, root, &img, &len), -EINVAL);
	p.nr_xattr_prefixes = 128;
	assert_int_equal(build(&p, root, &img, &len), 0);
	free(img);
	p.ishare_key = "user.another";
	assert_int_equal(build(&p, root, &img, &len), -EINVAL);
	p.blkszbits = 13;
	assert_int_equal(build(&p, root, &img, &len), -EINVAL);
	erofs_node_put(root);
}

/* the last error message, for tests that check what a failure says */
static char last_err[512];

static void sink(void *priv, int level, const char *msg)
{
	fprintf(stderr, "log(%d): %s\n", level, msg);
	if (level == EROFS_LOG_ERR)
		snprintf(last_err, sizeof(last_err), "%s", msg);
}

/*
 * A file whose size changes between the import (node->size) and the data
 * pass: the build must fail with -EIO and a message naming the file and
 * what happened, with and without fingerprints (a second reader of the
 * data), for an inline tail and for a block-aligned size.
 */
static void test_size_changed(void **state)
{
	static const struct {
		size_t real, planned;
		const char *what;
	} cases[] = {
		{ 100, 200, "shrank" },		/* inline tail */
		{ 200, 100, "grew" },
		{ 8192, 12288, "shrank" },	/* whole blocks */
		{ 12288, 8192, "grew" },
		{ 0x50000, 0x40000, "grew" },	/* several read chunks */
		{ 0x40000, 0x50000, "shrank" },
	};
	struct erofs_mkfs_params p;
	unsigned char *img;
	size_t len, i;
	int fp;

	/* fp 2, 3: with two workers, where a reader may take the file
	   first and then leaves it to emit (which of the two reads it
	   first is up to timing: the outcome must not be) */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (fp = 0; fp < 4; fp++) {
			struct erofs_node *root = mkroot(), *f;

			add_file(root, "a", 10, 3);
			f = add_file(root, "changing", cases[i].real, 9);
			f->size = cases[i].planned;
			params(&p, 12);
			p.workers = fp < 2 ? 1 : 2;
			if (fp & 1)
				p.ishare_key = "trusted.fp";
			last_err[0] = '\0';
			assert_int_equal(build(&p, root, &img, &len), -EIO);
			assert_non_null(strstr(last_err, "/changing"));
			assert_non_null(strstr(last_err, cases[i].what));
			erofs_node_put(root);
		}
	}
}

/* files whose data stays on extra devices: chunk indexes and the table */
static struct erofs_node *add_pieces(struct erofs_node *dir, const char *name,
				     const struct erofs_node_piece *pc,
				     size_t nr)
{
	struct erofs_node *n = add(dir, name, S_IFREG | 0644);
	size_t i;

	n->pieces = malloc(nr * sizeof(*pc));
	assert_non_null(n->pieces);
	memcpy(n->pieces, pc, nr * sizeof(*pc));
	n->nr_pieces = nr;
	for (i = 0; i < nr; i++)
		n->size += pc[i].len;
	return n;
}

/* -E 48bit: epoch split, compact inodes with their own mtime, no blocks
 * for an all-hole file; -E dot-omitted: no "." and the i_format bit */
static void test_48bit(void **state)
{
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot(), *old, *d, *h;
	unsigned char *img;
	const unsigned char *sb;
	struct pinode pi;
	char path[256];
	size_t len;
	int fd;

	(void)state;
	old = add_file(root, "old", 100, 3);
	old->mtime = 1000000000;	/* 2001: not the build time */
	d = add(root, "d", S_IFDIR | 0755);
	add_file(d, "x", 10, 4);
	snprintf(path, sizeof(path), "%s/hole", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	h = add(root, "sparse", S_IFREG | 0644);
	h->src_path = strdup(path);
	h->size = 1 << 20;
	params(&p, 12);
	p.b48 = true;
	assert_int_equal(build(&p, root, &img, &len), 0);
	sb = img + 1024;
	assert_true(g32(sb + 0x50) & EROFS_FEATURE_INCOMPAT_48BIT);
	/* epoch + build_time = T, with build_time in 32 bits */
	assert_int_equal(g64(sb + 0x18) + g32(sb + 0x6C), BUILD_TIME);
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "old"));
	assert_int_equal(pi.isize, 32);
	assert_int_equal(g64(sb + 0x18) + g32(pi.raw + 12), 1000000000);
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "sparse"));
	assert_int_equal(pi.layout, EROFS_INODE_FLAT_PLAIN);
	assert_int_equal(pi.i_u, 0xFFFFFFFF);
	assert_int_equal(pi.size, 1 << 20);
	assert_true(len < (1 << 20));
	free(img);
	erofs_node_put(root);

	root = mkroot();
	d = add(root, "d", S_IFDIR | 0755);
	add_file(d, "x", 10, 4);
	params(&p, 12);
	p.dot_omitted = true;
	assert_int_equal(build(&p, root, &img, &len), 0);
	assert_true(g32(img + 1024 + 0x50) & EROFS_FEATURE_INCOMPAT_48BIT);
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "d"));
	assert_true(pi.ifmt & (1 << EROFS_I_DOT_OMITTED_BIT));
	/* "..", "x": 2 dirents, names ".." and "x" */
	assert_int_equal(pi.size, 2 * 12 + 3);
	free(img);
	erofs_node_put(root);
}

static void test_pieces(void **state)
{
	static const struct erofs_node_piece three[] = {
		{ .len = 8192, .pos = 16384, .device = 1 },
		{ .len = 4096, .device = EROFS_PIECE_HOLE },
		{ .len = 4196, .pos = 0, .device = 2 },
	};
	static const struct erofs_node_piece one[] = {
		{ .len = (1 << 20) + 1, .pos = 4096, .device = 1 },
	};
	static const uint32_t want_blk[] = { 4, 5, 0xFFFFFFFF, 0, 1 };
	static const uint16_t want_dev[] = { 1, 1, 0, 2, 2 };
	struct erofs_mkfs_device devs[2] = {
		{ .tag = "layer-one", .blocks = 300 },
		{ .tag = "layer-two", .blocks = 10 },
	};
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot();
	unsigned char *img;
	const unsigned char *sb, *slot, *idx;
	struct pinode pi;
	size_t len;
	unsigned int k;

	(void)state;
	add_pieces(root, "three", three, 3);
	add_pieces(root, "one", one, 1);
	params(&p, 12);
	p.devices = devs;
	p.nr_devices = 2;
	assert_int_equal(build(&p, root, &img, &len), 0);
	sb = img + 1024;
	assert_true(g32(sb + 0x50) & EROFS_FEATURE_INCOMPAT_CHUNKED_FILE);
	assert_true(g32(sb + 0x50) & EROFS_FEATURE_INCOMPAT_DEVICE_TABLE);
	assert_int_equal(g16(sb + 0x56), 2);
	slot = img + g16(sb + 0x58) * 128;
	assert_string_equal((const char *)slot, "layer-one");
	assert_int_equal(g32(slot + 64), 300);
	assert_string_equal((const char *)slot + 128, "layer-two");
	assert_int_equal(g32(slot + 128 + 64), 10);
	/* mapped one after another behind the image, as erofs-utils does */
	assert_int_equal(g32(slot + 68), g32(sb + 0x24));
	assert_int_equal(g32(slot + 128 + 68), g32(sb + 0x24) + 300);

	/* five 4 KiB chunks: two on device 1, a hole, two on device 2 */
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "three"));
	assert_int_equal(pi.layout, EROFS_INODE_CHUNK_BASED);
	assert_int_equal(pi.size, 16484);
	assert_int_equal(pi.i_u & 0xFFFF, EROFS_CHUNK_FORMAT_INDEXES | 0);
	idx = img + ((pi.pos + pi.isize + pi.xsize + 7) & ~7ULL);
	for (k = 0; k < 5; k++) {
		assert_int_equal(g16(idx + 8 * k + 2), want_dev[k]);
		assert_int_equal(g32(idx + 8 * k + 4), want_blk[k]);
	}
	/* one run: one chunk covering the file (2 MiB) */
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "one"));
	assert_int_equal(pi.layout, EROFS_INODE_CHUNK_BASED);
	assert_int_equal(pi.i_u & 0xFFFF, EROFS_CHUNK_FORMAT_INDEXES | 9);
	idx = img + ((pi.pos + pi.isize + pi.xsize + 7) & ~7ULL);
	assert_int_equal(g16(idx + 2), 1);
	assert_int_equal(g32(idx + 4), 1);
	free(img);
	erofs_node_put(root);

	/* a device the table lacks, and a piece not on a block boundary */
	root = mkroot();
	add_pieces(root, "bad", (const struct erofs_node_piece[]){
		{ .len = 4096, .device = 3 } }, 1);
	assert_int_equal(build(&p, root, &img, &len), -EINVAL);
	erofs_node_put(root);
	root = mkroot();
	add_pieces(root, "bad", (const struct erofs_node_piece[]){
		{ .len = 100, .pos = 10, .device = 1 } }, 1);
	assert_int_equal(build(&p, root, &img, &len), -EINVAL);
	erofs_node_put(root);
	/* past the end of its device */
	root = mkroot();
	add_pieces(root, "bad", (const struct erofs_node_piece[]){
		{ .len = 8192, .pos = 4096 * 9, .device = 2 } }, 1);
	assert_int_equal(build(&p, root, &img, &len), -EINVAL);
	erofs_node_put(root);
}

/* a piece past 2^32 blocks: refused without 48BIT; with it, an 8-byte
 * index carrying startblk_hi and the 48BIT chunk format, and the device
 * slot's blocks_hi */
static void test_pieces_48bit(void **state)
{
	static const struct erofs_node_piece far[] = {
		{ .len = 4096, .pos = 0, .device = 1 },
		{ .len = 4096, .device = EROFS_PIECE_HOLE },
		{ .len = 100, .pos = ((1ULL << 32) + 5) * 4096, .device = 1 },
	};
	struct erofs_mkfs_device dev = { .tag = "big", .blocks = (1ULL << 32) + 9 };
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot();
	unsigned char *img;
	const unsigned char *sb, *slot, *idx;
	struct pinode pi;
	size_t len;

	(void)state;
	add_pieces(root, "far", far, 3);
	params(&p, 12);
	p.devices = &dev;
	p.nr_devices = 1;
	assert_int_equal(build(&p, root, &img, &len), -EFBIG);
	p.b48 = true;
	assert_int_equal(build(&p, root, &img, &len), 0);
	sb = img + 1024;
	slot = img + g16(sb + 0x58) * 128;
	assert_int_equal(g32(slot + 64), 9);		/* blocks_lo */
	assert_int_equal(g16(slot + 72), 1);		/* blocks_hi */
	pi = get_inode(img, lookup(img, 4096, root_nid(img), "far"));
	assert_int_equal(pi.layout, EROFS_INODE_CHUNK_BASED);
	assert_int_equal(pi.i_u & 0xFFFF, EROFS_CHUNK_FORMAT_INDEXES |
			 EROFS_CHUNK_FORMAT_48BIT | 0);
	idx = img + ((pi.pos + pi.isize + pi.xsize + 7) & ~7ULL);
	assert_int_equal(g16(idx + 0), 0);		/* chunk 0: block 0 */
	assert_int_equal(g32(idx + 4), 0);
	assert_int_equal(g16(idx + 8), 0xFFFF);		/* a 48-bit hole */
	assert_int_equal(g32(idx + 12), 0xFFFFFFFF);
	assert_int_equal(g16(idx + 16), 1);		/* 2^32 + 5 */
	assert_int_equal(g16(idx + 18), 1);
	assert_int_equal(g32(idx + 20), 5);
	free(img);
	erofs_node_put(root);
}

/* reserved files: plain blocks, never written; the block list names them
 * with the archive offsets of their pieces */
static void test_reserved(void **state)
{
	static const struct erofs_node_piece a[] = {
		{ .len = 5000, .pos = 1536, .device = 1 },
	};
	static const struct erofs_node_piece s[] = {
		{ .len = 4096, .device = EROFS_PIECE_HOLE },
		{ .len = 4096, .pos = 9728, .device = 1 },
		{ .len = 10, .device = EROFS_PIECE_HOLE },
	};
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot(), *na, *ns;
	struct erofs_io map;
	unsigned char *img;
	char want[128];
	struct pinode pa, ps;
	size_t len, k;

	(void)state;
	na = add_pieces(root, "a", a, 1);
	ns = add_pieces(root, "s", s, 3);
	na->reserved = ns->reserved = true;
	params(&p, 12);
	p.nr_compr = 0;
	assert_int_equal(erofs_io_open_mem(&map, NULL, 0, true), 0);
	p.blocklist = &map;
	assert_int_equal(build(&p, root, &img, &len), 0);
	pa = get_inode(img, lookup(img, 4096, root_nid(img), "a"));
	ps = get_inode(img, lookup(img, 4096, root_nid(img), "s"));
	assert_int_equal(pa.layout, EROFS_INODE_FLAT_PLAIN);
	assert_int_equal(ps.layout, EROFS_INODE_FLAT_PLAIN);
	assert_int_equal(ps.size, 8202);
	/* nothing written there: the blocks read as zeros */
	assert_true(len >= (pa.i_u + 2) * 4096ULL);
	for (k = 0; k < 8192; k++)
		assert_int_equal(img[pa.i_u * 4096ULL + k], 0);
	snprintf(want, sizeof(want),
		 "%08x        2 00000600 00003192\n%08x        1 00002600\n",
		 pa.i_u, ps.i_u + 1);
	assert_int_equal(map.len, strlen(want));
	assert_memory_equal(map.buf, want, map.len);
	erofs_io_close(&map);
	free(img);
	erofs_node_put(root);

	/* a data run that does not start a block cannot be listed */
	root = mkroot();
	ns = add_pieces(root, "s", (const struct erofs_node_piece[]){
		{ .len = 100, .device = EROFS_PIECE_HOLE },
		{ .len = 100, .pos = 512, .device = 1 } }, 2);
	ns->reserved = true;
	assert_int_equal(erofs_io_open_mem(&map, NULL, 0, true), 0);
	p.blocklist = &map;
	assert_int_equal(build(&p, root, &img, &len), -EINVAL);
	erofs_io_close(&map);
	erofs_node_put(root);
}

/*
 * --incremental through the library: a base image extended by a layer;
 * the kept file and directory keep their nids (and the file its bytes),
 * the replaced and added files are new inodes past the old end, the kept
 * directory's ".." names the new root, and the old bytes but for the
 * superblock and that ".." are untouched
 */
static void test_incremental(void **state)
{
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot(), *d;
	struct erofs_mkfs_base_ctx b;
	struct erofs_io io;
	struct pdent de[8];
	struct pinode pd;
	unsigned char *old;
	uint64_t keep, dnid, nnid, onid, old_len, i, diff = 0;
	size_t n, k;

	(void)state;
	add_file(root, "keep", 5000, 1);
	d = add(root, "d", S_IFDIR | 0755);
	add_file(d, "x", 10, 2);
	add_file(root, "old", 100, 3);
	params(&p, 12);
	assert_int_equal(erofs_tree_finalize(root), 0);
	assert_int_equal(erofs_io_open_mem(&io, NULL, 0, true), 0);
	assert_int_equal(erofs_mkfs_build(&p, root, &io, NULL), 0);
	erofs_node_put(root);
	old_len = io.len;
	old = malloc(old_len);
	memcpy(old, io.buf, old_len);
	keep = lookup(old, 4096, root_nid(old), "keep");
	dnid = lookup(old, 4096, root_nid(old), "d");

	root = mkroot();
	add_file(root, "old", 200, 4);
	add_file(root, "new", 300, 5);
	assert_int_equal(erofs_tree_finalize(root), 0);
	params(&p, 12);
	p.build_time = BUILD_TIME + 1000;	/* the image's epoch wins */
	assert_int_equal(erofs_mkfs_base_open(&b, &io, &tlog), 0);
	assert_int_equal(erofs_mkfs_base_apply(&b, &p, false), 0);
	assert_int_equal(p.build_time, BUILD_TIME);
	assert_int_equal(erofs_mkfs_base_merge(&b, root, false, &p, false), 0);
	assert_int_equal(b.kept, 2);
	assert_int_equal(erofs_mkfs_build(&p, root, &io, NULL), 0);
	erofs_mkfs_base_close(&b);

	assert_true(io.len > old_len);
	assert_int_equal(lookup(io.buf, 4096, root_nid(io.buf), "keep"), keep);
	assert_int_equal(lookup(io.buf, 4096, root_nid(io.buf), "d"), dnid);
	nnid = lookup(io.buf, 4096, root_nid(io.buf), "new");
	onid = lookup(io.buf, 4096, root_nid(io.buf), "old");
	assert_true(nnid * 32 >= old_len && onid * 32 >= old_len);
	assert_int_equal(get_inode(io.buf, onid).size, 200);
	/* the kept directory's ".." names the new root */
	pd = get_inode(io.buf, dnid);
	n = get_dirents(io.buf, 4096, &pd, de, 8);
	for (k = 0; k < n; k++)
		if (!strcmp(de[k].name, ".."))
			assert_int_equal(de[k].nid, root_nid(io.buf));
	/* old bytes: the superblock (128) and one nid (8) at most differ */
	for (i = 0; i < old_len; i++)
		diff += io.buf[i] != old[i] &&
			(i < 1024 || i >= 1024 + 128);
	assert_true(diff <= 8);
	free(old);
	erofs_io_close(&io);
	erofs_node_put(root);
}

/*
 * Inline tails of inodes whose body and tail exceed a block: the body
 * crosses a block boundary and the tail starts after it, inside one
 * block (512-byte blocks: 800 bytes of xattrs and a 1-byte file; a
 * 64-byte inode with a 480-byte tail)
 */
static void test_inline_crossing(void **state)
{
	struct erofs_mkfs_params p;
	struct erofs_node *root = mkroot(), *x, *t;
	unsigned char *img;
	struct pinode pi;
	char name[32], val[64];
	size_t len;
	int i;

	(void)state;
	x = add_file(root, "xattrs", 1, 1);
	for (i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "user.attribute%02d", i);
		memset(val, 'a' + i, sizeof(val));
		assert_int_equal(erofs_node_set_xattr(x, name, val, sizeof(val)), 0);
	}
	t = add_file(root, "tail", 1000 * 512 + 480, 2);
	t->uid = 100000;		/* an extended inode */
	params(&p, 9);
	assert_int_equal(build(&p, root, &img, &len), 0);
	pi = get_inode(img, lookup(img, 512, root_nid(img), "xattrs"));
	assert_int_equal(pi.layout, EROFS_INODE_FLAT_INLINE);
	assert_true(pi.isize + pi.xsize > 512);
	assert_int_equal(pi.tail[0], 1);	/* add_file's pattern at 0 */
	assert_true((pi.pos + pi.isize + pi.xsize) % 512 + 1 <= 512);
	pi = get_inode(img, lookup(img, 512, root_nid(img), "tail"));
	assert_int_equal(pi.layout, EROFS_INODE_FLAT_INLINE);
	assert_int_equal(pi.isize, 64);
	assert_true((pi.pos + pi.isize + pi.xsize) % 512 + 480 <= 512);
	free(img);
	erofs_node_put(root);
}

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/erofs-test-mkfs-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	erofs_log_init(&tlog);
	tlog.sink = sink;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_root),
		cmocka_unit_test(test_dirent_order),
		cmocka_unit_test(test_big_directory),
		cmocka_unit_test(test_regular_sizes),
		cmocka_unit_test(test_special_files),
		cmocka_unit_test(test_xattrs),
		cmocka_unit_test(test_root_xattr_isize),
		cmocka_unit_test(test_ishare),
		cmocka_unit_test(test_streamed),
		cmocka_unit_test(test_layout_invariants),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_read_ahead),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_size_changed),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_pieces_48bit),
		cmocka_unit_test(test_reserved),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_inline_crossing),
		cmocka_unit_test(test_48bit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
