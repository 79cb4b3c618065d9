#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Run a command in a private mount and network namespace with a pcscd of
# its own: tmpfs on /run/pcscd, loopback only, the vpcd reader driver on
# its default port.  Everything started here is stopped by PID on exit.
#
# usage: test/lib/hermetic.sh COMMAND [ARGS...]
# Inside, $PTV_PCSCD_PID is pcscd's PID and $PTV_PCSCD_LOG its log.
set -u

if [ -z "${PTV_IN_NAMESPACE:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "hermetic.sh: needs root (unshare --mount --net)" >&2
		exit 77
	fi
	exec unshare --mount --net --propagation private \
		env PTV_IN_NAMESPACE=1 "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/ptv-pcscd.XXXXXX)
export PTV_PCSCD_LOG="$work/pcscd.log"
export PTV_PCSCD_PID=

cleanup() {
	# Only while it is still our child: the test may have replaced it.
	if [ -n "$PTV_PCSCD_PID" ] &&
	    [ "$(ps -o ppid= -p "$PTV_PCSCD_PID" 2>/dev/null | tr -d ' ')" = "$$" ]; then
		kill "$PTV_PCSCD_PID" 2>/dev/null
		wait "$PTV_PCSCD_PID" 2>/dev/null
	fi
	umount /run/pcscd 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip link set lo up || exit 1
mkdir -p /run/pcscd
mount -t tmpfs -o mode=0755 tmpfs /run/pcscd || exit 1

# shellcheck source=pcscd.sh
. "$here/pcscd.sh"
pcscd_start || { cat "$PTV_PCSCD_LOG" >&2; exit 1; }

"$@"
