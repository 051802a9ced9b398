/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * mkfs_source.h - what mkfs builds from, and the rules that come with it:
 * a directory, a tar (copied, indexed or headers only) or EROFS images to
 * merge.  Each kind changes the build (--tar=i forces 512-byte blocks and
 * makes the tar device 1; a merge names its sources as devices and keeps
 * their fingerprint key), and this module is the one place that says how,
 * so that the front end only parses options and calls it.
 */
#ifndef __EROFS_MKFS_SOURCE_H
#define __EROFS_MKFS_SOURCE_H

#include "erofs/import.h"
#include "erofs/mkfs.h"

enum erofs_source_kind {
	EROFS_SOURCE_DIR,
	EROFS_SOURCE_TAR,		/* --tar=f */
	EROFS_SOURCE_TAR_INDEX,		/* --tar=i */
	EROFS_SOURCE_HEADERBALL,	/* --tar=headerball */
	EROFS_SOURCE_IMAGES,		/* EROFS images to merge */
};

struct erofs_mkfs_source {
	enum erofs_source_kind kind;
	const char *path;		/* dir or tar; NULL/"-": stdin tar */
	const char *const *images;	/* EROFS_SOURCE_IMAGES */
	size_t nr_images;
	bool clean, ovlfs_strip;	/* merge: --clean=data, --ovlfs-strip */
	bool rvsp;			/* --clean=rvsp: reserve, never write,
					   file data (tar or merge) */
	const char *mapfile;		/* --tar=X,MAPFILE, NULL = none */
	bool incremental;		/* --incremental: merged over IMAGE */
	bool has_blob;			/* --blobdev given */
	bool has_b;			/* -b given (a merge keeps it) */

	/* results of erofs_mkfs_source_import() */
	struct erofs_node *root;
	struct erofs_spool *spool;
	struct erofs_rebuild rb;
	struct erofs_mkfs_device tar_dev;
	struct erofs_mkfs_reuse *reuse_pre;	/* mk's --reuse, loading */
};

/*
 * "--tar=ARG" (ARG NULL: a bare --tar): s->kind, and s->mapfile from
 * erofs-utils' "MODE,MAPFILE" (borrowed from arg); -EINVAL (logged) for
 * an unknown mode.
 */
int erofs_mkfs_source_tar_mode(struct erofs_mkfs_source *s, const char *arg,
			       const struct erofs_log *log);
/* files' data reserved in the image, unwritten (--clean=rvsp, or
   --tar=i,MAPFILE): erofs/tree.h `reserved` */
bool erofs_mkfs_source_reserves(const struct erofs_mkfs_source *s);
/*
 * The SOURCE arguments, after the kind's options (--tar) are known:
 * without --tar, a directory, or else EROFS images to merge (in layer
 * order, the last on top); a tar kind takes the archive's path or
 * nothing (stdin).  The args are borrowed.  -EINVAL: no source;
 * -E2BIG: more than one directory or tar.
 */
int erofs_mkfs_source_set_args(struct erofs_mkfs_source *s,
			       const char *const *args, size_t n);
/*
 * Before importing: refuse what does not combine with the kind, and set
 * what it implies in the params (-EINVAL, logged).
 */
int erofs_mkfs_source_prepare(struct erofs_mkfs_source *s,
			      struct erofs_import_params *imp,
			      struct erofs_mkfs_params *mk);
/* import the tree into s->root and point mk at what it needs (devices,
   block size, fingerprint key, the --reuse images loaded meanwhile:
   erofs_mkfs_reuse_start); keep s until the build is done */
int erofs_mkfs_source_import(struct erofs_mkfs_source *s,
			     const struct erofs_import_params *imp,
			     struct erofs_mkfs_params *mk);
void erofs_mkfs_source_release(struct erofs_mkfs_source *s);

#endif
