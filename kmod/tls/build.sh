#!/bin/sh
# Build kscript's tls.ko: Linux 6.1's net/tls from Debian's linux-source-6.1
# (extracted by ../linux-source.sh into SRC, default kmod/linux/),
# tls-lua.patch applied, plus tls_lua.c, against the headers of the kernel
# under test, linked to kscript.ko's exports.
# Usage: build.sh KDIR KSCRIPT_SYMVERS OUT.ko [SRC]
set -eu
kdir=$1
symvers=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
src=${4:-$here/../linux}
sh "$here/../linux-source.sh" "$src"

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
cp -r "$src/net" "$build/"
(cd "$build" && patch -s -p1 <"$here/tls-lua.patch")
cp "$here/tls_lua.c" "$here/tls_lua.h" "$here/tls_lua_abi.h" \
	"$here/../core/hook.h" "$build/net/tls/"
start=$(date +%s)
make -C "$kdir" M="$build/net/tls" KBUILD_EXTRA_SYMBOLS="$symvers" \
	-j"$(nproc)" modules >"$build/build.log" 2>&1 ||
	{ cat "$build/build.log" >&2; exit 1; }
"$here/../check-build-log.sh" "$build/build.log" "tls/build.sh: tls.ko" || exit 1
echo "kscript: tls.ko built in $(( $(date +%s) - start )) s" >&2
cp "$build/net/tls/tls.ko" "$out.tmp"
mv "$out.tmp" "$out"
