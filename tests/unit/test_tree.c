// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/* test_tree.c - name order, nlink, xattr set/del, big and deep trees. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "erofs/tree.h"

static struct erofs_node *mkdir_node(void)
{
	struct erofs_node *n = erofs_node_new(S_IFDIR | 0755);

	assert_non_null(n);
	return n;
}

/* add and drop the creator's reference, as importers do */
static struct erofs_node *add(struct erofs_node *dir, const char *name,
			      mode_t mode)
{
	struct erofs_node *n = erofs_node_new(mode);

	assert_non_null(n);
	assert_int_equal(erofs_tree_add(dir, name, strlen(name), n), 0);
	erofs_node_put(n);
	return n;
}

static void test_name_cmp(void **state)
{
	assert_true(erofs_name_cmp("a", 1, "b", 1) < 0);
	assert_true(erofs_name_cmp("ab", 2, "a", 1) > 0);
	assert_true(erofs_name_cmp("a", 1, "ab", 2) < 0);
	assert_int_equal(erofs_name_cmp("abc", 3, "abc", 3), 0);
	/* bytes compare unsigned: 0x80 sorts after '~' */
	assert_true(erofs_name_cmp("\x80", 1, "~", 1) > 0);
	assert_true(erofs_name_cmp(" space", 6, ".", 1) < 0);
	assert_true(erofs_name_cmp("!bang", 5, ".", 1) < 0);
	assert_true(erofs_name_cmp("-dash", 5, ".", 1) < 0);
	/* only the given lengths count, not what follows */
	assert_int_equal(erofs_name_cmp("abX", 2, "abY", 2), 0);
}

static void test_sort(void **state)
{
	/* the order erofs-format.md 5.3 requires */
	static const char *const sorted[] = {
		" space", "!bang", "-dash", "A", "a", "ab", "a\xff", "b",
		"~", "\x80x", "\xff",
	};
	static const int perm[] = { 7, 2, 10, 0, 5, 9, 3, 1, 8, 6, 4 };
	struct erofs_node *root = mkdir_node();
	size_t i;

	for (i = 0; i < EROFS_ARRAY_SIZE(perm); i++)
		add(root, sorted[perm[i]], S_IFREG | 0644);
	assert_int_equal(erofs_tree_finalize(root), 0);
	assert_int_equal(root->nr_dentries, EROFS_ARRAY_SIZE(sorted));
	for (i = 0; i < EROFS_ARRAY_SIZE(sorted); i++)
		assert_string_equal(root->dentries[i].name, sorted[i]);
	/* finalize twice gives the same result */
	assert_int_equal(erofs_tree_finalize(root), 0);
	for (i = 0; i < EROFS_ARRAY_SIZE(sorted); i++)
		assert_string_equal(root->dentries[i].name, sorted[i]);
	erofs_node_put(root);
}

static void test_nlink(void **state)
{
	struct erofs_node *root = mkdir_node(), *d1, *d2, *f, *sub;

	d1 = add(root, "d1", S_IFDIR | 0755);
	d2 = add(root, "d2", S_IFDIR | 0755);
	sub = add(d1, "sub", S_IFDIR | 0755);
	f = add(root, "f", S_IFREG | 0644);
	/* two more names for f: a hard link in d1 and one in sub */
	assert_int_equal(erofs_tree_add(d1, "link", 4, f), 0);
	assert_int_equal(erofs_tree_add(sub, "link2", 5, f), 0);
	add(d2, "sock", S_IFSOCK | 0644);

	assert_int_equal(erofs_tree_finalize(root), 0);
	assert_int_equal(root->nlink, 4);	/* 2 + d1 + d2 */
	assert_int_equal(d1->nlink, 3);		/* 2 + sub */
	assert_int_equal(d2->nlink, 2);
	assert_int_equal(sub->nlink, 2);
	assert_int_equal(f->nlink, 3);
	assert_int_equal(f->refcount, 3);
	assert_ptr_equal(d1->parent, root);
	assert_ptr_equal(sub->parent, d1);
	assert_null(root->parent);
	/* recomputed from scratch, not accumulated */
	assert_int_equal(erofs_tree_finalize(root), 0);
	assert_int_equal(f->nlink, 3);
	assert_int_equal(root->nlink, 4);
	erofs_node_put(root);
}

static void test_errors(void **state)
{
	struct erofs_node *root = mkdir_node(), *f, *d;
	char longname[300];

	f = add(root, "dup", S_IFREG | 0644);
	assert_int_equal(erofs_tree_add(root, "dup", 3, f), 0);
	assert_int_equal(erofs_tree_finalize(root), -EEXIST);
	erofs_node_put(root);

	root = mkdir_node();
	f = add(root, "f", S_IFREG | 0644);
	assert_int_equal(erofs_tree_add(f, "x", 1, root), -ENOTDIR);
	assert_int_equal(erofs_tree_add(root, ".", 1, f), -EINVAL);
	assert_int_equal(erofs_tree_add(root, "..", 2, f), -EINVAL);
	assert_int_equal(erofs_tree_add(root, "a/b", 3, f), -EINVAL);
	assert_int_equal(erofs_tree_add(root, "a\0b", 3, f), -EINVAL);
	assert_int_equal(erofs_tree_add(root, "", 0, f), -EINVAL);
	memset(longname, 'x', sizeof(longname));
	assert_int_equal(erofs_tree_add(root, longname, 256, f), -EINVAL);
	assert_int_equal(erofs_tree_add(root, longname, 255, f), 0);
	/* a directory with two names */
	d = add(root, "d", S_IFDIR | 0755);
	assert_int_equal(erofs_tree_add(root, "d2", 2, d), 0);
	assert_int_equal(erofs_tree_finalize(root), -EMLINK);
	erofs_node_put(root);
	erofs_node_put(NULL);	/* accepted */
}

static void test_xattrs(void **state)
{
	struct erofs_node *root = mkdir_node(), *f;
	char name[32];
	int i;

	f = add(root, "f", S_IFREG | 0644);
	assert_int_equal(erofs_node_set_xattr(f, "user.b", "1", 1), 0);
	assert_int_equal(erofs_node_set_xattr(f, "trusted.a", "22", 2), 0);
	assert_int_equal(erofs_node_set_xattr(f, "user.a", "", 0), 0);
	assert_int_equal(erofs_node_set_xattr(f, "security.z", "zz", 2), 0);
	/* replace keeps one entry and copies the new value */
	assert_int_equal(erofs_node_set_xattr(f, "user.b", "333", 3), 0);
	assert_int_equal(f->nr_xattrs, 4);
	assert_int_equal(erofs_node_del_xattr(f, "security.z"), 0);
	assert_int_equal(erofs_node_del_xattr(f, "security.z"), -ENODATA);
	assert_int_equal(erofs_node_set_xattr(f, "", "x", 1), -EINVAL);
	assert_int_equal(erofs_tree_finalize(root), 0);
	assert_int_equal(f->nr_xattrs, 3);
	assert_string_equal(f->xattrs[0].name, "trusted.a");
	assert_string_equal(f->xattrs[1].name, "user.a");
	assert_int_equal(f->xattrs[1].value_len, 0);
	assert_non_null(f->xattrs[1].value);
	assert_string_equal(f->xattrs[2].name, "user.b");
	assert_int_equal(f->xattrs[2].value_len, 3);
	assert_memory_equal(f->xattrs[2].value, "333", 3);
	assert_int_equal(f->xattrs[2].name_len, 6);

	/* many xattrs, set in reverse, deleted in the middle */
	for (i = 99; i >= 0; i--) {
		snprintf(name, sizeof(name), "user.%03d", i);
		assert_int_equal(erofs_node_set_xattr(root, name, name, 8), 0);
	}
	for (i = 10; i < 20; i++) {
		snprintf(name, sizeof(name), "user.%03d", i);
		assert_int_equal(erofs_node_del_xattr(root, name), 0);
	}
	for (i = 10; i < 15; i++) {
		snprintf(name, sizeof(name), "user.%03d", i);
		assert_int_equal(erofs_node_set_xattr(root, name, "v", 1), 0);
	}
	assert_int_equal(erofs_tree_finalize(root), 0);
	assert_int_equal(root->nr_xattrs, 95);
	for (i = 1; i < 95; i++)
		assert_true(strcmp(root->xattrs[i - 1].name,
				   root->xattrs[i].name) < 0);
	erofs_node_put(root);
}

static void test_big_and_deep(void **state)
{
	struct erofs_node *root = mkdir_node(), *d = root;
	clock_t t0 = clock();
	char name[32];
	int i;

	/* a 20000-entry directory, added in descending order */
	for (i = 20000; i > 0; i--) {
		snprintf(name, sizeof(name), "f%06d", i);
		add(root, name, S_IFREG | 0644);
	}
	/* and a 20000-level chain of directories */
	for (i = 0; i < 20000; i++)
		d = add(d, "d", S_IFDIR | 0755);
	assert_int_equal(erofs_tree_finalize(root), 0);
	assert_string_equal(root->dentries[0].name, "d");
	assert_string_equal(root->dentries[1].name, "f000001");
	assert_string_equal(root->dentries[20000].name, "f020000");
	assert_int_equal(root->nlink, 3);
	assert_int_equal(d->nlink, 2);
	erofs_node_put(root);	/* must not recurse 20000 deep */
	/* generous: this takes milliseconds unless something is quadratic */
	assert_true(clock() - t0 < 5 * CLOCKS_PER_SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_cmp),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_nlink),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_xattrs),
		cmocka_unit_test(test_big_and_deep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
