// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * erofsfuse - mount an EROFS image read-only through FUSE.
 *
 * Built on libfuse3's low-level API because EROFS already has what that
 * API wants: every inode has a stable number (its nid), so a FUSE node id
 * is computed from the nid and back, with no table of live nodes and
 * nothing to do on forget.  Hard links share a nid and so share a node.
 *
 * The image is hostile: any error the library returns for it becomes
 * -EIO for the caller (with the nid logged), never a crash; only the
 * answers a healthy file system gives too (ENOENT, ENODATA, ERANGE...)
 * pass through.
 *
 * Threading: struct erofs_image and its io cache blocks, read ahead and
 * record the last problem in mutable fields, so one must not be used by
 * two threads at once.  The daemon opens the image several times instead,
 * one "lane" per CPU (at most EFUSE_MAX_LANES; one with -s), each with its
 * own file descriptors, caches and lock, and FUSE's worker threads borrow
 * a lane per request: a free one for lookups and attributes, the lane an
 * open file was read with for its data (its read session decodes one
 * extent at a time and is bound to that image).  So reads of different
 * files decompress in parallel, and nothing in the library needs a lock.
 * The kernel's page cache (keep_cache, long attribute and entry timeouts:
 * the image cannot change under us) keeps repeated reads from reaching
 * the daemon at all.
 *
 * Memory, per lane: the metadata cache (16 blocks), the read-ahead window
 * of the image and of each device (32 KiB each) and the packed inode's
 * last decoded extent; per open file: its last decoded extent (a pcluster's
 * worth); per open directory: its names.
 */
#include "config.h"
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <unistd.h>
#include "erofs/cli.h"
#include "erofs/reader.h"
#include "frontend.h"

#define PROG "erofsfuse"

/*
 * The image cannot change while mounted, so the kernel may keep
 * attributes, names (and negative lookups) as long as it likes; a day is
 * "forever" without risking overflow in the kernel's jiffies arithmetic.
 */
#define EFUSE_TIMEOUT	86400.0

/* lanes (open copies of the image) at most, whatever the CPU count */
#define EFUSE_MAX_LANES	8

/* longest symlink target we return: the kernel's limit (PATH_MAX - 1) */
#define EFUSE_SYMLINK_MAX	4095

/* fuse_opt keys; above 255 so that --help does not print them as -X */
enum { KEY_HELP = 256, KEY_VERSION, KEY_OFFSET, KEY_DBGLEVEL, KEY_DEVICE };

/* what --help lists; the parser is the fuse_opt table below */
static const struct erofs_cli_opt opt_defs[] = {
	{ "offset", required_argument, KEY_OFFSET, "N", "the image starts N bytes into IMAGE" },
	{ "device", required_argument, KEY_DEVICE, "PATH", "an extra device of the image (blob, tar, source image), in device-table order; repeatable" },
	{ "dbglevel", required_argument, KEY_DBGLEVEL, "LEVEL", "message level 0..9 (default 2: errors and warnings)" },
	{ "version", no_argument, 'V', NULL, "print the version and exit" },
	{ "help", no_argument, 'h', NULL, "print this help and exit" },
};

static const struct fuse_opt fuse_opt_defs[] = {
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("--offset=", KEY_OFFSET),
	FUSE_OPT_KEY("--device=", KEY_DEVICE),
	FUSE_OPT_KEY("--dbglevel=", KEY_DBGLEVEL),
	/*
	 * the high-level API's "take st_ino from the file system": ours
	 * always does, so accept it for command lines written for
	 * erofs-utils' erofsfuse rather than fail the mount
	 */
	FUSE_OPT_KEY("use_ino", FUSE_OPT_KEY_DISCARD),
	FUSE_OPT_END
};

static const char usage_head[] =
	"Usage: " PROG " [OPTIONS] IMAGE MOUNTPOINT\n"
	"Mount the EROFS image IMAGE read-only on MOUNTPOINT through FUSE.\n"
	"Inode numbers are the image's nids; permissions are checked by the\n"
	"kernel from the image's modes (-o default_permissions is implied).\n"
	"-d is FUSE's debug mode (stay in the foreground and trace every\n"
	"request), as in erofs-utils; --dbglevel sets the message level.\n\n";

/*
 * Read sessions of a lane, for kernels that open files without asking
 * us (FUSE_CAP_NO_OPEN_SUPPORT): reads then come by inode number only, so
 * the last few files read keep their session here, and a file is always
 * read on the same lane (chosen from its nid).
 */
#define EFUSE_LANE_SESSIONS	8

struct efuse_session {
	bool used;
	uint64_t last;			/* lane's clock at the last read */
	struct erofs_inode inode;
	struct erofs_data_ctx data;
};

/* one open copy of the image, used by one thread at a time (see above) */
struct efuse_lane {
	pthread_mutex_t lock;
	struct erofs_io io;
	struct erofs_image img;
	struct erofs_io *dev_io;	/* the --device files, opened again */
	bool lock_init, io_open, img_open;
	struct efuse_session sessions[EFUSE_LANE_SESSIONS];
	uint64_t clock;
};

struct efuse {
	struct efuse_lane lanes[EFUSE_MAX_LANES];
	unsigned int nr_lanes;
	unsigned int next_lane;		/* round robin, atomic */
	erofs_nid_t root_nid;
	struct erofs_log log;
	struct erofs_frontend fe;
	const char *image;
	uint64_t offset;
	char *devices[EROFS_MAX_DEVICES];	/* --device, owned */
	size_t nr_devices;
	bool help, version, bad_args;
	bool use_syslog;		/* daemonized: stderr is gone */
	bool mute;			/* opening another lane: said already */
	bool no_open;			/* the kernel opens files without us */
};

/*
 * An open regular file: read with one lane's image (inode.img), whose
 * lock its reads take; the read session keeps the last decoded extent.
 */
struct efuse_file {
	struct efuse_lane *lane;
	struct erofs_inode inode;
	struct erofs_data_ctx data;
};

/* an open directory: its entries, read once at opendir */
struct efuse_dirent {
	erofs_nid_t nid;
	unsigned int file_type;
	size_t name_off;		/* into efuse_dir.names */
};

struct efuse_dir {
	struct efuse_dirent *ents;
	size_t nr, cap;
	char *names;			/* NUL-terminated names, packed */
	size_t names_len, names_cap;
	erofs_nid_t self_nid;
	bool add_dot;			/* the image omits "." */
};

static struct efuse *req_efuse(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/*
 * A lane for one request: the first free one from a rotating start, else
 * wait for the next in turn.  Released with lane_put().
 */
static struct efuse_lane *lane_get(struct efuse *ef)
{
	unsigned int start = __atomic_fetch_add(&ef->next_lane, 1,
						__ATOMIC_RELAXED);
	unsigned int i;
	struct efuse_lane *l;

	for (i = 0; i < ef->nr_lanes; i++) {
		l = &ef->lanes[(start + i) % ef->nr_lanes];
		if (!pthread_mutex_trylock(&l->lock))
			return l;
	}
	l = &ef->lanes[start % ef->nr_lanes];
	pthread_mutex_lock(&l->lock);
	return l;
}

static void lane_put(struct efuse_lane *l)
{
	pthread_mutex_unlock(&l->lock);
}

/* the lane a file is read on without an open handle: fixed by its nid */
static struct efuse_lane *lane_of(struct efuse *ef, erofs_nid_t nid)
{
	uint64_t h = nid * 0x9e3779b97f4a7c15ULL;

	return &ef->lanes[(h >> 32) % ef->nr_lanes];
}

/*
 * FUSE reserves node id 0 and uses 1 (FUSE_ROOT_ID) for the root, while
 * any nid, 0 included, may be the root or not.  So the root is 1 and every
 * other nid is shifted by 2; ".." entries of top-level directories name
 * the root nid and map to 1 as they must.
 */
static fuse_ino_t nid_to_ino(const struct efuse *ef, erofs_nid_t nid)
{
	return nid == ef->root_nid ? FUSE_ROOT_ID : (fuse_ino_t)nid + 2;
}

static erofs_nid_t ino_to_nid(const struct efuse *ef, fuse_ino_t ino)
{
	return ino == FUSE_ROOT_ID ? ef->root_nid : (erofs_nid_t)ino - 2;
}

/*
 * The errno to hand the kernel for a library error: what a sound image
 * can return as an answer passes through, everything else (a corrupted
 * or unsupported image, a failed pread) is logged with the nid and
 * becomes EIO.
 */
static int efuse_errno(struct efuse *ef, erofs_nid_t nid, const char *op,
		       int err, const int *answers)
{
	if (err >= 0)
		return 0;
	for (; answers && *answers; answers++)
		if (-err == *answers)
			return -err;
	if (err == -ENOMEM)
		return ENOMEM;
	erofs_err(&ef->log, "nid %llu: %s: %s", (unsigned long long)nid, op,
		  strerror(-err));
	return EIO;
}

static int efuse_iget(struct efuse *ef, struct efuse_lane *l, erofs_nid_t nid,
		      struct erofs_inode *inode)
{
	/* nid + 2 must not wrap onto FUSE's reserved ids */
	if (nid > UINT64_MAX - 2) {
		erofs_err(&ef->log, "nid %llu: out of range",
			  (unsigned long long)nid);
		return EIO;
	}
	return efuse_errno(ef, nid, "reading inode",
			   erofs_inode_read(&l->img, nid, inode), NULL);
}

static void efuse_fill_stat(const struct erofs_inode *inode, struct stat *st)
{
	const struct erofs_image *img = inode->img;
	unsigned int bits = img->blkszbits;

	memset(st, 0, sizeof(*st));
	/* the kernel's erofs reports the nid as well (64-bit ino_t) */
	st->st_ino = inode->nid;
	st->st_mode = inode->mode;
	st->st_nlink = inode->nlink;
	st->st_uid = inode->uid;
	st->st_gid = inode->gid;
	st->st_size = (off_t)inode->size;
	if (S_ISCHR(inode->mode) || S_ISBLK(inode->mode))
		/* i_u holds the kernel's "new" dev_t encoding */
		st->st_rdev = makedev((inode->rdev & 0xfff00) >> 8,
				      (inode->rdev & 0xff) |
				      ((inode->rdev >> 12) & 0xfff00));
	st->st_blksize = img->blksz;
	/* compressed inodes store their on-disk block count in i_u */
	if (erofs_inode_is_compressed(inode))
		st->st_blocks = (blkcnt_t)inode->i_u << (bits - 9);
	else
		st->st_blocks = (blkcnt_t)(((inode->size +
				img->blksz - 1) >> bits) << (bits - 9));
	/* EROFS keeps one timestamp; the kernel shows it for all three */
	st->st_mtim.tv_sec = st->st_atim.tv_sec = st->st_ctim.tv_sec =
		(time_t)inode->mtime;
	st->st_mtim.tv_nsec = st->st_atim.tv_nsec = st->st_ctim.tv_nsec =
		inode->mtime_nsec;
}

/* ---- requests ---------------------------------------------------------- */

static void efuse_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	static const int answers[] = { ENOENT, 0 };
	struct efuse *ef = req_efuse(req);
	struct efuse_lane *l;
	struct fuse_entry_param e;
	struct erofs_inode dir, inode;
	erofs_nid_t nid;
	size_t len = strlen(name);
	int err;

	memset(&e, 0, sizeof(e));
	l = lane_get(ef);
	err = efuse_iget(ef, l, ino_to_nid(ef, parent), &dir);
	if (!err && !S_ISDIR(dir.mode))
		err = ENOTDIR;
	if (!err && len > EROFS_NAME_LEN)
		err = ENAMETOOLONG;
	if (!err)
		err = efuse_errno(ef, dir.nid, "lookup",
				  erofs_dir_lookup(&dir, name, len, &nid, NULL),
				  answers);
	if (!err)
		err = efuse_iget(ef, l, nid, &inode);
	if (!err)
		efuse_fill_stat(&inode, &e.attr);
	lane_put(l);
	if (err == ENOENT) {
		/* ino 0 with a timeout: the kernel caches the miss */
		e.entry_timeout = EFUSE_TIMEOUT;
		fuse_reply_entry(req, &e);
		return;
	}
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	e.ino = nid_to_ino(ef, nid);
	e.generation = 1;
	e.attr_timeout = e.entry_timeout = EFUSE_TIMEOUT;
	fuse_reply_entry(req, &e);
}

static void efuse_getattr(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct efuse *ef = req_efuse(req);
	struct efuse_lane *l = lane_get(ef);
	struct erofs_inode inode;
	struct stat st;
	int err;

	err = efuse_iget(ef, l, ino_to_nid(ef, ino), &inode);
	if (!err)
		efuse_fill_stat(&inode, &st);
	lane_put(l);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_attr(req, &st, EFUSE_TIMEOUT);
}

/* the target of the symlink nid into *target (malloc'd); 0 or an errno */
static int efuse_symlink(struct efuse *ef, struct efuse_lane *l,
			 erofs_nid_t nid, char **target)
{
	struct erofs_inode inode;
	char *buf;
	int err;

	err = efuse_iget(ef, l, nid, &inode);
	if (err)
		return err;
	if (!S_ISLNK(inode.mode))
		return EINVAL;
	/* the kernel's erofs refuses such a symlink as corrupted too */
	if (inode.size > EFUSE_SYMLINK_MAX) {
		erofs_err(&ef->log, "nid %llu: symlink of %llu bytes",
			  (unsigned long long)inode.nid,
			  (unsigned long long)inode.size);
		return EIO;
	}
	buf = malloc(inode.size + 1);
	if (!buf)
		return ENOMEM;
	err = efuse_errno(ef, inode.nid, "reading symlink",
			  erofs_read_data(&inode, buf, inode.size, 0), NULL);
	if (err) {
		free(buf);
		return err;
	}
	buf[inode.size] = '\0';
	/* the kernel's erofs refuses a target with a NUL inside too */
	if (strlen(buf) != inode.size) {
		erofs_err(&ef->log, "nid %llu: NUL inside the symlink target",
			  (unsigned long long)inode.nid);
		free(buf);
		return EIO;
	}
	*target = buf;
	return 0;
}

static void efuse_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct efuse *ef = req_efuse(req);
	struct efuse_lane *l = lane_get(ef);
	char *target = NULL;
	int err;

	err = efuse_symlink(ef, l, ino_to_nid(ef, ino), &target);
	lane_put(l);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	fuse_reply_readlink(req, target);
	free(target);
}

/*
 * A read session on regular file nid, bound to lane l's image (l locked):
 * both kinds of open file, the handle's and the lane's, start here.
 */
static int efuse_data_open(struct efuse *ef, struct efuse_lane *l,
			   erofs_nid_t nid, struct erofs_inode *inode,
			   struct erofs_data_ctx *data)
{
	int err = efuse_iget(ef, l, nid, inode);

	if (!err && !S_ISREG(inode->mode))
		err = S_ISDIR(inode->mode) ? EISDIR : EINVAL;
	if (!err)
		err = efuse_errno(ef, nid, "opening data",
				  erofs_data_open(data, inode), NULL);
	return err;
}

static void efuse_open(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct efuse *ef = req_efuse(req);
	struct efuse_file *f;
	int err;

	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/*
	 * A kernel that can open files by itself is told so (ENOSYS, once):
	 * no OPEN and RELEASE round trips per file from then on, and the
	 * page cache is kept as with keep_cache.  Reads then come without
	 * a handle (efuse_read_session).
	 */
	if (ef->no_open) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* the file's lane for good: its inode and session belong to it */
	f->lane = lane_get(ef);
	err = efuse_data_open(ef, f->lane, ino_to_nid(ef, ino), &f->inode,
			      &f->data);
	lane_put(f->lane);
	if (err) {
		free(f);
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = (uintptr_t)f;
	/* the contents cannot change: keep the page cache across opens */
	fi->keep_cache = 1;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		/* the opener was interrupted: nobody will release this */
		erofs_data_close(&f->data);
		free(f);
	}
}

/*
 * The read session of nid on lane l (locked): one of the lane's last
 * used, else a new one in place of the least recently used.
 */
static int efuse_session(struct efuse *ef, struct efuse_lane *l,
			 erofs_nid_t nid, struct efuse_session **out)
{
	struct efuse_session *s, *victim = &l->sessions[0];
	unsigned int i;
	int err;

	for (i = 0; i < EFUSE_LANE_SESSIONS; i++) {
		s = &l->sessions[i];
		if (s->used && s->inode.nid == nid) {
			s->last = ++l->clock;
			*out = s;
			return 0;
		}
		if (!s->used || (victim->used && s->last < victim->last))
			victim = s;
	}
	if (victim->used) {
		erofs_data_close(&victim->data);
		victim->used = false;
	}
	err = efuse_data_open(ef, l, nid, &victim->inode, &victim->data);
	if (err)
		return err;
	victim->used = true;
	victim->last = ++l->clock;
	*out = victim;
	return 0;
}

static void efuse_read(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	struct efuse *ef = req_efuse(req);
	struct efuse_file *f = (struct efuse_file *)(uintptr_t)fi->fh;
	struct erofs_data_ctx *data;
	struct efuse_session *sess;
	struct efuse_lane *l;
	uint64_t isize;
	char *buf = NULL;
	int err;

	if (f) {
		l = f->lane;
		pthread_mutex_lock(&l->lock);
		data = &f->data;
	} else {
		/* opened without us: the file's session on its own lane */
		l = lane_of(ef, ino_to_nid(ef, ino));
		pthread_mutex_lock(&l->lock);
		err = efuse_session(ef, l, ino_to_nid(ef, ino), &sess);
		if (err)
			goto out;
		data = &sess->data;
	}
	isize = data->inode->size;
	if (off < 0 || (uint64_t)off >= isize) {
		size = 0;
		err = 0;
		goto out;
	}
	if (size > isize - (uint64_t)off)
		size = isize - (uint64_t)off;
	buf = malloc(size);
	if (!buf) {
		err = ENOMEM;
		goto out;
	}
	err = efuse_errno(ef, data->inode->nid, "reading data",
			  erofs_data_read(data, buf, size, (uint64_t)off),
			  NULL);
out:
	pthread_mutex_unlock(&l->lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, size);
	free(buf);
}

static void efuse_release(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct efuse_file *f = (struct efuse_file *)(uintptr_t)fi->fh;

	erofs_data_close(&f->data);
	free(f);
	fuse_reply_err(req, 0);
}

static void efuse_dir_free(struct efuse_dir *d)
{
	if (!d)
		return;
	free(d->ents);
	free(d->names);
	free(d);
}

static int efuse_dir_add(void *priv, const struct erofs_dir_entry *ent)
{
	struct efuse_dir *d = priv;
	struct efuse_dirent *de;

	if (d->nr == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		void *p = realloc(d->ents, cap * sizeof(*d->ents));

		if (!p)
			return -ENOMEM;
		d->ents = p;
		d->cap = cap;
	}
	if (d->names_cap - d->names_len < ent->name_len + 1) {
		size_t cap = d->names_cap ? d->names_cap : 512;
		void *p;

		while (cap - d->names_len < ent->name_len + 1)
			cap *= 2;
		p = realloc(d->names, cap);
		if (!p)
			return -ENOMEM;
		d->names = p;
		d->names_cap = cap;
	}
	de = &d->ents[d->nr++];
	de->nid = ent->nid;
	de->file_type = ent->file_type;
	de->name_off = d->names_len;
	memcpy(d->names + d->names_len, ent->name, ent->name_len);
	d->names_len += ent->name_len;
	d->names[d->names_len++] = '\0';
	return 0;
}

/*
 * A snapshot of the whole directory at opendir: readdir offsets are then
 * plain indexes, and a listing in many readdir calls decodes the
 * directory blocks once instead of once per call.
 */
static void efuse_opendir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct efuse *ef = req_efuse(req);
	struct efuse_lane *l;
	struct erofs_inode dir;
	struct efuse_dir *d;
	int err;

	d = calloc(1, sizeof(*d));
	if (!d) {
		err = ENOMEM;
		goto fail;
	}
	l = lane_get(ef);
	err = efuse_iget(ef, l, ino_to_nid(ef, ino), &dir);
	if (!err && !S_ISDIR(dir.mode))
		err = ENOTDIR;
	if (!err) {
		d->self_nid = dir.nid;
		d->add_dot = dir.dot_omitted;
		err = efuse_errno(ef, dir.nid, "reading directory",
				  erofs_dir_iterate(&dir, efuse_dir_add, d),
				  NULL);
	}
	lane_put(l);
	if (err) {
		efuse_dir_free(d);
		goto fail;
	}
	fi->fh = (uintptr_t)d;
	fi->keep_cache = 1;
	fi->cache_readdir = 1;
	if (fuse_reply_open(req, fi) == -ENOENT)
		efuse_dir_free(d);
	return;
fail:
	fuse_reply_err(req, err);
}

static mode_t ftype_to_mode(unsigned int ft)
{
	switch (ft) {
	case EROFS_FT_REG_FILE: return S_IFREG;
	case EROFS_FT_DIR: return S_IFDIR;
	case EROFS_FT_CHRDEV: return S_IFCHR;
	case EROFS_FT_BLKDEV: return S_IFBLK;
	case EROFS_FT_FIFO: return S_IFIFO;
	case EROFS_FT_SOCK: return S_IFSOCK;
	case EROFS_FT_SYMLINK: return S_IFLNK;
	}
	return 0;	/* DT_UNKNOWN: the caller stats the entry */
}

static void efuse_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
			  off_t off, struct fuse_file_info *fi)
{
	struct efuse_dir *d = (struct efuse_dir *)(uintptr_t)fi->fh;
	/* index 0 is the synthesized "." when the image omits it */
	size_t total = d->nr + d->add_dot, i;
	size_t used = 0;
	char *buf;

	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (i = off < 0 ? 0 : (size_t)off; i < total; i++) {
		struct stat st = { 0 };
		const char *name;
		size_t n;

		if (d->add_dot && i == 0) {
			name = ".";
			st.st_ino = d->self_nid;
			st.st_mode = S_IFDIR;
		} else {
			const struct efuse_dirent *de = &d->ents[i - d->add_dot];

			name = d->names + de->name_off;
			st.st_ino = de->nid;
			st.st_mode = ftype_to_mode(de->file_type);
		}
		n = fuse_add_direntry(req, buf + used, size - used, name, &st,
				      (off_t)(i + 1));
		if (n > size - used)
			break;
		used += n;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

/*
 * readdir with each entry's attributes: a walk that stats what it lists
 * (ls -l, tar, find with tests) then needs no LOOKUP round trip per name.
 * "." and ".." go without (ino 0): the kernel does not link them.
 */
static void efuse_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			      off_t off, struct fuse_file_info *fi)
{
	struct efuse *ef = req_efuse(req);
	struct efuse_dir *d = (struct efuse_dir *)(uintptr_t)fi->fh;
	size_t total = d->nr + d->add_dot, i;
	size_t used = 0;
	struct efuse_lane *l;
	char *buf;
	int err = 0;

	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	l = lane_get(ef);
	for (i = off < 0 ? 0 : (size_t)off; i < total; i++) {
		struct fuse_entry_param e;
		struct erofs_inode inode;
		const char *name;
		erofs_nid_t nid;
		size_t n;

		memset(&e, 0, sizeof(e));
		if (d->add_dot && i == 0) {
			name = ".";
			nid = d->self_nid;
		} else {
			const struct efuse_dirent *de = &d->ents[i - d->add_dot];

			name = d->names + de->name_off;
			nid = de->nid;
		}
		if (!strcmp(name, ".") || !strcmp(name, "..")) {
			e.attr.st_ino = nid;
			e.attr.st_mode = S_IFDIR;
		} else {
			err = efuse_iget(ef, l, nid, &inode);
			if (err)
				break;
			efuse_fill_stat(&inode, &e.attr);
			e.ino = nid_to_ino(ef, nid);
			e.generation = 1;
			e.attr_timeout = e.entry_timeout = EFUSE_TIMEOUT;
		}
		n = fuse_add_direntry_plus(req, buf + used, size - used, name,
					   &e, (off_t)(i + 1));
		if (n > size - used)
			break;
		used += n;
	}
	lane_put(l);
	/* what fitted before a bad entry is still an answer */
	if (err && !used)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, used);
	free(buf);
}

static void efuse_releasedir(fuse_req_t req, fuse_ino_t ino,
			     struct fuse_file_info *fi)
{
	efuse_dir_free((struct efuse_dir *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void efuse_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct efuse *ef = req_efuse(req);
	struct statvfs sv = {
		/* fields read-only after open: any lane will do */
		.f_bsize = ef->lanes[0].img.blksz,
		.f_frsize = ef->lanes[0].img.blksz,
		.f_blocks = ef->lanes[0].img.blocks,
		.f_files = ef->lanes[0].img.inos,
		.f_namemax = EROFS_NAME_LEN,
		.f_flag = ST_RDONLY,
	};

	fuse_reply_statfs(req, &sv);
}

/*
 * getxattr (name) and listxattr (name NULL): both answer with the size
 * when size is 0, else with the bytes; ENODATA and ERANGE are answers,
 * anything else is the image's fault (EIO, logged).
 */
static void efuse_xattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	static const int answers[] = { ENODATA, ERANGE, 0 };
	struct efuse *ef = req_efuse(req);
	struct efuse_lane *l;
	struct erofs_inode inode;
	char *buf = NULL;
	ssize_t ret = 0;
	int err;

	if (size) {
		buf = malloc(size);
		if (!buf) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
	}
	l = lane_get(ef);
	err = efuse_iget(ef, l, ino_to_nid(ef, ino), &inode);
	if (!err) {
		ret = name ? erofs_getxattr(&inode, name, buf, size) :
			     erofs_listxattr(&inode, buf, size);
		err = efuse_errno(ef, inode.nid,
				  name ? "getxattr" : "listxattr",
				  ret < 0 ? (int)ret : 0, answers);
	}
	lane_put(l);
	if (err)
		fuse_reply_err(req, err);
	else if (size)
		fuse_reply_buf(req, buf, (size_t)ret);
	else
		fuse_reply_xattr(req, (size_t)ret);
	free(buf);
}

static void efuse_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			   size_t size)
{
	efuse_xattr(req, ino, name, size);
}

static void efuse_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	efuse_xattr(req, ino, NULL, size);
}

/* what the kernel can do, before the first request */
static void efuse_init(void *userdata, struct fuse_conn_info *conn)
{
	struct efuse *ef = userdata;

#ifdef FUSE_CAP_NO_OPEN_SUPPORT
	ef->no_open = conn->capable & FUSE_CAP_NO_OPEN_SUPPORT;
#endif
}

static const struct fuse_lowlevel_ops efuse_ops = {
	.init = efuse_init,
	.lookup = efuse_lookup,
	.getattr = efuse_getattr,
	.readlink = efuse_readlink,
	.open = efuse_open,
	.read = efuse_read,
	.release = efuse_release,
	.opendir = efuse_opendir,
	.readdir = efuse_readdir,
	.readdirplus = efuse_readdirplus,
	.releasedir = efuse_releasedir,
	.statfs = efuse_statfs,
	.getxattr = efuse_getxattr,
	.listxattr = efuse_listxattr,
};

/* ---- options and main -------------------------------------------------- */

static void efuse_log_sink(void *priv, int level, const char *msg)
{
	struct efuse *ef = priv;

	if (ef->mute)
		return;
	if (ef->use_syslog)
		syslog(level == EROFS_LOG_ERR ? LOG_ERR :
		       level <= EROFS_LOG_WARN ? LOG_WARNING :
		       level <= EROFS_LOG_INFO ? LOG_INFO : LOG_DEBUG,
		       "%s", msg);
	else
		erofs_frontend_log_sink(&ef->fe, level, msg);
}

static int efuse_opt_proc(void *data, const char *arg, int key,
			  struct fuse_args *outargs)
{
	struct efuse *ef = data;
	const char *val;
	long long v = 0;

	switch (key) {
	case KEY_HELP:
		ef->help = true;
		return 0;
	case KEY_VERSION:
		ef->version = true;
		return 0;
	case KEY_DEVICE:
		if (ef->nr_devices == EROFS_MAX_DEVICES) {
			erofs_frontend_bad(&ef->fe, "more than %d --device", EROFS_MAX_DEVICES);
			ef->bad_args = true;
			return 0;
		}
		ef->devices[ef->nr_devices] = strdup(strchr(arg, '=') + 1);
		if (!ef->devices[ef->nr_devices++])
			ef->bad_args = true;
		return 0;
	case KEY_OFFSET:
	case KEY_DBGLEVEL:
		val = strchr(arg, '=') + 1;
		if (key == KEY_OFFSET) {
			if (erofs_cli_parse_int(val, 0, INT64_MAX, &v)) {
				erofs_frontend_bad(&ef->fe, "invalid offset '%s'", val);
				ef->bad_args = true;
			}
			ef->offset = (uint64_t)v;
		} else {
			if (erofs_cli_parse_int(val, 0, 9, &v)) {
				erofs_frontend_bad(&ef->fe, "invalid message level '%s'", val);
				ef->bad_args = true;
			}
			ef->log.level = (int)v;
		}
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		/* the first operand is ours; the mount point goes to FUSE */
		if (!ef->image) {
			ef->image = arg;
			return 0;
		}
		return 1;
	}
	return 1;
}

static void efuse_usage(struct efuse *ef)
{
	erofs_frontend_usage(&ef->fe, stdout);
	printf("\nFUSE options:\n");
	fflush(stdout);
	/* libfuse prints its option lists to stdout as well */
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

/*
 * The mount options every erofsfuse mount gets: read-only, permission
 * checks by the kernel from the image's modes (as the kernel's erofs
 * does; without it any user could read a 0600 file under allow_other),
 * and a source name in /proc/mounts.
 */
static int efuse_add_mount_opts(struct efuse *ef, struct fuse_args *args)
{
	char *name = NULL, *o = NULL;
	int ret = -ENOMEM;

	/* fsname's value with its commas and backslashes escaped */
	if (fuse_opt_add_opt_escaped(&name, ef->image))
		return ret;
	if (asprintf(&o, "-oro,default_permissions,subtype=erofs,fsname=%s",
		     name) >= 0 && !fuse_opt_add_arg(args, o))
		ret = 0;
	free(o);
	free(name);
	return ret;
}

/*
 * Open the image (and its --device files) once more for lane l.  The
 * first lane says why an image is refused; the others open the same
 * image again, so their messages would only repeat the first one's.
 */
static int efuse_lane_open(struct efuse *ef, struct efuse_lane *l)
{
	int ret;

	ret = -pthread_mutex_init(&l->lock, NULL);
	if (ret)
		return ret;
	l->lock_init = true;
	ret = erofs_io_open_file(&l->io, ef->image, O_RDONLY);
	if (ret) {
		fprintf(stderr, "<E> " PROG ": cannot open %s: %s\n", ef->image,
			strerror(-ret));
		return ret;
	}
	l->io_open = true;
	l->io.offset = ef->offset;
	ret = erofs_image_open(&l->img, &l->io, &ef->log, 0);
	if (ret) {
		const struct erofs_problem_info *pi =
			erofs_problem_lookup(l->img.problem);

		fprintf(stderr, "<E> " PROG ": [%s] %s: %s\n", pi->name,
			ef->image, pi->message);
		return ret;
	}
	l->img_open = true;
	/* data on a device not given reads as EIO */
	return erofs_frontend_open_devices(&ef->fe, &l->img,
					   (const char **)ef->devices,
					   ef->nr_devices, &l->dev_io);
}

static void efuse_lane_close(struct efuse *ef, struct efuse_lane *l)
{
	unsigned int i;

	for (i = 0; i < EFUSE_LANE_SESSIONS; i++)
		if (l->sessions[i].used)
			erofs_data_close(&l->sessions[i].data);
	if (l->img_open)
		erofs_image_release(&l->img);
	erofs_frontend_close_devices(l->dev_io, ef->nr_devices);
	if (l->io_open)
		erofs_io_close(&l->io);
	if (l->lock_init)
		pthread_mutex_destroy(&l->lock);
}

/* one lane per CPU, EFUSE_MAX_LANES at most; one when single-threaded */
static unsigned int efuse_nr_lanes(bool single)
{
	long n = single ? 1 : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > EFUSE_MAX_LANES ? EFUSE_MAX_LANES :
	       (unsigned int)n;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts = { 0 };
	struct fuse_session *se;
	struct efuse ef = { 0 };
	size_t i;
	int ret, rc = 1;

	ef.fe = (struct erofs_frontend){
		.prog = PROG, .usage = usage_head, .opts = opt_defs,
		.nr_opts = EROFS_ARRAY_SIZE(opt_defs),
	};
	erofs_log_init(&ef.log);
	ef.log.sink = efuse_log_sink;
	ef.log.priv = &ef;

	if (fuse_opt_parse(&args, &ef, fuse_opt_defs, efuse_opt_proc))
		goto out_args;
	if (ef.bad_args)
		goto out_args;
	if (ef.help) {
		efuse_usage(&ef);
		rc = 0;
		goto out_args;
	}
	if (ef.version) {
		printf(PROG " (erofs-tools) " PACKAGE_VERSION "\n");
		fflush(stdout);
		fuse_lowlevel_version();
		rc = 0;
		goto out_args;
	}
	if (fuse_parse_cmdline(&args, &opts))
		goto out_args;
	if (!ef.image || !opts.mountpoint) {
		erofs_frontend_bad(&ef.fe, "missing %s",
				   ef.image ? "MOUNTPOINT" : "IMAGE");
		goto out_opts;
	}

	/*
	 * Open the image before mounting, so that a bad image is an error
	 * on the terminal and an exit code, not an empty mount.
	 */
	ef.nr_lanes = efuse_nr_lanes(opts.singlethread);
	for (i = 0; i < ef.nr_lanes; i++) {
		ef.mute = i > 0;
		ret = efuse_lane_open(&ef, &ef.lanes[i]);
		ef.mute = false;
		if (ret)
			goto out_lanes;
	}
	ef.root_nid = ef.lanes[0].img.root_nid;
	if (efuse_add_mount_opts(&ef, &args)) {
		fprintf(stderr, "<E> " PROG ": out of memory\n");
		goto out_lanes;
	}

	se = fuse_session_new(&args, &efuse_ops, sizeof(efuse_ops), &ef);
	if (!se)
		goto out_lanes;	/* libfuse said why */
	if (fuse_set_signal_handlers(se))
		goto out_session;
	if (fuse_session_mount(se, opts.mountpoint))
		goto out_signals;
	if (!opts.foreground) {
		openlog(PROG, LOG_PID, LOG_DAEMON);
		ef.use_syslog = true;
	}
	if (fuse_daemonize(opts.foreground))
		goto out_unmount;
	if (opts.singlethread) {
		rc = fuse_session_loop(se) ? 1 : 0;
	} else if (!opts.clone_fd && opts.max_idle_threads == UINT_MAX) {
		/*
		 * nothing asked for: libfuse's defaults (passing its "unset"
		 * idle-thread count through the old config struct makes
		 * libfuse 3.14 print a warning at every mount)
		 */
		rc = fuse_session_loop_mt(se, NULL) ? 1 : 0;
	} else {
		struct fuse_loop_config lc = {
			.clone_fd = opts.clone_fd,
			.max_idle_threads = opts.max_idle_threads,
		};

		rc = fuse_session_loop_mt(se, &lc) ? 1 : 0;
	}
out_unmount:
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_lanes:
	for (i = 0; i < ef.nr_lanes; i++)
		efuse_lane_close(&ef, &ef.lanes[i]);
out_opts:
	free(opts.mountpoint);
out_args:
	fuse_opt_free_args(&args);
	for (i = 0; i < ef.nr_devices; i++)
		free(ef.devices[i]);
	return rc;
}
