// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * layout.c - the plan pass: erofs_wr_plan() lists its steps in order.
 * Its own steps decide what the inodes are: collect every inode
 * (breadth-first, in each directory's sorted order, hard links once),
 * their serial numbers, link counts, i_size and compact or extended
 * form, and add the packed inode when something went into it.  The other
 * steps belong to xattr_write.c, zwrite.c, zpacked.c, place.c and
 * features.c; none of them calls back here.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "erofs/array.h"
#include "writer_internal.h"

/* a non-NULL marker for "seen" while nodes are being collected; never
 * dereferenced */
static const char wr_seen_marker;
#define WR_SEEN ((void *)(uintptr_t)&wr_seen_marker)

/* a kept inode of the old image (--incremental): a stub, nothing more */
static int wr_collect_kept(struct erofs_wr *w, struct erofs_node *c,
			   struct erofs_node ***kept, size_t *nr_kept,
			   size_t *cap_kept)
{
	int ret;

	if (!w->p->base) {
		erofs_err(w->log, "%s: internal error: a kept inode without --incremental",
			  c->path ? c->path : "?");
		return -EINVAL;
	}
	ret = erofs_array_reserve(kept, cap_kept, *nr_kept + 1);
	if (ret)
		return ret;
	c->wr = WR_SEEN;
	(*kept)[(*nr_kept)++] = c;
	return 0;
}

/* breadth-first collection: the list itself is the queue */
static int wr_collect(struct erofs_wr *w, struct erofs_node *root,
		      struct erofs_node ***listp, size_t *nrp,
		      struct erofs_node ***keptp, size_t *nr_keptp)
{
	struct erofs_node **list = NULL, **kept = NULL;
	size_t nr = 0, cap = 0, nr_kept = 0, cap_kept = 0, i, k;
	int ret = 0;

	if (!S_ISDIR(root->mode)) {
		erofs_err(w->log, "the root is not a directory");
		return -ENOTDIR;
	}
	if (erofs_array_reserve(&list, &cap, 64))
		return -ENOMEM;
	list[nr++] = root;
	root->wr = WR_SEEN;
	for (i = 0; i < nr; i++) {
		struct erofs_node *dir = list[i];

		if (!S_ISDIR(dir->mode))
			continue;
		for (k = 0; k < dir->nr_dentries; k++) {
			struct erofs_node *c = dir->dentries[k].inode;

			if (!c) {
				erofs_err(w->log, "%s: entry without inode",
					  dir->path ? dir->path : "?");
				ret = -EINVAL;
				goto out;
			}
			if (c->wr) {
				if (S_ISDIR(c->mode)) {
					erofs_err(w->log,
						  "%s: directory is linked more than once",
						  c->path ? c->path : "?");
					ret = -EINVAL;
					goto out;
				}
				continue;	/* a hard link: one inode */
			}
			if (c->kept) {
				ret = wr_collect_kept(w, c, &kept, &nr_kept,
						      &cap_kept);
				if (ret)
					goto out;
				continue;
			}
			ret = erofs_array_reserve(&list, &cap, nr + 1);
			if (ret)
				goto out;
			c->wr = WR_SEEN;
			list[nr++] = c;
		}
	}
out:
	*listp = list;
	*nrp = nr;
	*keptp = kept;
	*nr_keptp = nr_kept;
	return ret;
}

static int wr_setup_inodes(struct erofs_wr *w, struct erofs_node **list,
			   size_t nr, struct erofs_node **kept, size_t nr_kept)
{
	/* --incremental: new inodes number on from the old ones */
	uint64_t ino0 = w->p->base ? w->p->base->inos : 0;
	size_t i, k;

	if (nr > UINT32_MAX) {
		erofs_err(w->log, "too many inodes (%zu)", nr);
		return -EFBIG;
	}
	/* one more slot for a packed inode (zpacked.c fills it) */
	w->tree.inodes = calloc(nr + 1, sizeof(*w->tree.inodes));
	if (!w->tree.inodes)
		return -ENOMEM;
	w->tree.nr_inodes = nr;
	for (i = 0; i < nr; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];
		struct erofs_node *n = list[i];

		wi->node = n;
		wi->ino = (uint32_t)(ino0 + i + 1);
		n->wr = wi;
	}
	if (nr_kept) {
		w->tree.kept = calloc(nr_kept, sizeof(*w->tree.kept));
		if (!w->tree.kept)
			return -ENOMEM;
		w->tree.nr_kept = nr_kept;
	}
	for (i = 0; i < nr_kept; i++) {
		struct erofs_wr_inode *wi = &w->tree.kept[i];

		wi->node = kept[i];
		wi->nid = kept[i]->base_nid;
		wi->ftype = (uint8_t)erofs_mode_to_ftype(kept[i]->mode);
		kept[i]->wr = wi;
	}
	for (i = 0; i < nr; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];
		struct erofs_node *n = list[i];

		wi->ftype = (uint8_t)erofs_mode_to_ftype(n->mode);
		if (wi->ftype == EROFS_FT_UNKNOWN) {
			erofs_err(w->log, "%s: unsupported file type 0%o",
				  n->path ? n->path : "?",
				  (unsigned int)(n->mode & S_IFMT));
			return -EINVAL;
		}
	}
	w->tree.inodes[0].parent = &w->tree.inodes[0];
	for (i = 0; i < nr; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];
		struct erofs_node *n = wi->node;
		uint32_t subdirs = 0;

		if (!S_ISDIR(n->mode))
			continue;
		for (k = 0; k < n->nr_dentries; k++) {
			struct erofs_wr_inode *c = n->dentries[k].inode->wr;

			if (c->ftype == EROFS_FT_DIR) {
				c->parent = wi;
				subdirs++;
			}
		}
		/* the tree's count wins; computed only if it was left unset */
		wi->nlink = n->nlink ? n->nlink : 2 + subdirs;
	}
	/* non-directories: count names if the tree did not */
	for (i = 0; i < nr; i++) {
		struct erofs_node *n = w->tree.inodes[i].node;

		if (!S_ISDIR(n->mode))
			continue;
		for (k = 0; k < n->nr_dentries; k++) {
			struct erofs_wr_inode *c = n->dentries[k].inode->wr;

			if (c->ftype != EROFS_FT_DIR && !c->node->nlink)
				c->nlink++;
		}
	}
	for (i = 0; i < nr; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];

		if (wi->ftype != EROFS_FT_DIR && wi->node->nlink)
			wi->nlink = wi->node->nlink;
	}
	return 0;
}

/* i_size of every inode; directories from their packed entries */
static int wr_plan_sizes(struct erofs_wr *w)
{
	size_t i;
	int ret;

	for (i = 0; i < w->tree.nr_inodes; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];
		struct erofs_node *n = wi->node;

		switch (wi->ftype) {
		case EROFS_FT_DIR:
			ret = erofs_wr_dir_size(w, wi, &wi->size);
			if (ret)
				return ret;
			break;
		case EROFS_FT_REG_FILE:
			wi->size = n->size;
			if (n->size && !n->src_path && !n->stream_id &&
			    !n->nr_pieces && !n->reserved) {
				erofs_err(w->log, "%s: no data source",
					  n->path ? n->path : "?");
				return -EINVAL;
			}
			break;
		case EROFS_FT_SYMLINK:
			wi->size = n->size;
			if (n->size && !n->symlink) {
				erofs_err(w->log, "%s: symlink without target",
					  n->path ? n->path : "?");
				return -EINVAL;
			}
			break;
		default:
			wi->size = 0;
			break;
		}
	}
	return 0;
}

/* compact or extended inode (isize) for wi */
static void wr_plan_form(struct erofs_wr *w, struct erofs_wr_inode *wi)
{
	const struct erofs_node *n = wi->node;
	bool fits = wi->size <= UINT32_MAX && n->uid <= 0xFFFF &&
		    n->gid <= 0xFFFF && wi->nlink <= 0xFFFF;
	/* without 48BIT every compact inode reads back the build time;
	   with it, epoch + a 32-bit offset */
	int64_t epoch = erofs_wr_epoch(w);
	bool time_ok = n->mtime_nsec == w->p->build_time_nsec &&
		(erofs_wr_48bit(w) ?
		 n->mtime >= epoch && n->mtime - epoch <= (int64_t)UINT32_MAX :
		 n->mtime == w->p->build_time);

	switch (w->p->inode_form) {
	case EROFS_FORM_EXTENDED:
		wi->extended = true;
		break;
	case EROFS_FORM_COMPACT:
		wi->extended = !fits;
		break;
	default:
		wi->extended = !fits || !time_ok;
		break;
	}
	wi->isize = wi->extended ? sizeof(struct erofs_inode_extended) :
				   sizeof(struct erofs_inode_compact);
}

/* number the inodes: breadth-first, each directory in sorted order */
static int wr_plan_inodes(struct erofs_wr *w, struct erofs_node *root)
{
	struct erofs_node **list = NULL, **kept = NULL;
	size_t nr = 0, nr_kept = 0, i;
	int ret;

	ret = wr_collect(w, root, &list, &nr, &kept, &nr_kept);
	if (!ret)
		ret = wr_setup_inodes(w, list, nr, kept, nr_kept);
	if (ret) {
		/* clear the markers of nodes that never got an inode */
		for (i = 0; i < nr; i++)
			if (list[i]->wr == WR_SEEN)
				list[i]->wr = NULL;
		for (i = 0; i < nr_kept; i++)
			if (kept[i]->wr == WR_SEEN)
				kept[i]->wr = NULL;
	}
	free(list);
	free(kept);
	return ret;
}

static void wr_plan_forms(struct erofs_wr *w)
{
	size_t i;

	for (i = 0; i < w->tree.nr_inodes; i++)
		wr_plan_form(w, &w->tree.inodes[i]);
}

/*
 * The packed inode, if anything went into it: a regular file in no
 * directory, in the last slot, compressed like any file -- unless --zD
 * makes it wait until every other inode is placed.
 */
static int wr_plan_packed(struct erofs_wr *w)
{
	struct erofs_wr_inode *pk;
	int ret = 0;

	if (w->p->nr_compr && w->p->compress_dirs)
		ret = erofs_wr_packed_reserve_dirs(w);
	if (ret || !erofs_wr_packed_wanted(w))
		return ret;
	pk = &w->tree.inodes[w->tree.nr_inodes];
	erofs_wr_packed_inode_init(w, pk, (uint32_t)w->tree.nr_inodes + 1);
	wr_plan_form(w, pk);
	w->tree.nr_inodes++;
	if (!w->packed.late && pk->size > w->bs)
		ret = erofs_wr_z_compress_inode(w, pk);
	return ret;
}

/*
 * --zD: with every other nid known, the directories can be written into
 * the packed inode and it compressed; it goes last, so its size moves no
 * other inode.
 */
static int wr_place_packed_late(struct erofs_wr *w, uint64_t *cursor)
{
	struct erofs_wr_inode *pk = w->packed.wi;
	int ret;

	if (!w->packed.late)
		return 0;
	ret = erofs_wr_packed_write_dirs(w);
	if (!ret && pk->size > w->bs)
		ret = erofs_wr_z_compress_inode(w, pk);
	if (ret)
		return ret;
	erofs_wr_place_last(w, pk, cursor);
	return 0;
}

/*
 * -m: the tree is placed in the metabox space; the metabox inode is a
 * regular file in no directory whose data is that space, the last
 * inode number.  Its data comes from emit (erofs_wr_plan_metabox).
 */
static int wr_mbox_init(struct erofs_wr *w)
{
	struct erofs_wr_mbox *mb = &w->mbox;

	mb->on = w->p->metabox_pcluster != 0;
	mb->spool.fd = -1;
	if (!mb->on)
		return 0;
	mb->ci = w->p->metabox_alg;
	mb->pmax = w->p->metabox_pcluster;
	return erofs_wr_spool_open(w, &mb->spool, true);
}

/* the tree is placed: the metabox inode's size and place in the main
 * area (*cursor moves there from the metabox space) */
static void wr_mbox_inode(struct erofs_wr *w, uint64_t *cursor)
{
	struct erofs_wr_mbox *mb = &w->mbox;
	struct erofs_node *n = &mb->node;
	struct erofs_wr_inode *wi = &mb->wi;

	mb->end = *cursor;
	*cursor = mb->main_cursor;
	memset(n, 0, sizeof(*n));
	n->mode = S_IFREG | 0644;
	n->mtime = w->p->build_time;
	n->mtime_nsec = w->p->build_time_nsec;
	n->size = mb->end - EROFS_WR_MBOX_BASE;
	n->nlink = 1;
	n->path = (char *)"(metabox inode)";	/* never freed */
	memset(wi, 0, sizeof(*wi));
	wi->node = n;
	n->wr = wi;
	wi->ino = (uint32_t)w->tree.nr_inodes + 1;
	wi->ftype = EROFS_FT_REG_FILE;
	wi->nlink = 1;
	wi->size = n->size;
	wi->packed = true;
	wi->data_spool = &mb->spool;
	wr_plan_form(w, wi);
}

/* the packed inode (with -m, in the main area) and the metabox inode */
static int wr_place_specials(struct erofs_wr *w, uint64_t *cursor)
{
	struct erofs_wr_inode *pk = w->packed.wi;
	int ret;

	if (w->mbox.on)
		wr_mbox_inode(w, cursor);
	ret = wr_place_packed_late(w, cursor);
	if (ret)
		return ret;
	if (w->mbox.on) {
		if (pk && !w->packed.late)
			erofs_wr_place_last(w, pk, cursor);
		erofs_wr_place_mbox_inode(w, cursor);
	}
	return 0;
}

int erofs_wr_plan_metabox(struct erofs_wr *w)
{
	struct erofs_wr_inode *wi = &w->mbox.wi;
	int ret = erofs_wr_spool_flush(&w->mbox.spool);

	if (ret)
		return ret;
	if (w->mbox.spool.len != wi->size) {
		erofs_err(w->log, "internal error: metabox data of %llu bytes, %llu planned",
			  (unsigned long long)w->mbox.spool.len,
			  (unsigned long long)wi->size);
		return -EIO;
	}
	if (w->p->nr_compr && wi->size > w->bs)
		ret = erofs_wr_z_compress_inode(w, wi);
	if (!ret)
		ret = erofs_wr_place_mbox_data(w);
	/* the same bits and records: its algorithm was counted already */
	if (!ret)
		ret = erofs_wr_features(w);
	return ret;
}

/*
 * The plan, step by step.  Each step only reads what the steps before it
 * decided; nothing it calls comes back here.
 */
/*
 * 48BIT reads a flat file whose start block is null as zeros: a source
 * file that is one hole (SEEK_DATA finds nothing) needs no blocks, as
 * erofs-utils stores it (a compact inode's 32-bit all-ones start is
 * null; an extended one's i_nb completes the 48 bits).
 */
static void wr_plan_holes(struct erofs_wr *w)
{
	size_t i;

	if (!erofs_wr_48bit(w))
		return;
	for (i = 0; i < w->tree.nr_inodes; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];
		const struct erofs_node *n = wi->node;
		int fd;

		if (wi->ftype != EROFS_FT_REG_FILE || !wi->size || wi->z ||
		    wi->c || wi->packed || n->stream_id || !n->src_path ||
		    n->src_off)
			continue;
		fd = open(n->src_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;	/* emit reports it */
		wi->hole = lseek(fd, 0, SEEK_DATA) < 0 && errno == ENXIO;
		close(fd);
	}
}

int erofs_wr_plan(struct erofs_wr *w, struct erofs_node *root)
{
	uint64_t cursor = 0;
	int ret;

	/* what goes into the image, and each inode's size and xattrs */
	ret = wr_plan_inodes(w, root);
	if (!ret)
		ret = wr_plan_sizes(w);
	if (!ret)
		ret = erofs_wr_xattrs_plan(w);
	if (!ret)
		wr_plan_forms(w);
	/* compressed files (their fragments go to the packed inode,
	 * identical extents are shared), then the packed inode */
	if (!ret)
		ret = erofs_wr_z_compress_files(w);
	if (!ret)
		ret = wr_plan_packed(w);
	/* files kept uncompressed may be chunk-based (--chunksize, or data
	 * left on extra devices) */
	if (!ret)
		ret = erofs_wr_chunks_plan(w);
	if (!ret)
		wr_plan_holes(w);
	/* data streamed while importing (--sort=none) is in place already;
	 * metadata positions (nids) after it, then the other data blocks */
	if (!ret)
		ret = erofs_wr_place_streamed(w);
	if (!ret)
		ret = wr_mbox_init(w);
	if (!ret)
		ret = erofs_wr_place_head(w, &cursor);
	/* (with -m the packed inode stays in the main area) */
	if (!ret)
		ret = erofs_wr_place_inodes(w, &cursor,
					    w->packed.late || w->mbox.on ?
					    w->packed.wi : NULL);
	if (!ret)
		ret = wr_place_specials(w, &cursor);
	if (!ret)
		ret = erofs_wr_place_data(w, cursor);
	/* what the superblock says about all that */
	if (!ret)
		ret = erofs_wr_features(w);
	return ret;
}

void erofs_wr_plan_release(struct erofs_wr *w)
{
	size_t i;

	for (i = 0; i < w->tree.nr_inodes; i++)
		w->tree.inodes[i].node->wr = NULL;
	for (i = 0; i < w->tree.nr_kept; i++)
		w->tree.kept[i].node->wr = NULL;
	free(w->tree.kept);
	free(w->tree.inodes);
	memset(&w->tree, 0, sizeof(w->tree));
	if (w->mbox.on) {
		erofs_wr_spool_close(&w->mbox.spool);
		if (w->mbox.wi.z) {
			free(w->mbox.wi.z->ext);
			free(w->mbox.wi.z->pcl);
			free(w->mbox.wi.z);
			w->mbox.wi.z = NULL;
		}
	}
	w->mbox.on = false;
}
