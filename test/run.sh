#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Run every test of the project and print one summary line:
#   N passed, N failed
# Each test program speaks TAP (cmocka with CMOCKA_MESSAGE_OUTPUT=TAP, the
# shell tests through test/lib/tap.sh, the fuzz targets' corpus replays
# through test/fuzz/replay.c).  Exit status 1 on any failure.  Each test's
# wall time is printed after it.  A test that runs longer than
# PTV_TEST_TIMEOUT seconds (default 1200) is stopped (SIGTERM to its
# process group, its EXIT traps clean up; SIGKILL 30 s later) and fails,
# so that a hung one costs that much of CI's time, not all of it.
#
# usage: test/run.sh BUILD_DIR [TEST...]
set -u
build=${1:?usage: test/run.sh BUILD_DIR [TEST...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
export PTV_BUILD="$build" PTV_ROOT="$root" CMOCKA_MESSAGE_OUTPUT=TAP

if [ $# -gt 0 ]; then
	tests=("$@")
else
	# the fuzz targets' corpus replays, as the Makefile lists them
	fuzz=()
	for t in $(make -s --no-print-directory -C "$root" list-fuzz); do
		fuzz+=("$build/fuzz/fuzz_$t")
	done
	tests=(
		"$build/test/test_proto"
		"$build/test/test_crypto"
		"$build/test/test_formats"
		"$build/test/test_wire"
		"$build/test/test_store"
		"$build/test/test_runtime"
		"$build/test/tear_store"
		"$build/test/test_sm"
		"$build/test/test_sm_cmd"
		"$build/test/test_m1"
		"$build/test/test_dec_card"
		"$build/test/test_dec_export"
		"$build/test/test_dec_session"
		"$build/test/test_center"
		"$build/test/test_center_rules"
		"$build/test/test_center_cmds"
		"$build/test/test_center_card"
		"$build/test/test_center_group"
		"$build/test/test_center_durable"
		"$build/test/test_center_walbuf"
		"$build/test/test_center_store"
		"$build/test/test_migrate"
		"$build/test/test_keydir"
		"$build/test/test_causes"
		"$build/test/test_console"
		"$build/test/test_db_name"
		"${fuzz[@]}"
		"$root/test/tools/usage.sh"
		"$root/test/tools/cli.sh"
		"$root/test/tools/daemon_args.sh"
		"$root/test/tools/run_timeout.sh"
		"$root/test/static/format.sh"
		"$root/test/static/tidy.sh"
		"$root/test/static/layout.sh"
		"$root/test/integration/card_pcsc.sh"
		"$root/test/integration/sm_pcsc.sh"
		"$root/test/integration/decoder_pcsc.sh"
		"$root/test/integration/decoder_shared.sh"
		"$root/test/integration/decoder_busy.sh"
		"$root/test/integration/decoder_contact.sh"
		"$root/test/integration/decoder_usage.sh"
		"$root/test/integration/decoder_metrics.sh"
		"$root/test/integration/decoder_rogue.sh"
		"$root/test/integration/decoder_emm.sh"
		"$root/test/integration/center_e2e.sh"
		"$root/test/integration/center_commands.sh"
		"$root/test/integration/center_card.sh"
		"$root/test/integration/center_story.sh"
		"$root/test/integration/center_slow.sh"
		"$root/test/integration/center_console.sh"
		"$root/test/integration/center_pg.sh"
		"$root/test/integration/center_pg_full.sh"
		"$root/test/integration/center_powercut.sh"
		"$root/test/integration/center_load.sh"
		"$root/test/integration/center_syncfail.sh"
		"$root/test/integration/decoder_valgrind.sh"
		"$root/test/integration/startup.sh"
		"$root/test/install/manpages.sh"
		"$root/test/install/install.sh"
		"$root/test/install/walkthrough.sh"
		"$root/test/sanitizers.sh"
		"$root/test/fuzz/libfuzzer.sh"
	)
fi

limit=${PTV_TEST_TIMEOUT:-1200}
while [[ $limit == 0?* ]]; do
	limit=${limit#0} # 00 is 0, refused below (timeout takes 0 for none)
done
case $limit in
'' | *[!0-9]* | 0 | ??????????*)
	echo "test/run.sh: PTV_TEST_TIMEOUT=${PTV_TEST_TIMEOUT}: not a count" \
		"of seconds from 1 to 999999999" >&2
	exit 2
	;;
esac
passed=0
failed=0
log=
tpid=
trap 'rm -f "$log"' EXIT
# timeout puts the test in a process group of its own, out of reach of a
# terminal's ^C or a kill of ours: an interruption is passed on to it
# (timeout sends it on to the test's group), and the run ends there
interrupted() {
	if [ -n "$tpid" ]; then
		kill -TERM "$tpid" 2>/dev/null
		wait "$tpid"
	fi
	echo "test/run.sh: interrupted" >&2
	exit 130
}
trap interrupted INT TERM HUP
for t in "${tests[@]}"; do
	name=${t#"$root/"}
	name=${name#"$build/"}
	echo "# --- $name"
	start=$SECONDS
	# a log of its own: what a process a test left behind still writes
	# goes to that test's file, never into the next one's
	rm -f "$log"
	log=$(mktemp /tmp/ptv-test.XXXXXX)
	# (in the background, where bash ignores SIGINT and SIGQUIT: the
	# test gets them back as they were)
	env --default-signal=INT,QUIT timeout -k 30 "$limit" "$t" <&0 \
		>"$log" 2>&1 &
	tpid=$!
	wait "$tpid"
	rc=$?
	tpid=
	cat "$log"
	echo "# $name: $((SECONDS - start)) s"
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	# timeout's own statuses, and the time to show it was timeout's doing
	if { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; } &&
		[ $((SECONDS - start)) -ge "$limit" ]; then
		echo "not ok - $name did not end within $limit s: stopped"
		f=$((f + 1))
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name ran no test"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
