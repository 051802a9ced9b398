// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * array.c - growable arrays (include/erofs/array.h).
 */
#include <stdlib.h>
#include <string.h>
#include "erofs/array.h"

int erofs_array_grow(void **arr, size_t *cap, size_t need, size_t elsize,
		     bool zero)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	/* doubling keeps appends amortised O(1) */
	ncap = *cap > SIZE_MAX / 2 ? SIZE_MAX : *cap * 2;
	ncap = EROFS_MAX(ncap, EROFS_MAX(need, (size_t)16));
	if (!elsize || ncap > SIZE_MAX / elsize)
		return -ENOMEM;
	n = realloc(*arr, ncap * elsize);
	if (!n)
		return -ENOMEM;
	if (zero)
		memset((char *)n + *cap * elsize, 0, (ncap - *cap) * elsize);
	*arr = n;
	*cap = ncap;
	return 0;
}
