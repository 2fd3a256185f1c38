#!/bin/sh
# check-build-log.sh LOG WHAT: fails when a kbuild log holds a compiler warning or error, so that the modules
# build without any. make's own clock-skew notices are left out: they are about timestamps, not the code (a
# build in a VM's 9p share gets the host's times, ahead of a guest clock that lags under emulation).
log=$1
what=$2
if grep -E 'warning|error' "$log" |
	grep -vE '^make(\[[0-9]+\])?: (warning: +Clock skew detected|Warning: File .* has modification time .* in the future)' >&2; then
	echo "$what must build without warnings" >&2
	exit 1
fi
