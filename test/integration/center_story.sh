#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Issue 10.4 end to end, through real pcscd + vpcd + vcard + decoderd +
# centerd: the center's story of each card is true.  SC1 active; swapped
# for SC2 and recovered from M1: retired; back in the reader: active
# again; a stale copy of its block from a second decoder: recorded as
# stale, not flagged; `centerctl cards` says where each card was last
# seen.  A clone of SC1 (same UA, same keys) buys another film under the
# same purchase number: flagged, and never acknowledged past the
# conflict.  `centerctl revoke`: the card's sessions refused, its disable
# EMM taken by the card.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"
. "$root/test/lib/center.sh"

# where a card was last seen: "STATUS SEEN_AS" (centerctl cards)
where() {
	"$cctl" cards | awk -v u="$1" '$1 == u { print $2, $6 }'
}
via() { "$cctl" cards | awk -v u="$1" '$1 == u { print $7 }'; }
flags_of() { "$cctl" flags | grep -c "^$1 " || true; }

center_begin 2
check "first contact" quietly "$dctl" uplink
check "SC1 is unlocked" wait_for 5 is locked no
check_eq "SC1 active, seen as present" "active present" "$(where "${UA[1]}")"
dec1=$(via "${UA[1]}")
check_match "seen through this decoder" '^[0-9a-f]{16}$' "$dec1"
check_eq "SC2 never seen" "issued -" "$(where "${UA[2]}")"
cp sc1.img clone.img # a clone of SC1: same UA, same keys, same state
check "SC1 buys film 42" buy 7 42
check "SC1's data is in M1" m1_has "${UA[1]}"
cp m1 m1.old
cp dec.key dec2.key
check "SC1 exports again" quietly "$dctl" export

# swapped for SC2: recovered from M1, retired
check "swap to SC2" swap_to 2
out=$("$dctl" uplink)
check_match "SC1's recovered block accepted" \
	"block +${UA[1]} [0-9]+ accepted ok" "$out"
check_eq "SC1 retired: last seen recovered" "retired-recovered recovered" \
	"$(where "${UA[1]}")"
check_eq "SC2 active" "active present" "$(where "${UA[2]}")"

# back in the reader: active again
check "swap back to SC1" swap_to 1
check "SC1's uplink" quietly "$dctl" uplink
check_eq "SC1 active again" "active present" "$(where "${UA[1]}")"
check_eq "through the same decoder" "$dec1" "$(via "${UA[1]}")"

# a stale copy of SC1's block, from a second decoder's M1
"$B/decoderd" -f -S dec2.sock -m m1.old -k dec2.key -r "no such reader" \
	-A center/ca.crt -I center/issuer.pub -C localhost:7443 -i 0 2>dec2.log &
started
dec2=$!
wait_for 10 test -S dec2.sock
out=$("$dctl" -S dec2.sock uplink 2>&1)
check_match "the second decoder's old copy: accepted as stale" \
	"block +${UA[1]} [0-9]+ accepted stale copy" "$out"
check_match "not flagged" "flagged +0" "$out"
check "and deleted from its M1 (acknowledged)" bash -c \
	"! \"$dctl\" -S dec2.sock m1 | grep -q '^${UA[1]} '"
check_eq "SC1 still active where it is" "active present $dec1" \
	"$(where "${UA[1]}") $(via "${UA[1]}")"
check_eq "no anomaly for SC1" 0 "$(flags_of "${UA[1]}")"
kill $dec2
wait $dec2

# the clone: another film under purchase number 1
"$B/cardctl" swap clone.img
check "the clone is in the reader" wait_for 10 is ua "${UA[1]}"
check "the clone buys film 43" buy 8 43
free=$(status_of free_log)
out=$("$dctl" uplink)
check_match "the conflict is flagged" "flagged +[1-9]" "$out"
check_match "as a purchase that differs" \
	"${UA[1]} .*purchase 1 differs from the one invoiced: event 43" \
	"$("$cctl" flags)"
check_match "and the clone's own sequence going back" \
	"${UA[1]} .*export sequence went backwards" "$("$cctl" flags)"
check_eq "film 42 stays the invoice of purchase 1" 42 \
	"$("$cctl" invoices | awk -v u="${UA[1]}" '$1 == u && $2 == 1 { print $3 }')"
"$dctl" uplink >/dev/null
check_eq "the clone keeps its purchase: no ack past the conflict" "$free" \
	"$(status_of free_log)"
check_eq "the ack of purchase 1 still waiting was cancelled" "ack cancelled" \
	"$("$cctl" commands "${UA[1]}" | awk '$3 == "ack" { print $3, $4 }')"

# revoked: its sessions refused, its disable EMM made
mkdir emm
check "centerctl revoke" "$cctl" revoke "${UA[1]}" -o emm/revoke.emm
check_eq "SC1 shows revoked" revoked \
	"$("$cctl" cards | awk -v u="${UA[1]}" '$1 == u { print $2 }')"
check_match "a disable queued on each path" \
	"uplink .* disable +queued.*broadcast .* disable +queued" \
	"$("$cctl" commands "${UA[1]}" | tr '\n' ' ')"
out=$("$dctl" uplink 2>&1)
check_match "its session is refused" "card revoked" "$out"
check_match "revoking it again is refused" "revoked already" \
	"$("$cctl" revoke "${UA[1]}" 2>&1)"
emm=$(head -1 emm/revoke.emm)
check_match "the card takes the disable EMM" "9000" \
	"$(send $SEL "80500000$(printf '%02X' $((${#emm} / 2)))$emm")"
check_match "and is disabled" '"disabled":true' \
	"$("$B/cardctl" show clone.img --json)"

check "decoderd stops cleanly" stop_decoder
check "centerd stops cleanly" stop_center
tap_done
