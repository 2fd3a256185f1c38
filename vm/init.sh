#!/bin/busybox sh
# PID 1 of the kernel VM. The kernel command line passes ks_ko (module),
# ks_params (its parameters, comma-separated), ks_node, ks_repo, ks_cwd and
# ks_run (Node and the runner with its arguments, run from the host's root
# shared read-only over 9p). No runner: the command the host wrote to the
# share's command.sh (its output and status land beside it), else an
# interactive shell. Results go to the writable "out" share.
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

# No ks_ko: a boot without kscript.ko, for loading one inside (kscript module load).
ready=1
if [ -z "$ks_ko" ]; then
	log "insmod none"
elif insmod "/host$ks_ko" $(echo "$ks_params" | tr ',' ' '); then
	log "insmod 0"
else
	log "insmod $?"
	ready=
fi
if [ -n "$ready" ]; then
	# The writable scratch space is a tmpfs on /run, not /tmp: the project may live under the host's /tmp.
	for d in proc sys dev run; do
		case $d in
		proc) mount -t proc proc /host/proc ;;
		sys) mount -t sysfs sysfs /host/sys ;;
		dev) mount -t devtmpfs devtmpfs /host/dev ;;
		run) mount -t tmpfs tmpfs /host/run ;;
		esac
	done
	mkdir -p /host/run/kscript-out /host/run/bin
	mount --bind /out /host/run/kscript-out
	# This kernel's /lib/modules folder, writable (kscript module install, depmod): a tmpfs holding what
	# the host has for it (the headers' build link).
	r=$(uname -r)
	mods=/host/lib/modules/$r
	if [ -d "$mods" ]; then
		mkdir -p /modules
		cp -a "$mods/." /modules/
		mount -t tmpfs tmpfs "$mods" && cp -a /modules/. "$mods/"
	fi
	# kscript on PATH; its caches (kscript module build) in the share, the host's root being read-only.
	printf '#!/bin/sh\nexec %s %s/bin/kscript.js "$@"\n' "$ks_node" "$ks_repo" >/host/run/bin/kscript
	chmod +x /host/run/bin/kscript
	env="HOME=/run TMPDIR=/run KSCRIPT_CACHE_DIR=/run/kscript-out/cache PATH=/run/bin:${ks_node%/*}:/usr/sbin:/usr/bin:/sbin:/bin"
	start=$(cut -d' ' -f1 /proc/uptime)
	if [ -n "$ks_run" ]; then
		# ks_run is "script,arg,...": the runner gets the out share first.
		set -- $(echo "$ks_run" | tr ',' ' ')
		script=$1
		shift
		chroot /host /bin/sh -c "cd '$ks_cwd' && export $env && exec '$ks_node' '$script' /run/kscript-out $*"
		log "runner $?"
	elif [ -f /out/command.sh ]; then
		# kscript vm -- COMMAND: run it, its output and exit status for the host.
		chroot /host /bin/sh -c "cd '$ks_cwd' && export $env && exec /bin/sh /run/kscript-out/command.sh" \
			</dev/null >/out/stdout 2>/out/stderr
		echo $? >/out/status
		log "command $(cat /out/status)"
	else
		# kscript vm: an interactive shell in the project, kscript and node at hand.
		if [ -n "$ks_ko" ]; then
			echo "kscript.ko is loaded. Try: kscript ls, kscript deploy dist/<hook>.kscript.json. exit powers off."
		else
			echo "No kscript.ko loaded: kscript module build, install and load make one. exit powers off."
		fi
		chroot /host /bin/sh -c "cd '$ks_cwd' && export $env && exec /bin/sh -i"
		log "shell $?"
	fi
	log "runner-seconds $start $(cut -d' ' -f1 /proc/uptime)"
	umount "$mods" 2>/dev/null
	umount /host/run/kscript-out /host/run /host/dev /host/sys /host/proc
	if [ -n "$ks_ko" ]; then
		rmmod kscript
		log "rmmod $?"
	elif [ -d /sys/module/kscript ]; then
		log "left-loaded kscript"
	fi
fi
log "tainted $(cat /proc/sys/kernel/tainted)"
dmesg >/out/dmesg.txt
sync
umount /out
poweroff -f
