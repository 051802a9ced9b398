// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * xattr_write.c - the writer's xattr plan: which long prefix or short index
 * each name uses, which entries are shared, the per-inode inline area and
 * its name filter, and the encoders for entries and the prefix table.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "config.h"
#include "erofs/array.h"
#include "writer_internal.h"

static bool wr_prefix_equal(const struct erofs_xattr_prefix *a,
			    const struct erofs_xattr_prefix *b)
{
	return a->base_index == b->base_index &&
	       a->infix_len == b->infix_len &&
	       !memcmp(a->infix, b->infix, a->infix_len);
}

int erofs_wr_prefixes_init(struct erofs_wr *w)
{
	const struct erofs_mkfs_params *p = w->p;
	size_t n = p->nr_xattr_prefixes + (p->ishare_key ? 1 : 0), i;
	struct erofs_xattr_prefix key;
	int ret;

	w->xattr.ishare_id = -1;
	if (!n)
		return 0;
	w->xattr.pfx = calloc(n, sizeof(*w->xattr.pfx));
	if (!w->xattr.pfx)
		return -ENOMEM;
	for (i = 0; i < p->nr_xattr_prefixes; i++) {
		ret = erofs_xattr_prefix_from_name(
				&w->xattr.pfx[w->xattr.nr_pfx],
				p->xattr_prefixes[i]);
		if (ret) {
			erofs_err(w->log, "invalid xattr prefix \"%s\": %s",
				  p->xattr_prefixes[i] ? p->xattr_prefixes[i] : "",
				  ret == -EINVAL ? "empty or infix longer than 255 bytes"
						 : "out of memory");
			return ret;
		}
		w->xattr.nr_pfx++;
	}
	if (!p->ishare_key)
		goto check;

	ret = erofs_xattr_prefix_from_name(&key, p->ishare_key);
	if (ret) {
		erofs_err(w->log, "invalid ishare key \"%s\": %s", p->ishare_key,
			  ret == -EINVAL ? "empty or infix longer than 255 bytes"
					 : "out of memory");
		return ret;
	}
	w->xattr.ishare_key = strdup(p->ishare_key);
	if (!w->xattr.ishare_key) {
		erofs_xattr_prefix_release(&key);
		return -ENOMEM;
	}
	/* reuse an identical --xattr-prefix rather than storing it twice */
	for (i = 0; i < w->xattr.nr_pfx; i++)
		if (wr_prefix_equal(&w->xattr.pfx[i], &key))
			break;
	if (i < w->xattr.nr_pfx) {
		erofs_xattr_prefix_release(&key);
	} else {
		w->xattr.pfx[w->xattr.nr_pfx++] = key;
	}
	w->xattr.ishare_id = (int)i;
check:
	if (w->xattr.nr_pfx > EROFS_XATTR_MAX_LONG_PREFIXES) {
		erofs_err(w->log, "too many xattr prefixes (%zu, at most %u)",
			  w->xattr.nr_pfx, EROFS_XATTR_MAX_LONG_PREFIXES);
		return -EINVAL;
	}
	return 0;
}

size_t erofs_wr_prefix_table_size(const struct erofs_wr *w)
{
	size_t i, sz = 0;

	for (i = 0; i < w->xattr.nr_pfx; i++)
		sz += EROFS_ROUND_UP(2 + 1 + w->xattr.pfx[i].infix_len, 4);
	return sz;
}

void erofs_wr_prefix_table_encode(const struct erofs_wr *w, uint8_t *out)
{
	size_t i;

	for (i = 0; i < w->xattr.nr_pfx; i++) {
		const struct erofs_xattr_prefix *x = &w->xattr.pfx[i];
		size_t len = 1 + x->infix_len;

		out[0] = len & 0xff;
		out[1] = len >> 8;
		out[2] = x->base_index;
		memcpy(out + 3, x->infix, x->infix_len);
		memset(out + 2 + len, 0, EROFS_ROUND_UP(2 + len, 4) - 2 - len);
		out += EROFS_ROUND_UP(2 + len, 4);
	}
}

size_t erofs_wr_xattr_entry_size(const struct erofs_wr_xattr *x)
{
	return erofs_xattr_entry_size(x->suffix_len, x->value_len);
}

size_t erofs_wr_xattr_entry_encode(const struct erofs_wr_xattr *x,
				   uint8_t *out)
{
	size_t sz = erofs_wr_xattr_entry_size(x);

	memset(out, 0, sz);
	out[0] = (uint8_t)x->suffix_len;
	out[1] = x->index;
	out[2] = x->value_len & 0xff;
	out[3] = (x->value_len >> 8) & 0xff;
	memcpy(out + 4, x->suffix, x->suffix_len);
	if (x->value)
		memcpy(out + 4 + x->suffix_len, x->value, x->value_len);
	return sz;
}

/* the filter bit of a full name stored with base index `base` */
static uint8_t wr_filter_bit(const char *name, size_t len, uint8_t base)
{
	const char *s = erofs_xattr_short_prefix(base);
	size_t off = s ? strlen(s) : 0;

	/* the kernel hashes what follows the short prefix: infix + suffix */
	return (uint8_t)erofs_xattr_filter_bit(base, name + off, len - off);
}

/*
 * Pick the storage of one name: the longest matching long prefix (the
 * lowest id on ties), else its short prefix.  Returns -EOPNOTSUPP for names
 * that neither covers.
 */
static int wr_resolve_name(const struct erofs_wr *w, struct erofs_wr_xattr *x,
			   const char *name, size_t len)
{
	size_t best_len = 0, i, off;
	int best = -1;
	uint8_t index;

	for (i = 0; i < w->xattr.nr_pfx; i++) {
		const struct erofs_xattr_prefix *pf = &w->xattr.pfx[i];
		const char *s = erofs_xattr_short_prefix(pf->base_index);
		size_t slen = s ? strlen(s) : 0, plen = slen + pf->infix_len;

		/* ACL names are whole names, never extended by an infix */
		if (pf->base_index == EROFS_XATTR_INDEX_POSIX_ACL_ACCESS ||
		    pf->base_index == EROFS_XATTR_INDEX_POSIX_ACL_DEFAULT)
			continue;
		if (plen > len || (best >= 0 && plen <= best_len))
			continue;
		if (memcmp(name, s ? s : "", slen) ||
		    memcmp(name + slen, pf->infix, pf->infix_len))
			continue;
		best = (int)i;
		best_len = plen;
	}
	if (best >= 0) {
		x->index = EROFS_XATTR_LONG_PREFIX | (uint8_t)best;
		x->suffix = name + best_len;
		x->suffix_len = len - best_len;
		x->filter_bit = wr_filter_bit(name, len,
					      w->xattr.pfx[best].base_index);
		return 0;
	}
	if (erofs_xattr_split_name(name, len, &index, &off))
		return -EOPNOTSUPP;
	x->index = index;
	x->suffix = name + off;
	x->suffix_len = len - off;
	x->filter_bit = wr_filter_bit(name, len, index);
	return 0;
}

static int wr_xa_push(struct erofs_wr *w, const struct erofs_wr_xattr *x)
{
	struct erofs_wr_xattrs *xa = &w->xattr;
	int ret = erofs_array_reserve(&xa->xa, &xa->cap_xa, xa->nr_xa + 1);

	if (!ret)
		xa->xa[xa->nr_xa++] = *x;
	return ret;
}

/* order of shared-candidate grouping: stored index, suffix, value */
static int wr_xattr_cmp(const void *pa, const void *pb)
{
	const struct erofs_wr_xattr *a = *(struct erofs_wr_xattr *const *)pa;
	const struct erofs_wr_xattr *b = *(struct erofs_wr_xattr *const *)pb;
	size_t n;
	int r;

	if (a->index != b->index)
		return a->index < b->index ? -1 : 1;
	n = EROFS_MIN(a->suffix_len, b->suffix_len);
	r = memcmp(a->suffix, b->suffix, n);
	if (r)
		return r;
	if (a->suffix_len != b->suffix_len)
		return a->suffix_len < b->suffix_len ? -1 : 1;
	n = EROFS_MIN(a->value_len, b->value_len);
	r = n ? memcmp(a->value, b->value, n) : 0;
	if (r)
		return r;
	if (a->value_len != b->value_len)
		return a->value_len < b->value_len ? -1 : 1;
	/* stable tie-break so qsort's order never leaks into the image */
	if (a->owner != b->owner)
		return a->owner < b->owner ? -1 : 1;
	return 0;
}

/* collect the stored xattrs of one inode into w->xattr.xa */
static int wr_collect_inode(struct erofs_wr *w, struct erofs_wr_inode *wi,
			    uint32_t idx)
{
	struct erofs_node *n = wi->node;
	size_t i;
	int ret;

	wi->xa_first = w->xattr.nr_xa;
	for (i = 0; i < n->nr_xattrs; i++) {
		const struct erofs_xattr *t = &n->xattrs[i];
		struct erofs_wr_xattr x = { .owner = idx, .shared_idx = -1 };

		if (w->xattr.ishare_key &&
		    t->name_len == strlen(w->xattr.ishare_key) &&
		    !memcmp(t->name, w->xattr.ishare_key, t->name_len)) {
			erofs_warn(w->log,
				   "%s: dropping existing xattr %s, the fingerprint is recomputed",
				   n->path ? n->path : "?", w->xattr.ishare_key);
			continue;
		}
		ret = wr_resolve_name(w, &x, t->name, t->name_len);
		if (ret) {
			erofs_warn(w->log,
				   "%s: xattr %.*s has no storable prefix, skipped",
				   n->path ? n->path : "?", (int)t->name_len,
				   t->name);
			continue;
		}
		if (x.suffix_len > EROFS_NAME_LEN) {
			erofs_err(w->log, "%s: xattr name %.*s is too long",
				  n->path ? n->path : "?", (int)t->name_len,
				  t->name);
			return -EINVAL;
		}
		if (t->value_len > 0xFFFF) {
			erofs_err(w->log,
				  "%s: value of xattr %s is too large (%zu bytes)",
				  n->path ? n->path : "?", t->name, t->value_len);
			return -EINVAL;
		}
		x.value = t->value;
		x.value_len = t->value_len;
		x.full_name = t->name;
		ret = wr_xa_push(w, &x);
		if (ret)
			return ret;
	}
	/* the fingerprint: always inline, value filled in while emitting */
	/* (data left on other devices is hashed by its importer, or not) */
	if (w->xattr.ishare_id >= 0 && S_ISREG(n->mode) && n->size > 0 &&
	    ((!n->nr_pieces && !n->reserved) || n->has_digest)) {
		struct erofs_wr_xattr x = {
			.index = EROFS_XATTR_LONG_PREFIX |
				 (uint8_t)w->xattr.ishare_id,
			.suffix = "",
			.value_len = EROFS_ISHARE_VALUE_LEN,
			.full_name = w->xattr.ishare_key,
			.owner = idx,
			.shared_idx = -1,
		};
		x.filter_bit = wr_filter_bit(w->xattr.ishare_key,
				strlen(w->xattr.ishare_key),
				w->xattr.pfx[w->xattr.ishare_id].base_index);
		ret = wr_xa_push(w, &x);
		if (ret)
			return ret;
		wi->fingerprint = true;
	}
	wi->nr_xa = w->xattr.nr_xa - wi->xa_first;
	return 0;
}

/* mark groups of identical entries used by more than the threshold */
static int wr_share(struct erofs_wr *w)
{
	struct erofs_wr_xattr **v;
	size_t i, j, n = 0, nshared = 0;
	int thr = w->p->xattr_share_threshold;

	if (thr < 0 || !w->xattr.nr_xa)
		return 0;
	v = malloc(w->xattr.nr_xa * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < w->xattr.nr_xa; i++) {
		const struct erofs_wr_xattr *x = &w->xattr.xa[i];

		if (x->value || !x->value_len)	/* not fingerprints */
			v[n++] = &w->xattr.xa[i];
	}
	qsort(v, n, sizeof(*v), wr_xattr_cmp);

	w->xattr.shared = malloc((n ? n : 1) * sizeof(*w->xattr.shared));
	if (!w->xattr.shared) {
		free(v);
		return -ENOMEM;
	}
	for (i = 0; i < n; i = j) {
		struct erofs_wr_xattr *a = v[i];

		for (j = i + 1; j < n; j++) {
			const struct erofs_wr_xattr *b = v[j];

			if (a->index != b->index ||
			    a->suffix_len != b->suffix_len ||
			    a->value_len != b->value_len ||
			    memcmp(a->suffix, b->suffix, a->suffix_len) ||
			    (a->value_len &&
			     memcmp(a->value, b->value, a->value_len)))
				break;
		}
		if (j - i <= (size_t)thr)
			continue;
		for (size_t k = i; k < j; k++)
			v[k]->shared_idx = (int64_t)nshared;
		w->xattr.shared[nshared++] = a;
	}
	w->xattr.nr_shared = nshared;
	free(v);
	return 0;
}

static int wr_size_inode(struct erofs_wr *w, struct erofs_wr_inode *wi,
			 bool is_root)
{
	size_t i, sz = sizeof(struct erofs_xattr_ibody_header);
	unsigned int nshared = 0;
	uint32_t bits = 0;

	for (i = 0; i < wi->nr_xa; i++) {
		struct erofs_wr_xattr *x = &w->xattr.xa[wi->xa_first + i];

		/* h_shared_count is a byte: keep the rest inline */
		if (x->shared_idx >= 0 && nshared == 255)
			x->shared_idx = -1;
		if (x->shared_idx >= 0) {
			nshared++;
			sz += 4;
		} else {
			sz += erofs_wr_xattr_entry_size(x);
		}
		bits |= 1U << x->filter_bit;
	}
	if (!wi->nr_xa)
		sz = 0;
	/* --root-xattr-isize: room for xattrs added later; zero entries pad */
	if (is_root && w->p->root_xattr_isize > sz) {
		sz = EROFS_ROUND_UP(w->p->root_xattr_isize, 4);
		if (sz < sizeof(struct erofs_xattr_ibody_header) + 4)
			sz = sizeof(struct erofs_xattr_ibody_header) + 4;
	}
	if (sz > erofs_xattr_ibody_size(0xFFFF)) {
		erofs_err(w->log, "%s: xattrs too large (%zu bytes)",
			  wi->node->path ? wi->node->path : "?", sz);
		return -E2BIG;
	}
	wi->nr_shared = nshared;
	wi->xattr_size = (unsigned int)sz;
	wi->icount = sz ? (uint16_t)((sz - 12) / 4 + 1) : 0;
	wi->filter = 0;
	if (sz && w->xattr.filters) {
		wi->filter = EROFS_XATTR_FILTER_DEFAULT & ~bits;
		if (wi->filter)
			w->xattr.any_filter = true;
	}
	return 0;
}

int erofs_wr_xattrs_plan(struct erofs_wr *w)
{
	size_t i;
	int ret;

	w->xattr.filters = w->p->xattr_filter && erofs_xattr_filter_available();
	for (i = 0; i < w->tree.nr_inodes; i++) {
		ret = wr_collect_inode(w, &w->tree.inodes[i], (uint32_t)i);
		if (ret)
			return ret;
	}
	ret = wr_share(w);
	if (ret)
		return ret;
	for (i = 0; i < w->tree.nr_inodes; i++) {
		ret = wr_size_inode(w, &w->tree.inodes[i], i == 0);
		if (ret)
			return ret;
	}
	return 0;
}

void erofs_wr_xattr_ibody_encode(const struct erofs_wr *w,
				 const struct erofs_wr_inode *wi, uint8_t *out,
				 size_t *fp_off)
{
	struct erofs_xattr_ibody_header *h = (void *)out;
	size_t i, off;
	unsigned int s = 0;

	memset(out, 0, wi->xattr_size);
	if (!wi->xattr_size)
		return;
	h->h_name_filter = erofs_cpu_to_le32(wi->filter);
	h->h_shared_count = (uint8_t)wi->nr_shared;
	off = sizeof(*h) + 4 * wi->nr_shared;
	for (i = 0; i < wi->nr_xa; i++) {
		const struct erofs_wr_xattr *x = &w->xattr.xa[wi->xa_first + i];

		if (x->shared_idx >= 0) {
			/* -m: ids count in the metabox space */
			uint64_t pos = w->place.shared_pos[x->shared_idx];
			uint32_t id = (uint32_t)((pos -
				(erofs_wr_in_mbox(pos) ? EROFS_WR_MBOX_BASE :
				 w->place.meta_base)) / 4);

			id = erofs_cpu_to_le32(id);
			memcpy(out + sizeof(*h) + 4 * s++, &id, 4);
			continue;
		}
		if (!x->value && x->value_len && fp_off)
			*fp_off = off + 4 + x->suffix_len;
		off += erofs_wr_xattr_entry_encode(x, out + off);
	}
	/* the rest (root padding) stays zero: 4-byte empty entries */
}

void erofs_wr_xattrs_release(struct erofs_wr *w)
{
	struct erofs_wr_xattrs *xa = &w->xattr;
	size_t i;

	free(xa->xa);
	free(xa->shared);
	for (i = 0; i < xa->nr_pfx; i++)
		erofs_xattr_prefix_release(&xa->pfx[i]);
	free(xa->pfx);
	free(xa->ishare_key);
	memset(xa, 0, sizeof(*xa));
}
