// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * blocklist.c - the block list of mkfs --tar=X,MAPFILE: where the bytes
 * of the archive go in an image whose files only reserved their blocks
 * (erofs/tree.h `reserved`).  The format is erofs-utils' (its
 * tarerofs_blocklist_write), one line per run of blocks the archive
 * fills:
 *
 *   BLKADDR NBLOCKS SRCOFF[ ZEROED]
 *
 * BLKADDR is the image block (hex, at least 8 digits), NBLOCKS the run's
 * length in blocks (hex, right-aligned in 8 columns), SRCOFF the byte
 * offset of the run's data in the archive (hex, at least 8 digits), and
 * ZEROED, only when the run's last block is not full, how many bytes at
 * its end stay zero (decimal, 8 digits).  Copying NBLOCKS * BS - ZEROED
 * bytes from SRCOFF to BLKADDR * BS for every line gives the image the
 * content a --tar=f build would have.  Lines are in image block order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "writer_internal.h"

#define BL_BUF	(64U << 10)

struct bl_out {
	struct erofs_io *io;
	uint64_t pos;
	size_t len;
	char buf[BL_BUF];
};

static int bl_flush(struct bl_out *o)
{
	int ret = o->len ? erofs_io_pwrite(o->io, o->buf, o->len, o->pos) : 0;

	o->pos += o->len;
	o->len = 0;
	return ret;
}

static int bl_line(struct bl_out *o, uint64_t blk, uint64_t nblk,
		   uint64_t srcoff, unsigned int zeroed)
{
	int n;

	if (BL_BUF - o->len < 128) {
		int ret = bl_flush(o);

		if (ret)
			return ret;
	}
	if (zeroed)
		n = snprintf(o->buf + o->len, BL_BUF - o->len,
			     "%08" PRIx64 " %8" PRIx64 " %08" PRIx64 " %08u\n",
			     blk, nblk, srcoff, zeroed);
	else
		n = snprintf(o->buf + o->len, BL_BUF - o->len,
			     "%08" PRIx64 " %8" PRIx64 " %08" PRIx64 "\n",
			     blk, nblk, srcoff);
	o->len += (size_t)n;
	return 0;
}

/* the lines of one reserved file: one per piece of data it has */
static int bl_file(const struct erofs_wr *w, const struct erofs_wr_inode *wi,
		   struct bl_out *o)
{
	const struct erofs_node *n = wi->node;
	uint64_t la = 0;
	size_t i;
	int ret = 0;

	for (i = 0; i < n->nr_pieces && !ret; la += n->pieces[i++].len) {
		const struct erofs_node_piece *pc = &n->pieces[i];
		uint64_t nblk = EROFS_DIV_ROUND_UP(pc->len, w->bs);

		if (pc->device == EROFS_PIECE_HOLE || !pc->len)
			continue;	/* reserved blocks read as zeros */
		/* a sparse entry's data runs must start blocks */
		if (la % w->bs) {
			erofs_err(w->log,
				  "%s: its data at byte %llu (a sparse archive entry) does not start a %u-byte block and cannot go into the block list",
				  erofs_wr_path(wi), (unsigned long long)la,
				  w->bs);
			return -EINVAL;
		}
		ret = bl_line(o, wi->startblk + la / w->bs, nblk, pc->pos,
			      (unsigned int)(nblk * w->bs - pc->len));
	}
	return ret;
}

int erofs_wr_blocklist_emit(const struct erofs_wr *w, struct erofs_io *io)
{
	struct bl_out *o = calloc(1, sizeof(*o));
	size_t i;
	int ret = 0;

	if (!o)
		return -ENOMEM;
	o->io = io;
	/* place.order is the data order: block addresses ascend */
	for (i = 0; i < w->tree.nr_inodes && !ret; i++) {
		const struct erofs_wr_inode *wi = w->place.order[i];

		if (wi->ftype == EROFS_FT_REG_FILE && wi->node->reserved &&
		    wi->nblocks)
			ret = bl_file(w, wi, o);
	}
	if (!ret)
		ret = bl_flush(o);
	if (!ret)
		ret = erofs_io_truncate(io, o->pos);
	if (ret && ret != -EINVAL)
		erofs_err(w->log, "cannot write the block list: %s",
			  strerror(-ret));
	free(o);
	return ret;
}
