#!/bin/sh
# Provision the kernel VM's inputs from Debian's packages: qemu, busybox, the
# linux-image-amd64 kernel (extracted into the cache, not installed) and the
# exactly matching headers. Prints KVER=<version> on its last line.
# Exit 77: cannot provision here (not root or apt failed).
set -eu
cache=$1
mkdir -p "$cache"

if [ "$(id -u)" != 0 ]; then
	echo "provision: needs root to install Debian packages" >&2
	exit 77
fi

# Concurrent test runs share the cache (and apt): one at a time.
exec 9>"$cache/provision.lock"
flock 9

export DEBIAN_FRONTEND=noninteractive
src=/etc/apt/sources.list.d/kscript-src.sources
updated=
apt_update() {
	[ -n "$updated" ] && return 0
	apt-get update -q >"$cache/apt-update.log" 2>&1 ||
		{ cat "$cache/apt-update.log" >&2; exit 77; }
	updated=1
}

# Lua's sources come from the lua5.3 source package (kmod/lua/fetch.sh).
if ! grep -rqs 'deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	cat >"$src" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt_update
fi

image=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -n1)
if [ -z "$image" ]; then
	apt_update
	image=$(apt-cache depends linux-image-amd64 |
		sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -n1)
fi
[ -n "$image" ] || { echo "provision: no linux-image-amd64 in apt" >&2; exit 77; }
kver=$image

# dpkg-dev and patch: apt-get source and the Lua patches (kmod/lua/fetch.sh).
# The guest runs the host's userland, so what the hook tests run comes from here too:
# module BTF and the XDP object (clang, libbpf-dev, dwarves, libelf-dev, linux-source for
# resolve_btfids and net/tls), the servers' TLS (libgnutls28-dev), the clients (dig, curl,
# ip) and the benchmarks' references (bpftool, lighttpd, nginx-light, wrk; dnsperf against
# NSD and Knot for bench:dns). dnspython: the zone compiler's tests read zones with its parser. kmod for
# `kscript module` (depmod, modprobe, modinfo) in the guest.
pkgs="qemu-system-x86 busybox-static linux-headers-$kver dpkg-dev patch kmod
	clang llvm libbpf-dev bpftool dwarves libelf-dev linux-source-6.1
	libgnutls28-dev bind9-dnsutils curl iproute2 lighttpd lighttpd-mod-openssl nginx-light wrk
	dnsperf nsd knot python3-dnspython"
missing=
for p in $pkgs; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	# Installing lighttpd, nginx, NSD and Knot must not start them on the host.
	policy=/usr/sbin/policy-rc.d
	[ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"; }
	apt-get install -y -q --no-install-recommends $missing \
		>"$cache/apt-install.log" 2>&1 || {
		apt_update
		apt-get install -y -q --no-install-recommends $missing \
			>"$cache/apt-install.log" 2>&1 ||
			{ cat "$cache/apt-install.log" >&2; exit 77; }
	}
fi

# The kernel under test: extracted, so the host's /boot is left alone. The marker names
# what was extracted: a list that grows re-extracts.
imgdir="$cache/image-$kver"
if [ ! -f "$imgdir/.done-crypto" ]; then
	rm -rf "$imgdir"
	mkdir -p "$imgdir/deb"
	(cd "$imgdir/deb" && apt-get download -q "linux-image-$kver" \
		>"$cache/apt-download.log" 2>&1) || {
		apt_update
		(cd "$imgdir/deb" && apt-get download -q "linux-image-$kver" \
			>"$cache/apt-download.log" 2>&1) ||
			{ cat "$cache/apt-download.log" >&2; exit 77; }
	}
	dpkg-deb --fsys-tarfile "$imgdir"/deb/*.deb |
		tar -x -C "$imgdir" "./boot/vmlinuz-$kver" \
			"./lib/modules/$kver/kernel/fs" \
			"./lib/modules/$kver/kernel/net/9p" \
			"./lib/modules/$kver/kernel/net/tls" \
			"./lib/modules/$kver/kernel/crypto" \
			"./lib/modules/$kver/kernel/lib" \
			"./lib/modules/$kver/kernel/drivers/virtio" \
			"./lib/modules/$kver/kernel/drivers/net/veth.ko"
	rm -rf "$imgdir/deb"
	touch "$imgdir/.done-crypto"
fi
echo "KVER=$kver"
echo "KERNEL=$imgdir/boot/vmlinuz-$kver"
