/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * htab.h - the library's hash table: open addressing over (hash, value)
 * pairs, grown at half load (and its compact form for indexes, below).  It stores no keys: a caller
 * keeps its records in its own array, files their indexes (or any 64-bit
 * value) under a hash, and checks each candidate that a lookup returns
 * against the real key.  Sets of 64-bit numbers (nids, block addresses)
 * use the value as the key: erofs_htab_set_add.
 *
 * Candidates of one hash come back in no particular order; a caller whose
 * result must not depend on the table (mkfs output) picks among all of
 * them, for example the smallest index.
 *
 * struct erofs_idxtab is the same table for positions in a caller's array
 * (below 2^32 - 1) in 4 bytes a slot instead of 16: it keeps no hash
 * either, so each candidate costs the caller a look at its key, and
 * growing asks the caller for the hash of each position again.  For the
 * readers' per-nid indexes, a slot a file: at 16 bytes, the walk's and
 * fsck's workers' were 256 KiB each for a 7,000-file tree.
 */
#ifndef __EROFS_HTAB_H
#define __EROFS_HTAB_H

#include "erofs/defs.h"

struct erofs_htab_slot {
	uint64_t hash;
	uint64_t val1;			/* value + 1; 0 = empty slot */
};

struct erofs_htab {
	struct erofs_htab_slot *slots;
	size_t cap, nr;			/* cap: a power of two, or 0 */
};

/* a well-spread 64-bit hash of a number (splitmix64's finaliser) */
uint64_t erofs_hash_u64(uint64_t x);
/* a 64-bit hash of bytes (FNV-1a, then mixed); not for adversaries */
uint64_t erofs_hash_bytes(const void *p, size_t len);

/* file val (< UINT64_MAX) under hash; duplicates are kept; 0 or -ENOMEM */
int erofs_htab_add(struct erofs_htab *t, uint64_t hash, uint64_t val);
/*
 * Candidates under hash: start with *pos = 0 and call until it returns
 * false; each true return sets *val.
 */
bool erofs_htab_next(const struct erofs_htab *t, uint64_t hash, size_t *pos,
		     uint64_t *val);
/* sets of numbers: 1 if key was there already, 0 added, -ENOMEM */
int erofs_htab_set_add(struct erofs_htab *t, uint64_t key);
bool erofs_htab_set_has(const struct erofs_htab *t, uint64_t key);
void erofs_htab_release(struct erofs_htab *t);

struct erofs_idxtab {
	uint32_t *slots;		/* position + 1; 0 = empty slot */
	size_t cap, nr;			/* cap: a power of two, or 0 */
};

/* the hash a position was filed under (priv: the caller's) */
typedef uint64_t (*erofs_idxtab_hash_fn)(const void *priv, uint32_t pos);

/*
 * file pos (< UINT32_MAX - 1) under hash, which should be well spread
 * (erofs_hash_u64); hash_of gives the hash of positions filed before.
 * 0, -EOVERFLOW or -ENOMEM.
 */
int erofs_idxtab_add(struct erofs_idxtab *t, uint64_t hash, uint32_t pos,
		     erofs_idxtab_hash_fn hash_of, const void *priv);
/*
 * Candidates under hash, as erofs_htab_next: every position whose hash
 * shares the probe sequence, which the caller checks against its key
 */
bool erofs_idxtab_next(const struct erofs_idxtab *t, uint64_t hash,
		       size_t *iter, uint32_t *pos);
void erofs_idxtab_release(struct erofs_idxtab *t);

#endif
