#!/bin/bash
# Benchmarks, each side by side with its physical limit in one run.
#
# Card: nullcard (a do-nothing C card) on vpcd slot 0 and vcard on slot 1
# of the same hermetic pcscd; APDUs per second for each case and the ratio
# vcard / nullcard.  The vcard card is a personalized security module
# (with the identity applet) whose purchase log is full.
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
