// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * mkfs_stamp.c - build time, file mtimes and UUID (erofs/mkfs_stamp.h).
 */
#include <errno.h>
#include <string.h>
#include "erofs/cli.h"
#include "erofs/mkfs_stamp.h"
#include "erofs/uuid.h"

int erofs_mkfs_stamp_times(struct erofs_mkfs_stamp *s, const char *sde,
			   int64_t now, struct erofs_import_params *imp,
			   struct erofs_mkfs_params *mk)
{
	int64_t epoch = now;
	long long v;

	imp->clamp_mtime = false;
	imp->all_time = s->mtime == EROFS_STAMP_MTIME_ALL;
	if (s->has_T) {
		epoch = s->T;
		/* erofs-utils: -T alone stamps every file */
		imp->all_time = s->mtime != EROFS_STAMP_MTIME_KEEP;
	} else if (sde) {
		if (erofs_cli_parse_int(sde, 0, INT64_MAX, &v)) {
			erofs_err(mk->log, "invalid SOURCE_DATE_EPOCH '%s'", sde);
			return -EINVAL;
		}
		epoch = v;
		/* reproducible-builds.org: nothing newer than the source */
		imp->clamp_mtime = s->mtime == EROFS_STAMP_MTIME_DEFAULT;
	}
	s->fixed_time = s->has_T || sde;
	mk->build_time = epoch;
	mk->build_time_nsec = 0;
	imp->timestamp = epoch;
	return 0;
}

int erofs_mkfs_stamp_uuid(const struct erofs_mkfs_stamp *s,
			  const struct erofs_node *root,
			  struct erofs_mkfs_params *mk)
{
	int ret;

	if (s->uuid == EROFS_STAMP_UUID_GIVEN)
		return 0;
	/* a fixed build time asks for a reproducible image */
	if (s->uuid == EROFS_STAMP_UUID_DEFAULT && s->fixed_time) {
		erofs_uuid_from_tree(root, mk->build_time, mk->volume_label,
				     mk->uuid);
		return 0;
	}
	ret = erofs_uuid_random(mk->uuid);
	if (ret)
		erofs_err(mk->log, "cannot generate a UUID: %s", strerror(-ret));
	return ret;
}
