// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * fuzz_zmap.c - libFuzzer target for compressed-inode mapping and reads
 * (lib/zmap.c, lib/decompress.c) without any image parser in front: a
 * 16-byte header describes the inode, the rest of the input is the byte
 * space its map header, indexes, inline tail and pclusters are read from
 * (meta, data and packed-inode reads all go to it, bounds-checked).
 *
 * Header (little endian):
 *   0     bit 0: COMPACT (else FULL) indexes; bits 1-2: block size
 *         512 << n; bit 3 ZERO_PADDING, bit 4 BIG_PCLUSTER, bit 5
 *         FRAGMENTS, bit 6 COMPR_CFGS; bit 7: a packed inode exists
 *   1     available_compr_algs (with COMPR_CFGS)
 *   2-3   read chunk size - 1 for the second read pass
 *   4-7   i_size (low 24 bits)
 *   8-11  inode_end: where the map header is looked for (rounded up to 8)
 *   12-15 byte offset the packed inode's data starts at
 * Checks: every mapped extent contains the offset asked and ends after it
 * (so the walk over i_size advances), pcluster lengths are sane, and two
 * read passes with different chunk sizes (and fresh state) agree on every
 * byte both of them read successfully.
 */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/zmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ZF_HDR		16
#define ZF_MAXREAD	(1U << 20)	/* bytes compared by the read passes */
#define ZF_MAXMAPS	4096U	/* extents walked */
#define ZF_MAXREADS	4096U	/* erofs_z_read() calls per pass */

struct zf_space {
	const uint8_t *img;
	size_t len;
	uint64_t packed_base;
};

static int zf_read(void *priv, void *buf, size_t len, uint64_t off)
{
	const struct zf_space *s = priv;

	if (off > s->len || len > s->len - off)
		return -EIO;
	memcpy(buf, s->img + off, len);
	return 0;
}

static int zf_read_packed(void *priv, void *buf, size_t len, uint64_t off)
{
	const struct zf_space *s = priv;

	if (off > UINT64_MAX - s->packed_base)
		return -EIO;
	return zf_read(priv, buf, len, s->packed_base + off);
}

static uint32_t zf_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void zf_fail(const char *why, uint64_t off, uint64_t a, uint64_t b)
{
	fprintf(stderr, "fuzz zmap: %s (off %llu: %llu, %llu)\n", why,
		(unsigned long long)off, (unsigned long long)a,
		(unsigned long long)b);
	abort();
}

/* read [0, len) in chunks; returns how many leading bytes are valid */
static size_t zf_read_pass(const struct erofs_z_params *p, uint8_t *buf,
			   size_t len, size_t chunk)
{
	struct erofs_z_inode zi;
	size_t done = 0;

	if (erofs_z_inode_init(&zi, p))
		goto out;
	while (done < len) {
		size_t n = EROFS_MIN(chunk, len - done);

		if (erofs_z_read(&zi, buf + done, n, done))
			break;
		done += n;
	}
out:
	erofs_z_inode_release(&zi);
	return done;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zf_space s;
	struct erofs_z_params p;
	struct erofs_z_inode zi;
	struct erofs_z_map map;
	uint8_t *a = NULL, *b = NULL;
	size_t rlen, ga, gb, chunk;
	uint64_t off;
	unsigned int n;

	if (size < ZF_HDR)
		return 0;
	s.img = data + ZF_HDR;
	s.len = size - ZF_HDR;
	s.packed_base = zf_le32(data + 12);

	memset(&p, 0, sizeof(p));
	p.nid = 27;
	p.datalayout = (data[0] & 1) ? EROFS_INODE_COMPRESSED_COMPACT :
				       EROFS_INODE_COMPRESSED_FULL;
	p.blkszbits = 9 + ((data[0] >> 1) & 3);
	if (data[0] & 8)
		p.feature_incompat |= EROFS_FEATURE_INCOMPAT_ZERO_PADDING;
	if (data[0] & 16)
		p.feature_incompat |= EROFS_FEATURE_INCOMPAT_BIG_PCLUSTER;
	if (data[0] & 32)
		p.feature_incompat |= EROFS_FEATURE_INCOMPAT_FRAGMENTS;
	if (data[0] & 64)
		p.feature_incompat |= EROFS_FEATURE_INCOMPAT_COMPR_CFGS;
	p.available_compr_algs = data[1];
	p.i_size = zf_le32(data + 4) & 0xffffff;
	p.inode_end = zf_le32(data + 8);
	p.read_meta = zf_read;
	p.read_data = zf_read;
	p.read_packed = (data[0] & 128) ? zf_read_packed : NULL;
	p.priv = &s;

	/* the map walk: each extent must hold off and move past it */
	if (!erofs_z_inode_init(&zi, &p)) {
		for (off = 0, n = 0; off < p.i_size && n < ZF_MAXMAPS; n++) {
			if (erofs_z_map(&zi, off, &map))
				break;
			if (!map.llen || map.la > off ||
			    map.llen > p.i_size - map.la ||
			    off - map.la >= map.llen)
				zf_fail("extent does not hold the offset", off,
					map.la, map.llen);
			if (!(map.flags & (EROFS_Z_MAP_HOLE |
					   EROFS_Z_MAP_FRAGMENT)) &&
			    (!map.plen || map.plen > EROFS_Z_PCLUSTER_MAX))
				zf_fail("bad pcluster length", off, map.pa,
					map.plen);
			off = map.la + map.llen;
		}
	}
	erofs_z_inode_release(&zi);

	/* two read passes, different chunking, fresh state each */
	rlen = (size_t)EROFS_MIN(p.i_size, (uint64_t)ZF_MAXREAD);
	if (!rlen)
		return 0;
	a = malloc(rlen);
	b = malloc(rlen);
	if (a && b) {
		/*
		 * Holes and fragments are not cached, so each read maps
		 * again: keep the number of reads per pass bounded.
		 */
		chunk = 1 + (data[2] | (size_t)data[3] << 8);
		chunk = EROFS_MAX(chunk, rlen / ZF_MAXREADS);
		ga = zf_read_pass(&p, a, rlen, 4096);
		gb = zf_read_pass(&p, b, rlen, chunk);
		/* a failed chunk may be half written: compare what both got */
		if (memcmp(a, b, EROFS_MIN(ga, gb)))
			zf_fail("read passes disagree", 0, ga, gb);
	}
	free(a);
	free(b);
	return 0;
}
