// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * cli.c - option tables for the front ends (see erofs/cli.h).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "erofs/array.h"
#include "erofs/cli.h"
#include "erofs/import.h"
#include "erofs/mkfs.h"

int erofs_cli_getopt_tables(const struct erofs_cli_opt *defs, size_t n,
			    struct option **longs, char **shorts)
{
	struct option *l = calloc(n + 1, sizeof(*l));
	char *s = malloc(3 * n + 2), *p = s;
	size_t i, nl = 0;

	if (!l || !s) {
		free(l);
		free(s);
		return -ENOMEM;
	}
	*p++ = ':';
	for (i = 0; i < n; i++) {
		if (defs[i].name)
			l[nl++] = (struct option){ defs[i].name,
				defs[i].has_arg, NULL, defs[i].val };
		if (defs[i].val > 0 && defs[i].val < 256) {
			*p++ = (char)defs[i].val;
			if (defs[i].has_arg == required_argument)
				*p++ = ':';
			else if (defs[i].has_arg == optional_argument) {
				*p++ = ':';
				*p++ = ':';
			}
		}
	}
	*p = '\0';
	*longs = l;
	*shorts = s;
	return 0;
}

char *erofs_cli_help(const struct erofs_cli_opt *defs, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	size_t i;

	if (!f)
		return NULL;
	for (i = 0; i < n; i++) {
		const struct erofs_cli_opt *o = &defs[i];
		bool sh = o->val > 0 && o->val < 256;
		char head[64];
		int k;

		k = snprintf(head, sizeof(head), sh ? "-%c%s" : "    ",
			     sh ? o->val : 0, sh && o->name ? ", " : "");
		if (o->name)
			snprintf(head + k, sizeof(head) - k, "--%s%s%s", o->name,
				 o->has_arg == required_argument ? "=" : "",
				 o->arg ? o->arg : "");
		else if (o->arg)
			snprintf(head + k, sizeof(head) - k, " %s", o->arg);
		fprintf(f, "  %-30s %s\n", head, o->help);
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int erofs_cli_parse_int(const char *s, long long lo, long long hi,
			long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 0);
	return (errno || end == s || *end || *v < lo || *v > hi) ? -EINVAL : 0;
}

int erofs_cli_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long n;
	const char *p = s;
	char *end;

	/* strtoull takes "-1" as 2^64 - 1 */
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-' || *p == '+')
		return -EINVAL;
	errno = 0;
	n = strtoull(p, &end, 0);
	if (errno || end == p || *end)
		return -EINVAL;
	*v = n;
	return 0;
}

int erofs_cli_parse_size(const char *s, long long lo, long long hi,
			 long long *v)
{
	unsigned int shift = 0;
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 0);
	if (errno || end == s || *v < 0)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || *v > (LLONG_MAX >> shift))
		return -EINVAL;
	*v <<= shift;
	return (*v < lo || *v > hi) ? -EINVAL : 0;
}

int erofs_cli_push_str(const char ***arr, size_t *n, size_t *cap,
		       const char *s)
{
	int ret = erofs_array_reserve(arr, cap, *n + 2);

	if (ret)
		return ret;
	(*arr)[(*n)++] = s;
	(*arr)[*n] = NULL;
	return 0;
}

int erofs_cli_mkfs_extended(struct erofs_mkfs_params *mk,
			    struct erofs_import_params *imp, char *opts,
			    const char **bad)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(opts, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		bool neg = *tok == '^';
		const char *k = tok + neg;

		if (!strcmp(k, "force-inode-compact")) {
			mk->inode_form = neg ? EROFS_FORM_AUTO :
					       EROFS_FORM_COMPACT;
			/* as erofs-utils: compact inodes cannot keep mtimes */
			imp->ignore_mtime |= !neg;
		} else if (!strcmp(k, "force-inode-extended")) {
			mk->inode_form = neg ? EROFS_FORM_AUTO :
					       EROFS_FORM_EXTENDED;
		} else if (!strcmp(k, "noinline_data")) {
			mk->noinline_data = !neg;
		} else if (!strcmp(k, "inline_data")) {
			mk->noinline_data = neg;
		} else if (!strcmp(k, "nosbcrc")) {
			mk->sb_checksum = neg;
		} else if (!strcmp(k, "xattr-name-filter")) {
			mk->xattr_filter = !neg;
		} else if (!strcmp(k, "legacy-compress")) {
			mk->legacy_compress = !neg;
		} else if (!strcmp(k, "ztailpacking")) {
			mk->ztailpacking = !neg;
		} else if (!strcmp(k, "fragments") ||
			   !strncmp(k, "fragments=", 10)) {
			long long v = 0;

			/* a known option with a bad value: -ERANGE, so the
			 * message can say what is wrong with it */
			if (k[9] == '=' && (neg ||
			    erofs_cli_parse_size(k + 10, 512, 1 << 20, &v))) {
				*bad = tok;
				return -ERANGE;
			}
			mk->fragments = !neg;
			mk->all_fragments &= !neg;
			mk->packed_pcluster = (uint32_t)v;
		} else if (!strcmp(k, "force-inode-blockmap") ||
			   !strcmp(k, "force-chunk-indexes")) {
			mk->chunk_form = neg ? EROFS_CHUNK_AUTO :
				k[6] == 'i' ? EROFS_CHUNK_BLOCKMAP :
					      EROFS_CHUNK_INDEXES;
		} else if (!strcmp(k, "dedupe")) {
			mk->dedupe = !neg;
		} else if (!strcmp(k, "fragdedupe") ||
			   !strncmp(k, "fragdedupe=", 11)) {
			/* as erofs-utils: any value but "inode" means full */
			if (neg && k[10]) {
				*bad = tok;
				return -ERANGE;
			}
			mk->fragdedupe = neg ? EROFS_FRAGDEDUPE_OFF :
				!strcmp(k, "fragdedupe=inode") ?
				EROFS_FRAGDEDUPE_INODE : EROFS_FRAGDEDUPE_FULL;
		} else if (!strcmp(k, "48bit")) {
			mk->b48 = !neg;
		} else if (!strcmp(k, "dot-omitted")) {
			mk->dot_omitted = !neg;
		} else if (!strcmp(k, "plain-xattr-prefixes") && !neg) {
			mk->plain_xattr_prefixes = true;
		} else if (!strcmp(k, "all-fragments")) {
			mk->all_fragments = !neg;
			mk->fragments |= !neg;
		} else {
			*bad = tok;
			return -EINVAL;
		}
	}
	return 0;
}
