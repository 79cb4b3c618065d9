#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# decoderd under valgrind over the whole scenario (first contact, ECMs,
# two purchases, export, swap to a locked card, uplink with recovery,
# export of the new card): no invalid access, no definite or indirect
# leak, exit 0.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"

export CENTER_KEYS=$tmp/center VCARD_SOCKET=$tmp/vcard.sock \
	DECODERD_SOCKET=$tmp/dec.sock
cd "$tmp" || exit 1
B=$build
dctl=$B/decoderctl
T=1800000000
status_of() { "$dctl" status 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
is() { [ "$(status_of "$1")" = "$2" ]; }

"$B/centerctl" init
"$B/cardctl" personalize sc1.img --keys center --ua 1111111111111111 \
	--credit 1000
"$B/cardctl" personalize sc2.img --keys center --ua 2222222222222222
"$B/centerctl" register sc1.img.reg sc2.img.reg
mkdir ecm
"$B/centerctl" ecm --channel 7 --event 42 --time $T --end $((T + 60)) \
	--ppv 300 >ecm/7.ecm
"$B/centerctl" ecm --channel 8 --event 43 --time $T --end $((T + 60)) \
	--ppv 250 >ecm/8.ecm
"$B/centerd" -f -K center 2>center.log &
started
"$B/vcard" sc1.img 2>vcard.log &
started
# Under make asan the binary is instrumented already: ASan does the
# checking, valgrind cannot run it.
vg=(valgrind -q --error-exitcode=99 --leak-check=full
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite)
[ -n "${PTV_SANITIZED:-}" ] && vg=()
"${vg[@]}" "$B/decoderd" -f -S "$DECODERD_SOCKET" -m m1 -k dec.key -e ecm \
	-A center/ca.crt -I center/issuer.pub -C localhost:7443 -i 0 2>dec.log &
	started
DEC_PID=$!
check "decoderd runs under valgrind" wait_for 60 is card present
"$dctl" uplink >/dev/null
check "first contact unlocks SC1" wait_for 10 is locked no
"$dctl" tune 7 >/dev/null && "$dctl" buy 42 >/dev/null
"$dctl" tune 8 >/dev/null && "$dctl" buy 43 >/dev/null
check "purchases exported into M1" bash -c "\"$dctl\" m1 | grep -q '^1111'"
"$B/cardctl" swap sc2.img
check "the locked SC2 arrives" wait_for 20 is ua 2222222222222222
check_match "the uplink recovers SC1's two films" "invoiced +2" \
	"$("$dctl" uplink)"
check "SC2 is unlocked and exported" wait_for 20 bash -c \
	"\"$dctl\" m1 | grep -q '^2222'"
kill "$DEC_PID"
wait "$DEC_PID"
rc=$?
check_eq "decoderd exits 0: no memory error, no leak" 0 $rc
[ $rc -eq 0 ] || sed 's/^/# /' dec.log | tail -40
tap_done
