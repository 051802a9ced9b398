// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * ztails.c - -E all-fragments: which files give the packed inode only
 * their tail.  A file whose last bytes end an earlier file too (the
 * section tables of ELF modules built alike, say) keeps its head as its
 * own full pclusters, and only what the two share at their ends goes to
 * the packed inode, as erofs-utils does (lib/fragments.c: the 64 bytes
 * at each fragment's end are its key).  The shared tails then sit
 * together in the packed inode, where they compress to a fraction of a
 * block each: 220 gconv modules of 18,680 bytes took 7.5 KB each packed
 * whole.
 *
 * Decided on the main thread before the pass, in inode order, from the
 * files' bytes alone, so the image is the same for any number of workers.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "erofs/crc32c.h"
#include "erofs/htab.h"
#include "zwrite_internal.h"

/* the bytes at a file's end that must match */
#define TAIL_KEY	64
/* how far back ends are compared (and so the longest tail) */
#define TAIL_MAX	(256U << 10)
/* earlier files with the same key compared, the latest first */
#define TAIL_TRIES	8

/* the last len bytes of wi's data into buf; 0 or -errno */
static int tail_read(const struct erofs_wr_inode *wi, uint8_t *buf,
		     size_t len)
{
	const struct erofs_node *n = wi->node;
	int fd = open(n->src_path, O_RDONLY | O_CLOEXEC);
	size_t done = 0;
	int ret = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t got = pread(fd, buf + done, len - done,
				    (off_t)(n->src_off + wi->size - len + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			/* the pass reports a file that shrank */
			ret = got ? -errno : -EIO;
			break;
		}
		done += (size_t)got;
	}
	close(fd);
	return ret;
}

/* a file that may give only its tail: one segment, the default settings */
static bool tail_candidate(const struct erofs_wr *w,
			   const struct erofs_wr_zfile *f)
{
	return f->nr_seg == 1 && !f->wi->packed && f->wi->size > TAIL_KEY &&
	       f->ci == 0 && f->pmax == w->z.pcluster_dflt &&
	       f->wi->node && f->wi->node->src_path;
}

/* how many bytes the ends of a (na) and b (nb) share */
static size_t tail_common(const uint8_t *a, size_t na, const uint8_t *b,
			  size_t nb)
{
	size_t n = 0, mn = EROFS_MIN(na, nb);

	while (n < mn && a[na - n - 1] == b[nb - n - 1])
		n++;
	return n;
}

int erofs_wr_ztails(struct erofs_wr_zpool *pool)
{
	const struct erofs_wr *w = pool->w;
	struct erofs_htab keys = { 0 };	/* key -> files[] index */
	uint8_t *a = NULL, *b = NULL;
	size_t i;
	int ret = 0;

	/* erofs-utils matches ends with its default fragdedupe only */
	if (!w->p->all_fragments || w->p->fragdedupe != EROFS_FRAGDEDUPE_FULL)
		return 0;
	a = malloc(TAIL_MAX);
	b = malloc(TAIL_MAX);
	if (!a || !b) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < pool->nr_files && !ret; i++) {
		struct erofs_wr_zfile *f = &pool->files[i];
		size_t na = (size_t)EROFS_MIN(f->wi->size, (uint64_t)TAIL_MAX);
		size_t tries[TAIL_TRIES], nt = 0, k, pos = 0, best = 0;
		uint64_t h, v;

		if (!tail_candidate(w, f))
			continue;
		/* its key first; unreadable now: the pass says why */
		if (tail_read(f->wi, a, TAIL_KEY))
			continue;
		h = erofs_crc32c(~0U, a, TAIL_KEY);
		/* the latest TAIL_TRIES files with this key, latest first */
		while (erofs_htab_next(&keys, h, &pos, &v)) {
			if (nt < TAIL_TRIES)
				k = nt++;
			else if (v > tries[TAIL_TRIES - 1])
				k = TAIL_TRIES - 1;
			else
				continue;
			for (; k > 0 && tries[k - 1] < v; k--)
				tries[k] = tries[k - 1];
			tries[k] = (size_t)v;
		}
		/* the end to compare, when another file has its key */
		if (nt && tail_read(f->wi, a, na))
			nt = 0;
		for (k = 0; k < nt; k++) {
			const struct erofs_wr_zfile *g = &pool->files[tries[k]];
			/* an earlier tail is all of it the packed inode has */
			size_t nb = (size_t)EROFS_MIN(g->frag_tail ?
					g->frag_tail : g->wi->size,
					(uint64_t)TAIL_MAX);
			size_t n;

			if (nb <= TAIL_KEY || tail_read(g->wi, b, nb))
				continue;
			n = tail_common(a, na, b, nb);
			if (n >= TAIL_KEY && n > best)
				best = n;
		}
		/*
		 * Not when all it compared is shared (an earlier copy of the
		 * file, or one longer than TAIL_MAX): it stays whole, and an
		 * identical fragment is stored once.
		 */
		if (best && best < na)
			f->frag_tail = best;
		ret = erofs_htab_add(&keys, h, i);
	}
out:
	erofs_htab_release(&keys);
	free(a);
	free(b);
	return ret;
}
