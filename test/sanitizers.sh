#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The unit tests and the fuzz corpus replays again, built with gcc's
# AddressSanitizer and UndefinedBehaviorSanitizer (build-asan, made here
# with `make asan-units`, incrementally).  The integration suite is left
# to `make asan`, which runs everything sanitized and skips this.
#
# usage: test/sanitizers.sh   (from test/run.sh; PTV_ROOT is the tree)
set -u
root=${PTV_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$root/test/lib/tap.sh"

if [ -n "${PTV_SANITIZED:-}" ]; then
	ok "# SKIP the whole run is sanitized already"
	tap_done
	exit
fi
build=$root/build-asan
log=$(mktemp /tmp/ptv-asan.XXXXXX)
trap 'rm -f "$log"' EXIT
if ! make -C "$root" -s -j2 asan-units >"$log" 2>&1; then
	not_ok "the sanitizer build (make asan-units)"
	sed 's/^/# /' "$log" | tail -30
	tap_done
	exit
fi
ok "the sanitizer build (make asan-units)"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export CMOCKA_MESSAGE_OUTPUT=TAP PTV_BUILD=$build PTV_ROOT=$root
# One TAP line per program: its own lines would count twice in run.sh.
run() {
	local name=$1 start end
	shift
	start=$(date +%s.%N)
	"$@" >"$log" 2>&1
	local rc=$?
	end=$(date +%s.%N)
	local secs
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	if [ "$rc" -eq 0 ] && ! grep -q '^not ok' "$log"; then
		ok "$name under ASan + UBSan ($(grep -c '^ok' "$log") checks, ${secs} s)"
	else
		not_ok "$name under ASan + UBSan (status $rc)"
		grep -E '^not ok|ERROR|runtime error|SUMMARY' "$log" |
		    head -20 | sed 's/^/#   /'
	fi
}
for t in $(make -s --no-print-directory -C "$root" list-units); do
	run "$t" "$build/test/$t"
done
for t in $(make -s --no-print-directory -C "$root" list-fuzz); do
	run "fuzz_$t replay" "$build/fuzz/fuzz_$t"
done
tap_done
