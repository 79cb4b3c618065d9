#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test/run.sh's limit on one test (PTV_TEST_TIMEOUT): a test that hangs is
# stopped and counted failed, its EXIT trap runs, no process of its stays,
# and the tests after it still run; a limit that is no count is refused.
set -u
root=${PTV_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${PTV_BUILD:-$root/build}
. "$root/test/lib/tap.sh"

tmp=$(mktemp -d /tmp/ptv-runlimit.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# a test that hangs, its child's pid kept, its cleanup said
cat >"$tmp/hang.sh" <<HANG
#!/bin/bash
trap 'echo "# hang: cleaned up"' EXIT
echo "ok 1 - before the hang"
sleep 300 &
echo \$! >"$tmp/child"
wait
HANG
cat >"$tmp/fine.sh" <<'FINE'
#!/bin/bash
echo "ok 1 - a test after it"
FINE
chmod +x "$tmp/hang.sh" "$tmp/fine.sh"

out=$(PTV_TEST_TIMEOUT=2 "$root/test/run.sh" "$build" "$tmp/hang.sh" \
	"$tmp/fine.sh" 2>&1)
rc=$?
# the inner run's lines, quoted so that this run counts only its own
check_eq "a hung test: the run fails (exit 1)" 1 "$rc"
check_match "it is stopped at its limit, and said so" \
	"not ok - .*hang.sh did not end within 2 s: stopped" "$out"
check_match "its EXIT trap ran" "# hang: cleaned up" "$out"
child=$(cat "$tmp/child" 2>/dev/null)
# signalled with its group: gone within a moment (a zombie is gone too)
gone=no
for _ in $(seq 50); do
	state=$(ps -o stat= -p "${child:-1}" 2>/dev/null)
	case $state in '' | Z*) gone=yes; break ;; esac
	sleep 0.1
done
check_eq "no process of its stays (its child $child)" yes "$gone"
check_match "the tests after it run" "ok 1 - a test after it" "$out"
check_match "and the summary counts it" "^2 passed, 1 failed$" \
	"$(printf '%s\n' "$out" | tail -1)"

out=$(PTV_TEST_TIMEOUT=soon "$root/test/run.sh" "$build" "$tmp/fine.sh" 2>&1)
rc=$?
check_eq "a limit that is no count: refused (exit 2)" 2 "$rc"
check_match "naming it" "PTV_TEST_TIMEOUT=soon: not a count of seconds" "$out"
tap_done
