// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * inode.c - parse compact and extended inodes with the kernel's iget checks
 * (format.md 3.x and section 8 items 12-14).
 */
#include <string.h>
#include "erofs/reader.h"

erofs_off_t erofs_nid_to_pos(const struct erofs_image *img, erofs_nid_t nid,
			     bool *in_metabox)
{
	*in_metabox = (nid & EROFS_NID_METABOX_BIT) &&
		(img->feature_incompat & EROFS_FEATURE_INCOMPAT_METABOX);
	if (*in_metabox)
		return (nid & ~EROFS_NID_METABOX_BIT) << EROFS_ISLOTBITS;
	return ((erofs_off_t)img->meta_blkaddr << img->blkszbits) +
		(nid << EROFS_ISLOTBITS);
}

static bool all_zero(const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len--)
		if (*c++)
			return false;
	return true;
}

int erofs_inode_read(struct erofs_image *img, erofs_nid_t nid,
		     struct erofs_inode *inode)
{
	union {
		struct erofs_inode_compact c;
		struct erofs_inode_extended e;
	} raw;
	bool meta, null48;
	erofs_off_t pos, end;
	int ret;

	memset(inode, 0, sizeof(*inode));
	if ((nid & EROFS_NID_METABOX_BIT) &&
	    !(img->feature_incompat & EROFS_FEATURE_INCOMPAT_METABOX))
		return erofs_image_fail(img, EROFS_PROB_INODE_NID, EFSCORRUPTED,
			"nid %llu: metabox nid without the METABOX feature",
			(unsigned long long)nid);
	/* guard the shift in erofs_nid_to_pos against wrapping */
	if ((nid & ~EROFS_NID_METABOX_BIT) > (UINT64_MAX >> (EROFS_ISLOTBITS + 1)))
		return erofs_image_fail(img, EROFS_PROB_INODE_NID, EFSCORRUPTED,
			"nid %llu out of range", (unsigned long long)nid);
	pos = erofs_nid_to_pos(img, nid, &meta);
	ret = erofs_meta_read(img, meta, &raw.c, sizeof(raw.c), pos,
			      EROFS_PROB_INODE_RANGE);
	if (ret) {
		erofs_err(img->log, "nid %llu: cannot read the inode",
			  (unsigned long long)nid);
		return ret;
	}
	inode->img = img;
	inode->nid = nid;
	inode->iloc = pos;
	inode->in_metabox = meta;
	inode->i_format = erofs_le16(raw.c.i_format);
	if (inode->i_format & ~EROFS_I_ALL)
		return erofs_image_fail(img, EROFS_PROB_INODE_FORMAT, EOPNOTSUPP,
			"nid %llu: unsupported i_format 0x%04x",
			(unsigned long long)nid, inode->i_format);
	inode->version = erofs_i_version(inode->i_format);
	inode->datalayout = erofs_i_datalayout(inode->i_format);
	if (inode->datalayout >= EROFS_INODE_DATALAYOUT_MAX)
		return erofs_image_fail(img, EROFS_PROB_INODE_LAYOUT, EOPNOTSUPP,
			"nid %llu: unsupported datalayout %u",
			(unsigned long long)nid, inode->datalayout);
	inode->xattr_icount = erofs_le16(raw.c.i_xattr_icount);
	inode->xattr_isize = erofs_xattr_ibody_size(inode->xattr_icount);
	inode->mode = erofs_le16(raw.c.i_mode);
	inode->i_nb = erofs_le16(raw.c.i_nb);
	inode->i_u = erofs_le32(raw.c.i_u.startblk_lo);
	inode->ino = erofs_le32(raw.c.i_ino);

	if (inode->version == EROFS_INODE_LAYOUT_EXTENDED) {
		inode->inode_isize = sizeof(raw.e);
		/* an extended inode may straddle two blocks: read the rest */
		ret = erofs_meta_read(img, meta, (char *)&raw.e + sizeof(raw.c),
				      sizeof(raw.e) - sizeof(raw.c),
				      pos + sizeof(raw.c), EROFS_PROB_INODE_RANGE);
		if (ret)
			return ret;
		inode->size = erofs_le64(raw.e.i_size);
		inode->uid = erofs_le32(raw.e.i_uid);
		inode->gid = erofs_le32(raw.e.i_gid);
		inode->mtime = (int64_t)erofs_le64(raw.e.i_mtime);
		inode->mtime_nsec = erofs_le32(raw.e.i_mtime_nsec);
		inode->nlink = erofs_le32(raw.e.i_nlink);
		inode->startblk = inode->i_u | (uint64_t)inode->i_nb << 32;
		null48 = true;
		inode->reserved_nonzero = !all_zero(raw.e.i_reserved2,
						    sizeof(raw.e.i_reserved2));
	} else {
		inode->inode_isize = sizeof(raw.c);
		inode->size = erofs_le32(raw.c.i_size);
		inode->uid = erofs_le16(raw.c.i_uid);
		inode->gid = erofs_le16(raw.c.i_gid);
		inode->mtime = (int64_t)(img->epoch + erofs_le32(raw.c.i_mtime));
		inode->mtime_nsec = img->fixed_nsec;
		inode->nlink_1 = !S_ISDIR(inode->mode) &&
			(inode->i_format & (1 << EROFS_I_NLINK_1_BIT));
		if (inode->nlink_1) {
			inode->nlink = 1;
			inode->startblk = inode->i_u |
				(uint64_t)inode->i_nb << 32;
			null48 = true;
		} else {
			inode->nlink = inode->i_nb;
			inode->startblk = inode->i_u;
			null48 = false;
		}
		inode->reserved_nonzero = raw.c.i_reserved != 0;
	}
	inode->startblk_null = null48 ?
		inode->startblk == 0xFFFFFFFFFFFFULL :
		inode->startblk == EROFS_NULL_ADDR32;
	if (S_ISDIR(inode->mode))
		inode->dot_omitted =
			inode->i_format & (1 << EROFS_I_DOT_OMITTED_BIT);

	switch (inode->mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
		break;
	case S_IFCHR:
	case S_IFBLK:
		inode->rdev = inode->i_u;
		break;
	case S_IFIFO:
	case S_IFSOCK:
		break;
	default:
		return erofs_image_fail(img, EROFS_PROB_INODE_MODE, EFSCORRUPTED,
			"nid %llu: bogus i_mode 0%o", (unsigned long long)nid,
			inode->mode);
	}
	if ((int64_t)inode->size < 0)
		return erofs_image_fail(img, EROFS_PROB_INODE_SIZE, EFSCORRUPTED,
			"nid %llu: negative i_size %lld", (unsigned long long)nid,
			(long long)inode->size);
	if (inode->datalayout == EROFS_INODE_CHUNK_BASED) {
		inode->chunkformat = inode->i_u & 0xFFFF;
		if (inode->chunkformat & ~EROFS_CHUNK_FORMAT_ALL)
			return erofs_image_fail(img, EROFS_PROB_CHUNK_FORMAT,
				EOPNOTSUPP, "nid %llu: unsupported chunk format 0x%x",
				(unsigned long long)nid, inode->chunkformat);
		inode->chunkbits = img->blkszbits +
			(inode->chunkformat & EROFS_CHUNK_FORMAT_BLKBITS_MASK);
	}
	/* the whole inode body (inode + xattr area) must be readable */
	end = erofs_inode_end(inode);
	if (meta ? end > img->metabox.size : end > img->size)
		return erofs_image_fail(img, EROFS_PROB_INODE_RANGE, EFSCORRUPTED,
			"nid %llu: inode body ends at %llu, past the end",
			(unsigned long long)nid, (unsigned long long)end);
	return 0;
}
