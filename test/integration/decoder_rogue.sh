#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 9.4, the decoder's side, through real pcscd + vpcd + vcard +
# decoderd + centerd: programmable cards (test/tools/rogue_card) behind
# vpcd try to overwrite SC1's pending M1 entry (claiming its UA, with its
# genuine certificate or a forged one), to pin it (export sequence
# 0xFFFFFFFF), and to fill M1 with fake UAs: every try fails, SC1's entry
# survives as it was and is invoiced by the center once sent.  A card
# whose first answers are lost is opened once it answers; one that answers
# nothing at all is given up on after 5 s, decoderd answering meanwhile.
# Then an entry the center rejects for good (a center that does not know
# SC2) leaves M1 for the quarantine, is listed there, and is not sent
# again.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"
. "$root/test/lib/center.sh"

U1=${UA[1]}
U2=${UA[2]}
center_begin 2
check "SC1's certificate verifies" wait_for 5 is cert ok
check "first contact" quietly "$dctl" uplink
check "SC1 is unlocked" wait_for 5 is locked no
check "SC1 buys film 42" buy 7 42
check "M1 holds SC1's purchase" wait_for 5 m1_has "$U1"
m1_field() { "$dctl" m1 | awk -v u="$1" -v f="$2" '$1 == u { print $f }'; }
seq1=$(m1_field "$U1" 3)
m1_before=$("$dctl" m1)
"$B/cardctl" eject
check "SC1 ejected" wait_for 10 is card absent

cert1=$(awk '$1 == "certificate" { print $2 }' sc1.img.reg)
cert2=$(awk '$1 == "certificate" { print $2 }' sc2.img.reg)
check_eq "SC1's registration record carries its certificate" 284 \
	"${#cert1}"
check_eq "SC2's too" 284 "${#cert2}"
ROGUE_PID=
rogue() {       # rogue ARGS...: a rogue card in the reader
	"$B/test/rogue_card" "$@" >/dev/null 2>>rogue.log &
	started
	ROGUE_PID=$!
	wait_for 10 is card present
}
unrogue() {
	kill "$ROGUE_PID" && wait "$ROGUE_PID" 2>/dev/null
	ROGUE_PID=
	wait_for 10 is card absent
}
refused() { "$@" >/dev/null 2>&1 && return 1; return 0; }

# 1: SC1's UA, its genuine certificate (public), its own key, pinned
check "a rogue card claims SC1's UA with SC1's certificate" \
	rogue -u "$U1" -c "$cert1" -s 4294967295
check "decoderd sees UA SC1" is ua "$U1"
check "the certificate itself verifies (it is SC1's)" is cert ok
err=$("$dctl" export 2>&1)
check_match "its export is refused: its block is not signed by SC1's key" \
	"does not verify under the card's certified key" "$err"
check_eq "M1 as it was" "$m1_before" "$("$dctl" m1)"
check "removed" unrogue

# 2: SC1's UA with a certificate of a forged issuer, pinned
check "a rogue card claims SC1's UA with a forged certificate" \
	rogue -u "$U1" -c forge -s 4294967295
check "its certificate does not verify" is cert bad
check "its export is refused" refused "$dctl" export
check_match "saying why" "its certificate is not our operator's" \
	"$("$dctl" status | grep '^last_error')"
check_eq "M1 as it was" "$m1_before" "$("$dctl" m1)"
check "removed" unrogue

# 3: no certificate; another card's genuine certificate
check "a rogue card with no certificate" rogue -u "$U1" -s 99
check "decoderd says so" is cert none
check "its export is refused" refused "$dctl" export
check "removed" unrogue
check "a rogue card with SC2's certificate and another UA" \
	rogue -u F000000000000001 -c "$cert2" -s 7
check "a certificate naming another card is bad" is cert bad
check "its export is refused" refused "$dctl" export
check "removed" unrogue

# a card whose first answers are lost (as one just inserted may be):
# decoderd says so once and tries again until it answers
mark=$(wc -l <dec.log)
check "a card that loses its first three answers: present once it answers" \
	rogue -u F000000000000002 -c none -l 3
since() { tail -n +"$((mark + 1))" dec.log; }
check_eq "the failed opening said once" 1 \
	"$(since | grep -c 'cannot open the card in .*trying again')"
check_match "and that it answered" \
	"the card in .* answered after 3 failed openings" "$(since)"
check_eq "each failed connection not warned of again" 0 \
	"$(since | grep -c 'dec_card_connect')"
check "decoderd sees its UA" is ua f000000000000002
check "removed" unrogue

# a card that answers a command with no byte at all (an empty vpcd
# frame): vpcd's driver waits inside pcscd for the card's next byte,
# holding the reader, for as long as the card stays (decoderd(8), BUGS);
# decoderd gives the command up after 5 s, as for a card gone, answers
# meanwhile, and opens the card again once its reader is free
mark=$(wc -l <dec.log)
"$B/test/rogue_card" -u F000000000000003 -c none -e 1 >/dev/null \
	2>>rogue.log &
started
ROGUE_PID=$!
check "a card answering nothing: decoderd gives it up, card=unanswered" \
	wait_for 15 is card unanswered
check_match "saying the card has not answered in 5 s" \
	"has not answered INS A4 in 5000 ms: given up" "$(since)"
t0=$(date +%s%N)
check "decoderd answers while the card stays" quietly "$dctl" status
check "at once" test $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000
sleep 3
check_eq "still after 3 s, the card unanswered" unanswered "$(status_of card)"
check_eq "and it says so" "the card in the reader does not answer" \
	"$("$dctl" status | sed -n 's/^last_error  *//p')"
check_eq "it gave one command up, not one per opening" 1 \
	"$(since | grep -c 'has not answered INS')"
kill "$ROGUE_PID" && wait "$ROGUE_PID" 2>/dev/null
ROGUE_PID=
check "once it is removed: no card" wait_for 10 is card absent
check_eq "M1 as it was" "$m1_before" "$("$dctl" m1)"
check "and opens the next card" rogue -u F000000000000004 -c none
check "decoderd sees its UA" is ua f000000000000004
check "removed" unrogue

# 4: more fake UAs than M1 has room for
cap=$(status_of m1_capacity)
check "M1 has room for a household (>= 32)" test "$cap" -ge 32
for i in $(seq $((cap + 1))); do
	fake=$(printf 'fa%014x' "$i")
	rogue -u "$fake" -c forge -s 4294967295 && is ua "$fake" && unrogue ||
		break
done
check_eq "$((cap + 1)) fake cards came and went" $((cap + 1)) "$i"
check_eq "M1 as it was: none of them entered" "$m1_before" "$("$dctl" m1)"
check_eq "each one's insertion export was refused" $((cap + 1)) \
	"$(grep -c 'export of card fa.*may not export into M1' dec.log)"

# SC1's entry survived: sent as recovered, the center invoices it
out=$("$dctl" uplink)
check_match "SC1's M1 block accepted" "block +$U1 $seq1 accepted" "$out"
check_match "its film invoiced" "invoiced +1" "$out"
check_match "and its entry deleted on the acknowledgement" "m1_deleted +1" \
	"$out"
check_match "the center shows SC1's film invoiced" "$U1 .*42" \
	"$("$cctl" invoices 2>&1)"

# --- the quarantine ---------------------------------------------------------
"$B/cardctl" insert sc2.img
check "SC2 inserted" wait_for 10 is ua "$U2"
check "SC2's first contact unlocks it" quietly "$dctl" uplink
check "SC2 exports into M1" wait_for 5 m1_has "$U2"
seq2=$(m1_field "$U2" 3)
"$B/cardctl" eject
check "SC2 ejected" wait_for 10 is card absent
check "centerd stops" stop_center
# Another center of the same operator that never registered SC2.
check "another center knows SC1 only" quietly "$cctl" -d other.db register \
	sc1.img.reg
"$B/centerd" -f -K center -D other.db -F 2s -t 20s 2>>center.log &
started
CENTER_PID=$!
check "it starts" wait_for 10 bash -c '(exec 3<>/dev/tcp/127.0.0.1/7443) 2>/dev/null'
out=$("$dctl" uplink)
check_match "it rejects SC2's block for good" \
	"block +$U2 $seq2 rejected unknown card" "$out"
check_match "the entry moves into the quarantine" "m1_quarantined +1" \
	"$out"
check "M1 no longer holds it" refused m1_has "$U2"
check_eq "status counts it" 1 "$(status_of quarantined)"
q=$("$dctl" quarantine)
check_match "decoderctl quarantine lists it, with the reason" \
	"^$U2 +$seq2 +01 .* unknown card$" "$q"
check_match "--json too, the reason as the center names it" \
	"\"ua\":\"$U2\",\"seq\":$seq2,\"code\":1,\"reason\":\"unknown card\"" \
	"$("$dctl" quarantine --json)"
check_json "quarantine --json: the schema" "$("$dctl" quarantine --json)" \
	.=array [].code=integer [].quarantined_at=integer \
	[].quarantined_at_iso=string [].stored_at_iso=string [].bytes=integer
check_match "it is kept beside M1" "^ptv-quarantine 1$" \
	"$(head -1 m1.quarantine)"
out=$("$dctl" uplink)
check_match "the next session goes" "invoiced +0" "$out"
check "without it" refused grep -q "^block " <<<"$out"
check "decoderd stops" stop_decoder
check "decoderd starts again" start_decoder
check_match "the quarantine is read back" "^$U2 +$seq2 +01 " \
	"$("$dctl" quarantine)"
check "decoderd stops cleanly" stop_decoder
check "centerd stops cleanly" stop_center
tap_done
