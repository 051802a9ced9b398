// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * emit.c - the emit pass: write what layout.c planned, in order.
 *
 * Two cursors only ever move forward: one through the metadata area (root,
 * prefix table, shared xattrs, then inodes in nid order) and one through the
 * data area (blocks in the same inode order).  Every write is checked
 * against its cursor and the gap before it is zero-filled, so a plan/emit
 * disagreement is caught here instead of producing a subtly broken image.
 * Each regular file is read exactly once: the same pass writes its blocks,
 * keeps its inline tail and feeds the fingerprint hash, and the inode (with
 * the fingerprint value) is written right after its data.  Files that went
 * through the compressor (zwrite.c) were read during planning; their
 * blocks, inline pcluster and fingerprint come from the spools instead;
 * files streamed into the image while importing (--sort=none) are not
 * touched again, their fingerprint comes from the stream.
 * The superblock goes last, with its checksum.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "erofs/array.h"
#include "erofs/crc32c.h"
#include "erofs/ishare.h"
#include "writer_internal.h"

#define WR_CHUNK	(1U << 20)	/* source read size */
/*
 * Writes to each area only move forward and are mostly contiguous (tens of
 * thousands of small inodes, pclusters), so they are gathered into one
 * buffer per area and go out in pwrites of WR_WBUF bytes instead of one
 * per inode.  Not larger: on Linux 6.18 (ext4, this 2-CPU VM), copying
 * into the page cache costs several times more per byte in writes of 256
 * KiB and up than in writes of 32 or 64 KiB (dd: 1.3 s against 0.15 s for
 * 500 MB), which made a 1 MiB buffer slower than none.
 */
#define WR_WBUF		(64U << 10)
struct wr_wbuf {
	uint8_t *buf;
	size_t len;
	uint64_t pos;			/* image offset of buf[0] */
};

struct wr_emit {
	const struct erofs_wr *w;
	uint64_t bytes_read;		/* of sources, for the stats */
	struct wr_wbuf mbuf, dbuf;	/* metadata, data */
	uint64_t meta_cur, data_cur;
	uint8_t *chunk;			/* WR_CHUNK bytes, reused */
	uint8_t *tail;			/* one block: the inline tail */
	uint8_t *meta;			/* inode + xattrs + tail */
	size_t meta_cap;
	struct erofs_sha256 *sha;
	uint8_t digest[EROFS_ISHARE_DIGEST_LEN];
	bool holes_zero;		/* unwritten blocks read as zeros */
	/* --incremental: the new root for the old one's place, written
	   only with the other in-place changes (wr_base_commit) */
	uint8_t *slot;
	size_t slot_len;
	/* -m: the metabox space goes to this spool, its own cursor */
	struct erofs_wr_spool *mbox;
	uint64_t mbox_cur;
	uint8_t *zeros;			/* one block */
	struct erofs_wr_ahead *ahead;	/* readers of plain files, or NULL */
};

/* pwrite in pieces of at most WR_WBUF bytes (see above) */
static int wr_write_pieces(struct wr_emit *e, const uint8_t *p, size_t len,
			   uint64_t pos)
{
	while (len) {
		size_t n = EROFS_MIN(len, (size_t)WR_WBUF);
		int ret = erofs_io_pwrite(e->w->io, p, n, pos);

		if (ret)
			return ret;
		p += n;
		pos += n;
		len -= n;
	}
	return 0;
}

static int wr_wbuf_flush(struct wr_emit *e, struct wr_wbuf *b)
{
	int ret = 0;

	if (b->len)
		ret = erofs_io_pwrite(e->w->io, b->buf, b->len, b->pos);
	b->pos += b->len;
	b->len = 0;
	return ret;
}

/* write len bytes of buf (NULL: zeros) at pos through b */
static int wr_out(struct wr_emit *e, struct wr_wbuf *b, const void *buf,
		  size_t len, uint64_t pos)
{
	const uint8_t *p = buf;
	int ret;

	if (pos != b->pos + b->len || (p && len >= WR_WBUF)) {
		ret = wr_wbuf_flush(e, b);
		if (ret)
			return ret;
		b->pos = pos;
	}
	if (p && len >= WR_WBUF) {	/* big enough already */
		ret = wr_write_pieces(e, p, len, pos);
		b->pos = pos + len;
		return ret;
	}
	while (len) {
		size_t n = EROFS_MIN(len, (size_t)WR_WBUF - b->len);

		if (p) {
			memcpy(b->buf + b->len, p, n);
			p += n;
		} else {
			memset(b->buf + b->len, 0, n);
		}
		b->len += n;
		len -= n;
		if (b->len == WR_WBUF) {
			ret = wr_wbuf_flush(e, b);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int wr_zero_fill(struct wr_emit *e, struct wr_wbuf *b, uint64_t from,
			uint64_t to)
{
	return from < to ? wr_out(e, b, NULL, (size_t)(to - from), from) : 0;
}

/* -m: bytes of the metabox space, appended to its spool in order */
static int wr_mbox_write(struct wr_emit *e, uint64_t off, const void *buf,
			 size_t len, const char *what)
{
	int ret = 0;

	if (!e->mbox || off < e->mbox_cur) {
		erofs_err(e->w->log,
			  "internal error: %s planned at metabox offset %llu overlaps written metadata (%llu)",
			  what, (unsigned long long)off,
			  (unsigned long long)e->mbox_cur);
		return -EIO;
	}
	while (e->mbox_cur < off && !ret) {
		size_t n = (size_t)EROFS_MIN(off - e->mbox_cur,
					     (uint64_t)e->w->bs);

		ret = erofs_wr_spool_append(e->mbox, e->zeros, n, NULL);
		e->mbox_cur += n;
	}
	if (!ret && len)
		ret = erofs_wr_spool_append(e->mbox, buf, len, NULL);
	if (ret) {
		erofs_err(e->w->log, "metabox spool write error: %s",
			  strerror(-ret));
		return ret;
	}
	e->mbox_cur = off + len;
	return 0;
}

static int wr_meta_write(struct wr_emit *e, uint64_t pos, const void *buf,
			 size_t len, const char *what)
{
	int ret;

	if (erofs_wr_in_mbox(pos))
		return wr_mbox_write(e, pos - EROFS_WR_MBOX_BASE, buf, len,
				     what);

	/* --incremental: the old root's place, before everything new:
	   kept until the rest is safely written */
	if (e->w->p->base && pos + len <= e->w->p->base->end &&
	    pos == e->w->p->base->root_pos) {
		free(e->slot);
		e->slot = malloc(len ? len : 1);
		if (!e->slot)
			return -ENOMEM;
		memcpy(e->slot, buf, len);
		e->slot_len = len;
		return 0;
	}
	if (pos < e->meta_cur ||
	    pos + len > e->w->place.data_blkaddr * e->w->bs) {
		erofs_err(e->w->log,
			  "internal error: %s planned at %llu overlaps written metadata (%llu)",
			  what, (unsigned long long)pos,
			  (unsigned long long)e->meta_cur);
		return -EIO;
	}
	ret = wr_zero_fill(e, &e->mbuf, e->meta_cur, pos);
	if (!ret && len)
		ret = wr_out(e, &e->mbuf, buf, len, pos);
	if (ret)
		return ret;
	e->meta_cur = pos + len;
	return 0;
}

static int wr_data_write(struct wr_emit *e, uint64_t pos, const void *buf,
			 size_t len, const char *path)
{
	int ret;

	/* --dsunit leaves planned gaps before a file's data: zeros */
	if (pos > e->data_cur && e->w->p->dsunit > 1 &&
	    !(pos / e->w->bs % e->w->p->dsunit)) {
		ret = wr_zero_fill(e, &e->dbuf, e->data_cur, pos);
		if (ret)
			return ret;
		e->data_cur = pos;
	}
	if (pos != e->data_cur) {
		erofs_err(e->w->log,
			  "internal error: data of %s planned at %llu, stream at %llu",
			  path, (unsigned long long)pos,
			  (unsigned long long)e->data_cur);
		return -EIO;
	}
	ret = wr_out(e, &e->dbuf, buf, len, pos);
	if (ret)
		return ret;
	e->data_cur = pos + len;
	return 0;
}

/* a regular file or memory: what is never written reads as zeros */
static bool wr_holes_read_zero(const struct erofs_io *io)
{
	struct stat st;

	return io->fd < 0 || (!fstat(io->fd, &st) && S_ISREG(st.st_mode));
}

/* write bytes [off, off + len) of a file's content: blocks or tail */
static int wr_content(struct wr_emit *e, const struct erofs_wr_inode *wi,
		      uint64_t off, const uint8_t *buf, size_t len)
{
	uint64_t inblocks = EROFS_MIN(wi->nblocks * e->w->bs, wi->size);
	const char *path = wi->node->path ? wi->node->path : "?";
	int ret;

	if (off < inblocks) {
		size_t n = (size_t)EROFS_MIN(len, inblocks - off);

		ret = wr_data_write(e, wi->startblk * e->w->bs + off, buf, n,
				    path);
		if (ret)
			return ret;
		off += n;
		buf += n;
		len -= n;
	}
	if (len)
		memcpy(e->tail + (off - inblocks), buf, len);
	return 0;
}

/* zero the rest of a plain file's last block */
static int wr_content_end(struct wr_emit *e, const struct erofs_wr_inode *wi)
{
	uint64_t stored = wi->nblocks * e->w->bs;

	if (stored <= wi->size)
		return 0;
	return wr_data_write(e, wi->startblk * e->w->bs + wi->size, NULL,
			     stored - wi->size,
			     wi->node->path ? wi->node->path : "?");
}

/* a file compressed by zwrite.c: copy its spooled blocks (or, stored
 * uncompressed after all, its spooled raw data) */
static int wr_emit_zfile(struct wr_emit *e, const struct erofs_wr_inode *wi)
{
	const struct erofs_wr_zinfo *z = wi->z;
	const struct erofs_wr *w = e->w;
	const char *path = wi->node->path ? wi->node->path : "?";
	uint64_t done = 0, total;
	int ret = 0;

	if (z->has_digest)
		memcpy(e->digest, z->digest, sizeof(e->digest));
	if (z->flat) {
		/* raw data spooled apart, or the all-PLAIN blocks */
		const struct erofs_wr_zpiece *src = z->raw.len ? &z->raw :
						    z->pcl;
		size_t nsrc = z->raw.len ? 1 : z->nr_pcl;

		while (done < wi->size && !ret) {
			size_t n = (size_t)EROFS_MIN(wi->size - done, WR_CHUNK);

			ret = erofs_wr_spool_read(w, src, nsrc, e->chunk, n,
						  done);
			if (!ret)
				ret = wr_content(e, wi, done, e->chunk, n);
			done += n;
		}
		return ret ? ret : wr_content_end(e, wi);
	}
	if (z->nr_ref) {
		/* dedupe: copy only the pclusters this file owns, each from
		 * where its worker spooled it */
		size_t i;

		for (i = 0; i < z->nr_ext && !ret; i++) {
			const struct erofs_wr_extent *x = &z->ext[i];
			struct erofs_wr_zpiece pc = {
				.spool = x->spool, .off = x->soff,
				.len = (uint64_t)x->pblks << w->blkszbits,
			};
			uint64_t at = (wi->startblk + x->pofs) * w->bs;

			for (done = 0; !x->ref && done < pc.len && !ret;
			     done += WR_CHUNK) {
				size_t n = (size_t)EROFS_MIN(pc.len - done,
							     WR_CHUNK);

				ret = erofs_wr_spool_read(w, &pc, 1, e->chunk,
							  n, done);
				if (!ret)
					ret = wr_data_write(e, at + done,
							    e->chunk, n, path);
			}
		}
		goto tail;
	}
	total = wi->nblocks * w->bs;
	while (done < total && !ret) {
		size_t n = (size_t)EROFS_MIN(total - done, WR_CHUNK);

		ret = erofs_wr_spool_read(w, z->pcl, z->nr_pcl, e->chunk, n,
					  done);
		if (!ret)
			ret = wr_data_write(e, wi->startblk * w->bs + done,
					    e->chunk, n, path);
		done += n;
	}
tail:
	if (!ret && z->inlined)
		ret = erofs_wr_spool_read(w, &z->inl, 1, e->tail, z->inl_len,
					  0);
	return ret;
}

/*
 * A chunk-based file: its own chunks, read again from the source (the
 * plan read it once for their hashes) into its data blocks or the blob;
 * the rest of its chunks point elsewhere.  Its fingerprint was taken
 * while planning.
 */
static int wr_emit_chunked(struct wr_emit *e, const struct erofs_wr_inode *wi)
{
	const struct erofs_wr_cinfo *c = wi->c;
	const struct erofs_node *n = wi->node;
	uint64_t blk = c->in_blob ? c->blob_blk : wi->startblk;
	size_t i;
	int fd, ret = 0;

	if (wi->fingerprint) {
		if (!c->has_digest)
			return -EIO;
		memcpy(e->digest, c->digest, sizeof(e->digest));
	}
	if (!c->nr_own)
		return 0;
	fd = open(n->src_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		erofs_err(e->w->log, "%s: cannot open %s: %s", erofs_wr_path(wi),
			  n->src_path, strerror(errno));
		return ret;
	}
	for (i = 0; i < c->nr_own && !ret; i++) {
		const struct erofs_wr_cown *o = &c->own[i];
		uint64_t done = 0, padded = EROFS_ROUND_UP(o->len,
							   (uint64_t)e->w->bs);

		while (done < o->len && !ret) {
			size_t want = (size_t)EROFS_MIN(o->len - done, WR_CHUNK);
			ssize_t got = pread(fd, e->chunk, want,
					    (off_t)(n->src_off + o->off + done));
			uint64_t at = blk * e->w->bs + done;

			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				ret = got ? -errno : -EIO;
				erofs_err(e->w->log, "%s: read error: %s",
					  erofs_wr_path(wi), got ?
					  strerror(errno) : "file shrank");
				break;
			}
			ret = c->in_blob ?
			      erofs_io_pwrite(e->w->p->blob, e->chunk,
					      (size_t)got, at) :
			      wr_data_write(e, at, e->chunk, (size_t)got,
					    erofs_wr_path(wi));
			done += (uint64_t)got;
		}
		if (!ret && padded > o->len) {
			uint64_t at = blk * e->w->bs + o->len;

			memset(e->chunk, 0, (size_t)(padded - o->len));
			ret = c->in_blob ?
			      erofs_io_pwrite(e->w->p->blob, e->chunk,
					      (size_t)(padded - o->len), at) :
			      wr_data_write(e, at, NULL,
					    (size_t)(padded - o->len),
					    erofs_wr_path(wi));
		}
		blk += padded / e->w->bs;
		e->bytes_read += o->len;
	}
	close(fd);
	return ret;
}

/* a file without blocks (48BIT null start): only its fingerprint */
static int wr_emit_hole(struct wr_emit *e, const struct erofs_wr_inode *wi)
{
	uint64_t done;
	size_t n;
	int ret;

	if (!wi->fingerprint)
		return 0;
	memset(e->chunk, 0, WR_CHUNK);
	ret = erofs_sha256_reset(e->sha);
	for (done = 0; !ret && done < wi->size; done += n) {
		n = (size_t)EROFS_MIN(wi->size - done, (uint64_t)WR_CHUNK);
		ret = erofs_sha256_update(e->sha, e->chunk, n);
	}
	return ret ? ret : erofs_sha256_final(e->sha, e->digest);
}

/*
 * Reserved blocks (--clean=rvsp, --tar=X,MAPFILE): left unwritten, a hole
 * in a new file, which someone fills later; zeroed on a device, which may
 * hold old data.  The fingerprint is the importer's.
 */
static int wr_emit_reserved(struct wr_emit *e, const struct erofs_wr_inode *wi)
{
	const struct erofs_node *n = wi->node;
	uint64_t pos = wi->startblk * e->w->bs, len = wi->nblocks * e->w->bs;

	if (wi->fingerprint) {
		if (!n->has_digest)
			return -EIO;
		memcpy(e->digest, n->digest, sizeof(e->digest));
	}
	if (!e->holes_zero)
		return wr_data_write(e, pos, NULL, (size_t)len,
				     erofs_wr_path(wi));
	if (pos < e->data_cur) {
		erofs_err(e->w->log,
			  "internal error: data of %s planned at %llu, stream at %llu",
			  erofs_wr_path(wi), (unsigned long long)pos,
			  (unsigned long long)e->data_cur);
		return -EIO;
	}
	e->data_cur = pos + len;
	return 0;
}

/*
 * Is wi a file whose blocks are its source's bytes, read by the last case
 * of wr_emit_regular (not the packed or metabox inode)?  emit_ahead.c
 * reads those ahead.
 */
bool erofs_wr_emit_reads_source(const struct erofs_wr_inode *wi)
{
	return wi->ftype == EROFS_FT_REG_FILE && wi->size &&
	       !wi->node->reserved && !wi->z && !wi->c && !wi->hole &&
	       !wi->streamed && !wi->packed;
}

static int wr_emit_regular(struct wr_emit *e, const struct erofs_wr_inode *wi)
{
	const struct erofs_node *n = wi->node;
	const char *path = n->path ? n->path : n->src_path;
	uint64_t done = 0;
	int fd, ret = 0;

	if (!wi->size)
		return 0;
	if (n->reserved)
		return wr_emit_reserved(e, wi);
	if (wi->z)
		return wr_emit_zfile(e, wi);
	if (wi->c)
		return wr_emit_chunked(e, wi);
	if (wi->hole)
		return wr_emit_hole(e, wi);
	if (wi->streamed) {	/* its blocks were written while importing */
		const struct erofs_stream_file *f =
			erofs_stream_get(e->w->p->stream, n->stream_id);

		if (wi->fingerprint && !f->has_digest) {
			erofs_err(e->w->log, "%s: internal error: streamed without a digest",
				  path);
			return -EIO;
		}
		memcpy(e->digest, f->digest, sizeof(e->digest));
		return 0;
	}
	if (!wi->packed) {
		uint8_t *buf;

		if (erofs_wr_ahead_take(e->ahead, wi, &buf, e->digest)) {
			ret = wr_content(e, wi, 0, buf, (size_t)wi->size);
			erofs_wr_ahead_put(e->ahead, buf, (size_t)wi->size);
			e->bytes_read += wi->size;
			return ret ? ret : wr_content_end(e, wi);
		}
	}
	/* a small packed (or metabox) inode is its spool, stored as is */
	fd = wi->packed ? dup(wi->data_spool->fd) :
			  open(n->src_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		erofs_err(e->w->log, "%s: cannot open %s: %s", path,
			  wi->packed ? "its spool" : n->src_path,
			  strerror(errno));
		return ret;
	}
	if (wi->fingerprint && (ret = erofs_sha256_reset(e->sha)))
		goto out;
	while (done < wi->size) {
		size_t want = (size_t)EROFS_MIN(wi->size - done, WR_CHUNK);
		ssize_t got = pread(fd, e->chunk, want, (off_t)(n->src_off + done));

		if (got < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			erofs_err(e->w->log, "%s: read error: %s", path,
				  strerror(errno));
			goto out;
		}
		if (!got) {
			erofs_err(e->w->log,
				  "%s: file shrank while building (%llu of %llu bytes)",
				  path, (unsigned long long)done,
				  (unsigned long long)wi->size);
			ret = -EIO;
			goto out;
		}
		if (wi->fingerprint &&
		    (ret = erofs_sha256_update(e->sha, e->chunk, (size_t)got)))
			goto out;
		ret = wr_content(e, wi, done, e->chunk, (size_t)got);
		if (ret)
			goto out;
		done += (uint64_t)got;
	}
	if (!wi->packed)
		e->bytes_read += done;
	/* a whole-file source must end here; spool files continue */
	if (!n->src_off) {
		uint8_t c;
		ssize_t got = pread(fd, &c, 1, (off_t)wi->size);

		if (got > 0) {
			erofs_err(e->w->log,
				  "%s: file grew while building (expected %llu bytes)",
				  path, (unsigned long long)wi->size);
			ret = -EIO;
			goto out;
		}
	}
	if (wi->fingerprint)
		ret = erofs_sha256_final(e->sha, e->digest);
	if (!ret)
		ret = wr_content_end(e, wi);
out:
	close(fd);
	return ret;
}

/*
 * A directory's blocks and inline tail.  --MZ=d writes all directories'
 * blocks first (pass WR_DIR_BLOCKS, before the inodes), then each one's
 * tail with its inode (WR_DIR_TAIL); otherwise both go together.
 */
enum { WR_DIR_ALL, WR_DIR_BLOCKS, WR_DIR_TAIL };
static int wr_emit_dir_part(struct wr_emit *e, const struct erofs_wr_inode *wi,
			    int part)
{
	size_t len = (size_t)EROFS_ROUND_UP(wi->size, e->w->bs);
	uint64_t inblocks = EROFS_MIN(wi->nblocks * e->w->bs, wi->size);
	uint8_t *buf;
	int ret;

	if (erofs_wr_is_z(wi))
		return 0;	/* --zD: it is in the packed inode */
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	ret = erofs_wr_dir_render(e->w, wi, buf);
	if (ret == -EIO)
		erofs_err(e->w->log,
			  "internal error: directory %s changed size since planning",
			  wi->node->path ? wi->node->path : "?");
	if (!ret && part == WR_DIR_TAIL) {
		memcpy(e->tail, buf + inblocks, (size_t)(wi->size - inblocks));
		free(buf);
		return 0;
	}
	if (!ret && part == WR_DIR_BLOCKS)
		ret = wr_data_write(e, wi->startblk * e->w->bs, buf,
				    (size_t)inblocks, erofs_wr_path(wi));
	else if (!ret)
		ret = wr_content(e, wi, 0, buf, (size_t)wi->size);
	/* the padding of a plain last block is zero already in buf */
	if (!ret && wi->nblocks * e->w->bs > wi->size)
		ret = wr_data_write(e, wi->startblk * e->w->bs + wi->size,
				    buf + wi->size,
				    wi->nblocks * e->w->bs - wi->size,
				    wi->node->path ? wi->node->path : "?");
	free(buf);
	return ret;
}

static int wr_emit_data(struct wr_emit *e, const struct erofs_wr_inode *wi)
{
	int ret;

	switch (wi->ftype) {
	case EROFS_FT_REG_FILE:
		return wr_emit_regular(e, wi);
	case EROFS_FT_DIR:
		return wr_emit_dir_part(e, wi, e->w->p->dirdata_first ?
					WR_DIR_TAIL : WR_DIR_ALL);
	case EROFS_FT_SYMLINK:
		if (!wi->size)
			return 0;
		ret = wr_content(e, wi, 0, (const uint8_t *)wi->node->symlink,
				 (size_t)wi->size);
		return ret ? ret : wr_content_end(e, wi);
	default:
		return 0;
	}
}

static uint32_t wr_i_u(const struct erofs_wr *w,
		       const struct erofs_wr_inode *wi)
{
	dev_t rdev = (dev_t)wi->node->rdev;

	switch (wi->ftype) {
	case EROFS_FT_CHRDEV:
	case EROFS_FT_BLKDEV:
		return erofs_encode_dev(major(rdev), minor(rdev));
	case EROFS_FT_FIFO:
	case EROFS_FT_SOCK:
		return 0;
	default:
		break;
	}
	if (erofs_wr_is_z(wi))		/* compressed: on-disk blocks */
		return (uint32_t)wi->nblocks;
	if (wi->c)			/* i_u.c: format, reserved */
		return erofs_wr_chunks_format(w, wi);
	if (wi->hole)			/* 48BIT: reads as zeros */
		return EROFS_NULL_ADDR32;
	if (wi->nblocks)
		return (uint32_t)wi->startblk;
	/* all inline: no block; empty plain files: 0 */
	return wi->layout == EROFS_INODE_FLAT_INLINE ? EROFS_NULL_ADDR32 : 0;
}

static void wr_encode_inode(const struct erofs_wr *w,
			    const struct erofs_wr_inode *wi, uint8_t *out)
{
	const struct erofs_node *n = wi->node;
	uint16_t ifmt = erofs_i_format(wi->extended ?
				       EROFS_INODE_LAYOUT_EXTENDED :
				       EROFS_INODE_LAYOUT_COMPACT, wi->layout);
	uint32_t iu = wr_i_u(w, wi);

	if (w->p->dot_omitted && wi->ftype == EROFS_FT_DIR)
		ifmt |= 1 << EROFS_I_DOT_OMITTED_BIT;

	if (wi->extended) {
		struct erofs_inode_extended di = {
			.i_format = erofs_cpu_to_le16(ifmt),
			.i_xattr_icount = erofs_cpu_to_le16(wi->icount),
			.i_mode = erofs_cpu_to_le16((uint16_t)n->mode),
			.i_size = erofs_cpu_to_le64(wi->size),
			.i_ino = erofs_cpu_to_le32(wi->ino),
			.i_uid = erofs_cpu_to_le32((uint32_t)n->uid),
			.i_gid = erofs_cpu_to_le32((uint32_t)n->gid),
			.i_mtime = erofs_cpu_to_le64((uint64_t)n->mtime),
			.i_mtime_nsec = erofs_cpu_to_le32(n->mtime_nsec),
			.i_nlink = erofs_cpu_to_le32(wi->nlink),
		};

		di.i_u.startblk_lo = erofs_cpu_to_le32(iu);
		/* 48BIT reads i_nb as the high bits: all-ones is "no block" */
		if (erofs_wr_48bit(w) && iu == EROFS_NULL_ADDR32 &&
		    (wi->layout == EROFS_INODE_FLAT_INLINE || wi->hole))
			di.i_nb = erofs_cpu_to_le16(0xFFFF);
		memcpy(out, &di, sizeof(di));
	} else {
		struct erofs_inode_compact dc = {
			.i_format = erofs_cpu_to_le16(ifmt),
			.i_xattr_icount = erofs_cpu_to_le16(wi->icount),
			.i_mode = erofs_cpu_to_le16((uint16_t)n->mode),
			.i_nb = erofs_cpu_to_le16((uint16_t)wi->nlink),
			.i_size = erofs_cpu_to_le32((uint32_t)wi->size),
			/* no 48BIT: the kernel may use epoch for all */
			.i_mtime = erofs_cpu_to_le32(erofs_wr_48bit(w) ?
				(uint32_t)(n->mtime - erofs_wr_epoch(w)) : 0),
			.i_ino = erofs_cpu_to_le32(wi->ino),
			.i_uid = erofs_cpu_to_le16((uint16_t)n->uid),
			.i_gid = erofs_cpu_to_le16((uint16_t)n->gid),
		};

		dc.i_u.startblk_lo = erofs_cpu_to_le32(iu);
		memcpy(out, &dc, sizeof(dc));
	}
}

static int wr_emit_meta(struct wr_emit *e, const struct erofs_wr_inode *wi)
{
	size_t zlen = erofs_wr_is_z(wi) ? wi->z->meta_len :
		      wi->c ? wi->c->meta_len : 0;
	size_t body = wi->isize + wi->xattr_size + zlen;
	size_t len = body + wi->tail, fp_off = 0;
	char what[64];
	int ret;

	if (len > e->meta_cap) {
		uint8_t *m = realloc(e->meta, len);

		if (!m)
			return -ENOMEM;
		e->meta = m;
		e->meta_cap = len;
	}
	wr_encode_inode(e->w, wi, e->meta);
	erofs_wr_xattr_ibody_encode(e->w, wi, e->meta + wi->isize, &fp_off);
	if (wi->fingerprint) {
		if (!fp_off)
			return -EIO;
		erofs_ishare_value_encode(e->digest,
					  e->meta + wi->isize + fp_off);
	}
	if (zlen) {
		uint8_t *m = e->meta + wi->isize + wi->xattr_size;

		ret = wi->c ? erofs_wr_chunks_encode_meta(e->w, wi, m) :
			      erofs_wr_z_encode_meta(e->w, wi, m);
		if (ret)
			return ret;
	}
	memcpy(e->meta + body, e->tail, wi->tail);
	snprintf(what, sizeof(what), "inode %llu",
		 (unsigned long long)wi->nid);
	return wr_meta_write(e, wi->pos, e->meta, len, what);
}

static int wr_emit_inode(struct wr_emit *e, const struct erofs_wr_inode *wi)
{
	int ret = wr_emit_data(e, wi);

	return ret ? ret : wr_emit_meta(e, wi);
}

static int wr_emit_shared(struct wr_emit *e)
{
	const struct erofs_wr *w = e->w;
	size_t i, len = w->packed.pfx_in ? 0 : erofs_wr_prefix_table_size(w);
	uint8_t *buf;
	int ret = 0;

	if (w->p->base)		/* the old table and shared xattrs stay */
		return 0;
	if (len) {
		buf = malloc(len);
		if (!buf)
			return -ENOMEM;
		erofs_wr_prefix_table_encode(w, buf);
		ret = wr_meta_write(e, w->place.pfx_pos, buf, len,
				    "long prefix table");
		free(buf);
		if (ret)
			return ret;
	}
	buf = malloc(erofs_xattr_entry_size(EROFS_NAME_LEN, 0xFFFF));
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < w->xattr.nr_shared && !ret; i++) {
		len = erofs_wr_xattr_entry_encode(w->xattr.shared[i], buf);
		ret = wr_meta_write(e, w->place.shared_pos[i], buf, len,
				    "shared xattr");
	}
	free(buf);
	return ret;
}

/*
 * The device table's slots (format.md 5).  Devices are mapped after the
 * image's last block, which -m only knows once the metabox inode is
 * placed: then the slots are written at the end (direct), over the
 * zeros that stood for them.
 */
static int wr_emit_devices(struct wr_emit *e, bool direct)
{
	const struct erofs_wr_chunks *ck = &e->w->chunk;
	uint64_t ua = e->w->place.blocks;	/* devices follow the image */
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ck->nr_devs && !ret; i++) {
		const struct erofs_mkfs_device *d = &ck->devs[i];
		/*
		 * Kernels before 48-bit layouts read only the low 32 bits:
		 * past them, leave the device unmapped (device= needed)
		 * rather than mapped at a wrong block.
		 */
		uint32_t ua_lo = ua > UINT32_MAX ? 0 : (uint32_t)ua;
		struct erofs_deviceslot s = {
			.blocks_lo = erofs_cpu_to_le32((uint32_t)d->blocks),
			.uniaddr_lo = erofs_cpu_to_le32(ua_lo),
			.blocks_hi = erofs_cpu_to_le32((uint32_t)(d->blocks >> 32)),
		};

		memcpy(s.tag, d->tag, sizeof(s.tag));
		if (direct)
			ret = erofs_io_pwrite(e->w->io, &s, sizeof(s),
					      e->w->place.devt_pos +
					      (uint64_t)i * sizeof(s));
		else
			ret = wr_meta_write(e, e->w->place.devt_pos +
					    (uint64_t)i * sizeof(s), &s,
					    sizeof(s), "device table");
		ua += d->blocks;
	}
	return ret;
}

/*
 * --incremental: the old superblock, with the new root, size, inode count
 * and feature bits; its tables, records, epoch and label stay.
 */
static void wr_super_base(const struct erofs_wr *w, struct erofs_super_block *sb)
{
	const struct erofs_mkfs_base *b = w->p->base;
	uint64_t root = w->tree.inodes[0].nid;

	*sb = b->sb;
	sb->checksum = 0;
	sb->feature_compat = erofs_cpu_to_le32(w->sb.feature_compat);
	sb->feature_incompat = erofs_cpu_to_le32(w->sb.feature_incompat);
	sb->blocks_lo = erofs_cpu_to_le32((uint32_t)w->place.blocks);
	sb->inos = erofs_cpu_to_le64(b->kept_inos + w->tree.nr_inodes);
	if (b->b48) {
		sb->rootnid_8b = erofs_cpu_to_le64(root);
		sb->rb.blocks_hi = erofs_cpu_to_le16((uint16_t)(w->place.blocks >> 32));
	} else {
		sb->rb.rootnid_2b = erofs_cpu_to_le16((uint16_t)root);
	}
	/* lz4 in one-block pclusters added to an image without records */
	if (!(w->sb.feature_incompat & EROFS_FEATURE_INCOMPAT_COMPR_CFGS) &&
	    (w->sb.feature_incompat & EROFS_FEATURE_INCOMPAT_ZERO_PADDING) &&
	    !sb->u1.lz4_max_distance)
		sb->u1.lz4_max_distance = erofs_cpu_to_le16(0xFFFF);
	memcpy(sb->uuid, w->p->uuid, sizeof(sb->uuid));
}

static int wr_write_super(struct wr_emit *e)
{
	const struct erofs_wr *w = e->w;
	const struct erofs_mkfs_params *p = w->p;
	size_t span = EROFS_SUPER_OFFSET +
		      (w->bs > EROFS_SUPER_OFFSET ? w->bs - EROFS_SUPER_OFFSET : w->bs);
	struct erofs_super_block sb = {
		.magic = erofs_cpu_to_le32(EROFS_SUPER_MAGIC_V1),
		.blkszbits = (uint8_t)w->blkszbits,
		.inos = erofs_cpu_to_le64(w->tree.nr_inodes + w->mbox.on),
		.epoch = erofs_cpu_to_le64((uint64_t)erofs_wr_epoch(w)),
		.fixed_nsec = erofs_cpu_to_le32(p->build_time_nsec),
		.blocks_lo = erofs_cpu_to_le32((uint32_t)w->place.blocks),
		.meta_blkaddr = erofs_cpu_to_le32(w->place.stream_end),
		.xattr_blkaddr = erofs_cpu_to_le32(w->place.stream_end),
		.xattr_prefix_count = (uint8_t)w->xattr.nr_pfx,
		.xattr_prefix_start = erofs_cpu_to_le32(
			w->xattr.nr_pfx && !w->packed.pfx_in ?
			(uint32_t)((w->place.pfx_pos -
				    (erofs_wr_in_mbox(w->place.pfx_pos) ?
				     EROFS_WR_MBOX_BASE : 0)) / 4) : 0),
	};
	unsigned int sbsize = erofs_wr_sb_size(p);
	uint8_t *blk;
	int ret;

	sb.rb.rootnid_2b = erofs_cpu_to_le16((uint16_t)w->tree.inodes[0].nid);
	if (w->mbox.on) {
		/* the root is in the metabox: 48BIT's 8-byte root nid */
		sb.sb_extslots = (uint8_t)((sbsize - EROFS_SB_BASE_SIZE) / 16);
		sb.rootnid_8b = erofs_cpu_to_le64(w->tree.inodes[0].nid);
		sb.rb.blocks_hi = erofs_cpu_to_le16((uint16_t)(w->place.blocks >> 32));
		sb.metabox_nid = erofs_cpu_to_le64(w->mbox.wi.nid);
	}
	if (erofs_wr_48bit(w))
		sb.build_time = erofs_cpu_to_le32((uint32_t)(p->build_time -
						   erofs_wr_epoch(w)));
	if (w->packed.wi)
		sb.packed_nid = erofs_cpu_to_le64(w->packed.wi->nid);
	memcpy(sb.uuid, p->uuid, sizeof(sb.uuid));
	memcpy(sb.volume_name, p->volume_label, sizeof(sb.volume_name));
	sb.volume_name[sizeof(sb.volume_name) - 1] = '\0';
	if (w->xattr.ishare_id >= 0)
		sb.ishare_xattr_prefix_id = (uint8_t)w->xattr.ishare_id;
	if (w->sb.feature_incompat & EROFS_FEATURE_INCOMPAT_COMPR_CFGS)
		sb.u1.available_compr_algs =
			erofs_cpu_to_le16((uint16_t)w->sb.algs);
	else if (w->sb.feature_incompat & EROFS_FEATURE_INCOMPAT_ZERO_PADDING)
		sb.u1.lz4_max_distance = erofs_cpu_to_le16(0xFFFF);
	if (w->chunk.nr_devs) {
		sb.extra_devices = erofs_cpu_to_le16((uint16_t)w->chunk.nr_devs);
		sb.devt_slotoff = erofs_cpu_to_le16((uint16_t)(w->place.devt_pos /
						    EROFS_DEVT_SLOT_SIZE));
	}
	sb.feature_compat = erofs_cpu_to_le32(w->sb.feature_compat);
	sb.feature_incompat = erofs_cpu_to_le32(w->sb.feature_incompat);
	if (p->base)
		wr_super_base(w, &sb);

	blk = malloc(span);
	if (!blk)
		return -ENOMEM;
	ret = erofs_io_pread(w->io, blk, span, 0);
	if (ret) {
		free(blk);
		return ret;
	}
	/* the 128 base bytes, and the extension slot for -m: the records
	 * or the root follow */
	memcpy(blk + EROFS_SUPER_OFFSET, &sb, sbsize);
	if (w->sb.feature_compat & EROFS_FEATURE_COMPAT_SB_CHKSUM)
		sb.checksum = erofs_cpu_to_le32(erofs_sb_checksum(blk, w->bs));
	free(blk);
	return erofs_io_pwrite(w->io, &sb, sbsize, EROFS_SUPER_OFFSET);
}

/*
 * --incremental: the changes inside the old image, once everything new is
 * on disk: the root in its old place (if it goes there), the ".." of kept
 * directories under rewritten ones (they name the new parent, as
 * erofs-utils does and fsck expects), then the superblock.  The old bytes
 * are read first, and put back if any of it fails, so that the old image
 * stays whole until the new superblock is in place.
 */
struct wr_undo {
	uint64_t pos;
	size_t len;
	uint8_t *old;
};

static int wr_undo_save(struct erofs_io *io, struct wr_undo **u, size_t *nr,
			size_t *cap, uint64_t pos, size_t len)
{
	struct wr_undo *x;
	int ret = erofs_array_reserve(u, cap, *nr + 1);

	if (ret)
		return ret;
	x = &(*u)[*nr];
	x->pos = pos;
	x->len = len;
	x->old = malloc(len);
	if (!x->old)
		return -ENOMEM;
	ret = erofs_io_pread(io, x->old, len, pos);
	if (ret) {
		free(x->old);
		return ret;
	}
	(*nr)++;
	return 0;
}

static int wr_base_commit(struct wr_emit *e)
{
	const struct erofs_wr *w = e->w;
	const struct erofs_mkfs_base *b = w->p->base;
	struct wr_undo *u = NULL;
	size_t nr = 0, cap = 0, i;
	int ret;

	/* everything new first, durably */
	ret = erofs_io_sync(w->io);
	if (!ret)
		ret = wr_undo_save(w->io, &u, &nr, &cap, EROFS_SUPER_OFFSET,
				   EROFS_SB_BASE_SIZE);
	if (!ret && e->slot)
		ret = wr_undo_save(w->io, &u, &nr, &cap, b->root_pos,
				   e->slot_len);
	for (i = 0; !ret && i < w->tree.nr_kept; i++) {
		const struct erofs_wr_inode *k = &w->tree.kept[i];

		if (k->ftype == EROFS_FT_DIR && k->node->base_dotdot &&
		    k->parent)
			ret = wr_undo_save(w->io, &u, &nr, &cap,
					   k->node->base_dotdot, sizeof(__le64));
	}
	if (!ret && e->slot)
		ret = erofs_io_pwrite(w->io, e->slot, e->slot_len, b->root_pos);
	for (i = 0; !ret && i < w->tree.nr_kept; i++) {
		const struct erofs_wr_inode *k = &w->tree.kept[i];
		__le64 nid;

		if (k->ftype != EROFS_FT_DIR || !k->node->base_dotdot ||
		    !k->parent)
			continue;
		nid = erofs_cpu_to_le64(k->parent->nid);
		ret = erofs_io_pwrite(w->io, &nid, sizeof(nid),
				      k->node->base_dotdot);
	}
	if (!ret)
		ret = erofs_io_sync(w->io);
	if (!ret)
		ret = wr_write_super(e);
	if (ret) {
		/* the old image back as it was (best effort: the error
		   that got here is what is reported) */
		for (i = nr; i-- > 0;)
			(void)erofs_io_pwrite(w->io, u[i].old, u[i].len,
					      u[i].pos);
		(void)erofs_io_sync(w->io);
	}
	for (i = 0; i < nr; i++)
		free(u[i].old);
	free(u);
	return ret;
}

int erofs_wr_emit_inodes(const struct erofs_wr *w,
			 struct erofs_wr_spool *mbox, struct wr_emit **ep)
{
	struct wr_emit *e = calloc(1, sizeof(*e));
	const struct erofs_mkfs_params *p = w->p;
	unsigned int sbsize = erofs_wr_sb_size(p);
	size_t i;
	int ret = -ENOMEM;

	*ep = e;
	if (!e)
		return -ENOMEM;
	e->w = w;
	e->mbox = mbox;
	e->chunk = malloc(WR_CHUNK);
	e->tail = calloc(1, w->bs);
	e->zeros = calloc(1, w->bs);
	e->mbuf.buf = malloc(WR_WBUF);
	e->dbuf.buf = malloc(WR_WBUF);
	if (!e->chunk || !e->tail || !e->zeros || !e->mbuf.buf ||
	    !e->dbuf.buf)
		return -ENOMEM;
	if (w->xattr.ishare_id >= 0) {
		e->sha = erofs_sha256_new();
		if (!e->sha)
			return erofs_sha256_unavailable(w->log,
							"fingerprints need");
	}
	/* --incremental: what is there stays; the new part is appended */
	if (p->base) {
		e->meta_cur = p->base->end;
		e->data_cur = w->place.data_blkaddr * w->bs;
		e->holes_zero = wr_holes_read_zero(w->io);
		goto inodes;
	}
	/* every byte up to the end gets written (gaps as zeros), so a reused
	 * target holds no stale data; the superblock area stays zero until
	 * the very end */
	ret = wr_zero_fill(e, &e->mbuf, 0, EROFS_SUPER_OFFSET + sbsize);
	/* at once, not with the metadata: a target that held an image
	 * loses its old superblock before anything else can fail
	 * (t022 enospc-blockdev) */
	if (!ret)
		ret = wr_wbuf_flush(e, &e->mbuf);
	if (ret)
		return ret;
	e->meta_cur = EROFS_SUPER_OFFSET + sbsize;
	e->data_cur = w->place.data_blkaddr * w->bs;
	e->holes_zero = wr_holes_read_zero(w->io);
	if (w->sb.cfg_len) {
		ret = wr_meta_write(e, e->meta_cur, w->sb.cfg_rec, w->sb.cfg_len,
				    "compression config records");
		if (ret)
			return ret;
	}

	if (w->chunk.nr_devs && !w->mbox.on) {
		ret = wr_emit_devices(e, false);
		if (ret)
			return ret;
	}

	/* --sort=none: the streamed blocks lie between the superblock's
	 * block and the metadata; they are written already */
	if (w->place.meta_base) {
		ret = wr_zero_fill(e, &e->mbuf, e->meta_cur,
				   (uint64_t)w->place.stream_first * w->bs);
		if (ret)
			return ret;
		e->meta_cur = w->place.meta_base;
	}
inodes:
	/* --MZ=d: the directories' blocks come first */
	for (i = 0; p->dirdata_first && i < w->tree.nr_inodes; i++) {
		const struct erofs_wr_inode *wi = w->place.order[i];

		if (wi->ftype != EROFS_FT_DIR || !wi->nblocks ||
		    erofs_wr_is_z(wi))
			continue;
		ret = wr_emit_dir_part(e, wi, WR_DIR_BLOCKS);
		if (ret)
			return ret;
	}
	ret = erofs_wr_ahead_start(w, &e->ahead);
	if (ret)
		return ret;
	for (i = 0; i < w->tree.nr_inodes; i++) {
		ret = wr_emit_inode(e, w->place.order[i]);
		if (ret)
			return ret;
		/* the prefix table and shared xattrs follow the root */
		if (w->place.order[i] == &w->tree.inodes[0]) {
			ret = wr_emit_shared(e);
			if (ret)
				return ret;
		}
		if (p->progress)
			p->progress(p->progress_priv, i + 1, w->tree.nr_inodes);
	}
	erofs_wr_ahead_stop(e->ahead);
	e->ahead = NULL;
	/* -m: the whole space, for the metabox inode to take */
	if (w->mbox.on)
		return wr_mbox_write(e, w->mbox.end - EROFS_WR_MBOX_BASE, NULL,
				     0, "end of the metabox");
	return 0;
}

int erofs_wr_emit_finish(struct wr_emit *e)
{
	const struct erofs_wr *w = e->w;
	const struct erofs_mkfs_params *p = w->p;
	uint64_t end = w->place.blocks * w->bs;
	int ret;

	/* -m: the metabox inode, planned once the space was written */
	if (w->mbox.on) {
		ret = wr_emit_inode(e, &w->mbox.wi);
		if (ret)
			return ret;
	}
	if (e->meta_cur != w->place.meta_end ||
	    e->data_cur != w->place.blocks * w->bs) {
		/* data_cur may stop short only when padding blocks exist */
		if (e->meta_cur != w->place.meta_end || e->data_cur > end) {
			erofs_err(w->log,
				  "internal error: emitted %llu/%llu bytes, planned %llu/%llu",
				  (unsigned long long)e->meta_cur,
				  (unsigned long long)e->data_cur,
				  (unsigned long long)w->place.meta_end,
				  (unsigned long long)end);
			return -EIO;
		}
	}
	ret = wr_zero_fill(e, &e->mbuf, e->meta_cur,
			   w->place.data_blkaddr * w->bs);
	if (!ret && e->data_cur < end)
		ret = wr_zero_fill(e, &e->dbuf, e->data_cur, end);
	/* everything out before the superblock reads its block back */
	if (!ret)
		ret = wr_wbuf_flush(e, &e->mbuf);
	if (!ret)
		ret = wr_wbuf_flush(e, &e->dbuf);
	if (!ret && w->chunk.nr_devs && w->mbox.on)
		ret = wr_emit_devices(e, true);
	if (!ret && p->blocklist)
		ret = erofs_wr_blocklist_emit(w, p->blocklist);
	if (!ret) {
		uint64_t size;

		/* block devices cannot be truncated; they are big enough */
		ret = erofs_io_truncate(w->io, end);
		if (ret && !erofs_io_size(w->io, &size) && size >= end)
			ret = 0;
	}
	/*
	 * The superblock reaches the disk last: everything it describes is
	 * made durable first, so a crash at any moment leaves either no
	 * valid superblock or a whole image (the caller syncs it).
	 */
	if (p->base)
		return ret ? ret : wr_base_commit(e);
	if (!ret)
		ret = erofs_io_sync(w->io);
	if (!ret)
		ret = wr_write_super(e);
	return ret;
}

void erofs_wr_emit_free(struct wr_emit *e, uint64_t *bytes_read)
{
	if (!e)
		return;
	*bytes_read = e->bytes_read;
	erofs_wr_ahead_stop(e->ahead);
	free(e->slot);
	erofs_sha256_free(e->sha);
	free(e->chunk);
	free(e->tail);
	free(e->zeros);
	free(e->meta);
	free(e->mbuf.buf);
	free(e->dbuf.buf);
	free(e);
}
