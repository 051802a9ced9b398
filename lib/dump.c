// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * dump.c - dump.erofs output formatting (erofs/dump.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "erofs/check.h"
#include "erofs/dump.h"
#include "erofs/zmap.h"
#include "erofs/ishare_report.h"

static const struct {
	uint32_t bit;
	const char *name;
} compat_names[] = {
	{ EROFS_FEATURE_COMPAT_SB_CHKSUM, "sb_csum" },
	{ EROFS_FEATURE_COMPAT_MTIME, "mtime" },
	{ EROFS_FEATURE_COMPAT_XATTR_FILTER, "xattr_filter" },
	{ EROFS_FEATURE_COMPAT_SHARED_EA_IN_METABOX, "shared_ea_in_metabox" },
	{ EROFS_FEATURE_COMPAT_PLAIN_XATTR_PFX, "plain_xattr_pfx" },
	{ EROFS_FEATURE_COMPAT_ISHARE_XATTRS, "ishare_xattrs" },
}, incompat_names[] = {
	{ EROFS_FEATURE_INCOMPAT_ZERO_PADDING, "0padding" },
	{ EROFS_FEATURE_INCOMPAT_COMPR_CFGS, "compr_cfgs" },
	{ EROFS_FEATURE_INCOMPAT_CHUNKED_FILE, "chunked_file" },
	{ EROFS_FEATURE_INCOMPAT_DEVICE_TABLE, "device_table" },
	{ EROFS_FEATURE_INCOMPAT_ZTAILPACKING, "ztailpacking" },
	{ EROFS_FEATURE_INCOMPAT_FRAGMENTS, "fragments" },
	{ EROFS_FEATURE_INCOMPAT_XATTR_PREFIXES, "xattr_prefixes" },
	{ EROFS_FEATURE_INCOMPAT_48BIT, "48bit" },
	{ EROFS_FEATURE_INCOMPAT_METABOX, "metabox" },
};

static const char *const layout_names[] = {
	"FLAT_PLAIN", "COMPRESSED_FULL", "FLAT_INLINE", "COMPRESSED_COMPACT",
	"CHUNK_BASED",
};

void erofs_dump_feature_names(uint32_t compat, uint32_t incompat, FILE *out)
{
	const char *sep = "";
	size_t i;

	for (i = 0; i < EROFS_ARRAY_SIZE(compat_names); i++)
		if (compat & compat_names[i].bit) {
			fprintf(out, "%s%s", sep, compat_names[i].name);
			sep = " ";
			compat &= ~compat_names[i].bit;
		}
	for (i = 0; i < EROFS_ARRAY_SIZE(incompat_names); i++)
		if (incompat & incompat_names[i].bit) {
			/* aliases share a bit: name the pair */
			fprintf(out, "%s%s", sep, incompat_names[i].name);
			if (incompat_names[i].bit ==
			    EROFS_FEATURE_INCOMPAT_COMPR_CFGS)
				fprintf(out, " big_pcluster");
			else if (incompat_names[i].bit ==
				 EROFS_FEATURE_INCOMPAT_DEVICE_TABLE)
				fprintf(out, " compr_head2");
			else if (incompat_names[i].bit ==
				 EROFS_FEATURE_INCOMPAT_FRAGMENTS)
				fprintf(out, " dedupe");
			sep = " ";
			incompat &= ~incompat_names[i].bit;
		}
	if (compat)
		fprintf(out, "%scompat_unknown(0x%x)", sep, compat), sep = " ";
	if (incompat)
		fprintf(out, "%sincompat_unknown(0x%x)", sep, incompat);
}

static void print_time(FILE *out, int64_t sec, uint32_t nsec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	char buf[64];

	if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf),
					  "%Y-%m-%d %H:%M:%S UTC", &tm))
		fprintf(out, "%" PRId64 ".%09u (%s)", sec, nsec, buf);
	else
		fprintf(out, "%" PRId64 ".%09u", sec, nsec);
}

int erofs_dump_super(struct erofs_image *img, FILE *out)
{
	const struct erofs_super_block *sb = &img->sb;
	unsigned int i;

#define F(label) fprintf(out, "%-46s", "Filesystem " label ":")
	F("magic number"); fprintf(out, "0x%08X\n", erofs_le32(sb->magic));
	F("checksum"); fprintf(out, "0x%08X\n", erofs_le32(sb->checksum));
	F("blocksize"); fprintf(out, "%u\n", img->blksz);
	F("blocks"); fprintf(out, "%" PRIu64 "\n", img->blocks);
	F("inode metadata start block");
	fprintf(out, "%" PRIu64 "\n", img->meta_blkaddr);
	F("shared xattr metadata start block");
	fprintf(out, "%" PRIu64 "\n", img->xattr_blkaddr);
	F("root nid"); fprintf(out, "%" PRIu64 "\n", img->root_nid);
	if (img->packed_nid) {
		F("packed nid"); fprintf(out, "%" PRIu64 "\n", img->packed_nid);
	}
	if (img->feature_incompat & EROFS_FEATURE_INCOMPAT_METABOX) {
		F("metabox nid"); fprintf(out, "%" PRIu64 "\n", img->metabox_nid);
	}
	if (img->feature_incompat & EROFS_FEATURE_INCOMPAT_COMPR_CFGS) {
		F("compr_algs"); fprintf(out, "0x%x\n", img->available_compr_algs);
	} else {
		F("lz4_max_distance");
		fprintf(out, "%u\n", erofs_le16(sb->u1.lz4_max_distance));
	}
	F("sb_size"); fprintf(out, "%u\n", img->sb_size);
	F("inode count"); fprintf(out, "%" PRIu64 "\n", img->inos);
	F("epoch"); print_time(out, (int64_t)img->epoch, img->fixed_nsec);
	fputc('\n', out);
	if (img->feature_incompat & EROFS_FEATURE_INCOMPAT_48BIT) {
		F("build time");
		print_time(out, (int64_t)(img->epoch + erofs_le32(sb->build_time)),
			   img->fixed_nsec);
		fputc('\n', out);
	}
	if (img->extra_devices) {
		F("extra devices"); fprintf(out, "%u\n", img->extra_devices);
		for (i = 0; i < img->extra_devices; i++)
			fprintf(out, "  device %u: blocks %" PRIu64 " uniaddr %" PRIu64 " tag \"%.64s\"\n",
				i + 1, img->devices[i].blocks,
				img->devices[i].uniaddr,
				(const char *)img->devices[i].tag);
	}
	if (img->xattr_prefix_count) {
		F("long xattr prefixes");
		fprintf(out, "%u\n", img->xattr_prefix_count);
		for (i = 0; i < img->xattr_prefix_count; i++) {
			const struct erofs_xattr_prefix *p = &img->prefixes[i];
			const char *s = erofs_xattr_short_prefix(p->base_index);

			fprintf(out, "  prefix %u: base %u \"%s%.*s\"%s\n", i,
				p->base_index, s ? s : "", (int)p->infix_len,
				p->infix, p->base_index ? "" : " (hidden)");
		}
	}
	if (img->feature_compat & EROFS_FEATURE_COMPAT_ISHARE_XATTRS) {
		char *key = erofs_ishare_key_name(img);

		F("ishare xattr prefix id");
		fprintf(out, "%u\n", img->ishare_prefix_id);
		F("ishare xattr key");
		fprintf(out, "%s\n", IS_ERR_OR_NULL(key) ?
			"(prefix id out of range)" : key);
		if (!IS_ERR(key))
			free(key);
	}
	F("features");
	erofs_dump_feature_names(img->feature_compat, img->feature_incompat,
				 out);
	fputc('\n', out);
	F("UUID");
	for (i = 0; i < 16; i++)
		fprintf(out, "%02x%s", sb->uuid[i],
			(i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
	fputc('\n', out);
	F("volume name");
	fprintf(out, "%.16s\n", (const char *)sb->volume_name);
#undef F
	return 0;
}

#define HIST_BUCKETS	48

struct stats_ctx {
	uint64_t hist[HIST_BUCKETS];
	uint64_t compressed, uncompressed;
};

static int stats_hook(void *priv, struct erofs_inode *inode, const char *path)
{
	struct stats_ctx *s = priv;
	unsigned int b = 0;
	uint64_t kib;

	if (!S_ISREG(inode->mode))
		return 0;
	if (erofs_inode_is_compressed(inode))
		s->compressed++;
	else
		s->uncompressed++;
	/* bucket 0: [0, 1K); bucket n: [2^(n-1) K, 2^n K) */
	for (kib = inode->size >> 10; kib && b < HIST_BUCKETS - 1; kib >>= 1)
		b++;
	s->hist[b]++;
	return 0;
}

static void print_size(FILE *out, uint64_t kib)
{
	static const char units[] = "KMGTPE";
	unsigned int u = 0;

	while (kib >= 1024 && !(kib & 1023) && u < 5) {
		kib >>= 10;
		u++;
	}
	fprintf(out, "%" PRIu64 "%c", kib, units[u]);
}

/* bytes the packed inode occupies: encoded pclusters, raw and inline bytes */
static int packed_stored(struct erofs_image *img, uint64_t *stored)
{
	struct erofs_data_ctx d;
	struct erofs_map map;
	uint64_t la = 0, last_pa = ~0ULL;
	int ret;

	ret = erofs_data_open(&d, &img->packed);
	if (ret)
		return ret;
	while (la < img->packed.size) {
		map.la = la;
		ret = erofs_data_map(&d, &map);
		if (ret)
			break;
		if (map.kind == EROFS_MAP_COMPRESSED && map.pa != last_pa)
			*stored += map.plen;
		else if (map.kind == EROFS_MAP_MAPPED ||
			 map.kind == EROFS_MAP_INLINE)
			*stored += map.llen;
		last_pa = map.pa;
		la = map.la + map.llen;
	}
	erofs_data_close(&d);
	return ret;
}

int erofs_dump_stats(struct erofs_image *img, FILE *out)
{
	struct erofs_check_params p;
	struct erofs_check_stats st;
	struct stats_ctx s;
	unsigned int b, last = 0;
	int ret;

	memset(&s, 0, sizeof(s));
	erofs_check_params_init(&p);
	p.read_data = false;
	p.check_xattrs = false;
	p.check_overlap = false;
	p.check_lookbacks = false;
	p.inode_hook = stats_hook;
	p.hook_priv = &s;
	ret = erofs_check_image(img, &p, &st);
	if (ret)
		return ret;
#define F(label) fprintf(out, "%-38s", "Filesystem " label ":")
	F("total file count"); fprintf(out, "%" PRIu64 "\n", st.inodes);
	F("regular file count"); fprintf(out, "%" PRIu64 "\n", st.files);
	F("directory count"); fprintf(out, "%" PRIu64 "\n", st.dirs);
	F("symlink file count"); fprintf(out, "%" PRIu64 "\n", st.symlinks);
	F("character device count"); fprintf(out, "%" PRIu64 "\n", st.chrdevs);
	F("block device count"); fprintf(out, "%" PRIu64 "\n", st.blkdevs);
	F("FIFO file count"); fprintf(out, "%" PRIu64 "\n", st.fifos);
	F("SOCK file count"); fprintf(out, "%" PRIu64 "\n", st.sockets);
	F("compressed files"); fprintf(out, "%" PRIu64 "\n", s.compressed);
	F("uncompressed files"); fprintf(out, "%" PRIu64 "\n", s.uncompressed);
	F("total original file size");
	fprintf(out, "%" PRIu64 " Bytes\n", st.logical_bytes);
	F("total file size");
	fprintf(out, "%" PRIu64 " Bytes\n", st.physical_bytes);
	F("compression ratio");
	fprintf(out, "%.2f%%\n", st.logical_bytes ?
		100.0 * (double)st.physical_bytes / (double)st.logical_bytes :
		100.0);
	if (img->packed_nid) {
		uint64_t stored = 0;

		/*
		 * the fragments' bytes: already part of "total file size"
		 * (the check engine counts the packed inode's stored bytes
		 * there), shown for information only
		 */
		ret = packed_stored(img, &stored);
		if (ret)
			return ret;
		F("packed inode size");
		fprintf(out, "%" PRIu64 " Bytes, %" PRIu64 " stored\n",
			img->packed.size, stored);
	}
#undef F
	fprintf(out, "File original size distribution:\n");
	for (b = 0; b < HIST_BUCKETS; b++)
		if (s.hist[b])
			last = b;
	for (b = 0; b <= last && st.files; b++) {
		fputs(b ? "  [" : "  [0", out);
		if (b)
			print_size(out, 1ULL << (b - 1));
		fputs(", ", out);
		print_size(out, 1ULL << b);
		fprintf(out, "): %" PRIu64 "\n", s.hist[b]);
	}
	return 0;
}

static const char *type_name(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "regular file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	}
	return "unknown";
}

static void print_value(FILE *out, const unsigned char *v, size_t n)
{
	size_t i;
	bool text = n > 0;

	for (i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e) {
			/* one trailing NUL still counts as text */
			if (!(i == n - 1 && !v[i] && n > 1))
				text = false;
			break;
		}
	if (text) {
		fputc('"', out);
		for (i = 0; i < n && v[i]; i++) {
			if (v[i] == '"' || v[i] == '\\')
				fputc('\\', out);
			fputc(v[i], out);
		}
		fputc('"', out);
		return;
	}
	fputs("0x", out);
	for (i = 0; i < n; i++)
		fprintf(out, "%02x", v[i]);
}

struct xattr_dump {
	FILE *out;
	unsigned int n;
};

static int xattr_dump_cb(void *priv, const struct erofs_xattr_info *x)
{
	struct xattr_dump *d = priv;

	d->n++;
	if (!x->known)
		fprintf(d->out, "  (unknown prefix index 0x%02x)", x->index);
	else
		fprintf(d->out, "  %s", x->name);
	fprintf(d->out, "%s%s = ", x->shared ? " [shared]" : "",
		x->hidden ? " [hidden]" : "");
	print_value(d->out, x->value, x->value_size);
	fputc('\n', d->out);
	return 0;
}

int erofs_dump_inode(struct erofs_inode *inode, const char *path, FILE *out)
{
	struct xattr_dump d = { out, 0 };
	int ret = 0;

	if (path)
		fprintf(out, "Path: %s\n", path);
	fprintf(out, "NID: %" PRIu64 "\n", inode->nid);
	fprintf(out, "Type: %s\n", type_name(inode->mode));
	fprintf(out, "Mode: 0%06o\n", inode->mode);
	fprintf(out, "Inode version: %s (%u bytes)\n",
		inode->version ? "extended" : "compact", inode->inode_isize);
	fprintf(out, "Layout: %s (%u)\n", inode->datalayout <
		EROFS_ARRAY_SIZE(layout_names) ?
		layout_names[inode->datalayout] : "?", inode->datalayout);
	fprintf(out, "Size: %" PRIu64 "\n", inode->size);
	if (erofs_inode_is_compressed(inode)) {
		fprintf(out, "Blocks: %" PRIu64 " (compressed)\n",
			inode->i_u | (inode->nlink_1 ?
				      (uint64_t)inode->i_nb << 32 : 0));
	} else if (S_ISREG(inode->mode) || S_ISDIR(inode->mode) ||
		   S_ISLNK(inode->mode)) {
		uint64_t bs = inode->img->blksz;
		uint64_t nb = EROFS_DIV_ROUND_UP(inode->size, bs);

		if (inode->datalayout == EROFS_INODE_FLAT_INLINE && nb)
			fprintf(out, "Blocks: %" PRIu64 " + %" PRIu64 " inline bytes\n",
				nb - 1, inode->size - (nb - 1) * bs);
		else
			fprintf(out, "Blocks: %" PRIu64 "%s\n",
				inode->startblk_null &&
				inode->datalayout == EROFS_INODE_FLAT_PLAIN ?
				(uint64_t)0 : nb,
				inode->datalayout == EROFS_INODE_CHUNK_BASED ?
				" (chunked, holes included)" : "");
	}
	fprintf(out, "Links: %u\n", inode->nlink);
	fprintf(out, "Uid: %u  Gid: %u\n", inode->uid, inode->gid);
	fprintf(out, "Mtime: ");
	print_time(out, inode->mtime, inode->mtime_nsec);
	fputc('\n', out);
	fprintf(out, "Ino: %u\n", inode->ino);
	if (S_ISCHR(inode->mode) || S_ISBLK(inode->mode))
		fprintf(out, "Device: %u:%u\n", erofs_dev_major(inode->rdev),
			erofs_dev_minor(inode->rdev));
	else if (inode->datalayout == EROFS_INODE_CHUNK_BASED)
		fprintf(out, "Chunk format: 0x%04x (chunk size %llu)\n",
			inode->chunkformat, inode->chunkbits < 64 ?
			1ULL << inode->chunkbits : 0ULL);
	else if (!erofs_inode_is_compressed(inode) && inode->size &&
		 inode->startblk_null)
		fprintf(out, "Start block: none\n");
	else if (!erofs_inode_is_compressed(inode) && inode->size)
		fprintf(out, "Start block: %" PRIu64 "\n", inode->startblk);
	if (inode->dot_omitted)
		fprintf(out, "Flags: dot-omitted\n");
	fprintf(out, "Xattr size: %u\n", inode->xattr_isize);
	if (inode->xattr_isize) {
		struct erofs_xattr_header hdr;

		fprintf(out, "Xattrs:\n");
		ret = erofs_xattr_iterate(inode, xattr_dump_cb, &d, &hdr);
		fprintf(out, "Xattr name filter: 0x%08x, shared: %u, entries: %u\n",
			hdr.name_filter, hdr.shared_count, d.n);
	}
	return ret;
}

static const char *alg_name(unsigned int alg)
{
	switch (alg) {
	case Z_EROFS_COMPRESSION_LZ4: return "lz4";
	case Z_EROFS_COMPRESSION_LZMA: return "lzma";
	case Z_EROFS_COMPRESSION_DEFLATE: return "deflate";
	case Z_EROFS_COMPRESSION_ZSTD: return "zstd";
	/* PLAIN lclusters: stored raw, the two ways of placing the bytes */
	case EROFS_Z_ALG_SHIFTED: return "plain";
	case EROFS_Z_ALG_INTERLACED: return "plain";
	}
	return "?";
}

/* "START..END" of a byte range and its first block + block count */
static void print_phys(FILE *out, const char *space, uint64_t pa,
		       uint64_t len, uint64_t llen, unsigned int blkszbits)
{
	char r[64];
	uint64_t b0 = pa >> blkszbits;
	uint64_t nb = len ? ((pa + len - 1) >> blkszbits) - b0 + 1 : 0;
	char bl[48];

	snprintf(r, sizeof(r), "%s%" PRIu64 "..%" PRIu64, space, pa, pa + len);
	snprintf(bl, sizeof(bl), "%" PRIu64 "+%" PRIu64, b0, nb);
	fprintf(out, " %24s %8" PRIu64 " %12s", r, llen, bl);
}

static void print_zflags(FILE *out, const struct erofs_map *map)
{
	if (map->alg == EROFS_Z_ALG_SHIFTED)
		fputs(" shifted", out);
	else if (map->alg == EROFS_Z_ALG_INTERLACED)
		fputs(" interlaced", out);
	if (map->zflags & EROFS_Z_MAP_INLINE)
		fputs(" inline", out);
	if (map->zflags & EROFS_Z_MAP_BIG)
		fputs(" big", out);
	if (map->zflags & EROFS_Z_MAP_PARTIAL)
		fputs(" partial", out);
}

/* how the extents of a compressed file are indexed (format.md 7) */
static void print_map_header(const struct erofs_z_inode *zi, FILE *out)
{
	unsigned int a = zi->advise;

	if (zi->whole_fragment) {
		/* h_fragmentoff replaces the index description */
		fprintf(out, "Map header: whole file in the packed inode at %llu\n",
			(unsigned long long)zi->fragment_off);
		return;
	}
	fprintf(out, "Map header: lcluster %llu, ",
		1ULL << zi->lclusterbits);
	if (zi->extents)
		fprintf(out, "encoded extents (%u-byte records)", zi->recsz);
	else if (zi->p.datalayout == EROFS_INODE_COMPRESSED_FULL)
		fprintf(out, "full indexes");
	else
		fprintf(out, "compact indexes (%u 4B, %llu 2B)",
			zi->compact_4b_init,
			(unsigned long long)zi->compact_2b);
	fprintf(out, ", head1 %s", alg_name(zi->algs[0]));
	/* HEAD2 only means something with several algorithms on the image */
	if ((zi->p.feature_incompat & EROFS_FEATURE_INCOMPAT_COMPR_CFGS) &&
	    (zi->p.available_compr_algs & (zi->p.available_compr_algs - 1)))
		fprintf(out, ", head2 %s", alg_name(zi->algs[1]));
	fprintf(out, ", advise 0x%04x", a);
	if (a & Z_EROFS_ADVISE_COMPACTED_2B)
		fputs(zi->p.datalayout == EROFS_INODE_COMPRESSED_FULL ?
		      " extents" : " compacted_2b", out);
	if (!zi->extents && (a & Z_EROFS_ADVISE_BIG_PCLUSTER_1))
		fputs(" big_pcluster_1", out);
	if (!zi->extents && (a & Z_EROFS_ADVISE_BIG_PCLUSTER_2))
		fputs(" big_pcluster_2", out);
	if (a & Z_EROFS_ADVISE_INLINE_PCLUSTER)
		fputs(" inline_pcluster", out);
	if (a & Z_EROFS_ADVISE_INTERLACED_PCLUSTER)
		fputs(" interlaced", out);
	if (a & Z_EROFS_ADVISE_FRAGMENT_PCLUSTER)
		fputs(zi->whole_fragment ? " fragment(whole file)" :
		      " fragment(tail)", out);
	fputc('\n', out);
}

/*
 * The packed inode's extents that hold [off, off + len) of its data: where
 * a fragment's bytes really are and how they are stored.
 */
static int dump_fragment_home(struct erofs_image *img, uint64_t off,
			      uint64_t len, FILE *out)
{
	struct erofs_data_ctx d;
	struct erofs_map map;
	uint64_t la = off;
	int ret;

	if (!img->packed_nid || off + len > img->packed.size)
		return 0;	/* the mapper has already complained */
	ret = erofs_data_open(&d, &img->packed);
	if (ret)
		return ret;
	while (la < off + len) {
		char lr[48];

		map.la = la;
		ret = erofs_data_map(&d, &map);
		if (ret)
			break;
		/* same columns as the extent, logical = packed inode offsets */
		snprintf(lr, sizeof(lr), "%" PRIu64 "..%" PRIu64, map.la,
			 map.la + map.llen);
		fprintf(out, "%6s %21s", "^", lr);
		if (map.kind == EROFS_MAP_HOLE) {
			fprintf(out, " %24s %8" PRIu64 " %12s %8s  none hole", "-",
				map.llen, "-", "-");
		} else if (map.kind != EROFS_MAP_COMPRESSED) {
			print_phys(out, map.in_metabox ? "M:" : "", map.pa,
				   map.llen, map.llen, img->blkszbits);
			fprintf(out, " %8s  none %s", "-", map.kind ==
				EROFS_MAP_INLINE ? "inline" : "mapped");
		} else if (map.zflags & EROFS_Z_MAP_FRAGMENT) {
			/* the packed inode cannot have fragments itself */
			fprintf(out, " %24s %8" PRIu64 " %12s %8s  ? nested-fragment",
				"?", map.llen, "-", "-");
		} else {
			print_phys(out, map.in_metabox ? "M:" : "", map.pa,
				   map.plen, map.llen, img->blkszbits);
			fprintf(out, " %8u  %s", map.plen, alg_name(map.alg));
			print_zflags(out, &map);
		}
		fprintf(out, " (packed nid %" PRIu64 ")\n", img->packed_nid);
		la = map.la + map.llen;
	}
	erofs_data_close(&d);
	return ret;
}

int erofs_dump_extents(struct erofs_inode *inode, FILE *out)
{
	struct erofs_image *img = inode->img;
	struct erofs_data_ctx d;
	struct erofs_map map;
	uint64_t la = 0, enc = 0, frag = 0;
	unsigned int n = 0;
	int ret;

	ret = erofs_data_open(&d, inode);
	if (ret)
		return ret;
	if (d.z)
		print_map_header(d.z, out);
	fprintf(out, "Extents (bytes; blocks of %u as FIRST+COUNT):\n",
		img->blksz);
	fprintf(out, "%6s %21s %24s %8s %12s %8s  %s\n", "ext", "logical",
		"physical", "length", "blocks", "plen", "algorithm flags");
	while (la < inode->size) {
		struct erofs_z_map zm = { 0 };
		char lr[48];

		map.la = la;
		ret = erofs_data_map(&d, &map);
		if (ret)
			goto out;
		/* the mapper's own view: packed-inode offset of a fragment */
		if (map.kind == EROFS_MAP_COMPRESSED) {
			ret = erofs_z_map(d.z, map.la, &zm);
			if (ret)
				goto out;
		}
		snprintf(lr, sizeof(lr), "%" PRIu64 "..%" PRIu64, map.la,
			 map.la + map.llen);
		fprintf(out, "%6u %21s", n++, lr);
		switch (map.kind) {
		case EROFS_MAP_HOLE:
			fprintf(out, " %24s %8" PRIu64 " %12s %8s  none hole",
				"-", map.llen, "-", "-");
			break;
		case EROFS_MAP_MAPPED:
		case EROFS_MAP_INLINE:
			print_phys(out, map.in_metabox ? "M:" : "", map.pa,
				   map.llen, map.llen, img->blkszbits);
			fprintf(out, " %8s  none %s", "-",
				map.kind == EROFS_MAP_INLINE ? "inline" :
				"mapped");
			enc += map.llen;
			break;
		case EROFS_MAP_COMPRESSED:
			if (map.zflags & EROFS_Z_MAP_FRAGMENT) {
				char r[64];

				snprintf(r, sizeof(r), "P:%" PRIu64 "..%" PRIu64,
					 zm.fragment_off,
					 zm.fragment_off + map.llen);
				fprintf(out, " %24s %8" PRIu64 " %12s %8s  %s", r,
					map.llen, "-", "-", "packed fragment");
				frag += map.llen;
				break;
			}
			print_phys(out, map.in_metabox ? "M:" : "", map.pa,
				   map.plen, map.llen, img->blkszbits);
			fprintf(out, " %8u  %s", map.plen, alg_name(map.alg));
			enc += map.plen;
			print_zflags(out, &map);
			break;
		}
		if (map.device)
			fprintf(out, " device %u", map.device);
		fputc('\n', out);
		if (map.kind == EROFS_MAP_COMPRESSED &&
		    (map.zflags & EROFS_Z_MAP_FRAGMENT)) {
			ret = dump_fragment_home(img, zm.fragment_off,
						 map.llen, out);
			if (ret)
				goto out;
		}
		la = map.la + map.llen;
	}
	fprintf(out, "%u extent(s), %" PRIu64 " bytes, %" PRIu64 " stored",
		n, inode->size, enc);
	if (frag)
		fprintf(out, " + %" PRIu64 " in the packed inode", frag);
	fputc('\n', out);
out:
	erofs_data_close(&d);
	return ret;
}

static int ls_cb(void *priv, const struct erofs_dir_entry *ent)
{
	FILE *out = priv;
	static const char types[] = "?fdcbpsl";

	fprintf(out, "%12" PRIu64 " %c %.*s\n", ent->nid,
		ent->file_type < EROFS_FT_MAX ? types[ent->file_type] : '?',
		(int)ent->name_len, ent->name);
	return 0;
}

int erofs_dump_ls(struct erofs_inode *dir, FILE *out)
{
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	return erofs_dir_iterate(dir, ls_cb, out);
}

int erofs_dump_cat(struct erofs_inode *inode, FILE *out)
{
	struct erofs_data_ctx d;
	unsigned char *buf;
	uint64_t off;
	int ret = 0;

	if (S_ISDIR(inode->mode))
		return -EISDIR;
	buf = malloc(65536);
	if (!buf)
		return -ENOMEM;
	ret = erofs_data_open(&d, inode);
	for (off = 0; !ret && off < inode->size; off += 65536) {
		size_t n = EROFS_MIN(65536, inode->size - off);

		ret = erofs_data_read(&d, buf, n, off);
		if (ret)
			break;
		if (fwrite(buf, 1, n, out) != n) {
			ret = -EIO;
			break;
		}
	}
	erofs_data_close(&d);
	free(buf);
	return ret;
}
