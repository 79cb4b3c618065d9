#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 10.1, the decoder's half, through real pcscd + vpcd + vcard +
# decoderd + centerd: a transfer-locked card's insertion starts an uplink
# at once (its first contact), tried again 2 s, 4 s, ... apart while the
# center cannot be reached, so the lock lasts seconds where a return
# channel exists.  SC1 is unlocked with nobody asking and buys; with the
# center down, SC2 (locked) is inserted and cannot buy; SC3 is inserted;
# the center comes back and one uplink, the retried first contact,
# invoices SC1's film, unlocks SC3, and nothing of anyone is lost.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"
# shellcheck source=../lib/system.sh
. "$root/test/lib/system.sh"

UA=(0 1111111111111111 2222222222222222 3333333333333333)
buy() { "$dctl" tune "$1" >/dev/null && "$dctl" buy "$2"; }
swap_to() { "$B/cardctl" swap "sc$1.img" && wait_for 10 is ua "${UA[$1]}"; }
card_field() {  # card_field IMAGE KEY: a field of cardctl show --json
	"$B/cardctl" show "$1" --json | grep -o "\"$2\":[^,}]*" | head -1 |
		cut -d: -f2-
}
sessions_of() { # the center's sessions in which UA was the present card
	"$cctl" card "$1" --json | grep -o '"sessions":\[[^]]*\]' |
		grep -o '"session":' | wc -l
}

check "SC1, SC2, SC3 personalized and registered" setup_cards 3

# --- the center up: the lock lasts as long as one session ----------------
check "centerd starts" start_center
"$B/vcard" sc1.img 2>vcard.log &
started
t0=$(ms)
check "decoderd starts, first contact on, tries at most 8 s apart" \
	start_decoder -L yes -R 8
check "it sees SC1, transfer-locked" wait_for 10 is card present
check "nobody asking, the center unlocks SC1" wait_for 10 is locked no
took=$(($(ms) - t0))
echo "# SC1 unlocked ${took} ms after decoderd started"
check "within seconds" test $took -lt 5000
check_match "decoderd says so" "card ${UA[1]} unlocked by the center [0-9]+ s after its insertion \(tries: 1\)" \
	"$(cat dec.log)"
check_eq "the first contact is over" none "$(status_of first_contact)"
check_match "SC1 buys film 42" "purchase +1" "$(buy 7 42)"
check "its purchase is in M1" wait_for 5 test -n "$(m1_seq_of "${UA[1]}")"

# --- the center down: SC2 is locked, cannot buy, and tries -----------------
check "centerd stops" stop_center
check "swap to SC2" swap_to 2
check_eq "SC2 is transfer-locked" yes "$(status_of locked)"
check_match "its ECMs still work: an offer" "offer 42" "$("$dctl" tune 7)"
out=$("$dctl" buy 42 2>&1)
check_eq "but it cannot buy" 1 $?
check_match "saying why" "purchase refused: the card is transfer-locked" "$out"
check_eq "its credit is untouched" 1000 "$(status_of credit)"
check "M1 still holds SC1's entry" test -n "$(m1_seq_of "${UA[1]}")"
check_eq "its first contact waits for another try" pending \
	"$(status_of first_contact)"
check "and is tried again" wait_for 12 \
	bash -c "[ \"\$(\"$dctl\" status | awk '\$1 == \"contact_tries\" { print \$2 }')\" -ge 3 ]"
check_match "2 s, then 4 s apart" \
	"card ${UA[2]}: .*trying again in 2 s.*card ${UA[2]}: .*trying again in 4 s" \
	"$(tr '\n' ' ' <dec.log)"
check_match "saying why" "first contact of card ${UA[2]}: uplink to localhost:7443 failed" \
	"$(cat dec.log)"

# --- SC3 in its place; the center comes back ------------------------------
check "swap to SC3" swap_to 3
check_eq "SC3 is transfer-locked" yes "$(status_of locked)"
check "its first contact fails once" wait_for 5 \
	grep -q "first contact of card ${UA[3]}: .*trying again in 2 s" dec.log
check_eq "no session reached the center" 0 "$(sessions_of "${UA[3]}")"
check "centerd starts again" start_center
t0=$(ms)
check "the retry unlocks SC3" wait_for 15 is locked no
took=$(($(ms) - t0))
echo "# SC3 unlocked ${took} ms after the center came back"
check "within seconds of the center's return" test $took -lt 10000
check_eq "in one session" 1 "$(sessions_of "${UA[3]}")"
check_eq "which invoiced SC1's film, once" 1 "$(invoices_of "${UA[1]}")"
check "SC1's entry acknowledged and gone" wait_for 5 \
	test -z "$(m1_seq_of "${UA[1]}")"
check "SC3 now exports into M1" wait_for 5 test -n "$(m1_seq_of "${UA[3]}")"
check_match "and may buy" "purchase +1" "$(buy 7 42)"

# --- nothing of anyone lost ------------------------------------------------
check_eq "SC2 bought nothing: its credit is whole" 1000 \
	"$(card_field sc2.img credit)"
check_eq "and the center invoiced nothing of it" 0 "$(invoices_of "${UA[2]}")"
check_eq "SC1: the one film, invoiced once" "700 1" \
	"$(card_field sc1.img credit) $(invoices_of "${UA[1]}")"
check "decoderd stops cleanly" stop_decoder
check "centerd stops cleanly" stop_center
tap_done
