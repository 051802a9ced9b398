/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * array.h - growable arrays: one place that decides how an array grows
 * (doubling, a small first allocation, overflow checks), so that the
 * callers only say how many elements they need.
 *
 *	struct thing *v = NULL; size_t nr = 0, cap = 0;
 *	if ((ret = erofs_array_reserve(&v, &cap, nr + 1)))
 *		return ret;
 *	v[nr++] = t;
 */
#ifndef __EROFS_ARRAY_H
#define __EROFS_ARRAY_H

#include "erofs/defs.h"

/*
 * Make room for at least `need` elements of `elsize` bytes in *arr, whose
 * capacity is *cap elements.  Grows to max(need, 2 * *cap, 16); the new
 * elements are not initialised (zeroed with erofs_array_reserve_zero).
 * On failure *arr and *cap are unchanged.  0 or -ENOMEM (also for a size
 * that would overflow).
 */
int erofs_array_grow(void **arr, size_t *cap, size_t need, size_t elsize,
		     bool zero);

#define erofs_array_reserve(arrp, capp, need) \
	erofs_array_grow((void **)(arrp), (capp), (need), sizeof(**(arrp)), \
			 false)
#define erofs_array_reserve_zero(arrp, capp, need) \
	erofs_array_grow((void **)(arrp), (capp), (need), sizeof(**(arrp)), \
			 true)

#endif
