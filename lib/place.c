// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * place.c - where everything goes, once the inodes are known: each
 * inode's data layout (inline tail or not) and metadata position (nids:
 * breadth-first, except that an inode goes into the smallest hole it fits
 * whole that an earlier inline tail left at the end of a block), the
 * prefix table and shared xattrs, and the data blocks.  layout.c says
 * when each step runs.
 *
 * Image map chosen here (meta_blkaddr = xattr_blkaddr = 0, so nids and
 * shared xattr ids are plain byte offsets / 32 and / 4):
 *   0..1023 zeros | superblock (128) | COMPR_CFGS records (if any) |
 *   root inode | long prefix table | shared xattrs | other inodes in nid
 *   order | data blocks in nid order
 * With data streamed while importing (--sort=none, no compression):
 *   block 0: zeros + superblock | streamed file blocks, archive order |
 *   root inode (meta_blkaddr = xattr_blkaddr = here) | ... as above
 * The root goes first so its nid always fits the 16-bit superblock field.
 */
#include <stdlib.h>
#include <string.h>
#include "erofs/array.h"
#include "writer_internal.h"

/* the nid of an inode at pos: in the metabox space, or the main area */
static erofs_nid_t wr_nid(const struct erofs_wr *w, uint64_t pos)
{
	if (erofs_wr_in_mbox(pos))
		return ((pos - EROFS_WR_MBOX_BASE) >> EROFS_ISLOTBITS) |
		       EROFS_NID_METABOX_BIT;
	return (pos - w->place.meta_base) >> EROFS_ISLOTBITS;
}

static bool wr_has_data(const struct erofs_wr_inode *wi)
{
	return (wi->ftype == EROFS_FT_REG_FILE && !wi->hole) ||
	       wi->ftype == EROFS_FT_DIR || wi->ftype == EROFS_FT_SYMLINK;
}

/* metadata bytes before the inline part: inode, xattrs, map + indexes */
static uint64_t wr_body_len(const struct erofs_wr_inode *wi)
{
	return wi->isize + wi->xattr_size +
	       (erofs_wr_is_z(wi) ? wi->z->meta_len : 0) +
	       (wi->c ? wi->c->meta_len : 0);
}

/* the bytes an inline placement would add after the body */
static unsigned int wr_tail_len(const struct erofs_wr *w,
				const struct erofs_wr_inode *wi)
{
	if (erofs_wr_is_z(wi))
		return wi->z->inl_len;
	return (unsigned int)(wi->size % w->bs);
}

/* would an inline tail be worth having (it fits a block with the inode)? */
static bool wr_wants_inline(const struct erofs_wr *w,
			    const struct erofs_wr_inode *wi)
{
	unsigned int tail = wr_tail_len(w, wi);

	if (wi == &w->mbox.wi)	/* its place is reserved without a tail */
		return false;
	if (wi->streamed || wi->c)	/* its blocks hold the tail already;
					 * chunks are whole blocks */
		return false;
	if (wi->ftype == EROFS_FT_REG_FILE && wi->node->reserved)
		return false;	/* the whole file is filled in later */
	if (erofs_wr_is_z(wi))	/* a long index area may span blocks */
		return tail && wr_body_len(wi) % w->bs &&
		       wr_body_len(wi) % w->bs + tail <= w->bs;
	/* -E noinline_data is for regular files only (erofs-utils' meaning,
	 * which containerd's differ relies on for every layer) */
	if (w->p->noinline_data && wi->ftype == EROFS_FT_REG_FILE)
		return false;
	/*
	 * Only the tail must stay in one block (the kernel reads an inode
	 * and its xattrs across a block boundary): a body too long to share
	 * a block with the tail crosses one, and the tail follows it there
	 * (wr_place_one), as erofs-utils places them.
	 */
	return wr_has_data(wi) && tail;
}

/*
 * Does wi's inline tail, right after its body at pos, stay in one block?
 * A compressed one must also not start a block: 6.18 fails to read an
 * inline pcluster that begins exactly where a block does (EFSCORRUPTED,
 * no message; t051 at 512-byte blocks found it), though a plain inline
 * tail there reads fine.
 */
static bool wr_tail_fits(const struct erofs_wr *w,
			 const struct erofs_wr_inode *wi, uint64_t pos)
{
	uint64_t end = (pos + wr_body_len(wi)) % w->bs;

	if (erofs_wr_is_z(wi) && !end)
		return false;
	return end + wr_tail_len(w, wi) <= w->bs;
}

/* a compressed inode: inline tail pcluster or its block form */
static void wr_place_z(struct erofs_wr *w, struct erofs_wr_inode *wi,
		       uint64_t *cursor)
{
	struct erofs_wr_zinfo *z = wi->z;
	uint64_t pos = EROFS_ROUND_UP(*cursor, EROFS_SLOTSIZE);
	uint64_t body = wr_body_len(wi);
	unsigned int bs = w->bs, tail = z->inl_len;
	uint32_t b;
	size_t i;

	z->inlined = false;
	if (wr_wants_inline(w, wi)) {
		if (wr_tail_fits(w, wi, pos)) {
			z->inlined = true;
		} else {
			uint64_t pad = EROFS_ROUND_UP(pos, bs) - pos;

			/* padding that wastes less than the block saved */
			if (pad <= bs - tail) {
				pos += pad;
				w->place.meta_pad += pad;
				z->inlined = true;
			}
		}
	}
	wi->tail = 0;
	if (z->inlined) {
		struct erofs_wr_extent *e = &z->ext[z->nr_ext - 1];

		z->zblocks -= e->pblks;
		e->pblks = 0;
		e->type = z->inl_type;
		wi->tail = tail;
		w->place.any_inline_z = true;
	}
	wi->layout = z->full ? EROFS_INODE_COMPRESSED_FULL :
			       EROFS_INODE_COMPRESSED_COMPACT;
	z->advise = 0;
	if (z->whole_frag)	/* only the fragment header (format.md 7.2) */
		wi->layout = EROFS_INODE_COMPRESSED_FULL;
	if (z->frag_len)
		z->advise |= Z_EROFS_ADVISE_FRAGMENT_PCLUSTER;
	if (!z->full)
		z->advise |= Z_EROFS_ADVISE_COMPACTED_2B;
	if (w->z.big)
		z->advise |= Z_EROFS_ADVISE_BIG_PCLUSTER_1 |
			     Z_EROFS_ADVISE_BIG_PCLUSTER_2;
	if (z->inlined)
		z->advise |= Z_EROFS_ADVISE_INLINE_PCLUSTER;
	if (z->recsz) {		/* encoded extents: the FULL layout */
		unsigned int lg = z->recsz == 4 ? 0 : z->recsz == 8 ? 1 :
				  z->recsz == 16 ? 2 : 3;

		wi->layout = EROFS_INODE_COMPRESSED_FULL;
		z->advise = Z_EROFS_ADVISE_EXTENTS |
			    (uint16_t)(lg << Z_EROFS_ADVISE_EXTRECSZ_BIT);
		if (z->frag_len)
			z->advise |= Z_EROFS_ADVISE_FRAGMENT_PCLUSTER;
	}
	wi->nblocks = z->zblocks;
	/* where each own pcluster lands among the file's blocks */
	for (i = 0, b = 0; i < z->nr_ext; i++) {
		struct erofs_wr_extent *e = &z->ext[i];

		e->pofs = b;
		if (!e->ref)
			b += e->pblks;
	}
	wi->pos = pos;
	wi->nid = wr_nid(w, pos);
	*cursor = pos + body + wi->tail;
}

static void wr_put(struct erofs_wr *w, struct erofs_wr_inode *wi,
		   uint64_t pos, bool inl);

/* place one inode's metadata at or after *cursor; decides its layout */
static void wr_place(struct erofs_wr *w, struct erofs_wr_inode *wi,
		     uint64_t *cursor)
{
	uint64_t pos = EROFS_ROUND_UP(*cursor, EROFS_SLOTSIZE);
	uint64_t body = wi->isize + wi->xattr_size;
	unsigned int bs = w->bs, tail = (unsigned int)(wi->size % bs);

	if (erofs_wr_is_z(wi)) {
		wr_place_z(w, wi, cursor);
		return;
	}
	if (wi->c) {
		wr_put(w, wi, pos, false);
		*cursor = pos + wr_body_len(wi);
		return;
	}
	wi->layout = EROFS_INODE_FLAT_PLAIN;
	wi->tail = 0;
	wi->nblocks = wr_has_data(wi) ? EROFS_DIV_ROUND_UP(wi->size, bs) : 0;
	if (wr_wants_inline(w, wi)) {
		uint64_t end = pos + body;

		if (end % bs + tail <= bs) {
			wi->layout = EROFS_INODE_FLAT_INLINE;
		} else {
			/* pad to the next block unless a plain last block
			 * wastes less (or the tail would not fit there) */
			uint64_t pad = EROFS_ROUND_UP(pos, bs) - pos;

			if (pad <= bs - tail && wr_tail_fits(w, wi, pos + pad)) {
				pos += pad;
				w->place.meta_pad += pad;
				wi->layout = EROFS_INODE_FLAT_INLINE;
			}
		}
		if (wi->layout == EROFS_INODE_FLAT_INLINE) {
			wi->tail = tail;
			wi->nblocks = wi->size / bs;
		}
	}
	wi->pos = pos;
	wi->nid = wr_nid(w, pos);
	*cursor = pos + body + wi->tail;
}

/*
 * Put wi at pos (slot-aligned); inl: its tail goes inline, which the
 * caller has made fit in pos's block.  The same decisions as wr_place(),
 * minus the padding, which wr_place_rest() handles.
 */
static void wr_put(struct erofs_wr *w, struct erofs_wr_inode *wi,
		   uint64_t pos, bool inl)
{
	uint64_t cursor = pos;

	if (erofs_wr_is_z(wi)) {
		struct erofs_wr_zinfo *z = wi->z;
		unsigned int keep = z->inl_len;

		/* wr_place_z() inlines whenever the tail fits at pos */
		if (!inl)
			z->inl_len = 0;
		wr_place_z(w, wi, &cursor);
		z->inl_len = keep;
	} else if (wi->c) {
		/* its own chunks are its data blocks (none in a blob) */
		wi->layout = EROFS_INODE_CHUNK_BASED;
		wi->tail = 0;
		wi->nblocks = wi->c->own_blocks;
		wi->pos = pos;
		wi->nid = wr_nid(w, pos);
	} else {
		unsigned int tail = (unsigned int)(wi->size % w->bs);

		wi->layout = EROFS_INODE_FLAT_PLAIN;
		wi->tail = 0;
		wi->nblocks = wr_has_data(wi) ?
			      EROFS_DIV_ROUND_UP(wi->size, w->bs) : 0;
		if (inl) {
			wi->layout = EROFS_INODE_FLAT_INLINE;
			wi->tail = tail;
			wi->nblocks = wi->size / w->bs;
		}
		wi->pos = pos;
		wi->nid = wr_nid(w, pos);
	}
}

/*
 * Free room left at the end of metadata blocks (when the next inode had
 * to start a new block to keep its inline tail whole), by size in slots:
 * hole[k] lists, oldest first, the positions of holes of exactly k slots.
 */
struct wr_holes {
	uint64_t **pos;
	size_t *head, *nr, *cap;
	unsigned int nk;		/* slots per block + 1 */
};

static int wr_hole_add(struct wr_holes *h, uint64_t pos, uint64_t len)
{
	size_t k = (size_t)(len >> EROFS_ISLOTBITS);

	if (!k)
		return 0;
	if (erofs_array_reserve(&h->pos[k], &h->cap[k], h->nr[k] + 1))
		return -ENOMEM;
	h->pos[k][h->nr[k]++] = pos;
	return 0;
}

/* the oldest of the smallest holes that hold len bytes; false if none */
static bool wr_hole_take(struct wr_holes *h, uint64_t len, uint64_t *pos,
			 size_t *slots)
{
	size_t k;

	for (k = (size_t)EROFS_DIV_ROUND_UP(len, EROFS_SLOTSIZE); k < h->nk;
	     k++) {
		if (h->head[k] < h->nr[k]) {
			*pos = h->pos[k][h->head[k]++];
			*slots = k;
			return true;
		}
	}
	return false;
}

static int wr_order_cmp(const void *a, const void *b)
{
	const struct erofs_wr_inode *x = *(struct erofs_wr_inode *const *)a;
	const struct erofs_wr_inode *y = *(struct erofs_wr_inode *const *)b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Place inodes 1..n-1, each at the end of the metadata -- unless it fits
 * whole (inline tail included) into a hole an earlier inode left by
 * starting a new block: then into the smallest such hole (best fit, as
 * erofs-utils' block buckets do).  Nothing depends on anything but the
 * inodes' sizes, so the result is reproducible.  w->place.order ends up
 * sorted by position: the nid order that emit follows (the root is not
 * necessarily first: the room before it is a hole like the others).
 */
/* an inode to place and the bytes it needs in one piece */
struct wr_item {
	uint64_t need;
	size_t idx;
};

/* larger first; equal ones in breadth-first order */
static int wr_item_cmp(const void *a, const void *b)
{
	const struct wr_item *x = a, *y = b;

	if (x->need != y->need)
		return x->need > y->need ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* room [from, to) as holes, one per block it touches */
static int wr_hole_add_span(struct wr_holes *h, uint64_t from, uint64_t to,
			    unsigned int bs)
{
	while (from < to) {
		uint64_t end = EROFS_MIN(to, EROFS_ROUND_UP(from + 1, bs));
		int ret = wr_hole_add(h, from, end - from);

		if (ret)
			return ret;
		from = end;
	}
	return 0;
}

static int wr_place_one(struct erofs_wr *w, struct wr_holes *h,
			uint64_t *cursor, struct erofs_wr_inode *wi, bool inl,
			uint64_t need)
{
	uint64_t pos, hpos;
	size_t slots;

	/*
	 * A plain inode whose body and tail together exceed a block: the
	 * body crosses a block boundary and the tail starts just after one
	 * (the first slot-aligned place where it fits); the room skipped
	 * is left to others.  If the tail cannot fit that way (it is nearly
	 * a block), the file keeps it in a data block.
	 */
	if (inl && need > w->bs && !erofs_wr_is_z(wi)) {
		uint64_t body = wr_body_len(wi);

		pos = EROFS_ROUND_UP(*cursor, EROFS_SLOTSIZE);
		if (!wr_tail_fits(w, wi, pos)) {
			uint64_t np = EROFS_ROUND_UP(EROFS_ROUND_UP(pos + body,
				(uint64_t)w->bs) - body, EROFS_SLOTSIZE);

			if (wr_tail_fits(w, wi, np)) {
				int ret = wr_hole_add_span(h, pos, np, w->bs);

				if (ret)
					return ret;
				pos = np;
			} else {
				inl = false;
				need = body;
			}
		}
		wr_put(w, wi, pos, inl);
		*cursor = pos + need;
		return 0;
	}

	if (need <= w->bs && wr_hole_take(h, need, &hpos, &slots)) {
		uint64_t used = EROFS_ROUND_UP(need, EROFS_SLOTSIZE);

		wr_put(w, wi, hpos, inl);
		return wr_hole_add(h, hpos + used,
				   ((uint64_t)slots << EROFS_ISLOTBITS) - used);
	}
	pos = EROFS_ROUND_UP(*cursor, EROFS_SLOTSIZE);
	/* keep body + tail in one block: start a new one */
	if (inl && !wr_tail_fits(w, wi, pos)) {
		uint64_t next = EROFS_ROUND_UP(pos + 1, w->bs);
		int ret = wr_hole_add(h, pos, next - pos);

		if (ret)
			return ret;
		pos = next;
	}
	wr_put(w, wi, pos, inl);
	*cursor = pos + need;
	return 0;
}

static int wr_place_rest(struct erofs_wr *w, uint64_t *cursor,
			 const struct erofs_wr_inode *skip)
{
	struct wr_holes h = { .nk = (w->bs >> EROFS_ISLOTBITS) + 1 };
	struct wr_item *it = malloc(w->tree.nr_inodes * sizeof(*it));
	size_t i, k, nr = 0, o = 1;
	int ret = -ENOMEM;

	h.pos = calloc(h.nk, sizeof(*h.pos));
	h.head = calloc(h.nk, sizeof(*h.head));
	h.nr = calloc(h.nk, sizeof(*h.nr));
	h.cap = calloc(h.nk, sizeof(*h.cap));
	if (!it || !h.pos || !h.head || !h.nr || !h.cap ||
	    wr_hole_add(&h, w->place.head_hole_pos, w->place.head_hole_len))
		goto out;
	/*
	 * Inodes with an inline tail first, largest first (first fit
	 * decreasing packs blocks best; they are the ones that leave
	 * holes), then the others in breadth-first order: they fit
	 * anywhere and so make the best fillers for what is left.
	 */
	for (i = 1; i < w->tree.nr_inodes; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];

		if (wi == skip)
			continue;
		if (wr_wants_inline(w, wi))
			it[nr++] = (struct wr_item){
				.need = wr_body_len(wi) + wr_tail_len(w, wi),
				.idx = i,
			};
	}
	qsort(it, nr, sizeof(*it), wr_item_cmp);
	for (k = 0; k < nr; k++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[it[k].idx];

		ret = wr_place_one(w, &h, cursor, wi, true, it[k].need);
		if (ret)
			goto out;
		w->place.order[o++] = wi;
	}
	for (i = 1; i < w->tree.nr_inodes; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];

		if (wi == skip || wr_wants_inline(w, wi))
			continue;
		ret = wr_place_one(w, &h, cursor, wi, false, wr_body_len(wi));
		if (ret)
			goto out;
		w->place.order[o++] = wi;
	}
	/* the root too: inodes may fill the room before it */
	qsort(w->place.order, o, sizeof(*w->place.order), wr_order_cmp);
	/* what no inode filled is padding */
	for (k = 1; k < h.nk; k++)
		w->place.meta_pad += (uint64_t)(h.nr[k] - h.head[k]) * k *
			       EROFS_SLOTSIZE;
	ret = 0;
out:
	for (k = 0; h.pos && k < h.nk; k++)
		free(h.pos[k]);
	free(h.pos);
	free(h.head);
	free(h.nr);
	free(h.cap);
	free(it);
	return ret;
}

/*
 * --sort=none: every regular file whose data was streamed into the image
 * while importing keeps those blocks (FLAT_PLAIN, never an inline tail:
 * the tail is in its last block already), and the metadata goes after
 * the last streamed block, which becomes meta_blkaddr.
 */
int erofs_wr_place_streamed(struct erofs_wr *w)
{
	struct erofs_wr_place *pl = &w->place;
	uint64_t first, end, used = 0;
	size_t i;

	if (!w->p->stream)
		return 0;
	erofs_stream_extent(w->p->stream, &first, &end, NULL);
	if (end > UINT32_MAX) {
		erofs_err(w->log, "image too large (%llu blocks of streamed data)",
			  (unsigned long long)end);
		return -EFBIG;
	}
	for (i = 0; i < w->tree.nr_inodes; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];
		const struct erofs_stream_file *f;

		if (wi->ftype != EROFS_FT_REG_FILE || !wi->node->stream_id)
			continue;
		f = erofs_stream_get(w->p->stream, wi->node->stream_id);
		if (!f || f->size != wi->size || !f->size) {
			erofs_err(w->log, "%s: internal error: no streamed data of its size",
				  erofs_wr_path(wi));
			return -EINVAL;
		}
		wi->streamed = true;
		wi->startblk = (erofs_blk_t)f->blk;
		used += EROFS_DIV_ROUND_UP(f->size, w->bs);
	}
	/* what a later entry replaced (or an exclusion hid) stays unused */
	if (end - first > used)
		erofs_info(w->log,
			   "%llu blocks of streamed data belong to no file (replaced or excluded later in the archive)",
			   (unsigned long long)(end - first - used));
	pl->stream_first = (erofs_blk_t)first;
	pl->stream_end = (erofs_blk_t)end;
	pl->meta_base = end << w->blkszbits;
	return 0;
}

/*
 * --incremental: the old image's head (superblock, its records, device
 * table, prefix table, shared xattrs) stays as it is, and so do its
 * inodes; the new ones start at its end, nids counted from its
 * meta_blkaddr.  The root goes first there or, when that nid would not
 * fit the superblock's 16 bits (no 48BIT), into the old root's place,
 * without inline data, if it fits (as erofs-utils does).
 */
static int wr_place_head_base(struct erofs_wr *w, uint64_t *cursor)
{
	const struct erofs_mkfs_base *b = w->p->base;
	struct erofs_wr_place *pl = &w->place;
	struct erofs_wr_inode *root = &w->tree.inodes[0];

	pl->cfgs_len = 0;
	pl->meta_base = b->meta_base;
	*cursor = b->end;
	pl->head_hole_pos = b->end;
	pl->head_hole_len = 0;
	wr_place(w, root, cursor);
	if (root->nid > 0xFFFF && !b->b48) {
		*cursor = b->end;
		/*
		 * The slot is as large as the inode found there: an extended
		 * one, when it fits, leaves the next build room for any root
		 * mtime (a compact inode holds only the epoch's).
		 */
		if (!root->extended &&
		    sizeof(struct erofs_inode_extended) + root->xattr_size <=
		    b->root_room) {
			root->extended = true;
			root->isize = sizeof(struct erofs_inode_extended);
		}
		wr_put(w, root, b->root_pos, false);
		if (root->isize + root->xattr_size > b->root_room) {
			erofs_err(w->log,
				  "--incremental: the new root inode (%u bytes) does not fit in the old one's place (%u bytes), and its nid past 65535 needs -E 48bit",
				  root->isize + root->xattr_size, b->root_room);
			return -ENOSPC;
		}
	}
	pl->meta_end = *cursor;
	pl->pfx_pos = pl->shared_start = *cursor;
	pl->shared_pos = calloc(1, sizeof(*pl->shared_pos));
	if (!pl->shared_pos)
		return -ENOMEM;
	if (w->xattr.nr_shared) {
		erofs_err(w->log, "internal error: new shared xattrs on --incremental");
		return -EIO;
	}
	return 0;
}

/* superblock, COMPR_CFGS records, root, prefix table, shared xattrs */
int erofs_wr_place_head(struct erofs_wr *w, uint64_t *cursor)
{
	struct erofs_wr_place *pl = &w->place;
	size_t i;

	if (w->p->base)
		return wr_place_head_base(w, cursor);
	/* COMPR_CFGS records follow the superblock (format.md 7.4) */
	pl->cfgs_len = erofs_wr_features_cfgs_len(w);
	*cursor = EROFS_SUPER_OFFSET + erofs_wr_sb_size(w->p) + pl->cfgs_len;
	/* then the device table, in whole slots (format.md 5) */
	if (w->chunk.nr_devs) {
		pl->devt_pos = EROFS_ROUND_UP(*cursor, EROFS_DEVT_SLOT_SIZE);
		*cursor = pl->devt_pos +
			  (uint64_t)w->chunk.nr_devs * EROFS_DEVT_SLOT_SIZE;
	}
	if (pl->meta_base) {
		/* they would sit in the data */
		if (pl->cfgs_len || w->chunk.nr_devs)
			return -EOPNOTSUPP;
		*cursor = pl->meta_base;
	}
	if (w->mbox.on) {
		/* -m: a plain prefix table stays on the device, here; the
		 * tree goes into the metabox space, root first */
		if (!erofs_wr_pfx_in_mbox(w->p) && erofs_wr_prefix_table_size(w)) {
			pl->pfx_pos = EROFS_ROUND_UP(*cursor, 4);
			*cursor = pl->pfx_pos + erofs_wr_prefix_table_size(w);
		}
		w->mbox.main_cursor = *cursor;
		*cursor = EROFS_WR_MBOX_BASE;
	}
	pl->head_hole_pos = EROFS_ROUND_UP(*cursor, EROFS_SLOTSIZE);
	wr_place(w, &w->tree.inodes[0], cursor);
	/* padding only if no inode fills it (wr_place_rest) */
	pl->head_hole_len = w->tree.inodes[0].pos - pl->head_hole_pos;
	pl->meta_pad -= pl->head_hole_len;
	/* (a metabox root's nid goes into rootnid_8b) */
	if (!w->mbox.on && w->tree.inodes[0].nid > 0xFFFF) {
		erofs_err(w->log, "root nid %llu does not fit",
			  (unsigned long long)w->tree.inodes[0].nid);
		return -EFBIG;
	}
	pl->meta_end = *cursor;
	pl->shared_pos = calloc(EROFS_MAX(w->xattr.nr_shared, (size_t)1),
				sizeof(*pl->shared_pos));
	if (!pl->shared_pos)
		return -ENOMEM;
	if (w->mbox.on) {
		/* -m: the prefix table (unless plain) and the shared xattrs
		 * (compat SHARED_EA_IN_METABOX) follow the root there: 6.18
		 * reads the shared xattrs of metabox inodes from the
		 * metabox (erofs-format.md 4.4) */
		if (erofs_wr_pfx_in_mbox(w->p) && erofs_wr_prefix_table_size(w)) {
			pl->pfx_pos = EROFS_ROUND_UP(*cursor, 4);
			*cursor = pl->pfx_pos + erofs_wr_prefix_table_size(w);
		}
		*cursor = EROFS_ROUND_UP(*cursor, 4);
		pl->shared_start = *cursor;
	} else {
		/* prefix records and shared entries are 4-byte aligned */
		pl->pfx_pos = EROFS_ROUND_UP(*cursor, 4);
		pl->shared_start = pl->pfx_pos + (w->packed.pfx_in ? 0 :
				   erofs_wr_prefix_table_size(w));
		if (pl->shared_start > pl->pfx_pos || w->xattr.nr_shared)
			*cursor = pl->shared_start;
	}
	for (i = 0; i < w->xattr.nr_shared; i++) {
		pl->shared_pos[i] = *cursor;
		*cursor += erofs_wr_xattr_entry_size(w->xattr.shared[i]);
	}
	if (w->mbox.on)
		return (*cursor - EROFS_WR_MBOX_BASE) / 4 > UINT32_MAX ?
		       -EFBIG : 0;
	if ((*cursor - pl->meta_base) / 4 > UINT32_MAX ||
	    (erofs_wr_prefix_table_size(w) && !w->packed.pfx_in &&
	     pl->pfx_pos / 4 > UINT32_MAX)) {
		erofs_err(w->log, "shared xattrs do not fit 32-bit ids");
		return -EFBIG;
	}
	return 0;
}

int erofs_wr_place_inodes(struct erofs_wr *w, uint64_t *cursor,
			  const struct erofs_wr_inode *skip)
{
	w->place.order = malloc(w->tree.nr_inodes * sizeof(*w->place.order));
	if (!w->place.order)
		return -ENOMEM;
	w->place.order[0] = &w->tree.inodes[0];
	return wr_place_rest(w, cursor, skip);
}

void erofs_wr_place_last(struct erofs_wr *w, struct erofs_wr_inode *wi,
			 uint64_t *cursor)
{
	wr_place(w, wi, cursor);
	w->place.order[w->tree.nr_inodes - 1] = wi;
}

/* the image's size, data ending before block blk */
static int wr_place_blocks(struct erofs_wr *w, uint64_t blk)
{
	struct erofs_wr_place *pl = &w->place;

	/* block addresses and blocks_lo are 32-bit without 48BIT */
	if (blk > UINT32_MAX) {
		erofs_err(w->log, "image too large (%llu blocks)",
			  (unsigned long long)blk);
		return -EFBIG;
	}
	pl->blocks = blk;
	/* the superblock checksum covers up to 1024 + BS bytes */
	if (pl->blocks * w->bs < EROFS_SUPER_OFFSET + erofs_wr_sb_size(w->p))
		pl->blocks = EROFS_DIV_ROUND_UP(EROFS_SUPER_OFFSET +
						erofs_wr_sb_size(w->p), w->bs);
	/* --fsalignblks: as erofs-utils, the unit is a power of two */
	if (w->p->fsalignblks > 1) {
		uint64_t unit = 1;

		while (unit < w->p->fsalignblks)
			unit <<= 1;
		pl->blocks = EROFS_ROUND_UP(pl->blocks, unit);
	}
	return 0;
}

/* data blocks, in nid order, right after the metadata */
int erofs_wr_place_data(struct erofs_wr *w, uint64_t cursor)
{
	struct erofs_wr_place *pl = &w->place;
	uint32_t dsunit = w->p->dsunit;
	erofs_blk_t blk;
	size_t i;
	int pass, ret;

	pl->meta_end = cursor;
	blk = EROFS_DIV_ROUND_UP(cursor, w->bs);
	pl->data_blkaddr = blk;
	/* --MZ=d: directories' blocks first, next to the inodes */
	for (pass = w->p->dirdata_first ? 0 : 1; pass < 2; pass++) {
		for (i = 0; i < w->tree.nr_inodes; i++) {
			struct erofs_wr_inode *wi = w->place.order[i];

			if (wi->streamed) /* placed by erofs_wr_place_streamed */
				continue;
			if (w->p->dirdata_first &&
			    (wi->ftype == EROFS_FT_DIR) != !pass)
				continue;
			/* --dsunit: the blocks skipped stay zero (emit
			 * fills gaps) */
			if (wi->nblocks && dsunit > 1)
				blk = EROFS_ROUND_UP(blk, (uint64_t)dsunit);
			wi->startblk = wi->nblocks ? blk : 0;
			blk += wi->nblocks;
		}
	}

	w->mbox.data_end = blk;
	ret = wr_place_blocks(w, blk);
	if (ret)
		return ret;
	erofs_info(w->log,
		   "plan: %zu inodes, metadata %llu bytes (%llu padding), data from block %llu",
		   w->tree.nr_inodes,
		   (unsigned long long)(pl->meta_end - pl->meta_base),
		   (unsigned long long)pl->meta_pad,
		   (unsigned long long)pl->data_blkaddr);
	return 0;
}

/* -m: the metabox inode's record goes at the end of the main area */
void erofs_wr_place_mbox_inode(struct erofs_wr *w, uint64_t *cursor)
{
	struct erofs_wr_inode *wi = &w->mbox.wi;
	unsigned int zlen = w->p->nr_compr ?
		erofs_wr_zmeta_len(w->blkszbits, wi->isize, wi->size, false,
				   true) : 0;

	wi->pos = EROFS_ROUND_UP(*cursor, EROFS_SLOTSIZE);
	wi->nid = wr_nid(w, wi->pos);
	*cursor = wi->pos + wi->isize + zlen;
}

/*
 * -m, once the metabox inode is compressed (or not): its form in the
 * place reserved for it, its blocks after all other data.
 */
int erofs_wr_place_mbox_data(struct erofs_wr *w)
{
	struct erofs_wr_inode *wi = &w->mbox.wi;
	uint64_t pos = wi->pos, cursor = pos, reserved = w->place.meta_end;

	wr_place(w, wi, &cursor);
	if (wi->pos != pos || cursor > reserved) {
		erofs_err(w->log, "internal error: the metabox inode outgrew its place");
		return -EIO;
	}
	w->place.meta_end = cursor;
	wi->startblk = w->mbox.data_end;
	if (wi->nblocks && w->p->dsunit > 1)
		wi->startblk = EROFS_ROUND_UP(wi->startblk,
					      (uint64_t)w->p->dsunit);
	if (!wi->nblocks)
		wi->startblk = 0;
	return wr_place_blocks(w, wi->nblocks ? wi->startblk + wi->nblocks :
				  w->mbox.data_end);
}

void erofs_wr_place_release(struct erofs_wr *w)
{
	free(w->place.order);
	free(w->place.shared_pos);
	w->place.order = NULL;
	w->place.shared_pos = NULL;
}
