/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * import.h - turn a source (a host directory or a tar stream) into an
 * erofs_node tree.
 *
 * Everything that changes *what* goes into the image (ownership overrides,
 * exclusions, SELinux labels, timestamps) is applied here, so the writer
 * only decides *where* things go.  Output is independent of readdir and
 * listxattr order (erofs_tree_finalize() sorts).
 */
#ifndef __EROFS_IMPORT_H
#define __EROFS_IMPORT_H

#include "erofs/log.h"
#include "erofs/mkfs.h"
#include "erofs/spool.h"
#include "erofs/stream.h"
#include "erofs/tree.h"

struct erofs_import_params {
	struct erofs_log *log;
	bool hard_dereference;	/* --hard-dereference: no hard links */
	bool all_root;		/* --all-root */
	int64_t force_uid, force_gid;	/* -1 = keep */
	int64_t uid_offset, gid_offset;	/* --uid-offset/--gid-offset */
	bool ignore_mtime;	/* --ignore-mtime: all mtimes = timestamp */
	bool all_time;		/* --all-time: all mtimes = timestamp */
	int64_t timestamp;	/* -T / SOURCE_DATE_EPOCH, -1 = unset */
	/* SOURCE_DATE_EPOCH: mtimes at or after timestamp become timestamp */
	bool clamp_mtime;
	bool xattrs;		/* import xattrs (-x -1 disables) */
	const char *const *exclude_paths;	/* --exclude-path, NULL-ended */
	const char *const *exclude_regex;	/* --exclude-regex, NULL-ended */
	/* a host file never imported, wherever it appears (mkfs passes the
	   image being written, in case it lies inside the source) */
	const char *skip_file;
	const char *file_contexts;	/* --file-contexts (libselinux) */
	const char *mount_point;	/* --mount-point, prefix for labels */
	/* tar input only: --aufs, turn aufs whiteouts (".wh.NAME") into
	   overlayfs ones (char device 0:0) and ".wh..wh..opq" into
	   trusted.overlay.opaque=y on the directory */
	bool aufs;
	/* tar input only (--sort=none): write regular file data into this
	   stream (the image being built) in archive order instead of a
	   spool file; borrowed, NULL = spool */
	struct erofs_stream *stream;
	/*
	 * tar index modes only: compute each regular file's SHA-256 into
	 * node->digest (the writer cannot read pieces for fingerprints)
	 */
	bool digests;
	/* called with the number of names imported so far (may be NULL) */
	void (*progress)(void *priv, uint64_t done);
	void *progress_priv;
};

void erofs_import_params_init(struct erofs_import_params *p);
/*
 * Import the tree under src_dir.  On success *rootp holds the root (drop it
 * with erofs_node_put()).  Errors name the offending path via the log.
 */
int erofs_import_dir(const struct erofs_import_params *p, const char *src_dir,
		     struct erofs_node **rootp);

/*
 * Tar input ("mkfs.erofs --tar=f").  With p->stream, regular file data
 * goes into it as it is read (node->stream_id) and no spool is made
 * (*spoolp = NULL).  Otherwise it is copied to one
 * spool file (in $TMPDIR, else /tmp), which the tree's src_path/src_off
 * point into; keep the spool open until the writer is done with the tree,
 * then close it (which also deletes it).  On Linux the spool is unlinked
 * at once and reached through /proc/self/fd, so nothing is left behind
 * even when the process is killed.
 */
/*
 * Import the tar archive at path (NULL or "-": standard input), plain or
 * compressed with anything libarchive can undo (gzip, xz, zstd, ...).
 * Entries are applied in archive order: a later entry for the same path
 * replaces the earlier one (two directories merge); missing parent
 * directories are created (mode 0755 plus the parent's group/other write
 * bits, owner and mtime of the parent).  A ".." component, a hard link to
 * a missing or non-regular target and a damaged archive are errors naming
 * the entry.  -EOPNOTSUPP when built without libarchive.
 */
int erofs_import_tar(const struct erofs_import_params *p, const char *path,
		     struct erofs_node **rootp, struct erofs_spool **spoolp);

/*
 * Index a tar instead of copying it ("mkfs.erofs --tar=i"): regular file
 * data stays in the archive, which becomes the image's extra device 1;
 * each file's node gets pieces (erofs/tree.h) at its data's offset in the
 * archive, and sparse entries holes.  The archive must be uncompressed
 * and every file's data 512-byte aligned (it is in any tar, but a sparse
 * map may not be).  *tar_bytes is how far the archive was read (up to and
 * including its end-of-archive block): device 1's size.
 *
 * headerball: the input holds only the headers (file data stripped, no
 * padding), as erofs-utils' --tar=headerball; every regular file becomes
 * one hole of its size and there is no device (*tar_bytes is 0).
 */
int erofs_import_tar_index(const struct erofs_import_params *p,
			   const char *path, bool headerball,
			   struct erofs_node **rootp, uint64_t *tar_bytes);
/*
 * Reserve mode (erofs-utils' --clean=rvsp, and --tar=i,MAPFILE): as the
 * index mode, but every regular file with data is `reserved` (erofs/
 * tree.h): its pieces give its bytes' offsets in the archive (device 1
 * standing for the archive, which is no device of the image), for the
 * block list.  Offsets need no alignment, and the archive may be
 * compressed (offsets are then in the uncompressed stream).
 */
int erofs_import_tar_reserve(const struct erofs_import_params *p,
			     const char *path, struct erofs_node **rootp);

/*
 * Rebuild mode ("mkfs.erofs IMAGE SRC1.img SRC2.img ..."): the trees of
 * EROFS images merged as overlayfs stacks layers, the last image on top
 * (whiteouts and opaque directories honoured; ovlfs_strip drops the
 * whiteouts, opaque xattrs and empty origin xattrs from the result).  What becomes of regular
 * file data:
 */
enum erofs_rebuild_data {
	/*
	 * it stays in the sources: source i (from 1, in the order given) is
	 * the new image's extra device i (or, for a tar-index source, its
	 * tar is), tagged with the source's UUID in hex, and files are
	 * pieces pointing into it (erofs-utils' default)
	 */
	EROFS_REBUILD_BLOB_INDEX,
	/* it is copied into a spool, for a self-contained image
	   (erofs-utils' --clean=data) */
	EROFS_REBUILD_FULL,
	/* only its size: the new image reserves its blocks, unwritten
	   (erofs-utils' --clean=rvsp) */
	EROFS_REBUILD_RESERVE,
};

struct erofs_rebuild {
	struct erofs_mkfs_device *devices;	/* BLOB_INDEX: one per source */
	unsigned int nr_devices;
	unsigned int blkszbits;		/* the block size to build with */
	char *ishare_key;		/* the top-most source's fingerprint
					   key, or NULL: files keep its
					   values as their digest */
	struct erofs_spool *spool;	/* copied data, or NULL */
};

/*
 * blkszbits: the new image's block size, 0 = the smallest of the
 * sources' (a source with smaller blocks cannot be pointed into).  A
 * file the new image cannot point at (inline tail, compressed, data in a
 * tar-index image itself) is copied.  With p->digests a file without a
 * source fingerprint is read for one.  Keep *out until the writer is
 * done with the tree, then erofs_rebuild_release() it.
 */
int erofs_import_images(const struct erofs_import_params *p,
			const char *const *paths, size_t nr,
			enum erofs_rebuild_data mode, bool ovlfs_strip,
			unsigned int blkszbits, struct erofs_node **rootp,
			struct erofs_rebuild *out);
void erofs_rebuild_release(struct erofs_rebuild *r);

#endif
