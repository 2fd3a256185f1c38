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

# The module: key = the kmod sources (Lua's are pinned by fetch.sh's sha256) + kernel.
key=$( (echo "$kver"; cd "$repo/kmod" &&
	find Makefile core lua -path lua/lua-5.3.6 -prune -o -type f \
		\( -name '*.[chS]' -o -name Makefile -o -name '*.sh' \) -print |
	LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-16)
ko="$cache/kscript-$key.ko"
if [ ! -f "$ko" ]; then
	build="$cache/build-$key"
	rm -rf "$build"
	mkdir -p "$build"
	(cd "$repo/kmod" && tar -cf - --exclude='*.o' --exclude='*.ko' \
		--exclude='.*.cmd' --exclude='*.mod*' Makefile core lua) |
		tar -xf - -C "$build"
	start=$(date +%s)
	make -C "$kdir" M="$build" -j"$(nproc)" modules >"$build/build.log" 2>&1 ||
		{ cat "$build/build.log" >&2; exit 1; }
	if grep -E 'warning|error' "$build/build.log" >&2; then
		echo "build.sh: the module must build without warnings" >&2
		exit 1
	fi
	echo "module built in $(( $(date +%s) - start )) s" >&2
	cp "$build/kscript.ko" "$ko.tmp"
	# Builds unused for a day go (a concurrent run may still boot a recent one).
	find "$cache" -maxdepth 1 -name 'kscript-*.ko' -mtime +0 -delete
	mv "$ko.tmp" "$ko"
	rm -rf "$build"
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
	for m in virtio_pci 9pnet_virtio 9p; do
		add "$m"
	done
	echo "$order" >"$root/lib/modules/order"
	(cd "$root" && find . | busybox cpio -o -H newc) 2>/dev/null |
		gzip -1 >"$initrd.tmp"
	find "$cache" -maxdepth 1 -name 'initramfs-*.cpio.gz' -mtime +0 -delete
	mv "$initrd.tmp" "$initrd"
fi
echo "KO=$ko"
echo "INITRD=$initrd"
echo "KERNEL=$cache/image-$kver/boot/vmlinuz-$kver"
