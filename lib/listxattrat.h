/* SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0 */
/*
 * listxattrat.h - the number of listxattrat(2) where the headers lack it
 * (private to lib/ and its tests).
 */
#ifndef __EROFS_LISTXATTRAT_H
#define __EROFS_LISTXATTRAT_H

#include <sys/syscall.h>

/*
 * listxattrat(2), Linux 6.13: the xattr names of a directory entry by
 * name, without following it.  C libraries do not wrap it yet, nor do
 * older kernel headers define its number, which is the same on every
 * architecture listed (new calls share one table; mips and alpha shift
 * it, x32 flags it).
 */
#if !defined(__NR_listxattrat) && \
    ((defined(__x86_64__) && !defined(__ILP32__)) || defined(__i386__) || \
     defined(__aarch64__) || defined(__arm__) || defined(__riscv) || \
     defined(__loongarch__) || defined(__powerpc__) || defined(__s390__))
#define __NR_listxattrat 465
#endif
/*
 * A seccomp allowlist that kills on calls it does not list would kill the
 * walk here; systemd's and the container runtimes' answer ENOSYS or EPERM
 * for calls newer than they know, which the walk takes as "not there".
 */

#endif
