#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmarks, each side by side with its physical limit in one run.
#
# Card: nullcard (a do-nothing C card) on vpcd slot 0 and vcard on slot 1
# of the same hermetic pcscd; APDUs per second for each case and the ratio
# vcard / nullcard.  The vcard card is a personalized security module
# (with the identity applet) whose purchase log is full.
#
# Center: ingestbench (on 1, the cores, twice and four times the cores
# sessions at once; BENCH_INGEST_THREADS=1,2,4 chooses, BENCH_INGEST_SECONDS the time
# of each pass), then center_load.sh.
#
# What the run prints is kept in BUILD_DIR/bench.txt (BENCH_OUT moves
# it), headed by the date, the commit and the machine's load.
#
# usage: test/bench/bench.sh BUILD_DIR [SECONDS_PER_ROUND]
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
secs=${2:-${BENCH_SECONDS:-1}}
rounds=${BENCH_ROUNDS:-7}
if [ -z "${PTV_IN_NAMESPACE:-}" ]; then
	exec "$root/test/lib/hermetic.sh" "$0" "$build" "$secs"
fi

# the run's record: everything it prints, headed by when, what and how
# busy the machine was (the figures are only as quiet as the machine)
if [ -z "${PTV_BENCH_TEED:-}" ]; then
	PTV_BENCH_TEED=1 "$0" "$build" "$secs" 2>&1 |
		tee "${BENCH_OUT:-$build/bench.txt}"
	exit "${PIPESTATUS[0]}"
fi
started=$(date +%s)
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "bench: $(date -u '+%Y-%m-%d %H:%M UTC'), commit" \
	"$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)," \
	"$(nproc) cores, load average $(load)"

tmp=$(mktemp -d /tmp/ptv-bench.XXXXXX)
NULL_PID=
VCARD_PID=
cleanup() {
	[ -n "$NULL_PID" ] && kill "$NULL_PID" 2>/dev/null
	[ -n "$VCARD_PID" ] && kill "$VCARD_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
die() { echo "bench: $*" >&2; exit 1; }

T=1800000000
UA=00000000000000b1
ID=00A4040007F0505456494401
SM=00A4040007F0505456534D01
vsend() { "$build/test/pcsc_send" -r "Virtual PCD 00 01" "$@"; }
# apdu CLAINS HEXDATA: case 4E with Le 0000
apdu() { printf '%s0000%s%s0000\n' "$1" "$(printf '00%04X' $((${#2} / 2)))" "$2"; }

"$build/headend" init "$tmp/ops" || die "keys"
"$build/cardctl" personalize "$tmp/bench.img" --keys "$tmp/ops" --ua $UA \
	--credit 1000000 --right 5:$((T + 86400)) || die "personalize"
"$build/bench/nullcard" 35963 &
NULL_PID=$!
"$build/vcard" -q -S "$tmp/vcard.sock" -p 35964 "$tmp/bench.img" &
VCARD_PID=$!
"$build/test/pcsc_send" -r "PCD 00 00" -w 10 && vsend -w 10 ||
	die "cards did not come up"

# Unlock and fill the purchase log: 64 films, each over before the next
# (the card holds 32 running events at most).
cmds=("$SM" "$(apdu 8050 "$("$build/headend" cmd "$tmp/ops" --ua $UA \
	--counter 1 unlock)")")
for i in $(seq 64); do
	cmds+=("$(apdu 8032 "$("$build/headend" ecm "$tmp/ops" --channel 7 \
		--event $((1000 + i)) --time $((T + 100 * i)) \
		--end $((T + 100 * i + 50)) --ppv 1)")")
done
out=$(vsend "${cmds[@]}") || die "filling the log"
echo "$out" | grep -v " 9000$" | grep -qv "^9000$" && die "filling the log: $(echo "$out" | sort | uniq -c)"
block=$(vsend "$SM" 80400000000000 | tail -1 | cut -d' ' -f1)
blen=$(( ${#block} / 2 ))
ecm=$(apdu 8030 "$("$build/headend" ecm "$tmp/ops" --channel 5 --event 1 \
	--time $T --sub)")

# median of numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# compare NAME PREP VCARD_APDU NULLCARD_APDU
compare() {
	local name=$1 prep=$2 v_apdu=$3 n_apdu=$4 n v
	: >"$tmp/rounds"
	for _ in $(seq "$rounds"); do
		n=$("$build/bench/apdubench" -r "Virtual PCD 00 00" -t "$secs" \
			"$name=$n_apdu") || die "$name on nullcard"
		v=$("$build/bench/apdubench" -r "Virtual PCD 00 01" -t "$secs" \
			-p "$prep" "$name=$v_apdu") || die "$name on vcard"
		echo "${n##* } ${v##* }" >>"$tmp/rounds"
		[ -n "${BENCH_VERBOSE:-}" ] && echo "#   $name: ${n##* } ${v##* }"
	done
	printf '%-22s %10d %10d %7.2f\n' "$name" \
		"$(awk '{ print $1 }' "$tmp/rounds" | median)" \
		"$(awk '{ print $2 }' "$tmp/rounds" | median)" \
		"$(awk '{ print $2 / $1 }' "$tmp/rounds" | median)"
}

# The machine's speed drifts by about 10% from second to second, for the
# baseline as much as for vcard: the two cards run in alternating rounds,
# and the figures are medians (the ratio: of the per-round ratios).
echo "card: APDUs per second through pcscd + vpcd," \
	"$rounds alternating rounds of ${secs}s, medians"
printf '%-22s %10s %10s %7s\n' case nullcard vcard ratio
compare short-get-data "$ID" 00CA010108 00CA010108
compare resp-255 "$ID" 00840000FF 00840000FF
compare ext-resp-4k "$ID" 00840000001000 00840000001000
compare commit-increment "$ID" 8010000004 8010000004
compare process-ecm "$SM" "$ecm" "$ecm"
compare "export-full-log-${blen}B" "$SM" 80400000000000 \
	"$(printf '00CA000000%04X' "$blen")"

# --- decoderd ------------------------------------------------------------
# Idle: 30 s with the card inserted, nothing asked; CPU from /proc, memory
# as resident set.  Export: from the request to a durable M1 entry,
# against the bare fsynced atomic replacement of a file of M1's size.
DEC_PID=
dec_cleanup() { [ -n "$DEC_PID" ] && kill "$DEC_PID" 2>/dev/null; cleanup; }
trap dec_cleanup EXIT
export DECODERD_SOCKET=$tmp/dec.sock
"$build/decoderd" -f -m "$tmp/m1" -k "$tmp/dec.key" -S "$DECODERD_SOCKET" \
	-r "PCD 00 01" -i 0 -I "$tmp/ops/issuer.pub" -l error 2>/dev/null &
DEC_PID=$!
for _ in $(seq 100); do
	"$build/decoderctl" status 2>/dev/null | grep -q "^card  *present" &&
		break
	sleep 0.1
done
"$build/decoderctl" export >/dev/null || die "decoderd export"
idle=${BENCH_IDLE_SECONDS:-30}
ticks() { awk '{ print $14 + $15 }' "/proc/$DEC_PID/stat"; }
t0=$(ticks)
sleep "$idle"
t1=$(ticks)
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$DEC_PID/status")
hz=$(getconf CLK_TCK)
echo
echo "decoderd idle for ${idle}s with a card inserted:" \
	"$((t1 - t0)) CPU ticks of 1/${hz}s" \
	"($(awk -v t=$((t1 - t0)) -v s="$idle" -v hz="$hz" \
	'BEGIN { printf "%.3f", 100 * t / hz / s }')% CPU), resident ${rss} KiB"
n=20
start=$(date +%s%N)
for _ in $(seq $n); do "$build/decoderctl" export >/dev/null || die export; done
end=$(date +%s%N)
export_us=$(( (end - start) / n / 1000 ))
start=$(date +%s%N)
for _ in $(seq $n); do "$build/decoderctl" status >/dev/null; done
end=$(date +%s%N)
status_us=$(( (end - start) / n / 1000 ))
size=$(stat -c %s "$tmp/m1")
bare=$("$build/bench/replacebench" "$tmp/bare" "$size" 200)
echo "export to a durable M1 entry (${size}-byte M1), mean of $n:"
printf '  %-44s %8d us\n' "decoderctl export" "$export_us" \
	"  of which decoderctl round trip (status)" "$status_us" \
	"bare fsynced atomic replace, same size" "$bare"
echo "  ratio bare / (export - round trip): $(awk -v b="$bare" \
	-v e="$export_us" -v s="$status_us" 'BEGIN { printf "%.2f", b / (e - s) }')"

# --- centerd ---------------------------------------------------------------
echo
"$build/bench/ingestbench" "$tmp" "${BENCH_INGEST_SECONDS:-3}" \
	${BENCH_INGEST_THREADS:+"$BENCH_INGEST_THREADS"} ||
	die "ingest benchmark"

# --- the center under load ------------------------------------------------
echo
"$root/test/bench/center_load.sh" "$build" || die "center load benchmark"
echo
echo "bench: done in $(($(date +%s) - started)) s, load average $(load)"
