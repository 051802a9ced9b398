#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
"""layer-diff.py OLD NEW OUT.tar: the overlay layer that turns tree OLD
into tree NEW, as an aufs tar (what container image layers are): every
entry of NEW that OLD lacks or has otherwise (type, mode, owner, mtime,
content, link target, xattrs), its parent directories, and a .wh.NAME
whiteout for every name of OLD that NEW lacks."""
import os
import stat
import sys
import tarfile


def xattrs(p):
    try:
        return {n: os.getxattr(p, n, follow_symlinks=False)
                for n in os.listxattr(p, follow_symlinks=False)}
    except OSError:
        return {}


def same(a, b):
    sa, sb = os.lstat(a), os.lstat(b)
    if (stat.S_IFMT(sa.st_mode) != stat.S_IFMT(sb.st_mode) or
            sa.st_mode != sb.st_mode or sa.st_uid != sb.st_uid or
            sa.st_gid != sb.st_gid or xattrs(a) != xattrs(b)):
        return False
    if int(sa.st_mtime) != int(sb.st_mtime):
        return False
    if stat.S_ISDIR(sa.st_mode):
        return True
    if stat.S_ISLNK(sa.st_mode):
        return os.readlink(a) == os.readlink(b)
    if stat.S_ISREG(sa.st_mode):
        if sa.st_size != sb.st_size:
            return False
        with open(a, 'rb') as fa, open(b, 'rb') as fb:
            while True:
                x, y = fa.read(1 << 20), fb.read(1 << 20)
                if x != y:
                    return False
                if not x:
                    return True
    return sa.st_rdev == sb.st_rdev


def main():
    old, new, out = sys.argv[1:4]
    add, wh = [], []
    for root, dirs, files in os.walk(new):
        dirs.sort()
        rel = os.path.relpath(root, new)
        for n in sorted(dirs + files):
            r = os.path.normpath(os.path.join(rel, n))
            o = os.path.join(old, r)
            if not os.path.lexists(o) or not same(o, os.path.join(new, r)):
                add.append(r)
    for root, dirs, files in os.walk(old):
        rel = os.path.relpath(root, old)
        for n in sorted(dirs + files):
            r = os.path.normpath(os.path.join(rel, n))
            if not os.path.lexists(os.path.join(new, r)):
                wh.append(r)
                if n in dirs:
                    dirs.remove(n)
    need = set()
    for r in add + wh:
        d = os.path.dirname(r)
        while d:
            need.add(d)
            d = os.path.dirname(d)
    with tarfile.open(out, 'w', format=tarfile.PAX_FORMAT) as t:
        done = set()
        for r in sorted(need | set(add)):
            if r in done:
                continue
            done.add(r)
            t.add(os.path.join(new, r), arcname=r, recursive=False)
        for r in wh:
            d, n = os.path.split(r)
            ti = tarfile.TarInfo(os.path.join(d, '.wh.' + n))
            t.addfile(ti)
    print(f'{len(add)} added or changed, {len(wh)} removed', file=sys.stderr)


main()
