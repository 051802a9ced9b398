// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/* fsck.erofs - stub front end, to be written */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "fsck.erofs: not implemented yet\n");
	return 8;
}
