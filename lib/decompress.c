// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * decompress.c - turn a mapped extent (lib/zmap.c) into decoded bytes, and
 * the erofs_z_read() entry point readers call for compressed inodes.
 */
#include <stdlib.h>
#include <string.h>
#include "erofs/array.h"
#include "erofs/erofs_fs.h"
#include "erofs/zmap.h"

const char *erofs_z_alg_name(unsigned int alg)
{
	static const char *const names[] = {
		"lz4", "lzma", "deflate", "zstd", "shifted", "interlaced",
	};

	return alg < EROFS_ARRAY_SIZE(names) ? names[alg] : "?";
}

static int extent_fail(struct erofs_z_inode *zi,
		       const struct erofs_z_map *map, enum erofs_z_fault fault,
		       const char *why)
{
	/* a decoder we lack is the only thing this reader cannot follow */
	int err = fault == EROFS_Z_FAULT_UNBUILT ? -EOPNOTSUPP : -EFSCORRUPTED;

	zi->fault = fault;
	erofs_err(zi->p.log,
		  "nid %llu: %s (%s extent %llu+%llu, pcluster %llu+%u)",
		  (unsigned long long)zi->p.nid, why, erofs_z_alg_name(map->alg),
		  (unsigned long long)map->la, (unsigned long long)map->llen,
		  (unsigned long long)map->pa, map->plen);
	return err;
}

/* PLAIN pclusters: raw bytes, possibly rotated (format.md 7.8) */
static int copy_plain(struct erofs_z_inode *zi,
		      const struct erofs_z_map *map, const uint8_t *in,
		      uint8_t *out)
{
	uint64_t bs = 1ULL << zi->p.blkszbits, head, first;

	if (map->llen > map->plen)
		return extent_fail(zi, map, EROFS_Z_FAULT_INDEX,
				   "plain extent longer than its pcluster");
	if (map->alg != EROFS_Z_ALG_INTERLACED ||
	    (map->flags & EROFS_Z_MAP_INLINE)) {
		/* SHIFTED, and inline tails, which are stored as is */
		memcpy(out, in, map->llen);
		return 0;
	}
	/*
	 * INTERLACED: the extent's first BS - la % BS bytes are the last
	 * bytes of the pcluster (for a one-block pcluster: at in-block
	 * offset la % BS), and the rest starts at the pcluster's beginning.
	 */
	head = bs - (map->la & (bs - 1));
	if (head > map->plen)
		return extent_fail(zi, map, EROFS_Z_FAULT_INDEX,
				   "interlaced pcluster smaller than a block");
	first = EROFS_MIN(head, map->llen);
	memcpy(out, in + (map->plen - head), first);
	memcpy(out + first, in, map->llen - first);
	return 0;
}

int erofs_z_read_extent(struct erofs_z_inode *zi,
			const struct erofs_z_map *map, void *out)
{
	const struct erofs_z_params *p = &zi->p;
	struct erofs_decompress_ctx *dctx = p->dctx ? p->dctx : &zi->own_dctx;
	bool zeropad = p->feature_incompat & EROFS_FEATURE_INCOMPAT_ZERO_PADDING;
	size_t start = 0, scan, in_cap;
	uint8_t *in;
	bool partial;
	int ret;

	zi->fault = EROFS_Z_FAULT_NONE;
	if (map->flags & EROFS_Z_MAP_HOLE) {
		memset(out, 0, map->llen);
		return 0;
	}
	if (map->flags & EROFS_Z_MAP_FRAGMENT) {
		/* the kernel's answer too: EFSCORRUPTED */
		if (!p->read_packed)
			return extent_fail(zi, map, EROFS_Z_FAULT_HEADER,
					   "fragment without a packed inode");
		return p->read_packed(p->priv, out, map->llen,
				      map->fragment_off);
	}
	if (!map->plen)
		return extent_fail(zi, map, EROFS_Z_FAULT_INDEX,
				   "empty pcluster");
	/*
	 * One buffer for the session's pclusters, not one per extent.  It
	 * is taken out of the context while in use: reading an inline
	 * pcluster from a compressed metabox decodes inside this call, with
	 * the same context.
	 */
	in = dctx->in;
	in_cap = dctx->in_cap;
	dctx->in = NULL;
	dctx->in_cap = 0;
	if (erofs_array_reserve(&in, &in_cap, map->plen)) {
		ret = -ENOMEM;
		goto out;
	}
	if (map->flags & EROFS_Z_MAP_INLINE)
		ret = p->read_meta(p->priv, in, map->plen, map->pa);
	else
		ret = p->read_data(p->priv, in, map->plen, map->pa);
	if (ret)
		goto out;

	if (map->alg >= Z_EROFS_COMPRESSION_MAX) {
		ret = copy_plain(zi, map, in, out);
		goto out;
	}
	/*
	 * 0PADDING puts the stream at the end of the pcluster; like the
	 * kernel, look for its first byte only within the first block.
	 * LZMA, DEFLATE and ZSTD are always stored that way.
	 */
	partial = map->flags & EROFS_Z_MAP_PARTIAL;
	if (zeropad || map->alg != Z_EROFS_COMPRESSION_LZ4) {
		scan = EROFS_MIN((size_t)map->plen,
				 (size_t)1 << p->blkszbits);
		while (start < scan && !in[start])
			start++;
		if (start == scan) {
			ret = extent_fail(zi, map, EROFS_Z_FAULT_DATA,
					  "no encoded data in the first block of the pcluster");
			goto out;
		}
	} else {
		/* pre-0PADDING LZ4: trailing bytes follow the stream */
		partial = true;
	}
	ret = erofs_decompress(dctx, map->alg, in + start, map->plen - start,
			       out, map->llen, partial);
	if (ret == -EFSCORRUPTED)
		ret = extent_fail(zi, map, EROFS_Z_FAULT_DATA,
				  "corrupted compressed data");
	else if (ret == -EOPNOTSUPP)
		ret = extent_fail(zi, map, EROFS_Z_FAULT_UNBUILT,
				  "algorithm not built in");
out:
	/* back, unless a nested read left a buffer there meanwhile */
	if (!dctx->in) {
		dctx->in = in;
		dctx->in_cap = in_cap;
	} else {
		free(in);
	}
	return ret;
}

int erofs_z_read(struct erofs_z_inode *zi, void *buf, size_t len,
		 uint64_t off)
{
	uint8_t *dst = buf;
	struct erofs_z_map map;
	int ret;

	zi->fault = EROFS_Z_FAULT_NONE;
	if (off > zi->p.i_size || len > zi->p.i_size - off)
		return -EINVAL;
	while (len) {
		uint64_t n;

		if (zi->ext_valid && off >= zi->ext_la &&
		    off - zi->ext_la < zi->ext_len) {
			n = EROFS_MIN((uint64_t)len,
				      zi->ext_la + zi->ext_len - off);
			memcpy(dst, zi->ext_buf + (off - zi->ext_la), n);
			goto next;
		}
		ret = erofs_z_map(zi, off, &map);
		if (ret)
			return ret;
		n = EROFS_MIN((uint64_t)len, map.la + map.llen - off);
		if (map.flags & EROFS_Z_MAP_HOLE) {
			memset(dst, 0, n);
			goto next;
		}
		if (map.flags & EROFS_Z_MAP_FRAGMENT) {
			/* already decoded bytes: fetch just the range asked */
			if (!zi->p.read_packed)
				return extent_fail(zi, &map,
						   EROFS_Z_FAULT_HEADER,
						   "fragment without a packed inode");
			ret = zi->p.read_packed(zi->p.priv, dst, n,
						map.fragment_off + (off - map.la));
			if (ret)
				return ret;
			goto next;
		}
		/*
		 * A whole extent asked for (the usual sequential read) is
		 * decoded in place; a part of one is decoded once into the
		 * cache, where later reads find the rest.
		 */
		if (off == map.la && n == map.llen) {
			ret = erofs_z_read_extent(zi, &map, dst);
			if (ret)
				return ret;
			goto next;
		}
		zi->ext_valid = false;
		if (map.llen > SIZE_MAX ||
		    erofs_array_reserve(&zi->ext_buf, &zi->ext_cap,
					(size_t)map.llen))
			return -ENOMEM;
		ret = erofs_z_read_extent(zi, &map, zi->ext_buf);
		if (ret)
			return ret;
		zi->ext_la = map.la;
		zi->ext_len = map.llen;
		zi->ext_valid = true;
		memcpy(dst, zi->ext_buf + (off - map.la), n);
next:
		dst += n;
		off += n;
		len -= n;
	}
	return 0;
}
