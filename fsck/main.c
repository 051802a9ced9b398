// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * fsck.erofs - check an EROFS image, optionally extracting it.
 *
 * Thin front end: options -> struct fsck_cli -> erofs_image_open(),
 * erofs_check_image() (with --extract=DIR: the extractor's one-pass
 * erofs_extractor_check()); problems are printed as
 * "<E> fsck.erofs: [CODE] path (nid N): message" and mapped to fsck(8)
 * exit codes: 0 clean, 4 problems left uncorrected, 8 operational error,
 * 16 usage error.
 */
#include "config.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "erofs/check.h"
#include "erofs/cli.h"
#include "erofs/extract.h"
#include "erofs/ishare_check.h"
#include "erofs/reader.h"
#include "frontend.h"

#define PROG "fsck.erofs"

enum {
	EXIT_CLEAN = 0,
	EXIT_UNCORRECTED = 4,
	EXIT_OPERATIONAL = 8,
	EXIT_USAGE = 16,
};

enum {
	OPT_NO_SBCRC = 256, OPT_DEVICE, OPT_OFFSET, OPT_NID, OPT_PATH, OPT_XATTRS,
	OPT_NO_XATTRS, OPT_EXTRACT, OPT_FORCE, OPT_OVERWRITE, OPT_PRESERVE,
	OPT_NO_PRESERVE, OPT_PRESERVE_OWNER, OPT_NO_PRESERVE_OWNER,
	OPT_PRESERVE_PERMS, OPT_NO_PRESERVE_PERMS, OPT_CHECK_ISHARE,
	OPT_WORKERS,
};

/* --workers: decoding threads; each holds an open copy of the image */
#define FSCK_MAX_WORKERS	256

static const struct erofs_cli_opt opt_defs[] = {
	{ NULL, required_argument, 'd', "LEVEL", "message level 0..9 (default 2: errors and warnings)" },
	{ NULL, no_argument, 'p', NULL, "print the total compression ratio of all files" },
	{ NULL, no_argument, 'a', NULL, "accepted for fsck(8) compatibility; nothing is repaired" },
	{ NULL, no_argument, 'A', NULL, "accepted for fsck(8) compatibility" },
	{ NULL, no_argument, 'y', NULL, "accepted for fsck(8) compatibility" },
	{ "no-sbcrc", no_argument, OPT_NO_SBCRC, NULL, "do not verify the superblock checksum" },
	{ "offset", required_argument, OPT_OFFSET, "N", "the image starts N bytes into the file" },
	{ "device", required_argument, OPT_DEVICE, "PATH", "an extra device of the image (blob, tar, source image), in device-table order; repeatable" },
	{ "nid", required_argument, OPT_NID, "N", "check only the subtree at inode N" },
	{ "path", required_argument, OPT_PATH, "PATH", "check only the subtree at PATH" },
	{ "xattrs", no_argument, OPT_XATTRS, NULL, "check (and extract) xattrs (default)" },
	{ "no-xattrs", no_argument, OPT_NO_XATTRS, NULL, "skip xattrs" },
	{ "check-ishare", no_argument, OPT_CHECK_ISHARE, NULL, "verify every page-cache-sharing fingerprint against the file contents" },
	{ "xattr-inode-digest", no_argument, OPT_CHECK_ISHARE, NULL, "same as --check-ishare (erofs-utils spelling)" },
	{ "extract", optional_argument, OPT_EXTRACT, "[=DIR]", "decode every file; with DIR, recreate the tree in DIR" },
	{ "force", no_argument, OPT_FORCE, NULL, "allow extracting into /" },
	{ "overwrite", no_argument, OPT_OVERWRITE, NULL, "replace files that already exist in DIR" },
	{ "preserve", no_argument, OPT_PRESERVE, NULL, "extract with the image's owners and permissions" },
	{ "no-preserve", no_argument, OPT_NO_PRESERVE, NULL, "extract as yourself, applying the umask" },
	{ "preserve-owner", no_argument, OPT_PRESERVE_OWNER, NULL, "keep owners (default for root)" },
	{ "no-preserve-owner", no_argument, OPT_NO_PRESERVE_OWNER, NULL, "extract files owned by yourself (default for other users)" },
	{ "preserve-perms", no_argument, OPT_PRESERVE_PERMS, NULL, "keep exact permissions (default for root)" },
	{ "no-preserve-perms", no_argument, OPT_NO_PRESERVE_PERMS, NULL, "apply the umask to permissions (default for other users)" },
	{ "workers", required_argument, OPT_WORKERS, "N", "decode files with N threads (default: number of online CPUs); the output does not depend on N" },
	{ "version", no_argument, 'V', NULL, "print the version and exit" },
	{ "help", no_argument, 'h', NULL, "print this help and exit" },
};

struct fsck_cli {
	struct erofs_log log;
	struct erofs_check_params chk;
	struct erofs_extract_params ext;
	const char *image;
	uint64_t offset;
	bool no_sbcrc, print_ratio, extract, xattrs;
	int preserve_owner, preserve_perms;	/* -1 = default */
	bool check_ishare;	/* --check-ishare / --xattr-inode-digest */
	bool operational_error;
	const char *devices[EROFS_MAX_DEVICES];	/* --device */
	size_t nr_devices;
	struct erofs_frontend fe;
};

static const char usage_head[] =
	"Usage: " PROG " [OPTIONS] IMAGE\n"
	"Check the EROFS image IMAGE; exit 0 clean, 4 corrupted, 8 operational error, 16 usage.\n\n";

static void report(void *priv, const struct erofs_problem_report *r)
{
	struct fsck_cli *cli = priv;
	bool err = r->info->severity == EROFS_SEV_ERROR;

	if (r->info->code == EROFS_PROB_EXTRACT)
		cli->operational_error = true;
	if (cli->log.level < (err ? EROFS_LOG_ERR : EROFS_LOG_WARN))
		return;
	fprintf(stderr, "%s " PROG ": [%s] ", err ? "<E>" : "<W>",
		r->info->name);
	if (r->path)
		fprintf(stderr, "%s ", r->path);
	if (r->has_nid)
		fprintf(stderr, "(nid %llu) ", (unsigned long long)r->nid);
	fprintf(stderr, "%s%s%s\n", r->info->message, r->detail ? ": " : "",
		r->detail ? r->detail : "");
}

static int parse_one(void *priv, int c, char *arg)
{
	struct fsck_cli *cli = priv;
	long long v;

	switch (c) {
	case 'd':
		if (erofs_cli_parse_int(arg, 0, 9, &v))
			return erofs_frontend_bad(&cli->fe, "invalid message level '%s'", arg);
		cli->log.level = (int)v;
		break;
	case 'p': cli->print_ratio = true; break;
	case 'a': case 'A': case 'y': break;
	case OPT_NO_SBCRC: cli->no_sbcrc = true; break;
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
	case OPT_NID:
		if (erofs_cli_parse_u64(arg, &cli->chk.start_nid))
			return erofs_frontend_bad(&cli->fe, "invalid nid '%s'", arg);
		cli->chk.has_start_nid = cli->ext.has_start_nid = true;
		cli->ext.start_nid = cli->chk.start_nid;
		break;
	case OPT_PATH:
		cli->chk.start_path = cli->ext.start_path = arg;
		break;
	case OPT_XATTRS: cli->xattrs = true; break;
	case OPT_NO_XATTRS: cli->xattrs = false; break;
	case OPT_CHECK_ISHARE: cli->check_ishare = true; break;
	case OPT_EXTRACT:
		cli->extract = true;
		if (arg && !*arg)
			return erofs_frontend_bad(&cli->fe, "--extract= needs a directory");
		cli->ext.dir = arg;
		break;
	case OPT_FORCE: cli->ext.force = true; break;
	case OPT_OVERWRITE: cli->ext.overwrite = true; break;
	case OPT_PRESERVE: cli->preserve_owner = cli->preserve_perms = 1; break;
	case OPT_NO_PRESERVE: cli->preserve_owner = cli->preserve_perms = 0; break;
	case OPT_PRESERVE_OWNER: cli->preserve_owner = 1; break;
	case OPT_NO_PRESERVE_OWNER: cli->preserve_owner = 0; break;
	case OPT_PRESERVE_PERMS: cli->preserve_perms = 1; break;
	case OPT_NO_PRESERVE_PERMS: cli->preserve_perms = 0; break;
	case OPT_WORKERS:
		if (erofs_cli_parse_int(arg, 1, FSCK_MAX_WORKERS, &v))
			return erofs_frontend_bad(&cli->fe, "invalid --workers '%s' (1..%d)", arg, FSCK_MAX_WORKERS);
		cli->chk.workers = (unsigned int)v;
		break;
	default:
		return erofs_frontend_bad(&cli->fe, "unhandled option");
	}
	return 0;
}

static int parse_args(struct fsck_cli *cli, int argc, char **argv)
{
	int ret;

	ret = erofs_frontend_getopt(&cli->fe, argc, argv, parse_one, cli);
	if (ret)
		return ret;
	if (argc - optind != 1)
		return erofs_frontend_bad(&cli->fe, "%s", argc - optind < 1 ?
					  "missing IMAGE" : "too many arguments");
	if (cli->chk.start_path && cli->chk.has_start_nid)
		return erofs_frontend_bad(&cli->fe, "--nid and --path are mutually exclusive");
	cli->image = argv[optind];
	return 0;
}

/* the problems that mean "this is not an image we can read at all" */
static bool unreadable(unsigned int problem)
{
	return problem == EROFS_PROB_NONE || problem == EROFS_PROB_SB_READ ||
	       problem == EROFS_PROB_SB_MAGIC || problem == EROFS_PROB_DATA_READ;
}

int main(int argc, char **argv)
{
	struct fsck_cli cli = { .xattrs = true, .preserve_owner = -1,
				.preserve_perms = -1 };
	struct erofs_check_stats st, est;
	struct erofs_ishare_verifier *fp = NULL;
	struct erofs_extractor *x = NULL;
	struct erofs_verifier verifier;
	struct erofs_image img;
	struct erofs_io io, *devs = NULL;
	bool root = geteuid() == 0;
	int ret, xret = 0, rc = EXIT_CLEAN;

	cli.fe = (struct erofs_frontend){
		.prog = PROG, .usage = usage_head, .opts = opt_defs,
		.nr_opts = EROFS_ARRAY_SIZE(opt_defs),
	};
	erofs_log_init(&cli.log);
	cli.log.sink = erofs_frontend_log_sink;
	cli.log.priv = &cli.fe;
	erofs_check_params_init(&cli.chk);
	erofs_extract_params_init(&cli.ext);
	if (parse_args(&cli, argc, argv))
		return EXIT_USAGE;
	if (!cli.chk.workers) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		cli.chk.workers = n < 1 ? 1 : n > FSCK_MAX_WORKERS ?
			FSCK_MAX_WORKERS : (unsigned int)n;
	}
	cli.chk.check_xattrs = cli.ext.xattrs = cli.xattrs;
	cli.chk.report = cli.ext.report = report;
	cli.chk.report_priv = cli.ext.report_priv = &cli;
	cli.ext.preserve_owner = cli.preserve_owner < 0 ? root :
		cli.preserve_owner;
	cli.ext.preserve_perms = cli.preserve_perms < 0 ? root :
		cli.preserve_perms;
	cli.ext.umask = umask(0);
	umask(cli.ext.umask);

	ret = erofs_io_open_file(&io, cli.image, O_RDONLY);
	if (ret) {
		fprintf(stderr, "<E> " PROG ": cannot open %s: %s\n", cli.image,
			strerror(-ret));
		return EXIT_OPERATIONAL;
	}
	io.offset = cli.offset;
	ret = erofs_image_open(&img, &io, &cli.log,
			       cli.no_sbcrc ? EROFS_OPEN_NO_SBCRC : 0);
	if (ret) {
		const struct erofs_problem_info *pi =
			erofs_problem_lookup(img.problem);

		fprintf(stderr, "<E> " PROG ": [%s] %s: %s\n", pi->name,
			cli.image, pi->message);
		erofs_io_close(&io);
		return unreadable(img.problem) ? EXIT_OPERATIONAL :
			EXIT_UNCORRECTED;
	}
	if (erofs_frontend_open_devices(&cli.fe, &img, cli.devices,
					cli.nr_devices, &devs)) {
		erofs_image_release(&img);
		erofs_io_close(&io);
		return EXIT_OPERATIONAL;
	}
	if (cli.check_ishare) {
		fp = erofs_ishare_verifier_new();
		verifier = (struct erofs_verifier){ &erofs_ishare_verifier_ops,
						    fp };
		cli.chk.verifiers = &verifier;
		cli.chk.nr_verifiers = 1;
	}
	/* with DIR, one walk checks and extracts; a bad DIR is told after */
	if (cli.extract && cli.ext.dir)
		xret = erofs_extractor_new(&x, &img, &cli.ext, &est);
	if (cli.check_ishare && !fp)
		ret = -ENOMEM;
	else if (x)
		ret = erofs_extractor_check(x, &cli.chk, &st);
	else
		ret = erofs_check_image(&img, &cli.chk, &st);
	if (ret) {
		fprintf(stderr, "<E> " PROG ": check failed: %s\n",
			strerror(-ret));
		rc = EXIT_OPERATIONAL;
		goto out;
	}
	if (cli.extract && cli.ext.dir) {
		ret = xret;
		if (ret) {
			fprintf(stderr, "<E> " PROG ": extracting to %s: %s\n",
				cli.ext.dir, ret == -EPERM ?
				"refusing to extract into / without --force" :
				strerror(-ret));
			rc = EXIT_OPERATIONAL;
			goto out;
		}
		st.errors += est.errors;
		st.warnings += est.warnings;
		st.unsupported += est.unsupported;
		st.counts[EROFS_PROB_EXTRACT] += est.counts[EROFS_PROB_EXTRACT];
	}
	if (cli.print_ratio)
		printf("Compression ratio: %.2f(%%)\n", st.logical_bytes ?
		       100.0 * (double)st.physical_bytes /
		       (double)st.logical_bytes : 100.0);
	/* as erofs-utils: files without a fingerprint are counted, not
	 * failed (they are just not shared) */
	if (cli.check_ishare && st.counts[EROFS_PROB_ISHARE_MISSING] &&
	    cli.log.level >= EROFS_LOG_WARN)
		fprintf(stderr, "<W> " PROG ": %s: %u regular file(s) without a fingerprint\n",
			cli.image, st.counts[EROFS_PROB_ISHARE_MISSING]);
	if (st.errors) {
		fprintf(stderr, "<E> " PROG ": %s: %llu error(s), %llu warning(s) found\n",
			cli.image, (unsigned long long)st.errors,
			(unsigned long long)st.warnings);
		/* fsck(8) codes are bits: corruption and failures add up */
		if (st.errors > st.counts[EROFS_PROB_EXTRACT])
			rc |= EXIT_UNCORRECTED;
		if (cli.operational_error)
			rc |= EXIT_OPERATIONAL;
	}
	/* data that could not be read here: not corruption, not clean */
	if (st.unsupported) {
		fprintf(stderr, "<W> " PROG ": %s: %llu thing(s) could not be checked here\n",
			cli.image, (unsigned long long)st.unsupported);
		rc |= EXIT_OPERATIONAL;
	} else if (!st.errors && cli.log.level >= EROFS_LOG_INFO) {
		fprintf(stderr, "<I> " PROG ": %s: no errors found, %llu inodes\n",
			cli.image, (unsigned long long)st.inodes);
	}
out:
	erofs_image_release(&img);
	erofs_frontend_close_devices(devs, cli.nr_devices);
	erofs_io_close(&io);
	erofs_extractor_free(x);
	erofs_ishare_verifier_free(fp);
	return rc;
}
