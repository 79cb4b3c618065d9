#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# decoderd sharing its reader with other PC/SC clients, through a real
# pcscd + vpcd + vcard and a real centerd: another client selects the
# identity applet, resets the card, powers it down, holds a transaction
# for seconds, holds the card when it is inserted.  Every time decoderd
# exports and uplinks afterwards without the card being reinserted, and
# `decoderctl status` tells the truth throughout; an uplink whose present
# card cannot be read still sends M1's entries of other cards.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"
# shellcheck source=../lib/system.sh
. "$root/test/lib/system.sh"

T=1800000000
UA1=1111111111111111
UA2=2222222222222222
ID=00A4040007F0505456494401

# holder SECONDS: another client takes the card in a transaction for that
# long (selecting the identity applet); returns once it holds it
HOLDS=0
holder() {
	HOLDS=$((HOLDS + 1))
	send -t "$(($1 * 1000))" $ID >"holder$HOLDS.out" 2>&1 &
	started
	HOLDER_PID=$!
	wait_for 5 grep -q 9000 "holder$HOLDS.out"
}
# watch SECONDS: status every 100 ms meanwhile, one line each:
# "LATENCY_MS CARD UA HELD"
watch_status() {
	local end=$(($(ms) + $1 * 1000)) t0 out
	: >watch.out
	while [ "$(ms)" -lt $end ]; do
		t0=$(ms)
		out=$("$dctl" status 2>&1)
		printf '%s %s %s %s\n' $(($(ms) - t0)) \
			"$(awk '$1 == "card" { print $2 }' <<<"$out")" \
			"$(awk '$1 == "ua" { print $2 }' <<<"$out")" \
			"$(awk '$1 == "held" { print $2 }' <<<"$out")" >>watch.out
		sleep 0.1
	done
}
max_latency() { sort -n watch.out | tail -1 | cut -d' ' -f1; }

"$cctl" init >/dev/null
for i in 1 2; do
	"$B/cardctl" personalize "sc$i.img" --keys center \
		--ua "$(eval echo "\$UA$i")" --credit 1000
done
"$cctl" register sc1.img.reg sc2.img.reg >/dev/null
mkdir ecm
"$cctl" ecm --channel 7 --event 42 --time $T --end $((T + 7200)) --ppv 300 \
	--count 2 >ecm/7.ecm

check "centerd starts" start_center -F 2s -t 20s
"$B/vcard" sc1.img 2>vcard.log &
started
send -w 10
check "decoderd starts" start_decoder
check "it sees SC1" wait_for 10 is card present
quietly "$dctl" uplink
check "the center unlocked SC1" wait_for 5 is locked no
check "SC1 exported into M1" wait_for 5 test -n "$(m1_seq_of $UA1)"

# --- another client selects the identity applet -----------------------------
seq=$(m1_seq_of $UA1)
check_eq "another client selects the identity applet" 9000 "$(send $ID)"
check_match "and reads its serial" " 9000$" "$(send $ID 00CA010108)"
check "decoderd exports afterwards" quietly "$dctl" export
check_eq "a new block" $((seq + 1)) "$(m1_seq_of $UA1)"
out=$("$dctl" uplink 2>&1)
check_match "and uplinks: SC1's block accepted" "block +$UA1 [0-9]+ accepted" \
	"$out"
check_eq "opensc-tool -n (it selects its own applets) leaves it alone" 0 \
	"$(opensc-tool -r 0 -n >/dev/null 2>&1; quietly "$dctl" export; echo $?)"

# --- another client resets the card, then powers it down ------------------
for how in reset unpower; do
	before=$(status_of reconnects)
	send -d $how $ID >/dev/null
	check_eq "$how: status still says SC1 is present" "present $UA1" \
		"$(status_of card) $(status_of ua)"
	t0=$(ms)
	check "$how: decoderd exports without reinsertion" quietly "$dctl" export
	echo "# $how: export after the $how in $(($(ms) - t0)) ms"
	check_eq "$how: by reconnecting once" $((before + 1)) \
		"$(status_of reconnects)"
	check_match "$how: and uplinks" "accepted" "$("$dctl" uplink 2>&1)"
	check_eq "$how: still the same session" "present $UA1" \
		"$(status_of card) $(status_of ua)"
done
check_match "the reconnects are logged" "PC/SC reported a reset .*reconnected" \
	"$(cat dec.log)"

# --- another client holds a transaction for 3 s --------------------------------
holder 3

t0=$(ms)
err=$("$dctl" export 2>&1)
took=$(($(ms) - t0))
check_match "an export meanwhile fails at once, saying why" \
	"^decoderctl[a-z ]*: the card is in use by another program$" "$err"
check "in under a second (took $took ms)" test $took -lt 1000
check_match "so does a tune" "in use by another program" \
	"$("$dctl" tune 7 2>&1)"
watch_status 2
check "status answered all along" test "$(wc -l <watch.out)" -ge 8
check_eq "and always said SC1 is present" 0 \
	"$(awk -v u=$UA1 '$2 != "present" || $3 != u' watch.out | wc -l)"
check "and that another program holds it" grep -q " yes$" watch.out
echo "# status during the hold: $(wc -l <watch.out) answers, the slowest" \
	"in $(max_latency) ms"
wait "$HOLDER_PID"
check "the holder ends its transaction cleanly" test $? -eq 0
check_eq "then status says the card is free" no "$(status_of held)"
check "decoderd exports" quietly "$dctl" export
check_match "and uplinks" "accepted" "$("$dctl" uplink 2>&1)"

# --- a card held at its insertion; an uplink without it -------------------------
check "SC1 buys film 42" quietly "$dctl" tune 7
quietly "$dctl" buy 42
check "its purchase is in M1" test "$(m1_seq_of $UA1)" -gt "$seq"
check "decoderd stops" stop_decoder
"$B/cardctl" swap sc2.img
send -w 10
holder 4
start_decoder
check "decoderd sees a card it cannot read yet" wait_for 5 is card held
check_eq "and says another program holds it" yes "$(status_of held)"
out=$("$dctl" uplink 2>&1)
check_match "an uplink meanwhile sends SC1's block from M1" \
	"block +$UA1 [0-9]+ accepted" "$out"
check_match "and the center invoices SC1's film" "invoiced +1" "$out"
check "SC1's M1 entry is acknowledged and gone" \
	test -z "$(m1_seq_of $UA1)"
check_eq "SC1 invoiced once" 1 "$(invoices_of $UA1)"
wait "$HOLDER_PID"
t0=$(ms)
check "once released, decoderd opens SC2" wait_for 5 is ua $UA2
echo "# SC2 opened $(($(ms) - t0)) ms after the holder let go"
check_eq "SC2 is locked: its block was never sent" yes "$(status_of locked)"

# --- the present card held during an uplink ---------------------------------
holder 3
out=$("$dctl" uplink 2>&1)
check_eq "an uplink with the present card held goes through" 0 $?
check_match "saying the present card was not read, and why" \
	"present +unread: the card is in use by another program" "$out"
check_eq "SC2 stays locked (no block of it reached the center)" yes \
	"$(status_of locked)"
wait "$HOLDER_PID"
quietly "$dctl" uplink
check "after the hold, an uplink unlocks SC2" wait_for 5 is locked no
check "decoderd stops cleanly" stop_decoder
tap_done
