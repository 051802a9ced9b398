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
/* ends are read and compared this much at a time, from the end */
#define TAIL_PIECE	(16U << 10)

/* len bytes of wi's data ending back bytes before its end; 0 or -errno */
static int tail_read(const struct erofs_wr_inode *wi, uint8_t *buf,
		     size_t back, size_t len)
{
	const struct erofs_node *n = wi->node;
	int fd = open(n->src_path, O_RDONLY | O_CLOEXEC);
	uint64_t start = n->src_off + wi->size - back - len;
	size_t done = 0;
	int ret = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t got = pread(fd, buf + done, len - done,
				    (off_t)(start + done));

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

/*
 * How many bytes (up to max) the ends of f and g share, compared a piece
 * at a time from the end, so that ends that part early cost one read.
 * a[0, na) is f's end, of which the last *have bytes are read (more are
 * read as needed); b holds one piece of g.  0 when unreadable.
 */
static size_t tail_shared(const struct erofs_wr_inode *f, uint8_t *a,
			  size_t na, size_t *have,
			  const struct erofs_wr_inode *g, uint8_t *b,
			  size_t max)
{
	size_t n = 0;

	while (n < max) {
		size_t len = EROFS_MIN((size_t)TAIL_PIECE, max - n), i;

		if (*have < n + len) {
			size_t more = n + len - *have;

			if (tail_read(f, a + na - *have - more, *have, more))
				return 0;
			*have += more;
		}
		if (tail_read(g, b, n, len))
			return 0;
		for (i = 0; i < len; i++)
			if (a[na - 1 - n - i] != b[len - 1 - i])
				return n + i;
		n += len;
	}
	return n;
}

/* a file that may give only its tail: one segment, the default settings */
static bool tail_candidate(const struct erofs_wr *w,
			   const struct erofs_wr_zfile *f)
{
	return f->nr_seg == 1 && !f->wi->packed && f->wi->size > TAIL_KEY &&
	       f->ci == 0 && f->pmax == w->z.pcluster_dflt &&
	       f->wi->node && f->wi->node->src_path;
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
	b = malloc(TAIL_PIECE);
	if (!a || !b) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < pool->nr_files && !ret; i++) {
		struct erofs_wr_zfile *f = &pool->files[i];
		size_t na = (size_t)EROFS_MIN(f->wi->size, (uint64_t)TAIL_MAX);
		size_t tries[TAIL_TRIES], nt = 0, k, pos = 0, best = 0, have;
		uint64_t h, v;

		if (!tail_candidate(w, f))
			continue;
		/* its key first; unreadable now: the pass says why */
		if (tail_read(f->wi, a + na - TAIL_KEY, 0, TAIL_KEY))
			continue;
		have = TAIL_KEY;
		h = erofs_crc32c(~0U, a + na - TAIL_KEY, TAIL_KEY);
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
		/* once one shares all it compares, f stays whole (below) */
		for (k = 0; k < nt && best < na; k++) {
			const struct erofs_wr_zfile *g = &pool->files[tries[k]];
			/* an earlier tail is all of it the packed inode has */
			size_t nb = (size_t)EROFS_MIN(g->frag_tail ?
					g->frag_tail : g->wi->size,
					(uint64_t)TAIL_MAX);
			size_t n;

			if (nb <= TAIL_KEY)
				continue;
			n = tail_shared(f->wi, a, na, &have, g->wi, b,
					EROFS_MIN(na, nb));
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
