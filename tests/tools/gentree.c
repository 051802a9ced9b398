// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * gentree - build directory trees for the integration tests.
 *
 *   gentree --seed N --files M [--max-bytes B] [--name-max L] DIR
 *                                                    seeded random tree
 *   gentree --manifest FILE DIR                      tree from a text manifest
 *   gentree --bigdir N DIR                           DIR/big with N entries
 *   gentree --deep N DIR                             N nested directories
 *   gentree --copy SRC DIR                           copy SRC, creating
 *        entries in reverse name order and xattrs in reverse list order, so
 *        that a reproducible mkfs must give the same image for both trees
 *
 * DIR is created if missing and must be empty.  Needs root (mknod, chown to
 * any uid, trusted.* xattrs).  The same arguments give the same tree: every
 * choice comes from a splitmix64 stream seeded by --seed (or by a hash of
 * the path for manifest "rand=" contents), and timestamps are set last so
 * that creating children cannot disturb a directory's mtime.
 *
 * Random trees hold nested directories, regular files whose sizes sit on
 * every block-size boundary (0, 1, BS-1, BS, BS+1 for BS = 512..4096),
 * small and multi-MiB files, sparse files, duplicated contents, short and
 * longer-than-a-block symlinks, hard links across directories, char/block
 * devices (up to 4095:1048575, the largest EROFS can encode), fifos,
 * sockets, odd names (spaces, leading "!" or "-", newlines, non-UTF-8
 * bytes, 255 bytes), user./trusted./security. xattrs (a few values shared
 * by many files), POSIX ACLs, uids/gids above 65535, set-id bits and mtimes
 * from 0 to beyond 2^32 with nanoseconds.  The seed is printed on stdout.
 *
 * Manifest format: one entry per line, "#" starts a comment line, blank
 * lines are ignored.  Tokens are separated by blanks; inside a token "\\"
 * is a backslash, "\s" a space, "\t" a tab, "\n" a newline and "\xHH" any
 * byte (treedigest prints paths with the same escapes).
 *
 *   d PATH [META]                      directory ("." is the root itself)
 *   f PATH [META] [CONTENT]            regular file; CONTENT is one of
 *        text=STR                      the (unescaped) string
 *        rand=N                        N pseudo-random bytes, seeded by PATH
 *                                      or by seed=S (equal seeds, equal
 *                                      bytes: duplicated content)
 *        zero=N                        N zero bytes, written out
 *        repeat=N:STR                  STR repeated up to N bytes
 *        sparse=N [data=OFF+LEN,...]   a hole of N bytes with random data
 *                                      written at the given ranges
 *   l PATH target=STR [META]           symlink (mode is ignored); or
 *   l PATH len=N [META]                a generated N-byte target
 *   h PATH target=EXISTING             hard link to an earlier entry
 *   c PATH dev=MAJ:MIN [META]          character device
 *   b PATH dev=MAJ:MIN [META]          block device
 *   p PATH [META]                      fifo
 *   s PATH [META]                      unix socket
 *   x PATH NAME VALUE                  xattr NAME on an earlier entry; VALUE
 *                                      is an escaped string, "hex:HHHH..."
 *                                      or "acl:u::rwx,u:1000:r--,g::r-x,
 *                                      g:5:r--,m::r-x,o::r--" (encoded in
 *                                      the kernel's POSIX ACL xattr format)
 *   META: mode=OCTAL uid=N gid=N mtime=SEC[.NSEC]
 *         defaults: 0755 (d) / 0644 (others), 0, 0, 1700000000.0
 *
 * Parents must be listed before their children.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MTIME	1700000000LL
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *progname = "gentree";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

/* ---- deterministic randomness ------------------------------------------ */

struct rng { uint64_t s; };

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform-enough value in [0, n) */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

static void rng_fill(struct rng *r, unsigned char *buf, size_t len)
{
	while (len) {
		uint64_t v = rng_next(r);
		size_t n = len < 8 ? len : 8;

		memcpy(buf, &v, n);
		buf += n;
		len -= n;
	}
}

static uint64_t hash_str(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (len--) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---- file system helpers (paths are relative to the tree root = cwd) --- */

static void write_all(int fd, const void *buf, size_t len, off_t off, const char *path)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write %s: %s", path, strerror(errno));
		}
		p += n;
		len -= n;
		off += n;
	}
}

/* write len bytes produced by gen() in 1 MiB pieces */
static void write_stream(int fd, const char *path, off_t off, uint64_t len,
			 void (*gen)(void *priv, unsigned char *buf, size_t n, uint64_t pos),
			 void *priv)
{
	static unsigned char buf[1 << 20];
	uint64_t pos = 0;

	while (pos < len) {
		size_t n = len - pos < sizeof(buf) ? len - pos : sizeof(buf);

		gen(priv, buf, n, pos);
		write_all(fd, buf, n, off + pos, path);
		pos += n;
	}
}

static void gen_rand(void *priv, unsigned char *buf, size_t n, uint64_t pos)
{
	rng_fill(priv, buf, n);
}

static void gen_zero(void *priv, unsigned char *buf, size_t n, uint64_t pos)
{
	memset(buf, 0, n);
}

struct repeat { const char *s; size_t len; };

static void gen_repeat(void *priv, unsigned char *buf, size_t n, uint64_t pos)
{
	const struct repeat *rp = priv;
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = rp->len ? rp->s[(pos + i) % rp->len] : 0;
}

/* compressible, text-like lines: "line 42 of 7f3a...\n" */
struct textgen { uint64_t tag; };

static void gen_text(void *priv, unsigned char *buf, size_t n, uint64_t pos)
{
	const struct textgen *tg = priv;
	char line[64];
	size_t i = 0;
	uint64_t lineno = pos / 32;
	size_t skip = pos % 32;

	while (i < n) {
		size_t l;

		snprintf(line, sizeof(line), "line %10" PRIu64 " of %012" PRIx64 "\n",
			 lineno++, (uint64_t)(tg->tag & 0xffffffffffffULL));
		/* every line is exactly 32 bytes so pos maps to a line */
		l = strlen(line);
		if (l > 32)
			l = 32;
		l -= skip;
		if (l > n - i)
			l = n - i;
		memcpy(buf + i, line + skip, l);
		i += l;
		skip = 0;
	}
}

static void make_parent_check(const char *path)
{
	const char *slash = strrchr(path, '/');
	struct stat st;
	char *parent;

	if (!slash)
		return;
	parent = strndup(path, slash - path);
	if (!parent)
		die("out of memory");
	if (lstat(parent, &st) || !S_ISDIR(st.st_mode))
		die("parent of \"%s\" is not a directory created earlier", path);
	free(parent);
}

/* ---- entries: created first, metadata applied in later passes ---------- */

struct xattr_kv {
	char *name;
	unsigned char *value;
	size_t len;
};

struct entry {
	char *path;
	char type;		/* d f l h c b p s */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	int64_t mtime;
	long mtime_nsec;
	struct xattr_kv *xattrs;
	size_t nr_xattrs;
};

struct tree {
	struct entry *v;
	size_t n, cap;
};

static struct entry *tree_add(struct tree *t, const char *path, char type)
{
	struct entry *e;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	e = &t->v[t->n++];
	memset(e, 0, sizeof(*e));
	e->path = strdup(path);
	if (!e->path)
		die("out of memory");
	e->type = type;
	e->mode = type == 'd' ? 0755 : 0644;
	e->mtime = DEFAULT_MTIME;
	return e;
}

static struct entry *tree_find(struct tree *t, const char *path)
{
	size_t i;

	for (i = t->n; i-- > 0;)
		if (!strcmp(t->v[i].path, path))
			return &t->v[i];
	return NULL;
}

static void entry_add_xattr(struct entry *e, const char *name,
			    const void *value, size_t len)
{
	struct xattr_kv *kv;
	size_t i;

	for (i = 0; i < e->nr_xattrs; i++) {
		if (!strcmp(e->xattrs[i].name, name)) {
			free(e->xattrs[i].value);
			kv = &e->xattrs[i];
			goto set;
		}
	}
	e->xattrs = xrealloc(e->xattrs, (e->nr_xattrs + 1) * sizeof(*e->xattrs));
	kv = &e->xattrs[e->nr_xattrs++];
	kv->name = strdup(name);
	if (!kv->name)
		die("out of memory");
set:
	kv->value = xmalloc(len);
	memcpy(kv->value, value, len);
	kv->len = len;
}

static void create_node(const char *path, char type, unsigned int major,
			unsigned int minor)
{
	mode_t fmt;

	make_parent_check(path);
	switch (type) {
	case 'd':
		if (mkdir(path, 0700))
			die("mkdir %s: %s", path, strerror(errno));
		return;
	case 'c': fmt = S_IFCHR; break;
	case 'b': fmt = S_IFBLK; break;
	case 'p': fmt = S_IFIFO; break;
	case 's': fmt = S_IFSOCK; break;
	default: die("internal: bad node type %c", type);
	}
	if (mknod(path, fmt | 0600, makedev(major, minor)) == 0)
		return;
	if (type == 's' && errno == EPERM) {
		/* no CAP_MKNOD: a bound AF_UNIX socket leaves the same inode */
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		if (fd >= 0 && strlen(path) < sizeof(sa.sun_path)) {
			strcpy(sa.sun_path, path);
			if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
				close(fd);
				return;
			}
		}
		if (fd >= 0)
			close(fd);
	}
	die("mknod %s: %s", path, strerror(errno));
}

/*
 * A directory holding an overlayfs whiteout (char 0:0) carries an empty
 * trusted.overlay.origin, as mkfs.erofs (ours and erofs-utils') gives it:
 * trees are generated as the images will show them.
 */
static void mark_whiteout_dir(const char *path)
{
	char *dir = strdup(path), *slash;

	if (!dir)
		die("out of memory");
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (lsetxattr(slash ? dir : ".", "trusted.overlay.origin", "", 0,
		      XATTR_CREATE) && errno != EEXIST)
		die("setxattr %s: %s", slash ? dir : ".", strerror(errno));
	free(dir);
}

static int create_file(const char *path)
{
	int fd;

	make_parent_check(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		die("create %s: %s", path, strerror(errno));
	return fd;
}

static void close_file(int fd, const char *path)
{
	if (close(fd))
		die("close %s: %s", path, strerror(errno));
}

static void create_symlink(const char *path, const char *target)
{
	make_parent_check(path);
	if (symlink(target, path))
		die("symlink %s: %s", path, strerror(errno));
}

static void create_hardlink(const char *path, const char *target)
{
	make_parent_check(path);
	if (link(target, path))
		die("link %s -> %s: %s", path, target, strerror(errno));
}

/*
 * Owner and mode first (chown clears set-id bits, so chmod follows it),
 * then xattrs (an access ACL may rewrite the group bits, which is fine:
 * the result is still deterministic).  Timestamps come in a later pass.
 */
static void apply_meta(const struct entry *e)
{
	size_t i;

	if (e->type == 'h')
		return;
	if (lchown(e->path, e->uid, e->gid))
		die("chown %s: %s", e->path, strerror(errno));
	if (e->type != 'l' && chmod(e->path, e->mode & 07777))
		die("chmod %s: %s", e->path, strerror(errno));
	for (i = 0; i < e->nr_xattrs; i++) {
		const struct xattr_kv *kv = &e->xattrs[i];

		if (lsetxattr(e->path, kv->name, kv->value, kv->len, 0))
			die("setxattr %s on %s: %s", kv->name, e->path,
			    strerror(errno));
	}
}

static void apply_times(const struct entry *e)
{
	struct timespec ts[2];

	if (e->type == 'h')
		return;
	ts[0].tv_sec = ts[1].tv_sec = e->mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = e->mtime_nsec;
	if (utimensat(AT_FDCWD, e->path, ts, AT_SYMLINK_NOFOLLOW))
		die("utimensat %s: %s", e->path, strerror(errno));
}

/* apply the metadata passes, then free the tree */
static void tree_finish(struct tree *t)
{
	size_t i, j;

	for (i = 0; i < t->n; i++)
		apply_meta(&t->v[i]);
	for (i = t->n; i-- > 0;)
		apply_times(&t->v[i]);
	for (i = 0; i < t->n; i++) {
		for (j = 0; j < t->v[i].nr_xattrs; j++) {
			free(t->v[i].xattrs[j].name);
			free(t->v[i].xattrs[j].value);
		}
		free(t->v[i].xattrs);
		free(t->v[i].path);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* ---- POSIX ACL xattr encoding (version 2, little-endian entries) ------- */

#define ACL_XATTR_VERSION	2
#define ACL_USER_OBJ	0x01
#define ACL_USER	0x02
#define ACL_GROUP_OBJ	0x04
#define ACL_GROUP	0x08
#define ACL_MASK	0x10
#define ACL_OTHER	0x20

struct acl_ent { uint16_t tag, perm; uint32_t id; };

static int acl_cmp(const void *a, const void *b)
{
	const struct acl_ent *x = a, *y = b;

	if (x->tag != y->tag)
		return x->tag < y->tag ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void put_le16(unsigned char *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

/* entries are sorted here, as the kernel requires */
static size_t acl_encode(struct acl_ent *ents, size_t n, unsigned char *out)
{
	size_t i;

	qsort(ents, n, sizeof(*ents), acl_cmp);
	put_le32(out, ACL_XATTR_VERSION);
	for (i = 0; i < n; i++) {
		unsigned char *p = out + 4 + 8 * i;

		put_le16(p, ents[i].tag);
		put_le16(p + 2, ents[i].perm);
		put_le32(p + 4, ents[i].tag & (ACL_USER | ACL_GROUP) ?
			 ents[i].id : 0xffffffffu);
	}
	return 4 + 8 * n;
}

/* "u::rwx,u:1000:r--,g::r-x,m::r-x,o::r--" */
static size_t acl_parse(const char *text, unsigned char *out, size_t max_ents)
{
	struct acl_ent ents[64];
	size_t n = 0;
	char *copy = strdup(text), *save = NULL, *tok;

	if (!copy)
		die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *f1 = strchr(tok, ':'), *f2;
		struct acl_ent *e;
		bool named;

		if (!f1 || !(f2 = strchr(f1 + 1, ':')) || strlen(f2 + 1) != 3)
			die("bad ACL entry \"%s\"", tok);
		if (n >= max_ents || n >= ARRAY_SIZE(ents))
			die("too many ACL entries");
		e = &ents[n++];
		named = f2 > f1 + 1;
		switch (tok[0]) {
		case 'u': e->tag = named ? ACL_USER : ACL_USER_OBJ; break;
		case 'g': e->tag = named ? ACL_GROUP : ACL_GROUP_OBJ; break;
		case 'm': e->tag = ACL_MASK; break;
		case 'o': e->tag = ACL_OTHER; break;
		default: die("bad ACL tag in \"%s\"", tok);
		}
		e->id = named ? strtoul(f1 + 1, NULL, 10) : 0;
		e->perm = (f2[1] == 'r' ? 4 : 0) | (f2[2] == 'w' ? 2 : 0) |
			  (f2[3] == 'x' ? 1 : 0);
	}
	free(copy);
	return acl_encode(ents, n, out);
}

/* ---- manifest mode ----------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* unescape in place; returns the byte length (the result may hold NULs) */
static size_t unescape(char *s, unsigned int lineno)
{
	char *out = s;
	const char *in = s;

	while (*in) {
		if (*in != '\\') {
			*out++ = *in++;
			continue;
		}
		in++;
		switch (*in) {
		case '\\': *out++ = '\\'; in++; break;
		case 's': *out++ = ' '; in++; break;
		case 't': *out++ = '\t'; in++; break;
		case 'n': *out++ = '\n'; in++; break;
		case 'x':
			if (hexval(in[1]) < 0 || hexval(in[2]) < 0)
				die("manifest line %u: bad \\x escape", lineno);
			*out++ = hexval(in[1]) << 4 | hexval(in[2]);
			in += 3;
			break;
		default:
			die("manifest line %u: unknown escape \\%c", lineno, *in);
		}
	}
	*out = '\0';
	return out - s;
}

static uint64_t parse_u64(const char *s, int base, unsigned int lineno, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || *end)
		die("manifest line %u: bad %s \"%s\"", lineno, what, s);
	return v;
}

static void parse_mtime(struct entry *e, const char *s, unsigned int lineno)
{
	char *end;
	long long sec;
	long nsec = 0;
	int digits = 0;

	errno = 0;
	sec = strtoll(s, &end, 10);
	if (errno || end == s)
		die("manifest line %u: bad mtime \"%s\"", lineno, s);
	if (*end == '.') {
		for (end++; *end >= '0' && *end <= '9' && digits < 9; end++, digits++)
			nsec = nsec * 10 + (*end - '0');
		for (; digits < 9; digits++)
			nsec *= 10;
	}
	if (*end)
		die("manifest line %u: bad mtime \"%s\"", lineno, s);
	e->mtime = sec;
	e->mtime_nsec = nsec;
}

static bool parse_meta(struct entry *e, const char *key, const char *val,
		       unsigned int lineno)
{
	if (!strcmp(key, "mode"))
		e->mode = parse_u64(val, 8, lineno, "mode") & 07777;
	else if (!strcmp(key, "uid"))
		e->uid = parse_u64(val, 10, lineno, "uid");
	else if (!strcmp(key, "gid"))
		e->gid = parse_u64(val, 10, lineno, "gid");
	else if (!strcmp(key, "mtime"))
		parse_mtime(e, val, lineno);
	else
		return false;
	return true;
}

static void write_sparse(int fd, const char *path, uint64_t size,
			 const char *ranges, uint64_t seed, unsigned int lineno)
{
	struct rng r = { seed };

	if (ftruncate(fd, size))
		die("truncate %s: %s", path, strerror(errno));
	while (ranges && *ranges) {
		char *end;
		unsigned long long off = strtoull(ranges, &end, 0), len;

		if (*end != '+')
			die("manifest line %u: bad data range in \"%s\"", lineno, ranges);
		len = strtoull(end + 1, &end, 0);
		if (off + len > size)
			die("manifest line %u: data range beyond the sparse size", lineno);
		write_stream(fd, path, off, len, gen_rand, &r);
		ranges = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			die("manifest line %u: bad data range list", lineno);
	}
}

static void manifest_file(struct entry *e, char **kv, int nkv, unsigned int lineno)
{
	int fd = create_file(e->path);
	const char *sparse = NULL, *data = NULL;
	uint64_t seed = hash_str(e->path, strlen(e->path));
	int i;

	/* seed= first: it applies to rand= and sparse= wherever they appear */
	for (i = 0; i < nkv; i++)
		if (!strncmp(kv[i], "seed=", 5))
			seed = parse_u64(kv[i] + 5, 0, lineno, "seed");
	for (i = 0; i < nkv; i++) {
		char *val = strchr(kv[i], '=');
		size_t len;

		*val++ = '\0';
		if (parse_meta(e, kv[i], val, lineno) || !strcmp(kv[i], "seed"))
			continue;
		if (!strcmp(kv[i], "text")) {
			len = unescape(val, lineno);
			write_all(fd, val, len, 0, e->path);
		} else if (!strcmp(kv[i], "rand")) {
			struct rng r = { seed };

			write_stream(fd, e->path, 0, parse_u64(val, 0, lineno, "size"),
				     gen_rand, &r);
		} else if (!strcmp(kv[i], "zero")) {
			write_stream(fd, e->path, 0, parse_u64(val, 0, lineno, "size"),
				     gen_zero, NULL);
		} else if (!strcmp(kv[i], "repeat")) {
			char *colon = strchr(val, ':');
			struct repeat rp;
			uint64_t n;

			if (!colon)
				die("manifest line %u: repeat=N:STR", lineno);
			*colon = '\0';
			n = parse_u64(val, 0, lineno, "size");
			rp.s = colon + 1;
			rp.len = unescape(colon + 1, lineno);
			write_stream(fd, e->path, 0, n, gen_repeat, &rp);
		} else if (!strcmp(kv[i], "sparse")) {
			sparse = val;
		} else if (!strcmp(kv[i], "data")) {
			data = val;
		} else {
			die("manifest line %u: unknown key \"%s\" for a file", lineno, kv[i]);
		}
	}
	if (sparse)
		write_sparse(fd, e->path, parse_u64(sparse, 0, lineno, "size"), data,
			     seed, lineno);
	else if (data)
		die("manifest line %u: data= needs sparse=", lineno);
	close_file(fd, e->path);
}

static void manifest_xattr(struct tree *t, char *path, char *name, char *value,
			   unsigned int lineno)
{
	struct entry *e = tree_find(t, path);
	unsigned char *buf;
	size_t len;

	if (!e)
		die("manifest line %u: xattr on unknown path \"%s\"", lineno, path);
	if (e->type == 'h')
		die("manifest line %u: put xattrs on the first name of a hard link", lineno);
	buf = xmalloc(strlen(value) + 4 + 8 * 64);
	if (!strncmp(value, "hex:", 4)) {
		const char *h = value + 4;

		for (len = 0; h[2 * len] && h[2 * len + 1]; len++) {
			int hi = hexval(h[2 * len]), lo = hexval(h[2 * len + 1]);

			if (hi < 0 || lo < 0)
				die("manifest line %u: bad hex value", lineno);
			buf[len] = hi << 4 | lo;
		}
		if (h[2 * len])
			die("manifest line %u: odd hex value", lineno);
	} else if (!strncmp(value, "acl:", 4)) {
		len = acl_parse(value + 4, buf, 64);
	} else {
		len = unescape(value, lineno);
		memcpy(buf, value, len);
	}
	entry_add_xattr(e, name, buf, len);
	free(buf);
}

#define MAX_TOKENS	32

static void run_manifest(const char *file)
{
	FILE *fp = fopen(file, "r");
	struct tree t = { 0 };
	char *line = NULL;
	size_t cap = 0;
	unsigned int lineno = 0;
	ssize_t len;

	if (!fp)
		die("%s: %s", file, strerror(errno));
	while ((len = getline(&line, &cap, fp)) >= 0) {
		char *tok[MAX_TOKENS], *save = NULL, *p;
		int n = 0, i;
		struct entry *e;

		lineno++;
		for (p = strtok_r(line, " \t\r\n", &save); p;
		     p = strtok_r(NULL, " \t\r\n", &save)) {
			if (n == MAX_TOKENS)
				die("manifest line %u: too many fields", lineno);
			tok[n++] = p;
		}
		if (!n || tok[0][0] == '#')
			continue;
		if (strlen(tok[0]) != 1 || n < 2)
			die("manifest line %u: expected \"TYPE PATH ...\"", lineno);
		unescape(tok[1], lineno);
		if (strlen(tok[1]) == 0 || tok[1][0] == '/')
			die("manifest line %u: paths are relative to the root", lineno);
		if (tok[0][0] == 'x') {
			if (n != 4)
				die("manifest line %u: expected \"x PATH NAME VALUE\"", lineno);
			manifest_xattr(&t, tok[1], tok[2], tok[3], lineno);
			continue;
		}
		for (i = 2; i < n; i++)
			if (!strchr(tok[i], '='))
				die("manifest line %u: expected key=value, got \"%s\"",
				    lineno, tok[i]);
		if (!strcmp(tok[1], ".") && tok[0][0] != 'd')
			die("manifest line %u: the root must be a directory", lineno);
		if (strcmp(tok[1], ".") && tree_find(&t, tok[1]))
			die("manifest line %u: \"%s\" listed twice", lineno, tok[1]);
		e = tree_add(&t, tok[1], tok[0][0]);
		switch (e->type) {
		case 'f':
			manifest_file(e, tok + 2, n - 2, lineno);
			continue;
		case 'd':
			if (strcmp(e->path, "."))
				create_node(e->path, 'd', 0, 0);
			break;
		case 'l': case 'h': case 'c': case 'b': case 'p': case 's':
			break;
		default:
			die("manifest line %u: unknown type \"%s\"", lineno, tok[0]);
		}
		{
			const char *target = NULL;
			char *generated = NULL;
			unsigned int major = 0, minor = 0;
			bool have_dev = false;

			for (i = 2; i < n; i++) {
				char *val = strchr(tok[i], '=');

				*val++ = '\0';
				if (e->type != 'h' && parse_meta(e, tok[i], val, lineno))
					continue;
				if (!strcmp(tok[i], "target") &&
				    (e->type == 'l' || e->type == 'h')) {
					unescape(val, lineno);
					target = val;
				} else if (!strcmp(tok[i], "len") && e->type == 'l') {
					/* a generated target of exactly N bytes */
					size_t tl = parse_u64(val, 0, lineno, "length"), k;
					char *tb = xmalloc(tl + 1);

					if (tl < 1 || tl >= PATH_MAX)
						die("manifest line %u: len= must be 1..%d", lineno, PATH_MAX - 1);
					for (k = 0; k < tl; k++)
						tb[k] = k % 8 == 7 ? '/' : 'a' + k % 26;
					tb[tl] = '\0';
					free(generated);
					target = generated = tb;
				} else if (!strcmp(tok[i], "dev") &&
					   (e->type == 'c' || e->type == 'b')) {
					if (sscanf(val, "%u:%u", &major, &minor) != 2)
						die("manifest line %u: dev=MAJ:MIN", lineno);
					have_dev = true;
				} else {
					die("manifest line %u: unknown key \"%s\"", lineno, tok[i]);
				}
			}
			switch (e->type) {
			case 'l':
				if (!target)
					die("manifest line %u: symlink needs target=", lineno);
				create_symlink(e->path, target);
				break;
			case 'h':
				if (!target || !tree_find(&t, target))
					die("manifest line %u: hard link needs target= an earlier entry",
					    lineno);
				create_hardlink(e->path, target);
				break;
			case 'c': case 'b':
				if (!have_dev)
					die("manifest line %u: device needs dev=MAJ:MIN", lineno);
				/* fall through */
			case 'p': case 's':
				create_node(e->path, e->type, major, minor);
				break;
			}
			free(generated);
		}
	}
	free(line);
	fclose(fp);
	tree_finish(&t);
}

/* ---- random mode ------------------------------------------------------- */

static const unsigned int boundary_sizes[] = {
	0, 1, 511, 512, 513, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097,
	8191, 8192, 8193,
};

static const unsigned int dev_pairs[][2] = {
	{ 0, 0 }, { 1, 3 }, { 8, 0 }, { 259, 300000 }, { 4095, 1048575 },
	{ 254, 255 }, { 10, 256 },
};

static const uint32_t ids[] = {
	0, 0, 0, 1, 1000, 65534, 65535, 65536, 100000, 2147483647, 4000000000u,
};

static const mode_t perms[] = {
	0644, 0644, 0755, 0600, 0444, 0000, 0777, 04755, 02755, 06711, 01777, 0640,
};

static const char *const shared_values[] = {
	"shared value one", "", "0123456789abcdef0123456789abcdef",
	"a somewhat longer value that many files carry, to be shared by mkfs",
};

struct gen {
	struct rng r;
	struct tree t;
	char **dirs;		/* paths of directories ("" = root) */
	size_t nr_dirs;
	char **regs;		/* regular files, hard link targets */
	size_t nr_regs;
	unsigned int counter;	/* makes every name unique */
	uint64_t budget;	/* bytes left for multi-MiB files */
	unsigned int name_max;	/* longest name to generate (255) */
	unsigned char *dups[4];	/* contents shared by several files */
	size_t dup_len[4];
};

static char *gen_name(struct gen *g)
{
	char name[256];
	unsigned int id = g->counter++;
	uint64_t k = rng_below(&g->r, 100);

	if (k < 55)
		snprintf(name, sizeof(name), "f%u", id);
	else if (k < 62)
		snprintf(name, sizeof(name), "with space %u", id);
	else if (k < 67)
		snprintf(name, sizeof(name), "!bang%u", id);
	else if (k < 72)
		snprintf(name, sizeof(name), "-dash%u", id);
	else if (k < 78)
		snprintf(name, sizeof(name), "bad\xff\xfe%u\xc3(", id);
	else if (k < 82) {
		int n = snprintf(name, sizeof(name), "long%u_", id);

		memset(name + n, 'n', g->name_max - n);
		name[g->name_max] = '\0';
	} else if (k < 84)
		snprintf(name, sizeof(name), "new\nline%u", id);
	else if (k < 89)
		snprintf(name, sizeof(name), "\xc3\xbcml\xc3\xa4ut%u", id);
	else if (k < 94)
		snprintf(name, sizeof(name), ".hidden%u", id);
	else
		snprintf(name, sizeof(name), "%u", id);
	return strdup(name);
}

static void random_meta(struct gen *g, struct entry *e)
{
	static const int64_t times[] = {
		0, 1, 1000000000, 1700000000, 2147483647, 2147483648LL,
		4294967295LL, 4294967296LL, 5000000000LL, 10000000000LL,
	};
	uint64_t k = rng_below(&g->r, 10);

	e->mode = perms[rng_below(&g->r, ARRAY_SIZE(perms))];
	if (e->type == 'd' && (e->mode & 0700) != 0700 && rng_below(&g->r, 2))
		e->mode |= 0700;
	e->uid = rng_below(&g->r, 3) ? 0 : ids[rng_below(&g->r, ARRAY_SIZE(ids))];
	e->gid = rng_below(&g->r, 3) ? 0 : ids[rng_below(&g->r, ARRAY_SIZE(ids))];
	if (k < 3)
		e->mtime = DEFAULT_MTIME;
	else if (k < 6)
		e->mtime = times[rng_below(&g->r, ARRAY_SIZE(times))];
	else
		e->mtime = 1000000000 + (int64_t)rng_below(&g->r, 1000000000);
	e->mtime_nsec = rng_below(&g->r, 2) ? 0 : (long)rng_below(&g->r, 1000000000);
}

static void random_xattrs(struct gen *g, struct entry *e)
{
	/* user.* is refused on symlinks and special files */
	bool user_ok = e->type == 'f' || e->type == 'd';
	unsigned char val[600];
	char name[64];
	uint64_t k = rng_below(&g->r, 100);

	if (k < 35) {
		/* shared values: the same few pairs on many inodes */
		unsigned int nr = 1 + rng_below(&g->r, 3), i;

		for (i = 0; i < nr; i++) {
			unsigned int v = rng_below(&g->r, ARRAY_SIZE(shared_values));
			static const char *const snames[] = {
				"user.shared", "trusted.shared", "security.shared",
				"user.mime_type", "trusted.overlay.opaque",
			};
			const char *n = snames[rng_below(&g->r, ARRAY_SIZE(snames))];

			if (!user_ok && !strncmp(n, "user.", 5))
				continue;
			entry_add_xattr(e, n, shared_values[v], strlen(shared_values[v]));
		}
	}
	if (rng_below(&g->r, 100) < 25) {
		/* a unique value, binary, 0..599 bytes */
		static const char *const prefixes[] = { "user.", "trusted.", "security." };
		const char *pfx = prefixes[rng_below(&g->r, user_ok ? 3 : 2) + (user_ok ? 0 : 1)];
		size_t len = rng_below(&g->r, 4) ? rng_below(&g->r, 40) : rng_below(&g->r, sizeof(val));

		snprintf(name, sizeof(name), "%sunique.%u", pfx, g->counter++);
		rng_fill(&g->r, val, len);
		entry_add_xattr(e, name, val, len);
	}
	if ((e->type == 'f' || e->type == 'd') && rng_below(&g->r, 100) < 10) {
		struct acl_ent a[] = {
			{ ACL_USER_OBJ, 7, 0 }, { ACL_USER, 5, 1000 + (uint32_t)rng_below(&g->r, 100000) },
			{ ACL_GROUP_OBJ, 5, 0 }, { ACL_GROUP, 4, 70000 }, { ACL_MASK, 5, 0 },
			{ ACL_OTHER, (uint16_t)rng_below(&g->r, 8), 0 },
		};
		unsigned char buf[4 + 8 * 6];
		size_t len = acl_encode(a, 6, buf);

		entry_add_xattr(e, "system.posix_acl_access", buf, len);
		if (e->type == 'd' && rng_below(&g->r, 2))
			entry_add_xattr(e, "system.posix_acl_default", buf, len);
	}
}

static char *join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s%s%s", dir, *dir ? "/" : "", name) < 0)
		die("out of memory");
	return p;
}

static void random_regular(struct gen *g, struct entry *e)
{
	int fd = create_file(e->path);
	uint64_t k = rng_below(&g->r, 100), size;
	struct rng fr = { rng_next(&g->r) };

	if (k < 45)
		size = boundary_sizes[rng_below(&g->r, ARRAY_SIZE(boundary_sizes))];
	else if (k < 75)
		size = rng_below(&g->r, 20000);
	else if (k < 85)
		size = 20000 + rng_below(&g->r, 200000);
	else if (k < 90 && g->budget >= (4u << 20)) {
		size = (1u << 20) + rng_below(&g->r, 3u << 20);
		g->budget -= size;
	} else if (k < 95) {
		/* duplicated content */
		unsigned int d = rng_below(&g->r, 4);

		write_all(fd, g->dups[d], g->dup_len[d], 0, e->path);
		close_file(fd, e->path);
		return;
	} else {
		/* sparse: holes with a few data runs, maybe one at the end */
		uint64_t sz = 65536 + rng_below(&g->r, 8u << 20);
		unsigned int runs = rng_below(&g->r, 4), i;

		if (ftruncate(fd, sz))
			die("truncate %s: %s", e->path, strerror(errno));
		for (i = 0; i < runs; i++) {
			uint64_t len = 1 + rng_below(&g->r, 20000);
			uint64_t off = rng_below(&g->r, sz - len);

			if (i == 2)
				off = sz - len;
			write_stream(fd, e->path, off, len, gen_rand, &fr);
		}
		close_file(fd, e->path);
		return;
	}
	if (rng_below(&g->r, 3)) {
		write_stream(fd, e->path, 0, size, gen_rand, &fr);
	} else {
		struct textgen tg = { rng_next(&g->r) };

		write_stream(fd, e->path, 0, size, gen_text, &tg);
	}
	close_file(fd, e->path);
}

static char *random_target(struct gen *g)
{
	static const unsigned int lens[] = { 511, 512, 513, 1000, 1023, 1024, 2049, 4095 };
	uint64_t k = rng_below(&g->r, 10);
	char *t;
	size_t len, i;

	if (k < 3)
		return strdup("../f0");
	if (k < 5)
		return strdup("/usr/bin/env");
	if (k < 7 && g->nr_regs)
		return strdup(g->regs[rng_below(&g->r, g->nr_regs)]);
	len = k < 8 ? 1 + rng_below(&g->r, 100) : lens[rng_below(&g->r, ARRAY_SIZE(lens))];
	t = xmalloc(len + 1);
	for (i = 0; i < len; i++)
		t[i] = (i % 8 == 7) ? '/' : 'a' + (i % 26);
	t[len] = '\0';
	return t;
}

static void run_random(uint64_t seed, unsigned long files, uint64_t max_bytes,
		       unsigned int name_max)
{
	struct gen g = { .r = { seed }, .budget = max_bytes, .name_max = name_max };
	unsigned long i;
	struct entry *root;

	printf("gentree: seed %" PRIu64 " files %lu\n", seed, files);
	fflush(stdout);
	for (i = 0; i < 4; i++) {
		g.dup_len[i] = i == 0 ? 0 : rng_below(&g.r, 10000) + 1;
		g.dups[i] = xmalloc(g.dup_len[i]);
		rng_fill(&g.r, g.dups[i], g.dup_len[i]);
	}
	g.dirs = xmalloc(sizeof(char *) * (files + 1));
	g.regs = xmalloc(sizeof(char *) * (files + 1));
	g.dirs[g.nr_dirs++] = strdup("");
	root = tree_add(&g.t, ".", 'd');
	random_meta(&g, root);
	root->mode |= 0700;
	random_xattrs(&g, root);

	for (i = 0; i < files; i++) {
		/* prefer recent directories so the tree gets some depth */
		size_t di = g.nr_dirs > 1 && rng_below(&g.r, 2) ?
			g.nr_dirs - 1 - rng_below(&g.r, g.nr_dirs < 4 ? g.nr_dirs : 4) :
			rng_below(&g.r, g.nr_dirs);
		char *name = gen_name(&g), *path = join(g.dirs[di], name);
		uint64_t k = rng_below(&g.r, 100);
		struct entry *e;

		free(name);
		if (strlen(path) > 3000) {	/* keep well under PATH_MAX */
			free(path);
			continue;
		}
		if (k < 12) {
			e = tree_add(&g.t, path, 'd');
			create_node(path, 'd', 0, 0);
			g.dirs[g.nr_dirs++] = strdup(path);
		} else if (k < 65) {
			e = tree_add(&g.t, path, 'f');
			random_regular(&g, e);
			g.regs[g.nr_regs++] = strdup(path);
		} else if (k < 75) {
			char *target = random_target(&g);

			e = tree_add(&g.t, path, 'l');
			create_symlink(path, target);
			free(target);
		} else if (k < 84 && g.nr_regs) {
			e = tree_add(&g.t, path, 'h');
			create_hardlink(path, g.regs[rng_below(&g.r, g.nr_regs)]);
			free(path);
			continue;
		} else if (k < 92) {
			const unsigned int *d = dev_pairs[rng_below(&g.r, ARRAY_SIZE(dev_pairs))];

			e = tree_add(&g.t, path, k < 88 ? 'c' : 'b');
			create_node(path, e->type, d[0], d[1]);
			if (e->type == 'c' && !d[0] && !d[1])
				mark_whiteout_dir(path);
		} else if (k < 96) {
			e = tree_add(&g.t, path, 'p');
			create_node(path, 'p', 0, 0);
		} else {
			e = tree_add(&g.t, path, 's');
			create_node(path, 's', 0, 0);
		}
		free(path);
		random_meta(&g, e);
		random_xattrs(&g, e);
	}
	tree_finish(&g.t);
	for (i = 0; i < g.nr_dirs; i++)
		free(g.dirs[i]);
	for (i = 0; i < g.nr_regs; i++)
		free(g.regs[i]);
	for (i = 0; i < 4; i++)
		free(g.dups[i]);
	free(g.dirs);
	free(g.regs);
}

/* ---- special shapes ---------------------------------------------------- */

static void run_bigdir(unsigned long n)
{
	struct tree t = { 0 };
	unsigned long i;
	char name[300];

	tree_add(&t, ".", 'd');
	tree_add(&t, "big", 'd');
	create_node("big", 'd', 0, 0);
	for (i = 0; i < n; i++) {
		/* names of varied length so directory blocks split unevenly */
		int len = snprintf(name, sizeof(name), "big/e%06lu", i);
		struct entry *e;
		int fd;

		memset(name + len, 'x', i % 40);
		name[len + i % 40] = '\0';
		if (i % 97 == 0) {
			e = tree_add(&t, name, 'd');
			create_node(name, 'd', 0, 0);
		} else if (i % 13 == 0) {
			e = tree_add(&t, name, 'l');
			create_symlink(name, "target");
		} else {
			e = tree_add(&t, name, 'f');
			fd = create_file(name);
			if (i % 3 == 0)
				write_all(fd, name, strlen(name), 0, name);
			close_file(fd, name);
		}
		e->mtime = DEFAULT_MTIME + i;
	}
	tree_finish(&t);
}

static void run_deep(unsigned long n)
{
	struct tree t = { 0 };
	char *path = strdup("");
	unsigned long i;

	tree_add(&t, ".", 'd');
	for (i = 0; i < n; i++) {
		char comp[16], *next, *file;
		struct entry *e;
		int fd;

		snprintf(comp, sizeof(comp), "d%lu", i % 10);
		next = join(path, comp);
		if (strlen(next) > 3800)
			die("--deep %lu: path would exceed PATH_MAX", n);
		e = tree_add(&t, next, 'd');
		create_node(next, 'd', 0, 0);
		e->mtime = DEFAULT_MTIME + i;
		if (i % 16 == 15) {
			file = join(next, "leaf");
			tree_add(&t, file, 'f');
			fd = create_file(file);
			write_all(fd, file, strlen(file), 0, file);
			close_file(fd, file);
			free(file);
		}
		free(path);
		path = next;
	}
	free(path);
	tree_finish(&t);
}

/* ---- copy mode: same tree, different creation and xattr order --------- */

struct copy_link { dev_t dev; ino_t ino; char *path; };

struct copier {
	int srcfd;			/* the source root */
	struct copy_link *links;	/* hard-linked inodes already copied */
	size_t nr_links;
	struct tree t;			/* for the final timestamp pass */
};

static int cmp_name_desc(const void *a, const void *b)
{
	return -strcmp(*(char *const *)a, *(char *const *)b);
}

/* copy data runs only, so holes stay holes */
static void copy_content(int in, int out, const char *path, off_t size)
{
	static char buf[1 << 20];
	off_t pos = 0, end;

	if (ftruncate(out, size))
		die("truncate %s: %s", path, strerror(errno));
	while (pos < size) {
		off_t data = lseek(in, pos, SEEK_DATA);

		if (data < 0) {
			if (errno == ENXIO)
				break;
			data = pos;	/* no SEEK_DATA: copy everything */
			end = size;
		} else {
			end = lseek(in, data, SEEK_HOLE);
			if (end < 0)
				end = size;
		}
		for (pos = data; pos < end;) {
			ssize_t n = pread(in, buf, end - pos < (off_t)sizeof(buf) ?
					  (size_t)(end - pos) : sizeof(buf), pos);

			if (n <= 0)
				die("read %s: %s", path, n ? strerror(errno) : "short file");
			write_all(out, buf, n, pos, path);
			pos += n;
		}
	}
}

static void copy_xattrs_reversed(struct entry *e, const char *srcpath)
{
	ssize_t len = llistxattr(srcpath, NULL, 0);
	char *list, *p, **names;
	size_t n = 0;

	if (len <= 0)
		return;
	list = xmalloc(len);
	len = llistxattr(srcpath, list, len);
	if (len < 0)
		die("listxattr %s: %s", srcpath, strerror(errno));
	names = xmalloc(len * sizeof(*names));
	for (p = list; p < list + len; p += strlen(p) + 1)
		names[n++] = p;
	while (n--) {
		ssize_t vlen = lgetxattr(srcpath, names[n], NULL, 0);
		char *val = xmalloc(vlen > 0 ? vlen : 1);

		if (vlen < 0 || (vlen = lgetxattr(srcpath, names[n], val, vlen)) < 0)
			die("getxattr %s %s: %s", srcpath, names[n], strerror(errno));
		entry_add_xattr(e, names[n], val, vlen);
		free(val);
	}
	free(names);
	free(list);
}

/* srcpath: absolute-or-cwd-independent path of the source entry */
static void copy_one(struct copier *c, const char *srcroot, const char *rel)
{
	char *src;
	struct stat st;
	struct entry *e;
	size_t i;

	if (asprintf(&src, "%s/%s", srcroot, rel) < 0)
		die("out of memory");
	if (lstat(src, &st))
		die("lstat %s: %s", src, strerror(errno));
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		for (i = 0; i < c->nr_links; i++) {
			if (c->links[i].dev == st.st_dev && c->links[i].ino == st.st_ino) {
				tree_add(&c->t, rel, 'h');
				create_hardlink(rel, c->links[i].path);
				free(src);
				return;
			}
		}
		c->links = xrealloc(c->links, (c->nr_links + 1) * sizeof(*c->links));
		c->links[c->nr_links].dev = st.st_dev;
		c->links[c->nr_links].ino = st.st_ino;
		c->links[c->nr_links++].path = strdup(rel);
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR: e = tree_add(&c->t, rel, 'd'); break;
	case S_IFREG: e = tree_add(&c->t, rel, 'f'); break;
	case S_IFLNK: e = tree_add(&c->t, rel, 'l'); break;
	case S_IFCHR: e = tree_add(&c->t, rel, 'c'); break;
	case S_IFBLK: e = tree_add(&c->t, rel, 'b'); break;
	case S_IFIFO: e = tree_add(&c->t, rel, 'p'); break;
	case S_IFSOCK: e = tree_add(&c->t, rel, 's'); break;
	default: die("%s: unknown file type", src);
	}
	e->mode = st.st_mode & 07777;
	e->uid = st.st_uid;
	e->gid = st.st_gid;
	e->mtime = st.st_mtim.tv_sec;
	e->mtime_nsec = st.st_mtim.tv_nsec;
	if (strcmp(rel, "."))
		switch (e->type) {
		case 'd':
			create_node(rel, 'd', 0, 0);
			break;
		case 'f': {
			int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			int out = create_file(rel);

			if (in < 0)
				die("open %s: %s", src, strerror(errno));
			copy_content(in, out, rel, st.st_size);
			close(in);
			close_file(out, rel);
			break;
		}
		case 'l': {
			char target[PATH_MAX + 1];
			ssize_t n = readlink(src, target, PATH_MAX);

			if (n < 0)
				die("readlink %s: %s", src, strerror(errno));
			target[n] = '\0';
			create_symlink(rel, target);
			break;
		}
		default:
			create_node(rel, e->type, major(st.st_rdev), minor(st.st_rdev));
		}
	copy_xattrs_reversed(e, src);
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(src);
		struct dirent *de;
		char **names = NULL;
		size_t n = 0;

		if (!d)
			die("opendir %s: %s", src, strerror(errno));
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = strdup(de->d_name);
		}
		closedir(d);
		/* children in reverse name order: a different creation order */
		if (n)
			qsort(names, n, sizeof(*names), cmp_name_desc);
		for (i = 0; i < n; i++) {
			char *child = join(strcmp(rel, ".") ? rel : "", names[i]);

			copy_one(c, srcroot, child);
			free(child);
			free(names[i]);
		}
		free(names);
	}
	free(src);
}

static void run_copy(const char *srcroot)
{
	struct copier c = { 0 };

	size_t i;

	copy_one(&c, srcroot, ".");
	tree_finish(&c.t);
	for (i = 0; i < c.nr_links; i++)
		free(c.links[i].path);
	free(c.links);
}

/* ---- main -------------------------------------------------------------- */

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: gentree --seed N --files M [--max-bytes B] [--name-max L] DIR\n"
		"       gentree --manifest FILE DIR\n"
		"       gentree --bigdir N DIR\n"
		"       gentree --deep N DIR\n"
		"       gentree --copy SRC DIR\n"
		"Creates DIR (which must be empty or missing) holding a test tree.\n"
		"The manifest format is described at the top of gentree.c.\n");
	exit(code);
}

static unsigned long long arg_num(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		die("%s: bad number \"%s\"", opt, s);
	return v;
}

int main(int argc, char **argv)
{
	const char *manifest = NULL, *dir, *copy = NULL;
	char *abs_src = NULL;	/* the manifest or copy source, absolute */
	unsigned long long seed = 0, files = 200, bigdir = 0, deep = 0;
	unsigned long long max_bytes = 12ull << 20, name_max = 255;
	bool have_seed = false;
	int i, modes = 0;
	struct stat st;

	for (i = 1; i < argc - 1; i++) {
		if (!strcmp(argv[i], "--seed")) {
			seed = arg_num(argv[i], argv[i + 1]);
			have_seed = true;
			modes++;
		} else if (!strcmp(argv[i], "--files")) {
			files = arg_num(argv[i], argv[i + 1]);
		} else if (!strcmp(argv[i], "--max-bytes")) {
			max_bytes = arg_num(argv[i], argv[i + 1]);
		} else if (!strcmp(argv[i], "--name-max")) {
			name_max = arg_num(argv[i], argv[i + 1]);
			if (name_max < 32 || name_max > 255)
				die("--name-max must be in 32..255");
		} else if (!strcmp(argv[i], "--manifest")) {
			manifest = argv[i + 1];
			modes++;
		} else if (!strcmp(argv[i], "--copy")) {
			copy = argv[i + 1];
			modes++;
		} else if (!strcmp(argv[i], "--bigdir")) {
			bigdir = arg_num(argv[i], argv[i + 1]);
			modes++;
		} else if (!strcmp(argv[i], "--deep")) {
			deep = arg_num(argv[i], argv[i + 1]);
			modes++;
		} else if (!strcmp(argv[i], "--help")) {
			usage(0);
		} else {
			usage(2);
		}
		i++;
	}
	if (argc == 2 && !strcmp(argv[1], "--help"))
		usage(0);
	if (i != argc - 1 || modes != 1)
		usage(2);
	dir = argv[argc - 1];
	/* resolve the manifest before leaving the caller's cwd */
	if (manifest && !(abs_src = realpath(manifest, NULL)))
		die("%s: %s", manifest, strerror(errno));
	if (copy && !(abs_src = realpath(copy, NULL)))
		die("%s: %s", copy, strerror(errno));
	if (mkdir(dir, 0755) && errno != EEXIST)
		die("mkdir %s: %s", dir, strerror(errno));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		die("%s is not a directory", dir);
	if (chdir(dir))
		die("chdir %s: %s", dir, strerror(errno));
	umask(0);
	if (manifest) {
		run_manifest(abs_src);
	} else if (copy) {
		run_copy(abs_src);
	} else if (have_seed) {
		run_random(seed, files, max_bytes, name_max);
	} else if (bigdir) {
		run_bigdir(bigdir);
	} else if (deep) {
		run_deep(deep);
	} else {
		usage(2);
	}
	free(abs_src);
	return 0;
}
