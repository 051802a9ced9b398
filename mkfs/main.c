// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * mkfs.erofs - build an EROFS image from a directory or a tar archive.
 *
 * Options come from one table that drives both getopt_long() and --help.
 * The tree is imported before the image is opened, so a bad SOURCE never
 * truncates an existing IMAGE (except with --sort=none, which writes file
 * data into IMAGE while reading the tar); any later failure unlinks the
 * image file.
 * Exit status: 0 on success, 1 on any error (as erofs-utils).
 */
#include "config.h"
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "erofs/cli.h"
#include "erofs/import.h"
#include "erofs/mkfs.h"
#include "erofs/mkfs_base.h"
#include "erofs/mkfs_output.h"
#include "erofs/mkfs_source.h"
#include "erofs/mkfs_stamp.h"
#include "erofs/uuid.h"
#include "erofs/xattr.h"
#include "frontend.h"

#define PROG	"mkfs.erofs"
#define DEFAULT_ISHARE_KEY	"erofs.fingerprint.v1"

enum {	/* long-only options */
	OPT_ALL_ROOT = 256, OPT_ALL_TIME, OPT_MKFS_TIME, OPT_IGNORE_MTIME,
	OPT_PRESERVE_MTIME, OPT_FORCE_UID, OPT_FORCE_GID, OPT_UID_OFFSET,
	OPT_GID_OFFSET, OPT_EXCLUDE_PATH, OPT_EXCLUDE_REGEX, OPT_FILE_CONTEXTS,
	OPT_MOUNT_POINT, OPT_ROOT_XATTR_ISIZE, OPT_XATTR_PREFIX,
	OPT_HARD_DEREF, OPT_ISHARE_KEY, OPT_XATTR_INODE_DIGEST, OPT_QUIET,
	OPT_TAR, OPT_AUFS, OPT_UNZIP, OPT_MAX_EXTENT_BYTES, OPT_WORKERS, OPT_COMPRESS_HINTS,
	OPT_ZD, OPT_SORT, OPT_DSUNIT, OPT_FSALIGNBLKS, OPT_OFFSET,
	OPT_ASYNC_QUEUE_LIMIT, OPT_CHUNKSIZE, OPT_BLOBDEV, OPT_OVLFS_STRIP,
	OPT_CLEAN, OPT_INCREMENTAL, OPT_REUSE, OPT_MZ,
};

static const struct erofs_cli_opt opt_defs[] = {
	{ NULL, required_argument, 'b', "SIZE", "block size: 512, 1024, 2048 or 4096 (default 4096)" },
	{ NULL, required_argument, 'd', "LEVEL", "message level 0..9 (default 2: errors and warnings)" },
	{ NULL, required_argument, 'x', "N", "share an xattr stored by more than N inodes (default 2); N < 0 drops all xattrs" },
	{ NULL, required_argument, 'z', "ALG[,level=N][,dictsize=S][:ALG...]", "compress regular files: lz4, lz4hc, lzma, deflate, zstd" },
	{ NULL, required_argument, 'm', "SIZE[:ALG]", "metabox (Linux 6.17+, implies -E 48bit): every inode goes into the data of one more inode, compressed in SIZE-byte pclusters with the first -z algorithm, or ALG (a -z index from 0, or an algorithm name, added to the -z list), uncompressed without -z" },
	{ NULL, required_argument, 'C', "SIZE", "largest physical cluster in bytes (a multiple of the block size; default one block)" },
	{ NULL, required_argument, 'E', "OPT[,...]", "extended options: force-inode-compact, force-inode-extended, force-inode-blockmap, force-chunk-indexes, noinline_data, nosbcrc, 48bit, dot-omitted, [^]xattr-name-filter, legacy-compress, [^]ztailpacking, [^]fragments[=SIZE], [^]all-fragments, [^]fragdedupe[=inode|full], [^]dedupe, plain-xattr-prefixes" },
	{ NULL, required_argument, 'L', "LABEL", "volume label (at most 15 bytes)" },
	{ NULL, required_argument, 'T', "EPOCH", "build time in seconds since 1970; all files get it too unless --mkfs-time (default: $SOURCE_DATE_EPOCH, else now)" },
	{ "all-time", no_argument, OPT_ALL_TIME, NULL, "give every file the build time as mtime (the default with -T)" },
	{ "mkfs-time", no_argument, OPT_MKFS_TIME, NULL, "use the -T time as build time only, keep file mtimes" },
	{ "ignore-mtime", no_argument, OPT_IGNORE_MTIME, NULL, "replace file mtimes by the build time (smaller inodes)" },
	{ "preserve-mtime", no_argument, OPT_PRESERVE_MTIME, NULL, "keep file mtimes (default; cancels --ignore-mtime)" },
	{ NULL, required_argument, 'U', "UUID", "filesystem UUID, \"clear\" or \"random\" (default random; derived from the tree when a build time is fixed)" },
	{ "all-root", no_argument, OPT_ALL_ROOT, NULL, "make every file owned by uid 0, gid 0" },
	{ "force-uid", required_argument, OPT_FORCE_UID, "UID", "set every file's uid to UID" },
	{ "force-gid", required_argument, OPT_FORCE_GID, "GID", "set every file's gid to GID" },
	{ "uid-offset", required_argument, OPT_UID_OFFSET, "N", "add N to every uid (after --force-uid)" },
	{ "gid-offset", required_argument, OPT_GID_OFFSET, "N", "add N to every gid (after --force-gid)" },
	{ "exclude-path", required_argument, OPT_EXCLUDE_PATH, "PATH", "leave out PATH (relative to SOURCE); repeatable" },
	{ "exclude-regex", required_argument, OPT_EXCLUDE_REGEX, "REGEX", "leave out paths matching the extended REGEX; repeatable" },
	{ "file-contexts", required_argument, OPT_FILE_CONTEXTS, "FILE", "set security.selinux labels from an SELinux file_contexts FILE" },
	{ "mount-point", required_argument, OPT_MOUNT_POINT, "PATH", "path the image will be mounted at, for --file-contexts (default /)" },
	{ "root-xattr-isize", required_argument, OPT_ROOT_XATTR_ISIZE, "N", "reserve at least N bytes of inline xattrs in the root inode" },
	{ "xattr-prefix", required_argument, OPT_XATTR_PREFIX, "PREFIX", "store xattr names starting with PREFIX compactly; repeatable" },
	{ "hard-dereference", no_argument, OPT_HARD_DEREF, NULL, "store hard-linked files as separate inodes" },
	{ "ishare_key", required_argument, OPT_ISHARE_KEY, "NAME", "write page-cache-sharing fingerprints as xattr NAME" },
	{ "xattr-inode-digest", optional_argument, OPT_XATTR_INODE_DIGEST, "[=NAME]", "same as --ishare_key (NAME defaults to " DEFAULT_ISHARE_KEY ")" },
	{ "tar", optional_argument, OPT_TAR, "=X", "SOURCE is a tar archive (standard input if absent or \"-\"); X = f: copy the data (the tar may be compressed; also a bare --tar); i (or 0): index only, the data stays in the uncompressed tar, which becomes extra device 1 (512-byte blocks, whatever -b says; append the tar to IMAGE or mount with device=); headerball: the tar holds headers only, files are holes; X,MAPFILE: also write a block list to MAPFILE (with i or --clean=rvsp, file blocks are reserved in IMAGE instead, and MAPFILE says which archive bytes fill them)" },
	{ "aufs", no_argument, OPT_AUFS, NULL, "with --tar: turn aufs whiteouts (.wh.*) into overlayfs ones" },
	{ "ovlfs-strip", optional_argument, OPT_OVLFS_STRIP, "[=0|1]", "when merging images: leave whiteouts and opaque xattrs out of the result (1, the default of a bare option)" },
	{ "clean", optional_argument, OPT_CLEAN, "[=data|rvsp]", "data: a self-contained image (merging images: copy the file data instead of pointing into the sources); rvsp: reserve the blocks of file data (tar or merge) without writing them" },
	{ "incremental", optional_argument, OPT_INCREMENTAL, "[=data|rvsp]", "extend the existing image IMAGE: SOURCE (a directory or --tar=f) goes over its tree as an overlayfs layer, new inodes and data are appended and the old ones stay; rvsp: reserve the new files' blocks (see --clean)" },
	{ "reuse", required_argument, OPT_REUSE, "OLD", "take the compressed data of files whose content OLD (an earlier image with fingerprints, built with the same options) already holds, instead of compressing them again; the image is the one a full build writes; repeatable" },
	{ "sort", required_argument, OPT_SORT, "MODE", "with --tar: data order; path (default) or none: file data goes into the image in archive order as the tar is read (no spool file, tails not inlined); with -z or --dsunit it falls back to path" },
	{ "ungzip", optional_argument, OPT_UNZIP, "[=FILE]", "accepted for erofs-utils compatibility: compressed tar input is detected anyway (=FILE unsupported)" },
	{ "gzip", no_argument, OPT_UNZIP, NULL, "same as --ungzip" },
	{ "unxz", optional_argument, OPT_UNZIP, "[=FILE]", "same as --ungzip" },
	{ "unlzma", optional_argument, OPT_UNZIP, "[=FILE]", "same as --ungzip" },
	{ "MZ", optional_argument, OPT_MZ, "[=0|i|id]", "metadata zone: i, the inodes in one area (always so here); d, directory data right after them, before other data (a bare --MZ: id)" },
	{ "zD", optional_argument, OPT_ZD, "[=0|1]", "compress directories too (into the packed inode, with the first -z algorithm); 0 turns it off" },
	{ "compress-hints", required_argument, OPT_COMPRESS_HINTS, "FILE", "per-file pcluster size and -z algorithm: lines 'SIZE [ALG-INDEX] REGEX' (size 0: uncompressed)" },
	{ "max-extent-bytes", required_argument, OPT_MAX_EXTENT_BYTES, "N", "largest uncompressed extent in bytes (default max(1 MiB, 4 pclusters))" },
	{ "chunksize", required_argument, OPT_CHUNKSIZE, "SIZE", "store files that are not compressed chunk-based, in SIZE-byte chunks (a power of 2, at least the block size): identical chunks once, zero chunks as holes" },
	{ "blobdev", required_argument, OPT_BLOBDEV, "FILE", "with --chunksize: write chunk data to FILE (extra device 1), the image holds the metadata" },
	{ "dsunit", required_argument, OPT_DSUNIT, "N", "start every file's data on a block address that is a multiple of N" },
	{ "fsalignblks", required_argument, OPT_FSALIGNBLKS, "N", "round the image size up to a multiple of N blocks (N rounded up to a power of 2)" },
	{ "offset", required_argument, OPT_OFFSET, "N", "write the image N bytes into IMAGE (the file is still truncated first)" },
	{ "async-queue-limit", required_argument, OPT_ASYNC_QUEUE_LIMIT, "N", "accepted for erofs-utils compatibility (no effect: there is no job queue)" },
	{ "workers", required_argument, OPT_WORKERS, "N", "compress (or read ahead) with N threads (default: number of online CPUs); the image does not depend on N" },
	{ "quiet", no_argument, OPT_QUIET, NULL, "print nothing but errors" },
	{ "version", no_argument, 'V', NULL, "print the version and exit" },
	{ "help", no_argument, 'h', NULL, "print this help and exit" },
};

struct mkfs_cli {
	struct erofs_import_params imp;
	struct erofs_mkfs_params mk;
	struct erofs_log log;
	const char *hints_path;
	struct erofs_zhints *hints;
	const char **excludes, **regexes, **prefixes, **reuse;
	size_t nr_excludes, nr_regexes, nr_prefixes, nr_reuse;
	size_t cap_excludes, cap_regexes, cap_prefixes, cap_reuse;
	bool quiet;
	bool sort_none;		/* --sort=none */
	struct erofs_mkfs_source src;	/* what, and its rules */
	struct erofs_mkfs_stamp stamp;	/* times and UUID */
	struct erofs_mkfs_output out;	/* image and blob */
	struct erofs_frontend fe;
	bool incremental;		/* --incremental: extend IMAGE */
	struct erofs_mkfs_base_ctx base;
};

/* the image being written, for the signal handler to remove */
static const char *volatile partial_image;

static void on_signal(int sig)
{
	if (partial_image)
		unlink(partial_image);	/* async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

static const char usage_head[] =
	"Usage: " PROG " [OPTIONS] IMAGE SOURCE\n"
	"       " PROG " --tar=f|i|headerball [OPTIONS] IMAGE [TARFILE]\n"
	"       " PROG " [OPTIONS] IMAGE LAYER.erofs...\n"
	"Build the EROFS image IMAGE from the directory SOURCE, a tar archive, or\n"
	"EROFS images merged as overlayfs layers (the last on top).\n\n";

static void import_progress(void *priv, uint64_t done)
{
	struct mkfs_cli *cli = priv;

	erofs_frontend_progress(&cli->fe, "importing...", "files", done, 0);
}

static void build_progress(void *priv, uint64_t done, uint64_t total)
{
	struct mkfs_cli *cli = priv;

	erofs_frontend_progress(&cli->fe, "writing...", "inodes", done, total);
}

static int parse_one(void *priv, int c, char *arg)
{
	struct mkfs_cli *cli = priv;
	const char *tok;
	long long v;
	int ret = 0;

	switch (c) {
	case 'b':
		if (erofs_cli_parse_int(arg, 512, 4096, &v) || (v & (v - 1)))
			return erofs_frontend_bad(&cli->fe, "invalid block size '%s' (512..4096, a power of 2)", arg);
		cli->mk.blkszbits = (unsigned int)__builtin_ctzll(v);
		cli->src.has_b = true;
		break;
	case 'd':
		if (erofs_cli_parse_int(arg, 0, 9, &v))
			return erofs_frontend_bad(&cli->fe, "invalid message level '%s' (0..9)", arg);
		cli->log.level = (int)v;
		break;
	case 'x':
		if (erofs_cli_parse_int(arg, INT_MIN, INT_MAX, &v))
			return erofs_frontend_bad(&cli->fe, "invalid xattr sharing threshold '%s'", arg);
		cli->imp.xattrs = v >= 0;
		cli->mk.xattr_share_threshold = v < 0 ? -1 : (int)v;
		break;
	case 'z':
	case 'm':
	case OPT_MZ:
	case OPT_ZD:
		/* the library parses these and logs why it refuses one */
		if ((c == 'z' ? erofs_mkfs_parse_compress :
		     c == 'm' ? erofs_mkfs_parse_metabox :
		     c == OPT_MZ ? erofs_mkfs_parse_metazone :
		     erofs_mkfs_parse_zd)(&cli->mk, arg))
			return -EINVAL;
		break;
	case 'C':
		if (erofs_cli_parse_size(arg, 512, 1 << 20, &v))
			return erofs_frontend_bad(&cli->fe, "invalid physical cluster size '%s'", arg);
		cli->mk.pcluster_max = (uint32_t)v;
		break;
	case OPT_MAX_EXTENT_BYTES:
		if (erofs_cli_parse_size(arg, 1, 12 << 20, &v))
			return erofs_frontend_bad(&cli->fe, "invalid --max-extent-bytes '%s'", arg);
		cli->mk.max_extent_bytes = (uint32_t)v;
		break;
	case OPT_COMPRESS_HINTS: cli->hints_path = arg; break;
	case OPT_WORKERS:
		if (erofs_cli_parse_int(arg, 1, EROFS_MKFS_MAX_WORKERS, &v))
			return erofs_frontend_bad(&cli->fe, "invalid --workers '%s' (1..%d)", arg, EROFS_MKFS_MAX_WORKERS);
		cli->mk.workers = (unsigned int)v;
		break;
	case OPT_DSUNIT:
	case OPT_FSALIGNBLKS:
		if (erofs_cli_parse_int(arg, 0, UINT32_MAX, &v))
			return erofs_frontend_bad(&cli->fe, "invalid --%s '%s'",
						  c == OPT_DSUNIT ? "dsunit" : "fsalignblks", arg);
		*(c == OPT_DSUNIT ? &cli->mk.dsunit : &cli->mk.fsalignblks) = (uint32_t)v;
		break;
	case OPT_OFFSET:
		if (erofs_cli_parse_size(arg, 0, INT64_MAX / 2, &v))
			return erofs_frontend_bad(&cli->fe, "invalid --offset '%s'", arg);
		cli->out.offset = (uint64_t)v;
		break;
	case OPT_CHUNKSIZE:
		if (erofs_cli_parse_size(arg, 512, 1 << 30, &v) || (v & (v - 1)))
			return erofs_frontend_bad(&cli->fe, "invalid --chunksize '%s' (a power of 2, 512 bytes to 1G)", arg);
		cli->mk.chunkbits = (unsigned int)__builtin_ctzll(v);
		break;
	case OPT_BLOBDEV: cli->out.blob_path = arg; break;
	case OPT_ASYNC_QUEUE_LIMIT:
		if (erofs_cli_parse_int(arg, 1, INT32_MAX, &v))
			return erofs_frontend_bad(&cli->fe, "invalid --async-queue-limit '%s'", arg);
		break;
	case 'E':
		switch (erofs_cli_mkfs_extended(&cli->mk, &cli->imp, arg, &tok)) {
		case 0:
			break;
		case -ERANGE:
			return erofs_frontend_bad(&cli->fe, "invalid value in extended option '%s' (%s)", tok,
						  !strncmp(tok, "^fragdedupe", 11) ? "^fragdedupe takes no value" :
						  "fragments=SIZE: 512..1048576 bytes, a multiple of the block size");
		default:
			return erofs_frontend_bad(&cli->fe, "unknown extended option '%s'", tok);
		}
		break;
	case 'L':
		if (strlen(arg) >= sizeof(cli->mk.volume_label))
			return erofs_frontend_bad(&cli->fe, "volume label '%s' is longer than 15 bytes", arg);
		strcpy(cli->mk.volume_label, arg);
		break;
	case 'T':
		if (erofs_cli_parse_int(arg, 0, INT64_MAX, &v))
			return erofs_frontend_bad(&cli->fe, "invalid timestamp '%s'", arg);
		cli->stamp.T = v;
		cli->stamp.has_T = true;
		break;
	case 'U':
		cli->stamp.uuid = !strcmp(arg, "random") ?
				  EROFS_STAMP_UUID_RANDOM : EROFS_STAMP_UUID_GIVEN;
		if (!strcmp(arg, "clear"))
			memset(cli->mk.uuid, 0, sizeof(cli->mk.uuid));
		else if (cli->stamp.uuid == EROFS_STAMP_UUID_GIVEN &&
			 erofs_uuid_parse(arg, cli->mk.uuid))
			return erofs_frontend_bad(&cli->fe, "invalid UUID '%s'", arg);
		break;
	case OPT_ALL_TIME: cli->stamp.mtime = EROFS_STAMP_MTIME_ALL; break;
	case OPT_MKFS_TIME: cli->stamp.mtime = EROFS_STAMP_MTIME_KEEP; break;
	case OPT_IGNORE_MTIME: cli->imp.ignore_mtime = true; break;
	case OPT_PRESERVE_MTIME: cli->imp.ignore_mtime = false; break;
	case OPT_ALL_ROOT: cli->imp.all_root = true; break;
	case OPT_FORCE_UID:
	case OPT_FORCE_GID:
		if (erofs_cli_parse_int(arg, 0, UINT32_MAX, &v))
			return erofs_frontend_bad(&cli->fe, "invalid id '%s'", arg);
		*(c == OPT_FORCE_UID ? &cli->imp.force_uid : &cli->imp.force_gid) = v;
		break;
	case OPT_UID_OFFSET:
	case OPT_GID_OFFSET:
		if (erofs_cli_parse_int(arg, -(long long)UINT32_MAX, UINT32_MAX, &v))
			return erofs_frontend_bad(&cli->fe, "invalid id offset '%s'", arg);
		*(c == OPT_UID_OFFSET ? &cli->imp.uid_offset : &cli->imp.gid_offset) = v;
		break;
	case OPT_EXCLUDE_PATH:
		return erofs_cli_push_str(&cli->excludes, &cli->nr_excludes,
					  &cli->cap_excludes, arg);
	case OPT_EXCLUDE_REGEX:
		return erofs_cli_push_str(&cli->regexes, &cli->nr_regexes,
					  &cli->cap_regexes, arg);
	case OPT_REUSE:
		return erofs_cli_push_str(&cli->reuse, &cli->nr_reuse,
					  &cli->cap_reuse, arg);
	case OPT_FILE_CONTEXTS: cli->imp.file_contexts = arg; break;
	case OPT_MOUNT_POINT: cli->imp.mount_point = arg; break;
	case OPT_ROOT_XATTR_ISIZE:
		if (erofs_cli_parse_int(arg, 0, 65535, &v))
			return erofs_frontend_bad(&cli->fe, "invalid root xattr size '%s'", arg);
		cli->mk.root_xattr_isize = (unsigned int)v;
		break;
	case OPT_XATTR_PREFIX: {
		struct erofs_xattr_prefix pfx;

		if (erofs_xattr_prefix_from_name(&pfx, arg))
			return erofs_frontend_bad(&cli->fe, "invalid xattr prefix '%s'", arg);
		erofs_xattr_prefix_release(&pfx);
		ret = erofs_cli_push_str(&cli->prefixes, &cli->nr_prefixes,
					 &cli->cap_prefixes, arg);
		break;
	}
	case OPT_HARD_DEREF: cli->imp.hard_dereference = true; break;
	case OPT_ISHARE_KEY:
	case OPT_XATTR_INODE_DIGEST:
		cli->mk.ishare_key = arg && *arg ? arg : DEFAULT_ISHARE_KEY;
		break;
	case OPT_TAR:
		if (erofs_mkfs_source_tar_mode(&cli->src, arg, &cli->log))
			return -EINVAL;	/* logged */
		cli->out.map_path = cli->src.mapfile;
		break;
	case OPT_AUFS: cli->imp.aufs = true; break;
	case OPT_OVLFS_STRIP:
		if (arg && strcmp(arg, "0") && strcmp(arg, "1"))
			return erofs_frontend_bad(&cli->fe, "invalid --ovlfs-strip '%s' (0 or 1)", arg);
		cli->src.ovlfs_strip = !arg || !strcmp(arg, "1");
		break;
	case OPT_CLEAN:
		if (arg && strcmp(arg, "data") && strcmp(arg, "rvsp"))
			return erofs_frontend_bad(&cli->fe, "invalid --clean=%s (data or rvsp)", arg);
		cli->src.rvsp = arg && !strcmp(arg, "rvsp");
		cli->src.clean = !cli->src.rvsp;
		break;
	case OPT_INCREMENTAL:
		if (arg && strcmp(arg, "data") && strcmp(arg, "rvsp"))
			return erofs_frontend_bad(&cli->fe, "invalid --incremental=%s (data or rvsp)", arg);
		cli->incremental = cli->src.incremental = true;
		cli->src.rvsp = arg && !strcmp(arg, "rvsp");
		break;
	case OPT_SORT:
		if (strcmp(arg, "path") && strcmp(arg, "none"))
			return erofs_frontend_bad(&cli->fe, "invalid --sort '%s' (path or none)", arg);
		cli->sort_none = !strcmp(arg, "none");
		break;
	case OPT_UNZIP:	/* libarchive undoes any compression by itself */
		if (arg)
			return erofs_frontend_bad(&cli->fe, "dumping the decompressed stream to '%s' is not supported yet", arg);
		break;
	case OPT_QUIET: cli->quiet = true; break;
	default:
		return -EINVAL;	/* an opt_defs row without a case here */
	}
	return ret;
}

static int parse_args(struct mkfs_cli *cli, int argc, char **argv)
{
	int ret;

	ret = erofs_frontend_getopt(&cli->fe, argc, argv, parse_one, cli);
	if (ret)
		return ret;
	if (argc - optind < 1)
		return erofs_frontend_bad(&cli->fe, "missing IMAGE or SOURCE");
	cli->out.image = argv[optind];
	ret = erofs_mkfs_source_set_args(&cli->src,
					 (const char *const *)&argv[optind + 1],
					 (size_t)(argc - optind - 1));
	if (ret)
		return erofs_frontend_bad(&cli->fe, ret == -E2BIG ?
					  "too many arguments" :
					  "missing IMAGE or SOURCE");
	cli->src.has_blob = cli->out.blob_path != NULL;
	if (erofs_mkfs_source_prepare(&cli->src, &cli->imp, &cli->mk))
		return -EINVAL;	/* logged */
	/* as erofs-utils: --sort only changes how a tar is copied */
	cli->sort_none = cli->sort_none && cli->src.kind == EROFS_SOURCE_TAR;
	/* erofs-utils' rules between -E dedupe, --chunksize, --blobdev */
	if (erofs_mkfs_params_finish(&cli->mk, cli->out.blob_path != NULL))
		return -EINVAL;	/* the library logged why */
	/* a request, as in erofs-utils (containerd always passes it) */
	if (cli->sort_none && !erofs_mkfs_can_stream(&cli->mk))
		cli->sort_none = false;
	if (erofs_mkfs_stamp_times(&cli->stamp, getenv("SOURCE_DATE_EPOCH"),
				   time(NULL), &cli->imp, &cli->mk))
		return -EINVAL;	/* logged */
	/* the image decides its block size, times, layout: read it now */
	if (cli->incremental && (cli->sort_none = false,
	    erofs_mkfs_base_start(&cli->base, &cli->out, &cli->mk,
				  cli->src.has_b, &cli->log)))
		return -EINVAL;	/* logged */
	cli->imp.exclude_paths = cli->excludes;
	cli->imp.exclude_regex = cli->regexes;
	cli->mk.xattr_prefixes = cli->prefixes;
	cli->mk.nr_xattr_prefixes = cli->nr_prefixes;
	cli->mk.reuse = cli->reuse;
	cli->mk.nr_reuse = cli->nr_reuse;
	if (cli->nr_reuse && erofs_mkfs_reuse_check(&cli->mk, cli->out.image))
		return -EINVAL;	/* logged */
	if (cli->quiet)
		cli->log.level = EROFS_LOG_ERR;
	/* the rules are checked against the final -z, -b and -C */
	if (cli->hints_path &&
	    erofs_zhints_load(&cli->hints, cli->hints_path, cli->mk.nr_compr,
			      1U << cli->mk.blkszbits, cli->mk.pcluster_max,
			      &cli->log))
		return -EINVAL;	/* the library logged why */
	cli->mk.zhints = cli->hints;
	return 0;
}

/* open the image; from then on a signal removes it if it is ours */
static int open_image(struct mkfs_cli *cli)
{
	int ret = erofs_mkfs_output_open(&cli->out);

	partial_image = erofs_mkfs_output_removable(&cli->out);
	if (!ret && partial_image) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct mkfs_cli cli = { 0 };
	struct erofs_mkfs_stats stats = { 0 };
	struct erofs_stream *stream = NULL;
	char uuid[EROFS_UUID_STR_LEN + 1];
	int ret;

	cli.fe = (struct erofs_frontend){
		.prog = PROG, .usage = usage_head, .opts = opt_defs,
		.nr_opts = EROFS_ARRAY_SIZE(opt_defs), .hint_at_exit = true,
	};
	erofs_log_init(&cli.log);
	cli.log.sink = erofs_frontend_log_sink;
	cli.log.priv = &cli.fe;
	erofs_import_params_init(&cli.imp);
	erofs_mkfs_params_init(&cli.mk);
	cli.imp.log = cli.mk.log = &cli.log;
	cli.out.log = &cli.log;

	ret = parse_args(&cli, argc, argv);
	if (ret) {
		erofs_frontend_hint(argv[0]);
		erofs_mkfs_base_close(&cli.base);
		erofs_mkfs_output_close(&cli.out, true);
		return 1;
	}
	if (!cli.quiet && isatty(STDERR_FILENO)) {
		cli.imp.progress = import_progress;
		cli.imp.progress_priv = &cli;
		cli.mk.progress = build_progress;
		cli.mk.progress_priv = &cli;
	}

	/*
	 * --sort=none writes file data into the image while the tar is
	 * read, so the image is opened first (and its head zeroed: what
	 * was there stops looking like an image); a bad tar then removes
	 * it like any other failure.
	 */
	if (cli.sort_none) {
		ret = open_image(&cli);
		if (!ret)
			ret = erofs_mkfs_output_stream(&cli.out, cli.mk.blkszbits,
						       cli.mk.ishare_key != NULL,
						       &stream);
		if (ret)
			goto out;
		cli.imp.stream = stream;
		cli.mk.stream = stream;
	}
	/* an image from an earlier run inside SOURCE is not part of it */
	cli.imp.skip_file = cli.out.image;
	ret = erofs_mkfs_source_import(&cli.src, &cli.imp, &cli.mk);
	if (!ret)
		ret = erofs_mkfs_stamp_uuid(&cli.stamp, cli.src.root, &cli.mk);
	if (!ret && cli.incremental)	/* over the image's tree */
		ret = erofs_mkfs_base_merge(&cli.base, cli.src.root,
				cli.src.ovlfs_strip, &cli.mk,
				cli.stamp.uuid == EROFS_STAMP_UUID_DEFAULT);
	if (!ret)
		ret = open_image(&cli);
	if (!ret)
		ret = erofs_mkfs_output_open_blob(&cli.out);
	if (ret)
		goto out;
	cli.mk.blob = cli.out.blob_open ? &cli.out.blob : NULL;
	/* (empty unless files are reserved, as erofs-utils leaves it) */
	cli.mk.blocklist = cli.out.map_open ? &cli.out.map : NULL;
	ret = erofs_mkfs_build(&cli.mk, cli.src.root, &cli.out.io, &stats);
	cli.out.written = !ret;
	if (ret)
		erofs_err(&cli.log, "cannot build %s: %s", cli.out.image,
			  strerror(-ret));
	else
		ret = erofs_mkfs_output_commit(&cli.out);
out:
	erofs_mkfs_output_close(&cli.out, ret != 0);
	erofs_stream_free(stream);
	erofs_frontend_progress_clear(&cli.fe);
	if (!ret && !cli.quiet) {
		erofs_uuid_unparse(cli.mk.uuid, uuid);
		printf("Filesystem UUID: %s\nFilesystem total blocks: %llu (of %u-byte blocks)\nFilesystem total inodes: %llu\n",
		       uuid, (unsigned long long)stats.blocks,
		       1U << cli.mk.blkszbits, (unsigned long long)stats.inodes);
		if (cli.nr_reuse)
			printf("Reused from earlier images: %llu files (%llu bytes)\n",
			       (unsigned long long)stats.reused_files,
			       (unsigned long long)stats.reused_bytes);
	}
	erofs_mkfs_source_release(&cli.src);
	erofs_mkfs_base_close(&cli.base);
	free(cli.excludes);
	free(cli.regexes);
	free(cli.prefixes);
	free(cli.reuse);
	erofs_zhints_free(cli.hints);
	return ret ? 1 : 0;
}
