// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * ishare_report.c - fingerprint lists of images and the sharing report
 * over several of them (dump --fingerprint).  The report is pure data so
 * that the kernel's rule and the arithmetic are unit-tested on synthetic
 * lists; only erofs_ishare_collect() touches an image.
 */
#include "config.h"
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "erofs/array.h"
#include "erofs/ishare_report.h"
#include "erofs/walk.h"

/* ---------------------------------------------------------------- lists */

void erofs_ishare_list_init(struct erofs_ishare_list *list)
{
	memset(list, 0, sizeof(*list));
	list->prefix_id = -1;
}

void erofs_ishare_list_release(struct erofs_ishare_list *list)
{
	size_t i;

	for (i = 0; i < list->nr; i++) {
		free(list->files[i].path);
		free(list->files[i].value);
	}
	free(list->files);
	free(list->label);
	free(list->key);
	erofs_ishare_list_init(list);
}

int erofs_ishare_list_set_label(struct erofs_ishare_list *list,
				const char *label)
{
	char *s = NULL;

	if (label) {
		s = strdup(label);
		if (!s)
			return -ENOMEM;
	}
	free(list->label);
	list->label = s;
	return 0;
}

int erofs_ishare_list_add(struct erofs_ishare_list *list, const char *path,
			  uint64_t size, erofs_nid_t nid,
			  enum erofs_ishare_readpath readpath,
			  const void *value, size_t value_len)
{
	struct erofs_ishare_file *f;

	if (erofs_array_reserve(&list->files, &list->cap, list->nr + 1))
		return -ENOMEM;
	f = &list->files[list->nr];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		return -ENOMEM;
	if (value) {
		f->value = malloc(value_len ? value_len : 1);
		if (!f->value) {
			free(f->path);
			return -ENOMEM;
		}
		memcpy(f->value, value, value_len);
		f->value_len = value_len;
	}
	f->size = size;
	f->nid = nid;
	f->readpath = readpath;
	list->nr++;
	return 0;
}

struct collect_ctx {
	struct erofs_walk walk;
	struct erofs_ishare_list *list;
};

/* regular files only, each inode once (walk.h) */
static int collect_visit(void *priv, const struct erofs_walk_entry *e,
			 size_t idx, struct erofs_inode *inode, int err)
{
	struct collect_ctx *cc = priv;
	struct erofs_ishare_list *list = cc->list;
	const char *path = erofs_walk_path(&cc->walk);
	uint8_t *value = NULL;
	size_t len = 0;
	int ret;

	if (err)
		return err;
	if (!S_ISREG(inode->mode))
		return 0;
	if (list->prefix_id >= 0) {
		ret = erofs_ishare_find_value(inode, list->prefix_id, &value,
					      &len);
		if (ret < 0) {
			erofs_err(inode->img->log,
				  "%s (nid %llu): cannot read extended attributes",
				  path, (unsigned long long)inode->nid);
			return ret;
		}
	}
	ret = erofs_ishare_list_add(list, path, inode->size, inode->nid,
				    erofs_ishare_inode_readpath(inode),
				    value, len);
	free(value);
	return ret;
}

/* a listing with a directory left out would be a wrong report */
static int collect_dir_read(void *priv, const struct erofs_walk_dir *d,
			    int err)
{
	return err < 0 ? err : 0;
}

static const struct erofs_walk_ops collect_ops = {
	.visit = collect_visit,
	.dir_read = collect_dir_read,
};

int erofs_ishare_collect(struct erofs_image *img,
			 struct erofs_ishare_list *list)
{
	struct collect_ctx cc = { .list = list };
	struct erofs_inode root;
	char *key;
	int ret;

	list->blksz = img->blksz;
	list->prefix_id = erofs_ishare_prefix_id(img);
	key = erofs_ishare_key_name(img);
	if (IS_ERR(key))
		return PTR_ERR(key);
	free(list->key);
	list->key = key;
	ret = erofs_inode_read(img, img->root_nid, &root);
	if (ret)
		return ret;
	erofs_walk_init(&cc.walk, img, &collect_ops, &cc);
	ret = erofs_walk_run(&cc.walk, &root, "/", false, 0);
	erofs_walk_release(&cc.walk);
	return ret;
}

int erofs_ishare_collect_file(struct erofs_ishare_list *list, const char *path,
			      uint64_t offset, unsigned int flags,
			      struct erofs_log *log)
{
	struct erofs_image img;
	struct erofs_io io;
	int ret;

	ret = erofs_ishare_list_set_label(list, path);
	if (ret)
		return ret;
	ret = erofs_io_open_file(&io, path, O_RDONLY);
	if (ret) {
		erofs_err(log, "cannot open %s: %s", path, strerror(-ret));
		return ret;
	}
	io.offset = offset;
	ret = erofs_image_open(&img, &io, log, flags);
	if (ret) {
		erofs_err(log, "%s: [%s] %s", path,
			  erofs_problem_lookup(img.problem)->name,
			  erofs_problem_lookup(img.problem)->message);
		goto out_io;
	}
	ret = erofs_ishare_collect(&img, list);
	if (ret)
		erofs_err(log, "%s: cannot list its files: %s", path,
			  strerror(-ret));
	erofs_image_release(&img);
out_io:
	erofs_io_close(&io);
	return ret;
}

/* ---------------------------------------------------------------- report */

struct member {
	const struct erofs_ishare_file *f;
	size_t image, index;
};

/* the kernel's sharing key: read path, size, then the raw value bytes */
static int key_cmp(const struct erofs_ishare_file *a,
		   const struct erofs_ishare_file *b)
{
	int r;

	if (a->readpath != b->readpath)
		return a->readpath < b->readpath ? -1 : 1;
	if (a->size != b->size)
		return a->size < b->size ? -1 : 1;
	if (a->value_len != b->value_len)
		return a->value_len < b->value_len ? -1 : 1;
	r = memcmp(a->value, b->value, a->value_len);
	return r < 0 ? -1 : r > 0;
}

static int member_cmp(const void *x, const void *y)
{
	const struct member *a = x, *b = y;
	int r = key_cmp(a->f, b->f);

	if (r)
		return r;
	/* the first member (lowest image, then walk order) leads the group */
	if (a->image != b->image)
		return a->image < b->image ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int group_cmp(const void *x, const void *y)
{
	const struct erofs_ishare_group *a = x, *b = y;
	int r;

	if (a->saved != b->saved)
		return a->saved > b->saved ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	r = key_cmp(a->file, b->file);
	if (r)
		return r;
	return strcmp(a->file->path, b->file->path);
}

static bool shareable(const struct erofs_ishare_list *list,
		      const struct erofs_ishare_file *f)
{
	/* the kernel shares nothing without a value, or with one longer
	 * than a block (it reads the value into one block-sized buffer) */
	return f->value && f->value_len &&
	       (!list->blksz || f->value_len <= list->blksz);
}

int erofs_ishare_report_build(struct erofs_ishare_report *rep,
			      const struct erofs_ishare_list *lists, size_t nr,
			      unsigned int page_size)
{
	struct member *m = NULL;
	size_t nm = 0, total_files = 0, gcap = 0, i, j;
	int ret = -ENOMEM;

	memset(rep, 0, sizeof(*rep));
	rep->page_size = page_size ? page_size : EROFS_ISHARE_PAGE_SIZE;
	rep->nr_images = nr;
	rep->images = calloc(nr ? nr : 1, sizeof(*rep->images));
	if (!rep->images)
		goto err;
	for (i = 0; i < nr; i++)
		total_files += lists[i].nr;
	m = malloc((total_files ? total_files : 1) * sizeof(*m));
	if (!m)
		goto err;

	for (i = 0; i < nr; i++) {
		struct erofs_ishare_image_stats *is = &rep->images[i];

		for (j = 0; j < lists[i].nr; j++) {
			const struct erofs_ishare_file *f = &lists[i].files[j];
			uint64_t r = EROFS_ROUND_UP(f->size,
						    (uint64_t)rep->page_size);

			is->files++;
			is->bytes += r;
			if (!shareable(&lists[i], f)) {
				rep->shared_total += r;
				continue;
			}
			is->fingerprinted++;
			m[nm++] = (struct member){ f, i, j };
		}
		rep->total += is->bytes;
	}

	qsort(m, nm, sizeof(*m), member_cmp);
	for (i = 0; i < nm; i = j) {
		struct erofs_ishare_group g = {
			.file = m[i].f,
			.image = m[i].image,
			.rounded = EROFS_ROUND_UP(m[i].f->size,
						  (uint64_t)rep->page_size),
		};

		/* one copy per group, however many images hold it */
		rep->shared_total += g.rounded;
		for (j = i; j < nm && !key_cmp(m[i].f, m[j].f); j++) {
			g.count++;
			if (j == i || m[j].image != m[j - 1].image)
				g.nr_images++;
		}
		if (g.count < 2)
			continue;
		g.saved = (uint64_t)(g.count - 1) * g.rounded;
		if (erofs_array_reserve(&rep->groups, &gcap,
					rep->nr_groups + 1))
			goto err;
		rep->groups[rep->nr_groups++] = g;
	}
	rep->saved = rep->total - rep->shared_total;
	if (rep->nr_groups)
		qsort(rep->groups, rep->nr_groups, sizeof(*rep->groups),
		      group_cmp);
	free(m);
	return 0;
err:
	free(m);
	erofs_ishare_report_release(rep);
	return ret;
}

void erofs_ishare_report_release(struct erofs_ishare_report *rep)
{
	free(rep->images);
	free(rep->groups);
	memset(rep, 0, sizeof(*rep));
}

double erofs_ishare_report_percent(const struct erofs_ishare_report *rep)
{
	return rep->total ? 100.0 * (double)rep->saved / (double)rep->total : 0;
}

/* ---------------------------------------------------------------- output */

/* length of a valid UTF-8 sequence starting at s (max n bytes), else 0 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	if (len > n)
		return 0;
	c = s[0] & (0x7f >> len);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return len;
}

void erofs_ishare_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, l;

	fputc('"', f);
	while (i < n) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else if (c < 0x80) {
			fputc(c, f);
		} else if ((l = utf8_len(p + i, n - i))) {
			fwrite(p + i, 1, l, f);
			i += l;
			continue;
		} else {
			/* file names are bytes: a stray byte shows as its
			 * Latin-1 code point rather than breaking the JSON */
			fprintf(f, "\\u%04x", c);
		}
		i++;
	}
	fputc('"', f);
}

/* a path for line-oriented output: control bytes and backslashes escaped
 * as in treedigest (\\, \xHH), so one file is always one line */
static void print_path(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '\\')
			fputs("\\\\", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static const char *value_status(const struct erofs_ishare_file *fl)
{
	uint8_t d[EROFS_ISHARE_DIGEST_LEN];

	if (!fl->value)
		return fl->size ? "missing" : "none";
	return erofs_ishare_value_decode(fl->value, fl->value_len, d) ?
		"malformed" : "ok";
}

static void print_file_json(FILE *f, const struct erofs_ishare_file *fl)
{
	char hex[EROFS_ISHARE_HEX_MAX];
	const char *st = value_status(fl);

	fputs("{\"path\": ", f);
	erofs_ishare_json_string(f, fl->path);
	fprintf(f, ", \"nid\": %" PRIu64 ", \"size\": %" PRIu64
		", \"read_path\": \"%s\", \"fingerprint\": ",
		(uint64_t)fl->nid, fl->size,
		erofs_ishare_readpath_name(fl->readpath));
	if (!strcmp(st, "ok")) {
		erofs_ishare_value_hex(fl->value, fl->value_len, hex);
		fprintf(f, "\"%s%s\"", EROFS_ISHARE_VALUE_PREFIX, hex);
	} else {
		fputs("null", f);
	}
	fprintf(f, ", \"status\": \"%s\"}", st);
}

void erofs_ishare_list_print(FILE *f, const struct erofs_ishare_list *list,
			     bool json)
{
	char hex[EROFS_ISHARE_HEX_MAX];
	size_t i;

	if (json) {
		fputs("{\"image\": ", f);
		if (list->label)
			erofs_ishare_json_string(f, list->label);
		else
			fputs("null", f);
		fputs(", \"key\": ", f);
		if (list->key)
			erofs_ishare_json_string(f, list->key);
		else
			fputs("null", f);
		if (list->prefix_id >= 0)
			fprintf(f, ", \"prefix_id\": %d", list->prefix_id);
		else
			fputs(", \"prefix_id\": null", f);
		fputs(", \"files\": [", f);
		for (i = 0; i < list->nr; i++) {
			fputs(i ? ",\n  " : "\n  ", f);
			print_file_json(f, &list->files[i]);
		}
		fputs(list->nr ? "\n]}\n" : "]}\n", f);
		return;
	}
	if (list->key)
		fprintf(f, "fingerprint key: %s (prefix id %d)\n", list->key,
			list->prefix_id);
	else
		fputs("fingerprint key: none (image has no page cache sharing fingerprints)\n",
		      f);
	for (i = 0; i < list->nr; i++) {
		const struct erofs_ishare_file *fl = &list->files[i];

		erofs_ishare_value_hex(fl->value, fl->value_len, hex);
		fprintf(f, "%-64s %12" PRIu64 " %-10s ", hex, fl->size,
			erofs_ishare_readpath_name(fl->readpath));
		print_path(f, fl->path);
		fputc('\n', f);
	}
}

static const char *label_of(const struct erofs_ishare_list *lists, size_t i)
{
	return lists[i].label ? lists[i].label : "(image)";
}

void erofs_ishare_report_print(FILE *f, const struct erofs_ishare_report *rep,
			       const struct erofs_ishare_list *lists,
			       size_t max_groups, bool json)
{
	size_t i, ng = EROFS_MIN(max_groups, rep->nr_groups);
	char hex[EROFS_ISHARE_HEX_MAX];

	if (json) {
		fprintf(f, "{\"page_size\": %u, \"images\": [", rep->page_size);
		for (i = 0; i < rep->nr_images; i++) {
			const struct erofs_ishare_image_stats *is =
				&rep->images[i];

			fputs(i ? ",\n  {\"image\": " : "\n  {\"image\": ", f);
			erofs_ishare_json_string(f, label_of(lists, i));
			fputs(", \"key\": ", f);
			if (lists[i].key)
				erofs_ishare_json_string(f, lists[i].key);
			else
				fputs("null", f);
			fprintf(f, ", \"files\": %" PRIu64
				", \"fingerprinted\": %" PRIu64
				", \"bytes\": %" PRIu64 "}",
				is->files, is->fingerprinted, is->bytes);
		}
		fprintf(f, "\n], \"total_bytes\": %" PRIu64
			", \"shared_bytes\": %" PRIu64
			", \"saved_bytes\": %" PRIu64
			", \"saved_percent\": %.2f, \"groups\": [",
			rep->total, rep->shared_total, rep->saved,
			erofs_ishare_report_percent(rep));
		for (i = 0; i < ng; i++) {
			const struct erofs_ishare_group *g = &rep->groups[i];

			erofs_ishare_value_hex(g->file->value,
					       g->file->value_len, hex);
			fputs(i ? ",\n  {\"fingerprint\": " :
				  "\n  {\"fingerprint\": ", f);
			erofs_ishare_json_string(f, hex);
			fprintf(f, ", \"size\": %" PRIu64
				", \"read_path\": \"%s\", \"count\": %u"
				", \"images\": %u, \"saved_bytes\": %" PRIu64
				", \"path\": ",
				g->file->size,
				erofs_ishare_readpath_name(g->file->readpath),
				g->count, g->nr_images, g->saved);
			erofs_ishare_json_string(f, g->file->path);
			fputs(", \"image\": ", f);
			erofs_ishare_json_string(f, label_of(lists, g->image));
			fputc('}', f);
		}
		fputs(ng ? "\n]}\n" : "]}\n", f);
		return;
	}

	fprintf(f, "page cache sharing report (%zu images, %u-byte pages, one domain)\n",
		rep->nr_images, rep->page_size);
	fprintf(f, "%8s %14s %16s  %s\n", "files", "fingerprinted", "bytes",
		"image");
	for (i = 0; i < rep->nr_images; i++) {
		const struct erofs_ishare_image_stats *is = &rep->images[i];

		fprintf(f, "%8" PRIu64 " %14" PRIu64 " %16" PRIu64 "  ",
			is->files, is->fingerprinted, is->bytes);
		print_path(f, label_of(lists, i));
		fputs(lists[i].key ? "\n" : " (no fingerprints)\n", f);
	}
	fprintf(f, "total without sharing: %" PRIu64 " bytes\n", rep->total);
	fprintf(f, "total with sharing:    %" PRIu64 " bytes\n",
		rep->shared_total);
	fprintf(f, "saving:                %" PRIu64 " bytes (%.2f%%)\n",
		rep->saved, erofs_ishare_report_percent(rep));
	fprintf(f, "shared groups: %zu\n", rep->nr_groups);
	if (!ng)
		return;
	fprintf(f, "largest shared groups:\n");
	fprintf(f, "%14s %6s %6s %12s %-10s %-16s %s\n", "saved", "copies",
		"images", "size", "read-path", "fingerprint", "path");
	for (i = 0; i < ng; i++) {
		const struct erofs_ishare_group *g = &rep->groups[i];

		erofs_ishare_value_hex(g->file->value, g->file->value_len,
				       hex);
		hex[16] = '\0';	/* a prefix identifies the group well enough */
		fprintf(f, "%14" PRIu64 " %6u %6u %12" PRIu64 " %-10s %-16s ",
			g->saved, g->count, g->nr_images, g->file->size,
			erofs_ishare_readpath_name(g->file->readpath), hex);
		print_path(f, g->file->path);
		fputc('\n', f);
	}
}
