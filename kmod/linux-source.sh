#!/bin/sh
# Extract what kscript's module builds take from Linux 6.1 into DEST (default
# kmod/linux/, ignored by git) from Debian's linux-source-6.1 tarball:
# resolve_btfids' sources and scripts/extract-vmlinux (module BTF, build.sh),
# net/tls (tls/build.sh), crypto/sm4*.c (sm4/build.sh). Done once per
# linux-source version.
#
# Decompressing the whole tarball (1.3 GB) was the slowest part of a first
# build on a slow machine, for 5 MB of files. Debian compresses it in
# independent xz blocks of 24 MiB and the archive is sorted by path, so only
# the blocks holding these paths are decompressed: the first member of each
# block is read (a short prefix of it), and each wanted path's range of
# blocks follows from the order. Archives without that shape are read whole.
# Usage: linux-source.sh [DEST]. Callers that share DEST hold a lock.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

# linux-source.sh --block TARBALL INDEX N: block N's data, decompressed (raw LZMA2: the xz container around it
# is not read); INDEX is the xz index below. A mode of its own, as the search (in awk) and the extraction both
# read blocks.
if [ "${1:-}" = --block ]; then
	tarball=$2
	set -- $(sed -n "$4p" "$3")
	offset=$(($2 + $3))
	length=$4
	shift 5
	dd if="$tarball" iflag=skip_bytes,count_bytes skip="$offset" count="$length" bs=1M status=none |
		xz -dc --format=raw "$@"
	exit
fi
dest=${1:-$here/linux}
tarball=/usr/src/linux-source-6.1.tar.xz
top=linux-source-6.1

[ -f "$tarball" ] || { echo "linux-source.sh: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 1; }
stamp=$(dpkg-query -W -f '${Version}' linux-source-6.1)
[ "$(cat "$dest/.version" 2>/dev/null)" = "$stamp" ] && exit 0

# The wanted paths, in archive order: a trailing / takes the folder's contents.
wanted="crypto/sm4.c crypto/sm4_generic.c net/tls/ scripts/extract-vmlinux tools/arch/x86/
tools/bpf/resolve_btfids/ tools/build/ tools/include/ tools/lib/ tools/scripts/"

echo "kscript: extracting Linux 6.1's net/tls, crypto/sm4 and resolve_btfids sources from $tarball" >&2
tmp="$dest.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

# tar's patterns for some of the wanted paths.
patterns() {
	for p in "$@"; do
		case $p in
		*/) echo "$top/$p*" ;;
		*) echo "$top/$p" ;;
		esac
	done
}

# The xz index: one line per block, "number offset header-size compressed-size size filters".
LC_ALL=C xz --robot --list -vv "$tarball" |
	awk -F'\t' '$1 == "block" { print $4, $5, $12, $14, $8, $16 }' >"$tmp/index"

block() {
	sh "$here/linux-source.sh" --block "$tarball" "$tmp/index" "$1"
}
nblocks=$(wc -l <"$tmp/index")

# Each wanted path lies from the last block starting at or before it to the first block starting after it,
# whose leading records end the path's last file (members are keyed by their path without a trailing /, in
# byte order). Blocks are placed by their first member (GNU tar skips the data before it; a short prefix of
# the block is read), found by binary search. Overlapping ranges are merged into runs, one line each: "from
# to from-record to-record path…", to = 0 meaning through the archive's end. Nothing when a block has no
# member of its own or the blocks met are out of order: the archive is then read whole.
runs=$(echo "$wanted" | tr ' ' '\n' | LC_ALL=C awk -v block="sh $here/linux-source.sh --block $tarball $tmp/index" \
	-v n="$nblocks" -v top="$top" '
	function peek(b,    cmd, line, size) {
		if (b in key) return
		for (size = 262144; ; size = 0) {
			cmd = sprintf("%s %d 2>/dev/null%s | tar -tR 2>/dev/null", block, b, size ? " | head -c " size : "")
			while ((cmd | getline line) > 0) {
				if (!(b in key) && match(line, "^block [0-9]+: " top "/")) {
					rec[b] = substr(line, 7, index(line, ":") - 7) + 0
					key[b] = substr(line, RLENGTH - length(top))
					sub(/\/$/, "", key[b])
				}
			}
			close(cmd)
			if ((b in key) || !size) break
		}
		if (!(b in key)) { key[b] = ""; broken = 1 }
	}
	function first_after(k, strict,    l, h, m) {	# the first block whose key is > k (>= k when !strict)
		l = 1; h = n + 1
		while (l < h) {
			m = int((l + h) / 2); peek(m)
			if (strict ? key[m] > k : key[m] >= k) h = m; else l = m + 1
		}
		return l
	}
	{
		lo = top "/" $1
		if (lo ~ /\/$/) { sub(/\/$/, "", lo); hi = lo "0" } else hi = lo "\001"
		from = first_after(lo, 1) - 1; if (from < 1) from = 1
		to = first_after(hi, 0); if (to > n) to = 0
		if (runs && from <= rto && rto != 0) {
			if (to == 0 || to > rto) rto = to
			paths = paths " " $1
		} else {
			if (runs) out = out rfrom " " rto " " rec[rfrom] + 0 " " (rto ? rec[rto] : 0) " " paths "\n"
			runs++; rfrom = from; rto = to; paths = $1
		}
	}
	END {
		for (b = 1; b <= n; b++) if (b in key) { if (met++ && key[b] <= last) broken = 1; last = key[b] }
		if (n > 1 && !broken) printf "%s%s %s %s %s %s\n", out, rfrom, rto, rec[rfrom] + 0, (rto ? rec[rto] : 0), paths
	}')

if [ -z "$runs" ]; then
	tar -xJf "$tarball" -C "$tmp" --strip-components=1 --wildcards $(patterns $wanted)
else
	# Each run read once, cut to whole members and ended as an archive ends (two zero records).
	echo "$runs" | while read -r from to rfrom rto paths; do
		if [ "$to" -eq 0 ]; then
			last=$nblocks
			cut=cat
		else
			last=$to
			cut="head -c $(awk -v f="$from" -v t="$to" -v rf="$rfrom" -v rt="$rto" \
				'NR >= f && NR < t { s += $5 } END { print s - rf * 512 + rt * 512 }' "$tmp/index")"
		fi
		b=$from
		while [ "$b" -le "$last" ]; do
			block "$b"
			b=$((b + 1))
		done | { tail -c +$((rfrom * 512 + 1)) | $cut && head -c 1024 /dev/zero; } |
			tar -xf - -C "$tmp" --strip-components=1 --wildcards $(patterns $paths)
	done
fi
rm -f "$tmp/index"
echo "$stamp" >"$tmp/.version"
rm -rf "$dest"
mv "$tmp" "$dest"
