// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * reader_walk.c - the walk of reader_walk.h, shared by fuzz_reader.c and
 * fuzz_fields.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "erofs/check.h"
#include "erofs/dump.h"
#include "erofs/reader.h"
#include "reader_walk.h"

struct fuzz_ctx {
	FILE *null;
	unsigned char buf[8192];
};

static int inode_hook(void *priv, struct erofs_inode *inode, const char *path)
{
	struct fuzz_ctx *f = priv;
	char names[4096];
	uint64_t n = inode->size < sizeof(f->buf) ? inode->size : sizeof(f->buf);

	/* bounded reads: the check engine already walked every mapping */
	if (!S_ISDIR(inode->mode))
		erofs_read_data(inode, f->buf, n, 0);
	if (inode->size > n)
		erofs_read_data(inode, f->buf, 1, inode->size - 1);
	erofs_listxattr(inode, names, sizeof(names));
	erofs_getxattr(inode, "user.a", f->buf, sizeof(f->buf));
	erofs_getxattr(inode, "system.posix_acl_access", NULL, 0);
	if (f->null) {
		erofs_dump_inode(inode, path, f->null);
		if (inode->size < (1U << 20))
			erofs_dump_extents(inode, f->null);
	}
	return 0;
}

long fuzz_reader_walk(const uint8_t *data, size_t size)
{
	static struct fuzz_ctx f;
	struct erofs_check_params p;
	struct erofs_check_stats st;
	struct erofs_inode inode;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;

	if (!f.null)
		f.null = fopen("/dev/null", "w");
	erofs_log_init(&log);
	if (erofs_io_open_mem(&io, data, size, false))
		return -1;
	/* skip the CRC so that mutations reach the deeper parsers */
	if (erofs_image_open(&img, &io, &log, EROFS_OPEN_NO_SBCRC)) {
		erofs_io_close(&io);
		return -1;
	}
	erofs_check_params_init(&p);
	p.read_data = false;
	p.max_depth = 64;
	p.inode_hook = inode_hook;
	p.hook_priv = &f;
	erofs_check_image(&img, &p, &st);
	if (f.null) {
		erofs_dump_super(&img, f.null);
		if (!erofs_path_lookup(&img, "/a/b", &inode))
			erofs_dump_ls(&inode, f.null);
	}
	erofs_image_release(&img);
	erofs_io_close(&io);
	return (long)st.errors;
}
