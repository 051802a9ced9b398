// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * fields.c - cut a valid image into its typed fields (fields.h): the
 * reader opens it from memory and walks every inode reachable from the
 * root (and the packed inode), noting where each field lies.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "erofs/array.h"
#include "erofs/crc32c.h"
#include "erofs/erofs_fs.h"
#include "erofs/htab.h"
#include "erofs/reader.h"
#include "fields.h"

struct seed {
	const uint8_t *buf;
	size_t len;
	struct field_list *fl;
	bool oom;
	/* inodes to walk, and nids seen */
	erofs_nid_t *todo;
	size_t nr_todo, cap_todo;
	struct erofs_htab seen;
};

static void add(struct seed *s, uint64_t pos, unsigned int width,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add(struct seed *s, uint64_t pos, unsigned int width,
		const char *fmt, ...)
{
	va_list ap;
	struct field *f;

	if (pos + width > s->len)
		return;
	if (erofs_array_reserve(&s->fl->f, &s->fl->cap, s->fl->nr + 1)) {
		s->oom = true;
		return;
	}
	f = &s->fl->f[s->fl->nr++];
	f->pos = pos;
	f->width = width;
	va_start(ap, fmt);
	vsnprintf(f->name, sizeof(f->name), fmt, ap);
	va_end(ap);
}

#define SB(m, w)	add(s, 1024 + offsetof(struct erofs_super_block, m), w, "sb." #m)

static void sb_fields(struct seed *s, const struct erofs_image *img)
{
	unsigned int i;

	SB(magic, 4);
	SB(feature_compat, 4);
	SB(blkszbits, 1);
	SB(sb_extslots, 1);
	SB(rb.rootnid_2b, 2);
	SB(inos, 8);
	SB(epoch, 8);
	SB(fixed_nsec, 4);
	SB(blocks_lo, 4);
	SB(meta_blkaddr, 4);
	SB(xattr_blkaddr, 4);
	SB(feature_incompat, 4);
	SB(u1.available_compr_algs, 2);
	SB(extra_devices, 2);
	SB(devt_slotoff, 2);
	SB(dirblkbits, 1);
	SB(xattr_prefix_count, 1);
	SB(xattr_prefix_start, 4);
	SB(packed_nid, 8);
	SB(xattr_filter_reserved, 1);
	SB(ishare_xattr_prefix_id, 1);
	SB(build_time, 4);
	SB(rootnid_8b, 8);
	SB(metabox_nid, 8);
	/* configuration records (or whatever follows the superblock) */
	for (i = 0; i < 32; i += 2)
		add(s, 1024 + img->sb_size + i, 2, "cfg+%u", i);
	/* device slots */
	for (i = 0; i < img->extra_devices && i < 4; i++) {
		uint64_t slot = (uint64_t)erofs_le16(img->sb.devt_slotoff) *
				EROFS_DEVT_SLOT_SIZE + i * EROFS_DEVT_SLOT_SIZE;

		add(s, slot + offsetof(struct erofs_deviceslot, tag), 1, "dev%u.tag", i);
		add(s, slot + offsetof(struct erofs_deviceslot, blocks_lo), 4, "dev%u.blocks_lo", i);
		add(s, slot + offsetof(struct erofs_deviceslot, uniaddr_lo), 4, "dev%u.uniaddr_lo", i);
		add(s, slot + offsetof(struct erofs_deviceslot, blocks_hi), 4, "dev%u.blocks_hi", i);
	}
}

#define IC(m, w)	add(s, inode->iloc + offsetof(struct erofs_inode_compact, m), w, "%s." #m, tag)
#define IE(m, w)	add(s, inode->iloc + offsetof(struct erofs_inode_extended, m), w, "%s." #m, tag)

static void inode_fields(struct seed *s, struct erofs_inode *inode)
{
	uint64_t x, end;
	char tag[24];
	unsigned int i, n;

	snprintf(tag, sizeof(tag), "nid%" PRIu64, (uint64_t)inode->nid);
	if (inode->in_metabox)
		return;		/* metabox space is not raw image bytes */
	if (inode->inode_isize == 32) {
		IC(i_format, 2); IC(i_xattr_icount, 2); IC(i_mode, 2);
		IC(i_nb, 2); IC(i_size, 4); IC(i_mtime, 4); IC(i_u, 4);
		IC(i_uid, 2); IC(i_gid, 2); IC(i_reserved, 4);
	} else {
		IE(i_format, 2); IE(i_xattr_icount, 2); IE(i_mode, 2);
		IE(i_nb, 2); IE(i_size, 8); IE(i_u, 4); IE(i_uid, 4);
		IE(i_gid, 4); IE(i_mtime, 8); IE(i_mtime_nsec, 4);
		IE(i_nlink, 4);
	}
	/* inline xattrs: the header, shared ids and the entries' heads */
	x = inode->iloc + inode->inode_isize;
	end = x + inode->xattr_isize;
	if (inode->xattr_isize >= 12) {
		add(s, x, 4, "%s.h_name_filter", tag);
		add(s, x + 4, 1, "%s.h_shared_count", tag);
		n = s->buf[x + 4];
		for (i = 0; i < n && x + 12 + 4 * i + 4 <= end; i++)
			add(s, x + 12 + 4 * i, 4, "%s.shared[%u]", tag, i);
		x += 12 + 4 * (uint64_t)n;
		for (i = 0; x + 4 <= end && i < 16; i++) {
			unsigned int nl = s->buf[x];
			unsigned int vs = s->buf[x + 2] | s->buf[x + 3] << 8;

			add(s, x, 1, "%s.xattr%u.e_name_len", tag, i);
			add(s, x + 1, 1, "%s.xattr%u.e_name_index", tag, i);
			add(s, x + 2, 2, "%s.xattr%u.e_value_size", tag, i);
			if (nl)
				add(s, x + 4, 1, "%s.xattr%u.name0", tag, i);
			x += erofs_xattr_entry_size(nl, vs);
		}
	}
	end = (erofs_inode_end(inode) + 7) & ~7ULL;
	if (erofs_inode_is_compressed(inode)) {
		/* the map header, then index bytes as 2- and 4-byte fields */
		add(s, end, 4, "%s.z.h_fragmentoff", tag);
		add(s, end + 4, 2, "%s.z.h_advise", tag);
		add(s, end + 6, 1, "%s.z.h_algorithmtype", tag);
		add(s, end + 7, 1, "%s.z.h_clusterbits", tag);
		for (i = 0; i < 48; i += 2)
			add(s, end + 8 + i, 2, "%s.zidx+%u", tag, i);
		for (i = 0; i < 48; i += 4)
			add(s, end + 8 + i, 4, "%s.zidx4+%u", tag, i);
	} else if (inode->datalayout == EROFS_INODE_CHUNK_BASED) {
		add(s, inode->iloc + 0x10, 2, "%s.chunk.format", tag);
		for (i = 0; i < 32; i += 2)
			add(s, end + i, 2, "%s.chunk+%u", tag, i);
		for (i = 0; i < 32; i += 4)
			add(s, end + i, 4, "%s.chunk4+%u", tag, i);
	}
}

struct dir_walk {
	struct seed *s;
	struct erofs_inode *dir;
	uint64_t last_block;
	bool any;
};

/* where a directory block of dir lies in the image, or 0 */
static uint64_t dir_block_pos(struct erofs_inode *dir, uint64_t block)
{
	struct erofs_map map = { .la = block << dir->img->blkszbits };

	if (erofs_inode_is_compressed(dir) || erofs_map_blocks(dir, &map) ||
	    map.kind == EROFS_MAP_HOLE || map.device || map.in_metabox)
		return 0;
	return map.pa + ((block << dir->img->blkszbits) - map.la);
}

static void push(struct seed *s, erofs_nid_t nid)
{
	if (erofs_array_reserve(&s->todo, &s->cap_todo, s->nr_todo + 1))
		s->oom = true;
	else
		s->todo[s->nr_todo++] = nid;
}

static int dirent_cb(void *priv, const struct erofs_dir_entry *ent)
{
	struct dir_walk *w = priv;
	struct seed *s = w->s;
	uint64_t b = dir_block_pos(w->dir, ent->block);

	if (b) {
		uint64_t d = b + 12ULL * ent->index;

		add(s, d, 8, "dir%" PRIu64 ".b%" PRIu64 ".e%u.nid",
		    (uint64_t)w->dir->nid, ent->block, ent->index);
		add(s, d + 8, 2, "dir%" PRIu64 ".b%" PRIu64 ".e%u.nameoff",
		    (uint64_t)w->dir->nid, ent->block, ent->index);
		add(s, d + 10, 1, "dir%" PRIu64 ".b%" PRIu64 ".e%u.file_type",
		    (uint64_t)w->dir->nid, ent->block, ent->index);
		if (ent->name_len)
			add(s, d - 12ULL * ent->index +
			    (s->buf[d + 8] | s->buf[d + 9] << 8), 1,
			    "dir%" PRIu64 ".b%" PRIu64 ".e%u.name0",
			    (uint64_t)w->dir->nid, ent->block, ent->index);
	}
	if (ent->name_len == 1 && ent->name[0] == '.')
		return 0;
	if (ent->name_len == 2 && !memcmp(ent->name, "..", 2))
		return 0;
	push(s, ent->nid);
	return 0;
}

/* true if nid was walked already; marks it */
static bool seen(struct seed *s, erofs_nid_t nid)
{
	int ret = erofs_htab_set_add(&s->seen, nid);

	if (ret < 0)
		s->oom = true;
	return ret != 0;
}

int fields_parse(const uint8_t *buf, size_t len, struct field_list *fl)
{
	struct seed s = { .buf = buf, .len = len, .fl = fl };
	struct erofs_io io;
	struct erofs_log log;
	struct erofs_image img;
	int ret;

	erofs_log_init(&log);
	log.level = -1;
	ret = erofs_io_open_mem(&io, buf, len, false);
	if (ret)
		return ret;
	ret = erofs_image_open(&img, &io, &log, 0);
	if (ret) {
		erofs_io_close(&io);
		return ret;
	}
	sb_fields(&s, &img);
	push(&s, img.root_nid);
	/* the packed inode is an inode too */
	if (img.packed_nid)
		push(&s, img.packed_nid);
	while (s.nr_todo && !s.oom) {
		erofs_nid_t nid = s.todo[--s.nr_todo];
		struct erofs_inode inode;
		struct dir_walk w = { .s = &s, .dir = &inode };

		if (seen(&s, nid) || erofs_inode_read(&img, nid, &inode))
			continue;
		inode_fields(&s, &inode);
		if (S_ISDIR(inode.mode))
			erofs_dir_iterate(&inode, dirent_cb, &w);
	}
	erofs_image_release(&img);
	erofs_io_close(&io);
	free(s.todo);
	erofs_htab_release(&s.seen);
	return s.oom ? -ENOMEM : 0;
}

void fields_free(struct field_list *fl)
{
	free(fl->f);
	fl->f = NULL;
	fl->nr = fl->cap = 0;
}

uint64_t field_get(const uint8_t *b, unsigned int w)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < w; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

void field_put(uint8_t *b, unsigned int w, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < w; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

uint64_t field_edit(uint64_t old, unsigned int w, unsigned int op, uint64_t r)
{
	uint64_t mask = w == 8 ? ~0ULL : (1ULL << (8 * w)) - 1, v;

	switch (op % FIELD_EDIT_OPS) {
	case 0: v = 0; break;
	case 1: v = mask; break;
	case 2: v = (old + 1) & mask; break;
	case 3: v = (old - 1) & mask; break;
	case 4: v = old ^ (1ULL << (r % (8 * w))); break;
	case 5: v = 1ULL << (8 * w - 1); break;
	case 6: v = r % 17; break;
	case 7: v = (old + (r % 64) + 2) & mask; break;
	default: v = r & mask; break;
	}
	return v;
}

void fields_fix_checksum(uint8_t *buf, size_t len)
{
	unsigned int bs;

	if (len < 2048 ||
	    !(field_get(buf + 1024 + 8, 4) & EROFS_FEATURE_COMPAT_SB_CHKSUM))
		return;
	/* blkszbits as the (possibly edited) superblock says */
	if (buf[1024 + 12] < 9 || buf[1024 + 12] > 16)
		return;
	bs = 1U << buf[1024 + 12];
	if (bs <= len)
		field_put(buf + 1024 + 4, 4, erofs_sb_checksum(buf, bs));
}
