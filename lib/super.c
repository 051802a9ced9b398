// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * super.c - open an image: superblock checks (format.md section 8, items
 * 1-11), device table, compression configuration records and the long
 * xattr prefix table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/compress.h"
#include "erofs/crc32c.h"
#include "erofs/reader.h"

int erofs_image_fail(struct erofs_image *img, unsigned int code, int err,
		     const char *fmt, ...)
{
	va_list ap;

	img->problem = code;
	va_start(ap, fmt);
	erofs_log_vemit(img->log, EROFS_LOG_ERR, fmt, ap);
	va_end(ap);
	return -err;
}

/*
 * 64 KiB at 4 KiB blocks, per image opened to walk it.
 * 64 slots cost 0.6 MiB of fsck's peak RSS at two workers and saved no
 * time over 16, even on /usr/share/doc (the metadata-heaviest tree).
 * The least recently used slot is refilled, not the one the block
 * number picks: a walk comes back to the inode block of each directory
 * level above it, and two levels whose blocks met in one direct-mapped
 * slot read them again at every step (4% more reads for dump -S and
 * fsck on a 143 MB rootfs image).
 */
#define MCACHE_SLOTS	16
/*
 * An image opened to read single files (EROFS_OPEN_FILE_READER: fsck's
 * workers, each reading one file's inode and indexes at a time): 16 KiB.
 * A two-worker check of a 143 MB rootfs then peaks 0.1 MiB lower, with 2%
 * more reads (12,362 to 12,613 pread) and the same time.
 */
#define MCACHE_FILE_SLOTS	4

/* the slot holding blk, or the one to fill with it (*hit false) */
static unsigned int mcache_slot(struct erofs_image *img, erofs_blk_t blk,
				bool *hit)
{
	struct erofs_mcache_tag *t = img->mcache_tag;
	unsigned int i, victim = 0;

	*hit = true;
	if (t[img->mcache_last].blk1 == blk + 1)
		return img->mcache_last;
	for (i = 0; i < img->mcache_slots; i++) {
		if (t[i].blk1 == blk + 1)
			return i;
		if (t[i].used < t[victim].used)
			victim = i;
	}
	*hit = false;
	return victim;
}

/* bytes [pos, pos + len) of the image (in range), through the cache */
static int meta_cache_read(struct erofs_image *img, void *buf, size_t len,
			   erofs_off_t pos)
{
	unsigned int bs = img->blksz;
	uint8_t *out = buf;

	/*
	 * Not before the superblock is parsed, nor for memory images, nor
	 * for reads of a block or more: those are mostly file data
	 * (pclusters, directory and file blocks), read once, which the
	 * cache would copy twice and which would push the inode blocks out
	 * of it.
	 */
	if (!bs || len >= (size_t)bs || img->io->cheap_reads)
		return erofs_io_pread(img->io, buf, len, pos);
	if (!img->mcache) {
		img->mcache = malloc((size_t)img->mcache_slots * bs);
		img->mcache_tag = calloc(img->mcache_slots,
					 sizeof(*img->mcache_tag));
		if (!img->mcache || !img->mcache_tag) {
			free(img->mcache);
			free(img->mcache_tag);
			img->mcache = NULL;
			img->mcache_tag = NULL;
			/* still correct without it */
			return erofs_io_pread(img->io, buf, len, pos);
		}
	}
	while (len) {
		erofs_blk_t blk = pos / bs;
		unsigned int off = pos % bs, slot;
		size_t n = EROFS_MIN(len, (size_t)(bs - off));
		uint8_t *b;
		bool hit;

		slot = mcache_slot(img, blk, &hit);
		b = img->mcache + (size_t)slot * bs;
		if (!hit) {
			/* the image may end inside its last block */
			uint64_t start = (uint64_t)blk * bs;
			size_t have = (size_t)EROFS_MIN((uint64_t)bs,
							img->size - start);
			int ret = erofs_io_pread(img->io, b, have, start);

			if (ret) {
				img->mcache_tag[slot].blk1 = 0;
				img->mcache_tag[slot].used = 0;
				return ret;
			}
			memset(b + have, 0, bs - have);
			img->mcache_tag[slot].blk1 = blk + 1;
		}
		img->mcache_tag[slot].used = ++img->mcache_clock;
		img->mcache_last = slot;
		memcpy(out, b + off, n);
		out += n;
		pos += n;
		len -= n;
	}
	return 0;
}

int erofs_meta_read(struct erofs_image *img, bool in_metabox, void *buf,
		    size_t len, erofs_off_t pos, unsigned int code)
{
	int ret;

	if (in_metabox) {
		if (!(img->feature_incompat & EROFS_FEATURE_INCOMPAT_METABOX) ||
		    !img->metabox.img)
			return erofs_image_fail(img, code, EFSCORRUPTED,
				"metabox address %llu without a metabox inode",
				(unsigned long long)pos);
		if (pos > img->metabox.size || len > img->metabox.size - pos)
			return erofs_image_fail(img, code, EFSCORRUPTED,
				"metabox range %llu+%zu past its end %llu",
				(unsigned long long)pos, len,
				(unsigned long long)img->metabox.size);
		/* metabox data may itself reference metadata: bound nesting */
		if (img->depth > 2)
			return erofs_image_fail(img, code, EFSCORRUPTED,
						"metabox recursion");
		return erofs_metabox_read(img, buf, len, pos);
	}
	if (pos > img->size || len > img->size - pos)
		return erofs_image_fail(img, code, EFSCORRUPTED,
			"metadata range %llu+%zu past the image end %llu",
			(unsigned long long)pos, len,
			(unsigned long long)img->size);
	ret = meta_cache_read(img, buf, len, pos);
	if (ret)
		return erofs_image_fail(img, EROFS_PROB_DATA_READ, -ret,
			"read error at %llu: %s", (unsigned long long)pos,
			strerror(-ret));
	return 0;
}

/*
 * Variable-length metadata records (compression configs, long prefixes):
 * 4-byte aligned, a le16 length, then the payload; the kernel reads them
 * piecewise so they may cross blocks.
 */
static int read_record(struct erofs_image *img, int space, erofs_off_t *pos,
		       void *buf, size_t bufsz, size_t *len, unsigned int code)
{
	__le16 l;
	int ret;

	*pos = EROFS_ROUND_UP(*pos, 4);
	if (space == 2) {
		if (*pos > img->packed.size || img->packed.size - *pos < 2)
			return erofs_image_fail(img, code, EFSCORRUPTED,
				"record at %llu past the packed inode",
				(unsigned long long)*pos);
		ret = erofs_packed_read(img, &l, 2, *pos);
	} else {
		ret = erofs_meta_read(img, space == 1, &l, 2, *pos, code);
	}
	if (ret)
		return ret;
	*len = erofs_le16(l);
	if (!*len || *len > bufsz)
		return erofs_image_fail(img, code, EFSCORRUPTED,
			"record at %llu has invalid length %zu",
			(unsigned long long)*pos, *len);
	if (space == 2) {
		if (img->packed.size - *pos - 2 < *len)
			return erofs_image_fail(img, code, EFSCORRUPTED,
				"record at %llu past the packed inode",
				(unsigned long long)*pos);
		ret = erofs_packed_read(img, buf, *len, *pos + 2);
	} else {
		ret = erofs_meta_read(img, space == 1, buf, *len, *pos + 2,
				      code);
	}
	if (ret)
		return ret;
	*pos += 2 + *len;
	return 0;
}

static int load_compr_cfgs(struct erofs_image *img)
{
	static const size_t minsz[Z_EROFS_COMPRESSION_MAX] = {
		sizeof(struct z_erofs_lz4_cfgs),
		sizeof(struct z_erofs_lzma_cfgs),
		sizeof(struct z_erofs_deflate_cfgs),
		sizeof(struct z_erofs_zstd_cfgs),
	};
	erofs_off_t pos = EROFS_SUPER_OFFSET + img->sb_size;
	unsigned char rec[256];
	unsigned int alg;
	size_t len;
	int ret;

	img->cfg_end = pos;
	if (!(img->feature_incompat & EROFS_FEATURE_INCOMPAT_COMPR_CFGS))
		return 0;
	img->available_compr_algs = erofs_le16(img->sb.u1.available_compr_algs);
	if (img->available_compr_algs & ~Z_EROFS_ALL_COMPR_ALGS)
		return erofs_image_fail(img, EROFS_PROB_SB_COMPR_CFGS,
			EFSCORRUPTED, "unknown compression algorithms 0x%x",
			img->available_compr_algs);
	for (alg = 0; alg < Z_EROFS_COMPRESSION_MAX; alg++) {
		if (!(img->available_compr_algs & (1U << alg)))
			continue;
		ret = read_record(img, 0, &pos, rec, sizeof(rec), &len,
				  EROFS_PROB_SB_COMPR_CFGS);
		if (ret)
			return ret;
		if (len < minsz[alg])
			return erofs_image_fail(img, EROFS_PROB_SB_COMPR_CFGS,
				EFSCORRUPTED,
				"compression config %u too short (%zu bytes)",
				alg, len);
		/*
		 * The kernel refuses to mount on a value its decoder cannot
		 * take (a dictionary, window or pcluster limit), whether or
		 * not this build has the algorithm: the rows check anyway.
		 */
		if (erofs_compress_check_cfg(alg, rec, len, img->blkszbits,
					     img->log))
			return erofs_image_fail(img, EROFS_PROB_SB_COMPR_CFGS,
				EFSCORRUPTED,
				"compression config %u has values the kernel refuses",
				alg);
		if (alg == Z_EROFS_COMPRESSION_LZMA)
			img->lzma_dictsize = rec[0] | rec[1] << 8 |
					     rec[2] << 16 | (uint32_t)rec[3] << 24;
	}
	img->cfg_end = pos;
	return 0;
}

static int load_devices(struct erofs_image *img)
{
	erofs_off_t pos;
	unsigned int i;
	int ret;

	if (!(img->feature_incompat & EROFS_FEATURE_INCOMPAT_DEVICE_TABLE))
		return 0;
	img->extra_devices = erofs_le16(img->sb.extra_devices);
	if (!img->extra_devices)
		return 0;
	img->devices = calloc(img->extra_devices, sizeof(*img->devices));
	if (!img->devices)
		return -ENOMEM;
	pos = (erofs_off_t)erofs_le16(img->sb.devt_slotoff) *
		EROFS_DEVT_SLOT_SIZE;
	for (i = 0; i < img->extra_devices; i++) {
		struct erofs_deviceslot ds;

		ret = erofs_meta_read(img, false, &ds, sizeof(ds),
				      pos + (erofs_off_t)i * sizeof(ds),
				      EROFS_PROB_SB_DEVICE_TABLE);
		if (ret)
			return ret;
		memcpy(img->devices[i].tag, ds.tag, sizeof(ds.tag));
		/*
		 * The high halves' layout is disputed (format.md 5): both
		 * headers agree on a little-endian blocks_hi whose low 16
		 * bits are at byte 72, which is all a 48-bit count needs;
		 * only 48BIT images use it.  uniaddr: the _lo field only.
		 */
		img->devices[i].blocks = erofs_le32(ds.blocks_lo);
		if (img->feature_incompat & EROFS_FEATURE_INCOMPAT_48BIT)
			img->devices[i].blocks |= (uint64_t)(erofs_le32(
				ds.blocks_hi) & 0xFFFF) << 32;
		img->devices[i].uniaddr = erofs_le32(ds.uniaddr_lo);
	}
	return 0;
}

static int load_prefixes(struct erofs_image *img)
{
	unsigned char rec[257];
	erofs_off_t pos;
	unsigned int i;
	size_t len;
	int space = 0, ret;

	/*
	 * Like the kernel, whether or not XATTR_PREFIXES is set: it loads
	 * (and refuses to mount without) any table the count announces.
	 */
	img->xattr_prefix_count = img->sb.xattr_prefix_count;
	if (!img->xattr_prefix_count)
		return 0;
	if (img->feature_compat & EROFS_FEATURE_COMPAT_PLAIN_XATTR_PFX)
		space = 0;
	else if (img->feature_incompat & EROFS_FEATURE_INCOMPAT_METABOX)
		space = 1;
	else if (img->packed.img)
		space = 2;
	img->prefix_space = space;
	img->prefixes = calloc(img->xattr_prefix_count,
			       sizeof(*img->prefixes));
	if (!img->prefixes)
		return -ENOMEM;
	pos = (erofs_off_t)erofs_le32(img->sb.xattr_prefix_start) * 4;
	img->prefix_table_start = pos;
	for (i = 0; i < img->xattr_prefix_count; i++) {
		struct erofs_xattr_prefix *p = &img->prefixes[i];

		ret = read_record(img, space, &pos, rec, 256, &len,
				  EROFS_PROB_SB_XATTR_PREFIX);
		if (ret)
			return ret;
		if (rec[0] > EROFS_XATTR_INDEX_SECURITY)
			return erofs_image_fail(img, EROFS_PROB_SB_XATTR_PREFIX,
				EFSCORRUPTED,
				"long xattr prefix %u has base index %u", i,
				rec[0]);
		p->base_index = rec[0];
		p->infix_len = len - 1;
		p->infix = malloc(len);
		if (!p->infix)
			return -ENOMEM;
		memcpy(p->infix, rec + 1, len - 1);
		p->infix[len - 1] = '\0';
	}
	img->prefix_table_end = pos;
	return 0;
}

static int load_special_inode(struct erofs_image *img, erofs_nid_t nid,
			      struct erofs_inode *inode, const char *what)
{
	int ret = erofs_inode_read(img, nid, inode);

	if (ret)
		return ret;
	if (!S_ISREG(inode->mode))
		return erofs_image_fail(img, EROFS_PROB_SB_PACKED_NID,
			EFSCORRUPTED, "%s inode (nid %llu) is not a regular file",
			what, (unsigned long long)nid);
	return 0;
}

static int check_sb(struct erofs_image *img, const unsigned char *blk0,
		    unsigned int flags)
{
	const struct erofs_super_block *sb = &img->sb;
	unsigned int extslots = sb->sb_extslots;

	if (erofs_le32(sb->magic) != EROFS_SUPER_MAGIC_V1)
		return erofs_image_fail(img, EROFS_PROB_SB_MAGIC, EINVAL,
			"cannot find a valid erofs superblock (magic 0x%08x)",
			erofs_le32(sb->magic));
	img->blkszbits = sb->blkszbits;
	if (img->blkszbits < EROFS_MIN_BLKSZBITS ||
	    img->blkszbits > EROFS_MAX_BLKSZBITS)
		return erofs_image_fail(img, EROFS_PROB_SB_BLKSZBITS,
			EFSCORRUPTED, "blkszbits %u isn't supported",
			img->blkszbits);
	img->blksz = 1U << img->blkszbits;
	/* the superblock checksum range must exist (2.3) */
	if (img->size < EROFS_SUPER_OFFSET + (img->blksz > EROFS_SUPER_OFFSET ?
			img->blksz - EROFS_SUPER_OFFSET : img->blksz))
		return erofs_image_fail(img, EROFS_PROB_IMAGE_TRUNCATED,
			EFSCORRUPTED, "image (%llu bytes) shorter than its superblock block",
			(unsigned long long)img->size);
	if (sb->dirblkbits)
		return erofs_image_fail(img, EROFS_PROB_SB_DIRBLKBITS,
			EFSCORRUPTED, "dirblkbits %u isn't supported",
			sb->dirblkbits);
	img->feature_compat = erofs_le32(sb->feature_compat);
	img->feature_incompat = erofs_le32(sb->feature_incompat);
	if ((img->feature_compat & EROFS_FEATURE_COMPAT_SB_CHKSUM) &&
	    !(flags & EROFS_OPEN_NO_SBCRC)) {
		uint32_t want = erofs_sb_checksum(blk0, img->blksz);

		if (want != erofs_le32(sb->checksum))
			return erofs_image_fail(img, EROFS_PROB_SB_CHECKSUM,
				EFSCORRUPTED,
				"invalid superblock checksum 0x%08x, 0x%08x expected",
				erofs_le32(sb->checksum), want);
	}
	img->sb_checksum_ok = true;
	if (img->feature_incompat & ~EROFS_ALL_FEATURE_INCOMPAT)
		return erofs_image_fail(img, EROFS_PROB_SB_INCOMPAT,
			EOPNOTSUPP, "unidentified incompatible feature 0x%x",
			img->feature_incompat & ~EROFS_ALL_FEATURE_INCOMPAT);
	img->sb_size = EROFS_SB_BASE_SIZE + 16 * extslots;
	if (img->sb_size > 4096 - EROFS_SUPER_OFFSET)
		return erofs_image_fail(img, EROFS_PROB_SB_EXTSLOTS,
			EFSCORRUPTED, "invalid sb_extslots %u (size %u)",
			extslots, img->sb_size);
	if (img->feature_incompat & EROFS_FEATURE_INCOMPAT_METABOX) {
		if (img->sb_size <= offsetof(struct erofs_super_block,
					     metabox_nid))
			return erofs_image_fail(img, EROFS_PROB_SB_METABOX,
				EFSCORRUPTED, "metabox without a superblock slot");
		img->metabox_nid = erofs_le64(sb->metabox_nid);
		if (img->metabox_nid & EROFS_NID_METABOX_BIT)
			return erofs_image_fail(img, EROFS_PROB_SB_METABOX,
				EFSCORRUPTED, "self-loop metabox nid %llu",
				(unsigned long long)img->metabox_nid);
	}
	if (img->feature_incompat & EROFS_FEATURE_INCOMPAT_FRAGMENTS) {
		img->packed_nid = erofs_le64(sb->packed_nid);
		if (img->packed_nid & EROFS_NID_METABOX_BIT)
			return erofs_image_fail(img, EROFS_PROB_SB_PACKED_NID,
				EFSCORRUPTED, "invalid packed nid %llu",
				(unsigned long long)img->packed_nid);
	}
	if ((img->feature_incompat & EROFS_FEATURE_INCOMPAT_48BIT) &&
	    erofs_le64(sb->rootnid_8b)) {
		img->root_nid = erofs_le64(sb->rootnid_8b);
		img->blocks = erofs_le32(sb->blocks_lo) |
			(uint64_t)erofs_le16(sb->rb.blocks_hi) << 32;
	} else {
		img->root_nid = erofs_le16(sb->rb.rootnid_2b);
		img->blocks = erofs_le32(sb->blocks_lo);
	}
	img->inos = erofs_le64(sb->inos);
	img->epoch = erofs_le64(sb->epoch);
	img->fixed_nsec = erofs_le32(sb->fixed_nsec);
	img->meta_blkaddr = erofs_le32(sb->meta_blkaddr);
	img->xattr_blkaddr = erofs_le32(sb->xattr_blkaddr);
	img->xattr_filter =
		(img->feature_compat & EROFS_FEATURE_COMPAT_XATTR_FILTER) &&
		!sb->xattr_filter_reserved;
	return 0;
}

int erofs_image_open(struct erofs_image *img, struct erofs_io *io,
		     struct erofs_log *log, unsigned int flags)
{
	unsigned char *blk0;
	size_t blk0len;
	int ret;

	memset(img, 0, sizeof(*img));
	img->io = io;
	img->log = log;
	img->mcache_slots = flags & EROFS_OPEN_FILE_READER ?
			    MCACHE_FILE_SLOTS : MCACHE_SLOTS;
	ret = erofs_io_size(io, &img->size);
	if (ret)
		return ret;
	if (img->size < EROFS_SUPER_OFFSET + EROFS_SB_BASE_SIZE)
		return erofs_image_fail(img, EROFS_PROB_SB_READ, EINVAL,
			"image too small (%llu bytes) for a superblock",
			(unsigned long long)img->size);
	/* the checksum covers up to 4 KiB: read what exists of it */
	blk0len = EROFS_MIN(img->size, 4096);
	blk0 = calloc(1, 4096);
	if (!blk0)
		return -ENOMEM;
	ret = erofs_io_pread(io, blk0, blk0len, 0);
	if (ret) {
		free(blk0);
		return erofs_image_fail(img, EROFS_PROB_SB_READ, -ret,
			"cannot read the superblock: %s", strerror(-ret));
	}
	memcpy(&img->sb, blk0 + EROFS_SUPER_OFFSET,
	       EROFS_MIN(sizeof(img->sb), blk0len - EROFS_SUPER_OFFSET));
	ret = check_sb(img, blk0, flags);
	free(blk0);
	if (ret)
		return ret;
	/* sb_size beyond 144 bytes is reserved space we do not interpret */
	if (img->size < EROFS_SUPER_OFFSET + img->sb_size)
		return erofs_image_fail(img, EROFS_PROB_IMAGE_TRUNCATED,
			EFSCORRUPTED, "superblock past the image end");
	if (img->sb_size < sizeof(img->sb))
		memset((char *)&img->sb + img->sb_size, 0,
		       sizeof(img->sb) - img->sb_size);

	if (img->feature_incompat & EROFS_FEATURE_INCOMPAT_METABOX) {
		ret = load_special_inode(img, img->metabox_nid, &img->metabox,
					 "metabox");
		if (ret)
			goto err;
	}
	ret = load_compr_cfgs(img);
	if (ret)
		goto err;
	ret = load_devices(img);
	if (ret)
		goto err;
	if (img->packed_nid) {
		ret = load_special_inode(img, img->packed_nid, &img->packed,
					 "packed");
		if (ret)
			goto err;
	}
	ret = load_prefixes(img);
	if (ret)
		goto err;
	if (img->feature_compat & EROFS_FEATURE_COMPAT_ISHARE_XATTRS) {
		img->ishare_prefix_id = img->sb.ishare_xattr_prefix_id;
		if (img->ishare_prefix_id >= img->xattr_prefix_count) {
			ret = erofs_image_fail(img, EROFS_PROB_SB_ISHARE_PREFIX,
				EFSCORRUPTED,
				"ishare xattr prefix id %u >= prefix count %u",
				img->ishare_prefix_id, img->xattr_prefix_count);
			goto err;
		}
	}
	{
		struct erofs_inode root;

		ret = erofs_inode_read(img, img->root_nid, &root);
		if (ret)
			goto err;
		if (!S_ISDIR(root.mode)) {
			ret = erofs_image_fail(img, EROFS_PROB_SB_ROOT,
				EFSCORRUPTED, "root inode (nid %llu) is not a directory",
				(unsigned long long)img->root_nid);
			goto err;
		}
	}
	img->problem = EROFS_PROB_NONE;
	return 0;
err:
	{
		unsigned int problem = img->problem;

		erofs_image_release(img);
		img->problem = problem;
	}
	return ret;
}

int erofs_image_add_device(struct erofs_image *img, struct erofs_io *io)
{
	if (img->nr_dev_io >= img->extra_devices)
		return -EINVAL;
	if (!img->dev_io) {
		img->dev_io = calloc(img->extra_devices, sizeof(*img->dev_io));
		if (!img->dev_io)
			return -ENOMEM;
	}
	img->dev_io[img->nr_dev_io++] = io;
	return 0;
}

int erofs_dev_read(struct erofs_image *img, unsigned int dev, void *buf,
		   size_t len, uint64_t off)
{
	unsigned int bits = img->blkszbits, i;
	struct erofs_io *io;
	int ret;

	/*
	 * As the kernel's erofs_map_dev(): with devices given, image
	 * addresses inside a slot's mapped range belong to that device.
	 */
	for (i = 0; !dev && i < img->nr_dev_io; i++) {
		uint64_t start = img->devices[i].uniaddr << bits;
		uint64_t end = start + (img->devices[i].blocks << bits);

		if (img->devices[i].uniaddr && off >= start && off < end) {
			dev = i + 1;
			off -= start;
		}
	}
	if (!dev)
		return erofs_meta_read(img, false, buf, len, off,
				       EROFS_PROB_DATA_RANGE);
	if (dev > img->nr_dev_io) {
		/* not logged: the caller says it once per device */
		img->problem = EROFS_PROB_DEVICE_MISSING;
		return -ENODEV;
	}
	io = img->dev_io[dev - 1];
	ret = erofs_io_pread(io, buf, len, off);
	if (ret == -ENODATA || ret == -EIO)
		return erofs_image_fail(img, EROFS_PROB_DATA_RANGE,
			EFSCORRUPTED, "device %u: %zu bytes at %llu past its end",
			dev, len, (unsigned long long)off);
	return ret;
}

void erofs_image_release(struct erofs_image *img)
{
	unsigned int i;

	if (!img)
		return;
	if (img->packed_data) {
		erofs_data_close(img->packed_data);
		free(img->packed_data);
		img->packed_data = NULL;
	}
	if (img->metabox_data) {
		erofs_data_close(img->metabox_data);
		free(img->metabox_data);
		img->metabox_data = NULL;
	}
	free(img->metabox_whole);
	img->metabox_whole = NULL;
	img->metabox_tried = false;
	free(img->dev_io);
	img->dev_io = NULL;
	img->nr_dev_io = 0;
	if (img->prefixes) {
		for (i = 0; i < img->xattr_prefix_count; i++)
			erofs_xattr_prefix_release(&img->prefixes[i]);
		free(img->prefixes);
	}
	img->prefixes = NULL;
	img->xattr_prefix_count = 0;
	free(img->devices);
	img->devices = NULL;
	img->extra_devices = 0;
	erofs_decompress_ctx_release(&img->dctx);
	free(img->mcache);
	free(img->mcache_tag);
	img->mcache = NULL;
	img->mcache_tag = NULL;
}
