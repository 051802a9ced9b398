// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * extract.c - recreate an image's tree on the host (erofs/extract.h).
 *
 * The extractor is a consumer of the tree walk (lib/walk.c): of a walk of
 * its own (erofs_extract), or of the check engine's, whose decoded file
 * data it receives as a verifier (erofs_extractor_check, one pass).
 * Directories entered are a stack of open fds; their metadata is set when
 * the walk leaves them, after their entries were written.
 *
 * With the check's workers, writing the files would leave the walk (one
 * thread) with most of the work: it takes as long as decoding.  So where
 * the target can make unnamed files (O_TMPFILE), the extractor is a
 * parallel verifier: the worker that decodes a file writes it into an
 * unnamed file of the target, which the walk links under its name when it
 * gets there.  Names, links and metadata stay the walk's, in its order,
 * and a record carries no data.
 */
#include "config.h"	/* _GNU_SOURCE: O_TMPFILE, AT_EMPTY_PATH */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "erofs/array.h"
#include "erofs/extract.h"
#include "erofs/htab.h"
#include "erofs/tree.h"	/* erofs_name_cmp */

#define COPY_CHUNK	(128 * 1024)

/* a directory being filled: where its entries go */
struct ext_dir {
	int fd;			/* -1: not made, nothing made below */
	char *name;		/* in its parent; NULL for the target */
	struct erofs_inode inode;
	bool fresh;		/* made by this extraction, empty then */
	/* the target, or fresh in a plain one: new entries as probed */
	bool plain;
	/* fresh, and no name listed twice: no entry is ever in the way */
	bool unique;
};

struct erofs_extractor {
	struct erofs_image *img;
	const struct erofs_extract_params *p;
	struct erofs_check_stats *st;
	const struct erofs_walk *walk;	/* the walk in progress */
	int rootfd;
	char *abs;		/* scratch: target + "/" + relative path */
	unsigned char *buf;
	struct ext_dir *dirs;	/* the stack of directories entered */
	size_t nr_dirs, dirs_cap;
	/*
	 * Files with more names to come, once written: which file their
	 * first name is (walk node index -> written[]; its inode number ->
	 * written[]), so that a later name links to that file and no other.
	 * gone: make_room removed it (a name that a target folding case
	 * sees as the same, with --overwrite); its inode number may be
	 * another file's by now, so later names get copies.
	 */
	struct erofs_htab written_at, written_ino;
	struct ext_written {
		dev_t dev;
		ino_t ino;
		bool gone;
	} *written;
	size_t nr_written, written_cap;
	char *lpath;		/* a hard link's target */
	size_t lpath_cap;
	/* the directory being listed: its last name, in order so far */
	char prev[EROFS_NAME_LEN + 1];
	size_t prev_len;
	bool listed_any, in_order;
	bool root_fresh;	/* the target was made by this extraction */
	/*
	 * What the kernel gives a new entry of the target, as a probe (an
	 * unnamed file asked 0777) showed: its owner, and which mode bits
	 * of those asked it keeps (umask, default ACL).  The directories
	 * this extraction makes there give the same; entries made in plain
	 * directories need no chown and, for most files, no chmod.
	 */
	bool tmpfile_ok, probed;
	uid_t new_uid;
	gid_t new_gid;
	mode_t new_mask;
	/* files are written from the image here (no check running) */
	bool own_data;
	/* data written ahead into unnamed files (ext_ahead_ops) */
	bool ahead;
	bool no_empty_path;	/* linkat(AT_EMPTY_PATH) was refused */
	/* the workers' files not yet taken (ext_ahead), and whether the
	 * walk ran short of room: workers then make no more */
	pthread_mutex_t held_lock;
	struct ext_ahead *held;
	bool held_off;
	/* the regular file whose data comes through the verifier (its
	 * descriptor is the verifier's: struct ext_ahead) */
	size_t cur_idx;
	struct erofs_inode cur;
	char *cur_name;
	int oom;
};

static bool held_release(struct erofs_extractor *c, int err);

void erofs_extract_params_init(struct erofs_extract_params *p)
{
	memset(p, 0, sizeof(*p));
	p->xattrs = true;
	p->preserve_perms = true;
	p->max_depth = 0;
	p->umask = 022;
}

/* the path relative to the target, as reports name it */
static const char *rel(const struct erofs_extractor *c)
{
	const char *r = c->walk ? erofs_walk_relpath(c->walk) : "";

	return *r ? r : "/";
}

#define report(c, code, nid, ...) \
	erofs_check_report((c)->p->report, (c)->p->report_priv, (c)->st, \
			   (code), true, (nid), rel(c), __VA_ARGS__)
/*
 * A problem of the image, not of the extraction: in one pass with the
 * check (erofs_extractor_check), the engine has reported it in its place
 * already, so only the extractor's own walk does.
 */
#define report_image(c, code, nid, ...) \
	do { \
		if ((c)->own_data) \
			report(c, code, nid, __VA_ARGS__); \
	} while (0)

static const char *abs_path(struct erofs_extractor *c)
{
	const char *r = c->walk ? erofs_walk_relpath(c->walk) : "";
	size_t need = strlen(c->p->dir) + 1 + strlen(r) + 1;
	char *n = realloc(c->abs, need);

	if (!n)
		return NULL;
	c->abs = n;
	snprintf(c->abs, need, "%s/%s", c->p->dir, r);
	return c->abs;
}

struct xattr_apply {
	struct erofs_extractor *c;
	int fd;			/* or -1: use the path (no following) */
	erofs_nid_t nid;
};

static int apply_xattr_cb(void *priv, const struct erofs_xattr_info *x)
{
	struct xattr_apply *a = priv;
	struct erofs_extractor *c = a->c;
	int ret;

	/* hidden names have no namespace the host would accept */
	if (!x->known || x->hidden)
		return 0;
	if (a->fd >= 0) {
		do {
			ret = fsetxattr(a->fd, x->name, x->value,
					x->value_size, 0);
		} while (ret && held_release(c, errno));
	} else {
		const char *path = abs_path(c);

		do {
			ret = path ? lsetxattr(path, x->name, x->value,
					       x->value_size, 0) : -1;
		} while (ret && path && held_release(c, errno));
	}
	if (ret && errno != ENOTSUP)
		report(c, EROFS_PROB_EXTRACT, a->nid, "setting xattr %s: %s",
		       x->name, strerror(errno));
	return 0;
}

/* the mode an entry ends with */
static mode_t final_mode(const struct erofs_extractor *c,
			 const struct erofs_inode *inode)
{
	mode_t mode = inode->mode & 07777;

	return c->p->preserve_perms ? mode : mode & ~c->p->umask;
}

/* a regular file is made with its mode, unless set-ID bits wait for chown */
static mode_t file_mode(const struct erofs_extractor *c,
			const struct erofs_inode *inode)
{
	mode_t mode = final_mode(c, inode);

	return mode & 07000 ? 0600 : mode;
}

/* not asked for a mode that can stay (a directory may inherit S_ISGID) */
#define MODE_NONE	((mode_t)-1)

/*
 * metadata in the order that keeps it: owner first (chown drops
 * security.capability and set-id bits), xattrs, mode, then times.
 * plain: the entry was just made in a plain directory, asked for mode
 * `asked`: what the probe showed needs no setting again.
 */
static void set_meta(struct erofs_extractor *c, int dfd, const char *name,
		     int fd, struct erofs_inode *inode, bool plain,
		     mode_t asked)
{
	const struct erofs_extract_params *p = c->p;
	struct timespec ts[2];
	mode_t mode = final_mode(c, inode);

	plain = plain && c->probed;
	if (p->preserve_owner && !(plain && inode->uid == c->new_uid &&
				   inode->gid == c->new_gid)) {
		int ret = fd >= 0 ? fchown(fd, inode->uid, inode->gid) :
			fchownat(dfd, name, inode->uid, inode->gid,
				 AT_SYMLINK_NOFOLLOW);

		if (ret)
			report(c, EROFS_PROB_EXTRACT, inode->nid, "chown: %s",
			       strerror(errno));
	}
	if (p->xattrs && inode->xattr_isize) {
		struct xattr_apply a = { c, fd, inode->nid };

		erofs_xattr_iterate(inode, apply_xattr_cb, &a, NULL);
	}
	if (!S_ISLNK(inode->mode) &&
	    !(plain && asked != MODE_NONE && (asked & c->new_mask) == mode)) {
		int ret = fd >= 0 ? fchmod(fd, mode) :
			fchmodat(dfd, name, mode, 0);

		if (ret)
			report(c, EROFS_PROB_EXTRACT, inode->nid, "chmod: %s",
			       strerror(errno));
	}
	ts[0].tv_sec = ts[1].tv_sec = inode->mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = inode->mtime_nsec % 1000000000;
	if (fd >= 0 ? futimens(fd, ts) :
	    utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW))
		report(c, EROFS_PROB_EXTRACT, inode->nid, "setting times: %s",
		       strerror(errno));
}

/* all of buf at off; 0 or -errno */
static int write_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;

	while (len) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);

		if (w <= 0)
			return w ? -errno : -EIO;
		p += w;
		off += (uint64_t)w;
		len -= (size_t)w;
	}
	return 0;
}

#define CREATE_FLAGS	(O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

/*
 * Through the verifier (ext_data_*), a file's data goes to its own
 * descriptor: in a worker (f->path NULL), an unnamed file of the target;
 * in the walk, the file under its name, created when its data begins
 * rather than when visited.  Either way a failure to create it is
 * reported in file_end, so that the rows come in the same order for any
 * number of workers, with or without O_TMPFILE.
 *
 * The workers' files must never take what the walk would have had with
 * one worker: descriptors (a deep tree keeps one open per level), inodes
 * and blocks (a nearly full target).  So a worker that cannot make or
 * write its file drops it, without a row, and the walk writes that file
 * itself (from the image: ext_data_end); and when the walk runs short,
 * it closes the files of jobs done (held_release) and tries again.
 */
struct ext_ahead {
	int fd;			/* -1: none (the walk writes the file) */
	int err;		/* the walk's file: making or writing it */
	uint64_t end;		/* written from its start up to here */
	bool named;		/* made by the walk, under its name */
	/* a worker's, on the held list until the walk takes it */
	bool listed, done;
	struct ext_ahead *prev, *next;
};

/*
 * Open files held by jobs done ahead count as this much of the check's
 * read-ahead budget (64 MiB), so that at most 128 wait for the walk.
 */
#define AHEAD_FILE_HELD		(512U << 10)

static bool out_of_room(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOSPC ||
		err == EDQUOT;
}

static void held_unlist(struct erofs_extractor *c, struct ext_ahead *a)
{
	pthread_mutex_lock(&c->held_lock);
	if (a->listed) {
		if (a->prev)
			a->prev->next = a->next;
		else
			c->held = a->next;
		if (a->next)
			a->next->prev = a->prev;
		a->listed = false;
	}
	pthread_mutex_unlock(&c->held_lock);
}

/*
 * In the walk, out of room (err): close the files of jobs done, which
 * the walk then writes itself, and let workers make no more.  Whether to
 * try again: something was freed.
 */
static bool held_release(struct erofs_extractor *c, int err)
{
	struct ext_ahead *a;
	bool freed = false;

	if (!c->ahead || !out_of_room(err))
		return false;
	pthread_mutex_lock(&c->held_lock);
	c->held_off = true;
	for (a = c->held; a; a = a->next)
		if (a->done && a->fd >= 0) {
			close(a->fd);
			a->fd = -1;
			freed = true;
		}
	pthread_mutex_unlock(&c->held_lock);
	return freed;
}

/* a name of a file of this extraction with more names to come is removed */
static void forget_written(struct erofs_extractor *c, const struct stat *st)
{
	size_t pos = 0;
	uint64_t v;

	while (erofs_htab_next(&c->written_ino, st->st_ino, &pos, &v))
		if (c->written[v].dev == st->st_dev)
			c->written[v].gone = true;
}

/*
 * make room for a new non-directory entry when overwriting (nothing to
 * look up in a directory where nothing can be in the way)
 */
static int make_room(struct erofs_extractor *c, const struct ext_dir *dir,
		     int dfd, const char *name)
{
	struct stat st;

	if (dir && dir->unique)
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!c->p->overwrite)
		return -EEXIST;
	if (S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, AT_REMOVEDIR) ? -errno : 0;
	if (unlinkat(dfd, name, 0))
		return -errno;
	forget_written(c, &st);
	return 0;
}

/*
 * Whether the walk should make name in dir (may be NULL) again after
 * err: out of room and something was freed (held_release); or the name
 * was taken in a directory where no lookup was made because its listing
 * had no two equal names.  A target that folds case (casefold, vfat)
 * sees two names as one all the same: from then on that directory looks
 * every name up, and room is made as anywhere else.  errno is left for
 * the caller's report when not.
 */
static bool walk_retry(struct erofs_extractor *c, struct ext_dir *dir,
		       int dfd, const char *name, int err)
{
	int ret;

	if (err != EEXIST || !dir || !dir->unique)
		return held_release(c, err);
	dir->unique = false;
	ret = make_room(c, dir, dfd, name);
	if (ret)
		errno = -ret;
	return !ret;
}

/* the walk's openat(), again when walk_retry() says so */
static int walk_openat(struct erofs_extractor *c, struct ext_dir *dir,
		       int dfd, const char *name, int flags, mode_t mode)
{
	int fd;

	do {
		fd = openat(dfd, name, flags, mode);
	} while (fd < 0 && walk_retry(c, dir, dfd, name, errno));
	return fd;
}

static int write_file(struct erofs_extractor *c, int fd,
		      struct erofs_inode *inode)
{
	struct erofs_data_ctx d;
	struct erofs_map map;
	uint64_t la = 0, written = 0;
	int ret;

	ret = erofs_data_open(&d, inode);
	if (ret)
		return ret;
	while (la < inode->size) {
		uint64_t end;

		map.la = la;
		ret = erofs_data_map(&d, &map);
		if (ret)
			goto out;
		end = map.la + map.llen;
		/* holes stay holes: the file is sparse where the image is */
		while (map.kind != EROFS_MAP_HOLE && la < end) {
			size_t n = EROFS_MIN(COPY_CHUNK, end - la);

			ret = erofs_data_read(&d, c->buf, n, la);
			if (!ret)
				do {
					ret = write_all(fd, c->buf, n, la);
				} while (ret && held_release(c, -ret));
			if (ret)
				goto out;
			la += n;
			written = la;
		}
		la = end;
	}
	/* its size: a trailing hole, or an extent written past it */
	if (written != inode->size && ftruncate(fd, inode->size))
		ret = -errno;
out:
	erofs_data_close(&d);
	return ret;
}


/* ---- the tree, as the walk (lib/walk.c) reports it ---- */
static struct ext_dir *top(struct erofs_extractor *c)
{
	return c->nr_dirs ? &c->dirs[c->nr_dirs - 1] : NULL;
}

/* fresh: made by this extraction (its listing comes next) */
static int push_dir(struct erofs_extractor *c, int fd, const char *name,
		    const struct erofs_inode *inode, bool fresh)
{
	/* the target is plain: the probe was made there */
	bool plain = !c->nr_dirs || (fresh && c->dirs[c->nr_dirs - 1].plain);
	struct ext_dir *d;

	if (erofs_array_reserve(&c->dirs, &c->dirs_cap, c->nr_dirs + 1)) {
		if (fd >= 0 && fd != c->rootfd)
			close(fd);
		return c->oom = -ENOMEM;
	}
	d = &c->dirs[c->nr_dirs++];
	d->fd = fd;
	d->name = NULL;
	d->inode = *inode;
	d->fresh = fresh;
	d->plain = plain;
	d->unique = false;
	c->listed_any = false;
	c->in_order = true;
	if (name && fd >= 0) {
		d->name = strdup(name);
		if (!d->name)
			return c->oom = -ENOMEM;
	}
	return 0;
}

/* node idx's file, written at fd: the first time only (its first name) */
static void mark_written(struct erofs_extractor *c, size_t idx, int fd)
{
	struct stat st;
	size_t pos = 0;
	uint64_t v;

	/* not known: its other names get copies */
	if (erofs_htab_next(&c->written_at, idx, &pos, &v) || fstat(fd, &st))
		return;
	if (erofs_array_reserve(&c->written, &c->written_cap,
				c->nr_written + 1) ||
	    erofs_htab_add(&c->written_at, idx, c->nr_written) ||
	    erofs_htab_add(&c->written_ino, st.st_ino, c->nr_written)) {
		c->oom = -ENOMEM;
		return;
	}
	c->written[c->nr_written++] = (struct ext_written){ st.st_dev,
							     st.st_ino, false };
}

/* whether name in dfd is the file w (fstatat, never following) */
static bool is_written(const struct ext_written *w, int dfd, const char *name)
{
	struct stat st;

	return !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	       st.st_dev == w->dev && st.st_ino == w->ino;
}

/*
 * A regular file's data is in: size, metadata, and it may be linked to.
 * end: its bytes were written from the start up to there (a new file is
 * that long already; a trailing hole needs the size set).  ret: what
 * stopped the data, reported here unless told (the check engine reported
 * its decoding's error already: a second row would name no problem).
 */
static void finish_file(struct erofs_extractor *c, int dfd, const char *name,
			int fd, struct erofs_inode *inode, size_t idx,
			uint64_t end, bool plain, int ret, bool told)
{
	if (!ret && end != inode->size && ftruncate(fd, inode->size))
		ret = -errno;
	if (ret && !told)
		report(c, ret == -EFSCORRUPTED || ret == -EOPNOTSUPP ?
		       c->img->problem : EROFS_PROB_EXTRACT, inode->nid,
		       "writing data: %s", strerror(-ret));
	set_meta(c, dfd, name, fd, inode, plain, file_mode(c, inode));
	if (inode->nlink > 1)
		mark_written(c, idx, fd);
	close(fd);
}

/*
 * Create one entry in dfd.  A directory is pushed (fd -1 when it could not
 * be made, so nothing is created below it).  A regular file gets its data
 * from the image here when own_data, else through the verifier.
 */
static void create_entry(struct erofs_extractor *c, struct ext_dir *dir,
			 const char *name, struct erofs_inode *inode,
			 size_t idx, bool own_data)
{
	int ret, fd, dfd = dir->fd;

	switch (inode->mode & S_IFMT) {
	case S_IFDIR: {
		struct stat st;
		bool fresh;

		do {
			fresh = !mkdirat(dfd, name, 0700);
		} while (!fresh && held_release(c, errno));
		if (!fresh && errno != EEXIST) {
			report(c, EROFS_PROB_EXTRACT, inode->nid, "mkdir: %s",
			       strerror(errno));
			push_dir(c, -1, NULL, inode, false);
			return;
		}
		/* an existing entry must be a real directory, not a link */
		if (!fresh && (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) ||
			       !S_ISDIR(st.st_mode))) {
			if (!c->p->overwrite || make_room(c, NULL, dfd, name) ||
			    mkdirat(dfd, name, 0700)) {
				report(c, EROFS_PROB_EXTRACT, inode->nid,
				       "cannot create a directory over an existing entry");
				push_dir(c, -1, NULL, inode, false);
				return;
			}
			fresh = true;
		}
		fd = walk_openat(c, NULL, dfd, name, O_RDONLY | O_DIRECTORY |
				 O_NOFOLLOW | O_CLOEXEC, 0);
		if (fd < 0)
			report(c, EROFS_PROB_EXTRACT, inode->nid, "open: %s",
			       strerror(errno));
		push_dir(c, fd, name, inode, fresh);
		return;
	}
	case S_IFREG:
		ret = make_room(c, dir, dfd, name);
		if (ret) {
			report(c, EROFS_PROB_EXTRACT, inode->nid, "%s",
			       strerror(-ret));
			return;
		}
		if (own_data) {
			fd = walk_openat(c, dir, dfd, name, CREATE_FLAGS,
					 file_mode(c, inode));
			if (fd < 0) {
				report(c, EROFS_PROB_EXTRACT, inode->nid,
				       "create: %s", strerror(errno));
				return;
			}
			/*
			 * write_file sizes it.  A copy made in the check's
			 * walk (a second name, ext_again) decodes what the
			 * engine decoded, and reported, already.
			 */
			ret = write_file(c, fd, inode);
			finish_file(c, dfd, name, fd, inode, idx, inode->size,
				    dir->plain, ret, !c->own_data &&
				    (ret == -EFSCORRUPTED || ret == -EOPNOTSUPP));
			return;
		}
		/* the verifier (ext_data_*) creates or links it with its data */
		c->cur_name = strdup(name);
		if (!c->cur_name) {
			c->oom = -ENOMEM;
			return;
		}
		c->cur_idx = idx;
		c->cur = *inode;
		return;
	case S_IFLNK: {
		char *target;

		if (!inode->size || inode->size >= 4096) {
			report_image(c, EROFS_PROB_SYMLINK_SIZE, inode->nid,
				     "size %llu",
				     (unsigned long long)inode->size);
			return;
		}
		target = calloc(1, inode->size + 1);
		if (!target) {
			c->oom = -ENOMEM;
			return;
		}
		ret = erofs_read_data(inode, target, inode->size, 0);
		/* the kernel refuses such a link: never make a shorter one */
		if (!ret && memchr(target, '\0', inode->size)) {
			free(target);
			report_image(c, EROFS_PROB_SYMLINK_NUL, inode->nid,
				     "not extracted");
			return;
		}
		if (!ret)
			ret = make_room(c, dir, dfd, name);
		while (!ret && symlinkat(target, dfd, name))
			if (!walk_retry(c, dir, dfd, name, errno))
				ret = -errno;
		free(target);
		if (ret) {
			report(c, EROFS_PROB_EXTRACT, inode->nid,
			       "symlink: %s", strerror(-ret));
			return;
		}
		set_meta(c, dfd, name, -1, inode, dir->plain, MODE_NONE);
		return;
	}
	default: {
		dev_t dev = 0;

		if (S_ISCHR(inode->mode) || S_ISBLK(inode->mode))
			dev = makedev(erofs_dev_major(inode->rdev),
				      erofs_dev_minor(inode->rdev));
		ret = make_room(c, dir, dfd, name);
		while (!ret && mknodat(dfd, name,
				       (inode->mode & S_IFMT) | 0600, dev))
			if (!walk_retry(c, dir, dfd, name, errno))
				ret = -errno;
		if (ret) {
			report(c, EROFS_PROB_EXTRACT, inode->nid, "mknod: %s",
			       strerror(-ret));
			return;
		}
		set_meta(c, dfd, name, -1, inode, dir->plain, 0600);
		return;
	}
	}
}

static int ext_dirent(void *priv, const struct erofs_walk_dir *d,
		      const struct erofs_dir_entry *de)
{
	struct erofs_extractor *c = priv;
	struct ext_dir *dir = top(c);

	c->walk = d->walk;
	if (!dir || dir->fd < 0 ||
	    (de->name_len == 1 && de->name[0] == '.') ||
	    (de->name_len == 2 && !memcmp(de->name, "..", 2)))
		return 0;
	/* never let a name walk out of its directory (the walk skips it) */
	if (memchr(de->name, '/', de->name_len) ||
	    memchr(de->name, '\0', de->name_len))
		report_image(c, EROFS_PROB_DIR_BADNAME, d->inode->nid,
			     "refusing to extract \"%.*s\"", (int)de->name_len,
			     de->name);
	/* names in increasing order: none listed twice (ext_dir_read) */
	if (de->name_len > EROFS_NAME_LEN || (c->listed_any &&
	    erofs_name_cmp(c->prev, c->prev_len, de->name,
			   de->name_len) >= 0))
		c->in_order = false;
	if (c->in_order) {
		memcpy(c->prev, de->name, de->name_len);
		c->prev_len = de->name_len;
		c->listed_any = true;
	}
	return 0;
}

static int ext_dir_read(void *priv, const struct erofs_walk_dir *d, int err)
{
	struct erofs_extractor *c = priv;
	struct ext_dir *dir = top(c);

	c->walk = d->walk;
	if (dir && dir->fd >= 0 && err < 0 && err != -ENOMEM)
		report_image(c, c->img->problem, d->inode->nid, "%s",
			     strerror(-err));
	/* its entries need no room made: a saved lookup each (make_room) */
	if (dir)
		dir->unique = dir->fresh && c->in_order;
	return c->oom;
}

/* the start: its directory is the target itself */
static int ext_start(struct erofs_extractor *c, struct erofs_inode *inode)
{
	if (!S_ISDIR(inode->mode)) {
		report(c, EROFS_PROB_EXTRACT, inode->nid,
		       "start inode is not a directory");
		return c->oom;
	}
	return push_dir(c, c->rootfd, NULL, inode, c->root_fresh);
}

static int ext_visit(void *priv, const struct erofs_walk_entry *e, size_t idx,
		     struct erofs_inode *inode, int err)
{
	struct erofs_extractor *c = priv;
	struct ext_dir *dir;

	if (!e)
		return ext_start(c, inode);
	c->walk = e->walk;
	dir = top(c);
	if (!dir || dir->fd < 0) {
		/* below a directory that could not be made: nothing */
		if (dir && inode && S_ISDIR(inode->mode))
			push_dir(c, -1, NULL, inode, false);
		return c->oom;
	}
	if (err) {
		report_image(c, c->img->problem, e->nid, "unreadable inode: %s",
			     strerror(-err));
		return c->oom;
	}
	if (c->p->max_depth && e->depth > c->p->max_depth &&
	    S_ISDIR(inode->mode)) {
		report(c, EROFS_PROB_DIR_DEPTH, e->nid, "not extracted");
		return push_dir(c, -1, NULL, inode, false);
	}
	create_entry(c, dir, e->name, inode, idx, c->own_data);
	return c->oom;
}

/* a name of an inode already extracted */
static int ext_again(void *priv, const struct erofs_walk_entry *e, size_t idx)
{
	struct erofs_extractor *c = priv;
	struct ext_dir *dir = top(c);
	struct erofs_inode inode;
	size_t pos = 0;
	uint64_t v;
	int ret;

	c->walk = e->walk;
	if (!dir || dir->fd < 0)
		return c->oom;
	ret = erofs_inode_read(c->img, e->nid, &inode);
	if (ret) {
		report_image(c, c->img->problem, e->nid, "unreadable inode: %s",
			     strerror(-ret));
		return c->oom;
	}
	if (S_ISDIR(inode.mode)) {
		int fd;

		/*
		 * A cycle or a directory hard link: the name becomes an empty
		 * directory, which is not entered again.
		 */
		if (mkdirat(dir->fd, e->name, 0700) && errno != EEXIST) {
			report(c, EROFS_PROB_EXTRACT, e->nid, "mkdir: %s",
			       strerror(errno));
			return c->oom;
		}
		fd = walk_openat(c, NULL, dir->fd, e->name,
				 O_RDONLY | O_DIRECTORY |
				 O_NOFOLLOW | O_CLOEXEC, 0);
		report_image(c, EROFS_PROB_DIR_LOOP, e->nid,
			     "directory already extracted");
		if (fd >= 0) {
			set_meta(c, dir->fd, e->name, fd, &inode, false,
				 MODE_NONE);
			close(fd);
		}
		return c->oom;
	}
	if (S_ISREG(inode.mode) &&
	    erofs_htab_next(&c->written_at, idx, &pos, &v)) {
		const struct ext_written *w = &c->written[v];
		const char *target;

		ret = erofs_walk_node_path(e->walk, idx, true, &c->lpath,
					   &c->lpath_cap);
		if (ret)
			return c->oom = ret;
		target = c->lpath;
		/*
		 * On a target that folds case, two names of one file may be
		 * one name there: nothing to do (make_room would remove the
		 * file).  And with --overwrite, a name folded onto the first
		 * one may have replaced that file: this name gets a copy.
		 */
		if (w->gone)
			goto copy;
		if (is_written(w, dir->fd, e->name))
			return c->oom;
		ret = make_room(c, dir, dir->fd, e->name);
		if (ret)
			report(c, EROFS_PROB_EXTRACT, e->nid, "%s",
			       strerror(-ret));
		/* linkat with flags 0 never follows the old name */
		else
			while (linkat(c->rootfd, target, dir->fd, e->name, 0))
				if (!walk_retry(c, dir, dir->fd, e->name,
						errno)) {
					report(c, EROFS_PROB_EXTRACT, e->nid,
					       "link to %s: %s", target,
					       strerror(errno));
					break;
				}
		return c->oom;
	}
copy:
	/* a copy (the first one failed, or no file to link to) */
	create_entry(c, dir, e->name, &inode, idx, true);
	return c->oom;
}

static int ext_leave(void *priv, const struct erofs_walk_dir *d)
{
	struct erofs_extractor *c = priv;
	struct ext_dir *dir = top(c);

	c->walk = d->walk;
	if (!dir)
		return c->oom;
	/* metadata last: a read-only directory could not be filled */
	if (dir->fd == c->rootfd) {
		set_meta(c, c->rootfd, ".", c->rootfd, &dir->inode, false,
			 MODE_NONE);
	} else if (dir->fd >= 0) {
		struct ext_dir *parent = &c->dirs[c->nr_dirs - 2];

		set_meta(c, parent->fd, dir->name, dir->fd, &dir->inode,
			 dir->plain, MODE_NONE);
		close(dir->fd);
	}
	free(dir->name);
	c->nr_dirs--;
	return c->oom;
}

static const struct erofs_walk_ops ext_walk_ops = {
	.dirent = ext_dirent,
	.dir_read = ext_dir_read,
	.visit = ext_visit,
	.again = ext_again,
	.leave = ext_leave,
};

/* ---- file data from the check's decoding (erofs/verify.h) ---- */
/* a worker's unnamed file for f, or none (the walk writes it) */
static void worker_file(struct erofs_extractor *c, struct ext_ahead *a,
			const struct erofs_verify_file *f)
{
	pthread_mutex_lock(&c->held_lock);
	if (!c->held_off) {
		a->fd = openat(c->rootfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
			       file_mode(c, f->inode));
		if (a->fd >= 0) {
			a->listed = true;
			a->next = c->held;
			if (c->held)
				c->held->prev = a;
			c->held = a;
		} else if (out_of_room(errno)) {
			c->held_off = true;
		}
	}
	pthread_mutex_unlock(&c->held_lock);
}

static int ext_data_begin(void *priv, struct erofs_verify_file *f)
{
	struct erofs_extractor *c = priv;
	struct ext_ahead *a;

	/* in the walk: only a file created when visited is written */
	if (f->path && !(c->cur_name && c->cur.nid == f->inode->nid))
		return EROFS_VERIFY_NO_DATA;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->fd = -1;
	a->named = f->path != NULL;
	f->state = a;
	if (!a->named) {
		worker_file(c, a, f);
		return a->fd < 0 ? EROFS_VERIFY_NO_DATA : 0;
	}
	a->fd = walk_openat(c, top(c), top(c)->fd, c->cur_name, CREATE_FLAGS,
			    file_mode(c, f->inode));
	if (a->fd < 0)
		a->err = -errno;
	return a->fd < 0 ? EROFS_VERIFY_NO_DATA : 0;
}

static int ext_data_write(void *priv, const struct erofs_verify_file *f,
			  uint64_t off, const void *buf, size_t len)
{
	struct erofs_extractor *c = priv;
	struct ext_ahead *a = f->state;
	int ret;

	/* holes stay holes: the file is sparse where the image is */
	if (!buf || a->err || a->fd < 0)
		return 0;
	do {
		ret = write_all(a->fd, buf, len, off);
	} while (ret && a->named && held_release(c, -ret));
	if (ret && !a->named) {
		/* a worker out of room: the walk writes this one */
		held_unlist(c, a);
		close(a->fd);
		a->fd = -1;
		pthread_mutex_lock(&c->held_lock);
		c->held_off = c->held_off || out_of_room(-ret);
		pthread_mutex_unlock(&c->held_lock);
		return 0;
	}
	a->err = ret;
	a->end = off + len;
	return 0;
}

/* in the worker, its data all in: the walk may now close the file */
static void ext_data_done(void *priv, struct erofs_verify_file *f,
			       int err)
{
	struct erofs_extractor *c = priv;
	struct ext_ahead *a = f->state;

	(void)err;
	pthread_mutex_lock(&c->held_lock);
	a->done = true;
	pthread_mutex_unlock(&c->held_lock);
}

static void ext_data_abort(void *priv, const struct erofs_verify_file *f)
{
	struct erofs_extractor *c = priv;
	struct ext_ahead *a = f->state;

	if (!a)
		return;
	held_unlist(c, a);
	if (a->fd >= 0)
		close(a->fd);
	free(a);
}

/*
 * Give the unnamed file a->fd the name c->cur_name in dir: linkat with
 * AT_EMPTY_PATH, which older kernels allow only with CAP_DAC_READ_SEARCH,
 * or through /proc.  Only into a plain directory: one that was there
 * before may give a file made in it another group (set-group-ID), mode
 * or ACL than the target gave this one (and may be a mount point).
 * Returns the descriptor, or -1: the walk writes the file itself.
 */
static int link_file(struct erofs_extractor *c, const struct ext_dir *dir,
		     struct ext_ahead *a)
{
	char proc[32];
	int fd;

	if (!dir->plain)
		return -1;
	do {
		if (!c->no_empty_path) {
			if (!linkat(a->fd, "", dir->fd, c->cur_name,
				    AT_EMPTY_PATH))
				goto linked;
			if (errno == ENOENT || errno == EPERM ||
			    errno == EINVAL)
				c->no_empty_path = true;
			else if (out_of_room(errno))
				continue;
			else if (errno == EEXIST)
				break;
		}
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", a->fd);
		if (!linkat(AT_FDCWD, proc, dir->fd, c->cur_name,
			    AT_SYMLINK_FOLLOW))
			goto linked;
	} while (held_release(c, errno));
	/*
	 * Not linked.  A name in the way (a target that folds case sees
	 * two names as one): the walk's create makes room as anywhere
	 * else, or reports why it cannot.
	 */
	return -1;
linked:
	fd = a->fd;
	a->fd = -1;
	return fd;
}

static int ext_data_end(void *priv, const struct erofs_verify_file *f,
			 int err)
{
	struct erofs_extractor *c = priv;
	struct ext_ahead *a = f->state;
	struct ext_dir *dir = top(c);
	int fd = -1, werr = 0;
	uint64_t end = 0;

	if (a)
		held_unlist(c, a);
	if (!c->cur_name || c->cur.nid != f->inode->nid) {
		ext_data_abort(priv, f);
		return c->oom;
	}
	if (a && a->named) {
		fd = a->fd;
		werr = a->err;
		end = a->end;
		a->fd = -1;
		if (fd < 0)
			report(c, EROFS_PROB_EXTRACT, c->cur.nid,
			       "create: %s", strerror(-werr));
	} else {
		if (a && a->fd >= 0) {
			end = a->end;
			fd = link_file(c, dir, a);
		}
		if (fd < 0) {
			/* no file from a worker, or not linked: from here,
			 * with the worker's closed first (its room) */
			if (a && a->fd >= 0) {
				close(a->fd);
				a->fd = -1;
			}
			fd = walk_openat(c, dir, dir->fd, c->cur_name,
					 CREATE_FLAGS,
					 file_mode(c, &c->cur));
			if (fd < 0) {
				report(c, EROFS_PROB_EXTRACT, c->cur.nid,
				       "create: %s", strerror(errno));
			} else {
				unsigned int problem = c->img->problem;

				/* it sizes the file */
				werr = write_file(c, fd, &c->cur);
				end = c->cur.size;
				c->img->problem = problem;
			}
		}
	}
	ext_data_abort(priv, f);
	if (fd >= 0)
		/*
		 * the engine reported err, but a missing device once for
		 * all its files: each file left unwritten is named here
		 */
		finish_file(c, dir->fd, c->cur_name, fd, &c->cur, c->cur_idx,
			    end, dir->plain, err ? err : werr,
			    err && err != -ENODEV);
	free(c->cur_name);
	c->cur_name = NULL;
	return c->oom;
}

/* the workers write the files they decode (unnamed files, linked) */
static const struct erofs_verifier_ops ext_ahead_ops = {
	.name = "extract",
	.file_begin = ext_data_begin,
	.file_data = ext_data_write,
	.file_end = ext_data_end,
	.file_abort = ext_data_abort,
	.file_data_end = ext_data_done,
	.parallel = true,
	.held = AHEAD_FILE_HELD,
};

/*
 * The same calls, all in the walk, which writes every file (a target
 * without O_TMPFILE, or few descriptors): the workers only decode
 */
static const struct erofs_verifier_ops ext_walk_data_ops = {
	.name = "extract",
	.file_begin = ext_data_begin,
	.file_data = ext_data_write,
	.file_end = ext_data_end,
	.file_abort = ext_data_abort,
};

/*
 * Whether the workers may write ahead: the target can make unnamed files
 * (the probe leaves nothing behind), and the process may open enough
 * descriptors for the 128 files held ahead to matter little (a walk that
 * runs short closes them: held_release).
 */
static bool can_write_ahead(const struct erofs_extractor *c)
{
	struct rlimit rl;

	return c->tmpfile_ok && !getrlimit(RLIMIT_NOFILE, &rl) &&
		(rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= 1024);
}

/* what the target gives a new entry (nothing is left behind) */
static void probe_target(struct erofs_extractor *c)
{
	int fd = openat(c->rootfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0777);
	struct stat st;

	if (fd < 0)
		return;
	c->tmpfile_ok = true;
	if (!fstat(fd, &st)) {
		c->probed = true;
		c->new_uid = st.st_uid;
		c->new_gid = st.st_gid;
		c->new_mask = st.st_mode & 0777;
	}
	close(fd);
}

/* ---- the API ---- */
int erofs_extractor_new(struct erofs_extractor **out, struct erofs_image *img,
			const struct erofs_extract_params *p,
			struct erofs_check_stats *stats)
{
	struct erofs_extractor *c;
	bool root_fresh;
	char *real;
	int ret;

	*out = NULL;
	memset(stats, 0, sizeof(*stats));
	root_fresh = !mkdir(p->dir, 0755);
	if (!root_fresh && errno != EEXIST)
		return -errno;
	real = realpath(p->dir, NULL);
	if (!real)
		return -errno;
	if (!strcmp(real, "/") && !p->force) {
		free(real);
		return -EPERM;
	}
	free(real);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->img = img;
	c->p = p;
	c->st = stats;
	pthread_mutex_init(&c->held_lock, NULL);
	c->root_fresh = root_fresh;
	c->rootfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0) {
		ret = -errno;
		free(c);
		return ret;
	}
	probe_target(c);
	c->buf = malloc(COPY_CHUNK);
	if (!c->buf) {
		erofs_extractor_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void erofs_extractor_free(struct erofs_extractor *c)
{
	size_t i;

	if (!c)
		return;
	/* directories left open by a walk that stopped */
	for (i = 0; i < c->nr_dirs; i++) {
		if (c->dirs[i].fd >= 0 && c->dirs[i].fd != c->rootfd)
			close(c->dirs[i].fd);
		free(c->dirs[i].name);
	}
	free(c->cur_name);
	free(c->dirs);
	free(c->written);
	erofs_htab_release(&c->written_at);
	erofs_htab_release(&c->written_ino);
	free(c->lpath);
	free(c->abs);
	free(c->buf);
	close(c->rootfd);
	pthread_mutex_destroy(&c->held_lock);
	free(c);
}

int erofs_extractor_check(struct erofs_extractor *c,
			  const struct erofs_check_params *chk,
			  struct erofs_check_stats *stats)
{
	struct erofs_check_params p = *chk;
	struct erofs_verifier *v;
	int ret;

	/* the check's verifiers, then the extractor's data sink */
	v = calloc(chk->nr_verifiers + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (chk->nr_verifiers)
		memcpy(v, chk->verifiers, chk->nr_verifiers * sizeof(*v));
	c->ahead = !c->p->serial && can_write_ahead(c);
	v[chk->nr_verifiers] = (struct erofs_verifier){
		c->ahead ? &ext_ahead_ops : &ext_walk_data_ops, c };
	p.verifiers = v;
	p.nr_verifiers = chk->nr_verifiers + 1;
	p.walk_ops = &ext_walk_ops;
	p.walk_priv = c;
	ret = erofs_check_image(c->img, &p, stats);
	free(v);
	return ret ? ret : c->oom;
}

int erofs_extract(struct erofs_image *img,
		  const struct erofs_extract_params *p,
		  struct erofs_check_stats *stats)
{
	struct erofs_extractor *c;
	struct erofs_inode root;
	struct erofs_walk w;
	int ret;

	ret = erofs_extractor_new(&c, img, p, stats);
	if (ret)
		return ret;
	c->own_data = true;
	if (p->start_path)
		ret = erofs_path_lookup(img, p->start_path, &root);
	else
		ret = erofs_inode_read(img, p->has_start_nid ? p->start_nid :
				       img->root_nid, &root);
	if (!ret) {
		erofs_walk_init(&w, img, &ext_walk_ops, c);
		ret = erofs_walk_run(&w, &root, "/", false, 0);
		erofs_walk_release(&w);
		c->walk = NULL;
	}
	if (!ret)
		ret = c->oom;
	erofs_extractor_free(c);
	return ret;
}
