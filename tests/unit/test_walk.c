// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * test_walk.c - the directory-tree walk (lib/walk.c): order, first paths,
 * hard links, a directory cycle, and a tree deeper than any stack limit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "erofs/check.h"
#include "erofs/mkfs.h"
#include "erofs/tree.h"
#include "erofs/walk.h"
#include "reader_img.h"

static unsigned char img_buf[TIMG_SIZE];

struct rec {
	char log[1024];
	unsigned int visits, agains, leaves, max_depth;
};

static void log_add(struct rec *r, const char *fmt, ...)
{
	size_t n = strlen(r->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->log + n, sizeof(r->log) - n, fmt, ap);
	va_end(ap);
}

static struct erofs_walk *cur;

static int on_visit(void *priv, const struct erofs_walk_entry *e, size_t idx,
		    struct erofs_inode *inode, int err)
{
	struct rec *r = priv;
	char *first = NULL;
	size_t cap = 0;

	assert_int_equal(err, 0);
	/* a node's first path is put together from its directory's */
	assert_int_equal(erofs_walk_node_path(cur, idx, false, &first, &cap),
			 0);
	assert_string_equal(first, erofs_walk_path(cur));
	assert_int_equal(erofs_walk_node_path(cur, idx, true, &first, &cap),
			 0);
	assert_string_equal(first, erofs_walk_relpath(cur));
	free(first);
	first = NULL;
	cap = 0;
	assert_int_equal(erofs_walk_node_path(cur, erofs_walk_nr_nodes(cur),
					      false, &first, &cap), -ENOENT);
	r->visits++;
	if (e && e->depth > r->max_depth)
		r->max_depth = e->depth;
	if (r->visits < 40)
		log_add(r, "v%zu:%s ", idx, erofs_walk_path(cur));
	return 0;
}

static int on_again(void *priv, const struct erofs_walk_entry *e, size_t idx)
{
	struct rec *r = priv;
	char *first = NULL;
	size_t cap = 0;

	r->agains++;
	assert_int_equal(erofs_walk_node_path(cur, idx, false, &first, &cap),
			 0);
	log_add(r, "a%zu:%s(%s) ", idx, erofs_walk_path(cur), first);
	free(first);
	return 0;
}

static int on_leave(void *priv, const struct erofs_walk_dir *d)
{
	struct rec *r = priv;

	r->leaves++;
	if (r->visits < 40)
		log_add(r, "l:%s ", erofs_walk_path(cur));
	return 0;
}

static const struct erofs_walk_ops ops = {
	.visit = on_visit, .again = on_again, .leave = on_leave,
};

static void walk_mem(unsigned char *buf, size_t len, struct rec *r)
{
	struct erofs_image img;
	struct erofs_inode root;
	struct erofs_walk w;
	struct erofs_log log;
	struct erofs_io io;

	erofs_log_init(&log);
	assert_int_equal(erofs_io_open_mem(&io, buf, len, false), 0);
	assert_int_equal(erofs_image_open(&img, &io, &log, 0), 0);
	assert_int_equal(erofs_inode_read(&img, img.root_nid, &root), 0);
	memset(r, 0, sizeof(*r));
	erofs_walk_init(&w, &img, &ops, r);
	cur = &w;
	assert_int_equal(erofs_walk_run(&w, &root, "/", true, root.nid), 0);
	erofs_walk_release(&w);
	erofs_image_release(&img);
	erofs_io_close(&io);
}

/* on-disk order, pre-order, first path of a hard link, post-order leave */
static void test_order_links(void **state)
{
	struct rec r;

	(void)state;
	timg_build(img_buf);
	timg_fix_crc(img_buf);
	walk_mem(img_buf, TIMG_SIZE, &r);
	assert_string_equal(r.log,
		"v0:/ v1:/c v2:/d v3:/d/x l:/d a3:/f(/d/x) v4:/l l:/ ");
	assert_int_equal(r.visits, 5);
	assert_int_equal(r.agains, 1);
	assert_int_equal(r.leaves, 2);
}

/* /d/x -> the root: met again, never entered again */
static void test_cycle(void **state)
{
	struct erofs_check_params p;
	struct erofs_check_stats st;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;
	struct rec r;

	(void)state;
	timg_build(img_buf);
	timg_put64(img_buf + TIMG_D_DATA + 2 * 12, TIMG_ROOT);
	img_buf[TIMG_D_DATA + 2 * 12 + 11] = EROFS_FT_DIR;
	timg_fix_crc(img_buf);
	walk_mem(img_buf, TIMG_SIZE, &r);
	assert_int_equal(r.agains, 1);
	assert_int_equal(r.leaves, 2);

	erofs_log_init(&log);
	assert_int_equal(erofs_io_open_mem(&io, img_buf, TIMG_SIZE, false), 0);
	assert_int_equal(erofs_image_open(&img, &io, &log, 0), 0);
	erofs_check_params_init(&p);
	assert_int_equal(erofs_check_image(&img, &p, &st), 0);
	assert_true(st.counts[EROFS_PROB_DIR_LOOP] >= 1);
	erofs_image_release(&img);
	erofs_io_close(&io);
}

#define DEEP	3000

/* a valid tree far deeper than 1024 directories: walked and clean */
static void test_deep(void **state)
{
	struct erofs_node *root, *dir;
	struct erofs_mkfs_params p;
	struct erofs_check_params cp;
	struct erofs_check_stats st;
	struct erofs_image img;
	struct erofs_log log;
	struct erofs_io io;
	struct rec r;
	unsigned int i;

	(void)state;
	erofs_log_init(&log);
	root = erofs_node_new(S_IFDIR | 0755);
	assert_non_null(root);
	root->path = strdup("/");
	dir = root;
	for (i = 0; i < DEEP; i++) {
		struct erofs_node *n = erofs_node_new(S_IFDIR | 0755);

		assert_non_null(n);
		n->path = strdup("/d");
		assert_int_equal(erofs_tree_add(dir, "d", 1, n), 0);
		erofs_node_put(n);
		dir = n;
	}
	assert_int_equal(erofs_tree_finalize(root), 0);
	erofs_mkfs_params_init(&p);
	p.log = &log;
	p.build_time = 1700000000;
	assert_int_equal(erofs_io_open_mem(&io, NULL, 0, true), 0);
	assert_int_equal(erofs_mkfs_build(&p, root, &io, NULL), 0);
	erofs_node_put(root);

	walk_mem(io.buf, io.len, &r);
	assert_int_equal(r.visits, DEEP + 1);
	assert_int_equal(r.max_depth, DEEP);
	assert_int_equal(r.leaves, DEEP + 1);

	assert_int_equal(erofs_image_open(&img, &io, &log, 0), 0);
	erofs_check_params_init(&cp);
	assert_int_equal(erofs_check_image(&img, &cp, &st), 0);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.dirs, DEEP + 1);
	/* a limit is still reported when a caller asks for one */
	cp.max_depth = 1024;
	assert_int_equal(erofs_check_image(&img, &cp, &st), 0);
	assert_int_equal(st.counts[EROFS_PROB_DIR_DEPTH], 1);
	erofs_image_release(&img);
	erofs_io_close(&io);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_links),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_deep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
