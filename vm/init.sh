#!/bin/busybox sh
# PID 1 of the kernel VM. The kernel command line passes ks_ko (module),
# ks_node, ks_repo, ks_cwd and ks_run (Node and the runner with its arguments,
# run from the host's root shared read-only over 9p; no runner: an interactive
# shell). Results go to the writable "out" share.
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Loopback, as on any system: the socket hooks' tests serve and fetch over it.
ip link set lo up

for m in $(cat /lib/modules/order); do
	insmod "/lib/modules/$m.ko" || echo "KSCRIPT-INIT-FAIL insmod $m"
done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /out ||
	echo "KSCRIPT-INIT-FAIL mount out"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 \
	hostroot /host || echo "KSCRIPT-INIT-FAIL mount hostroot"

log() {
	echo "$*" >>/out/init.log
}

if insmod "/host$ks_ko"; then
	log "insmod 0"
	# The writable scratch space is a tmpfs on /run, not /tmp: the project may live under the host's /tmp.
	for d in proc sys dev run; do
		case $d in
		proc) mount -t proc proc /host/proc ;;
		sys) mount -t sysfs sysfs /host/sys ;;
		dev) mount -t devtmpfs devtmpfs /host/dev ;;
		run) mount -t tmpfs tmpfs /host/run ;;
		esac
	done
	mkdir -p /host/run/kscript-out
	mount --bind /out /host/run/kscript-out
	start=$(cut -d' ' -f1 /proc/uptime)
	if [ -n "$ks_run" ]; then
		# ks_run is "script,arg,...": the runner gets the out share first.
		set -- $(echo "$ks_run" | tr ',' ' ')
		script=$1
		shift
		chroot /host /bin/sh -c "cd '$ks_cwd' && HOME=/run TMPDIR=/run exec '$ks_node' '$script' /run/kscript-out $*"
		log "runner $?"
	else
		# kscript vm: an interactive shell in the project, kscript and node at hand.
		echo "alias kscript='$ks_node $ks_repo/bin/kscript.js'" >/host/run/kscript.rc
		echo "kscript.ko is loaded. Try: kscript ls, kscript deploy dist/<hook>.kscript.json. exit powers off."
		chroot /host /bin/sh -c "cd '$ks_cwd' && export HOME=/run TMPDIR=/run ENV=/run/kscript.rc PATH=${ks_node%/*}:\$PATH && exec /bin/sh -i"
		log "shell $?"
	fi
	log "runner-seconds $start $(cut -d' ' -f1 /proc/uptime)"
	umount /host/run/kscript-out /host/run /host/dev /host/sys /host/proc
	rmmod kscript
	log "rmmod $?"
else
	log "insmod $?"
fi
log "tainted $(cat /proc/sys/kernel/tainted)"
dmesg >/out/dmesg.txt
sync
umount /out
poweroff -f
