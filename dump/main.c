// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * dump.erofs - show what is inside an EROFS image.
 *
 * Thin front end: options -> struct dump_cli -> erofs_image_open() and the
 * erofs/dump.h formatters writing to stdout.  Exit 0 on success, 1 on a
 * usage error or when the image cannot be read.
 */
#include "config.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/cli.h"
#include "erofs/dump.h"
#include "erofs/ishare_report.h"
#include "erofs/reader.h"
#include "frontend.h"

#define PROG "dump.erofs"

enum {
	OPT_NID = 256, OPT_PATH, OPT_LS, OPT_CAT, OPT_OFFSET, OPT_NO_SBCRC,
	OPT_DEVICE,
	OPT_FINGERPRINT, OPT_JSON,
};

static const struct erofs_cli_opt opt_defs[] = {
	{ NULL, no_argument, 's', NULL, "show the superblock with every feature by name" },
	{ NULL, no_argument, 'S', NULL, "show statistics: file types, original and stored sizes, compression ratio, size histogram" },
	{ NULL, no_argument, 'e', NULL, "show the extents of the inode given by --nid/--path: logical range, physical range, blocks, encoded length, algorithm" },
	{ NULL, required_argument, 'd', "LEVEL", "message level 0..9 (default 2)" },
	{ "nid", required_argument, OPT_NID, "N", "show the inode N" },
	{ "path", required_argument, OPT_PATH, "PATH", "show the inode at PATH" },
	{ "ls", no_argument, OPT_LS, NULL, "list the directory given by --nid/--path (default /)" },
	{ "cat", no_argument, OPT_CAT, NULL, "write the contents of the file given by --nid/--path to stdout" },
	{ "offset", required_argument, OPT_OFFSET, "N", "the image starts N bytes into the file" },
	{ "device", required_argument, OPT_DEVICE, "PATH", "an extra device of the image, in device-table order (for --cat); repeatable" },
	{ "no-sbcrc", no_argument, OPT_NO_SBCRC, NULL, "do not verify the superblock checksum" },
	{ "fingerprint", no_argument, OPT_FINGERPRINT, NULL, "list every regular file's page-cache-sharing fingerprint; with several IMAGEs, report what sharing would save" },
	{ "json", no_argument, OPT_JSON, NULL, "print --fingerprint output as JSON" },
	{ "version", no_argument, 'V', NULL, "print the version and exit" },
	{ "help", no_argument, 'h', NULL, "print this help and exit" },
};

struct dump_cli {
	struct erofs_log log;
	const char *image, *path;
	bool has_nid, super, stats, extents, ls, cat, no_sbcrc;
	bool fingerprint, json;
	char **images;		/* --fingerprint takes several */
	int nr_images;
	erofs_nid_t nid;
	uint64_t offset;
	const char *devices[EROFS_MAX_DEVICES];	/* --device */
	size_t nr_devices;
	struct erofs_frontend fe;
};

static const char usage_head[] =
	"Usage: " PROG " [OPTIONS] IMAGE\n"
	"Show the contents of the EROFS image IMAGE (default: -s).\n\n";

static int parse_one(void *priv, int c, char *arg)
{
	struct dump_cli *cli = priv;
	long long v;

	switch (c) {
	case 's': cli->super = true; break;
	case 'S': cli->stats = true; break;
	case 'e': cli->extents = true; break;
	case 'd':
		if (erofs_cli_parse_int(arg, 0, 9, &v))
			return erofs_frontend_bad(&cli->fe, "invalid message level '%s'", arg);
		cli->log.level = (int)v;
		break;
	case OPT_NID:
		if (erofs_cli_parse_u64(arg, &cli->nid))
			return erofs_frontend_bad(&cli->fe, "invalid nid '%s'", arg);
		cli->has_nid = true;
		break;
	case OPT_PATH: cli->path = arg; break;
	case OPT_LS: cli->ls = true; break;
	case OPT_CAT: cli->cat = true; break;
	case OPT_NO_SBCRC: cli->no_sbcrc = true; break;
	case OPT_FINGERPRINT: cli->fingerprint = true; break;
	case OPT_JSON: cli->json = true; break;
	case OPT_DEVICE:
		if (cli->nr_devices == EROFS_MAX_DEVICES)
			return erofs_frontend_bad(&cli->fe, "more than %d --device", EROFS_MAX_DEVICES);
		cli->devices[cli->nr_devices++] = arg;
		break;
	case OPT_OFFSET:
		if (erofs_cli_parse_size(arg, 0, INT64_MAX, &v))
			return erofs_frontend_bad(&cli->fe, "invalid offset '%s'", arg);
		cli->offset = (uint64_t)v;
		break;
	default:
		return erofs_frontend_bad(&cli->fe, "unhandled option");
	}
	return 0;
}

static int parse_args(struct dump_cli *cli, int argc, char **argv)
{
	int ret;

	ret = erofs_frontend_getopt(&cli->fe, argc, argv, parse_one, cli);
	if (ret)
		return ret;
	if (argc - optind < 1 || (argc - optind > 1 && !cli->fingerprint))
		return erofs_frontend_bad(&cli->fe, "%s", argc - optind < 1 ?
					  "missing IMAGE" : "too many arguments");
	if (cli->json && !cli->fingerprint)
		return erofs_frontend_bad(&cli->fe, "--json needs --fingerprint");
	cli->images = argv + optind;
	cli->nr_images = argc - optind;
	if (cli->path && cli->has_nid)
		return erofs_frontend_bad(&cli->fe, "--nid and --path are mutually exclusive");
	if ((cli->extents || cli->cat) && !cli->path && !cli->has_nid)
		return erofs_frontend_bad(&cli->fe, "-e and --cat need --nid or --path");
	cli->image = argv[optind];
	return 0;
}

static int run(struct dump_cli *cli, struct erofs_image *img)
{
	struct erofs_inode inode;
	bool want_inode = cli->path || cli->has_nid;
	int ret = 0;

	if (cli->super || (!cli->stats && !want_inode && !cli->ls)) {
		ret = erofs_dump_super(img, stdout);
		if (ret)
			return ret;
	}
	if (cli->stats) {
		ret = erofs_dump_stats(img, stdout);
		if (ret)
			return ret;
	}
	if (!want_inode && !cli->ls)
		return 0;
	if (cli->path)
		ret = erofs_path_lookup(img, cli->path, &inode);
	else
		ret = erofs_inode_read(img, cli->has_nid ? cli->nid :
				       img->root_nid, &inode);
	if (ret) {
		fprintf(stderr, "<E> " PROG ": cannot find %s: %s\n",
			cli->path ? cli->path : "the inode", strerror(-ret));
		return ret;
	}
	if (cli->cat) {
		ret = erofs_dump_cat(&inode, stdout);
	} else if (want_inode && !cli->ls) {
		ret = erofs_dump_inode(&inode, cli->path, stdout);
		if (!ret && cli->extents)
			ret = erofs_dump_extents(&inode, stdout);
	} else {
		ret = erofs_dump_ls(&inode, stdout);
	}
	if (ret)
		fprintf(stderr, "<E> " PROG ": %s (nid %llu): %s\n",
			cli->path ? cli->path : "inode",
			(unsigned long long)inode.nid, strerror(-ret));
	return ret;
}

/* --fingerprint: one image lists its files, several give the sharing report */
static int run_fingerprint(struct dump_cli *cli)
{
	struct erofs_ishare_list *lists;
	struct erofs_ishare_report rep;
	int i, n = 0, ret = -ENOMEM;

	lists = calloc(cli->nr_images, sizeof(*lists));
	if (!lists)
		goto out;
	for (n = 0; n < cli->nr_images; n++) {
		erofs_ishare_list_init(&lists[n]);
		ret = erofs_ishare_collect_file(&lists[n], cli->images[n],
				cli->offset, cli->no_sbcrc ? EROFS_OPEN_NO_SBCRC : 0,
				&cli->log);
		if (ret) {
			n++;
			goto out;
		}
	}
	if (n == 1) {
		erofs_ishare_list_print(stdout, &lists[0], cli->json);
	} else {
		ret = erofs_ishare_report_build(&rep, lists, n, 0);
		if (!ret) {
			erofs_ishare_report_print(stdout, &rep, lists, 10,
						  cli->json);
			erofs_ishare_report_release(&rep);
		}
	}
out:
	if (ret == -ENOMEM)
		fprintf(stderr, "<E> " PROG ": out of memory\n");
	for (i = 0; i < n; i++)
		erofs_ishare_list_release(&lists[i]);
	free(lists);
	if (fflush(stdout) && !ret)
		ret = -EIO;
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct dump_cli cli = { 0 };
	struct erofs_image img;
	struct erofs_io io, *devs = NULL;
	int ret;

	cli.fe = (struct erofs_frontend){
		.prog = PROG, .usage = usage_head, .opts = opt_defs,
		.nr_opts = EROFS_ARRAY_SIZE(opt_defs),
	};
	erofs_log_init(&cli.log);
	cli.log.sink = erofs_frontend_log_sink;
	cli.log.priv = &cli.fe;
	if (parse_args(&cli, argc, argv))
		return 1;
	if (cli.fingerprint)
		return run_fingerprint(&cli);
	ret = erofs_io_open_file(&io, cli.image, O_RDONLY);
	if (ret) {
		fprintf(stderr, "<E> " PROG ": cannot open %s: %s\n", cli.image,
			strerror(-ret));
		return 1;
	}
	io.offset = cli.offset;
	ret = erofs_image_open(&img, &io, &cli.log,
			       cli.no_sbcrc ? EROFS_OPEN_NO_SBCRC : 0);
	if (ret) {
		fprintf(stderr, "<E> " PROG ": [%s] %s: %s\n",
			erofs_problem_lookup(img.problem)->name, cli.image,
			strerror(-ret));
		erofs_io_close(&io);
		return 1;
	}
	ret = erofs_frontend_open_devices(&cli.fe, &img, cli.devices,
					  cli.nr_devices, &devs);
	if (!ret)
		ret = run(&cli, &img);
	if (fflush(stdout) && !ret)
		ret = -EIO;
	erofs_image_release(&img);
	erofs_frontend_close_devices(devs, cli.nr_devices);
	erofs_io_close(&io);
	return ret ? 1 : 0;
}
