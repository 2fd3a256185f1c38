#!/bin/sh
# Build what the VM boots (the busybox initramfs) and, unless WHAT is "boot",
# kscript.ko and tls.ko against the headers of the kernel under test, the
# servers and the BPF objects, each cached under a key of its inputs.
# Usage: build.sh CACHE KVER REPO [WHAT]. Prints INITRD=, KO= … lines.
set -eu
cache=$1
kver=$2
repo=$3
what=${4:-all}
kdir=/usr/src/linux-headers-$kver
here=$(cd "$(dirname "$0")" && pwd)

# Concurrent test runs share the cache: one builder at a time, with a lock of its own for the initramfs,
# so a boot without kscript.ko (kscript vm --no-module) need not wait for a module build.
exec 8>"$cache/initramfs.lock"
flock 8

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
exec 8>&-
echo "INITRD=$initrd"
[ "$what" = boot ] && exit 0

exec 9>"$cache/build.lock"
flock 9

# kscript.ko and tls.ko (kmod/build.sh, as `kscript module build` on a host), module BTF from the
# kernel image under test: the host's /sys/kernel/btf is another kernel's.
modules=$(sh "$repo/kmod/build.sh" "$kdir" "$cache/image-$kver/boot/vmlinuz-$kver" "$cache")
KO=$(echo "$modules" | sed -n 's/^KO=//p')
TLS_KO=$(echo "$modules" | sed -n 's/^TLS_KO=//p')

# The SM4 cipher kTLS's SM4-GCM/CCM need (kmod/sm4): Debian's kernel lacks it.
mkey=$( (echo "$kver"; dpkg-query -W -f '${Version}' linux-source-6.1; sha256sum "$repo/kmod/sm4/build.sh") |
	sha256sum | cut -c1-16)
sm4="$cache/sm4-$mkey"
if [ ! -d "$sm4" ]; then
	rm -rf "$sm4.tmp"
	sh "$repo/kmod/sm4/build.sh" "$kdir" "$sm4.tmp" "$cache/linux-source"
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

echo "KO=$KO"
echo "TLS_KO=$TLS_KO"
echo "BPF=$bpf"
echo "SM4=$sm4"
echo "SERVERS=$servers"
