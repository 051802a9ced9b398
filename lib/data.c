// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * data.c - map and read file contents (format.md section 6).
 *
 * erofs_map_blocks() is the only place that knows the data layouts; it is
 * a switch on the layout so that the compressed layouts (section 7) plug in
 * here later.  Every physical range it returns has been checked to lie
 * inside the image, so readers can trust it.
 */
#include <stdlib.h>
#include <string.h>
#include "erofs/reader.h"
#include "erofs/zmap.h"

static int map_fail(struct erofs_inode *inode, unsigned int code, int err,
		    const char *what, uint64_t la)
{
	return erofs_image_fail(inode->img, code, err,
		"nid %llu: %s at offset %llu", (unsigned long long)inode->nid,
		what, (unsigned long long)la);
}

/* a unified-space byte range must be inside the image file */
static int check_phys(struct erofs_inode *inode, uint64_t pa, uint64_t len,
		      uint64_t la)
{
	struct erofs_image *img = inode->img;

	if (pa > img->size || len > img->size - pa)
		return map_fail(inode, EROFS_PROB_DATA_RANGE, EFSCORRUPTED,
				"data block range past the image end", la);
	return 0;
}

static int map_flat(struct erofs_inode *inode, struct erofs_map *map)
{
	struct erofs_image *img = inode->img;
	unsigned int bits = img->blkszbits;
	uint64_t nblocks = EROFS_DIV_ROUND_UP(inode->size, img->blksz);
	bool tail = inode->datalayout == EROFS_INODE_FLAT_INLINE;
	uint64_t lastblk = nblocks - (tail ? 1 : 0);
	uint64_t la = map->la;

	if (la < (lastblk << bits)) {
		map->la = 0;
		map->llen = EROFS_MIN(lastblk << bits, inode->size);
		/*
		 * A null start block is a hole for FLAT_PLAIN only: the
		 * kernel reads an inline file's blocks at the address as
		 * it stands (far past the end, EIO).
		 */
		if (inode->startblk_null && !tail) {
			map->kind = EROFS_MAP_HOLE;
			return 0;
		}
		if (inode->startblk > (UINT64_MAX >> bits) - lastblk)
			return map_fail(inode, EROFS_PROB_DATA_RANGE,
					EFSCORRUPTED, "start block overflow", la);
		map->kind = EROFS_MAP_MAPPED;
		map->pa = inode->startblk << bits;
		return check_phys(inode, map->pa, lastblk << bits, la);
	}
	/* the tail (FLAT_INLINE): right after the xattr area, one block */
	map->la = lastblk << bits;
	map->llen = inode->size - map->la;
	map->kind = EROFS_MAP_INLINE;
	map->pa = erofs_inode_end(inode);
	map->in_metabox = inode->in_metabox;
	if ((map->pa & (img->blksz - 1)) + map->llen > img->blksz)
		return map_fail(inode, EROFS_PROB_DATA_INLINE_CROSS,
				EFSCORRUPTED, "inline data across blocks", la);
	if (!inode->in_metabox)
		return check_phys(inode, map->pa, map->llen, la);
	if (map->pa > img->metabox.size ||
	    map->llen > img->metabox.size - map->pa)
		return map_fail(inode, EROFS_PROB_DATA_RANGE, EFSCORRUPTED,
				"inline data past the metabox end", la);
	return 0;
}

static int map_chunk(struct erofs_inode *inode, struct erofs_map *map)
{
	struct erofs_image *img = inode->img;
	bool indexes = inode->chunkformat & EROFS_CHUNK_FORMAT_INDEXES;
	unsigned int unit = indexes ? 8 : 4;
	unsigned int bits = img->blkszbits;
	uint64_t chunk, pos, blk, nullblk, maxlen;
	unsigned int dev = 0, n;
	int ret;

	if (inode->chunkbits > 62)
		return map_fail(inode, EROFS_PROB_CHUNK_FORMAT, EFSCORRUPTED,
				"chunk size too large", map->la);
	chunk = map->la >> inode->chunkbits;
	pos = EROFS_ROUND_UP(erofs_inode_end(inode), unit) + chunk * unit;
	if (indexes) {
		struct erofs_inode_chunk_index idx;

		ret = erofs_meta_read(img, inode->in_metabox, &idx, sizeof(idx),
				      pos, EROFS_PROB_DATA_RANGE);
		if (ret)
			return ret;
		blk = erofs_le32(idx.startblk_lo);
		nullblk = EROFS_NULL_ADDR32;
		if (inode->chunkformat & EROFS_CHUNK_FORMAT_48BIT) {
			blk |= (uint64_t)erofs_le16(idx.startblk_hi) << 32;
			nullblk = 0xFFFFFFFFFFFFULL;
		}
		/*
		 * The kernel masks device ids to the table's power of two
		 * (device_id_mask): what masks to 0 is the primary device.
		 */
		dev = erofs_le16(idx.device_id);
		for (n = 1; n < img->extra_devices + 1; n <<= 1)
			;
		dev &= n - 1;
	} else {
		__le32 b;

		ret = erofs_meta_read(img, inode->in_metabox, &b, sizeof(b),
				      pos, EROFS_PROB_DATA_RANGE);
		if (ret)
			return ret;
		blk = erofs_le32(b);
		nullblk = EROFS_NULL_ADDR32;
	}
	map->la = chunk << inode->chunkbits;
	maxlen = 1ULL << inode->chunkbits;
	map->llen = EROFS_MIN(maxlen, inode->size - map->la);
	map->device = dev;
	if (blk == nullblk) {
		map->kind = EROFS_MAP_HOLE;
		return 0;
	}
	if (dev) {
		if (dev > img->extra_devices)
			return map_fail(inode, EROFS_PROB_CHUNK_DEVICE,
					EFSCORRUPTED, "chunk device id invalid",
					map->la);
		/*
		 * Devices given: the address is on that device.  None
		 * given: the kernel's flat view, the device's data inside
		 * this image at its mapped_blkaddr; when it is not mapped
		 * or lies past the image end, it cannot be read here.
		 */
		if (!img->nr_dev_io) {
			uint64_t ua = img->devices[dev - 1].uniaddr;
			uint64_t nb = EROFS_DIV_ROUND_UP(map->llen,
							 (uint64_t)img->blksz);

			/* the flat view reads past the device: another's
			   data, or past the file */
			if (ua && (blk > img->devices[dev - 1].blocks ||
				   img->devices[dev - 1].blocks - blk < nb))
				return map_fail(inode, EROFS_PROB_DATA_RANGE,
						EFSCORRUPTED,
						"chunk past the end of its device",
						map->la);
			uint64_t end = ((blk + ua) << bits) +
				EROFS_ROUND_UP(map->llen, (uint64_t)img->blksz);

			if (ua && blk <= (UINT64_MAX >> bits) - ua -
			    (maxlen >> bits) && end <= img->size) {
				blk += ua;
				dev = 0;
			}
		}
		map->device = dev;
	}
	if (blk > (UINT64_MAX >> bits) - (maxlen >> bits))
		return map_fail(inode, EROFS_PROB_DATA_RANGE, EFSCORRUPTED,
				"chunk address overflow", map->la);
	map->kind = EROFS_MAP_MAPPED;
	map->pa = blk << bits;
	if (map->device)	/* checked as it is read (erofs_dev_read) */
		return 0;
	return check_phys(inode, map->pa,
			  EROFS_ROUND_UP(map->llen, (uint64_t)img->blksz),
			  map->la);
}

int erofs_map_blocks(struct erofs_inode *inode, struct erofs_map *map)
{
	map->kind = EROFS_MAP_HOLE;
	map->pa = 0;
	map->device = 0;
	map->in_metabox = false;
	if (map->la >= inode->size)
		return -EINVAL;
	switch (inode->datalayout) {
	case EROFS_INODE_FLAT_PLAIN:
	case EROFS_INODE_FLAT_INLINE:
		return map_flat(inode, map);
	case EROFS_INODE_CHUNK_BASED:
		return map_chunk(inode, map);
	case EROFS_INODE_COMPRESSED_FULL:
	case EROFS_INODE_COMPRESSED_COMPACT:
		/* mapped through a session (erofs_data_map) */
		return erofs_image_fail(inode->img, EROFS_PROB_DATA_UNSUPPORTED,
			EOPNOTSUPP, "nid %llu: compressed extents need a read session",
			(unsigned long long)inode->nid);
	}
	return erofs_image_fail(inode->img, EROFS_PROB_INODE_LAYOUT, EOPNOTSUPP,
		"nid %llu: unsupported datalayout %u",
		(unsigned long long)inode->nid, inode->datalayout);
}

static int read_flat(struct erofs_inode *inode, void *buf, size_t len,
		     uint64_t off)
{
	unsigned char *p = buf;
	struct erofs_map map;
	int ret;

	while (len) {
		uint64_t skip, n;

		map.la = off;
		ret = erofs_map_blocks(inode, &map);
		if (ret)
			return ret;
		skip = off - map.la;
		if (map.llen <= skip)	/* a mapper bug: never loop forever */
			return -EFSCORRUPTED;
		n = EROFS_MIN(map.llen - skip, (uint64_t)len);
		if (map.kind == EROFS_MAP_HOLE) {
			memset(p, 0, n);
		} else {
			ret = map.in_metabox ?
				erofs_meta_read(inode->img, true, p, n,
						map.pa + skip,
						EROFS_PROB_DATA_RANGE) :
				erofs_dev_read(inode->img, map.device, p, n,
					       map.pa + skip);
			if (ret)
				return ret;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* ---- compressed layouts: callbacks for lib/zmap.c ---- */
static int z_read_meta(void *priv, void *buf, size_t len, uint64_t off)
{
	struct erofs_inode *inode = priv;

	return erofs_meta_read(inode->img, inode->in_metabox, buf, len, off,
			       EROFS_PROB_COMPRESSED);
}

static int z_read_data(void *priv, void *buf, size_t len, uint64_t off)
{
	struct erofs_inode *inode = priv;

	return erofs_dev_read(inode->img, 0, buf, len, off);
}

/*
 * Read from the packed or metabox inode: the outermost read goes through
 * the image's kept session (*sess), so small files whose fragments share
 * a pcluster, or inodes and indexes in one metabox pcluster, decode it
 * once; a nested read (the packed inode's own tail) would reenter that
 * session and is one-shot.  So are memory images, which may change under
 * us (the metadata cache skips them too).
 */
static int session_read(struct erofs_image *img, struct erofs_inode *inode,
			struct erofs_data_ctx **sess, void *buf, size_t len,
			uint64_t off)
{
	struct erofs_data_ctx *d;
	int ret;

	if (!img->depth && !img->io->cheap_reads && !*sess) {
		d = calloc(1, sizeof(*d));
		if (!d)
			return -ENOMEM;
		ret = erofs_data_open(d, inode);
		if (ret) {
			free(d);
			return ret;
		}
		*sess = d;
	}
	img->depth++;
	if (img->depth == 1 && *sess)
		ret = erofs_data_read(*sess, buf, len, off);
	else
		ret = erofs_read_data(inode, buf, len, off);
	img->depth--;
	return ret;
}

static int packed_session_read(struct erofs_image *img, void *buf, size_t len,
			       uint64_t off)
{
	return session_read(img, &img->packed, &img->packed_data, buf, len,
			    off);
}

/*
 * A metabox up to this size is decoded whole at its first read: inodes
 * are read in no order a single kept extent follows (the shared xattrs
 * near its start in between), and a 1 MiB LZMA extent decoded again for
 * every switch made fsck of 30,000 small files take minutes.
 */
#define EROFS_METABOX_WHOLE_MAX	(64ULL << 20)

static void metabox_load_whole(struct erofs_image *img)
{
	struct erofs_log quiet = { .level = -1 };
	struct erofs_log *log = img->log;
	unsigned int problem = img->problem;
	uint8_t *b;
	int ret;

	img->metabox_tried = true;
	if (!img->metabox.size || img->metabox.size > EROFS_METABOX_WHOLE_MAX)
		return;
	b = malloc((size_t)img->metabox.size);
	if (!b)
		return;
	/*
	 * Silently: a damaged pcluster is reported, with its own message,
	 * by the read that needs it (through the session below)
	 */
	img->log = &quiet;
	img->depth++;
	ret = erofs_read_data(&img->metabox, b, (size_t)img->metabox.size, 0);
	img->depth--;
	img->log = log;
	img->problem = problem;
	if (ret)
		free(b);
	else
		img->metabox_whole = b;
}

int erofs_metabox_read(struct erofs_image *img, void *buf, size_t len,
		       uint64_t off)
{
	if (!img->metabox_tried && !img->depth && !img->io->cheap_reads)
		metabox_load_whole(img);
	if (img->metabox_whole) {	/* the caller checked the range */
		memcpy(buf, img->metabox_whole + off, len);
		return 0;
	}
	return session_read(img, &img->metabox, &img->metabox_data, buf, len,
			    off);
}

int erofs_packed_read(struct erofs_image *img, void *buf, size_t len,
		      uint64_t off)
{
	if (!img->packed.img || off > img->packed.size ||
	    len > img->packed.size - off)
		return erofs_image_fail(img, EROFS_PROB_Z_HEADER, EFSCORRUPTED,
			"range %llu+%zu past the packed inode",
			(unsigned long long)off, len);
	if (img->depth > 2)
		return erofs_image_fail(img, EROFS_PROB_Z_HEADER, EFSCORRUPTED,
					"nested packed inode references");
	return packed_session_read(img, buf, len, off);
}

static int z_read_packed(void *priv, void *buf, size_t len, uint64_t off)
{
	struct erofs_inode *inode = priv;
	struct erofs_image *img = inode->img;

	if (!img->packed.img)
		return erofs_image_fail(img, EROFS_PROB_Z_HEADER,
			EFSCORRUPTED, "nid %llu: fragment without a packed inode",
			(unsigned long long)inode->nid);
	if (off > img->packed.size || len > img->packed.size - off)
		return erofs_image_fail(img, EROFS_PROB_Z_HEADER,
			EFSCORRUPTED, "nid %llu: fragment past the packed inode",
			(unsigned long long)inode->nid);
	/* the packed inode's own tail could point into itself */
	if (img->depth > 2)
		return erofs_image_fail(img, EROFS_PROB_Z_HEADER,
			EFSCORRUPTED, "nid %llu: nested fragment references",
			(unsigned long long)inode->nid);
	return packed_session_read(img, buf, len, off);
}

/*
 * zmap reports through the log and its fault only: give its failures a
 * problem code (unless a read callback already named one)
 */
static int z_result(struct erofs_inode *inode, const struct erofs_z_inode *zi,
		    unsigned int before, int ret)
{
	static const unsigned int code[] = {
		[EROFS_Z_FAULT_NONE] = EROFS_PROB_COMPRESSED,
		[EROFS_Z_FAULT_HEADER] = EROFS_PROB_Z_HEADER,
		[EROFS_Z_FAULT_INDEX] = EROFS_PROB_Z_INDEX,
		[EROFS_Z_FAULT_ALGORITHM] = EROFS_PROB_Z_ALGORITHM,
		[EROFS_Z_FAULT_DATA] = EROFS_PROB_COMPRESSED,
		[EROFS_Z_FAULT_UNBUILT] = EROFS_PROB_DATA_UNSUPPORTED,
	};
	struct erofs_image *img = inode->img;

	if (ret && img->problem == before)
		img->problem = zi->fault < EROFS_ARRAY_SIZE(code) ?
			code[zi->fault] : EROFS_PROB_COMPRESSED;
	if (ret == -EIO || ret == -EINVAL)	/* zmap's "out of range" */
		ret = -EFSCORRUPTED;
	return ret;
}

int erofs_data_open(struct erofs_data_ctx *d, struct erofs_inode *inode)
{
	struct erofs_image *img = inode->img;
	struct erofs_z_params p;
	int ret;

	d->inode = inode;
	d->z = NULL;
	if (!erofs_inode_is_compressed(inode))
		return 0;
	memset(&p, 0, sizeof(p));
	p.nid = inode->nid;
	p.i_size = inode->size;
	p.blkszbits = img->blkszbits;
	p.datalayout = inode->datalayout;
	p.inode_end = erofs_inode_end(inode);
	p.feature_incompat = img->feature_incompat;
	p.available_compr_algs = img->available_compr_algs;
	p.read_meta = z_read_meta;
	p.read_data = z_read_data;
	p.read_packed = img->packed.img ? z_read_packed : NULL;
	p.priv = inode;
	p.log = img->log;
	p.dctx = &img->dctx;
	d->z = calloc(1, sizeof(*d->z));
	if (!d->z)
		return -ENOMEM;
	img->problem = EROFS_PROB_NONE;
	ret = z_result(inode, d->z, EROFS_PROB_NONE,
		       erofs_z_inode_init(d->z, &p));
	if (ret) {
		erofs_z_inode_release(d->z);
		free(d->z);
		d->z = NULL;
	}
	return ret;
}

void erofs_data_close(struct erofs_data_ctx *d)
{
	if (d->z) {
		erofs_z_inode_release(d->z);
		free(d->z);
		d->z = NULL;
	}
}

int erofs_data_read(struct erofs_data_ctx *d, void *buf, size_t len,
		    uint64_t off)
{
	struct erofs_inode *inode = d->inode;

	if (off > inode->size || len > inode->size - off)
		return -EINVAL;
	if (!d->z)
		return read_flat(inode, buf, len, off);
	inode->img->problem = EROFS_PROB_NONE;
	return z_result(inode, d->z, EROFS_PROB_NONE,
			erofs_z_read(d->z, buf, len, off));
}

int erofs_data_map(struct erofs_data_ctx *d, struct erofs_map *map)
{
	struct erofs_inode *inode = d->inode;
	struct erofs_z_map zm;
	int ret;

	if (!d->z) {
		map->plen = 0;
		map->alg = 0;
		map->zflags = 0;
		return erofs_map_blocks(inode, map);
	}
	if (map->la >= inode->size)
		return -EINVAL;
	inode->img->problem = EROFS_PROB_NONE;
	ret = z_result(inode, d->z, EROFS_PROB_NONE,
		       erofs_z_map(d->z, map->la, &zm));
	if (ret)
		return ret;
	/* a mapper must make progress and cover the offset asked for */
	if (zm.la > map->la || zm.la + zm.llen <= map->la)
		return erofs_image_fail(inode->img, EROFS_PROB_COMPRESSED,
			EFSCORRUPTED, "nid %llu: extent map does not cover %llu",
			(unsigned long long)inode->nid,
			(unsigned long long)map->la);
	map->la = zm.la;
	map->llen = zm.llen;
	map->pa = zm.pa;
	map->plen = zm.plen;
	map->alg = zm.alg;
	map->zflags = zm.flags;
	map->device = 0;
	map->in_metabox = (zm.flags & EROFS_Z_MAP_INLINE) && inode->in_metabox;
	/* a compressed file's hole reads as zeros, as a flat file's does */
	map->kind = (zm.flags & EROFS_Z_MAP_HOLE) ? EROFS_MAP_HOLE :
		    EROFS_MAP_COMPRESSED;
	return 0;
}

int erofs_read_data(struct erofs_inode *inode, void *buf, size_t len,
		    uint64_t off)
{
	struct erofs_data_ctx d;
	int ret;

	if (off > inode->size || len > inode->size - off)
		return -EINVAL;
	if (!erofs_inode_is_compressed(inode))
		return read_flat(inode, buf, len, off);
	ret = erofs_data_open(&d, inode);
	if (ret)
		return ret;
	ret = erofs_data_read(&d, buf, len, off);
	erofs_data_close(&d);
	return ret;
}
