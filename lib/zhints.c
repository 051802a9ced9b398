// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * zhints.c - the --compress-hints file: parse, compile, match.
 */
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "erofs/array.h"
#include "erofs/compress.h"
#include "erofs/zhints.h"

struct erofs_zhints_rule {
	regex_t re;
	struct erofs_zhint hint;
};

struct erofs_zhints {
	struct erofs_zhints_rule *rules;
	size_t nr, cap;
	uint32_t pcluster_max;	/* -C, raised to the largest rule */
};

/* where the line being parsed comes from, for messages */
struct erofs_zhints_line {
	const char *name;
	unsigned int lineno;
	struct erofs_log *log;
};

static bool zh_blank(char c)
{
	/* mkfs.erofs splits tokens on spaces and tabs only */
	return c == ' ' || c == '\t';
}

static char *zh_skip_blanks(char *s)
{
	while (zh_blank(*s))
		s++;
	return s;
}

static char *zh_token_end(char *s)
{
	while (*s && !zh_blank(*s))
		s++;
	return s;
}

/* a whole token of decimal digits into *val; false if not a number or
 * above max (atoi in mkfs.erofs would turn "4k" into 4 and "x" into 0) */
static bool zh_parse_uint(const char *tok, uint64_t max, uint64_t *val)
{
	uint64_t v = 0;

	if (!*tok)
		return false;
	for (; *tok; tok++) {
		if (*tok < '0' || *tok > '9')
			return false;
		v = v * 10 + (uint64_t)(*tok - '0');
		if (v > max)
			return false;
	}
	*val = v;
	return true;
}

static int zh_add_rule(struct erofs_zhints *h, const struct erofs_zhints_line *l,
		       const char *pattern, const struct erofs_zhint *hint)
{
	struct erofs_zhints_rule *r;
	char msg[256];
	int ret;

	if (erofs_array_reserve(&h->rules, &h->cap, h->nr + 1))
		return -ENOMEM;
	r = &h->rules[h->nr];
	/* the same flags as mkfs.erofs: ERE, match/no-match only */
	ret = regcomp(&r->re, pattern, REG_EXTENDED | REG_NOSUB);
	if (ret == REG_ESPACE)
		return -ENOMEM;
	/* after a failed regcomp only regerror may look at r->re */
	if (ret) {
		regerror(ret, &r->re, msg, sizeof(msg));
		erofs_err(l->log, "%s:%u: invalid regular expression \"%s\": %s",
			  l->name, l->lineno, pattern, msg);
		return -EINVAL;
	}
	r->hint = *hint;
	h->nr++;
	return 0;
}

/*
 * Parse one line (NUL-terminated, newline removed).  Returns 0 for a rule
 * or a skipped line, -EINVAL for a bad line (logged), -ENOMEM.
 */
static int zh_parse_line(struct erofs_zhints *h,
			 const struct erofs_zhints_line *l,
			 char *s, unsigned int nr_algs, unsigned int blksz,
			 uint32_t limit, unsigned int *max_line)
{
	struct erofs_zhint hint = { .line = l->lineno };
	char *size_tok, *tok2, *rest, *end;
	uint64_t v;
	size_t n;

	/*
	 * Trailing blanks (and the '\r' of CRLF files) would become part of
	 * the pattern in mkfs.erofs and silently stop it from matching;
	 * a pattern that needs a trailing space can say "[ ]".
	 */
	n = strlen(s);
	while (n && (zh_blank(s[n - 1]) || s[n - 1] == '\r'))
		s[--n] = '\0';
	s = zh_skip_blanks(s);
	/* mkfs.erofs only knows '#' in column 1; an indented one is meant
	 * as a comment too (no size can start with '#') */
	if (!*s || *s == '#')
		return 0;

	size_tok = s;
	end = zh_token_end(s);
	rest = zh_skip_blanks(end);
	*end = '\0';
	if (!zh_parse_uint(size_tok, UINT32_MAX, &v)) {
		erofs_err(l->log, "%s:%u: pcluster size \"%s\" is not a number of bytes",
			  l->name, l->lineno, size_tok);
		return -EINVAL;
	}
	hint.pcluster_size = (uint32_t)v;
	if (!*rest) {
		erofs_err(l->log, "%s:%u: missing pattern after pcluster size %s",
			  l->name, l->lineno, size_tok);
		return -EINVAL;
	}

	/*
	 * Two fields are SIZE PATTERN, three or more SIZE INDEX PATTERN
	 * where PATTERN is the rest of the line (mkfs.erofs decides the same
	 * way).  So a pattern with blanks needs an explicit index.
	 */
	tok2 = rest;
	end = zh_token_end(tok2);
	rest = zh_skip_blanks(end);
	if (*rest) {
		*end = '\0';
		if (!zh_parse_uint(tok2, UINT_MAX, &v)) {
			erofs_err(l->log,
				  "%s:%u: algorithm index \"%s\" is not a number (a pattern containing blanks needs an explicit index before it)",
				  l->name, l->lineno, tok2);
			return -EINVAL;
		}
		if (v >= nr_algs) {
			erofs_err(l->log,
				  "%s:%u: algorithm index %s is out of range: -z gives %u algorithm%s",
				  l->name, l->lineno, tok2, nr_algs,
				  nr_algs == 1 ? "" : "s");
			return -EINVAL;
		}
		hint.alg = (unsigned int)v;
	} else {
		rest = tok2;
	}

	/* mkfs.erofs warns and drops such a line, so the default (or a later
	 * rule) silently applies to the files it names */
	if (hint.pcluster_size % blksz) {
		erofs_err(l->log,
			  "%s:%u: pcluster size %u is not a multiple of the block size %u",
			  l->name, l->lineno, hint.pcluster_size, blksz);
		return -EINVAL;
	}
	/* mkfs.erofs raises -C to this and then fails as a whole */
	if (hint.pcluster_size > limit) {
		erofs_err(l->log, "%s:%u: pcluster size %u is larger than %u (at most 1 MiB and 2047 blocks)",
			  l->name, l->lineno, hint.pcluster_size, limit);
		return -EINVAL;
	}
	if (hint.pcluster_size > h->pcluster_max) {
		h->pcluster_max = hint.pcluster_size;
		*max_line = l->lineno;
	}
	return zh_add_rule(h, l, rest, &hint);
}

int erofs_zhints_parse(struct erofs_zhints **out, const char *text,
		       size_t len, const char *name, unsigned int nr_algs,
		       unsigned int blksz, uint32_t pcluster_max,
		       struct erofs_log *log)
{
	struct erofs_zhints_line l = { .name = name ? name : "(hints)",
				       .log = log };
	uint32_t given, limit;
	unsigned int max_line = 0, bad = 0;
	struct erofs_zhints *h;
	size_t pos = 0, buf_cap = 0;
	char *buf = NULL;
	int ret = 0;

	*out = NULL;
	if (!blksz || (blksz & (blksz - 1))) {
		erofs_err(log, "%s: invalid block size %u", l.name, blksz);
		return -EINVAL;
	}
	if (!text)
		len = 0;
	/* CBLKCNT holds 11 bits; the kernel reads at most 1 MiB per pcluster */
	limit = EROFS_MIN(EROFS_Z_PCLUSTER_MAX, 2047U * blksz);
	given = pcluster_max ? pcluster_max : blksz;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->pcluster_max = given;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = (nl ? (size_t)(nl - text) : len) - pos;

		l.lineno++;
		if (memchr(text + pos, '\0', n)) {
			erofs_err(log, "%s:%u: line contains a NUL byte",
				  l.name, l.lineno);
			bad++;
			pos += n + 1;
			continue;
		}
		ret = erofs_array_reserve(&buf, &buf_cap, n + 1);
		if (ret)
			goto out_free;
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos += n + 1;

		ret = zh_parse_line(h, &l, buf, nr_algs, blksz, limit,
				    &max_line);
		if (ret == -EINVAL) {
			/* keep going: report every bad line at once */
			bad++;
			ret = 0;
		} else if (ret) {
			goto out_free;
		}
	}
	if (bad) {
		erofs_err(log, "%s: %u invalid line%s", l.name, bad,
			  bad == 1 ? "" : "s");
		ret = -EINVAL;
		goto out_free;
	}
	if (h->pcluster_max > given)
		erofs_warn(log,
			   "%s:%u: pcluster size %u exceeds -C %u; the maximum pcluster size is raised to %u",
			   l.name, max_line, h->pcluster_max, given,
			   h->pcluster_max);
	if (h->nr && !nr_algs)
		erofs_warn(log, "%s: compress hints have no effect without -z",
			   l.name);
	free(buf);
	*out = h;
	return 0;

out_free:
	free(buf);
	erofs_zhints_free(h);
	return ret;
}

int erofs_zhints_load(struct erofs_zhints **out, const char *path,
		      unsigned int nr_algs, unsigned int blksz,
		      uint32_t pcluster_max, struct erofs_log *log)
{
	size_t len = 0, cap = 0;
	char *text = NULL;
	ssize_t n;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		erofs_err(log, "cannot open compress hints %s: %s", path,
			  strerror(-ret));
		return ret;
	}
	/* read to EOF rather than trusting st_size (pipes, /proc files) */
	for (;;) {
		/* at least 4 KiB per read() */
		ret = erofs_array_reserve(&text, &cap, len + 4096);
		if (ret)
			goto out_close;
		n = read(fd, text + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			erofs_err(log, "cannot read compress hints %s: %s",
				  path, strerror(-ret));
			goto out_close;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	ret = erofs_zhints_parse(out, text, len, path, nr_algs, blksz,
				 pcluster_max, log);
out_close:
	close(fd);
	free(text);
	return ret;
}

const struct erofs_zhint *erofs_zhints_match(const struct erofs_zhints *h,
					     const char *relpath)
{
	size_t i;

	if (!h || !relpath)
		return NULL;
	/* regexec only reads the compiled pattern: no lock needed.  An
	 * error other than REG_NOMATCH counts as no match, as in mkfs.erofs */
	for (i = 0; i < h->nr; i++)
		if (!regexec(&h->rules[i].re, relpath, 0, NULL, 0))
			return &h->rules[i].hint;
	return NULL;
}

uint32_t erofs_zhints_pcluster_max(const struct erofs_zhints *h)
{
	return h ? h->pcluster_max : 0;
}

size_t erofs_zhints_count(const struct erofs_zhints *h)
{
	return h ? h->nr : 0;
}

void erofs_zhints_free(struct erofs_zhints *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->nr; i++)
		regfree(&h->rules[i].re);
	free(h->rules);
	free(h);
}
