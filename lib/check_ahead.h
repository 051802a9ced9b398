/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * check_ahead.h - file data checked ahead of the walk (private to lib/).
 *
 * The check engine walks the tree in one thread, in a fixed order, and
 * its reports come in that order.  Most of its time is spent decoding
 * regular files, which depends on nothing the walk has seen.  So the
 * engine offers each regular file as soon as a directory lists it, and
 * worker threads compute it ahead, each on its own open copy of the image
 * (a "lane": the reader's caches are not thread-safe).  When the walk
 * reaches the file, it takes the result, waiting if a worker is still on
 * it, and applies it in its place; a file no worker has started yet is
 * claimed and done by the walk itself.  What a job computes, and how the
 * engine applies it, is the engine's business (ops); this file only runs
 * the jobs, so the walk's order, and so the output, is the same for any
 * number of workers.
 *
 * A directory listed by the walk shows only its own files, and many
 * directories hold few (a /usr/share/doc), so the walk also offers the
 * directories it meets: a worker with no file to compute, and few queued,
 * lists one on its lane and offers what it holds (expand).  Offers are
 * hints: a nid the walk never reaches only costs its work.
 *
 * Memory: jobs done but not yet taken hold their results; no worker
 * starts a job while they hold more than the budget.
 */
#ifndef __EROFS_CHECK_AHEAD_H
#define __EROFS_CHECK_AHEAD_H

#include "erofs/reader.h"

struct erofs_ahead;

struct erofs_ahead_job {
	erofs_nid_t nid;
	int state;		/* private */
	size_t mem;		/* set by run: bytes the result holds */
	void *result;		/* the engine's */
};

struct erofs_ahead_ops {
	/*
	 * In a worker: compute job j on the lane image img (scratch: the
	 * lane's buffer).  The lane's log
	 * messages while it runs go to log(), so that the engine can replay
	 * them in the walk's order.
	 */
	void (*run)(void *priv, struct erofs_image *img, void *scratch,
		    struct erofs_ahead_job *j);
	void (*log)(void *priv, struct erofs_ahead_job *j, int level,
		    const char *msg);
	/* free j->result (a job taken and applied, or never taken) */
	void (*drop)(void *priv, struct erofs_ahead_job *j);
	/*
	 * In a worker: list directory nid on img and offer its regular
	 * files and directories (erofs_ahead_add; may be NULL)
	 */
	void (*expand)(void *priv, struct erofs_ahead *a,
		       struct erofs_image *img, erofs_nid_t nid);
};

/*
 * Open `workers` lanes on img (its devices too), each with `scratch` bytes
 * for run(), and start their threads.  0 or -errno (nothing to stop then).
 */
int erofs_ahead_start(struct erofs_ahead **out, struct erofs_image *img,
		      unsigned int workers, size_t scratch, size_t budget,
		      const struct erofs_ahead_ops *ops, void *priv);
/*
 * Offers gathered (one directory's entries, say) and queued under one
 * lock: the walk and the lanes offer thousands, and the lanes wait for
 * that lock.  Zero-initialised, then erofs_ahead_add() for each and
 * erofs_ahead_flush() at the end.
 */
#define EROFS_AHEAD_BATCH	64
struct erofs_ahead_offers {
	unsigned int nr;
	erofs_nid_t nid[EROFS_AHEAD_BATCH];
	bool dir[EROFS_AHEAD_BATCH];
};
/*
 * Add nid, a regular file to compute or (dir) a directory to expand, to
 * o; queued when o is full or flushed.  A nid offered before is ignored.
 * 0 or -ENOMEM (of the offers queued then).
 */
int erofs_ahead_add(struct erofs_ahead *a, struct erofs_ahead_offers *o,
		    erofs_nid_t nid, bool dir);
/* queue what o holds, and empty it; 0 or -ENOMEM */
int erofs_ahead_flush(struct erofs_ahead *a, struct erofs_ahead_offers *o);
/*
 * The job of nid, done (waiting for the worker on it), or NULL: never
 * offered, or not started, which it then never will be (the caller does
 * the work itself).  Give it back with erofs_ahead_release().
 */
struct erofs_ahead_job *erofs_ahead_take(struct erofs_ahead *a,
					 erofs_nid_t nid);
void erofs_ahead_release(struct erofs_ahead *a, struct erofs_ahead_job *j);
/* stop and join the workers, drop the jobs never taken, free a */
void erofs_ahead_stop(struct erofs_ahead *a);

#endif
