#!/bin/bash
# Benchmarks, each side by side with its physical limit in one run.
#
# Card: nullcard (a do-nothing C card) on vpcd slot 0 and vcard on slot 1
# of the same hermetic pcscd; APDUs per second for each case, and the
# ratio vcard / nullcard.
#
# usage: test/bench/bench.sh BUILD_DIR [SECONDS_PER_CASE]
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
secs=${2:-${BENCH_SECONDS:-0.5}}
if [ -z "${PTV_IN_NAMESPACE:-}" ]; then
	exec "$root/test/lib/hermetic.sh" "$0" "$build" "$secs"
fi

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

"$build/cardctl" new "$tmp/bench.img"
"$build/bench/nullcard" 35963 &
NULL_PID=$!
"$build/vcard" -q -S "$tmp/vcard.sock" -p 35964 "$tmp/bench.img" &
VCARD_PID=$!
"$build/test/pcsc_send" -r "PCD 00 00" -w 10 &&
	"$build/test/pcsc_send" -r "PCD 00 01" -w 10 || {
	echo "bench: cards did not come up" >&2
	exit 1
}

SEL=00A4040007F0505456494401
cases=(
	"short=00CA010108"          # GET DATA, 8 bytes, nothing written
	"resp255=00840000FF"        # 255-byte response
	"ext4k=00840000001000"      # 4 KiB in one extended response
	"commit=8010000004"         # INCREMENT: one committed transaction
)
rounds=${BENCH_ROUNDS:-9}
# The machine's speed drifts by about 10% from second to second, for the
# baseline as much as for vcard: so the two cards run in alternating rounds
# and the ratio reported is the median of the per-round ratios; the rates
# shown are the medians of each card's rounds.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "card: APDUs per second through pcscd + vpcd," \
	"$rounds alternating rounds of ${secs}s, medians"
printf '%-10s %12s %12s %8s\n' case nullcard vcard ratio
for c in "${cases[@]}"; do
	name=${c%%=*}
	: >"$tmp/rounds"
	for _ in $(seq "$rounds"); do
		n=$("$build/bench/apdubench" -r "Virtual PCD 00 00" -t "$secs" \
			"$c") || { echo "bench: $name failed" >&2; exit 1; }
		v=$("$build/bench/apdubench" -r "Virtual PCD 00 01" -t "$secs" \
			-p "$SEL" "$c") || { echo "bench: $name failed" >&2; exit 1; }
		echo "${n##* } ${v##* }" >>"$tmp/rounds"
	done
	printf '%-10s %12d %12d %8.2f\n' "$name" \
		"$(awk '{ print $1 }' "$tmp/rounds" | median)" \
		"$(awk '{ print $2 }' "$tmp/rounds" | median)" \
		"$(awk '{ print $2 / $1 }' "$tmp/rounds" | median)"
done
