// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_mkfs_z.c - compressed regular files in the writer: -z parsing,
 * which files get compressed, superblock bits and COMPR_CFGS records, the
 * exact index bytes of small known cases, and a decode of every file of
 * every algorithm/layout combination through lib/zmap.c (written
 * independently of the writer) compared with the source bytes.
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
#include "config.h"
#include "erofs/check.h"
#include "erofs/erofs_fs.h"
#include "erofs/ishare.h"
#include "erofs/mkfs.h"
#include "erofs/tree.h"
#include "erofs/verify.h"
#include "erofs/xattr.h"
#include "erofs/zmap.h"

#define BUILD_TIME 1700000000

static char tmpdir[64];
static struct erofs_log tlog;

/* the last error message, for tests that check what a failure says */
static char last_err[512];

static void sink(void *priv, int level, const char *msg)
{
	(void)priv;
	if (level <= EROFS_LOG_WARN)
		fprintf(stderr, "  log: %s\n", msg);
	if (level == EROFS_LOG_ERR)
		snprintf(last_err, sizeof(last_err), "%s", msg);
}

/* ---- test data ---- */
enum { D_TEXT, D_RAND, D_ZERO, D_MIXED };

static unsigned char *mkdata(int kind, size_t len, unsigned int seed)
{
	static const char *const words[] = {
		"erofs ", "kernel ", "block ", "cluster ", "extent\n",
		"compress ", "the ", "of ", "data ", "image ",
	};
	unsigned char *b = malloc(len + 1);
	uint32_t x = seed * 2654435761U + 1;
	size_t i = 0;

	assert_non_null(b);
	while (i < len) {
		x = x * 1103515245U + 12345U;
		switch (kind) {
		case D_TEXT: {
			const char *wd = words[(x >> 16) % 10];
			size_t n = EROFS_MIN(strlen(wd), len - i);

			memcpy(b + i, wd, n);
			i += n;
			break;
		}
		case D_RAND:
			b[i++] = (unsigned char)(x >> 23);
			break;
		case D_ZERO:
			b[i++] = 0;
			break;
		default:	/* 3000-byte runs of noise and text */
			b[i] = (i / 3000) % 2 ? (unsigned char)(x >> 23) :
			       (unsigned char)("abcab\n"[i % 6]);
			i++;
			break;
		}
	}
	return b;
}

struct tfile {
	const char *name;
	int kind;
	size_t len;
	unsigned char *data;
};

static struct erofs_node *mknode(mode_t mode, const char *path)
{
	struct erofs_node *n = erofs_node_new(mode);

	assert_non_null(n);
	n->mtime = BUILD_TIME;
	n->path = strdup(path);
	return n;
}

static struct erofs_node *mktree(struct tfile *f, size_t nr)
{
	struct erofs_node *root = mknode(S_IFDIR | 0755, "/");
	size_t i;

	for (i = 0; i < nr; i++) {
		char path[256], ipath[256];
		struct erofs_node *n;
		int fd;

		if (!f[i].data)
			f[i].data = mkdata(f[i].kind, f[i].len, (unsigned int)i);
		snprintf(path, sizeof(path), "%s/%s", tmpdir, f[i].name);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, f[i].data, f[i].len),
				 (ssize_t)f[i].len);
		close(fd);
		snprintf(ipath, sizeof(ipath), "/%s", f[i].name);
		n = mknode(S_IFREG | 0644, ipath);
		n->src_path = strdup(path);
		n->size = f[i].len;
		assert_int_equal(erofs_tree_add(root, f[i].name,
						strlen(f[i].name), n), 0);
		erofs_node_put(n);
	}
	assert_int_equal(erofs_tree_finalize(root), 0);
	return root;
}

static void params(struct erofs_mkfs_params *p, unsigned int bits,
		   const char *z)
{
	erofs_mkfs_params_init(p);
	p->log = &tlog;
	p->blkszbits = bits;
	p->build_time = BUILD_TIME;
	p->tmpdir = tmpdir;
	if (z)
		assert_int_equal(erofs_mkfs_parse_compress(p, z), 0);
}

static int build(const struct erofs_mkfs_params *p, struct erofs_node *root,
		 unsigned char **img, size_t *len,
		 struct erofs_mkfs_stats *st)
{
	struct erofs_io io;
	int ret;

	assert_int_equal(erofs_io_open_mem(&io, NULL, 0, true), 0);
	ret = erofs_mkfs_build(p, root, &io, st);
	if (!ret) {
		*img = malloc(io.len);
		memcpy(*img, io.buf, io.len);
		*len = io.len;
	}
	erofs_io_close(&io);
	return ret;
}

/* ---- image parsing (independent of the writer) ---- */
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
	uint64_t pos, size, end;	/* end = inode + xattrs */
	unsigned int layout;
	uint32_t i_u;
};

static struct pinode get_inode(const unsigned char *img, uint64_t nid)
{
	const unsigned char *r = img + nid * 32;
	struct pinode pi = { .pos = nid * 32 };
	unsigned int isize = (g16(r) & 1) ? 64 : 32;

	pi.layout = (g16(r) >> 1) & 7;
	pi.size = isize == 64 ? g64(r + 8) : g32(r + 8);
	pi.i_u = g32(r + 16);
	pi.end = pi.pos + isize + erofs_xattr_ibody_size(g16(r + 2));
	return pi;
}

/* nid of name in the (single-block, inline or plain) root directory */
static uint64_t lookup(const unsigned char *img, unsigned int bs,
		       const char *name)
{
	struct pinode d = get_inode(img, g16(img + 1024 + 14));
	const unsigned char *b = d.layout == EROFS_INODE_FLAT_INLINE ?
				 img + d.end : img + (uint64_t)d.i_u * bs;
	unsigned int cnt = g16(b + 8) / 12, i;

	assert_true(d.size <= bs);
	for (i = 0; i < cnt; i++) {
		unsigned int no = g16(b + i * 12 + 8);
		unsigned int end = i + 1 < cnt ? g16(b + i * 12 + 20) :
				   (unsigned int)d.size;

		while (i + 1 == cnt && end > no && !b[end - 1])
			end--;
		if (end - no == strlen(name) && !memcmp(b + no, name, end - no))
			return g64(b + i * 12);
	}
	fail_msg("%s not found", name);
	return 0;
}

struct rd {
	const unsigned char *img;
	size_t len;
};

static int rd_img(void *priv, void *buf, size_t len, uint64_t off)
{
	const struct rd *r = priv;

	if (off > r->len || len > r->len - off)
		return -EIO;
	memcpy(buf, r->img + off, len);
	return 0;
}

/* decode a file through lib/zmap.c (compressed) or directly (flat) */
static void check_file(const unsigned char *img, size_t len, unsigned int bits,
		       const struct tfile *f, uint32_t incompat, uint16_t algs)
{
	unsigned int bs = 1U << bits;
	struct pinode pi = get_inode(img, lookup(img, bs, f->name));
	unsigned char *out = malloc(f->len + 1);
	struct rd r = { img, len };

	assert_int_equal(pi.size, f->len);
	if (pi.layout == EROFS_INODE_FLAT_PLAIN ||
	    pi.layout == EROFS_INODE_FLAT_INLINE) {
		uint64_t inblk = pi.layout == EROFS_INODE_FLAT_INLINE ?
				 pi.size / bs * bs : pi.size;

		memcpy(out, img + (uint64_t)pi.i_u * bs, inblk);
		memcpy(out + inblk, img + pi.end, pi.size - inblk);
	} else {
		struct erofs_z_params zp = {
			.nid = pi.pos / 32, .i_size = pi.size,
			.blkszbits = bits, .datalayout = pi.layout,
			.inode_end = pi.end, .feature_incompat = incompat,
			.available_compr_algs = algs,
			.read_meta = rd_img, .read_data = rd_img, .priv = &r,
			.log = &tlog,
		};
		struct erofs_z_inode zi;

		assert_int_equal(erofs_z_inode_init(&zi, &zp), 0);
		assert_int_equal(erofs_z_read(&zi, out, f->len, 0), 0);
		erofs_z_inode_release(&zi);
	}
	if (memcmp(out, f->data, f->len))
		fail_msg("%s: decoded data differs", f->name);
	free(out);
}

static void free_files(struct tfile *f, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(f[i].data);
		f[i].data = NULL;
	}
}

/* ---- tests ---- */

static void test_parse(void **state)
{
	struct erofs_mkfs_params p;

	(void)state;
	erofs_mkfs_params_init(&p);
	p.log = &tlog;
	assert_int_equal(erofs_mkfs_parse_compress(&p, "lz4"), 0);
	assert_int_equal(p.nr_compr, 1);
	assert_string_equal(p.compr[0].c->name, "lz4");
#ifdef HAVE_LIBZSTD
	assert_int_equal(erofs_mkfs_parse_compress(&p,
				"zstd,level=5:lz4hc,level=9"), 0);
	assert_int_equal(p.nr_compr, 2);
	assert_string_equal(p.compr[0].c->name, "zstd");
	assert_int_equal(p.compr[0].level, 5);
	assert_string_equal(p.compr[1].c->name, "lz4hc");
	assert_int_equal(p.compr[1].level, 9);
#endif
#ifdef HAVE_LIBLZMA
	assert_int_equal(erofs_mkfs_parse_compress(&p, "lzma,dictsize=64k"), 0);
	assert_int_equal(p.compr[0].dictsize, 65536);
#endif
	/* errors keep the previous setting */
	assert_int_equal(erofs_mkfs_parse_compress(&p, "nope"), -EINVAL);
	assert_int_equal(erofs_mkfs_parse_compress(&p, "lz4hc,level=99"),
			 -EINVAL);
	assert_int_equal(erofs_mkfs_parse_compress(&p, ""), -EINVAL);
	assert_int_equal(erofs_mkfs_parse_compress(&p, ":"), -EINVAL);
	assert_int_equal(erofs_mkfs_parse_compress(&p,
			"lz4:lz4:lz4:lz4:lz4:lz4:lz4:lz4:lz4"), -EINVAL);
	assert_true(p.nr_compr >= 1);
}

/* which files get compressed, the bits, the records */
static void test_choices(void **state)
{
	struct tfile f[] = {
		{ "small", D_TEXT, 3000, NULL },	/* one block: stays flat */
		{ "text", D_TEXT, 100000, NULL },
		{ "rand", D_RAND, 50000, NULL },	/* nothing to gain: flat */
		{ "zero", D_ZERO, 200000, NULL },
		{ "empty", D_TEXT, 0, NULL },
	};
	struct erofs_mkfs_params p;
	struct erofs_node *root = mktree(f, 5);
	struct erofs_mkfs_stats st;
	unsigned char *img;
	size_t len;
	uint32_t incompat;

	(void)state;
	params(&p, 12, "lz4");
	assert_int_equal(build(&p, root, &img, &len, &st), 0);
	assert_int_equal(st.compressed_files, 2);
	assert_true(get_inode(img, lookup(img, 4096, "small")).layout <=
		    EROFS_INODE_FLAT_INLINE);
	assert_true(get_inode(img, lookup(img, 4096, "rand")).layout <=
		    EROFS_INODE_FLAT_INLINE);
	assert_int_equal(get_inode(img, lookup(img, 4096, "text")).layout,
			 EROFS_INODE_COMPRESSED_COMPACT);
	/* lz4, one-block pclusters: 0PADDING only, u1 = lz4 distance */
	incompat = g32(img + 1024 + 80);
	assert_int_equal(incompat, EROFS_FEATURE_INCOMPAT_ZERO_PADDING);
	assert_int_equal(g16(img + 1024 + 84), 0xFFFF);
	check_file(img, len, 12, &f[1], incompat, 1);
	check_file(img, len, 12, &f[2], incompat, 1);
	check_file(img, len, 12, &f[3], incompat, 1);
	free(img);

	/* big pclusters need COMPR_CFGS and an LZ4 record at 1152 */
	params(&p, 12, "lz4hc");
	p.pcluster_max = 65536;
	assert_int_equal(build(&p, root, &img, &len, &st), 0);
	incompat = g32(img + 1024 + 80);
	assert_int_equal(incompat, EROFS_FEATURE_INCOMPAT_ZERO_PADDING |
				   EROFS_FEATURE_INCOMPAT_COMPR_CFGS);
	assert_int_equal(g16(img + 1024 + 84), 1);	/* LZ4 only */
	assert_int_equal(g16(img + 1152), 14);
	assert_int_equal(g16(img + 1154), 0xFFFF);	/* max_distance */
	assert_int_equal(g16(img + 1156), 16);		/* max_pclusterblks */
	check_file(img, len, 12, &f[1], incompat, 1);
	check_file(img, len, 12, &f[3], incompat, 1);
	free(img);

#ifdef HAVE_LIBLZMA
	params(&p, 12, "lzma,dictsize=32k");
	assert_int_equal(build(&p, root, &img, &len, &st), 0);
	incompat = g32(img + 1024 + 80);
	assert_int_equal(incompat, EROFS_FEATURE_INCOMPAT_ZERO_PADDING |
				   EROFS_FEATURE_INCOMPAT_COMPR_CFGS);
	assert_int_equal(g16(img + 1024 + 84), 1U << Z_EROFS_COMPRESSION_LZMA);
	assert_int_equal(g16(img + 1152), 14);
	assert_int_equal(g32(img + 1154), 32768);
	check_file(img, len, 12, &f[1], incompat, 2);
	free(img);
#endif
	/* nothing compressible: no compression bits at all */
	erofs_node_put(root);
	{
		struct tfile g[] = { { "r", D_RAND, 30000, NULL } };

		root = mktree(g, 1);
		params(&p, 12, "lz4");
		assert_int_equal(build(&p, root, &img, &len, &st), 0);
		assert_int_equal(st.compressed_files, 0);
		assert_int_equal(g32(img + 1024 + 80), 0);
		check_file(img, len, 12, &g[0], 0, 0);
		free(img);
		erofs_node_put(root);
		free_files(g, 1);
	}
	free_files(f, 5);
}

/*
 * format.md 7.6/7.7: a 5000-byte compressible file is one extent and an
 * EOF PLAIN marker at clusterofs 904, in both index forms.
 */
static void test_eof_marker(void **state)
{
	struct tfile f[] = { { "five", D_TEXT, 5000, NULL } };
	struct erofs_mkfs_params p;
	struct erofs_node *root = mktree(f, 1);
	struct pinode pi;
	const unsigned char *h, *x;
	unsigned char *img;
	size_t len;
	uint32_t blk;

	(void)state;
	params(&p, 12, "lz4");
	p.legacy_compress = true;
	assert_int_equal(build(&p, root, &img, &len, NULL), 0);
	pi = get_inode(img, lookup(img, 4096, "five"));
	assert_int_equal(pi.layout, EROFS_INODE_COMPRESSED_FULL);
	assert_int_equal(pi.i_u, 1);		/* one compressed block */
	h = img + EROFS_ROUND_UP(pi.end, 8);
	assert_int_equal(g16(h + 4), 0);	/* advise */
	assert_int_equal(h[6], 0);		/* lz4 */
	assert_int_equal(g64(h + 8), 0);	/* reserved */
	x = h + 16;
	assert_int_equal(g16(x), Z_EROFS_LCLUSTER_TYPE_HEAD1);
	assert_int_equal(g16(x + 2), 0);
	blk = g32(x + 4);
	assert_true(blk > 0 && (uint64_t)blk * 4096 < len);
	/* 0PADDING: the stream ends at the block end, zeros before it */
	assert_int_equal(img[(uint64_t)blk * 4096], 0);
	assert_int_not_equal(img[(uint64_t)blk * 4096 + 4095], 0);
	assert_int_equal(g16(x + 8), Z_EROFS_LCLUSTER_TYPE_PLAIN);
	assert_int_equal(g16(x + 10), 904);
	assert_int_equal(g32(x + 12), 0);
	check_file(img, len, 12, &f[0], g32(img + 1024 + 80), 1);
	free(img);

	/* compact: ebase % 32 = 8 for a 32-byte inode without xattrs, so
	 * 6 initial 4B entries; pack 0 = HEAD1/0, PLAIN/904, base blk - 1 */
	params(&p, 12, "lz4");
	assert_int_equal(build(&p, root, &img, &len, NULL), 0);
	pi = get_inode(img, lookup(img, 4096, "five"));
	assert_int_equal(pi.layout, EROFS_INODE_COMPRESSED_COMPACT);
	h = img + EROFS_ROUND_UP(pi.end, 8);
	assert_int_equal(g16(h + 4), Z_EROFS_ADVISE_COMPACTED_2B);
	x = h + 8;
	assert_int_equal(g16(x), 0x1000);
	assert_int_equal(g16(x + 2), 0x0388);
	blk = g32(x + 4) + 1;		/* base = first head's block - 1 */
	assert_int_equal(pi.i_u, 1);
	assert_int_equal(img[(uint64_t)blk * 4096], 0);
	assert_int_not_equal(img[(uint64_t)blk * 4096 + 4095], 0);
	check_file(img, len, 12, &f[0], g32(img + 1024 + 80), 1);
	free(img);
	erofs_node_put(root);
	free_files(f, 1);
}

/* ztailpacking: the inline pcluster, its advise bit and feature */
static void test_ztailpacking(void **state)
{
	struct tfile f[] = {
		{ "five", D_TEXT, 5000, NULL },
		{ "big", D_TEXT, 300000, NULL },
		{ "rtail", D_MIXED, 9100, NULL },
	};
	struct erofs_mkfs_params p;
	struct erofs_node *root = mktree(f, 3);
	struct pinode pi;
	const unsigned char *h;
	unsigned char *img;
	size_t len, i;
	uint32_t incompat;
	int legacy;

	(void)state;
	for (legacy = 0; legacy < 2; legacy++) {
		params(&p, 12, "lz4hc");
		p.ztailpacking = true;
		p.legacy_compress = legacy;
		assert_int_equal(build(&p, root, &img, &len, NULL), 0);
		incompat = g32(img + 1024 + 80);
		assert_true(incompat & EROFS_FEATURE_INCOMPAT_ZTAILPACKING);
		pi = get_inode(img, lookup(img, 4096, "five"));
		h = img + EROFS_ROUND_UP(pi.end, 8);
		assert_true(g16(h + 4) & Z_EROFS_ADVISE_INLINE_PCLUSTER);
		assert_int_equal(pi.i_u, 0);	/* all inline */
		assert_true(g16(h + 2) > 0 && g16(h + 2) < 4096);
		for (i = 0; i < 3; i++)
			check_file(img, len, 12, &f[i], incompat, 1);
		free(img);
	}
	erofs_node_put(root);
	free_files(f, 3);
}

/* every algorithm x index form x tail packing x block size x pcluster */
static void test_matrix(void **state)
{
	static const char *const algs[] = {
		"lz4", "lz4hc",
#ifdef HAVE_LIBLZMA
		"lzma",
#endif
#ifdef HAVE_LIBDEFLATE
		"deflate",
#endif
#ifdef HAVE_LIBZSTD
		"zstd",
#endif
	};
	struct tfile f[] = {
		{ "a", D_TEXT, 1, NULL }, { "b", D_TEXT, 511, NULL }, { "c", D_TEXT, 512, NULL },
		{ "d", D_TEXT, 513, NULL }, { "e", D_TEXT, 4095, NULL },
		{ "f", D_TEXT, 4096, NULL }, { "g", D_TEXT, 4097, NULL },
		{ "h", D_TEXT, 12288, NULL }, { "i", D_TEXT, 70001, NULL },
		{ "j", D_RAND, 20000, NULL }, { "k", D_ZERO, 1 << 20, NULL },
		{ "l", D_MIXED, 65000, NULL }, { "m", D_RAND, 4097, NULL },
		{ "n", D_TEXT, 200003, NULL },
	};
	const size_t nf = sizeof(f) / sizeof(f[0]);
	struct erofs_node *root = mktree(f, nf);
	unsigned int a, k, combo, bits;
	size_t i;

	(void)state;
	for (a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		/* 8 of the 16 combinations per algorithm, rotating, so
		 * that all 16 are covered across the algorithms */
		for (k = 0; k < 8; k++) {
			struct erofs_mkfs_params p;
			unsigned char *img, *img2;
			size_t len, len2;
			uint32_t incompat;
			uint16_t u1;

			combo = 2 * k + ((k + a) & 1);
			bits = combo & 1 ? 9 : 12;
			params(&p, bits, algs[a]);
			p.legacy_compress = combo & 2;
			p.ztailpacking = combo & 4;
			p.pcluster_max = combo & 8 ? 16384 : 0;
			if (build(&p, root, &img, &len, NULL))
				fail_msg("%s combo %u: build failed", algs[a],
					 combo);
			incompat = g32(img + 1024 + 80);
			u1 = g16(img + 1024 + 84);
			if (!(incompat & EROFS_FEATURE_INCOMPAT_COMPR_CFGS))
				u1 = 1;
			for (i = 0; i < nf; i++)
				check_file(img, len, bits, &f[i], incompat, u1);
			/* same input, same bytes */
			if (combo == 14 || combo == 15) {
				assert_int_equal(build(&p, root, &img2, &len2,
						       NULL), 0);
				assert_int_equal(len, len2);
				if (memcmp(img, img2, len))
					fail_msg("%s combo %u: not reproducible",
						 algs[a], combo);
				free(img2);
			}
			free(img);
		}
	}
	erofs_node_put(root);
	free_files(f, nf);
}

/* the fingerprint of a compressed file covers its uncompressed bytes */
static void test_fingerprint(void **state)
{
	struct tfile f[] = { { "t", D_TEXT, 40000, NULL } };
	struct erofs_mkfs_params p;
	struct erofs_node *root = mktree(f, 1);
	struct erofs_mkfs_stats st;
	struct erofs_sha256 *sha = erofs_sha256_new();
	uint8_t d[EROFS_ISHARE_DIGEST_LEN], v[EROFS_ISHARE_VALUE_LEN];
	unsigned char *img;
	size_t len, i;
	bool found = false;

	(void)state;
	if (!sha) {
		erofs_node_put(root);
		free_files(f, 1);
		skip();
	}
	params(&p, 12, "lz4hc");
	p.ishare_key = "trusted.erofs.fingerprint";
	assert_int_equal(build(&p, root, &img, &len, &st), 0);
	assert_int_equal(st.compressed_files, 1);
	/* one read of the source for data and hash together */
	assert_int_equal(st.data_bytes_read, 40000);
	assert_int_equal(erofs_sha256_reset(sha), 0);
	assert_int_equal(erofs_sha256_update(sha, f[0].data, f[0].len), 0);
	assert_int_equal(erofs_sha256_final(sha, d), 0);
	erofs_ishare_value_encode(d, v);
	for (i = 0; i + sizeof(v) <= len && !found; i++)
		found = !memcmp(img + i, v, sizeof(v));
	assert_true(found);
	free(img);
	erofs_sha256_free(sha);
	erofs_node_put(root);
	free_files(f, 1);
}

/* what a verifier got of the one file of a checked image */
struct pieces {
	const unsigned char *want;
	uint64_t next;
	unsigned int calls;
	size_t last, small;	/* the last piece; the smallest before it */
};

static int pc_file_data(void *priv, const struct erofs_verify_file *f,
			uint64_t off, const void *buf, size_t len)
{
	struct pieces *pc = priv;

	assert_true(off == pc->next);
	assert_true(off + len <= f->inode->size);
	assert_non_null(buf);
	assert_memory_equal(buf, pc->want + off, len);
	pc->next = off + len;
	if (pc->calls++ && pc->last < pc->small)
		pc->small = pc->last;
	pc->last = len;
	return 0;
}

static const struct erofs_verifier_ops pc_ops = {
	.name = "pieces",
	.file_data = pc_file_data,
};

/*
 * The check hands a file of many small extents (4 KiB pclusters) to its
 * verifiers in pieces of up to 64 KiB, not one per extent: an extraction
 * writes what it gets, and a write per 8 KiB or so extent was three
 * times the syscalls.  With workers too (a serial verifier then gets the
 * data the workers decoded, through the walk).
 */
static void test_verifier_pieces(void **state)
{
	struct tfile f[] = { { "t", D_TEXT, 300000, NULL } };
	struct erofs_node *root = mktree(f, 1);
	struct erofs_mkfs_params p;
	struct erofs_mkfs_stats st;
	unsigned int workers;
	unsigned char *img;
	size_t len;

	(void)state;
	params(&p, 12, "lz4");
	assert_int_equal(build(&p, root, &img, &len, &st), 0);
	assert_int_equal(st.compressed_files, 1);
	for (workers = 0; workers <= 2; workers += 2) {
		struct pieces pc = { .want = f[0].data, .small = SIZE_MAX };
		struct erofs_verifier v = { &pc_ops, &pc };
		struct erofs_check_params cp;
		struct erofs_check_stats cst;
		struct erofs_image rimg;
		struct erofs_io io;

		assert_int_equal(erofs_io_open_mem(&io, img, len, false), 0);
		assert_int_equal(erofs_image_open(&rimg, &io, &tlog, 0), 0);
		erofs_check_params_init(&cp);
		cp.verifiers = &v;
		cp.nr_verifiers = 1;
		cp.workers = workers;
		assert_int_equal(erofs_check_image(&rimg, &cp, &cst), 0);
		assert_int_equal(cst.errors, 0);
		assert_true(pc.next == f[0].len);
		/*
		 * pieces of nearly 64 KiB: the buffer is handed over when
		 * the next extent (some KiB, whatever liblz4 makes of it)
		 * would not fit
		 */
		assert_true(pc.calls >= 5 && pc.calls <= 6);
		assert_true(pc.small >= 48 * 1024);
		erofs_image_release(&rimg);
		erofs_io_close(&io);
	}
	free(img);
	erofs_node_put(root);
	free_files(f, 1);
}

/*
 * Workers hand the walk a file's extents as runs (extents that follow
 * each other in the image, one record); the walk applies them one by one
 * as it does without workers: the same bytes counted once per pcluster
 * (files sharing pclusters by dedupe), the same regions, the same rows.
 */
static void test_workers_stats(void **state)
{
	struct tfile f[] = {
		{ "a", D_TEXT, 300000, NULL },
		{ "b", D_TEXT, 300000, NULL },	/* a copy of a */
		{ "c", D_MIXED, 200000, NULL },
		{ "d", D_TEXT, 150000, NULL },	/* a's start, then other text */
	};
	struct erofs_check_stats want = { 0 };
	struct erofs_mkfs_params p;
	struct erofs_node *root;
	unsigned int workers;
	unsigned char *img;
	size_t len;

	(void)state;
	f[0].data = mkdata(D_TEXT, f[0].len, 7);
	f[1].data = malloc(f[1].len);
	assert_non_null(f[1].data);
	memcpy(f[1].data, f[0].data, f[1].len);
	f[3].data = mkdata(D_TEXT, f[3].len, 8);
	memcpy(f[3].data, f[0].data, 65536);
	root = mktree(f, 4);
	params(&p, 12, "lz4");
	p.dedupe = true;
	assert_int_equal(build(&p, root, &img, &len, NULL), 0);
	for (workers = 0; workers <= 3; workers++) {
		struct erofs_check_params cp;
		struct erofs_check_stats cst;
		struct erofs_image rimg;
		struct erofs_io io;

		if (workers == 1)
			continue;
		assert_int_equal(erofs_io_open_mem(&io, img, len, false), 0);
		assert_int_equal(erofs_image_open(&rimg, &io, &tlog, 0), 0);
		erofs_check_params_init(&cp);
		cp.workers = workers;
		assert_int_equal(erofs_check_image(&rimg, &cp, &cst), 0);
		assert_int_equal(cst.errors, 0);
		assert_int_equal(cst.warnings, 0);
		assert_true(cst.logical_bytes == 950000);
		/* a's pclusters counted once, for a and b */
		assert_true(cst.physical_bytes < len);
		if (!workers)
			want = cst;
		assert_true(cst.physical_bytes == want.physical_bytes);
		assert_true(cst.logical_bytes == want.logical_bytes);
		assert_memory_equal(cst.counts, want.counts,
				    sizeof(cst.counts));
		erofs_image_release(&rimg);
		erofs_io_close(&io);
	}
	free(img);
	erofs_node_put(root);
	free_files(f, 4);
}

static void test_errors(void **state)
{
	struct tfile f[] = { { "t", D_TEXT, 40000, NULL } };
	struct erofs_mkfs_params p;
	struct erofs_node *root = mktree(f, 1);
	unsigned char *img;
	size_t len;

	(void)state;
	params(&p, 12, "lz4");
	p.pcluster_max = 6000;		/* not a multiple of the block */
	assert_int_equal(build(&p, root, &img, &len, NULL), -EINVAL);
	p.pcluster_max = 2U << 20;	/* above 1 MiB */
	assert_int_equal(build(&p, root, &img, &len, NULL), -EINVAL);
	params(&p, 9, "lz4");
	p.pcluster_max = 1U << 20;	/* 2048 blocks of 512: no CBLKCNT */
	assert_int_equal(build(&p, root, &img, &len, NULL), -EINVAL);
	params(&p, 12, "lz4");
	p.max_extent_bytes = 100;
	assert_int_equal(build(&p, root, &img, &len, NULL), -EINVAL);
	/* a source that vanished: an error naming it, no image */
	params(&p, 12, "lz4");
	free(root->dentries[0].inode->src_path);
	root->dentries[0].inode->src_path = strdup("/nonexistent/erofs-z");
	assert_int_equal(build(&p, root, &img, &len, NULL), -ENOENT);
	erofs_node_put(root);
	free_files(f, 1);
}

/*
 * A compressed file whose size changes between the import (node->size) and
 * the compression pass: -EIO and a message naming the file and what
 * happened, for a one-segment file and for one of several 16 MiB segments
 * (the growth check only runs on the last one).
 */
static void test_size_changed(void **state)
{
	static const struct {
		size_t real, planned;
		const char *what;
	} cases[] = {
		{ 40000, 50000, "shrank" },
		{ 50000, 40000, "grew" },
		{ (17U << 20) + 100, 17U << 20, "grew" },
		{ 17U << 20, (17U << 20) + 100, "shrank" },
		{ 8U << 20, 17U << 20, "shrank" },	/* in the first segment */
	};
	struct erofs_mkfs_params p;
	unsigned char *img;
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tfile f[] = {
			{ "a", D_TEXT, 10000, NULL },
			{ "changing", D_TEXT, cases[i].real, NULL },
		};
		struct erofs_node *root = mktree(f, 2);

		root->dentries[1].inode->size = cases[i].planned;
		params(&p, 12, "lz4");
		last_err[0] = '\0';
		assert_int_equal(build(&p, root, &img, &len, NULL), -EIO);
		assert_non_null(strstr(last_err, "/changing"));
		assert_non_null(strstr(last_err, cases[i].what));
		erofs_node_put(root);
		free_files(f, 2);
	}
}

/*
 * --workers: the image must not depend on the number of threads.  Many
 * small files (the queue hands them out in a racy order), files of several
 * 16 MiB segments (compressed by different workers, hashed in order) and
 * files that end up stored raw; every build reads each source once.
 */
static void test_workers(void **state)
{
	static const unsigned int nthreads[] = { 2, 7 };
	/* fast ones: the big files make lz4hc take half a minute */
	static const char *const algs[] = {
		"lz4",
#ifdef HAVE_LIBZSTD
		"zstd",
#endif
	};
	struct tfile f[40];
	char names[40][8];
	const size_t nf = sizeof(f) / sizeof(f[0]);
	struct erofs_node *root;
	struct erofs_sha256 *sha = erofs_sha256_new();
	uint64_t total = 0;
	unsigned int a, t, combo;
	size_t i;

	(void)state;
	for (i = 0; i < nf; i++) {
		snprintf(names[i], sizeof(names[i]), "w%02zu", i);
		f[i] = (struct tfile){ names[i], (int)(i % 4),
				       4097 + i * 7919, NULL };
	}
	f[0].kind = D_TEXT;			/* three segments */
	f[0].len = (32U << 20) + 4099;
	f[1].kind = D_MIXED;			/* two, ends mid-block */
	f[1].len = (16U << 20) + 12345;
	f[2].kind = D_ZERO;			/* exactly one segment */
	f[2].len = 16U << 20;
	f[3].kind = D_RAND;			/* two, stored raw */
	f[3].len = (16U << 20) + 1;
	root = mktree(f, nf);
	for (i = 0; i < nf; i++)
		total += f[i].len;
	for (a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		/* lz4: both combos; the others: tail packing only */
		for (combo = a ? 1 : 0; combo < 2; combo++) {
			struct erofs_mkfs_params p;
			struct erofs_mkfs_stats st;
			unsigned char *ref, *img;
			size_t rlen, len;
			uint32_t incompat;
			uint16_t u1;

			params(&p, 12, algs[a]);
			p.ztailpacking = combo;
			p.pcluster_max = combo ? 65536 : 0;
			if (sha)
				p.ishare_key = "trusted.erofs.fingerprint";
			p.workers = 1;
			assert_int_equal(build(&p, root, &ref, &rlen, &st), 0);
			assert_int_equal(st.data_bytes_read, total);
			incompat = g32(ref + 1024 + 80);
			u1 = g16(ref + 1024 + 84);
			if (!(incompat & EROFS_FEATURE_INCOMPAT_COMPR_CFGS))
				u1 = 1;
			for (i = 0; i < nf; i++)
				check_file(ref, rlen, 12, &f[i], incompat, u1);
			for (t = 0; t < sizeof(nthreads) / sizeof(nthreads[0]);
			     t++) {
				p.workers = nthreads[t];
				assert_int_equal(build(&p, root, &img, &len,
						       &st), 0);
				assert_int_equal(st.data_bytes_read, total);
				if (len != rlen || memcmp(img, ref, len))
					fail_msg("%s combo %u: %u workers differ from 1",
						 algs[a], combo, nthreads[t]);
				free(img);
			}
			free(ref);
		}
	}
	/* the fingerprint of a three-segment file covers all its bytes */
	if (sha) {
		struct erofs_mkfs_params p;
		uint8_t d[EROFS_ISHARE_DIGEST_LEN], v[EROFS_ISHARE_VALUE_LEN];
		unsigned char *img;
		size_t len, k;
		bool found = false;

		params(&p, 12, "lz4");
		p.ishare_key = "trusted.erofs.fingerprint";
		p.workers = 4;
		assert_int_equal(build(&p, root, &img, &len, NULL), 0);
		assert_int_equal(erofs_sha256_reset(sha), 0);
		assert_int_equal(erofs_sha256_update(sha, f[0].data, f[0].len),
				 0);
		assert_int_equal(erofs_sha256_final(sha, d), 0);
		erofs_ishare_value_encode(d, v);
		for (k = 0; k + sizeof(v) <= len && !found; k++)
			found = !memcmp(img + k, v, sizeof(v));
		assert_true(found);
		free(img);
	}
	erofs_sha256_free(sha);
	erofs_node_put(root);
	free_files(f, nf);
}

/* an xattr of 3,000 bytes: a tail that fit after a small inode no
 * longer does, and the plain form costs more */
static void big_bodies(struct erofs_node *root, const struct tfile *f,
		       size_t nr)
{
	static char v[3000];
	size_t i, k;

	memset(v, 'x', sizeof(v));
	for (i = 0; i < nr; i++) {
		struct erofs_node *n = NULL;

		for (k = 0; k < root->nr_dentries; k++)
			if (!strcmp(root->dentries[k].name, f[i].name))
				n = root->dentries[k].inode;
		assert_non_null(n);
		assert_int_equal(erofs_node_set_xattr(n, "user.copy", v,
						      sizeof(v)), 0);
	}
}

/* the options of one test_same_contents row */
struct same_combo {
	const char *z;
	bool tail, frags, dedupe, fp;
	uint32_t pmax;
};

static void same_params(struct erofs_mkfs_params *p,
			const struct same_combo *sc, unsigned int workers)
{
	params(p, 12, sc->z);
	p->ishare_key = sc->fp ? "trusted.erofs.fingerprint" : NULL;
	p->ztailpacking = sc->tail;
	p->fragments = sc->frags;
	p->dedupe = sc->dedupe;
	p->pcluster_max = sc->pmax;
	p->workers = workers;
}

/*
 * Files with equal bytes are compressed once (zjob.c: wr_zsame) when
 * they are hashed anyway: the images must not depend on which copy led
 * or on the worker count, every copy must read back, and a copy whose
 * inode body differs (one more xattr: the inline tail and the keep rule
 * depend on it) is still right.
 */
static void test_same_contents(void **state)
{
	static const unsigned int nthreads[] = { 1, 2, 7 };
	/* fp: with fingerprints every file is hashed; without, only files
	 * of a size seen twice, and none for lz4 (cheaper to encode) */
	static const struct same_combo combos[] = {
		{ "lz4", false, false, false, true, 0 },
		{ "lz4hc", true, false, false, true, 65536 },
		{ "lz4", false, true, false, true, 0 },
		{ "lz4", true, false, true, true, 16384 },
		{ "lz4hc", false, false, false, false, 0 },
		{ "lz4hc", true, true, false, false, 16384 },
		{ "lz4hc", true, false, true, false, 65536 },
		{ "lz4", true, false, false, false, 0 },
	};
	struct tfile f[30];
	char names[30][8];
	const size_t nf = sizeof(f) / sizeof(f[0]);
	struct erofs_sha256 *sha = erofs_sha256_new();
	struct erofs_node *root, *alone;
	size_t i, c;

	(void)state;
	if (!sha)
		skip();
	erofs_sha256_free(sha);
	/* six contents, four copies each: text with a tail, noise (kept
	 * raw), mixed, zeros, one block and a bit, a big one */
	for (i = 0; i < nf; i++) {
		static const int kinds[] = { D_TEXT, D_RAND, D_MIXED, D_ZERO,
					     D_TEXT, D_MIXED };
		static const size_t lens[] = { 9100, 20000, 70001, 12288,
					       4097, 300000 };

		snprintf(names[i], sizeof(names[i]), "c%02zu", i);
		f[i] = (struct tfile){ names[i], kinds[i % 6], lens[i % 6],
				       NULL };
		/* the last six: each the size of one content, other bytes
		 * (their own seed; zeros get a different byte) */
		if (i >= 24) {
			f[i].data = mkdata(f[i].kind, f[i].len,
					   (unsigned int)i);
			f[i].data[f[i].len / 2] ^= 0x5a;
			continue;
		}
		if (i >= 6) {	/* a copy of file i % 6 */
			f[i].data = malloc(f[i].len);
			assert_non_null(f[i].data);
			if (!f[i % 6].data)
				f[i % 6].data = mkdata(f[i].kind, f[i].len,
						       (unsigned int)(i % 6));
			memcpy(f[i].data, f[i % 6].data, f[i].len);
		}
	}
	root = mktree(f, nf);
	big_bodies(root, f + 18, 6);
	/* the oracle: the last copies alone, where nothing equals them */
	alone = mktree(f + 18, 6);
	big_bodies(alone, f + 18, 6);
	for (c = 0; c < sizeof(combos) / sizeof(combos[0]); c++) {
		unsigned char *ref = NULL, *img;
		size_t rlen = 0, len, t;

		if (!combos[c].frags && !combos[c].dedupe) {
			struct erofs_mkfs_params p;

			same_params(&p, &combos[c], 1);
			assert_int_equal(build(&p, alone, &img, &len, NULL),
					 0);
			p.workers = 2;
			assert_int_equal(build(&p, root, &ref, &rlen, NULL),
					 0);
			/* the same form as when compressed on their own */
			for (i = 18; i < 24; i++) {
				struct pinode x = get_inode(img, lookup(img,
							4096, f[i].name));
				struct pinode y = get_inode(ref, lookup(ref,
							4096, f[i].name));

				assert_int_equal(x.layout, y.layout);
				/* compressed: blocks; plain: where they are */
				if (x.layout == EROFS_INODE_COMPRESSED_FULL ||
				    x.layout == EROFS_INODE_COMPRESSED_COMPACT)
					assert_int_equal(x.i_u, y.i_u);
			}
			free(img);
			free(ref);
			ref = NULL;
		}

		for (t = 0; t < sizeof(nthreads) / sizeof(nthreads[0]); t++) {
			struct erofs_mkfs_params p;
			struct erofs_mkfs_stats st;

			same_params(&p, &combos[c], nthreads[t]);
			assert_int_equal(build(&p, root, &img, &len, &st), 0);
			if (!ref) {
				uint32_t incompat = g32(img + 1024 + 80);

				ref = img;
				rlen = len;
				for (i = 0; !combos[c].frags && i < nf; i++)
					check_file(ref, rlen, 12, &f[i],
						   incompat, 1);
				continue;
			}
			if (len != rlen || memcmp(img, ref, len))
				fail_msg("combo %zu: %u workers differ from 1",
					 c, nthreads[t]);
			free(img);
		}
		free(ref);
	}
	erofs_node_put(alone);
	erofs_node_put(root);
	free_files(f, nf);
}

/* every message of a build, in order */
static char all_msgs[8192];

static void keep_all(void *priv, int level, const char *msg)
{
	size_t n = strlen(all_msgs);

	(void)priv;
	snprintf(all_msgs + n, sizeof(all_msgs) - n, "%d %s\n", level, msg);
}

/* a --reuse build, with or without the images loaded ahead; its
 * messages go to all_msgs */
static bool reuse_build(struct erofs_mkfs_params *p, struct erofs_node *root,
			const struct erofs_mkfs_params *ahead,
			unsigned char **img, size_t *len,
			struct erofs_mkfs_stats *st)
{
	struct erofs_mkfs_reuse *pre = NULL;
	bool taken;

	all_msgs[0] = 0;
	if (ahead) {
		assert_int_equal(erofs_mkfs_reuse_start(ahead, &pre), 0);
		assert_non_null(pre);
	}
	p->reuse_pre = pre;
	assert_int_equal(build(p, root, img, len, st), 0);
	p->reuse_pre = NULL;
	taken = erofs_mkfs_reuse_taken(pre);
	erofs_mkfs_reuse_free(pre);
	return taken;
}

/*
 * erofs_mkfs_reuse_start: the images loaded while the source is walked
 * give the image and the messages of a build that loads them itself;
 * loaded with settings that changed since, they are loaded again.
 */
static void test_reuse_ahead(void **state)
{
	struct tfile f[] = {
		{ "a", D_TEXT, 30000, NULL },
		{ "b", D_MIXED, 70001, NULL },
		{ "c", D_TEXT, 5000, NULL },
	};
	struct erofs_sha256 *sha = erofs_sha256_new();
	struct erofs_mkfs_params p, other;
	struct erofs_mkfs_stats st;
	struct erofs_node *root;
	struct erofs_log clog;
	unsigned char *old, *ref, *img;
	size_t olen, rlen, len, i;
	char oldpath[128], ref_msgs[8192];
	const char *reuse[2];
	FILE *fp;

	(void)state;
	if (!sha)
		skip();
	erofs_sha256_free(sha);
	root = mktree(f, 3);
	params(&p, 12, "lz4hc");
	p.ishare_key = "trusted.erofs.fingerprint";
	assert_int_equal(build(&p, root, &old, &olen, NULL), 0);
	snprintf(oldpath, sizeof(oldpath), "%s/old.img", tmpdir);
	fp = fopen(oldpath, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(old, 1, olen, fp), olen);
	fclose(fp);
	free(old);

	erofs_log_init(&clog);
	clog.level = EROFS_LOG_INFO;
	clog.sink = keep_all;
	p.log = &clog;
	/* the second one is no image: a warning, in its place */
	reuse[0] = oldpath;
	reuse[1] = "/nonexistent/erofs-reuse-ahead.img";
	p.reuse = reuse;
	p.nr_reuse = 2;
	reuse_build(&p, root, NULL, &ref, &rlen, &st);
	assert_int_equal(st.reused_files, 3);
	memcpy(ref_msgs, all_msgs, sizeof(ref_msgs));
	assert_non_null(strstr(ref_msgs, "erofs-reuse-ahead.img"));

	/* loaded ahead as they are; then for another level (nothing
	 * proved): dropped, loaded again */
	other = p;
	other.compr[0].level = 3;
	for (i = 0; i < 2; i++) {
		assert_int_equal(reuse_build(&p, root, i ? &other : &p, &img,
					     &len, &st), !i);
		assert_int_equal(st.reused_files, 3);
		assert_string_equal(all_msgs, ref_msgs);
		assert_int_equal(len, rlen);
		assert_memory_equal(img, ref, len);
		free(img);
	}

	/* one that no build takes is freed all the same, loading or not */
	{
		struct erofs_mkfs_reuse *pre;

		assert_int_equal(erofs_mkfs_reuse_start(&p, &pre), 0);
		assert_false(erofs_mkfs_reuse_taken(pre));
		erofs_mkfs_reuse_free(pre);
	}
	free(ref);
	p.log = &tlog;
	erofs_node_put(root);
	free_files(f, 3);
}

/*
 * An error in one worker stops the others (including those waiting to
 * hash a later segment) and names the file; no hang for any thread count.
 */
static void test_workers_error(void **state)
{
	struct tfile f[24];
	char names[24][8];
	const size_t nf = sizeof(f) / sizeof(f[0]);
	struct erofs_sha256 *sha = erofs_sha256_new();
	struct erofs_node *root, *n5;
	unsigned int n;
	size_t i;

	(void)state;
	for (i = 0; i < nf; i++) {
		snprintf(names[i], sizeof(names[i]), "e%02zu", i);
		f[i] = (struct tfile){ names[i], D_TEXT, 9000 + i, NULL };
	}
	f[5].len = (32U << 20) + 100;		/* three segments */
	root = mktree(f, nf);
	n5 = root->dentries[5].inode;
	for (n = 1; n <= 4; n++) {
		struct erofs_mkfs_params p;
		unsigned char *img;
		size_t len;
		char *saved;

		params(&p, 12, "lz4");
		p.workers = n;
		if (sha)
			p.ishare_key = "trusted.erofs.fingerprint";
		/* a vanished source in the middle of the queue */
		saved = root->dentries[11].inode->src_path;
		root->dentries[11].inode->src_path =
			(char *)"/nonexistent/erofs-workers";
		last_err[0] = '\0';
		assert_int_equal(build(&p, root, &img, &len, NULL), -ENOENT);
		root->dentries[11].inode->src_path = saved;
		if (!strstr(last_err, "/nonexistent/erofs-workers"))
			fail_msg("%u workers: error does not name the file: %s",
				 n, last_err);
		/* the file is shorter than the tree says: its second
		 * segment fails while the third waits to be hashed */
		n5->size += (16U << 20);
		last_err[0] = '\0';
		assert_int_equal(build(&p, root, &img, &len, NULL), -EIO);
		n5->size -= (16U << 20);
		if (!strstr(last_err, "/e05") || !strstr(last_err, "shrank"))
			fail_msg("%u workers: unexpected error: %s", n,
				 last_err);
	}
	erofs_sha256_free(sha);
	erofs_node_put(root);
	free_files(f, nf);
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/erofs-test-mkfsz-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	erofs_log_init(&tlog);
	tlog.sink = sink;
	return 0;
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
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_choices),
		cmocka_unit_test(test_eof_marker),
		cmocka_unit_test(test_ztailpacking),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_verifier_pieces),
		cmocka_unit_test(test_workers_stats),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_size_changed),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_same_contents),
		cmocka_unit_test(test_reuse_ahead),
		cmocka_unit_test(test_workers_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
