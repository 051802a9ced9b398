// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * check_ahead.c - worker threads that compute regular files ahead of the
 * check engine's walk (lib/check_ahead.h).
 *
 * Jobs are kept in the order they were offered, which is the order a
 * directory lists its files; workers take the first one still queued.
 * Directories to expand wait in a queue of their own, taken when no
 * file is (or fewer than AHEAD_LOW are) queued, so that the files
 * offered stay close to where the walk is.
 * The walk reaches files in depth-first order, so it may find a job
 * queued behind others: it claims it and does it itself, and the workers
 * skip it.  Nothing here decides what is computed, so which thread runs a
 * job never changes what the walk applies.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/array.h"
#include "erofs/htab.h"
#include "erofs/io.h"
#include "check_ahead.h"

/* expand directories while fewer files than this are queued */
#define AHEAD_LOW	64
/* in erofs_ahead.index: a position in dirs, not in jobs */
#define AHEAD_DIR	(1U << 31)

enum {
	JOB_QUEUED,
	JOB_CLAIMED,		/* by the walk: workers skip it */
	JOB_RUNNING,
	JOB_DONE,
};

struct lane {
	struct erofs_ahead *a;
	struct erofs_io io;
	struct erofs_io *dev_io;	/* one per device of the image */
	unsigned int nr_dev_io;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_ahead_job *cur;	/* the job running on this lane */
	void *scratch;
	pthread_t thread;
	bool io_open, img_open, started;
};

struct erofs_ahead {
	const struct erofs_ahead_ops *ops;
	void *priv;
	pthread_mutex_t lock;
	pthread_cond_t work;	/* a job queued, budget freed, or stop */
	pthread_cond_t done;	/* the job the walk waits for finished */
	struct erofs_ahead_job *awaited;
	/* every job offered, in offer order; NULL once freed */
	struct erofs_ahead_job **jobs;
	erofs_nid_t *job_nids;	/* kept when the job is freed */
	size_t nr_jobs, jobs_cap, job_nids_cap;
	size_t next;		/* no job before this one is queued */
	size_t nr_queued;	/* jobs queued */
	erofs_nid_t *dirs;	/* directories to expand, in offer order */
	size_t nr_dirs, dirs_cap, dnext;
	/*
	 * Every nid offered: its position in jobs, or AHEAD_DIR + its
	 * position in dirs (job_nids and dirs hold the nids)
	 */
	struct erofs_idxtab index;
	size_t held, budget;	/* bytes of results done, not taken */
	bool stop;
	struct lane *lanes;
	unsigned int nr_lanes;
};

/* a lane's messages belong to the job it is running */
static void lane_log_sink(void *priv, int level, const char *msg)
{
	struct lane *l = priv;

	if (l->cur)
		l->a->ops->log(l->a->priv, l->cur, level, msg);
}

static int lane_open(struct erofs_ahead *a, struct lane *l,
		     struct erofs_image *img)
{
	unsigned int i;
	int ret;

	l->a = a;
	l->log = *img->log;
	l->log.sink = lane_log_sink;
	l->log.priv = l;
	ret = erofs_io_clone(&l->io, img->io);
	if (ret)
		return ret;
	l->io_open = true;
	/* the walk's copy verified the checksum already */
	ret = erofs_image_open(&l->img, &l->io, &l->log,
			       EROFS_OPEN_NO_SBCRC | EROFS_OPEN_FILE_READER);
	if (ret)
		return ret;
	l->img_open = true;
	if (!img->nr_dev_io)
		return 0;
	l->dev_io = calloc(img->nr_dev_io, sizeof(*l->dev_io));
	if (!l->dev_io)
		return -ENOMEM;
	for (i = 0; i < img->nr_dev_io; i++) {
		ret = erofs_io_clone(&l->dev_io[i], img->dev_io[i]);
		if (ret)
			return ret;
		l->nr_dev_io++;
		ret = erofs_image_add_device(&l->img, &l->dev_io[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static void lane_close(struct lane *l)
{
	unsigned int i;

	if (l->img_open)
		erofs_image_release(&l->img);
	for (i = 0; i < l->nr_dev_io; i++)
		erofs_io_close(&l->dev_io[i]);
	free(l->dev_io);
	free(l->scratch);
	if (l->io_open)
		erofs_io_close(&l->io);
}

/* the first queued job, or NULL; under the lock */
static struct erofs_ahead_job *first_queued(struct erofs_ahead *a)
{
	while (a->next < a->nr_jobs) {
		struct erofs_ahead_job *j = a->jobs[a->next];

		if (j && j->state == JOB_QUEUED)
			return j;
		/* claimed jobs were taken over by the walk: gone here */
		if (j && j->state == JOB_CLAIMED) {
			free(j);
			a->jobs[a->next] = NULL;
		}
		a->next++;
	}
	return NULL;
}

/*
 * The walk waits for the job a lane just finished: woken once the lane has
 * let go of the lock, which it would otherwise wait for at once.
 */
static void lane_unlock(struct erofs_ahead *a, bool *wake)
{
	pthread_mutex_unlock(&a->lock);
	if (*wake)
		pthread_cond_signal(&a->done);
	*wake = false;
}

static void *lane_main(void *arg)
{
	struct lane *l = arg;
	struct erofs_ahead *a = l->a;
	struct erofs_ahead_job *j;
	bool wake = false;

	pthread_mutex_lock(&a->lock);
	while (!a->stop) {
		if (a->nr_queued < AHEAD_LOW && a->dnext < a->nr_dirs &&
		    a->ops->expand) {
			erofs_nid_t nid = a->dirs[a->dnext++];

			lane_unlock(a, &wake);
			a->ops->expand(a->priv, a, &l->img, nid);
			pthread_mutex_lock(&a->lock);
			continue;
		}
		j = a->held < a->budget ? first_queued(a) : NULL;
		if (!j) {
			if (wake) {
				lane_unlock(a, &wake);
				pthread_mutex_lock(&a->lock);
				continue;
			}
			pthread_cond_wait(&a->work, &a->lock);
			continue;
		}
		j->state = JOB_RUNNING;
		a->next++;
		a->nr_queued--;
		lane_unlock(a, &wake);

		l->cur = j;
		a->ops->run(a->priv, &l->img, l->scratch, j);
		l->cur = NULL;

		pthread_mutex_lock(&a->lock);
		j->state = JOB_DONE;
		a->held += j->mem;
		wake = j == a->awaited;
	}
	lane_unlock(a, &wake);
	return NULL;
}

int erofs_ahead_start(struct erofs_ahead **out, struct erofs_image *img,
		      unsigned int workers, size_t scratch, size_t budget,
		      const struct erofs_ahead_ops *ops, void *priv)
{
	struct erofs_ahead *a;
	unsigned int i;
	int ret;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->ops = ops;
	a->priv = priv;
	a->budget = budget;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->work, NULL);
	pthread_cond_init(&a->done, NULL);
	a->lanes = calloc(workers, sizeof(*a->lanes));
	if (!a->lanes) {
		erofs_ahead_stop(a);
		return -ENOMEM;
	}
	for (i = 0; i < workers; i++) {
		struct lane *l = &a->lanes[i];

		l->scratch = malloc(scratch);
		ret = l->scratch ? lane_open(a, l, img) : -ENOMEM;
		if (!ret)
			ret = -pthread_create(&l->thread, NULL, lane_main, l);
		if (ret) {
			/* fewer lanes (out of descriptors, say) still work */
			lane_close(l);
			break;
		}
		l->started = true;
		a->nr_lanes = i + 1;
	}
	if (!a->nr_lanes) {
		erofs_ahead_stop(a);
		return ret;
	}
	*out = a;
	return 0;
}

static erofs_nid_t index_nid(const struct erofs_ahead *a, uint32_t v)
{
	return v & AHEAD_DIR ? a->dirs[v & ~AHEAD_DIR] : a->job_nids[v];
}

static uint64_t index_hash(const void *priv, uint32_t v)
{
	return erofs_hash_u64(index_nid(priv, v));
}

/*
 * The index value nid was offered under, or -1 when it never was; under
 * the lock
 */
static int64_t find_offer(struct erofs_ahead *a, erofs_nid_t nid)
{
	size_t iter = 0;
	uint32_t v;

	while (erofs_idxtab_next(&a->index, erofs_hash_u64(nid), &iter, &v))
		if (index_nid(a, v) == nid)
			return v;
	return -1;
}

/* file nid, which job_nids or dirs already holds at pos */
static int index_add(struct erofs_ahead *a, erofs_nid_t nid, size_t pos,
		     bool dir)
{
	/* below the bit that tells them apart (and UINT32_MAX - 1) */
	if (pos >= AHEAD_DIR - 1)
		return -EOVERFLOW;
	return erofs_idxtab_add(&a->index, erofs_hash_u64(nid),
				(dir ? AHEAD_DIR : 0) | (uint32_t)pos,
				index_hash, a);
}

/*
 * One offer, under the lock; j: a job ready for it (taken, or kept).
 * *woken: whether a lane may now have something to do.
 */
static int offer_locked(struct erofs_ahead *a, erofs_nid_t nid, bool dir,
			struct erofs_ahead_job **j, bool *woken)
{
	int ret;

	/* a nid met again (a hard link, or listed by a lane and then by
	 * the walk): its job exists, or is applied */
	if (find_offer(a, nid) >= 0)
		return 0;
	if (dir) {
		if (erofs_array_reserve(&a->dirs, &a->dirs_cap,
					a->nr_dirs + 1))
			return -ENOMEM;
		a->dirs[a->nr_dirs] = nid;
		ret = index_add(a, nid, a->nr_dirs, true);
		if (ret)
			return ret;
		a->nr_dirs++;
		*woken |= a->nr_queued < AHEAD_LOW;
		return 0;
	}
	if (!*j ||
	    erofs_array_reserve(&a->jobs, &a->jobs_cap, a->nr_jobs + 1) ||
	    erofs_array_reserve(&a->job_nids, &a->job_nids_cap,
				a->nr_jobs + 1))
		return -ENOMEM;
	a->job_nids[a->nr_jobs] = nid;
	ret = index_add(a, nid, a->nr_jobs, false);
	if (ret)
		return ret;
	(*j)->nid = nid;
	(*j)->state = JOB_QUEUED;
	a->jobs[a->nr_jobs++] = *j;
	a->nr_queued++;
	*j = NULL;
	*woken = true;
	return 0;
}

int erofs_ahead_flush(struct erofs_ahead *a, struct erofs_ahead_offers *o)
{
	struct erofs_ahead_job *jobs[EROFS_AHEAD_BATCH];
	bool woken = false;
	unsigned int i;
	int ret = 0;

	if (!o->nr)
		return 0;
	/* allocated before the lock, which the lanes wait for */
	for (i = 0; i < o->nr; i++)
		jobs[i] = o->dir[i] ? NULL : calloc(1, sizeof(*jobs[i]));
	pthread_mutex_lock(&a->lock);
	for (i = 0; i < o->nr && !ret; i++)
		ret = offer_locked(a, o->nid[i], o->dir[i], &jobs[i], &woken);
	pthread_mutex_unlock(&a->lock);
	/* one wake-up for the lot, after the lock (which a lane woken
	 * under it would wait for at once) */
	if (woken)
		pthread_cond_broadcast(&a->work);
	for (i = 0; i < o->nr; i++)
		free(jobs[i]);
	o->nr = 0;
	return ret;
}

int erofs_ahead_add(struct erofs_ahead *a, struct erofs_ahead_offers *o,
		    erofs_nid_t nid, bool dir)
{
	o->nid[o->nr] = nid;
	o->dir[o->nr] = dir;
	return ++o->nr < EROFS_AHEAD_BATCH ? 0 : erofs_ahead_flush(a, o);
}

struct erofs_ahead_job *erofs_ahead_take(struct erofs_ahead *a,
					 erofs_nid_t nid)
{
	struct erofs_ahead_job *j = NULL;
	int64_t pos;

	pthread_mutex_lock(&a->lock);
	pos = find_offer(a, nid);
	/* a directory, or a job taken before (a hard link met again) */
	if (pos < 0 || pos & AHEAD_DIR || !a->jobs[pos])
		goto out;
	j = a->jobs[pos];
	if (j->state == JOB_QUEUED) {
		/* queued jobs lie past a->next: the workers free it there */
		j->state = JOB_CLAIMED;
		j = NULL;
		/* idle workers may expand directories again */
		if (--a->nr_queued == AHEAD_LOW - 1 && a->dnext < a->nr_dirs)
			pthread_cond_broadcast(&a->work);
		goto out;
	}
	a->awaited = j;
	while (j->state == JOB_RUNNING)
		pthread_cond_wait(&a->done, &a->lock);
	a->awaited = NULL;
	a->jobs[pos] = NULL;
out:
	pthread_mutex_unlock(&a->lock);
	return j;
}

void erofs_ahead_release(struct erofs_ahead *a, struct erofs_ahead_job *j)
{
	if (!j)
		return;
	a->ops->drop(a->priv, j);
	pthread_mutex_lock(&a->lock);
	/* a worker may wait for the budget */
	if (a->held >= a->budget && a->held - j->mem < a->budget)
		pthread_cond_broadcast(&a->work);
	a->held -= j->mem;
	pthread_mutex_unlock(&a->lock);
	free(j);
}

void erofs_ahead_stop(struct erofs_ahead *a)
{
	unsigned int i;
	size_t k;

	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_broadcast(&a->work);
	pthread_mutex_unlock(&a->lock);
	for (i = 0; i < a->nr_lanes; i++) {
		if (a->lanes[i].started)
			pthread_join(a->lanes[i].thread, NULL);
		lane_close(&a->lanes[i]);
	}
	for (k = 0; k < a->nr_jobs; k++) {
		struct erofs_ahead_job *j = a->jobs[k];

		if (!j)
			continue;
		if (j->state == JOB_DONE)
			a->ops->drop(a->priv, j);
		free(j);
	}
	free(a->jobs);
	free(a->dirs);
	free(a->lanes);
	free(a->job_nids);
	erofs_idxtab_release(&a->index);
	pthread_cond_destroy(&a->work);
	pthread_cond_destroy(&a->done);
	pthread_mutex_destroy(&a->lock);
	free(a);
}
