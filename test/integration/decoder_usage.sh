#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 10.2, the decoder's export policy, through real pcscd + vpcd +
# vcard + decoderd + centerd: with usage_export_gap (-g) set, a change of
# the card's usage data (ECMs, control words, denials, power-ups) exports
# too, at most once per gap however many ECMs arrive, while a purchase
# (M2 proper) still exports at once; the latest usage reaches M1, and
# from M1 the center (SC1 swapped out, its block recovered): the center's
# statistics of SC1 are the card's own.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"
# shellcheck source=../lib/system.sh
. "$root/test/lib/system.sh"

UA1=1111111111111111
UA2=2222222222222222
GAP=3
usage_exports() { grep -c "exported card $UA1 .*usage changed" dec.log; }
card_json() { "$B/cardctl" show sc1.img --json; }
center_json() { "$cctl" card $UA1 --json | grep -o '"data":{.*'; }
# field KEY JSON: KEY's value (an array whole) in JSON
field() {
	grep -o "\"$1\":\(\[[^]]*\]\|[^,}]*\)" <<<"$2" | head -1 | cut -d: -f2-
}

check "SC1 and SC2 personalized and registered" setup_cards 2
check "centerd starts" start_center
"$B/vcard" sc1.img 2>vcard.log &
started
check "decoderd starts, usage exports at most every $GAP s" \
	start_decoder -L yes -g $GAP
check "SC1 is unlocked at its first contact" wait_for 10 is locked no
check "and exported" wait_for 5 test -n "$(m1_seq_of $UA1)"
sleep $GAP # the gap after that export has passed

# --- one change of usage: one export --------------------------------------
seq=$(m1_seq_of $UA1)
chg=$("$dctl" m1 | awk -v u=$UA1 '$1 == u { print $7 }')
check_match "ECMs of channel 7: offers" "offer 42" "$("$dctl" tune 7)"
check "exported for them" wait_for 5 test "$(m1_seq_of $UA1)" -gt "$seq"
check_eq "though M2 proper did not change" "$chg" \
	"$("$dctl" m1 | awk -v u=$UA1 '$1 == u { print $7 }')"
check_eq "one usage export" 1 "$(usage_exports)"

# --- a purchase exports at once, gap or not ---------------------------------
seq=$(m1_seq_of $UA1)
t0=$(ms)
check "SC1 buys film 42" quietly "$dctl" buy 42
check "exported at once" wait_for 2 test "$(m1_seq_of $UA1)" -gt "$seq"
echo "# the purchase was in M1 after $(($(ms) - t0)) ms"

# --- ECMs every 0.3 s for 7 s: coalesced, an export at most every gap ----
before=$(usage_exports)
tunes=0
end=$(($(ms) + 7000))
while [ "$(ms)" -lt $end ]; do
	quietly "$dctl" tune 7 && tunes=$((tunes + 1))
	sleep 0.3
done
sleep $((GAP + 1)) # the last ECMs' export, a gap after the one before
n=$(($(usage_exports) - before))
echo "# $tunes tunes ($((2 * tunes)) ECMs) in 7 s: $n usage exports"
check "ECMs kept coming ($tunes tunes)" test $tunes -ge 10
check "they made between 2 and 4 exports ($n): one per gap" \
	test $n -ge 2 -a $n -le 4
quiet=$(usage_exports)
sleep $((GAP + 1))
check_eq "no ECMs, no more exports" "$quiet" "$(usage_exports)"

# --- from M1 to the center ---------------------------------------------------
check "swap to SC2: its first contact sends SC1's M1 block" \
	"$B/cardctl" swap sc2.img
check "SC2 is in" wait_for 10 is ua $UA2
check "and unlocked" wait_for 10 is locked no
check "SC1's M1 entry is acknowledged" wait_for 5 test -z "$(m1_seq_of $UA1)"
card=$(card_json)
center=$(center_json)
check_eq "the center has SC1's data from its recovered block" '"recovered"' \
	"$(field origin "$center")"
for k in ecms cws denials powerups; do
	check_eq "$k at the center as on the card: $(field $k "$card")" \
		"$(field $k "$card")" "$(field $k "$center")"
done
check "the card's ECM count is all of them" test \
	"$(field ecms "$card" | grep -o '"ecms":[0-9]*' | cut -d: -f2)" \
	-ge $((2 * tunes + 2))
check "decoderd stops cleanly" stop_decoder
check "centerd stops cleanly" stop_center
tap_done
