#!/bin/sh
# Build the SM4 block cipher as modules: Debian's 6.1 config leaves out
# CONFIG_CRYPTO_SM4, and kTLS's SM4-GCM and SM4-CCM (gcm(sm4), ccm(sm4)) need
# it. Linux 6.1's crypto/sm4.c (the library, sm4.ko) and crypto/sm4_generic.c
# (the "sm4" cipher, sm4_generic.ko) come from Debian's linux-source-6.1,
# extracted by ../linux-source.sh into SRC (default kmod/linux/) and checked
# against the sha256 below, and build unchanged against the headers of the
# kernel under test.
# Usage: build.sh KDIR OUTDIR [SRC] (writes OUTDIR/sm4.ko and OUTDIR/sm4_generic.ko)
set -eu
kdir=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
src=${3:-$here/../linux}
sums='24adfc428772082c9b079ac5199b7ac88233bb03f03e99391b3c839296e4dbcf  crypto/sm4.c
8e22518781f0eb8b2c41e89e27457a7ae484bd0e49c03b00196f13f4de22b15b  crypto/sm4_generic.c'

sh "$here/../linux-source.sh" "$src"
# A new linux-source whose SM4 differs is read before it is trusted.
(cd "$src" && echo "$sums" | sha256sum -c --quiet) ||
	{ echo "sm4/build.sh: SM4 sources of linux-source-6.1 $(cat "$src/.version") differ from the checked ones" >&2; exit 1; }

build=$(mktemp -d "${out%/}.build.XXXXXX")
trap 'rm -rf "$build"' EXIT
cp "$src/crypto/sm4.c" "$src/crypto/sm4_generic.c" "$build/"
echo 'obj-m := sm4.o sm4_generic.o' >"$build/Kbuild"
make -C "$kdir" M="$build" -j"$(nproc)" modules >"$build/build.log" 2>&1 ||
	{ cat "$build/build.log" >&2; exit 1; }
"$here/../check-build-log.sh" "$build/build.log" "sm4/build.sh: the SM4 modules" || exit 1
mkdir -p "$out"
cp "$build/sm4.ko" "$build/sm4_generic.ko" "$out/"
