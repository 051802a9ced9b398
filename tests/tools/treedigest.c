// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * treedigest - print a canonical manifest of a directory tree, so that two
 * trees (a source directory and a kernel mount of its image) can be
 * compared with diff.
 *
 *   treedigest [--ignore FIELD[,FIELD...]] [--ignore-xattr NAME]... DIR
 *
 * One line per path, sorted bytewise by path; the root is ".".  Paths and
 * strings use the escapes of gentree's manifest: "\\" and "\xHH" for every
 * byte outside 0x21..0x7e, so names holding spaces, newlines or non-UTF-8
 * bytes stay on one line.  Fields, in this order:
 *
 *   PATH TYPE mode=OCTAL uid=N gid=N nlink=N mtime=SEC.NSEC
 *        [size=N sha256=HEX]      regular files (content hash, holes = zeros)
 *        [size=N target=STR]      symlinks
 *        [rdev=MAJ:MIN]           character and block devices
 *        [x:NAME=HEXVALUE ...]    xattrs, sorted by name
 *        [hl=PATH]                non-directories with nlink > 1: the
 *                                 first path (in sort order) of the group
 *                                 of names sharing the inode
 *
 * TYPE is one of f d l c b p s.  Directory sizes are never printed (they
 * depend on the file system).  --ignore drops fields: mtime, mtime-nsec,
 * uid, gid, mode, nlink, dir-nlink (nlink of directories only), size,
 * content, target, rdev, xattrs, hardlinks, root (all metadata of ".").
 * --ignore-xattr NAME drops one xattr (a trailing "*" makes NAME a prefix).
 *
 * --check-fingerprint NAME verifies page cache sharing fingerprints while
 * walking: every regular file with size > 0 must carry xattr NAME with the
 * value "sha256:" followed by the 32 raw bytes of SHA-256 of its content,
 * and no other inode may carry it; problems go to stderr, one line per
 * path, and make the exit status 1.  NAME itself is left out of the
 * output, so the digest still matches the source tree's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <openssl/evp.h>

static const char *progname = "treedigest";
static int exit_code;

enum {
	IGN_MTIME = 1 << 0, IGN_MTIME_NSEC = 1 << 1, IGN_UID = 1 << 2,
	IGN_GID = 1 << 3, IGN_MODE = 1 << 4, IGN_NLINK = 1 << 5,
	IGN_DIR_NLINK = 1 << 6, IGN_SIZE = 1 << 7, IGN_CONTENT = 1 << 8,
	IGN_TARGET = 1 << 9, IGN_RDEV = 1 << 10, IGN_XATTRS = 1 << 11,
	IGN_HARDLINKS = 1 << 12, IGN_ROOT = 1 << 13,
};

static const struct { const char *name; unsigned int bit; } fields[] = {
	{ "mtime", IGN_MTIME }, { "mtime-nsec", IGN_MTIME_NSEC },
	{ "uid", IGN_UID }, { "gid", IGN_GID }, { "mode", IGN_MODE },
	{ "nlink", IGN_NLINK }, { "dir-nlink", IGN_DIR_NLINK },
	{ "size", IGN_SIZE }, { "content", IGN_CONTENT },
	{ "target", IGN_TARGET }, { "rdev", IGN_RDEV },
	{ "xattrs", IGN_XATTRS }, { "hardlinks", IGN_HARDLINKS },
	{ "root", IGN_ROOT },
};

static unsigned int ignore;
static const char *fingerprint_name;
static char **ignored_xattrs;
static size_t nr_ignored_xattrs;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* a problem with one path: report it, keep going, exit non-zero */
static void complain(const char *path, const char *what)
{
	fprintf(stderr, "%s: %s: %s: %s\n", progname, path, what, strerror(errno));
	exit_code = 1;
}

/* ---- growing strings --------------------------------------------------- */

struct buf { char *s; size_t len, cap; };

static void buf_grow(struct buf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	b->cap = (b->len + more + 1) * 2;
	b->s = realloc(b->s, b->cap);
	if (!b->s)
		die("out of memory");
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_grow(b, n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

static void buf_escape(struct buf *b, const unsigned char *p, size_t len)
{
	size_t i;

	buf_grow(b, 4 * len);
	for (i = 0; i < len; i++) {
		if (p[i] > 0x20 && p[i] < 0x7f && p[i] != '\\')
			b->s[b->len++] = p[i];
		else
			b->len += sprintf(b->s + b->len, "\\x%02x", p[i]);
	}
	b->s[b->len] = '\0';
}

static void buf_hex(struct buf *b, const unsigned char *p, size_t len)
{
	size_t i;

	buf_grow(b, 2 * len);
	for (i = 0; i < len; i++)
		b->len += sprintf(b->s + b->len, "%02x", p[i]);
	b->s[b->len] = '\0';
}

/* ---- records ----------------------------------------------------------- */

struct rec {
	char *path;		/* raw bytes, NUL-terminated */
	char *line;		/* fields after the path, without hl= */
	dev_t dev;
	ino_t ino;
	bool linked;		/* non-directory with nlink > 1 */
	size_t first;		/* index of the hard link group's first path */
};

static struct rec *recs;
static size_t nr_recs, cap_recs;

static void add_rec(const char *path, char *line, const struct stat *st)
{
	struct rec *r;

	if (nr_recs == cap_recs) {
		cap_recs = cap_recs ? 2 * cap_recs : 1024;
		recs = realloc(recs, cap_recs * sizeof(*recs));
		if (!recs)
			die("out of memory");
	}
	r = &recs[nr_recs++];
	r->path = strdup(path);
	if (!r->path)
		die("out of memory");
	r->line = line;
	r->dev = st->st_dev;
	r->ino = st->st_ino;
	r->linked = !S_ISDIR(st->st_mode) && st->st_nlink > 1;
}

/* ---- per-path work (the cwd is the path's parent directory) ------------ */

/* SHA-256 of a file's content into md[32]; false (and a complaint) on error */
static bool hash_file(const char *name, const char *path, unsigned char *md)
{
	static unsigned char data[1 << 20];
	unsigned int mdlen;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int fd = open(name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	bool ok = false;
	ssize_t n;

	if (!ctx)
		die("out of memory");
	if (fd < 0) {
		complain(path, "open");
		EVP_MD_CTX_free(ctx);
		return false;
	}
	if (!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		die("EVP_DigestInit_ex failed");
	while ((n = read(fd, data, sizeof(data))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			complain(path, "read");
			goto out;
		}
		EVP_DigestUpdate(ctx, data, n);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	ok = mdlen == 32;
out:
	close(fd);
	EVP_MD_CTX_free(ctx);
	return ok;
}

/*
 * --check-fingerprint NAME: every regular file with content carries xattr
 * NAME = "sha256:" + the 32 raw digest bytes (the page cache sharing
 * format, see ishare.md); nothing else carries it.
 */
static void check_fingerprint(const char *name, const char *path,
			      const struct stat *st, const unsigned char *md)
{
	unsigned char val[128];
	ssize_t n = lgetxattr(name, fingerprint_name, val, sizeof(val));
	bool want = S_ISREG(st->st_mode) && st->st_size > 0;

	if (n < 0 && errno != ENODATA && errno != ENOTSUP && errno != ERANGE) {
		complain(path, "getxattr fingerprint");
		return;
	}
	if (!want) {
		if (n >= 0 || errno == ERANGE) {
			fprintf(stderr, "%s: %s: unexpected fingerprint %s on a %s\n",
				progname, path, fingerprint_name,
				S_ISREG(st->st_mode) ? "empty file" : "non-regular file");
			exit_code = 1;
		}
		return;
	}
	if (n < 0) {
		fprintf(stderr, "%s: %s: fingerprint %s missing\n", progname, path,
			fingerprint_name);
		exit_code = 1;
	} else if (!md) {
		/* content unreadable: already reported */
	} else if (n != 39 || memcmp(val, "sha256:", 7) || memcmp(val + 7, md, 32)) {
		fprintf(stderr, "%s: %s: fingerprint %s is wrong (%zd bytes)\n",
			progname, path, fingerprint_name, n);
		exit_code = 1;
	}
}

static bool xattr_ignored(const char *name)
{
	size_t i;

	if (fingerprint_name && !strcmp(name, fingerprint_name))
		return true;
	for (i = 0; i < nr_ignored_xattrs; i++) {
		const char *p = ignored_xattrs[i];
		size_t len = strlen(p);

		if (len && p[len - 1] == '*' ? !strncmp(name, p, len - 1) : !strcmp(name, p))
			return true;
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_xattrs(struct buf *b, const char *name, const char *path)
{
	ssize_t len = llistxattr(name, NULL, 0), vlen;
	char *list, **names, *p;
	size_t n = 0, i;
	unsigned char *val;

	if (len < 0) {
		if (errno != ENOTSUP)
			complain(path, "listxattr");
		return;
	}
	if (!len)
		return;
	list = malloc(len);
	if (!list)
		die("out of memory");
	len = llistxattr(name, list, len);
	if (len < 0) {
		complain(path, "listxattr");
		free(list);
		return;
	}
	names = calloc(len, sizeof(*names));
	if (!names)
		die("out of memory");
	for (p = list; p < list + len; p += strlen(p) + 1)
		if (!xattr_ignored(p))
			names[n++] = p;
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		vlen = lgetxattr(name, names[i], NULL, 0);
		val = malloc(vlen > 0 ? vlen : 1);
		if (!val)
			die("out of memory");
		if (vlen >= 0)
			vlen = lgetxattr(name, names[i], val, vlen);
		buf_printf(b, " x:");
		buf_escape(b, (unsigned char *)names[i], strlen(names[i]));
		if (vlen < 0) {
			complain(path, names[i]);
			buf_printf(b, "=unreadable");
		} else {
			buf_printf(b, "=");
			buf_hex(b, val, vlen);
		}
		free(val);
	}
	free(names);
	free(list);
}

static char type_char(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return 'f';
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFIFO: return 'p';
	case S_IFSOCK: return 's';
	}
	return '?';
}

static void describe(const char *name, const char *path, const struct stat *st)
{
	struct buf b = { 0 };
	bool root = !strcmp(path, ".");
	bool dir = S_ISDIR(st->st_mode);

	buf_printf(&b, "%c", type_char(st->st_mode));
	if (root && (ignore & IGN_ROOT))
		goto done;
	if (!(ignore & IGN_MODE))
		buf_printf(&b, " mode=%04o", (unsigned int)(st->st_mode & 07777));
	if (!(ignore & IGN_UID))
		buf_printf(&b, " uid=%u", (unsigned int)st->st_uid);
	if (!(ignore & IGN_GID))
		buf_printf(&b, " gid=%u", (unsigned int)st->st_gid);
	if (!(ignore & IGN_NLINK) && !(dir && (ignore & IGN_DIR_NLINK)))
		buf_printf(&b, " nlink=%lu", (unsigned long)st->st_nlink);
	if (!(ignore & IGN_MTIME))
		buf_printf(&b, " mtime=%lld.%09ld", (long long)st->st_mtim.tv_sec,
			   ignore & IGN_MTIME_NSEC ? 0L : st->st_mtim.tv_nsec);
	if (S_ISREG(st->st_mode)) {
		unsigned char md[32];
		bool hashed = false;

		if (!(ignore & IGN_SIZE))
			buf_printf(&b, " size=%lld", (long long)st->st_size);
		if (!(ignore & IGN_CONTENT) || fingerprint_name)
			hashed = hash_file(name, path, md);
		if (!(ignore & IGN_CONTENT)) {
			buf_printf(&b, " sha256=");
			if (hashed)
				buf_hex(&b, md, sizeof(md));
			else
				buf_printf(&b, "unreadable");
		}
		if (fingerprint_name)
			check_fingerprint(name, path, st, hashed ? md : NULL);
	} else if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX + 1];
		ssize_t n;

		if (!(ignore & IGN_SIZE))
			buf_printf(&b, " size=%lld", (long long)st->st_size);
		if (!(ignore & IGN_TARGET)) {
			n = readlink(name, target, sizeof(target));
			if (n < 0) {
				complain(path, "readlink");
				n = 0;
			}
			buf_printf(&b, " target=");
			buf_escape(&b, (unsigned char *)target, n);
		}
	} else if ((S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) && !(ignore & IGN_RDEV)) {
		buf_printf(&b, " rdev=%u:%u", major(st->st_rdev), minor(st->st_rdev));
	}
	if (fingerprint_name && !S_ISREG(st->st_mode))
		check_fingerprint(name, path, st, NULL);
	if (!(ignore & IGN_XATTRS))
		list_xattrs(&b, name, path);
done:
	add_rec(path, b.s, st);
}

static void walk(const char *path)
{
	DIR *d = opendir(".");
	struct dirent *de;
	struct stat st;

	if (!d) {
		complain(path, "opendir");
		return;
	}
	while ((errno = 0, de = readdir(d))) {
		char *child;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&child, "%s%s%s", strcmp(path, ".") ? path : "",
			     strcmp(path, ".") ? "/" : "", de->d_name) < 0)
			die("out of memory");
		if (lstat(de->d_name, &st)) {
			complain(child, "lstat");
			free(child);
			continue;
		}
		describe(de->d_name, child, &st);
		if (S_ISDIR(st.st_mode)) {
			if (chdir(de->d_name)) {
				complain(child, "chdir");
			} else {
				walk(child);
				if (fchdir(dirfd(d)))
					die("%s: cannot return to the parent: %s",
					    path, strerror(errno));
			}
		}
		free(child);
	}
	if (errno)
		complain(path, "readdir");
	closedir(d);
}

static int cmp_rec_path(const void *a, const void *b)
{
	return strcmp(((const struct rec *)a)->path, ((const struct rec *)b)->path);
}

static int cmp_rec_inode(const void *a, const void *b)
{
	const struct rec *x = *(struct rec *const *)a, *y = *(struct rec *const *)b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x < y ? -1 : x > y;	/* array order = path order */
}

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: treedigest [--ignore FIELD[,FIELD...]] [--ignore-xattr NAME]...\n"
		"                  [--check-fingerprint NAME] DIR\n"
		"fields: mtime mtime-nsec uid gid mode nlink dir-nlink size content\n"
		"        target rdev xattrs hardlinks root\n");
	exit(code);
}

static void parse_ignore(char *list)
{
	char *save = NULL, *tok;
	size_t i;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (!strcmp(tok, fields[i].name))
				break;
		if (i == sizeof(fields) / sizeof(fields[0]))
			die("unknown field \"%s\" for --ignore", tok);
		ignore |= fields[i].bit;
	}
}

int main(int argc, char **argv)
{
	struct rec **linked;
	size_t i, n = 0;
	struct stat st;
	int argi;

	for (argi = 1; argi < argc && argv[argi][0] == '-'; argi++) {
		if (!strcmp(argv[argi], "--help"))
			usage(0);
		if (argi + 1 >= argc)
			usage(2);
		if (!strcmp(argv[argi], "--ignore")) {
			parse_ignore(argv[++argi]);
		} else if (!strcmp(argv[argi], "--check-fingerprint")) {
			fingerprint_name = argv[++argi];
		} else if (!strcmp(argv[argi], "--ignore-xattr")) {
			ignored_xattrs = realloc(ignored_xattrs,
				(nr_ignored_xattrs + 1) * sizeof(char *));
			if (!ignored_xattrs)
				die("out of memory");
			ignored_xattrs[nr_ignored_xattrs++] = argv[++argi];
		} else {
			usage(2);
		}
	}
	if (argi != argc - 1)
		usage(2);
	if (chdir(argv[argi]))
		die("%s: %s", argv[argi], strerror(errno));
	if (lstat(".", &st))
		die("%s: %s", argv[argi], strerror(errno));
	describe(".", ".", &st);
	walk(".");

	qsort(recs, nr_recs, sizeof(*recs), cmp_rec_path);
	/* hard link groups: the first path of each (dev, ino) in path order */
	linked = calloc(nr_recs + 1, sizeof(*linked));
	if (!linked)
		die("out of memory");
	for (i = 0; i < nr_recs; i++)
		if (recs[i].linked)
			linked[n++] = &recs[i];
	qsort(linked, n, sizeof(*linked), cmp_rec_inode);
	for (i = 0; i < n; i++) {
		bool same = i && linked[i]->dev == linked[i - 1]->dev &&
			    linked[i]->ino == linked[i - 1]->ino;

		linked[i]->first = same ? linked[i - 1]->first :
				   (size_t)(linked[i] - recs);
	}
	free(linked);

	for (i = 0; i < nr_recs; i++) {
		struct buf out = { 0 };

		buf_escape(&out, (unsigned char *)recs[i].path, strlen(recs[i].path));
		buf_printf(&out, " %s", recs[i].line);
		if (recs[i].linked && !(ignore & IGN_HARDLINKS)) {
			buf_printf(&out, " hl=");
			buf_escape(&out, (unsigned char *)recs[recs[i].first].path,
				   strlen(recs[recs[i].first].path));
		}
		puts(out.s);
		free(out.s);
	}
	for (i = 0; i < nr_recs; i++) {
		free(recs[i].path);
		free(recs[i].line);
	}
	free(recs);
	free(ignored_xattrs);
	if (fflush(stdout) || ferror(stdout))
		die("write error");
	return exit_code;
}
