#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make demo: the scenario of the design brief, end to end, narrated, in a
# private pcscd (unshare --mount --net, loopback only).  Everything it
# starts it stops; everything it writes lives in one temporary directory.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
build=$(cd "$build" && pwd)
if [ -z "${PTV_IN_NAMESPACE:-}" ]; then
	exec "$root/test/lib/hermetic.sh" "$0" "$build"
fi

tmp=$(mktemp -d /tmp/ptv-demo.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export CENTER_KEYS=$tmp/center VCARD_SOCKET=$tmp/vcard.sock \
	DECODERD_SOCKET=$tmp/decoderd.sock
cd "$tmp" || exit 1
B=$build
step=0
say() {
	step=$((step + 1))
	printf '\n\033[1m%d. %s\033[0m\n' "$step" "$*"
}
run() {
	printf '   $ %s\n' "${*#"$B/"}"
	"$@" 2>&1 | sed 's/^/     /'
	return "${PIPESTATUS[0]}"
}
fail() { echo "demo: $*" >&2; exit 1; }
wait_status() {     # wait_status KEY VALUE
	for _ in $(seq 100); do
		"$B/decoderctl" status 2>/dev/null |
			awk -v k="$1" -v v="$2" '$1 == k && $2 == v { f = 1 }
			END { exit !f }' && return 0
		sleep 0.1
	done
	fail "the decoder never reported $1 = $2"
}

T=1800000000
UA1=1111111111111111
UA2=2222222222222222
CONSOLE=127.0.0.1:7444     # the operator console (centerd -A)

say "The operator sets up the management center: master secret, signing" \
	"key, a local CA and the center's TLS certificate."
run "$B/centerctl" init || fail "centerctl init"

say "Two security modules are personalized, SC1 and SC2, each with its" \
	"own UA and key pair, and registered with the center."
run "$B/cardctl" personalize sc1.img --keys center --ua $UA1 --credit 1000 ||
	fail personalize
run "$B/cardctl" personalize sc2.img --keys center --ua $UA2 --credit 500 ||
	fail personalize
run "$B/centerctl" register sc1.img.reg sc2.img.reg || fail register
mkdir ecm emm
"$B/centerctl" ecm --channel 7 --event 42 --time $T --end $((T + 7200)) \
	--ppv 300 --count 3 >ecm/7.ecm
"$B/centerctl" ecm --channel 8 --event 43 --time $T --end $((T + 5400)) \
	--ppv 250 --count 3 >ecm/8.ecm

say "The center and the decoder start; SC1 goes into the reader. A new" \
	"card is transfer-locked."
"$B/centerd" -f -K center -W "$CONSOLE" 2>center.log &
PIDS+=($!)
CENTERD_PID=$!
"$B/vcard" sc1.img 2>vcard.log &
PIDS+=($!)
# -L no: the demo takes each uplink by hand, so that SC2 is seen locked
# (decoderd would otherwise call the center the moment a locked card is in)
"$B/decoderd" -f -S "$DECODERD_SOCKET" -m m1 -k decoder.key -e ecm \
	-A center/ca.crt -I center/issuer.pub -C localhost:7443 -i 0 -L no \
	-E emm -T 0 2>decoder.log &
PIDS+=($!)
wait_status card present
run "$B/decoderctl" status

say "First contact: the decoder connects to the center, which unlocks SC1."
run "$B/decoderctl" uplink || fail uplink
wait_status locked no

say "The subscriber zaps to channel 7: the card offers film 42 for 300."
run "$B/decoderctl" tune 7
say "Impulse purchase on credit; the film's control words now come back."
run "$B/decoderctl" buy 42 || fail buy
run "$B/decoderctl" tune 7
say "And film 43 on channel 8, for 250."
run "$B/decoderctl" tune 8
run "$B/decoderctl" buy 43 || fail buy
run "$B/decoderctl" tune 8

say "Each purchase moved SC1's change counter: the decoder exported SC1's" \
	"signed, encrypted block into M1."
run "$B/decoderctl" m1

say "The operator swaps the card (technology upgrade): SC1 out, SC2 in." \
	"SC1 will never come back."
run "$B/cardctl" swap sc2.img || fail swap
wait_status ua $UA2
run "$B/decoderctl" status
say "SC2 is transfer-locked: it may not export, so M1 still holds SC1's block."
run "$B/decoderctl" export
echo "   M1 before the uplink:"
"$B/decoderctl" m1 | sed 's/^/     /'

say "Uplink: the decoder sends SC2's block and, wrapped as recovered, SC1's" \
	"block from M1. The center sorts them by UA, invoices SC1's two films," \
	"records SC1 as retired and recovered, acknowledges SC1's M1 entry" \
	"and unlocks SC2."
run "$B/decoderctl" uplink || fail uplink
wait_status locked no

say "SC2 is unlocked: the decoder exports SC2 into M1. SC1's entry is gone" \
	"because, and only because, the center acknowledged it."
echo "   M1 after the uplink:"
"$B/decoderctl" m1 | sed 's/^/     /'

say "The uplink is repeated: nothing is invoiced twice."
run "$B/decoderctl" uplink || fail uplink

say "Not only purchases: the blocks carried the cards' usage statistics" \
	"(ECMs per channel, control words, denials, power-ups), clock, credit," \
	"rights and function versions. The center keeps the latest of each" \
	"card, SC1's from its recovered block."
run "$B/centerctl" card $UA1 || fail "centerctl card"

say "The center orders an export from SC2 without waiting for it to call:" \
	"an EMM (a signed command on the broadcast path) goes on the broadcast."
run "$B/centerctl" emm $UA2 export -o emm/broadcast.emm || fail "centerctl emm"
seq_before=$("$B/decoderctl" m1 | awk -v u=$UA2 '$1 == u { print $3 }')
say "The decoder feeds the broadcast's EMMs to its card; SC2 flags the" \
	"order and the decoder exports SC2 into M1 at once."
run "$B/decoderctl" emm || fail "decoderctl emm"
for _ in $(seq 50); do
	seq_now=$("$B/decoderctl" m1 | awk -v u=$UA2 '$1 == u { print $3 }')
	[ "${seq_now:-0}" -gt "${seq_before:-0}" ] && break
	sleep 0.1
done
[ "${seq_now:-0}" -gt "${seq_before:-0}" ] ||
	fail "SC2 was not exported on the center's order"
grep -o "exported card $UA2 .*the center's export now.*" decoder.log |
	sed 's/^/     decoderd: /'
echo "   M1 after the center's order:"
"$B/decoderctl" m1 | sed 's/^/     /'

say "The center's books."
run "$B/centerctl" cards
run "$B/centerctl" invoices
n=$("$B/centerctl" invoices --json | grep -o '"seq"' | wc -l)
[ "$n" -eq 2 ] || fail "expected 2 invoices, found $n"
printf '\n\033[1mDone: SC1 consumed 550 of its credit on two films; both are\n'
printf 'invoiced once, though SC1 never reached the center itself.\033[0m\n'

say "The operator's console: centerd serves it over HTTPS on its own" \
	"address, to the holder of the admin token (centerctl init made it)."
tok=$(cat center/console.token)
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert center/ca.crt \
	"https://$CONSOLE/" 2>/dev/null)
printf '   without the token: HTTP %s\n' "$code"
curl -s --cacert center/ca.crt -H "Authorization: Bearer $tok" \
	"https://$CONSOLE/metrics" 2>/dev/null |
	grep -E '^ptv_center_(sessions_total\{outcome="recorded"|blocks_total|cards\{)' |
	sed 's/^/     /'
printf '\n\033[1mThe console: https://%s/\033[0m (token in %s)\n' \
	"$CONSOLE" "$tmp/center/console.token"
printf '   log in: https://%s/login?token=%s\n' "$CONSOLE" "$tok"
if [ -n "${DEMO_WAIT:-}" ]; then
	printf '   It lives in the demo'"'"'s network namespace; from another shell:\n'
	printf '     nsenter -t %s -n curl -k -H "Authorization: Bearer %s" https://%s/api/overview\n' \
		"$CENTERD_PID" "$tok" "$CONSOLE"
	printf '     nsenter -t %s -n chromium --headless --no-sandbox --ignore-certificate-errors --screenshot=/tmp/console.png "https://%s/login?token=%s"\n' \
		"$CENTERD_PID" "$CONSOLE" "$tok"
	printf '   Waiting (DEMO_WAIT is set): Ctrl-C ends the demo.\n'
	trap 'exit 0' INT TERM
	while kill -0 "$CENTERD_PID" 2>/dev/null; do sleep 1; done
fi
