/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * workpool.h - a pool of worker threads over a fixed list of jobs (private
 * to lib/).  It knows nothing of what the jobs do: the caller numbers its
 * jobs 0..nr_jobs-1 in the order they should be taken, and each worker
 * takes the next untaken one.  So the only thing the thread count changes
 * is which worker runs a job, never what a job computes: a caller that
 * keeps each job's result in that job's own slot gets the same results for
 * any number of workers.
 *
 * The first error stops the pool: no job is started after it, the error is
 * kept and returned by erofs_workpool_run().  Jobs that wait on each other
 * do so under the pool's lock (erofs_workpool_wait), which wakes them when
 * the pool stops, so that an error never leaves a worker waiting.
 */
#ifndef __EROFS_WORKPOOL_H
#define __EROFS_WORKPOOL_H

#include <pthread.h>
#include "erofs/defs.h"
#include "erofs/log.h"

struct erofs_workpool;

struct erofs_workpool_ops {
	/* in the worker, before its first job (may be NULL); 0 or -errno */
	int (*start)(void *priv, unsigned int worker);
	/* run job number `job`; 0 or -errno (-ECANCELED: stopped by the
	 * pool, never the first error) */
	int (*run)(void *priv, unsigned int worker, size_t job);
	/* in the worker, after its last job, unless it failed (may be
	 * NULL): what it must finish before the join; 0 or -errno */
	int (*finish)(void *priv, unsigned int worker);
};

struct erofs_workpool {
	const struct erofs_workpool_ops *ops;
	void *priv;
	size_t nr_jobs, next;		/* next: the first job not taken */
	unsigned int nr_workers;
	pthread_mutex_t lock;		/* next, err, and callers' waits */
	pthread_cond_t cond;		/* erofs_workpool_wake, and stop */
	pthread_mutex_t log_lock;	/* one message at a time */
	const struct erofs_log *log;	/* where workers' messages go */
	int stop;			/* atomic: an error happened */
	int err;			/* the first error */
};

/*
 * Set up a pool for nr_jobs jobs with at most max_workers workers (0: one
 * per online CPU, capped at cap_workers); pool->nr_workers then says how
 * many will run (never more than the jobs), so that the caller can size
 * per-worker state before erofs_workpool_run().  log: where worker logs
 * made by erofs_workpool_log_init() go (borrowed).
 */
void erofs_workpool_init(struct erofs_workpool *pool, size_t nr_jobs,
			 long max_workers, unsigned int cap_workers,
			 const struct erofs_log *log);
void erofs_workpool_release(struct erofs_workpool *pool);

/*
 * Run every job (or until the first error) and join the workers.  One
 * worker runs in the calling thread.  Returns 0 or the first error.
 */
int erofs_workpool_run(struct erofs_workpool *pool,
		       const struct erofs_workpool_ops *ops, void *priv);

/* a log for worker use that serializes its messages into pool->log */
void erofs_workpool_log_init(struct erofs_workpool *pool,
			     struct erofs_log *log);

/* has an error stopped the pool? (cheap, no lock) */
bool erofs_workpool_stopped(struct erofs_workpool *pool);

/*
 * Waiting on another job: lock, then wait while the condition does not
 * hold (erofs_workpool_wait returns false once the pool has stopped), and
 * unlock.  The job that changes the condition does it under the lock and
 * calls erofs_workpool_wake.
 */
void erofs_workpool_lock(struct erofs_workpool *pool);
void erofs_workpool_unlock(struct erofs_workpool *pool);
bool erofs_workpool_wait(struct erofs_workpool *pool);
void erofs_workpool_wake(struct erofs_workpool *pool);

/*
 * For a thread outside the pool that would otherwise wait on a job, with
 * the lock held: peek at the next untaken job (false: none is left, or
 * the pool stopped), then take it as a worker would (the caller runs it).
 */
bool erofs_workpool_peek_locked(struct erofs_workpool *pool, size_t *job);
void erofs_workpool_take_locked(struct erofs_workpool *pool);

#endif
