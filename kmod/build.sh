#!/bin/sh
# Build kscript.ko, with module BTF, and kscript's tls.ko against the kernel
# headers KDIR, each cached in CACHE under a key of its inputs. BTF is the
# kernel's own BTF: /sys/kernel/btf/vmlinux of the running kernel, or its
# vmlinuz, whose .BTF section holds the same bytes. Keys hold no path inside
# CACHE, so a cache filled for a kernel before booting it (or copied to
# another machine) is found by the build under that kernel. Used by `kscript
# module build` and vm/build.sh (the VM's kernel).
# Usage: build.sh KDIR BTF CACHE [OUT]. Prints KO=, SYMVERS= and TLS_KO= lines
# (with OUT, also copies kscript.ko and tls.ko there: DKMS's build, dkms.conf);
# each step that takes time says so on stderr.
set -eu
# Resolved: /lib/modules/<version>/build and the folder it links to are one build.
kdir=$(readlink -f "$1")
btf=$2
cache=$3
out=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$cache"
step() {
	echo "kscript: $*" >&2
}

# Concurrent builds share the cache: one builder at a time.
exec 8>"$cache/kmod.lock"
flock 8

[ -f "$kdir/Makefile" ] || { echo "build.sh: no kernel headers at $kdir" >&2; exit 1; }
kver=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h" 2>/dev/null)
[ -n "$kver" ] || { echo "build.sh: $kdir has no include/generated/utsrelease.h (not a prepared kernel build dir)" >&2; exit 1; }
[ -f "$btf" ] || { echo "build.sh: no kernel BTF or image at $btf" >&2; exit 1; }

lua="$cache/lua-5.3.6"
if [ ! -f "$lua/.verified" ]; then
	step "fetching Lua 5.3.6 (Debian's lua5.3 source package)"
fi
sh "$here/lua/fetch.sh" "$lua" "$cache/downloads"

# Linux 6.1's sources the builds take (resolve_btfids, net/tls), extracted once per linux-source version.
linux="$cache/linux-source"
sh "$here/linux-source.sh" "$linux"

# The kernel's raw BTF, the base pahole and resolve_btfids take: raw already (sysfs's file starts with BTF's
# magic, 0xeb9f), or the .BTF section of an image or vmlinux (extracted once per file), byte for byte what
# the kernel shows in sysfs once booted.
if [ "$(od -An -tx1 -N2 "$btf" | tr -d ' ')" = 9feb ]; then
	raw=$btf
else
	raw="$cache/btf-$(sha256sum "$btf" | cut -c1-16)"
	if [ ! -f "$raw" ]; then
		step "extracting the kernel's BTF from $btf"
		if ! sh "$linux/scripts/extract-vmlinux" "$btf" >"$raw.elf" 2>/dev/null ||
			! objcopy -O binary --only-section=.BTF "$raw.elf" "$raw.tmp" 2>/dev/null || [ ! -s "$raw.tmp" ]; then
			rm -f "$raw.elf" "$raw.tmp"
			echo "build.sh: $btf is neither raw BTF nor a kernel image with a .BTF section (CONFIG_DEBUG_INFO_BTF):" \
				"give the kernel's /sys/kernel/btf/vmlinux (once it runs) or its /boot/vmlinuz-$kver" >&2
			exit 1
		fi
		rm "$raw.elf"
		mv "$raw.tmp" "$raw"
	fi
fi

# Module BTF (the XDP hook's kfuncs need it): kbuild makes it only with vmlinux and resolve_btfids in
# the kbuild dir, which Debian's headers lack. A private copy of the headers dir gets both: vmlinux
# (the raw BTF), resolve_btfids built from linux-source-6.1.
bkey=$( (echo "$kver $kdir"; sha256sum "$raw" | cut -c1-64) | sha256sum | cut -c1-16)
kbuild="$cache/kbuild-$kver-$bkey"
if [ ! -f "$kbuild/.done" ]; then
	step "preparing $kdir with vmlinux and resolve_btfids (linux-source-6.1)"
	rm -rf "$kbuild"
	mkdir -p "$kbuild/tools/objtool" "$kbuild/tools/bpf/resolve_btfids"
	# Links to the headers' own entries: an external module's build writes nothing there, and a copy
	# costs minutes on a slow disk (the VM's 9p share).
	for e in $(ls -A "$kdir"); do
		[ "$e" = tools ] || ln -s "$(readlink -f "$kdir/$e")" "$kbuild/$e"
	done
	ln -s "$(readlink -f "$kdir/tools")/objtool/objtool" "$kbuild/tools/objtool/objtool"
	# Linked with the system's libbpf (libbpf-dev, which the XDP objects' headers come from too) instead
	# of building the kernel's copy: on a slow machine that build is most of this step.
	libbpf=$(${CC:-cc} -print-file-name=libbpf.a)
	[ -f "$libbpf" ] || { echo "build.sh: no libbpf.a (apt-get install libbpf-dev)" >&2; exit 1; }
	step "building resolve_btfids"
	make -C "$linux/tools/bpf/resolve_btfids" -j"$(nproc)" BPFOBJ="$libbpf" \
		LIBBPF_SRC="$linux/no-libbpf-sources/" LIBBPF_INCLUDE=/usr/include \
		>"$cache/resolve_btfids.log" 2>&1 ||
		{ cat "$cache/resolve_btfids.log" >&2; exit 1; }
	cp "$linux/tools/bpf/resolve_btfids/resolve_btfids" "$kbuild/tools/bpf/resolve_btfids/"
	cp "$raw" "$kbuild/vmlinux"
	touch "$kbuild/.done"
fi

# The module: key = the kmod sources (Lua's tarball is pinned by fetch.sh's sha256; our patches to it are sources) + the kbuild dir's key.
key=$( (echo "${kbuild##*/}"; cd "$here" &&
	find Makefile core generated lua -path lua/lua-5.3.6 -prune -o -type f \
		\( -name '*.[chS]' -o -name '*.patch' -o -name Makefile -o -name '*.sh' \) -print |
	LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-16)
ko="$cache/kscript-$key.ko"
# Module.symvers beside it: what tls.ko links against.
symvers="$cache/kscript-$key.symvers"
if [ ! -f "$ko" ] || [ ! -f "$symvers" ]; then
	step "building kscript.ko against $kdir"
	# Built in TMPDIR, not the cache: a cache on a slow or remote file system (the VM's 9p share) made every
	# object and kbuild's dependency files cross it.
	build=$(mktemp -d)
	trap 'rm -rf "$build"' EXIT
	mkdir -p "$build/lua"
	(cd "$here" && tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='lua-5.3.6' \
		--exclude='.*.cmd' --exclude='*.mod*' Makefile core generated lua) |
		tar -xf - -C "$build"
	cp -a "$lua" "$build/lua/lua-5.3.6"
	start=$(date +%s)
	make -C "$kbuild" M="$build" -j"$(nproc)" modules >"$build/build.log" 2>&1 ||
		{ cat "$build/build.log" >&2; exit 1; }
	"$here/check-build-log.sh" "$build/build.log" "build.sh: kscript.ko" || exit 1
	readelf -S "$build/kscript.ko" | grep -q '\.BTF ' ||
		{ echo "build.sh: kscript.ko has no BTF (the XDP kfuncs need it)" >&2; exit 1; }
	step "kscript.ko built in $(( $(date +%s) - start )) s"
	cp "$build/kscript.ko" "$ko.tmp"
	cp "$build/Module.symvers" "$symvers"
	# Builds unused for a day go (a concurrent run may still boot a recent one).
	find "$cache" -maxdepth 1 -name 'kscript-*.ko' -mtime +0 -delete
	find "$cache" -maxdepth 1 -name 'kscript-*.symvers' -mtime +0 -delete
	mv "$ko.tmp" "$ko"
fi

# kscript's tls.ko (tls/): key = its sources, linux-source's version, kscript.ko's exports, the headers.
tkey=$( (echo "$kver $kdir"; dpkg-query -W -f '${Version}' linux-source-6.1; cat "$symvers"
	cd "$here/tls" && LC_ALL=C ls ./*.c ./*.h ./*.patch ./*.sh ../core/hook.h | xargs sha256sum) |
	sha256sum | cut -c1-16)
tls_ko="$cache/tls-$tkey.ko"
if [ ! -f "$tls_ko" ]; then
	step "building kscript's tls.ko (Linux 6.1's net/tls with the recv hook)"
	sh "$here/tls/build.sh" "$kdir" "$symvers" "$tls_ko" "$linux"
	find "$cache" -maxdepth 1 -name 'tls-*.ko' -mtime +0 -delete
fi
if [ -n "$out" ]; then
	mkdir -p "$out"
	cp "$ko" "$out/kscript.ko"
	cp "$tls_ko" "$out/tls.ko"
fi
echo "KO=$ko"
echo "SYMVERS=$symvers"
echo "TLS_KO=$tls_ko"
