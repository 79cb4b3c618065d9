#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A bounded libFuzzer run of every fuzz target, with ASan + UBSan.
#
# With no argument (as test/run.sh runs it) it builds the targets with
# clang (`make fuzz-build`, into build-fuzz) and shares PTV_FUZZ_BUDGET
# seconds of fuzzing among them, at most 30 s and at least 5 s each,
# PTV_FUZZ_JOBS at a time; without clang it skips.  Given a build
# directory and target names (as `make fuzz` runs it) it runs those, each
# for PTV_FUZZ_SECONDS.
#
# Each target starts from its committed corpus (test/fuzz/corpus/NAME/);
# what it finds goes to a scratch directory, never into the corpus.  One
# TAP line per target with its executions; a crash prints the sanitizer's
# report and keeps the input in BUILD/crashes/ (replay it with the plain
# build: build/fuzz/fuzz_NAME FILE).
#
# usage: test/fuzz/libfuzzer.sh [BUILD_DIR TARGET...]
set -u
root=${PTV_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/test/lib/tap.sh"

budget=${PTV_FUZZ_BUDGET:-200} # seconds of fuzzing in all, for make check
jobs=${PTV_FUZZ_JOBS:-2}
tmp=$(mktemp -d /tmp/ptv-fuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if [ $# -gt 0 ]; then
	build=$(cd "$1" && pwd)
	shift
	targets=("$@")
	secs=${PTV_FUZZ_SECONDS:-60}
else
	if [ -n "${PTV_SANITIZED:-}" ]; then
		ok "# SKIP the whole run is sanitized already"
		tap_done
		exit
	fi
	require_tool clang
	if ! make -C "$root" -s -j2 fuzz-build >"$tmp/build.log" 2>&1; then
		not_ok "the libFuzzer build (make fuzz-build)"
		tail -30 "$tmp/build.log" | sed 's/^/# /'
		tap_done
		exit
	fi
	build=$root/build-fuzz
	read -ra targets <<<"$(make -s --no-print-directory -C "$root" list-fuzz)"
	secs=$((budget / ${#targets[@]}))
	[ "$secs" -gt 30 ] && secs=30
	[ "$secs" -lt 5 ] && secs=5
	echo "# ${#targets[@]} targets, $secs s each, $jobs at a time" \
	    "(PTV_FUZZ_BUDGET=$budget)"
fi

export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1

fuzz_one() {
	local t=$1
	mkdir -p "$tmp/$t.new"
	"$build/fuzz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
	    -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$tmp/$t." \
	    "$tmp/$t.new" "$root/test/fuzz/corpus/$t" >"$tmp/$t.log" 2>&1
	echo $? >"$tmp/$t.rc"
}

report() {
	local t=$1 rc execs found
	rc=$(cat "$tmp/$t.rc")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$t.log")
	found=$(find "$tmp/$t.new" -type f 2>/dev/null | wc -l)
	if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
		ok "fuzz_$t: ${execs} executions in $secs s, $found new inputs, no crash"
		return
	fi
	not_ok "fuzz_$t: libFuzzer stopped with status $rc"
	grep -E 'ERROR|SUMMARY|runtime error|invariant|#[0-9]+ 0x' \
	    "$tmp/$t.log" | head -30 | sed 's/^/#   /'
	mkdir -p "$build/crashes"
	for a in "$tmp/$t".crash-* "$tmp/$t".leak-* "$tmp/$t".timeout-* \
	    "$tmp/$t".oom-*; do
		[ -e "$a" ] || continue
		cp "$a" "$build/crashes/"
		echo "#   input kept: $build/crashes/${a##*/}"
		echo "#   hex: $(od -An -tx1 -v "$a" | tr -d ' \n' | cut -c1-512)"
	done
}

running=0
for t in "${targets[@]}"; do
	if [ ! -x "$build/fuzz/fuzz_$t" ] || [ ! -d "$root/test/fuzz/corpus/$t" ]; then
		echo 1 >"$tmp/$t.rc"
		echo "no binary or no corpus for $t" >"$tmp/$t.log"
		continue
	fi
	fuzz_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
for t in "${targets[@]}"; do
	report "$t"
done
tap_done
