#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Slow and hostile clients against centerd, with a real decoder (decoderd
# through pcscd + vpcd + vcard) uplinking meanwhile:
#  - 64 clients trickling into TLS handshakes and into frame bodies: every
#    genuine uplink still goes through, within a few seconds;
#  - a trickling client is cut at its deadline: the idle limit per frame
#    (handshake, frame body), the session deadline inside a frame;
#  - the per-address and the global cap answer "busy", and the decoder
#    says so;
#  - 200 junk sessions leave no rows, and are counted; their rejected
#    blocks only the ring of the newest 1000, the database not growing;
#  - the log is not flooded by any of it.
# The attackers come from other loopback addresses (127.0.0.2, ...) than
# the decoder (127.0.0.1): the per-address cap tells them apart.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"

. "$root/test/lib/daemons.sh"

IDLE=2000      # centerd -F (ms): the longest a frame (or the handshake) may take
SESSION=3000   # centerd -t (ms): the whole connection
MAXCONN=24     # centerd -n
PERADDR=8      # the default per-address cap (centerd -N)
UA1=1111111111111111
DEC=00000000000000bb

ms() { echo $(($(date +%s%N) / 1000000)); }
us() { "$B/test/uplink_send" localhost 7443 center/ca.crt "$@"; }
# B:@ -- the present card answers the session's challenge (UPLINK BLOCKS)
export PTV_UPLINK_CARD="$B/test/pcsc_send -r 'Virtual PCD 00 00' $SEL \
80420000000010{}0000"
# trickle [OPTIONS] MODE N: against our centerd
trickle() {
	"$B/test/trickle" "${@:1:$#-2}" 127.0.0.1 7443 center/ca.crt "${@:$#-1}"
}
# field NAME FILE: a number trickle reported (999999 if it has none)
field() {
	local v
	v=$(sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$2")
	echo "${v:-999999}"
}
rows() { sqlite3 center/center.db "SELECT COUNT(*) FROM $1"; }
quietly() { "$@" >/dev/null; }
between() { [ "$2" -le "$1" ] && [ "$1" -le "$3" ]; }

start_center() {
	"$B/centerd" -f -K center -F ${IDLE}ms -t ${SESSION}ms -n $MAXCONN \
		2>>center.log &
	started
	CENTER_PID=$!
	wait_for 5 center_port_open
}
# One genuine uplink through decoderd, timed: "ms" on success.
timed_uplink() {
	local t0
	t0=$(ms)
	"$dctl" uplink >uplink.out 2>&1 || { cat uplink.out; return 1; }
	echo $(($(ms) - t0))
}

"$cctl" init
"$B/cardctl" personalize sc1.img --keys center --ua $UA1 --credit 1000
"$cctl" register sc1.img.reg
mkdir ecm
check "centerd starts" start_center
"$B/vcard" sc1.img 2>vcard.log &
started
"$B/decoderd" -f -S "$DECODERD_SOCKET" -m m1 -k dec.key -e ecm \
	-A center/ca.crt -I center/issuer.pub -C localhost:7443 -i 0 2>>dec.log &
started
card_present() {
	[ "$("$dctl" status 2>/dev/null | awk '$1 == "card" { print $2 }')" = present ]
}
check "decoderd sees the card" wait_for 10 card_present
check "a first uplink goes through" quietly timed_uplink

# --- 64 clients trickling while the decoder uplinks ------------------------
trickle -r -s 127.0.0.2 -i 1000 -d 10 -w hs.ready handshake 32 >hs.out &
started
hs=$!
trickle -r -s 127.0.0.3 -i 1000 -d 10 -w fr.ready frame 32 >fr.out &
started
fr=$!
check "64 tricklers connect" wait_for 10 test -e hs.ready -a -e fr.ready
sleep 0.5
worst=0 failed=0
for _ in 1 2 3 4 5 6; do
	if t=$(timed_uplink); then
		[ "$t" -gt "$worst" ] && worst=$t
	else
		failed=$((failed + 1))
	fi
	sleep 0.3
done
echo "# 6 uplinks through decoderd under 64 tricklers: slowest ${worst} ms"
check_eq "every uplink under the trickle went through" 0 $failed
check "each within 3 s" test "$worst" -lt 3000
t0=$(ms)
for i in 1 2 3 4 5; do
	us session $DEC $UA1 "B:@" >par$i.out 2>&1 &
done
wait_for 10 bash -c 'test "$(cat par*.out | grep -c "^done")" = 5'
check_eq "5 parallel genuine sessions are answered meanwhile" 5 \
	"$(cat par*.out | grep -c '^done')"
echo "# 5 parallel genuine sessions: $(($(ms) - t0)) ms"
wait $hs $fr
echo "# handshake tricklers: $(cat hs.out)"
echo "# frame tricklers:     $(cat fr.out)"
check "handshake tricklers are cut within the idle limit" \
	test "$(field held_ms_max hs.out)" -le $((IDLE + 700))
check "frame tricklers are cut within the idle limit" \
	test "$(field held_ms_max fr.out)" -le $((IDLE + 700))
check "tricklers over the per-address cap are answered busy" \
	test "$(field busy fr.out)" -gt 0

# --- one trickler at a time: when is it cut? -------------------------------
trickle -s 127.0.0.4 -i 500 -d 8 handshake 1 >cut-hs.out &
a=$!
trickle -s 127.0.0.4 -i 500 -d 8 frame 1 >cut-fr.out &
b=$!
trickle -s 127.0.0.4 -i 80 -d 8 frames 1 >cut-frs.out &
c=$!
wait $a $b $c
for f in cut-hs cut-fr cut-frs; do echo "# $f: $(cat $f.out)"; done
check "a handshake trickled a byte per 500 ms is cut at the idle limit" \
	between "$(field held_ms_max cut-hs.out)" $((IDLE - 100)) $((IDLE + 500))
check "a frame body trickled a byte per 500 ms: cut at the idle limit" \
	between "$(field held_ms_max cut-fr.out)" $((IDLE - 100)) $((IDLE + 500))
check "frames each within the idle limit: cut at the session deadline" \
	between "$(field held_ms_max cut-frs.out)" $((SESSION - 100)) \
	$((SESSION + 400))
check_eq "none of them is still open" "0 0 0" \
	"$(field open cut-hs.out) $(field open cut-fr.out) $(field open cut-frs.out)"

# --- full: the per-address cap, then the global one ------------------------
rm -f full.ready
trickle -s 127.0.0.1 -i 1000 -d 3 -w full.ready frame $PERADDR >full1.out &
a=$!
wait_for 10 test -e full.ready
out=$("$dctl" uplink 2>&1)
check_match "the decoder over its address's cap says the center is busy" \
	"center .*busy: try again later" "$out"
check "and not that authentication failed" \
	bash -c "! grep -q authentication <<<'$out'"
wait $a
rm -f full.ready
trickle -s 127.0.0.5,127.0.0.6,127.0.0.7,127.0.0.8 -i 1000 -d 3 \
	-w full.ready frame $MAXCONN >full2.out &
a=$!
wait_for 10 test -e full.ready
out=$("$dctl" uplink 2>&1)
check_match "with $MAXCONN connections served, the center is busy" \
	"center .*busy: try again later" "$out"
wait $a
check "once they are gone, the uplink goes through" quietly timed_uplink

# --- junk sessions leave no rows --------------------------------------------
frames() { for _ in $(seq "$1"); do printf 'R:0102 '; done; }
before="$(rows blocks) $(rows sessions)"
pages() { sqlite3 center/center.db "PRAGMA page_count"; }
# shellcheck disable=SC2046
for _ in $(seq 100); do us session $DEC - $(frames 31) >/dev/null; done
pages100=$(pages)
# shellcheck disable=SC2046
for _ in $(seq 100); do us session $DEC - $(frames 31) >/dev/null; done
after="$(rows blocks) $(rows sessions)"
echo "# blocks and sessions rows before 200 junk sessions: $before, after: $after"
check_eq "200 junk sessions add no block or session rows" "$before" "$after"
check_eq "their rejected blocks: the newest 1000 kept, no more" 1000 \
	"$(rows rejected)"
check "all 6200 counted, by reason" test "$(sqlite3 center/center.db \
	"SELECT n FROM rejected_counts WHERE reason = 4")" -ge 6200
check_eq "the database did not grow from the second 100" "$pages100" \
	"$(pages)"
out=$(us session $DEC $UA1 "B:@" "R:0102")
check_match "a session with a genuine block" "result 0 accepted" "$out"
check_eq "records its rejected block beside it" \
	"$(($(rows blocks) - 2))" "${before%% *}"

# --- what the operator reads ------------------------------------------------
check "centerd stops cleanly" stop_center
echo "# center.log: $(wc -l <center.log) lines"
grep -E 'refus|cut|junk|no valid' center.log | sed 's/^/#   /' | tail -12
logged() { grep -Eq -- "$1" center.log; }
check "the junk sessions are counted" logged "200 sessions with no valid block"
check "by reason" logged "6200 malformed"
check "the per-address cap is logged" logged "per-address"
check "thousands of refusals and cuts, a few dozen log lines" \
	test "$(wc -l <center.log)" -lt 60
tap_done
