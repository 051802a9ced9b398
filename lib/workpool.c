// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * workpool.c - worker threads over a numbered list of jobs, first error
 * stops the rest (workpool.h).  Generic: the compressed writer is one user.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "workpool.h"

struct wp_worker {
	struct erofs_workpool *pool;
	unsigned int id;
	pthread_t thread;
	bool started;
};

void erofs_workpool_init(struct erofs_workpool *pool, size_t nr_jobs,
			 long max_workers, unsigned int cap_workers,
			 const struct erofs_log *log)
{
	long n = max_workers;

	memset(pool, 0, sizeof(*pool));
	if (!n)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	n = EROFS_MIN(n, (long)cap_workers);
	pool->nr_jobs = nr_jobs;
	pool->nr_workers = (unsigned int)EROFS_MIN((size_t)n, nr_jobs);
	pool->log = log;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_mutex_init(&pool->log_lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
}

void erofs_workpool_release(struct erofs_workpool *pool)
{
	pthread_cond_destroy(&pool->cond);
	pthread_mutex_destroy(&pool->lock);
	pthread_mutex_destroy(&pool->log_lock);
}

bool erofs_workpool_stopped(struct erofs_workpool *pool)
{
	return __atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE);
}

void erofs_workpool_lock(struct erofs_workpool *pool)
{
	pthread_mutex_lock(&pool->lock);
}

void erofs_workpool_unlock(struct erofs_workpool *pool)
{
	pthread_mutex_unlock(&pool->lock);
}

bool erofs_workpool_wait(struct erofs_workpool *pool)
{
	if (erofs_workpool_stopped(pool))
		return false;
	pthread_cond_wait(&pool->cond, &pool->lock);
	return !erofs_workpool_stopped(pool);
}

void erofs_workpool_wake(struct erofs_workpool *pool)
{
	pthread_cond_broadcast(&pool->cond);
}

bool erofs_workpool_peek_locked(struct erofs_workpool *pool, size_t *job)
{
	if (erofs_workpool_stopped(pool) || pool->next == pool->nr_jobs)
		return false;
	*job = pool->next;
	return true;
}

void erofs_workpool_take_locked(struct erofs_workpool *pool)
{
	pool->next++;
}

/* keep the first real error and stop everyone, waiters included */
static void wp_fail(struct erofs_workpool *pool, int err)
{
	pthread_mutex_lock(&pool->lock);
	/* -ECANCELED only follows someone else's error */
	if (!pool->err && err != -ECANCELED)
		pool->err = err;
	__atomic_store_n(&pool->stop, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
}

static void *wp_main(void *arg)
{
	struct wp_worker *k = arg;
	struct erofs_workpool *pool = k->pool;
	const struct erofs_workpool_ops *ops = pool->ops;
	int ret = ops->start ? ops->start(pool->priv, k->id) : 0;

	while (!ret) {
		size_t job;

		pthread_mutex_lock(&pool->lock);
		if (erofs_workpool_stopped(pool) ||
		    pool->next == pool->nr_jobs) {
			pthread_mutex_unlock(&pool->lock);
			break;
		}
		job = pool->next++;
		pthread_mutex_unlock(&pool->lock);
		ret = ops->run(pool->priv, k->id, job);
	}
	if (!ret && ops->finish)
		ret = ops->finish(pool->priv, k->id);
	if (ret)
		wp_fail(pool, ret);
	return NULL;
}

int erofs_workpool_run(struct erofs_workpool *pool,
		       const struct erofs_workpool_ops *ops, void *priv)
{
	struct wp_worker *wk;
	unsigned int i, nr = pool->nr_workers;

	pool->ops = ops;
	pool->priv = priv;
	if (!nr)
		return 0;
	wk = calloc(nr, sizeof(*wk));
	if (!wk)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		wk[i].pool = pool;
		wk[i].id = i;
	}
	if (nr == 1) {
		wp_main(&wk[0]);	/* no thread needed */
	} else {
		for (i = 0; i < nr; i++) {
			int err = pthread_create(&wk[i].thread, NULL, wp_main,
						 &wk[i]);

			if (err) {
				erofs_err(pool->log,
					  "cannot start worker thread %u: %s",
					  i, strerror(err));
				wp_fail(pool, -err);
				break;
			}
			wk[i].started = true;
		}
		for (i = 0; i < nr; i++)
			if (wk[i].started)
				pthread_join(wk[i].thread, NULL);
	}
	free(wk);
	/* a stop always comes with an error: -ECANCELED cannot be first */
	if (!pool->err && erofs_workpool_stopped(pool))
		return -ECANCELED;
	return pool->err;
}

static void wp_log_sink(void *priv, int level, const char *msg)
{
	struct erofs_workpool *pool = priv;
	const struct erofs_log *log = pool->log;

	pthread_mutex_lock(&pool->log_lock);
	log->sink(log->priv, level, msg);
	pthread_mutex_unlock(&pool->log_lock);
}

void erofs_workpool_log_init(struct erofs_workpool *pool,
			     struct erofs_log *log)
{
	erofs_log_init(log);
	if (pool->log && pool->log->sink) {
		log->level = pool->log->level;
		log->sink = wp_log_sink;
		log->priv = pool;
	}
}
