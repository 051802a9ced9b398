/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * selabel.h - private to lib/: SELinux labels from a file_contexts file
 * (libselinux's SELABEL_CTX_FILE backend) for the directory importer.
 * Without libselinux, opening fails with -EOPNOTSUPP and a message.
 */
#ifndef __EROFS_LIB_SELABEL_H
#define __EROFS_LIB_SELABEL_H

#include <sys/types.h>
#include "erofs/log.h"

struct erofs_selabel;

/*
 * Load file_contexts; mount_point ("/system", may be NULL or "/") is put in
 * front of every image path looked up.  Errors are logged.
 */
int erofs_selabel_open(struct erofs_selabel **selp, const char *file_contexts,
		       const char *mount_point, const struct erofs_log *log);
/*
 * The label of image path ("/a/b", "/" for the root) with mode: 0 and a
 * malloc()ed label (no NUL counted in *len), 0 and *label = NULL when no
 * rule matches, or -errno.
 */
int erofs_selabel_lookup(struct erofs_selabel *sel, const char *path,
			 mode_t mode, char **label, size_t *len);
void erofs_selabel_close(struct erofs_selabel *sel);	/* accepts NULL */

#endif
