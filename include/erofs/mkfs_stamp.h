/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * mkfs_stamp.h - when an image says it was built, which mtimes its files
 * get, and its UUID.  These three are one decision: a build time fixed by
 * -T or SOURCE_DATE_EPOCH asks for a reproducible image, so the mtimes are
 * clamped or replaced and the UUID is derived from the tree instead of
 * drawn at random.  The rules (reproducible-builds.org's, with
 * erofs-utils' -T, --all-time and --mkfs-time on top):
 *   -T EPOCH			every file gets EPOCH as mtime (--all-time)
 *   -T EPOCH --mkfs-time	EPOCH is the build time only, mtimes kept
 *   SOURCE_DATE_EPOCH		mtimes later than it are clamped to it
 *				(--all-time: replaced; --mkfs-time: kept)
 *   neither			build time is now, mtimes kept
 * -T wins over SOURCE_DATE_EPOCH.  -U random, -U clear and -U UUID win
 * over the derived UUID.
 */
#ifndef __EROFS_MKFS_STAMP_H
#define __EROFS_MKFS_STAMP_H

#include "erofs/import.h"
#include "erofs/mkfs.h"

enum erofs_stamp_mtime {
	EROFS_STAMP_MTIME_DEFAULT,	/* as the table above says */
	EROFS_STAMP_MTIME_ALL,		/* --all-time */
	EROFS_STAMP_MTIME_KEEP,		/* --mkfs-time */
};

enum erofs_stamp_uuid {
	EROFS_STAMP_UUID_DEFAULT,	/* derived if the time is fixed, else random */
	EROFS_STAMP_UUID_GIVEN,		/* -U UUID or -U clear: already in params */
	EROFS_STAMP_UUID_RANDOM,	/* -U random */
};

struct erofs_mkfs_stamp {
	bool has_T;			/* -T given */
	int64_t T;			/* its value */
	enum erofs_stamp_mtime mtime;
	enum erofs_stamp_uuid uuid;

	bool fixed_time;		/* result: -T or SOURCE_DATE_EPOCH */
};

/*
 * Apply the time rules: sde is $SOURCE_DATE_EPOCH (NULL if unset), now
 * the current time.  Sets mk->build_time and imp's timestamp, all_time
 * and clamp_mtime.  -EINVAL (logged) for an sde that is not a number of
 * seconds.  Call before importing: the importer applies the mtimes.
 */
int erofs_mkfs_stamp_times(struct erofs_mkfs_stamp *s, const char *sde,
			   int64_t now, struct erofs_import_params *imp,
			   struct erofs_mkfs_params *mk);
/*
 * Choose the UUID into mk->uuid once the tree is imported (a derived one
 * hashes it).  0 or -errno (logged) when no random UUID can be had.
 */
int erofs_mkfs_stamp_uuid(const struct erofs_mkfs_stamp *s,
			  const struct erofs_node *root,
			  struct erofs_mkfs_params *mk);

#endif
