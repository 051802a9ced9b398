// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * htab.c - the library's hash table, and its compact form for indexes
 * (include/erofs/htab.h).
 */
#include <errno.h>
#include <stdlib.h>
#include "erofs/htab.h"

uint64_t erofs_hash_u64(uint64_t x)
{
	/* nids and block addresses are multiples of small strides: the
	 * low bits alone would cluster, so mix every bit into them */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t erofs_hash_bytes(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return erofs_hash_u64(h ^ len);
}

static void htab_put(struct erofs_htab_slot *slots, size_t cap,
		     const struct erofs_htab_slot *s)
{
	size_t i = erofs_hash_u64(s->hash) & (cap - 1);

	while (slots[i].val1)
		i = (i + 1) & (cap - 1);
	slots[i] = *s;
}

/*
 * A zeroed table of nr entries.  A large one comes as fresh zero pages,
 * mapped by the first probe that reads one; writing such a page then
 * flushes the TLB on every CPU running a thread of the process (the
 * check's workers): write each page first.  (A memset after malloc would
 * be made a calloc by the compiler.)
 */
static void *table_alloc(size_t nr, size_t size)
{
	unsigned char *n = calloc(nr, size);
	size_t j;

	if (!n)
		return NULL;
	for (j = 0; j < nr * size; j += 4096)
		((volatile unsigned char *)n)[j] = 0;
	/* the table need not start a page: its last one too */
	((volatile unsigned char *)n)[nr * size - 1] = 0;
	return n;
}

static int htab_room(struct erofs_htab *t)
{
	struct erofs_htab_slot *n;
	size_t ncap, j;

	if ((t->nr + 1) * 2 <= t->cap)
		return 0;
	if (t->cap > SIZE_MAX / 2 / sizeof(*n))
		return -ENOMEM;
	ncap = t->cap ? t->cap * 2 : 64;
	n = table_alloc(ncap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (j = 0; j < t->cap; j++)
		if (t->slots[j].val1)
			htab_put(n, ncap, &t->slots[j]);
	free(t->slots);
	t->slots = n;
	t->cap = ncap;
	return 0;
}

int erofs_htab_add(struct erofs_htab *t, uint64_t hash, uint64_t val)
{
	struct erofs_htab_slot s = { .hash = hash, .val1 = val + 1 };
	int ret;

	if (val == UINT64_MAX)
		return -EINVAL;
	ret = htab_room(t);
	if (ret)
		return ret;
	htab_put(t->slots, t->cap, &s);
	t->nr++;
	return 0;
}

bool erofs_htab_next(const struct erofs_htab *t, uint64_t hash, size_t *pos,
		     uint64_t *val)
{
	size_t i, mask;

	if (!t->cap)
		return false;
	mask = t->cap - 1;
	/* *pos counts the slots probed so far; the probe ends at a hole */
	for (i = (erofs_hash_u64(hash) + *pos) & mask;
	     *pos < t->cap && t->slots[i].val1; i = (i + 1) & mask) {
		++*pos;
		if (t->slots[i].hash == hash) {
			*val = t->slots[i].val1 - 1;
			return true;
		}
	}
	return false;
}

bool erofs_htab_set_has(const struct erofs_htab *t, uint64_t key)
{
	size_t pos = 0;
	uint64_t v;

	while (erofs_htab_next(t, key, &pos, &v))
		if (v == key)
			return true;
	return false;
}

int erofs_htab_set_add(struct erofs_htab *t, uint64_t key)
{
	int ret;

	if (erofs_htab_set_has(t, key))
		return 1;
	ret = erofs_htab_add(t, key, key);
	return ret;
}

void erofs_htab_release(struct erofs_htab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->nr = 0;
}

/* ---- erofs_idxtab: 4-byte slots, keys and hashes kept by the caller ---- */

static void idxtab_put(uint32_t *slots, size_t cap, uint64_t hash, uint32_t v1)
{
	size_t i = hash & (cap - 1);

	while (slots[i])
		i = (i + 1) & (cap - 1);
	slots[i] = v1;
}

int erofs_idxtab_add(struct erofs_idxtab *t, uint64_t hash, uint32_t pos,
		     erofs_idxtab_hash_fn hash_of, const void *priv)
{
	if (pos >= UINT32_MAX - 1)
		return -EOVERFLOW;
	if ((t->nr + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 256, j;
		uint32_t *n;

		if (t->cap > SIZE_MAX / 4 / sizeof(*n))
			return -ENOMEM;
		n = table_alloc(ncap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (j = 0; j < t->cap; j++)
			if (t->slots[j])
				idxtab_put(n, ncap,
					   hash_of(priv, t->slots[j] - 1),
					   t->slots[j]);
		free(t->slots);
		t->slots = n;
		t->cap = ncap;
	}
	idxtab_put(t->slots, t->cap, hash, pos + 1);
	t->nr++;
	return 0;
}

bool erofs_idxtab_next(const struct erofs_idxtab *t, uint64_t hash,
		       size_t *iter, uint32_t *pos)
{
	size_t i, mask;

	if (!t->cap || *iter >= t->cap)
		return false;
	mask = t->cap - 1;
	i = (hash + *iter) & mask;
	if (!t->slots[i])
		return false;
	++*iter;
	*pos = t->slots[i] - 1;
	return true;
}

void erofs_idxtab_release(struct erofs_idxtab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->nr = 0;
}
