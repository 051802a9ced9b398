// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * selabel.c - SELinux labels from file_contexts (see selabel.h).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "selabel.h"

#ifdef HAVE_LIBSELINUX
#include <selinux/label.h>
#include <selinux/selinux.h>

struct erofs_selabel {
	struct selabel_handle *h;
	char *prefix;		/* mount point without trailing '/', or "" */
};

int erofs_selabel_open(struct erofs_selabel **selp, const char *file_contexts,
		       const char *mount_point, const struct erofs_log *log)
{
	struct selinux_opt opts[] = {
		{ SELABEL_OPT_PATH, file_contexts },
	};
	struct erofs_selabel *sel = calloc(1, sizeof(*sel));
	const char *mp = mount_point ? mount_point : "";
	size_t len;

	*selp = NULL;
	if (!sel)
		return -ENOMEM;
	while (*mp == '/')
		mp++;
	len = strlen(mp);
	while (len && mp[len - 1] == '/')
		len--;
	/* "system" and "/system/" both mean "/system" */
	sel->prefix = malloc(len + 2);
	if (!sel->prefix) {
		free(sel);
		return -ENOMEM;
	}
	sel->prefix[0] = '\0';
	if (len) {
		sel->prefix[0] = '/';
		memcpy(sel->prefix + 1, mp, len);
		sel->prefix[len + 1] = '\0';
	}
	sel->h = selabel_open(SELABEL_CTX_FILE, opts, EROFS_ARRAY_SIZE(opts));
	if (!sel->h) {
		int err = errno ? errno : EINVAL;

		erofs_err(log, "cannot load file contexts %s: %s",
			  file_contexts, strerror(err));
		free(sel->prefix);
		free(sel);
		return -err;
	}
	*selp = sel;
	return 0;
}

int erofs_selabel_lookup(struct erofs_selabel *sel, const char *path,
			 mode_t mode, char **label, size_t *len)
{
	size_t plen = strlen(sel->prefix);
	char *full, *con = NULL;
	int ret = 0;

	*label = NULL;
	*len = 0;
	full = malloc(plen + strlen(path) + 1);
	if (!full)
		return -ENOMEM;
	memcpy(full, sel->prefix, plen);
	/* the root of the image is the mount point itself */
	strcpy(full + plen, plen && !strcmp(path, "/") ? "" : path);

	if (selabel_lookup(sel->h, &con, full, (int)mode)) {
		if (errno != ENOENT)	/* ENOENT: no rule, no label */
			ret = errno ? -errno : -EINVAL;
	} else {
		*len = strlen(con);
		*label = strdup(con);
		if (!*label)
			ret = -ENOMEM;
		freecon(con);
	}
	free(full);
	return ret;
}

void erofs_selabel_close(struct erofs_selabel *sel)
{
	if (!sel)
		return;
	selabel_close(sel->h);
	free(sel->prefix);
	free(sel);
}

#else	/* !HAVE_LIBSELINUX */

struct erofs_selabel {
	int unused;
};

int erofs_selabel_open(struct erofs_selabel **selp, const char *file_contexts,
		       const char *mount_point, const struct erofs_log *log)
{
	*selp = NULL;
	erofs_err(log, "cannot use file contexts %s: built without libselinux",
		  file_contexts);
	return -EOPNOTSUPP;
}

int erofs_selabel_lookup(struct erofs_selabel *sel, const char *path,
			 mode_t mode, char **label, size_t *len)
{
	*label = NULL;
	*len = 0;
	return -EOPNOTSUPP;
}

void erofs_selabel_close(struct erofs_selabel *sel)
{
}
#endif
