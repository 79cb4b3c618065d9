#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 9.2 end to end, through real pcscd + vpcd + vcard + decoderd +
# centerd: 17 grants, then a reload and an acknowledgement.  The card
# holds 16 rights: it consumes the 17th grant and refuses it (6A84),
# decoderd goes on, the reload and the ack after it are applied, and the
# center shows the 17th grant refused, never sends it again, and shows
# every other command applied.  Then a queued command cancelled: never
# sent.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"
. "$root/test/lib/center.sh"

U=${UA[1]}
center_begin 1
check "first contact" quietly "$dctl" uplink
check "SC1 is unlocked" wait_for 5 is locked no
check "SC1 buys film 42" buy 7 42
credit=$(status_of credit)

for ch in $(seq 101 117); do
	"$cctl" grant "$U" "$ch" $((T + 86400)) || break
done
"$cctl" reload "$U" 500
check_eq "18 commands queued after the unlock" 18 \
	"$("$cctl" commands "$U" | awk '$4 == "queued"' | wc -l)"

# 1: the unlock's outcome arrives; 16 commands go out (grants 1-16)
out=$("$dctl" uplink)
check_match "16 commands sent" "commands +16" "$out"
check_match "16 applied" "applied +16" "$out"
# 2: grants 17, the reload and the center's ack (counters 18, 19, 20)
out=$("$dctl" uplink)
check_match "grant 17, the reload and the ack sent" "commands +3" "$out"
check_match "two applied: the card refused one and went on" "applied +2" \
	"$out"
check_match "decoderd went on after the refusal" \
	"consumed command 1 of 3 and refused it" "$(cat dec.log)"
# 3: the outcomes reach the center
out=$("$dctl" uplink)
check_match "nothing left to send" "commands +0" "$out"

check_eq "the unlock applied" "unlock applied" \
	"$(cmd_field "$U" 1 3) $(cmd_field "$U" 1 4)"
check_eq "the 17th grant refused: rights table full" "grant refused 6A84" \
	"$(cmd_field "$U" 18 3) $(cmd_field "$U" 18 4) $(cmd_field "$U" 18 5)"
check_eq "the reload applied" "reload applied 9000" \
	"$(cmd_field "$U" 19 3) $(cmd_field "$U" 19 4) $(cmd_field "$U" 19 5)"
check_eq "the ack applied" "ack applied" \
	"$(cmd_field "$U" 20 3) $(cmd_field "$U" 20 4)"
check_eq "every grant but the 17th applied" 16 \
	"$("$cctl" commands "$U" | awk '$3 == "grant" && $4 == "applied"' |
		wc -l)"
check_eq "the card's credit grew by the reload" $((credit + 500)) \
	"$(status_of credit)"
check_eq "the card freed its purchase log" 64 "$(status_of free_log)"
json=$("$cctl" commands "$U" --json)
check_match "--json: the refused grant with its reason" \
	'"counter":18,"type":"grant","params":\{"channel":117,"expiry":1800086400,"expiry_iso":"2027-01-16T08:00:00Z"\},"state":"refused","sw":"6A84","sends":1' \
	"$json"

"$dctl" uplink >/dev/null
check_eq "the refused grant is never sent again" 1 "$(cmd_field "$U" 18 6)"

# a queued command cancelled is not sent; one applied cannot be
"$cctl" reload "$U" 7
check "cancel a queued reload" "$cctl" cancel "$U" 21
check_eq "it shows cancelled" cancelled "$(cmd_field "$U" 21 4)"
out=$("$dctl" uplink)
check_match "and is not sent" "commands +0" "$out"
refused_to() { "$@" 2>&1; [ $? -eq 1 ]; }
check_match "an applied command cannot be cancelled" "past cancelling" \
	"$("$cctl" commands "$U" --cancel 19 2>&1)"
check "the refusal exits 1" refused_to "$cctl" cancel "$U" 19
check_eq "the card's credit did not move" $((credit + 500)) \
	"$(status_of credit)"

check "decoderd stops cleanly" stop_decoder
check "centerd stops cleanly" stop_center
tap_done
