// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/* super.c - stub, to be written */
#include "erofs/defs.h"
