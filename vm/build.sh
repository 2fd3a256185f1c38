#!/bin/sh
# Build kscript.ko against the headers of the kernel under test and the
# busybox initramfs, each cached under a key of its inputs.
# Usage: build.sh CACHE KVER REPO. Prints KO=... and INITRD=... lines.
set -eu
cache=$1
kver=$2
repo=$3
kdir=/usr/src/linux-headers-$kver
here=$(cd "$(dirname "$0")" && pwd)

# Concurrent test runs share the cache: one builder at a time.
exec 9>"$cache/build.lock"
flock 9

sh "$repo/kmod/lua/fetch.sh"

# Module BTF (the XDP hook's kfuncs need it): kbuild makes it only with vmlinux and resolve_btfids in
# the kbuild dir, which Debian's headers lack. A private copy of the headers dir gets both: vmlinux
# extracted from the kernel under test, resolve_btfids built from linux-source-6.1.
kbuild="$cache/kbuild-$kver"
if [ ! -f "$kbuild/.done" ]; then
	rm -rf "$kbuild"
	mkdir -p "$kbuild"
	cp -a "$kdir/." "$kbuild/"
	ln -sfn "$(readlink -f "$kdir/scripts")" "$kbuild/scripts"
	rm -f "$kbuild/tools"
	mkdir -p "$kbuild/tools/objtool" "$kbuild/tools/bpf/resolve_btfids"
	ln -s "$(readlink -f "$kdir/tools")/objtool/objtool" "$kbuild/tools/objtool/objtool"
	src=$(mktemp -d)
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$src" --wildcards \
		'linux-source-6.1/tools/*' 'linux-source-6.1/scripts/extract-vmlinux' \
		'linux-source-6.1/scripts/bpf_doc.py' 'linux-source-6.1/include/uapi/linux/bpf.h'
	make -C "$src/linux-source-6.1/tools/bpf/resolve_btfids" -j"$(nproc)" \
		>"$cache/resolve_btfids.log" 2>&1 ||
		{ cat "$cache/resolve_btfids.log" >&2; rm -rf "$src"; exit 1; }
	cp "$src/linux-source-6.1/tools/bpf/resolve_btfids/resolve_btfids" \
		"$kbuild/tools/bpf/resolve_btfids/"
	sh "$src/linux-source-6.1/scripts/extract-vmlinux" \
		"$cache/image-$kver/boot/vmlinuz-$kver" >"$kbuild/vmlinux"
	rm -rf "$src"
	touch "$kbuild/.done"
fi

# The module: key = the kmod sources (Lua's are pinned by fetch.sh's sha256) + kernel.
key=$( (echo "$kver"; cd "$repo/kmod" &&
	find Makefile core generated lua -path lua/lua-5.3.6 -prune -o -type f \
		\( -name '*.[chS]' -o -name Makefile -o -name '*.sh' \) -print |
	LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-16)
ko="$cache/kscript-$key.ko"
# Module.symvers beside it: what tls.ko links against.
symvers="$cache/kscript-$key.symvers"
if [ ! -f "$ko" ] || [ ! -f "$symvers" ]; then
	build="$cache/build-$key"
	rm -rf "$build"
	mkdir -p "$build"
	(cd "$repo/kmod" && tar -cf - --exclude='*.o' --exclude='*.ko' \
		--exclude='.*.cmd' --exclude='*.mod*' Makefile core generated lua) |
		tar -xf - -C "$build"
	start=$(date +%s)
	make -C "$kbuild" M="$build" -j"$(nproc)" modules >"$build/build.log" 2>&1 ||
		{ cat "$build/build.log" >&2; exit 1; }
	if grep -E 'warning|error' "$build/build.log" >&2; then
		echo "build.sh: the module must build without warnings" >&2
		exit 1
	fi
	readelf -S "$build/kscript.ko" | grep -q '\.BTF ' ||
		{ echo "build.sh: kscript.ko has no BTF (the XDP kfuncs need it)" >&2; exit 1; }
	echo "module built in $(( $(date +%s) - start )) s" >&2
	cp "$build/kscript.ko" "$ko.tmp"
	cp "$build/Module.symvers" "$symvers"
	# Builds unused for a day go (a concurrent run may still boot a recent one).
	find "$cache" -maxdepth 1 -name 'kscript-*.ko' -mtime +0 -delete
	find "$cache" -maxdepth 1 -name 'kscript-*.symvers' -mtime +0 -delete
	mv "$ko.tmp" "$ko"
	rm -rf "$build"
fi

# kscript's tls.ko (kmod/tls): key = its sources, linux-source's version, kscript.ko's exports.
tkey=$( (echo "$kver"; dpkg-query -W -f '${Version}' linux-source-6.1; cat "$symvers"
	cd "$repo/kmod/tls" && LC_ALL=C ls ./*.c ./*.h ./*.patch ./*.sh ../core/hook.h | xargs sha256sum) |
	sha256sum | cut -c1-16)
tls_ko="$cache/tls-$tkey.ko"
if [ ! -f "$tls_ko" ]; then
	sh "$repo/kmod/tls/build.sh" "$kdir" "$symvers" "$tls_ko"
	find "$cache" -maxdepth 1 -name 'tls-*.ko' -mtime +0 -delete
fi

# The SM4 cipher kTLS's SM4-GCM/CCM need (kmod/sm4): Debian's kernel lacks it.
mkey=$( (echo "$kver"; dpkg-query -W -f '${Version}' linux-source-6.1; sha256sum "$repo/kmod/sm4/build.sh") |
	sha256sum | cut -c1-16)
sm4="$cache/sm4-$mkey"
if [ ! -d "$sm4" ]; then
	rm -rf "$sm4.tmp"
	sh "$repo/kmod/sm4/build.sh" "$kdir" "$sm4.tmp"
	find "$cache" -maxdepth 1 -name 'sm4-*' -mtime +0 -exec rm -rf {} +
	mv "$sm4.tmp" "$sm4"
fi

# The user-space servers the hook tests run in the guest (the host's userland).
skey=$(cd "$repo/kmod/servers" && (LC_ALL=C ls | xargs sha256sum; sha256sum ../tls/tls_lua_abi.h) | sha256sum | cut -c1-16)
servers="$cache/servers-$skey"
if [ ! -d "$servers" ]; then
	rm -rf "$servers.tmp"
	mkdir -p "$servers.tmp"
	make -s -C "$repo/kmod/servers" OUT="$servers.tmp" >&2
	find "$cache" -maxdepth 1 -name 'servers-*' -mtime +0 -exec rm -rf {} +
	mv "$servers.tmp" "$servers"
fi

# The BPF objects (kmod/bpf): the XDP hook's program and the benchmark's plain eBPF reference.
bkey=$( (clang --version | head -n1; cd "$repo/kmod/bpf" && LC_ALL=C sha256sum *.c) |
	sha256sum | cut -c1-16)
bpf="$cache/bpf-$bkey"
if [ ! -d "$bpf" ]; then
	rm -rf "$bpf.tmp"
	mkdir -p "$bpf.tmp"
	for c in "$repo"/kmod/bpf/*.bpf.c; do
		clang -O2 -g -Wall -Werror -target bpf -I/usr/include/x86_64-linux-gnu \
			-c "$c" -o "$bpf.tmp/$(basename "$c" .bpf.c).o"
	done
	find "$cache" -maxdepth 1 -name 'bpf-*' -mtime +0 -exec rm -rf {} +
	mv "$bpf.tmp" "$bpf"
fi

# The initramfs: busybox, /init, and the 9p modules in load order.
mods="$cache/image-$kver/lib/modules/$kver/kernel"
bbver=$(dpkg-query -W -f '${Version}' busybox-static)
ikey=$( (echo "$kver $bbver"; cat "$here/init.sh" "$0") | sha256sum | cut -c1-16)
initrd="$cache/initramfs-$ikey.cpio.gz"
if [ ! -f "$initrd" ]; then
	root=$(mktemp -d)
	trap 'rm -rf "$root"' EXIT
	mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" \
		"$root/host" "$root/out" "$root/lib/modules"
	cp /bin/busybox "$root/bin/busybox"
	cp "$here/init.sh" "$root/init"
	chmod +x "$root/init"
	# Depth-first over each module's "depends=" so dependencies load first.
	order=
	add() {
		local f d
		case " $order " in *" $1 "*) return ;; esac
		f=$(find "$mods" -name "$1.ko" | head -n1)
		[ -n "$f" ] || { echo "build.sh: module $1 not found" >&2; exit 1; }
		for d in $(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | tr ',' ' '); do
			add "$d"
		done
		cp "$f" "$root/lib/modules/"
		order="$order $1"
	}
	# kTLS's ciphers: the kernel cannot autoload them in the guest (no modprobe).
	for m in virtio_pci 9pnet_virtio 9p ctr gcm ghash-generic ccm \
		chacha20poly1305 chacha_generic poly1305_generic; do
		add "$m"
	done
	echo "$order" >"$root/lib/modules/order"
	(cd "$root" && find . | busybox cpio -o -H newc) 2>/dev/null |
		gzip -1 >"$initrd.tmp"
	find "$cache" -maxdepth 1 -name 'initramfs-*.cpio.gz' -mtime +0 -delete
	mv "$initrd.tmp" "$initrd"
fi
echo "KO=$ko"
echo "TLS_KO=$tls_ko"
echo "BPF=$bpf"
echo "SM4=$sm4"
echo "SERVERS=$servers"
echo "INITRD=$initrd"
echo "KERNEL=$cache/image-$kver/boot/vmlinuz-$kver"
