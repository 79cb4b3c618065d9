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

for bad in soon 0 00 1e3 9999999999; do
	out=$(PTV_TEST_TIMEOUT=$bad "$root/test/run.sh" "$build" \
		"$tmp/fine.sh" 2>&1)
	rc=$?
	check_eq "PTV_TEST_TIMEOUT=$bad: refused (exit 2)" 2 "$rc"
	check_match "naming it" "PTV_TEST_TIMEOUT=$bad: not a count of seconds" \
		"$out"
done

# an interruption (^C: SIGINT to the run's process group) ends the run
# and the test under way, not the test alone; the next does not run
# (started in the background here, where SIGINT is ignored: restored)
cat >"$tmp/slow.sh" <<'SLOW'
#!/bin/bash
sleep 4
echo "ok 1 - a slow test ended"
SLOW
chmod +x "$tmp/slow.sh"
setsid env --default-signal=INT bash -c 'echo $$ >"$1/pgid"; exec env PTV_TEST_TIMEOUT=60 \
	"$2/test/run.sh" "$3" "$1/slow.sh" "$1/slow.sh"' _ "$tmp" "$root" \
	"$build" >"$tmp/int.out" 2>&1 &
run=$!
sleep 1
kill -INT -- "-$(cat "$tmp/pgid")"
wait "$run"
rc=$?
check_eq "^C: the run ends, interrupted (exit 130)" 130 "$rc"
check_eq "and neither slow test got to its end" 0 \
	"$(grep -c 'a slow test ended' "$tmp/int.out")"
tap_done
