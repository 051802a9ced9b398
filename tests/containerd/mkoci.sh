#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
#
# mkoci.sh OUT.tar NAME TAR... - write an OCI image layout archive (what
# `ctr image import` reads) from uncompressed layer tars, bottom layer
# first: oci-layout, index.json (the image named NAME through the
# io.containerd.image.name annotation), one manifest, a config whose
# rootfs.diff_ids are the SHA-256 of the uncompressed tars, and the layers
# gzip'ed (gzip -n: no name or time, so the blobs are reproducible).
# linux/amd64 only.  No registry is involved.
set -eu
out=$1 name=$2
shift 2
dir=$(mktemp -d "${TMPDIR:-/tmp}/mkoci.XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/blobs/sha256"

# blob FILE: move FILE into blobs/, print "DIGEST SIZE"
blob() {
	_d=$(sha256sum "$1" | cut -d' ' -f1)
	_s=$(stat -c %s "$1")
	mv "$1" "$dir/blobs/sha256/$_d"
	echo "$_d $_s"
}

diff_ids='' layers=''
for t in "$@"; do
	did=$(sha256sum "$t" | cut -d' ' -f1)
	gzip -n -c "$t" >"$dir/layer.gz"
	# shellcheck disable=SC2046 # "DIGEST SIZE" splits on purpose
	set -- $(blob "$dir/layer.gz")
	diff_ids="$diff_ids${diff_ids:+,}\"sha256:$did\""
	layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$1\",\"size\":$2}"
done

printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
	"$diff_ids" >"$dir/config.json"
# shellcheck disable=SC2046
set -- $(blob "$dir/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
	"$1" "$2" "$layers" >"$dir/manifest.json"
# shellcheck disable=SC2046
set -- $(blob "$dir/manifest.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
	"$1" "$2" "$name" "${name##*:}" >"$dir/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
tar --format=pax --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	-C "$dir" -cf "$out" oci-layout index.json blobs
