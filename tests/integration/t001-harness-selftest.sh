#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# t001-harness-selftest - the round-trip checks are only as good as the
# tree tools, so check them first:
#   - gentree is deterministic (same seed, same digest) and seeds differ;
#   - gentree --copy gives the same digest (it only changes creation order);
#   - treedigest notices every kind of change it is meant to compare: one
#     content byte, size, mode, owner, mtime nanoseconds, an xattr value, a
#     symlink target, a device number, a split hard link;
#   - treedigest --check-fingerprint rejects a missing or wrong value;
#   - gentree rejects a bad manifest with the line number.
# Needs root (gentree), no mount.
. "$(dirname "$0")/lib.sh"

need_root
need_tools

d=$T_TMP
dig() { "$TREEDIGEST" "$@"; }

gentree_run "$d/a" --seed 7 --files 120 >/dev/null &&
gentree_run "$d/b" --seed 7 --files 120 >/dev/null &&
gentree_run "$d/c" --seed 8 --files 120 >/dev/null || { fail gentree-runs "$T_WHY"; finish; }
dig "$d/a" >"$d/a.dig" && dig "$d/b" >"$d/b.dig" && dig "$d/c" >"$d/c.dig"
if cmp -s "$d/a.dig" "$d/b.dig"; then
	pass "gentree same seed same tree"
else
	fail "gentree same seed same tree" "seed 7 gave two different digests"
fi
if cmp -s "$d/a.dig" "$d/c.dig"; then
	fail "gentree seeds differ" "seeds 7 and 8 gave the same tree"
else
	pass "gentree seeds differ"
fi

if gentree_run "$d/copy" --copy "$d/a" >/dev/null && dig "$d/copy" >"$d/copy.dig" &&
   cmp -s "$d/a.dig" "$d/copy.dig"; then
	pass "gentree --copy same digest"
else
	fail "gentree --copy same digest" "$(diff "$d/a.dig" "$d/copy.dig" 2>&1 | head -n 2 | tr '\n' ' ')"
fi

# mutate MUTATION-NAME COMMAND...: run COMMAND in a fresh manifest tree;
# the digest must change
cat >"$d/m.manifest" <<'MANIFEST'
d . mtime=1700000000
f file rand=5000 mtime=1700000000.5
f other text=x
h link target=file
l sym target=file
c dev dev=1:3
x other user.k v
MANIFEST
gentree_run "$d/m0" --manifest "$d/m.manifest" >/dev/null || { fail manifest "$T_WHY"; finish; }
dig "$d/m0" >"$d/m0.dig"
mutate() {
	_name=$1
	shift
	gentree_run "$d/m1" --manifest "$d/m.manifest" >/dev/null
	(cd "$d/m1" && eval "$*") || { fail "treedigest sees $_name" "mutation failed: $*"; return; }
	# restore the root's mtime, which creating or removing names changed
	touch -m -d @1700000000 "$d/m1"
	dig "$d/m1" >"$d/m1.dig"
	if cmp -s "$d/m0.dig" "$d/m1.dig"; then
		fail "treedigest sees $_name" "digest unchanged after: $*"
	else
		pass "treedigest sees $_name"
	fi
}
keep() { touch -m -d @1700000000.5 file; }
mutate "content byte" 'printf X | dd of=file bs=1 seek=4000 conv=notrunc 2>/dev/null; keep'
mutate "size" 'truncate -s 5001 file; keep'
mutate "mode" 'chmod 0600 file'
mutate "uid" 'chown 1:0 file'
mutate "gid" 'chown 0:1 file'
mutate "mtime nsec" 'touch -m -d @1700000000.500000001 file'
mutate "xattr value" 'setfattr -n user.k -v w other'
mutate "new xattr" 'setfattr -n trusted.new -v 1 other'
mutate "symlink target" 'rm sym && ln -s filf sym && touch -h -m -d @1700000000 sym'
mutate "device number" 'rm dev && mknod dev c 1 5 && chmod 0644 dev && touch -m -d @1700000000 dev'
mutate "split hard link" 'cp -p file link.new && rm link && mv link.new link'

# fingerprints: a correct value passes, a wrong or missing one fails
fp=trusted.erofs.fingerprint
gentree_run "$d/f" --manifest "$d/m.manifest" >/dev/null
sum=$(sha256sum "$d/f/file" | cut -d' ' -f1)
setfattr -n $fp -v "0x$(printf 'sha256:' | od -An -tx1 | tr -d ' \n')$sum" "$d/f/file"
sum2=$(sha256sum "$d/f/other" | cut -d' ' -f1)
setfattr -n $fp -v "0x$(printf 'sha256:' | od -An -tx1 | tr -d ' \n')$sum2" "$d/f/other"
if dig --check-fingerprint $fp "$d/f" >/dev/null 2>"$d/fp.err"; then
	pass "fingerprint check accepts correct values"
else
	fail "fingerprint check accepts correct values" "$(head -n 1 "$d/fp.err")"
fi
setfattr -n $fp -v "0x$(printf 'sha256:' | od -An -tx1 | tr -d ' \n')$sum" "$d/f/other"
if dig --check-fingerprint $fp "$d/f" >/dev/null 2>"$d/fp.err"; then
	fail "fingerprint check rejects a wrong value" "accepted"
else
	pass "fingerprint check rejects a wrong value"
fi
setfattr -x $fp "$d/f/other"
if dig --check-fingerprint $fp "$d/f" >/dev/null 2>"$d/fp.err" ||
   ! grep -q 'other: fingerprint .* missing' "$d/fp.err"; then
	fail "fingerprint check rejects a missing value" "$(head -n 1 "$d/fp.err")"
else
	pass "fingerprint check rejects a missing value"
fi

printf 'd .\nf a text=1\nq b\n' >"$d/bad.manifest"
if "$GENTREE" --manifest "$d/bad.manifest" "$d/bad" >/dev/null 2>"$d/bad.err"; then
	fail "gentree rejects a bad manifest" "accepted an unknown type"
elif grep -q 'line 3' "$d/bad.err"; then
	pass "gentree rejects a bad manifest"
else
	fail "gentree rejects a bad manifest" "no line number: $(head -n 1 "$d/bad.err")"
fi

finish
