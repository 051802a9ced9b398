// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * emit_ahead.c - worker threads that read (and fingerprint) the plain
 * files of an uncompressed build ahead of emit.c, which then only writes.
 *
 * Why: without compression the emit loop read, hashed and wrote every
 * file in one thread, so --workers did nothing.  On a 143 MB Debian
 * rootfs with fingerprints, SHA-256 alone was 30% of the build's CPU
 * time, all of it on the emit's path.
 *
 * How it stays exact: a worker hands over the bytes it read and their
 * digest together, so what is written and what is hashed are one read,
 * as when emit does both.  Anything unusual (an open or read error, a
 * file that shrank or grew, no memory) is not reported here: the file is
 * left to emit, which reads it again and reports what it finds, with the
 * same words and in the same order as with one worker.  Emit never waits
 * for a file no worker has started: it claims it and reads it itself.
 * Nothing written depends on which thread read a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "erofs/ishare.h"
#include "writer_internal.h"
#include "workpool.h"

/* files up to this size are read whole; larger ones are left to emit */
#define AHEAD_FILE_MAX	(1U << 20)
/* bytes read and not yet written, at most (one file may exceed it) */
#define AHEAD_BUDGET	(2U << 20)
/*
 * Threads reading, at most: a budget of two files' worth feeds no more,
 * and every hand-over wakes them all (at --workers=64 on two CPUs, 64
 * readers took twice as long as none).
 */
#define AHEAD_READERS	3

enum {
	AHEAD_FREE,	/* no one has it yet */
	AHEAD_TAKEN,	/* a worker is reading it */
	AHEAD_READY,	/* buf and digest are waiting for emit */
	AHEAD_LEFT,	/* emit reads it (claimed, or the worker gave up) */
};

struct ahead_slot {
	const struct erofs_wr_inode *wi;
	uint8_t *buf;
	int state;			/* AHEAD_*, under the pool lock */
	uint8_t digest[EROFS_ISHARE_DIGEST_LEN];
};

struct erofs_wr_ahead {
	struct erofs_workpool wp;
	struct ahead_slot *slots;	/* in emit order */
	size_t nr, cur;			/* cur: emit's next slot */
	size_t held;			/* bytes in TAKEN and READY slots */
	bool stop;			/* emit is done or failed */
	struct erofs_sha256 **sha;	/* one per worker */
	struct erofs_sha256 *emit_sha;	/* emit's, when it helps */
	struct erofs_log quiet;		/* the pool's: see erofs_wr_ahead_start */
	pthread_t thread;		/* runs the pool */
	bool running;
};

static bool ahead_candidate(const struct erofs_wr_inode *wi)
{
	return erofs_wr_emit_reads_source(wi) && wi->size <= AHEAD_FILE_MAX;
}

/* the whole file into buf (wi->size bytes) and nothing after it: as emit
 * checks it, so that a file emit would refuse is never handed over */
static bool ahead_read(const struct erofs_wr_inode *wi, uint8_t *buf)
{
	const struct erofs_node *n = wi->node;
	uint64_t done = 0;
	bool ok = false;
	int fd = open(n->src_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	while (done < wi->size) {
		ssize_t got = pread(fd, buf + done, (size_t)(wi->size - done),
				    (off_t)(n->src_off + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			goto out;
		done += (uint64_t)got;
	}
	if (!n->src_off) {
		uint8_t c;
		ssize_t got;

		do {
			got = pread(fd, &c, 1, (off_t)wi->size);
		} while (got < 0 && errno == EINTR);
		if (got != 0)
			goto out;
	}
	ok = true;
out:
	close(fd);
	return ok;
}

static int ahead_start(void *priv, unsigned int worker)
{
	struct erofs_wr_ahead *a = priv;

	if (!a->sha)
		return 0;
	a->sha[worker] = erofs_sha256_new();
	return a->sha[worker] ? 0 : -ENOMEM;
}

/*
 * Buffers of this size and up are mapped and unmapped for each file, so
 * that the memory returns at once: from malloc, glibc's adaptive mmap
 * threshold soon serves them from the heaps of two threads, whose freed
 * holes are not returned (peak RSS of a 143 MB rootfs build: 26 MiB with
 * malloc against 15 MiB without workers reading ahead).  The pages are
 * populated with the mapping, all of which the read fills anyway: faulted
 * in one at a time by the read's copy they were a third of the build's
 * page faults and 25% of its CPU time on a virtual machine (10,700 faults
 * against 3,500; uncompressed build of the 143 MB rootfs).
 */
#define AHEAD_MAP_MIN	(256U << 10)

static uint8_t *ahead_alloc(size_t size)
{
	void *p;

	if (size < AHEAD_MAP_MIN)
		return malloc(size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void ahead_free(uint8_t *buf, size_t size)
{
	if (!buf)
		return;
	if (size < AHEAD_MAP_MIN)
		free(buf);
	else
		munmap(buf, size);
}

/* may a file of size bytes be read now?  (under the lock) */
static bool ahead_fits(const struct erofs_wr_ahead *a, size_t size)
{
	return !a->held || a->held + size <= AHEAD_BUDGET;
}

/*
 * Read a TAKEN slot and hand it over (READY), or leave it to emit (LEFT).
 * A TAKEN slot always ends here, stop or not: emit may wait on it.
 */
static void ahead_fill(struct erofs_wr_ahead *a, struct erofs_sha256 *sha,
		       struct ahead_slot *s)
{
	size_t size = (size_t)s->wi->size;
	uint8_t *buf = ahead_alloc(size);
	bool ok = buf && ahead_read(s->wi, buf);

	if (ok && s->wi->fingerprint)
		ok = !erofs_sha256_reset(sha) &&
		     !erofs_sha256_update(sha, buf, size) &&
		     !erofs_sha256_final(sha, s->digest);

	erofs_workpool_lock(&a->wp);
	if (ok) {
		s->buf = buf;
		s->state = AHEAD_READY;
	} else {
		ahead_free(buf, size);
		a->held -= size;
		s->state = AHEAD_LEFT;
	}
	erofs_workpool_wake(&a->wp);
	erofs_workpool_unlock(&a->wp);
}

static int ahead_run(void *priv, unsigned int worker, size_t job)
{
	struct erofs_wr_ahead *a = priv;
	struct ahead_slot *s = &a->slots[job];

	erofs_workpool_lock(&a->wp);
	while (!a->stop && s->state == AHEAD_FREE &&
	       !ahead_fits(a, (size_t)s->wi->size))
		pthread_cond_wait(&a->wp.cond, &a->wp.lock);
	if (a->stop) {
		erofs_workpool_unlock(&a->wp);
		return -ECANCELED;
	}
	if (s->state != AHEAD_FREE) {		/* emit got there first */
		erofs_workpool_unlock(&a->wp);
		return 0;
	}
	s->state = AHEAD_TAKEN;
	a->held += (size_t)s->wi->size;
	erofs_workpool_unlock(&a->wp);
	ahead_fill(a, a->sha ? a->sha[worker] : NULL, s);
	return 0;
}

static int ahead_finish(void *priv, unsigned int worker)
{
	struct erofs_wr_ahead *a = priv;

	if (a->sha) {
		erofs_sha256_free(a->sha[worker]);
		a->sha[worker] = NULL;
	}
	return 0;
}

static const struct erofs_workpool_ops ahead_ops = {
	.start = ahead_start,
	.run = ahead_run,
	.finish = ahead_finish,
};

static void *ahead_main(void *arg)
{
	struct erofs_wr_ahead *a = arg;

	/* errors are only stops (-ECANCELED) or a worker without its
	 * hash: either way emit reads what is left itself */
	erofs_workpool_run(&a->wp, &ahead_ops, a);
	return NULL;
}

int erofs_wr_ahead_start(const struct erofs_wr *w, struct erofs_wr_ahead **ap)
{
	struct erofs_wr_ahead *a;
	long cpus = w->p->workers;
	bool hash = false;
	size_t i, n = 0;

	*ap = NULL;
	if (!cpus)
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 2)			/* emit's own thread is one */
		return 0;
	for (i = 0; i < w->tree.nr_inodes; i++)
		n += ahead_candidate(w->place.order[i]);
	if (!n)
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->slots = calloc(n, sizeof(*a->slots));
	if (!a->slots) {
		free(a);
		return -ENOMEM;
	}
	for (i = 0; i < w->tree.nr_inodes; i++) {
		const struct erofs_wr_inode *wi = w->place.order[i];

		if (!ahead_candidate(wi))
			continue;
		a->slots[a->nr++].wi = wi;
		hash |= wi->fingerprint;
	}
	/* a thread that cannot start only means emit reads more itself:
	 * nothing to say (the build's messages stay those of one worker) */
	erofs_log_init(&a->quiet);
	erofs_workpool_init(&a->wp, a->nr, cpus - 1, AHEAD_READERS, &a->quiet);
	if (hash) {
		a->sha = calloc(a->wp.nr_workers, sizeof(*a->sha));
		a->emit_sha = erofs_sha256_new();
		if (!a->sha || !a->emit_sha)
			goto nomem;
	}
	if (pthread_create(&a->thread, NULL, ahead_main, a))
		goto nomem;	/* not fatal to the build: emit reads all */
	a->running = true;
	*ap = a;
	return 0;
nomem:
	erofs_workpool_release(&a->wp);
	erofs_sha256_free(a->emit_sha);
	free(a->sha);
	free(a->slots);
	free(a);
	return 0;
}

/*
 * Emit waits for a worker to finish its file: meanwhile it reads the next
 * file no worker has taken, as one more worker, but only within the
 * budget (under the lock; it must never wait for budget: only it frees
 * budget).  The lock is dropped while reading.  false: nothing to do.
 */
static bool ahead_help(struct erofs_wr_ahead *a)
{
	struct ahead_slot *s;
	size_t job;

	if (!erofs_workpool_peek_locked(&a->wp, &job))
		return false;
	s = &a->slots[job];
	if (s->state != AHEAD_FREE || !ahead_fits(a, (size_t)s->wi->size))
		return false;
	erofs_workpool_take_locked(&a->wp);
	s->state = AHEAD_TAKEN;
	a->held += (size_t)s->wi->size;
	erofs_workpool_unlock(&a->wp);
	ahead_fill(a, a->emit_sha, s);
	erofs_workpool_lock(&a->wp);
	return true;
}

int erofs_wr_ahead_take(struct erofs_wr_ahead *a,
			const struct erofs_wr_inode *wi, uint8_t **buf,
			uint8_t *digest)
{
	struct ahead_slot *s;
	int ret = 0;

	if (!a || a->cur >= a->nr || a->slots[a->cur].wi != wi)
		return 0;
	s = &a->slots[a->cur++];
	erofs_workpool_lock(&a->wp);
	if (s->state == AHEAD_FREE) {
		s->state = AHEAD_LEFT;
		/* a worker may be waiting for budget to read it */
		erofs_workpool_wake(&a->wp);
	}
	while (s->state == AHEAD_TAKEN)
		if (a->stop || !ahead_help(a))
			pthread_cond_wait(&a->wp.cond, &a->wp.lock);
	if (s->state == AHEAD_READY) {
		*buf = s->buf;
		memcpy(digest, s->digest, sizeof(s->digest));
		s->buf = NULL;
		s->state = AHEAD_LEFT;
		ret = 1;
	}
	erofs_workpool_unlock(&a->wp);
	return ret;
}

void erofs_wr_ahead_put(struct erofs_wr_ahead *a, uint8_t *buf, size_t len)
{
	ahead_free(buf, len);
	erofs_workpool_lock(&a->wp);
	a->held -= len;
	erofs_workpool_wake(&a->wp);
	erofs_workpool_unlock(&a->wp);
}

void erofs_wr_ahead_stop(struct erofs_wr_ahead *a)
{
	size_t i;

	if (!a)
		return;
	erofs_workpool_lock(&a->wp);
	a->stop = true;
	erofs_workpool_wake(&a->wp);
	erofs_workpool_unlock(&a->wp);
	if (a->running)
		pthread_join(a->thread, NULL);
	for (i = 0; i < a->nr; i++)
		ahead_free(a->slots[i].buf, (size_t)a->slots[i].wi->size);
	if (a->sha)
		for (i = 0; i < a->wp.nr_workers; i++)
			erofs_sha256_free(a->sha[i]);
	erofs_sha256_free(a->emit_sha);
	erofs_workpool_release(&a->wp);
	free(a->sha);
	free(a->slots);
	free(a);
}
