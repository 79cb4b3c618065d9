# SPDX-License-Identifier: BSD-2-Clause
# Prologue of the integration tests (sourced first thing):
#   . "$(dirname "$0")/../lib/itest.sh" "$@"
# Sets $root and $build, re-runs the test inside hermetic.sh (a private
# pcscd) unless already there, loads the TAP and pcscd helpers, and makes
# $tmp, a directory removed on exit.  After starting anything in the
# background, call `started`: on exit it is stopped if still running (and
# still ours), and so is a pcscd the test restarted (PCSCD_OURS=1).
# PTV_KEEP_TMP=1 keeps $tmp (its logs) and names it on stderr.
root=${PTV_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${PTV_BUILD:-$root/build}
if [ -z "${PTV_IN_NAMESPACE:-}" ]; then
	exec "$root/test/lib/hermetic.sh" "$0" "$@"
fi
# shellcheck source=tap.sh
. "$root/test/lib/tap.sh"
# shellcheck source=pcscd.sh
. "$root/test/lib/pcscd.sh"

tmp=$(mktemp -d "/tmp/ptv-$(basename "$0" .sh).XXXXXX")
ITEST_PIDS=()
PCSCD_OURS=

started() {
	ITEST_PIDS+=("$!")
}

itest_cleanup() {
	local p
	for p in "${ITEST_PIDS[@]}"; do
		# a process that ended may have left its PID to another
		[ "$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')" = "$$" ] &&
			kill "$p" 2>/dev/null
	done
	[ -n "$PCSCD_OURS" ] && pcscd_stop
	wait 2>/dev/null
	if [ -n "${PTV_KEEP_TMP:-}" ]; then
		echo "# kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap itest_cleanup EXIT
