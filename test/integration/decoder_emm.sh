#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 10.3, the decoder's side, through real pcscd + vpcd + vcard +
# decoderd + centerd: the center orders an export both ways a center
# reaches a card.  In an uplink session (centerctl export): the card
# flags it and decoderd exports at once after the session.  By the
# broadcast (centerctl emm UA export -o emm/FILE.emm): decoderd feeds the
# EMM at its EMM interval, the card flags it, decoderd exports at once.
# Each EMM is fed once per card (across restarts too); a forged one is
# refused once and remembered.  A disable EMM reaches a card that never
# called the center: its ECMs are refused from then on.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"
. "$root/test/lib/center.sh"

U1=${UA[1]}
U2=${UA[2]}
center_setup 2
mkdir -p emm
check "centerd starts" start_center
start_vcard sc1.img
check "decoderd starts, reading emm/ every second" start_decoder -E emm -T 1
check "it sees SC1" wait_for 10 is card present
check "first contact" quietly "$dctl" uplink
check "SC1 is unlocked" wait_for 5 is locked no
check "SC1 buys film 42" buy 7 42
m1_seq() { "$dctl" m1 | awk -v u="$1" '$1 == u { print $3 }'; }
m1_past() { test "$(m1_seq "$1")" -gt "$2"; }    # m1_past UA SEQ
check "M1 holds SC1's purchase" wait_for 5 m1_has "$U1"
seq=$(m1_seq "$U1")
check_eq "no export requested" no "$(status_of export_requested)"

# --- in a session ------------------------------------------------------------
check "the center queues export now for SC1" quietly "$cctl" export "$U1"
: >dec.log
out=$("$dctl" uplink)
check_match "the session applies it" "applied +[1-9]" "$out"
check "decoderd exports at once" wait_for 5 m1_past "$U1" "$seq"
check_match "because the center asked" \
	"exported card $U1 .*the center's export now" "$(cat dec.log)"
check_eq "the export cleared the card's flag" no \
	"$(status_of export_requested)"
seq=$(m1_seq "$U1")

# --- by the broadcast ---------------------------------------------------------
: >dec.log
check "the center makes an export-now EMM for SC1" \
	"$cctl" emm "$U1" export -o emm/bcast.emm
check "decoderd feeds it within its interval and exports at once" \
	wait_for 10 m1_past "$U1" "$seq"
check_match "the EMM was fed and applied" "card $U1: 1 EMMs fed: 1 applied" \
	"$(cat dec.log)"
check_match "the export was the center's order" \
	"exported card $U1 .*the center's export now" "$(cat dec.log)"
check_eq "the card's broadcast counter took it" 1 "$(status_of bcast_ctr)"
check_eq "its flag is cleared" no "$(status_of export_requested)"
seq=$(m1_seq "$U1")
out=$("$dctl" emm)
check_match "fed once: asked again, nothing is fed" "fed +0" "$out"
check_match "the file was read" "lines +1" "$out"
check_json "emm --json: the counts" "$("$dctl" emm --json)" .=object \
	fed=integer lines=integer refused=integer bcast_ctr=integer
check "decoderd stops" stop_decoder
check "decoderd starts again" start_decoder -E emm -T 1
check "it sees SC1" wait_for 10 is card present
check_match "after a restart still nothing is fed" "fed +0" "$("$dctl" emm)"
check_eq "and no export was made for it" "$seq" "$(m1_seq "$U1")"

# a forged EMM (its signature altered): refused once, then remembered
# (the interval's feed or the request, whichever comes first, feeds it)
emm=$("$cctl" emm "$U1" reload 5)
last=${emm: -2}
bad=${emm:0:${#emm}-2}$(printf '%02X' $(( (0x$last + 1) % 256 )))
echo "$bad" >emm/forged.emm
"$dctl" emm >/dev/null
refusals() { grep -c "refused EMM 2: .*not fed again" dec.log; }
refused_once() { test "$(refusals)" -ge 1; }
check "a forged EMM is fed and refused by the card" wait_for 5 refused_once
check_match "it is not fed again" "fed +0" "$("$dctl" emm)"
check_eq "it was fed once" 1 "$(refusals)"
check "decoderd stops" stop_decoder
check "the refusal is kept beside M1" test -s m1.emm-refused
check "decoderd starts again" start_decoder -E emm -T 1
check "it sees SC1" wait_for 10 is card present
check_match "after a restart it is still not fed" "fed +0" "$("$dctl" emm)"
check_eq "still fed once" 1 "$(refusals)"
check_eq "the card's credit did not move" 700 "$(status_of credit)"

# --- a disable EMM for a card that never calls the center ---------------------
check "swap to SC2 (never seen by the center)" swap_to 2
check_eq "SC2 is transfer-locked: it never called in" yes \
	"$(status_of locked)"
check_match "SC2 is offered film 42" "offer 42" "$("$dctl" tune 7)"
: >dec.log
check "the center makes a disable EMM for SC2" \
	"$cctl" emm "$U2" disable -o emm/bcast.emm
check "decoderd feeds it within its interval" wait_for 10 \
	grep -q "card $U2: 1 EMMs fed: 1 applied" dec.log
check_match "SC2 refuses every ECM from then on" "^1 error" \
	"$("$dctl" tune 7)"
check_match "the EMM for SC1 in the same file was not fed to SC2" \
	"fed +0" "$("$dctl" emm)"
check "SC2 calls in at last" quietly "$dctl" uplink
check "the center learns the disable was applied" wait_for 5 bash -c \
	"\"$cctl\" commands $U2 | grep -Eq '^broadcast +1 +disable +applied'"
check "decoderd stops cleanly" stop_decoder
check "centerd stops cleanly" stop_center
tap_done
