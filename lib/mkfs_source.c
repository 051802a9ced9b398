// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * mkfs_source.c - the source kinds of mkfs and their rules (see
 * erofs/mkfs_source.h).
 */
#include "config.h"
#include <string.h>
#include <sys/stat.h>
#include "erofs/ishare.h"
#include "erofs/mkfs_source.h"

#define TAR_RECORD_BITS	9	/* tar's 512-byte records */

int erofs_mkfs_source_tar_mode(struct erofs_mkfs_source *s, const char *arg,
			       const struct erofs_log *log)
{
	const char *comma = arg ? strchr(arg, ',') : NULL;
	size_t len = comma ? (size_t)(comma - arg) : arg ? strlen(arg) : 0;

	/* as erofs-utils: an empty MAPFILE is no block list */
	s->mapfile = comma && comma[1] ? comma + 1 : NULL;
	if (!len || (len == 1 && *arg == 'f'))
		s->kind = EROFS_SOURCE_TAR;
	else if (len == 1 && (*arg == 'i' || *arg == '0'))
		s->kind = EROFS_SOURCE_TAR_INDEX;
	else if (len == 10 && !strncmp(arg, "headerball", len))
		s->kind = EROFS_SOURCE_HEADERBALL;
	else {
		erofs_err(log, "invalid tar mode '%.*s' (f, i or headerball)",
			  (int)len, arg);
		return -EINVAL;
	}
	return 0;
}

bool erofs_mkfs_source_reserves(const struct erofs_mkfs_source *s)
{
	if (s->kind == EROFS_SOURCE_HEADERBALL)
		return false;	/* there is no data to place */
	return s->rvsp || (s->kind == EROFS_SOURCE_TAR_INDEX && s->mapfile);
}

static bool is_tar(enum erofs_source_kind k)
{
	return k == EROFS_SOURCE_TAR || k == EROFS_SOURCE_TAR_INDEX ||
	       k == EROFS_SOURCE_HEADERBALL;
}

int erofs_mkfs_source_set_args(struct erofs_mkfs_source *s,
			       const char *const *args, size_t n)
{
	struct stat st;

	s->path = n ? args[0] : NULL;	/* NULL: stdin with --tar */
	if (is_tar(s->kind))
		return n > 1 ? -E2BIG : 0;
	if (!n)
		return -EINVAL;
	/*
	 * As erofs-utils: EROFS images instead of a directory are merged
	 * (rebuild mode), as containerd's fsmerge does with its layers.
	 * A missing SOURCE is left to the directory importer to report.
	 */
	if (!stat(args[0], &st) && !S_ISDIR(st.st_mode)) {
		s->kind = EROFS_SOURCE_IMAGES;
		s->images = args;
		s->nr_images = n;
		return 0;
	}
	return n > 1 ? -E2BIG : 0;	/* one directory is the source */
}

int erofs_mkfs_source_prepare(struct erofs_mkfs_source *s,
			      struct erofs_import_params *imp,
			      struct erofs_mkfs_params *mk)
{
	const struct erofs_log *log = mk->log;
	bool reserve = erofs_mkfs_source_reserves(s);
	bool index = !reserve && (s->kind == EROFS_SOURCE_TAR_INDEX ||
				  s->kind == EROFS_SOURCE_HEADERBALL);

	if (s->incremental && s->kind != EROFS_SOURCE_DIR &&
	    s->kind != EROFS_SOURCE_TAR) {
		erofs_err(log, "--incremental takes a directory or --tar=f as SOURCE");
		return -EINVAL;
	}
	if (s->ovlfs_strip && s->kind != EROFS_SOURCE_IMAGES &&
	    !s->incremental) {
		erofs_err(log, "--ovlfs-strip needs EROFS images as sources (or --incremental)");
		return -EINVAL;
	}
	/* --clean=data is what a tar build does anyway */
	if ((s->clean || s->rvsp) && s->kind == EROFS_SOURCE_DIR) {
		erofs_err(log, "%s needs --tar or EROFS images as sources",
			  s->rvsp ? "rvsp (reserving file blocks)" : "--clean=data");
		return -EINVAL;
	}
	/* containerd's fsmerge passes --aufs; it changes nothing there */
	if (imp->aufs && !is_tar(s->kind) && s->kind != EROFS_SOURCE_IMAGES) {
		erofs_err(log, "--aufs needs --tar");
		return -EINVAL;
	}
	if ((index || reserve || s->kind == EROFS_SOURCE_IMAGES) &&
	    (s->has_blob || mk->chunkbits)) {
		erofs_err(log, "%s cannot be combined with --blobdev or --chunksize",
			  reserve ? (s->rvsp ? "--clean=rvsp" : "--tar=i,MAPFILE") :
			  s->kind == EROFS_SOURCE_IMAGES ? "merging images" :
			  s->kind == EROFS_SOURCE_TAR_INDEX ? "--tar=i" :
			  "--tar=headerball");
		return -EINVAL;
	}
	/*
	 * The data of these is not read by the writer: the importer hashes
	 * it for fingerprints.  As erofs-utils, an index addresses the tar
	 * in its own 512-byte records, whatever -b (which containerd always
	 * passes) says.
	 */
	imp->digests = (index || reserve || s->kind == EROFS_SOURCE_IMAGES) &&
		       mk->ishare_key;
	/* reserved blocks are the image's own: -b (4096) as usual */
	if (s->kind == EROFS_SOURCE_TAR_INDEX && !reserve)
		mk->blkszbits = TAR_RECORD_BITS;
	return 0;
}

int erofs_mkfs_source_import(struct erofs_mkfs_source *s,
			     const struct erofs_import_params *imp,
			     struct erofs_mkfs_params *mk)
{
	uint64_t tar_bytes = 0;
	int ret;

	/*
	 * libcrypto now, before the walk, the workers and the preload take
	 * descriptors, if anything may be hashed: fingerprints, --reuse,
	 * chunks, tar digests, or compression (dedupe, fragments, files of
	 * equal size).  Otherwise not at all: OpenSSL's set-up alone costs
	 * an uncompressed build 1 MiB of RSS.  A failure is reported where a
	 * hash is needed.
	 */
	if (mk->ishare_key || mk->nr_reuse || mk->chunkbits || mk->nr_compr ||
	    imp->digests)
		(void)erofs_sha256_load();
	/* the --reuse images load while the source is read */
	if (!mk->reuse_pre) {
		ret = erofs_mkfs_reuse_start(mk, &s->reuse_pre);
		if (ret)
			return ret;
		mk->reuse_pre = s->reuse_pre;
	}
	if (erofs_mkfs_source_reserves(s) && s->kind != EROFS_SOURCE_IMAGES) {
		ret = erofs_import_tar_reserve(imp, s->path, &s->root);
		return ret;
	}
	switch (s->kind) {
	case EROFS_SOURCE_TAR_INDEX:
	case EROFS_SOURCE_HEADERBALL:
		ret = erofs_import_tar_index(imp, s->path,
					     s->kind == EROFS_SOURCE_HEADERBALL,
					     &s->root, &tar_bytes);
		break;
	case EROFS_SOURCE_TAR:
		ret = erofs_import_tar(imp, s->path, &s->root, &s->spool);
		break;
	case EROFS_SOURCE_IMAGES:
		ret = erofs_import_images(imp, s->images, s->nr_images,
					  s->rvsp ? EROFS_REBUILD_RESERVE :
					  s->clean ? EROFS_REBUILD_FULL :
					  EROFS_REBUILD_BLOB_INDEX,
					  s->ovlfs_strip,
					  s->has_b ? mk->blkszbits : 0,
					  &s->root, &s->rb);
		break;
	default:
		ret = erofs_import_dir(imp, s->path, &s->root);
		break;
	}
	if (ret)
		return ret;
	if (s->kind == EROFS_SOURCE_IMAGES) {
		mk->blkszbits = s->rb.blkszbits;
		mk->devices = s->rb.devices;
		mk->nr_devices = s->rb.nr_devices;
		/* the sources' fingerprints stay fingerprints */
		if (!mk->ishare_key)
			mk->ishare_key = s->rb.ishare_key;
	} else if (s->kind == EROFS_SOURCE_TAR_INDEX) {
		/* the tar is device 1, tag empty as erofs-utils writes it */
		memset(&s->tar_dev, 0, sizeof(s->tar_dev));
		s->tar_dev.blocks = EROFS_DIV_ROUND_UP(tar_bytes,
						       1U << TAR_RECORD_BITS);
		mk->devices = &s->tar_dev;
		mk->nr_devices = 1;
	}
	return 0;
}

void erofs_mkfs_source_release(struct erofs_mkfs_source *s)
{
	erofs_node_put(s->root);
	s->root = NULL;
	erofs_spool_close(s->spool);
	s->spool = NULL;
	erofs_rebuild_release(&s->rb);
	erofs_mkfs_reuse_free(s->reuse_pre);
	s->reuse_pre = NULL;
}
