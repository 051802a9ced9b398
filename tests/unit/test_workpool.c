// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_workpool.c - the generic work pool (lib/workpool.c): every job runs
 * once whatever the number of workers, the start/exit hooks run once per
 * worker, jobs that wait on earlier ones (the compressed writer's hash
 * order) finish, and the first error stops the pool -- waiters included --
 * and is the one returned.
 */
#include "config.h"
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "../../lib/workpool.h"

#define NR_JOBS	200

struct ctx {
	struct erofs_workpool *wp;
	int runs[NR_JOBS];
	uint64_t out[NR_JOBS];
	int started[16], exited[16];
	size_t done_upto;		/* chain: jobs done in order so far */
	size_t fail_at;			/* job that fails, or NR_JOBS */
	bool chain;
};

static int on_start(void *priv, unsigned int worker)
{
	struct ctx *c = priv;

	__atomic_add_fetch(&c->started[worker], 1, __ATOMIC_RELAXED);
	return 0;
}

static int on_exit_hook(void *priv, unsigned int worker)
{
	struct ctx *c = priv;

	__atomic_add_fetch(&c->exited[worker], 1, __ATOMIC_RELAXED);
	return 0;
}

static int on_run(void *priv, unsigned int worker, size_t job)
{
	struct ctx *c = priv;
	uint64_t x = job + 1;
	int i;

	(void)worker;
	__atomic_add_fetch(&c->runs[job], 1, __ATOMIC_RELAXED);
	if (job == c->fail_at)
		return -EIO;
	if (c->chain) {
		/* wait for the jobs before this one, as hashing does */
		bool ok = true;

		erofs_workpool_lock(c->wp);
		while (c->done_upto < job && (ok = erofs_workpool_wait(c->wp)))
			;
		if (ok) {
			c->done_upto = job + 1;
			erofs_workpool_wake(c->wp);
		}
		erofs_workpool_unlock(c->wp);
		if (!ok)
			return -ECANCELED;
	}
	for (i = 0; i < 1000; i++)
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	c->out[job] = x;	/* each job writes its own slot only */
	return 0;
}

static const struct erofs_workpool_ops ops = {
	.start = on_start, .run = on_run, .finish = on_exit_hook,
};

static int run(struct ctx *c, long workers, bool chain, size_t fail_at)
{
	struct erofs_workpool wp;
	int ret;

	memset(c, 0, sizeof(*c));
	c->wp = &wp;
	c->chain = chain;
	c->fail_at = fail_at;
	erofs_workpool_init(&wp, NR_JOBS, workers, 16, NULL);
	assert_true(wp.nr_workers >= 1 && wp.nr_workers <= 16);
	ret = erofs_workpool_run(&wp, &ops, c);
	erofs_workpool_release(&wp);
	return ret;
}

static void test_same_results(void **state)
{
	static struct ctx one, many;
	long n;
	size_t i;

	(void)state;
	assert_int_equal(run(&one, 1, false, NR_JOBS), 0);
	for (n = 2; n <= 8; n *= 2) {
		assert_int_equal(run(&many, n, n == 8, NR_JOBS), 0);
		for (i = 0; i < NR_JOBS; i++)
			assert_int_equal(many.runs[i], 1);
		assert_memory_equal(one.out, many.out, sizeof(one.out));
		for (i = 0; i < (size_t)n; i++) {
			assert_int_equal(many.started[i], 1);
			assert_int_equal(many.exited[i], 1);
		}
	}
}

static void test_first_error_stops(void **state)
{
	static struct ctx c;
	size_t i, after = 0;
	long n;

	(void)state;
	for (n = 1; n <= 4; n *= 2) {
		/* the waiters must be woken, and their -ECANCELED must not
		 * replace the real error */
		assert_int_equal(run(&c, n, true, 50), -EIO);
		for (i = 0; i < NR_JOBS; i++)
			assert_true(c.runs[i] <= 1);
		for (i = 51; i < NR_JOBS; i++)
			after += c.runs[i];
		/* at most the jobs already taken by the other workers */
		assert_true(after < (size_t)n);
		/* a failed worker does not run its exit hook (one that
		 * only saw the stop between jobs does) */
		assert_true(c.exited[0] + c.exited[1] + c.exited[2] +
			    c.exited[3] < n);
	}
}

static void test_no_jobs(void **state)
{
	struct erofs_workpool wp;
	struct ctx c = { 0 };

	(void)state;
	erofs_workpool_init(&wp, 0, 4, 16, NULL);
	assert_int_equal(wp.nr_workers, 0);
	assert_int_equal(erofs_workpool_run(&wp, &ops, &c), 0);
	erofs_workpool_release(&wp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_results),
		cmocka_unit_test(test_first_error_stops),
		cmocka_unit_test(test_no_jobs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
