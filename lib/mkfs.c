// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * mkfs.c - the writer's entry points: defaults, -z parsing, one build =
 * plan (with compression) + emit over a per-build struct erofs_wr (no
 * state outlives the call).
 */
#include <stdlib.h>
#include <string.h>
#include "erofs/cli.h"
#include "writer_internal.h"

static int wr_metabox_finish(struct erofs_mkfs_params *p);

void erofs_mkfs_params_init(struct erofs_mkfs_params *p)
{
	memset(p, 0, sizeof(*p));
	p->blkszbits = 12;
	p->inode_form = EROFS_FORM_AUTO;
	p->sb_checksum = true;
	p->xattr_filter = true;
	/* like erofs-utils -x 2: share what more than two inodes carry */
	p->xattr_share_threshold = 2;
}

int erofs_mkfs_params_finish(struct erofs_mkfs_params *p, bool has_blob)
{
	int ret = wr_metabox_finish(p);

	if (ret)
		return ret;
	if (p->dedupe && !p->nr_compr && !p->chunkbits) {
		erofs_info(p->log, "-E dedupe without -z: chunk dedupe in %u-byte chunks",
			   1U << p->blkszbits);
		p->chunkbits = p->blkszbits;
	}
	if (p->chunkbits && p->chunkbits < p->blkszbits) {
		erofs_err(p->log, "chunk size %u is smaller than the block size %u",
			  1U << p->chunkbits, 1U << p->blkszbits);
		return -EINVAL;
	}
	if (has_blob && !p->chunkbits) {
		erofs_err(p->log, "--blobdev needs --chunksize");
		return -EINVAL;
	}
	if (has_blob && p->chunk_form == EROFS_CHUNK_BLOCKMAP) {
		erofs_err(p->log, "--blobdev needs chunk indexes, not -E force-inode-blockmap");
		return -EINVAL;
	}
	return 0;
}

bool erofs_mkfs_can_stream(const struct erofs_mkfs_params *p)
{
	const char *why = p->nr_compr ? "-z" : p->dsunit > 1 ? "--dsunit" :
			  p->chunkbits ? "chunk-based files" :
			  p->metabox_pcluster ? "-m" : NULL;

	if (why)
		erofs_info(p->log, "--sort=none: not with %s, data sorted by path",
			   why);
	return !why;
}

int erofs_mkfs_parse_compress(struct erofs_mkfs_params *p, const char *arg)
{
	struct erofs_compress_cfg cfg[EROFS_MKFS_MAX_COMPR];
	unsigned int nr = 0;
	char *dup, *tok, *save = NULL;
	int ret = 0;

	dup = strdup(arg);
	if (!dup)
		return -ENOMEM;
	/* ':' separates algorithms; ',' their options (compress.h) */
	for (tok = strtok_r(dup, ":", &save); tok;
	     tok = strtok_r(NULL, ":", &save)) {
		if (nr == EROFS_MKFS_MAX_COMPR) {
			erofs_err(p->log, "-z %s: more than %u algorithms",
				  arg, EROFS_MKFS_MAX_COMPR);
			ret = -EINVAL;
			break;
		}
		ret = erofs_compress_cfg_parse(&cfg[nr], tok, p->log);
		if (ret)
			break;
		nr++;
	}
	if (!ret && !nr) {
		erofs_err(p->log, "-z: no compression algorithm given");
		ret = -EINVAL;
	}
	if (!ret) {
		memcpy(p->compr, cfg, nr * sizeof(cfg[0]));
		p->nr_compr = nr;
	}
	free(dup);
	return ret;
}

int erofs_mkfs_parse_metabox(struct erofs_mkfs_params *p, const char *arg)
{
	const char *colon = strchr(arg, ':');
	char *size = strndup(arg, colon ? (size_t)(colon - arg) : strlen(arg));
	long long v;
	int ret;

	if (!size)
		return -ENOMEM;
	ret = erofs_cli_parse_size(size, 1, 1 << 20, &v);
	free(size);
	if (ret || (colon && !colon[1])) {
		erofs_err(p->log, "invalid metabox option '%s' (-m SIZE[:ALG])",
			  arg);
		return -EINVAL;
	}
	p->metabox_pcluster = (uint32_t)v;
	p->metabox_alg_arg = colon ? colon + 1 : NULL;
	return 0;
}

int erofs_mkfs_parse_zd(struct erofs_mkfs_params *p, const char *arg)
{
	if (arg && strcmp(arg, "0") && strcmp(arg, "1")) {
		erofs_err(p->log, "invalid --zD '%s' (0 or 1)", arg);
		return -EINVAL;
	}
	p->compress_dirs = !arg || !strcmp(arg, "1");
	return 0;
}

int erofs_mkfs_parse_metazone(struct erofs_mkfs_params *p, const char *arg)
{
	bool inodes = false, dirs = false;
	const char *c;

	if (!arg)
		arg = "id";
	if (!strcmp(arg, "0")) {
		p->dirdata_first = false;
		return 0;
	}
	for (c = arg; *c; c++) {
		if (*c == 'i') {
			inodes = true;
		} else if (*c == 'd') {
			dirs = true;
		} else {
			erofs_err(p->log, "invalid --MZ flags '%s' (0, or i and d)",
				  arg);
			return -EINVAL;
		}
	}
	if (dirs && !inodes) {
		erofs_err(p->log, "--MZ=%s: directory data can only join the inodes' zone ('i')",
			  arg);
		return -EINVAL;
	}
	p->dirdata_first = dirs;
	return 0;
}

/*
 * -m SIZE:ALG: a number picks a -z entry; a name is one more entry of
 * the list, as in erofs-utils (so without -z, files use it as well).
 */
static int wr_metabox_finish(struct erofs_mkfs_params *p)
{
	const char *a = p->metabox_alg_arg;
	long long idx;
	int ret;

	if (!p->metabox_pcluster)
		return 0;
	if (p->metabox_pcluster % (1U << p->blkszbits)) {
		erofs_err(p->log, "-m %u: the metabox pcluster size must be a multiple of the block size (%u)",
			  p->metabox_pcluster, 1U << p->blkszbits);
		return -EINVAL;
	}
	p->metabox_alg = 0;
	if (!a)
		return 0;
	if (!erofs_cli_parse_int(a, 0, EROFS_MKFS_MAX_COMPR - 1, &idx)) {
		if ((unsigned int)idx >= p->nr_compr) {
			erofs_err(p->log, "-m ...:%s: there is no -z algorithm %s (counting from 0)",
				  a, a);
			return -EINVAL;
		}
		p->metabox_alg = (unsigned int)idx;
		return 0;
	}
	if (p->nr_compr == EROFS_MKFS_MAX_COMPR) {
		erofs_err(p->log, "-m ...:%s: more than %u algorithms", a,
			  EROFS_MKFS_MAX_COMPR);
		return -EINVAL;
	}
	ret = erofs_compress_cfg_parse(&p->compr[p->nr_compr], a, p->log);
	if (ret) {
		erofs_err(p->log, "-m ...:%s: not an algorithm or -z index", a);
		return ret;
	}
	p->metabox_alg = p->nr_compr++;
	return 0;
}

/* each part of the build is released by the file that owns it */
static void wr_release(struct erofs_wr *w)
{
	erofs_wr_chunks_release(w);
	erofs_wr_z_release(w);
	erofs_wr_packed_release(&w->packed);
	erofs_wr_dedupe_release(&w->dedupe);
	erofs_wr_place_release(w);
	erofs_wr_plan_release(w);
	erofs_wr_xattrs_release(w);
}

int erofs_mkfs_build(const struct erofs_mkfs_params *p, struct erofs_node *root,
		     struct erofs_io *io, struct erofs_mkfs_stats *stats)
{
	struct erofs_wr w = { .p = p, .log = p->log, .io = io };
	uint64_t bytes_read = 0;
	int ret;

	if (p->blkszbits < EROFS_MIN_BLKSZBITS ||
	    p->blkszbits > EROFS_MAX_BLKSZBITS) {
		erofs_err(p->log, "unsupported block size %u (2^%u..2^%u)",
			  1U << (p->blkszbits & 31), EROFS_MIN_BLKSZBITS,
			  EROFS_MAX_BLKSZBITS);
		return -EINVAL;
	}
	if (!root) {
		erofs_err(p->log, "no root to build");
		return -EINVAL;
	}
	if (p->stream && (p->nr_compr || erofs_stream_io(p->stream) != io ||
			  erofs_stream_blkszbits(p->stream) != p->blkszbits)) {
		erofs_err(p->log, p->nr_compr ?
			  "--sort=none with -z is not supported yet" :
			  "streamed data was written for another image or block size");
		return p->nr_compr ? -EOPNOTSUPP : -EINVAL;
	}
	erofs_wr_packed_init(&w.packed);
	w.blkszbits = p->blkszbits;
	w.bs = 1U << p->blkszbits;

	ret = erofs_wr_prefixes_init(&w);
	if (!ret)
		ret = erofs_wr_z_init(&w);
	if (!ret)
		ret = erofs_wr_plan(&w, root);
	if (!ret) {
		struct wr_emit *e = NULL;

		ret = erofs_wr_emit_inodes(&w, &w.mbox.spool, &e);
		if (!ret && w.mbox.on)
			ret = erofs_wr_plan_metabox(&w);
		if (!ret)
			ret = erofs_wr_emit_finish(e);
		erofs_wr_emit_free(e, &bytes_read);
	}
	if (!ret && stats) {
		stats->inodes = w.tree.nr_inodes + w.mbox.on;
		stats->blocks = w.place.blocks;
		stats->image_bytes = w.place.blocks * w.bs;
		stats->data_bytes_read = w.z.bytes_read + w.chunk.bytes_read +
					 bytes_read;
		if (p->stream) {
			uint64_t first, end, bytes;

			erofs_stream_extent(p->stream, &first, &end, &bytes);
			stats->data_bytes_read += bytes;
		}
		stats->compressed_files = w.z.nr_files;
		stats->reused_files = w.reuse.files_reused;
		stats->reused_bytes = w.reuse.bytes_reused;
	}
	wr_release(&w);
	return ret;
}
