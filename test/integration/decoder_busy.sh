#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# decoderd keeps answering while others are slow, through a real pcscd +
# vpcd + vcard: control clients that connect and say nothing; an uplink to
# a center that trickles, stalls in the handshake or says nothing (each
# session cut at its one deadline, status answered throughout); an M1 it
# cannot read for want of permission (left as it is, the daemon does not
# start) against one that is proven bad (moved aside); a second decoderd
# on the same M1 or key, a second vcard on the same image or vpcd slot.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"
# shellcheck source=../lib/system.sh
. "$root/test/lib/system.sh"

UA1=1111111111111111
SLOW=7444 # the slow center's port
# status_ms: one status, its latency in ms on stdout
status_ms() {
	local t0
	t0=$(ms)
	quietly "$dctl" status || return 1
	echo $(($(ms) - t0))
}
# worst_status SECONDS: status every 100 ms meanwhile; the slowest in ms,
# or "failed"; every answer's uplink= value into uplink.seen
worst_status() {
	local end=$(($(ms) + $1 * 1000)) worst=0 t0 t
	: >uplink.seen
	while [ "$(ms)" -lt $end ]; do
		t0=$(ms)
		"$dctl" status >st.out 2>&1 || { echo failed; return; }
		t=$(($(ms) - t0))
		[ $t -gt $worst ] && worst=$t
		awk '$1 == "uplink" { print $2 }' st.out >>uplink.seen
		sleep 0.1
	done
	echo $worst
}
slow_center() { # MODE: the slow center on $SLOW, its output in slow.MODE
	"$B/test/stallcenter" -i 500 $SLOW center/server.crt center/server.key \
		"$1" >"slow.$1" 2>&1 &
	started
	SLOW_PID=$!
	wait_for 5 grep -q listening "slow.$1"
}
stop_slow() { kill "$SLOW_PID"; wait "$SLOW_PID" 2>/dev/null; }

"$cctl" init >/dev/null
"$B/cardctl" personalize sc1.img --keys center --ua $UA1 --credit 1000
"$B/cardctl" personalize sc2.img --keys center --ua 2222222222222222
"$cctl" register sc1.img.reg sc2.img.reg >/dev/null
mkdir ecm
check "centerd starts" start_center
"$B/vcard" sc1.img 2>vcard.log &
started
VCARD_PID=$!
send -w 10
check "decoderd starts" start_decoder
check "it sees SC1" wait_for 10 is card present

# --- control clients that say nothing ---------------------------------------
# silent N [OUT]: N clients that connect and say nothing for 7 s
silent() {
	SILENT=()
	for i in $(seq "$1"); do
		sleep 7 | "$B/test/ctl_send" "$DECODERD_SOCKET" \
			>"${2:-/dev/null}${2:+$i}" &
		started
		SILENT+=("$!")
	done
}
silent 4 silent.out
sleep 0.3
worst=$(for _ in 1 2 3 4 5; do status_ms; done | sort -n | tail -1)
check "with 4 silent clients connected, status answers at once" \
	test "${worst:-99999}" -lt 500
echo "# status with 4 silent clients: the slowest of 5 in $worst ms"
check "and the daemon hangs up on a silent client after 5 s" \
	wait_for 10 grep -q "^error: bad request: no request line in time" \
	silent.out1
wait "${SILENT[@]}"
silent 20 flood.out
sleep 0.3
worst=$(for _ in 1 2 3 4 5; do status_ms; done | sort -n | tail -1)
check "20 of them, more than the slots: status still answers at once" \
	test "${worst:-99999}" -lt 500
echo "# status with 20 silent clients: the slowest of 5 in $worst ms"
wait "${SILENT[@]}"
check_match "the silent ones lost their slots to it" \
	"nothing said, and another client needed the slot" "$(cat flood.out*)"
check "and once they are gone, status answers" quietly "$dctl" status

# --- an uplink to a slow center: status meanwhile, the session's deadline ----
stop_decoder
start_decoder -C localhost:$SLOW -t 3
for mode in trickle tls tcp; do
	slow_center $mode
	t0=$(ms)
	"$dctl" uplink >uplink.out 2>&1 &
	up=$!
	sleep 0.2
	worst=$(worst_status 2)
	check "$mode: status answers during the uplink (slowest $worst ms)" \
		test "$worst" != failed -a "${worst/failed/99999}" -lt 500
	check "$mode: and says the uplink is running" \
		bash -c '! grep -qv running uplink.seen && test -s uplink.seen'
	wait $up
	rc=$?
	took=$(($(ms) - t0))
	check_eq "$mode: the uplink fails" 1 $rc
	check_match "$mode: at its deadline, saying so" \
		"no answer within its deadline \(3 s\)" "$(cat uplink.out)"
	check "$mode: 3 s after it began (took $took ms)" \
		test $took -ge 2900 -a $took -lt 4500
	check "$mode: the slow center saw the connection closed" \
		wait_for 3 grep -q "conn 1 held" "slow.$mode"
	echo "# $mode: $(grep 'conn 1' "slow.$mode")"
	check_eq "$mode: afterwards status says idle" idle "$(status_of uplink)"
	stop_slow
done
stop_decoder
start_decoder
check "it sees SC1 again" wait_for 10 is card present
check_match "the same decoder uplinks to the real center" "accepted" \
	"$("$dctl" uplink 2>&1)"
check "SC1 exported into M1" wait_for 5 test -n "$(m1_seq_of $UA1)"

# --- M1 unreadable (permissions) vs. M1 proven bad ------------------------
check "decoderd stops" stop_decoder
m1_before=$(sha256sum <m1)
chmod 000 m1
: >dec.log
err=$(timeout 10 setpriv --bounding-set -dac_override,-dac_read_search \
	"$B/decoderd" -f -S "$DECODERD_SOCKET" -m m1 -k dec.key -e ecm -i 0 \
	-I center/issuer.pub 2>&1)
check_eq "an M1 it may not read: decoderd does not start" 1 $?
check_match "saying why, and that M1 is left as it is" \
	"cannot read M1 m1: Permission denied; it is left as it is" "$err"
chmod 600 m1
check_eq "M1 is unchanged" "$m1_before" "$(sha256sum <m1)"
check "and nothing was moved aside" bash -c '! ls m1.corrupt-* 2>/dev/null'
check "readable again, decoderd starts with it" start_decoder
check "and its entry" wait_for 5 test -n "$(m1_seq_of $UA1)"
check "decoderd stops" stop_decoder
printf 'garbage' >m1
start_decoder
check_match "an M1 proven bad is moved aside" "moved aside to m1.corrupt-" \
	"$(cat dec.log)"
check "and the daemon runs" wait_for 10 is card present

# --- one decoderd per M1 and per key ----------------------------------------
err=$(timeout 10 "$B/decoderd" -f -S other.sock -m m1 -k other.key -i 0 \
	-I center/issuer.pub 2>&1)
check_eq "a second decoderd on the same M1 refuses to start" 1 $?
check_match "naming the one that holds it" \
	"^decoderd: M1 m1 is in use by another decoderd \(pid $DEC_PID\)$" \
	"$err"
err=$(timeout 10 "$B/decoderd" -f -S other.sock -m other.m1 -k dec.key -i 0 \
	-I center/issuer.pub 2>&1)
check_eq "so does one on the same key" 1 $?
check_match "saying so" "key file dec.key is in use by another decoderd" \
	"$err"
check "the first is unharmed" is card present
check "decoderd stops" stop_decoder
check "then another may take M1" start_decoder
check "decoderd stops" stop_decoder

# --- one vcard per image and per vpcd slot ------------------------------------
err=$("$B/vcard" -S other-vcard.sock -p 35970 sc1.img 2>&1)
check_eq "a second vcard on the same image refuses to start" 1 $?
check_match "saying so" "sc1.img is in use by another vcard \(pid $VCARD_PID\)" \
	"$err"
err=$("$B/vcard" -S other-vcard.sock sc2.img 2>&1)
check_eq "a second vcard on the same vpcd slot refuses to start" 1 $?
check_eq "saying so" "vcard: vpcd 127.0.0.1:35963: another vcard serves it" \
	"$err"
check_match "the first still serves its card" " 9000$" \
	"$(send 00A4040007F0505456534D01 80CA010027)"
"$B/cardctl" swap "$tmp/sc2.img" >/dev/null
check_match "after a swap, SC1's image is free" "card inserted: .*sc1.img" \
	"$("$B/vcard" -S other-vcard.sock -p 35970 sc1.img 2>&1 &
	p=$!; sleep 0.5; kill $p; wait $p 2>/dev/null)"
tap_done
