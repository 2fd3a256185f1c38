#!/bin/sh
# Fetch Lua 5.3.6 from Debian's lua5.3 source package into DEST (default
# kmod/lua/lua-5.3.6, ignored by git), verify the orig tarball before anything
# is extracted, and apply kscript's patches (patches/*.patch). With DOWNLOADS,
# the verified tarball is kept there and taken from there next time (a machine
# without network, such as the VM's guest, gets it from its host).
# Usage: fetch.sh [DEST [DOWNLOADS]]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-$here/lua-5.3.6}
downloads=${2:-}
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
if [ -n "$downloads" ] && [ -f "$downloads/$tarball" ]; then
	cp "$downloads/$tarball" .
# Stale package lists (root only): refresh them once and retry.
elif ! fetch && ! { [ "$(id -u)" = 0 ] && apt-get update -q >>apt.log 2>&1 && fetch; }; then
	cat apt.log >&2
	echo "fetch.sh: apt-get source lua5.3 failed; needs a deb-src entry" \
	     "(vm/provision.sh adds one)" >&2
	exit 1
fi
echo "$sha256  $tarball" | sha256sum -c --quiet
if [ -n "$downloads" ]; then
	mkdir -p "$downloads"
	cp "$tarball" "$downloads/$tarball.tmp"
	mv "$downloads/$tarball.tmp" "$downloads/$tarball"
fi
rm -rf "$dest"
tar -xzf "$tarball" -C "$work"
for p in "$here"/patches/*.patch; do
	patch -s -d "$work/lua-5.3.6" -p1 <"$p"
done
mkdir -p "$(dirname "$dest")"
mv "$work/lua-5.3.6" "$dest"
echo "$stamp" >"$dest/.verified"
