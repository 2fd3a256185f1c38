#!/bin/sh
# Fetch Lua 5.3.6 from Debian's lua5.3 source package into kmod/lua/lua-5.3.6
# (ignored by git), verify the orig tarball before anything is extracted, and
# apply kscript's patches (patches/*.patch).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest="$here/lua-5.3.6"
sha256=fc5fd69bb8736323f026672b1b7235da613d7177e72558893a0bdcd320466d60
tarball=lua5.3_5.3.6.orig.tar.gz
stamp=$(cat "$here"/patches/*.patch | sha256sum | cut -c1-16)

[ "$(cat "$dest/.verified" 2>/dev/null)" = "$stamp" ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fetch() {
	apt-get source --download-only lua5.3=5.3.6-2 >>apt.log 2>&1 ||
		apt-get source --download-only lua5.3 >>apt.log 2>&1
}
# Stale package lists (root only): refresh them once and retry.
if ! fetch && ! { [ "$(id -u)" = 0 ] && apt-get update -q >>apt.log 2>&1 && fetch; }; then
	cat apt.log >&2
	echo "fetch.sh: apt-get source lua5.3 failed; needs a deb-src entry" \
	     "(test/kernel/vm/provision.sh adds one)" >&2
	exit 1
fi
echo "$sha256  $tarball" | sha256sum -c --quiet
rm -rf "$dest"
tar -xzf "$tarball" -C "$work"
for p in "$here"/patches/*.patch; do
	patch -s -d "$work/lua-5.3.6" -p1 <"$p"
done
mv "$work/lua-5.3.6" "$dest"
echo "$stamp" >"$dest/.verified"
