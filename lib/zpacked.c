// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zpacked.c - the packed inode (format.md 4.6, 7.10): one regular file in
 * no directory whose data holds, in this order, the long xattr prefix
 * table (when it lives there), the files' fragments (-E fragments, the
 * identical ones once) and the compressed directories (--zD).  This file
 * alone fills that data (the packed spool) and decides where each piece
 * sits in it; zwrite.c compresses it like any file and layout.c places
 * it, last when it holds directories (their bytes name nids).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "erofs/array.h"
#include "writer_internal.h"

/* a fragment already in the packed spool, by content */
struct erofs_wr_fragkey {
	uint8_t sha[EROFS_ISHARE_DIGEST_LEN];
	uint64_t len, off;
};

void erofs_wr_packed_init(struct erofs_wr_packed *pk)
{
	memset(pk, 0, sizeof(*pk));
	pk->spool.fd = -1;
}

void erofs_wr_packed_release(struct erofs_wr_packed *pk)
{
	erofs_wr_spool_close(&pk->spool);
	erofs_htab_release(&pk->ftab);
	free(pk->frags);
	pk->frags = NULL;
	pk->nr_frags = pk->cap_frags = 0;
}

static int wr_packed_werr(struct erofs_wr *w, int err)
{
	erofs_err(w->log, "packed inode spool write error: %s",
		  strerror(err ? -err : EIO));
	return err ? err : -EIO;
}

/* the packed spool, opened by the first piece: it brings the long
 * prefix table along */
static int wr_packed_open(struct erofs_wr *w)
{
	struct erofs_wr_packed *pk = &w->packed;
	int ret;

	if (pk->spool.fd >= 0)
		return 0;
	ret = erofs_wr_spool_open(w, &pk->spool, false);
	if (ret)
		return ret;
	/*
	 * Kernels before PLAIN_XATTR_PFX look for the prefix table in the
	 * packed inode whenever one exists (format.md 4.6); with
	 * -E plain-xattr-prefixes it stays on the raw device (features.c
	 * then sets PLAIN_XATTR_PFX), which only newer kernels honour.
	 */
	if (w->xattr.nr_pfx && !w->p->plain_xattr_prefixes &&
	    !erofs_wr_pfx_in_mbox(w->p)) {
		size_t tl = erofs_wr_prefix_table_size(w);
		uint8_t *t = calloc(1, tl);

		if (!t)
			return -ENOMEM;
		erofs_wr_prefix_table_encode(w, t);
		ret = erofs_wr_spool_append(&pk->spool, t, tl, NULL);
		free(t);
		if (ret)
			return wr_packed_werr(w, ret);
		pk->pfx_in = true;
	}
	return 0;
}

bool erofs_wr_packed_wanted(const struct erofs_wr *w)
{
	return w->packed.spool.fd >= 0;
}

/* append spool bytes (the pieces pc[0..nr), len in all) */
static int wr_packed_append(struct erofs_wr *w,
			    const struct erofs_wr_zpiece *pc, size_t nr,
			    uint64_t len, uint64_t *off)
{
	struct erofs_wr_packed *pk = &w->packed;
	uint8_t buf[65536];
	uint64_t done = 0;
	int ret;

	ret = wr_packed_open(w);
	if (ret)
		return ret;
	*off = pk->spool.len;
	while (done < len) {
		size_t n = (size_t)EROFS_MIN(len - done, (uint64_t)sizeof(buf));

		ret = erofs_wr_spool_read(w, pc, nr, buf, n, done);
		if (ret)
			return ret;
		ret = erofs_wr_spool_append(&pk->spool, buf, n, NULL);
		if (ret)
			return wr_packed_werr(w, ret);
		done += n;
	}
	return 0;
}

static uint64_t wr_fragkey_hash(const uint8_t *sha, uint64_t len)
{
	return erofs_hash_bytes(sha, EROFS_ISHARE_DIGEST_LEN) ^
	       erofs_hash_u64(len);
}

int erofs_wr_packed_add_frag(struct erofs_wr *w,
			     const struct erofs_wr_zpiece *pc, size_t nr,
			     uint64_t len, const uint8_t *sha, uint64_t *off)
{
	struct erofs_wr_packed *pk = &w->packed;
	uint64_t h = 0, v;
	size_t pos = 0;
	int ret;

	if (sha) {
		/* at most one key per content is filed: the first */
		h = wr_fragkey_hash(sha, len);
		while (erofs_htab_next(&pk->ftab, h, &pos, &v)) {
			const struct erofs_wr_fragkey *k = &pk->frags[v];

			if (k->len == len &&
			    !memcmp(k->sha, sha, sizeof(k->sha))) {
				*off = k->off;
				return 0;
			}
		}
	}
	ret = wr_packed_append(w, pc, nr, len, off);
	if (ret || !sha)
		return ret;
	ret = erofs_array_reserve(&pk->frags, &pk->cap_frags,
				  pk->nr_frags + 1);
	if (!ret)
		ret = erofs_htab_add(&pk->ftab, h, pk->nr_frags);
	if (ret)
		return ret;
	memcpy(pk->frags[pk->nr_frags].sha, sha, EROFS_ISHARE_DIGEST_LEN);
	pk->frags[pk->nr_frags].len = len;
	pk->frags[pk->nr_frags].off = *off;
	pk->nr_frags++;
	return 0;
}

/*
 * --zD: each directory goes whole into the packed inode, after the files'
 * fragments, in breadth-first order.  Its bytes hold the children's nids,
 * so they are only written once every inode but the packed one is placed
 * (erofs_wr_packed_write_dirs); the place and the 8-byte header are known
 * now, from i_size alone.
 */
int erofs_wr_packed_reserve_dirs(struct erofs_wr *w)
{
	struct erofs_wr_packed *pk = &w->packed;
	size_t i;
	int ret = wr_packed_open(w);

	if (ret)
		return ret;
	for (i = 0; i < w->tree.nr_inodes; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];
		struct erofs_wr_zinfo *z;

		if (wi->ftype != EROFS_FT_DIR)
			continue;
		z = calloc(1, sizeof(*z));
		if (!z)
			return -ENOMEM;
		wi->z = z;
		z->whole_frag = true;
		z->frag_off = pk->spool.len;
		z->frag_len = wi->size;
		z->alg = w->z.cfgs[0].c->alg;
		z->meta_len = erofs_wr_z_meta_len(w, wi);
		/* written later, at frag_off */
		pk->spool.len += wi->size;
		pk->nr_dirs++;
	}
	pk->late = pk->nr_dirs > 0;
	return 0;
}

void erofs_wr_packed_inode_init(struct erofs_wr *w, struct erofs_wr_inode *wi,
				uint32_t ino)
{
	struct erofs_wr_packed *pk = &w->packed;
	struct erofs_node *n = &pk->node;

	memset(n, 0, sizeof(*n));
	n->mode = S_IFREG | 0644;
	n->mtime = w->p->build_time;
	n->mtime_nsec = w->p->build_time_nsec;
	n->size = pk->spool.len;
	n->nlink = 1;
	n->path = (char *)"(packed inode)";	/* never freed */
	memset(wi, 0, sizeof(*wi));
	wi->node = n;
	n->wr = wi;
	wi->ino = ino;
	wi->ftype = EROFS_FT_REG_FILE;
	wi->nlink = 1;
	wi->size = pk->spool.len;
	wi->packed = true;
	wi->data_spool = &pk->spool;
	pk->wi = wi;
}

int erofs_wr_packed_write_dirs(struct erofs_wr *w)
{
	struct erofs_wr_packed *pk = &w->packed;
	uint8_t *buf = NULL;
	size_t cap = 0, i;
	int ret = 0;

	for (i = 0; i < w->tree.nr_inodes && !ret; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];
		size_t len = (size_t)EROFS_ROUND_UP(wi->size, w->bs);

		if (wi->ftype != EROFS_FT_DIR || !erofs_wr_is_z(wi))
			continue;
		if (len > cap) {
			free(buf);
			buf = malloc(len);
			if (!buf)
				return -ENOMEM;
			cap = len;
		}
		ret = erofs_wr_dir_render(w, wi, buf);
		if (ret == -EIO)
			erofs_err(w->log,
				  "internal error: directory %s changed size since planning",
				  wi->node->path ? wi->node->path : "?");
		if (!ret) {
			ret = erofs_wr_spool_pwrite(&pk->spool, buf,
						    (size_t)wi->size,
						    wi->z->frag_off);
			if (ret)
				ret = wr_packed_werr(w, ret);
		}
	}
	free(buf);
	return ret;
}
