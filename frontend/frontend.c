// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * frontend.c - option loop, usage errors, log sink and progress line of
 * the tools (frontend.h).
 */
#include "config.h"
#include <stdarg.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include "erofs/io.h"
#include "erofs/log.h"
#include "erofs/reader.h"
#include "frontend.h"

void erofs_frontend_usage(const struct erofs_frontend *fe, FILE *f)
{
	char *opts = erofs_cli_help(fe->opts, fe->nr_opts);

	fprintf(f, "%s%s", fe->usage, opts ? opts : "");
	free(opts);
}

void erofs_frontend_hint(const char *name)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", name);
}

int erofs_frontend_bad(const struct erofs_frontend *fe, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s: ", fe->hint_at_exit ? "<E> " : "", fe->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (!fe->hint_at_exit)
		erofs_frontend_hint(fe->prog);
	return -EINVAL;
}

int erofs_frontend_getopt(struct erofs_frontend *fe, int argc, char **argv,
			  int (*parse_one)(void *priv, int c, char *arg),
			  void *priv)
{
	struct option *longs;
	char *shorts;
	int c, ret;

	ret = erofs_cli_getopt_tables(fe->opts, fe->nr_opts, &longs, &shorts);
	if (ret)
		return ret;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == 'h') {
			erofs_frontend_usage(fe, stdout);
			exit(0);
		} else if (c == 'V') {
			printf("%s (erofs-tools) " PACKAGE_VERSION "\n",
			       fe->prog);
			exit(0);
		} else if (c == '?' || c == ':') {
			/* shorts starts with ':', so getopt printed nothing */
			char o[3] = { '-', (char)optopt, 0 };
			const char *which = optopt > 0 && optopt < 256 ? o :
					    argv[optind - 1];

			ret = erofs_frontend_bad(fe, c == ':' ?
					"option '%s' needs a value" :
					"unknown option '%s'", which);
			break;
		}
		ret = parse_one(priv, c, optarg);
		if (ret)
			break;
	}
	free(longs);
	free(shorts);
	return ret;
}

void erofs_frontend_progress_clear(struct erofs_frontend *fe)
{
	if (fe->progress_shown)
		fputs("\r\033[K", stderr);
	fe->progress_shown = false;
}

void erofs_frontend_log_sink(void *priv, int level, const char *msg)
{
	struct erofs_frontend *fe = priv;
	const char *tag = level <= EROFS_LOG_ERR ? "<E>" :
			  level <= EROFS_LOG_WARN ? "<W>" :
			  level <= EROFS_LOG_INFO ? "<I>" : "<D>";

	/* a message must not land in the middle of the progress line */
	erofs_frontend_progress_clear(fe);
	fprintf(stderr, "%s %s: %s\n", tag, fe->prog, msg);
}

void erofs_frontend_progress(struct erofs_frontend *fe, const char *what,
			     const char *unit, uint64_t done, uint64_t total)
{
	struct timespec now;

	/* a terminal redrawn on every file slows a big import down */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (fe->progress_shown && done != total &&
	    (now.tv_sec - fe->progress_last.tv_sec) * 1000000000L +
	    (now.tv_nsec - fe->progress_last.tv_nsec) < 100000000L)
		return;
	fe->progress_last = now;
	fprintf(stderr, "\r%s %llu%s%.0llu %s\033[K", what,
		(unsigned long long)done, total ? "/" : "",
		(unsigned long long)total, unit);
	fe->progress_shown = true;
}

int erofs_frontend_open_devices(const struct erofs_frontend *fe,
				struct erofs_image *img, const char **paths,
				size_t n, struct erofs_io **ios)
{
	size_t i;
	int ret;

	*ios = NULL;
	if (!n)
		return 0;
	if (n != img->extra_devices) {
		fprintf(stderr, "<E> %s: the image has %u extra device(s), %zu --device given\n",
			fe->prog, img->extra_devices, n);
		return -EINVAL;
	}
	*ios = calloc(n, sizeof(**ios));
	if (!*ios)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		ret = erofs_io_open_file(&(*ios)[i], paths[i], O_RDONLY);
		if (!ret) {
			ret = erofs_image_add_device(img, &(*ios)[i]);
			if (ret)
				erofs_io_close(&(*ios)[i]);
		}
		if (ret) {
			fprintf(stderr, "<E> %s: cannot open device %s: %s\n",
				fe->prog, paths[i], strerror(-ret));
			erofs_frontend_close_devices(*ios, i);
			*ios = NULL;
			return ret;
		}
	}
	return 0;
}

void erofs_frontend_close_devices(struct erofs_io *ios, size_t n)
{
	size_t i;

	if (!ios)
		return;
	for (i = 0; i < n; i++)
		erofs_io_close(&ios[i]);
	free(ios);
}
