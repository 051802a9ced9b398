// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * chunk_write.c - chunk-based files (erofs-format.md 6) and the device
 * table (5): which files are chunk-based, the chunk size of each, where
 * every chunk's bytes are, and the index area that says so.
 *
 * Two kinds of files are chunk-based:
 *  - files whose data stays on extra devices (node->pieces: tar index
 *    mode, rebuild mode); their chunks point there, never read here;
 *  - with --chunksize, every regular file not stored compressed: read once
 *    here (chunk hashes and fingerprint together), a chunk equal to an
 *    earlier one (SHA-256) points at that copy, an all-zero one is a hole,
 *    and the others are the file's own, stored in its data blocks or, with
 *    --blobdev, appended to the blob (device 1).
 * Either way the chunks are then merged: the chunk size doubles as long as
 * every new chunk still covers bytes that lie one after another (or only
 * holes), up to the format's limit, so files stored in one run get one
 * index.  Everything is decided in inode order from the file contents, so
 * the result does not depend on anything else.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "erofs/array.h"
#include "writer_internal.h"

#define WR_CHUNK_MAXBITS	(EROFS_CHUNK_FORMAT_BLKBITS_MASK)
#define WR_NULL_ADDR48		((1ULL << 48) - 1)	/* a 48-bit hole */

/* a chunk stored once, by content */
struct erofs_wr_ckey {
	uint8_t sha[EROFS_ISHARE_DIGEST_LEN];
	uint64_t len;
	struct erofs_wr_chunk where;
};

static unsigned int ceil_log2(uint64_t v)
{
	unsigned int b = 0;

	while (b < 63 && (1ULL << b) < v)
		b++;
	return b;
}

static bool wr_chunk_follows(const struct erofs_wr_chunk *a,
			     const struct erofs_wr_chunk *b, uint64_t blks)
{
	if (a->device == EROFS_PIECE_HOLE || b->device == EROFS_PIECE_HOLE)
		return a->device == b->device;
	return a->device == b->device && a->owner == b->owner &&
	       b->blk == a->blk + blks;
}

/*
 * The largest chunk size whose chunks each cover one run: every place
 * where a run breaks must fall on a chunk boundary.  Then keep one entry
 * per merged chunk.
 */
static void wr_chunks_merge(const struct erofs_wr *w, struct erofs_wr_cinfo *c)
{
	unsigned int m = 63, maxbits = w->blkszbits + WR_CHUNK_MAXBITS;
	uint64_t blks = 1ULL << (c->chunkbits - w->blkszbits), i, k;

	for (i = 1; i < c->nr; i++) {
		if (!wr_chunk_follows(&c->ch[i - 1], &c->ch[i], blks)) {
			unsigned int tz = (unsigned int)__builtin_ctzll(i);

			if (tz < m)
				m = tz;
		}
	}
	/* no break at all: one chunk for the whole file */
	if (m > ceil_log2(c->nr))
		m = ceil_log2(c->nr);
	if (c->chunkbits + m > maxbits)
		m = maxbits - c->chunkbits;
	if (!m)
		return;
	for (i = 0, k = 0; i < c->nr; i += 1ULL << m, k++)
		c->ch[k] = c->ch[i];
	c->nr = k;
	c->chunkbits += m;
}

/*
 * An address past 32 bits (a tar or blob of over 2^32 blocks) goes into
 * the chunk index's startblk_hi, which kernels read only with the 48BIT
 * chunk format: the image must be 48BIT (Linux 6.15+), which -E 48bit
 * asks for, rather than silently needing new kernels.
 */
static int wr_chunk_addr_check(const struct erofs_wr *w,
			       const struct erofs_wr_inode *wi, uint64_t blk)
{
	if (blk < EROFS_NULL_ADDR32)
		return 0;
	if (!erofs_wr_48bit(w)) {
		erofs_err(w->log,
			  "%s: data at block %llu is beyond 32-bit block addresses: build with -E 48bit (Linux 6.15 and later read it)",
			  erofs_wr_path(wi), (unsigned long long)blk);
		return -EFBIG;
	}
	if (blk >= WR_NULL_ADDR48) {
		erofs_err(w->log, "%s: data at block %llu is beyond 48-bit block addresses",
			  erofs_wr_path(wi), (unsigned long long)blk);
		return -EFBIG;
	}
	return 0;
}

/* index form, then the bytes of the index area after the body */
static int wr_chunks_finish(struct erofs_wr *w, struct erofs_wr_inode *wi)
{
	struct erofs_wr_cinfo *c = wi->c;
	unsigned int unit, body = wi->isize + wi->xattr_size;
	uint64_t i, len;
	int ret;

	/* extra devices' addresses are known now (the image's own blocks
	   are placed later, and the image stays under 2^32 blocks) */
	for (i = 0; i < c->nr; i++) {
		if (!c->ch[i].device || c->ch[i].device == EROFS_PIECE_HOLE)
			continue;
		ret = wr_chunk_addr_check(w, wi, c->ch[i].blk);
		if (ret)
			return ret;
		if (c->ch[i].blk >= EROFS_NULL_ADDR32)
			c->wide = true;
	}
	c->indexes = w->p->chunk_form == EROFS_CHUNK_INDEXES || c->wide;
	for (i = 0; i < c->nr; i++)
		if (c->ch[i].device && c->ch[i].device != EROFS_PIECE_HOLE)
			c->indexes = true;
	if (c->indexes && w->p->chunk_form == EROFS_CHUNK_BLOCKMAP) {
		erofs_err(w->log,
			  c->wide ? "%s: 48-bit chunk addresses need chunk indexes, not a block map" :
			  "%s: chunks on an extra device need chunk indexes, not a block map",
			  erofs_wr_path(wi));
		return -EINVAL;
	}
	unit = c->indexes ? sizeof(struct erofs_inode_chunk_index) :
			    EROFS_BLOCK_MAP_ENTRY_SIZE;
	/* the kernel finds the area at the body's end rounded up to a unit
	 * (inodes start 32-byte aligned, so the body offset decides) */
	len = EROFS_ROUND_UP(body, unit) - body + c->nr * unit;
	if (len > UINT32_MAX / 2) {
		erofs_err(w->log, "%s: too many chunks (%llu)",
			  erofs_wr_path(wi), (unsigned long long)c->nr);
		return -EFBIG;
	}
	c->meta_len = (unsigned int)len;
	w->chunk.any = true;
	return 0;
}

/* pieces: the chunks follow them; the data is never read here */
static int wr_chunks_from_pieces(struct erofs_wr *w, struct erofs_wr_inode *wi)
{
	const struct erofs_node *n = wi->node;
	struct erofs_wr_cinfo *c = wi->c;
	uint64_t la = 0, i, p, bs = w->bs;
	unsigned int bits = 63;

	for (p = 0; p < n->nr_pieces; p++) {
		const struct erofs_node_piece *pc = &n->pieces[p];
		bool last = p + 1 == n->nr_pieces;

		if (pc->device != EROFS_PIECE_HOLE &&
		    (!pc->device || pc->device > w->chunk.nr_devs)) {
			erofs_err(w->log, "%s: data on device %u, which the table lacks",
				  erofs_wr_path(wi), pc->device);
			return -EINVAL;
		}
		if ((!last && pc->len % bs) ||
		    (pc->device != EROFS_PIECE_HOLE && pc->pos % bs)) {
			erofs_err(w->log, "%s: data piece at %llu not block-aligned",
				  erofs_wr_path(wi), (unsigned long long)pc->pos);
			return -EINVAL;
		}
		if (pc->device != EROFS_PIECE_HOLE &&
		    EROFS_DIV_ROUND_UP(pc->pos + pc->len, bs) >
		    w->chunk.devs[pc->device - 1].blocks) {
			erofs_err(w->log, "%s: data piece past the end of device %u",
				  erofs_wr_path(wi), pc->device);
			return -EINVAL;
		}
		if (la && (unsigned int)__builtin_ctzll(la) < bits)
			bits = (unsigned int)__builtin_ctzll(la);
		la += pc->len;
	}
	if (la != wi->size) {
		erofs_err(w->log, "%s: data pieces cover %llu of %llu bytes",
			  erofs_wr_path(wi), (unsigned long long)la,
			  (unsigned long long)wi->size);
		return -EINVAL;
	}
	if (bits > ceil_log2(wi->size))
		bits = ceil_log2(wi->size);
	if (bits < w->blkszbits)
		bits = w->blkszbits;
	if (bits > w->blkszbits + WR_CHUNK_MAXBITS)
		bits = w->blkszbits + WR_CHUNK_MAXBITS;
	c->chunkbits = bits;
	c->nr = EROFS_DIV_ROUND_UP(wi->size, 1ULL << bits);
	c->ch = calloc(c->nr, sizeof(*c->ch));
	if (!c->ch)
		return -ENOMEM;
	for (i = 0, p = 0, la = 0; i < c->nr; i++) {
		uint64_t off = i << bits;
		const struct erofs_node_piece *pc;

		while (off >= la + n->pieces[p].len)
			la += n->pieces[p++].len;
		pc = &n->pieces[p];
		c->ch[i].device = pc->device;
		if (pc->device != EROFS_PIECE_HOLE)
			c->ch[i].blk = (pc->pos + (off - la)) / bs;
	}
	c->has_digest = n->has_digest;
	memcpy(c->digest, n->digest, sizeof(c->digest));
	wr_chunks_merge(w, c);
	return wr_chunks_finish(w, wi);
}

static bool wr_all_zero(const uint8_t *p, size_t len)
{
	return !len || (!p[0] && !memcmp(p, p + 1, len - 1));
}

/* reading one file for --chunksize */
struct wr_cread {
	struct erofs_sha256 *whole;	/* the fingerprint, or NULL */
	struct erofs_sha256 *h;		/* each chunk */
	uint8_t *buf;			/* one chunk */
	size_t cap_own;
};

/* a chunk of bytes: a hole, an earlier copy, or the file's own */
static int wr_chunk_one(struct erofs_wr *w, struct erofs_wr_inode *wi,
			struct wr_cread *r, uint64_t off, uint64_t len,
			struct erofs_wr_chunk *out)
{
	struct erofs_wr_chunks *ck = &w->chunk;
	struct erofs_wr_cinfo *c = wi->c;
	struct erofs_wr_ckey key = { .len = len };
	uint64_t hash, val, best = UINT64_MAX;
	size_t pos = 0;
	int ret;

	if (wr_all_zero(r->buf, (size_t)len)) {
		out->device = EROFS_PIECE_HOLE;
		ck->nr_hole++;
		return 0;
	}
	ret = erofs_sha256_reset(r->h);
	if (!ret)
		ret = erofs_sha256_update(r->h, r->buf, (size_t)len);
	if (!ret)
		ret = erofs_sha256_final(r->h, key.sha);
	if (ret)
		return ret;
	memcpy(&hash, key.sha, sizeof(hash));
	/* the earliest equal chunk, whatever order the table returns */
	while (erofs_htab_next(&ck->tab, hash, &pos, &val))
		if (val < best && ck->keys[val].len == len &&
		    !memcmp(ck->keys[val].sha, key.sha, sizeof(key.sha)))
			best = val;
	if (best != UINT64_MAX) {
		*out = ck->keys[best].where;
		ck->nr_dup++;
		return 0;
	}
	/* the file's own: the next blocks it stores */
	if (erofs_array_reserve(&c->own, &r->cap_own, c->nr_own + 1) ||
	    erofs_array_reserve(&ck->keys, &ck->cap_keys, ck->nr_keys + 1))
		return -ENOMEM;
	c->own[c->nr_own++] = (struct erofs_wr_cown){ .off = off, .len = len };
	if (c->in_blob) {
		out->device = 1;
		out->blk = c->blob_blk + c->own_blocks;
	} else {
		out->device = 0;
		out->owner = wi;
		out->blk = c->own_blocks;
	}
	c->own_blocks += EROFS_DIV_ROUND_UP(len, w->bs);
	key.where = *out;
	ret = erofs_htab_add(&ck->tab, hash, ck->nr_keys);
	if (ret)
		return ret;
	ck->keys[ck->nr_keys++] = key;
	return 0;
}

static int wr_read_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t got = pread(fd, buf, len, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (!got)
			return -ENODATA;
		buf += got;
		len -= (size_t)got;
		off += (uint64_t)got;
	}
	return 0;
}

/* --chunksize: read the file once, chunk by chunk */
static int wr_chunks_from_file(struct erofs_wr *w, struct erofs_wr_inode *wi,
			       struct wr_cread *r)
{
	const struct erofs_node *n = wi->node;
	struct erofs_wr_cinfo *c = wi->c;
	uint64_t cs = 1ULL << w->p->chunkbits, i, off;
	int fd, ret = 0;
	uint8_t probe;

	c->chunkbits = w->p->chunkbits;
	c->nr = EROFS_DIV_ROUND_UP(wi->size, cs);
	c->ch = calloc(c->nr, sizeof(*c->ch));
	if (!c->ch)
		return -ENOMEM;
	c->in_blob = w->p->blob != NULL;
	c->blob_blk = w->chunk.blob_blocks;
	r->cap_own = 0;			/* c->own starts empty */
	fd = open(n->src_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		erofs_err(w->log, "%s: cannot open %s: %s", erofs_wr_path(wi),
			  n->src_path, strerror(errno));
		return ret;
	}
	if (r->whole && (ret = erofs_sha256_reset(r->whole)))
		goto out;
	for (i = 0, off = 0; i < c->nr; i++, off += cs) {
		uint64_t len = EROFS_MIN(cs, wi->size - off);

		ret = wr_read_full(fd, r->buf, (size_t)len, n->src_off + off);
		if (ret) {
			erofs_err(w->log, ret == -ENODATA ?
				  "%s: file shrank while building" :
				  "%s: read error: %s", erofs_wr_path(wi),
				  strerror(-ret));
			ret = ret == -ENODATA ? -EIO : ret;
			goto out;
		}
		w->chunk.bytes_read += len;
		if (r->whole &&
		    (ret = erofs_sha256_update(r->whole, r->buf, (size_t)len)))
			goto out;
		ret = wr_chunk_one(w, wi, r, off, len, &c->ch[i]);
		if (ret)
			goto out;
	}
	/* a whole-file source must end here; spool files continue */
	if (!n->src_off && pread(fd, &probe, 1, (off_t)wi->size) > 0) {
		erofs_err(w->log, "%s: file grew while building (expected %llu bytes)",
			  erofs_wr_path(wi), (unsigned long long)wi->size);
		ret = -EIO;
		goto out;
	}
	if (r->whole) {
		ret = erofs_sha256_final(r->whole, c->digest);
		c->has_digest = !ret;
	}
	if (c->in_blob) {
		w->chunk.blob_blocks += c->own_blocks;
		c->own_blocks = 0;
	}
	wr_chunks_merge(w, c);
	ret = wr_chunks_finish(w, wi);
out:
	close(fd);
	return ret;
}

/* the device table: the caller's, or the blob */
static int wr_devices_init(struct erofs_wr *w)
{
	const struct erofs_mkfs_params *p = w->p;
	struct erofs_wr_chunks *ck = &w->chunk;

	if (p->blob && p->nr_devices) {
		erofs_err(w->log, "--blobdev cannot be combined with other extra devices");
		return -EINVAL;
	}
	if (p->nr_devices > 0xFFFF) {
		erofs_err(w->log, "too many devices (%u)", p->nr_devices);
		return -EINVAL;
	}
	ck->nr_devs = p->blob ? 1 : p->nr_devices;
	if (!ck->nr_devs)
		return 0;
	ck->devs = calloc(ck->nr_devs, sizeof(*ck->devs));
	if (!ck->devs)
		return -ENOMEM;
	if (!p->blob)
		memcpy(ck->devs, p->devices, ck->nr_devs * sizeof(*ck->devs));
	return 0;
}

int erofs_wr_chunks_plan(struct erofs_wr *w)
{
	const struct erofs_mkfs_params *p = w->p;
	struct wr_cread r = { 0 };
	size_t i;
	int ret;

	ret = wr_devices_init(w);
	if (ret)
		return ret;
	if (p->chunkbits) {
		if (p->chunkbits < w->blkszbits ||
		    p->chunkbits > w->blkszbits + WR_CHUNK_MAXBITS ||
		    p->chunkbits > 30) {
			erofs_err(w->log, "chunk size %llu out of range (block size .. 1 GiB)",
				  1ULL << (p->chunkbits & 63));
			return -EINVAL;
		}
		r.h = erofs_sha256_new();
		r.buf = malloc(1ULL << p->chunkbits);
		if (!r.h || !r.buf) {
			ret = r.h ? -ENOMEM :
			      erofs_sha256_unavailable(w->log, "--chunksize needs");
			goto out;
		}
		if (w->xattr.ishare_id >= 0 && !(r.whole = erofs_sha256_new())) {
			ret = -ENOMEM;
			goto out;
		}
	} else if (p->blob) {
		erofs_err(w->log, "--blobdev needs --chunksize");
		return -EINVAL;
	}
	for (i = 0; i < w->tree.nr_inodes; i++) {
		struct erofs_wr_inode *wi = &w->tree.inodes[i];
		const struct erofs_node *n = wi->node;

		if (wi->ftype != EROFS_FT_REG_FILE || !wi->size || wi->z ||
		    wi->packed || n->stream_id || n->reserved)
			continue;
		if (!n->nr_pieces && !p->chunkbits)
			continue;
		wi->c = calloc(1, sizeof(*wi->c));
		if (!wi->c) {
			ret = -ENOMEM;
			break;
		}
		ret = n->nr_pieces ? wr_chunks_from_pieces(w, wi) :
				     wr_chunks_from_file(w, wi, &r);
		if (ret)
			break;
	}
	if (!ret && p->blob)
		w->chunk.devs[0].blocks = w->chunk.blob_blocks;
	/* a count past 32 bits needs the slot's blocks_hi (48BIT) */
	for (i = 0; !ret && i < w->chunk.nr_devs; i++) {
		if (w->chunk.devs[i].blocks <= UINT32_MAX || erofs_wr_48bit(w))
			continue;
		erofs_err(w->log, "device %zu has %llu blocks, more than 32-bit block counts hold: build with -E 48bit (Linux 6.15 and later read it)",
			  i + 1, (unsigned long long)w->chunk.devs[i].blocks);
		ret = -EFBIG;
	}
	if (!ret && p->chunkbits)
		erofs_info(w->log, "chunks: %llu duplicates point at an earlier copy, %llu holes",
			   (unsigned long long)w->chunk.nr_dup,
			   (unsigned long long)w->chunk.nr_hole);
out:
	erofs_sha256_free(r.h);
	erofs_sha256_free(r.whole);
	free(r.buf);
	return ret;
}

uint16_t erofs_wr_chunks_format(const struct erofs_wr *w,
				const struct erofs_wr_inode *wi)
{
	const struct erofs_wr_cinfo *c = wi->c;

	return (uint16_t)((c->chunkbits - w->blkszbits) |
			  (c->indexes ? EROFS_CHUNK_FORMAT_INDEXES : 0) |
			  (c->wide ? EROFS_CHUNK_FORMAT_48BIT : 0));
}

int erofs_wr_chunks_encode_meta(const struct erofs_wr *w,
				const struct erofs_wr_inode *wi, uint8_t *out)
{
	const struct erofs_wr_cinfo *c = wi->c;
	unsigned int unit = c->indexes ? sizeof(struct erofs_inode_chunk_index) :
					 EROFS_BLOCK_MAP_ENTRY_SIZE;
	size_t pad = c->meta_len - c->nr * unit;
	uint64_t i;

	memset(out, 0, pad);
	out += pad;
	for (i = 0; i < c->nr; i++, out += unit) {
		const struct erofs_wr_chunk *ch = &c->ch[i];
		uint64_t blk = EROFS_NULL_ADDR32;
		uint16_t dev = 0;
		__le32 lo;

		if (ch->device == 0) {
			blk = ch->owner->startblk + ch->blk;
		} else if (ch->device != EROFS_PIECE_HOLE) {
			blk = ch->blk;
			dev = (uint16_t)ch->device;
		}
		if (ch->device != EROFS_PIECE_HOLE &&
		    blk >= (c->wide ? WR_NULL_ADDR48 : EROFS_NULL_ADDR32)) {
			erofs_err(w->log, "%s: chunk beyond %u-bit block addresses",
				  erofs_wr_path(wi), c->wide ? 48 : 32);
			return -EFBIG;
		}
		lo = erofs_cpu_to_le32((uint32_t)blk);
		if (c->indexes) {
			/*
			 * A hole's high bits all-ones too, as erofs-utils
			 * writes it: kernels read them only with the 48BIT
			 * chunk format, but erofs-utils' fsck always does
			 * (and extracted our holes as garbage without them).
			 */
			struct erofs_inode_chunk_index idx = {
				.startblk_hi = erofs_cpu_to_le16(
					ch->device == EROFS_PIECE_HOLE ? 0xFFFF :
					(uint16_t)(blk >> 32)),
				.device_id = erofs_cpu_to_le16(dev),
				.startblk_lo = lo,
			};

			memcpy(out, &idx, sizeof(idx));
		} else {
			memcpy(out, &lo, sizeof(lo));
		}
	}
	return 0;
}

void erofs_wr_chunks_release(struct erofs_wr *w)
{
	size_t i;

	for (i = 0; i < w->tree.nr_inodes; i++) {
		struct erofs_wr_cinfo *c = w->tree.inodes[i].c;

		if (!c)
			continue;
		free(c->ch);
		free(c->own);
		free(c);
		w->tree.inodes[i].c = NULL;
	}
	free(w->chunk.devs);
	free(w->chunk.keys);
	erofs_htab_release(&w->chunk.tab);
	memset(&w->chunk, 0, sizeof(w->chunk));
}
