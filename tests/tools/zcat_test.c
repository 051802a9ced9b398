// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zcat_test - decode every file of an EROFS image with lib/zmap.c +
 * lib/decompress.c and compare it with a source tree.
 *
 *   zcat_test IMAGE SRCDIR
 *
 * It parses only what it needs (superblock, inodes, uncompressed or
 * compressed directories, flat and compressed file data) so that the
 * decoder can be tested before the library's reader exists.  Prints one
 * "MISMATCH path: why" line per bad file and a final "stats:" line with
 * counts of what the image exercised; exits 0 only if everything matched.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "erofs/erofs_fs.h"
#include "erofs/zmap.h"

struct img {
	int fd;
	uint64_t size;
	unsigned int blkszbits;
	uint64_t meta_base;
	uint32_t incompat;
	uint16_t algs;
	uint64_t packed_nid;
	struct erofs_log log;
	struct erofs_decompress_ctx dctx;
};

struct ino {
	uint64_t nid, iend, size, startblk;
	unsigned int layout, mode;
};

static struct img G;	/* the tool's one image (tools may have globals) */
static unsigned long n_files, n_full, n_compact, n_inline, n_big, n_bad,
		     n_frag, n_plainflat, n_zdirs, n_2b;

static int rd(void *priv, void *buf, size_t len, uint64_t off)
{
	struct img *im = priv;
	ssize_t n;

	if (off > im->size || len > im->size - off)
		return -EIO;
	n = pread(im->fd, buf, len, (off_t)off);
	return n == (ssize_t)len ? 0 : -EIO;
}

static void sink(void *priv, int level, const char *msg)
{
	fprintf(stderr, "  lib: %s\n", msg);
}

static int read_inode(uint64_t nid, struct ino *ino)
{
	struct erofs_inode_extended e;
	uint64_t pos = G.meta_base + nid * 32;
	uint16_t fmt, icount;
	unsigned int isize;

	memset(&e, 0, sizeof(e));
	if (rd(&G, &e, 32, pos))
		return -EIO;
	fmt = erofs_le16(e.i_format);
	icount = erofs_le16(e.i_xattr_icount);
	ino->nid = nid;
	ino->layout = erofs_i_datalayout(fmt);
	ino->mode = erofs_le16(e.i_mode);
	if (erofs_i_version(fmt)) {
		if (rd(&G, &e, 64, pos))
			return -EIO;
		isize = 64;
		ino->size = erofs_le64(e.i_size);
	} else {
		const struct erofs_inode_compact *c = (const void *)&e;

		isize = 32;
		ino->size = erofs_le32(c->i_size);
	}
	/* sanity for the tool's own buffers (the library checks the rest) */
	if (ino->size > (1ULL << 30))
		return -EFBIG;
	ino->startblk = erofs_le32(e.i_u.startblk_lo);
	ino->iend = pos + isize + erofs_xattr_ibody_size(icount);
	return 0;
}

static int read_data(const struct ino *ino, void *buf, size_t len,
		     uint64_t off);

static int rd_packed(void *priv, void *buf, size_t len, uint64_t off)
{
	static int depth;	/* a packed inode whose tail is in itself */
	struct ino packed;
	int ret = read_inode(G.packed_nid, &packed);

	if (ret)
		return ret;
	if (depth > 1)
		return -EFSCORRUPTED;
	if (off > packed.size || len > packed.size - off)
		return -EFSCORRUPTED;
	depth++;
	ret = read_data(&packed, buf, len, off);
	depth--;
	return ret;
}

static int read_data(const struct ino *ino, void *buf, size_t len,
		     uint64_t off)
{
	uint64_t bs = 1ULL << G.blkszbits;

	if (ino->layout == EROFS_INODE_COMPRESSED_FULL ||
	    ino->layout == EROFS_INODE_COMPRESSED_COMPACT) {
		struct erofs_z_params p = {
			.nid = ino->nid, .i_size = ino->size,
			.blkszbits = G.blkszbits, .datalayout = ino->layout,
			.inode_end = ino->iend, .feature_incompat = G.incompat,
			.available_compr_algs = G.algs,
			.read_meta = rd, .read_data = rd,
			.read_packed = G.packed_nid ? rd_packed : NULL,
			.priv = &G, .log = &G.log, .dctx = &G.dctx,
		};
		struct erofs_z_inode zi;
		struct erofs_z_map map;
		uint64_t pos;
		int ret = erofs_z_inode_init(&zi, &p);

		if (!ret)
			ret = erofs_z_read(&zi, buf, len, off);
		if (!ret && !off && len == ino->size && S_ISREG(ino->mode)) {
			/* account what this file exercised */
			if (ino->layout == EROFS_INODE_COMPRESSED_FULL)
				n_full++;
			else
				n_compact++;
			if (zi.tail_inline)
				n_inline++;
			if (zi.compact_2b)
				n_2b++;
			if (zi.tail_fragment || zi.whole_fragment)
				n_frag++;
			for (pos = 0; pos < ino->size; pos = map.la + map.llen) {
				if (erofs_z_map(&zi, pos, &map))
					break;
				if (map.flags & EROFS_Z_MAP_BIG) {
					n_big++;
					break;
				}
			}
		}
		erofs_z_inode_release(&zi);
		return ret;
	}
	if (ino->layout == EROFS_INODE_FLAT_PLAIN) {
		return rd(&G, buf, len, ino->startblk * bs + off);
	}
	if (ino->layout == EROFS_INODE_FLAT_INLINE) {
		uint64_t tail = (ino->size - 1) / bs * bs;	/* tail start */
		uint8_t *p = buf;

		while (len) {
			size_t n;
			int ret;

			if (off < tail) {
				n = (size_t)EROFS_MIN((uint64_t)len, tail - off);
				ret = rd(&G, p, n, ino->startblk * bs + off);
			} else {
				n = len;
				ret = rd(&G, p, n, ino->iend + (off - tail));
			}
			if (ret)
				return ret;
			p += n;
			off += n;
			len -= n;
		}
		return 0;
	}
	return -EOPNOTSUPP;
}

static void bad(const char *path, const char *why)
{
	printf("MISMATCH %s: %s\n", path, why);
	n_bad++;
}

static void *slurp(const char *path, size_t *len)
{
	/* O_NONBLOCK: a damaged image may call a source FIFO a file */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
	struct stat st;
	void *buf;

	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (buf && st.st_size &&
	    read(fd, buf, (size_t)st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void walk(const struct ino *dir, const char *img_path,
		 const char *src_path, unsigned int depth)
{
	uint64_t bs = 1ULL << G.blkszbits, b;
	uint8_t *data;

	if (dir->layout == EROFS_INODE_COMPRESSED_FULL ||
	    dir->layout == EROFS_INODE_COMPRESSED_COMPACT)
		n_zdirs++;
	if (depth > 64) {	/* a damaged image may loop */
		bad(img_path, "directory nesting too deep");
		return;
	}
	data = malloc(dir->size ? dir->size : 1);
	if (!data || read_data(dir, data, dir->size, 0)) {
		bad(img_path, "cannot read directory");
		free(data);
		return;
	}
	for (b = 0; b < dir->size; b += bs) {
		uint8_t *blk = data + b;
		uint64_t valid = EROFS_MIN(bs, dir->size - b);
		unsigned int n, i;
		struct erofs_dirent de0;

		memcpy(&de0, blk, sizeof(de0));
		n = erofs_le16(de0.nameoff) / 12;
		for (i = 0; i < n; i++) {
			struct erofs_dirent de;
			unsigned int no, end;
			char name[256], ip[PATH_MAX], sp[PATH_MAX];
			struct ino child;

			memcpy(&de, blk + i * 12, sizeof(de));
			no = erofs_le16(de.nameoff);
			if (i + 1 < n) {
				struct erofs_dirent dn;

				memcpy(&dn, blk + (i + 1) * 12, sizeof(dn));
				end = erofs_le16(dn.nameoff);
			} else {
				end = (unsigned int)valid;
				while (end > no && !blk[end - 1])
					end--;
			}
			if (end <= no || end - no > 255 || end > valid) {
				bad(img_path, "bad dirent");
				break;
			}
			memcpy(name, blk + no, end - no);
			name[end - no] = 0;
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
			snprintf(ip, sizeof(ip), "%s/%s", img_path, name);
			snprintf(sp, sizeof(sp), "%s/%s", src_path, name);
			if (read_inode(erofs_le64(de.nid), &child)) {
				bad(ip, "cannot read inode");
				continue;
			}
			if (S_ISDIR(child.mode)) {
				walk(&child, ip, sp, depth + 1);
			} else if (S_ISREG(child.mode) || S_ISLNK(child.mode)) {
				uint8_t *got = malloc(child.size + 1);
				void *want = NULL;
				size_t wlen = 0;
				char lnk[PATH_MAX];
				ssize_t ll;

				n_files++;
				if (child.layout <= EROFS_INODE_FLAT_INLINE &&
				    child.layout != EROFS_INODE_COMPRESSED_FULL)
					n_plainflat++;
				if (S_ISLNK(child.mode)) {
					ll = readlink(sp, lnk, sizeof(lnk));
					if (ll >= 0) {
						want = malloc((size_t)ll + 1);
						memcpy(want, lnk, (size_t)ll);
						wlen = (size_t)ll;
					}
				} else {
					want = slurp(sp, &wlen);
				}
				if (!want)
					bad(ip, "missing in the source tree");
				else if (read_data(&child, got, child.size, 0))
					bad(ip, "decode failed");
				else if (wlen != child.size ||
					 memcmp(got, want, wlen))
					bad(ip, "content differs");
				free(got);
				free(want);
			}
		}
	}
	free(data);
}

int main(int argc, char **argv)
{
	struct erofs_super_block sb;
	struct ino root;
	struct stat st;

	if (argc != 3) {
		fprintf(stderr, "usage: zcat_test IMAGE SRCDIR\n");
		return 2;
	}
	G.fd = open(argv[1], O_RDONLY);
	if (G.fd < 0 || fstat(G.fd, &st)) {
		perror(argv[1]);
		return 2;
	}
	G.size = (uint64_t)st.st_size;
	erofs_log_init(&G.log);
	G.log.sink = sink;
	erofs_decompress_ctx_init(&G.dctx);
	if (rd(&G, &sb, sizeof(sb), EROFS_SUPER_OFFSET) ||
	    erofs_le32(sb.magic) != EROFS_SUPER_MAGIC_V1) {
		fprintf(stderr, "%s: not an EROFS image\n", argv[1]);
		return 2;
	}
	G.blkszbits = sb.blkszbits;
	G.meta_base = (uint64_t)erofs_le32(sb.meta_blkaddr) << G.blkszbits;
	G.incompat = erofs_le32(sb.feature_incompat);
	G.algs = erofs_le16(sb.u1.available_compr_algs);
	G.packed_nid = (G.incompat & EROFS_FEATURE_INCOMPAT_FRAGMENTS) ?
		       erofs_le64(sb.packed_nid) : 0;
	if (read_inode(erofs_le16(sb.rb.rootnid_2b), &root)) {
		fprintf(stderr, "cannot read the root inode\n");
		return 2;
	}
	walk(&root, "", argv[2], 0);
	printf("stats: files=%lu flat=%lu full=%lu compact=%lu compact2b=%lu inline=%lu big=%lu fragment=%lu zdirs=%lu bad=%lu\n",
	       n_files, n_plainflat, n_full, n_compact, n_2b, n_inline, n_big, n_frag,
	       n_zdirs, n_bad);
	erofs_decompress_ctx_release(&G.dctx);
	close(G.fd);
	return n_bad ? 1 : 0;
}
