// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zreuse_pre.c - load the --reuse images in a thread while the front end
 * walks the source (erofs_mkfs_reuse_start), for the build to take over.
 *
 * Why: loading is listing OLD's fingerprints and proving its settings by
 * encoding a few of its files again, all before the first file is
 * compressed, while the walk keeps only one CPU busy: 16 ms of a 350 ms
 * -zlz4hc --reuse build of a rootfs, and the proof alone about 65 ms of
 * a -zlzma one.
 *
 * How it stays exact: the thread runs the build's own loader
 * (erofs_wr_reuse_load_all) on a private writer made from a copy of the
 * params as they were when it started, and keeps what the loader logged.
 * The build takes the result only if everything the loader reads still
 * agrees with its params (the walk may have set the block size, say); it
 * then logs the kept messages where it would have logged them itself.
 * Otherwise it drops the result and loads the images itself.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/array.h"
#include "writer_internal.h"

struct pre_msg {
	int level;
	char *text;
};

struct erofs_mkfs_reuse {
	struct erofs_mkfs_params p;	/* as when started */
	struct erofs_wr w;		/* the loader's writer */
	struct erofs_log quiet, keep;
	struct pre_msg *msgs;
	size_t nr_msgs, cap_msgs;
	bool nomem;			/* a message was lost */
	bool set_up;			/* w.z is the params' */
	bool taken;			/* by a build */
	int ret;			/* the loader's */
	pthread_t thread;
	bool running;
};

static void pre_keep(void *priv, int level, const char *msg)
{
	struct erofs_mkfs_reuse *r = priv;
	char *text;

	if (erofs_array_reserve(&r->msgs, &r->cap_msgs, r->nr_msgs + 1) ||
	    !(text = strdup(msg))) {
		r->nomem = true;
		return;
	}
	r->msgs[r->nr_msgs].level = level;
	r->msgs[r->nr_msgs++].text = text;
}

static void *pre_main(void *arg)
{
	struct erofs_mkfs_reuse *r = arg;

	/* its checks and warnings are the build's to give */
	r->w.log = &r->quiet;
	if (erofs_wr_z_init(&r->w))
		return NULL;
	r->set_up = true;
	r->w.log = &r->keep;
	r->ret = erofs_wr_reuse_load_all(&r->w);
	return NULL;
}

int erofs_mkfs_reuse_start(const struct erofs_mkfs_params *p,
			   struct erofs_mkfs_reuse **rp)
{
	struct erofs_mkfs_reuse *r;

	*rp = NULL;
	if (!p->nr_reuse || !p->nr_compr)
		return 0;
	r = calloc(1, sizeof(*r));
	if (!r) {
		erofs_err(p->log, "--reuse: out of memory");
		return -ENOMEM;
	}
	r->p = *p;
	r->p.reuse_pre = NULL;
	erofs_log_init(&r->quiet);
	r->quiet.level = -1;
	erofs_log_init(&r->keep);
	r->keep.level = p->log ? p->log->level : EROFS_LOG_WARN;
	r->keep.sink = pre_keep;
	r->keep.priv = r;
	r->w.p = &r->p;
	r->w.blkszbits = p->blkszbits;
	r->w.bs = 1U << (p->blkszbits & 31);
	/* a thread that cannot start leaves the loading to the build */
	if (p->blkszbits < EROFS_MIN_BLKSZBITS ||
	    p->blkszbits > EROFS_MAX_BLKSZBITS ||
	    pthread_create(&r->thread, NULL, pre_main, r)) {
		free(r);
		return 0;
	}
	r->running = true;
	*rp = r;
	return 0;
}

static bool pre_same_cfg(const struct erofs_compress_cfg *a,
			 const struct erofs_compress_cfg *b)
{
	return a->c == b->c && a->level == b->level &&
	       a->dictsize == b->dictsize && a->lzma_lc == b->lzma_lc &&
	       a->lzma_lp == b->lzma_lp && a->lzma_pb == b->lzma_pb;
}

/* does the loader's writer read what w would? */
static bool pre_agrees(const struct erofs_mkfs_reuse *r,
		       const struct erofs_wr *w)
{
	const struct erofs_mkfs_params *a = &r->p, *b = w->p;
	unsigned int i;

	if (a->blkszbits != b->blkszbits || a->nr_compr != b->nr_compr ||
	    a->reuse != b->reuse || a->nr_reuse != b->nr_reuse ||
	    a->legacy_compress != b->legacy_compress ||
	    a->fragments != b->fragments ||
	    a->all_fragments != b->all_fragments ||
	    a->ztailpacking != b->ztailpacking ||
	    r->w.z.pcluster_dflt != w->z.pcluster_dflt ||
	    r->w.z.max_extent != w->z.max_extent)
		return false;
	for (i = 0; i < a->nr_compr; i++)
		if (!pre_same_cfg(&r->w.z.cfgs[i], &w->z.cfgs[i]) ||
		    r->w.z.cfgs[i].max_pclusterblks !=
		    w->z.cfgs[i].max_pclusterblks)
			return false;
	return true;
}

int erofs_mkfs_reuse_take(struct erofs_mkfs_reuse *r, struct erofs_wr *w,
			  bool *taken)
{
	size_t i;

	*taken = false;
	if (!r->running)
		return 0;
	pthread_join(r->thread, NULL);
	r->running = false;
	if (!r->set_up || r->nomem || !pre_agrees(r, w)) {
		/* the build loads them itself: no need to hold them twice */
		if (r->set_up)
			erofs_wr_reuse_release(&r->w);
		return 0;
	}
	*taken = r->taken = true;
	for (i = 0; i < r->nr_msgs; i++)
		erofs_log_emit(w->log, r->msgs[i].level, "%s",
			       r->msgs[i].text);
	if (r->ret)
		return r->ret;
	w->reuse = r->w.reuse;
	memset(&r->w.reuse, 0, sizeof(r->w.reuse));
	return 0;
}

bool erofs_mkfs_reuse_taken(const struct erofs_mkfs_reuse *r)
{
	return r && r->taken;
}

void erofs_mkfs_reuse_free(struct erofs_mkfs_reuse *r)
{
	size_t i;

	if (!r)
		return;
	if (r->running)
		pthread_join(r->thread, NULL);
	if (r->set_up)
		erofs_wr_z_release(&r->w);	/* and what was not taken */
	for (i = 0; i < r->nr_msgs; i++)
		free(r->msgs[i].text);
	free(r->msgs);
	free(r);
}
