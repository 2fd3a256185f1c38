#!/bin/sh
# Extract what kscript's module builds take from Linux 6.1 into DEST (default
# kmod/linux/, ignored by git), in one pass over Debian's linux-source-6.1
# tarball: decompressing it is the slowest part of a first build on a slow
# machine, so it is done once per linux-source version, not once per module.
# Takes: resolve_btfids' sources and scripts/extract-vmlinux (module BTF,
# build.sh), net/tls (tls/build.sh), crypto/sm4*.c (sm4/build.sh).
# Usage: linux-source.sh [DEST]. Callers that share DEST hold a lock.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-$here/linux}
tarball=/usr/src/linux-source-6.1.tar.xz

[ -f "$tarball" ] || { echo "linux-source.sh: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 1; }
stamp=$(dpkg-query -W -f '${Version}' linux-source-6.1)
[ "$(cat "$dest/.version" 2>/dev/null)" = "$stamp" ] && exit 0

echo "kscript: extracting Linux 6.1's net/tls, crypto/sm4 and resolve_btfids sources from $tarball" >&2
tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$tarball" -C "$tmp" --strip-components=1 --wildcards \
	'linux-source-6.1/tools/bpf/resolve_btfids/*' 'linux-source-6.1/tools/lib/*' \
	'linux-source-6.1/tools/include/*' 'linux-source-6.1/tools/build/*' \
	'linux-source-6.1/tools/scripts/*' 'linux-source-6.1/tools/arch/x86/*' \
	'linux-source-6.1/scripts/extract-vmlinux' 'linux-source-6.1/net/tls/*' \
	'linux-source-6.1/crypto/sm4.c' 'linux-source-6.1/crypto/sm4_generic.c'
echo "$stamp" >"$tmp/.version"
rm -rf "$dest"
mv "$tmp" "$dest"
