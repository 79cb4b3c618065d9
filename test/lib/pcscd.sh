# SPDX-License-Identifier: BSD-2-Clause
# pcscd control for tests running inside hermetic.sh (sourced).
# pcscd_start / pcscd_stop set and clear $PTV_PCSCD_PID.

pcscd_start() {
	pcscd --foreground --error >>"$PTV_PCSCD_LOG" 2>&1 &
	PTV_PCSCD_PID=$!
	for _ in $(seq 100); do
		[ -S /run/pcscd/pcscd.comm ] && return 0
		kill -0 "$PTV_PCSCD_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

pcscd_stop() {
	[ -n "$PTV_PCSCD_PID" ] || return 0
	kill "$PTV_PCSCD_PID" 2>/dev/null
	wait "$PTV_PCSCD_PID" 2>/dev/null
	PTV_PCSCD_PID=
	rm -f /run/pcscd/pcscd.comm
}
