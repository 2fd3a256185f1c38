#!/bin/sh
# Boot the kernel under test in qemu (TCG: no KVM here) and run the guest
# runner. Usage: run.sh KERNEL INITRD KO RUNNER CWD OUTDIR TIMEOUT_S
# The serial console goes to OUTDIR/console.log; the guest writes its
# results, init.log and dmesg.txt into OUTDIR through a 9p share.
set -eu
kernel=$1 initrd=$2 ko=$3 node=$4 runner=$5 cwd=$6 out=$7 timeout_s=$8
mkdir -p "$out"
timeout --kill-after=10 "$timeout_s" qemu-system-x86_64 \
	-accel tcg -cpu max -smp 2 -m 512 -nographic -no-reboot \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 loglevel=4 panic=-1 ks_ko=$ko ks_node=$node ks_run=$runner ks_cwd=$cwd" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$out,mount_tag=out,security_model=none" \
	</dev/null >"$out/console.log" 2>&1
