// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * gen_zseeds.c - writes the seed corpora of the decompression fuzz
 * targets (tests/fuzz/README.md).  Not part of any build; compile it
 * against a build directory's library when the seeds need redoing:
 *
 *   cc -I include -I BUILD tests/fuzz/gen_zseeds.c BUILD/lib/liberofs.a \
 *      -llz4 -llzma -ldeflate -lzstd -o /tmp/gen_zseeds
 *   gen_zseeds codecs DIR        corpus-{lz4,lzma,deflate,zstd,roundtrip}
 *   gen_zseeds zmap IMAGE PATH OUT   one fuzz_zmap input for a file of an
 *                                    image made by our mkfs
 *
 * Decoder seeds are valid streams of our own compressors for short texts,
 * cut at a few pcluster sizes, with the header of fuzz_decode.h (full and
 * partial decodes).  A zmap seed is the fuzz_zmap header describing the
 * inode followed by the whole image.
 */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/compress.h"
#include "erofs/reader.h"

static void put(const char *dir, const char *name, const uint8_t *hdr,
		size_t hlen, const uint8_t *body, size_t blen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(hdr, 1, hlen, f) != hlen ||
	    fwrite(body, 1, blen, f) != blen || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* deterministic sample data of a few kinds */
static void sample(uint8_t *buf, size_t len, unsigned int kind)
{
	static const char *const w[] = { "alpha ", "beta ", "gamma ", "\n",
					 "delta ", "epsilon ", "zeta " };
	uint32_t x = 12345 + kind;
	size_t i = 0;

	while (i < len) {
		x = x * 1103515245 + 12345;
		switch (kind) {
		case 0:		/* words */
		{
			const char *s = w[(x >> 16) % 7];
			size_t n = strlen(s);

			n = n < len - i ? n : len - i;
			memcpy(buf + i, s, n);
			i += n;
			break;
		}
		case 1:		/* zeros */
			buf[i++] = 0;
			break;
		case 2:		/* noise */
			buf[i++] = (uint8_t)(x >> 16);
			break;
		default:	/* short period with rare changes */
			buf[i] = (uint8_t)("abcab"[i % 5] + ((x >> 28) == 0));
			i++;
			break;
		}
	}
}

static int codecs(const char *dir)
{
	static const size_t lens[] = { 1, 37, 300, 1500, 5000, 20000 };
	static const size_t dsts[] = { 64, 512, 4096 };
	static const char *const rows[] = { "lz4", "lz4hc", "lzma", "deflate",
					    "zstd" };
	static uint8_t src[20000], dst[4096];
	unsigned int r, k, l, d;

	for (r = 0; r < EROFS_ARRAY_SIZE(rows); r++) {
		struct erofs_compress_cfg cfg;
		struct erofs_compress_ctx ctx;
		char sub[4096], name[64];
		const char *alg = rows[r][3] == 'h' ? "lz4" : rows[r];

		if (erofs_compress_cfg_parse(&cfg, rows[r], NULL) ||
		    erofs_compress_init(&ctx, &cfg))
			return 1;
		snprintf(sub, sizeof(sub), "%s/corpus-%s", dir, alg);
		for (k = 0; k < 4; k++) {
			for (l = 0; l < EROFS_ARRAY_SIZE(lens); l++) {
				sample(src, lens[l], k);
				for (d = 0; d < EROFS_ARRAY_SIZE(dsts); d++) {
					size_t used = lens[l], n;
					uint8_t h[4];
					int ret;

					/* small inputs: one output size */
					if (lens[l] <= 300 && d)
						continue;
					ret = erofs_compress_destsize(&ctx, src,
						&used, dst, dsts[d]);
					if (ret <= 0)
						continue;
					n = used - 1;
					h[0] = (uint8_t)((n >> 16 & 3) << 1);
					h[1] = n & 0xff;
					h[2] = (n >> 8) & 0xff;
					h[3] = 128;
					snprintf(name, sizeof(name),
						 "%s-k%u-l%zu-d%zu", rows[r], k,
						 lens[l], dsts[d]);
					put(sub, name, h, 4, dst, (size_t)ret);
					if (used < 4)
						continue;
					/* the first half, as PARTIAL_REF */
					n = used / 2 - 1;
					h[0] = (uint8_t)((n >> 16 & 3) << 1 | 1);
					h[1] = n & 0xff;
					h[2] = (n >> 8) & 0xff;
					h[3] = 40;
					strcat(name, "-p");
					put(sub, name, h, 4, dst, (size_t)ret);
				}
			}
		}
		erofs_compress_release(&ctx);
	}
	/* round trip: control byte + plain data */
	for (k = 0; k < 4; k++) {
		for (l = 0; l < 5; l++) {
			char sub[4096], name[64];
			uint8_t c = (uint8_t)(k * 50 + l * 7);

			sample(src, lens[l], k);
			snprintf(sub, sizeof(sub), "%s/corpus-roundtrip", dir);
			snprintf(name, sizeof(name), "k%u-l%zu", k, lens[l]);
			put(sub, name, &c, 1, src, lens[l]);
		}
	}
	return 0;
}

static int zmap(const char *image, const char *path, const char *out)
{
	struct erofs_inode inode;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;
	uint8_t h[16], *buf;
	uint64_t end;
	FILE *f;
	long len;

	erofs_log_init(&log);
	if (erofs_io_open_file(&io, image, 0) ||
	    erofs_image_open(&img, &io, &log, 0) ||
	    erofs_path_lookup(&img, path, &inode) ||
	    !erofs_inode_is_compressed(&inode) || inode.in_metabox) {
		fprintf(stderr, "%s: %s is not a compressed file\n", image,
			path);
		return 1;
	}
	memset(h, 0, sizeof(h));
	h[0] = inode.datalayout == EROFS_INODE_COMPRESSED_COMPACT;
	h[0] |= (uint8_t)((img.blkszbits - 9) << 1);
	if (img.feature_incompat & EROFS_FEATURE_INCOMPAT_ZERO_PADDING)
		h[0] |= 8;
	if (img.feature_incompat & EROFS_FEATURE_INCOMPAT_BIG_PCLUSTER)
		h[0] |= 16;
	if (img.feature_incompat & EROFS_FEATURE_INCOMPAT_FRAGMENTS)
		h[0] |= 32;
	if (img.feature_incompat & EROFS_FEATURE_INCOMPAT_COMPR_CFGS)
		h[0] |= 64;
	if (img.packed_nid)
		h[0] |= 128;
	h[1] = (uint8_t)img.available_compr_algs;
	h[2] = 0xe7;		/* second pass reads 1000-byte chunks */
	h[3] = 0x03;
	h[4] = inode.size & 0xff;
	h[5] = (inode.size >> 8) & 0xff;
	h[6] = (inode.size >> 16) & 0xff;
	end = erofs_inode_end(&inode);
	h[8] = end & 0xff;
	h[9] = (end >> 8) & 0xff;
	h[10] = (end >> 16) & 0xff;
	h[11] = (end >> 24) & 0xff;
	erofs_image_release(&img);
	erofs_io_close(&io);

	f = fopen(image, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		return 1;
	buf = malloc((size_t)len);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
		return 1;
	fclose(f);
	f = fopen(out, "wb");
	if (!f || fwrite(h, 1, 16, f) != 16 ||
	    fwrite(buf, 1, (size_t)len, f) != (size_t)len || fclose(f))
		return 1;
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "codecs"))
		return codecs(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "zmap"))
		return zmap(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: gen_zseeds codecs DIR | zmap IMAGE PATH OUT\n");
	return 2;
}
