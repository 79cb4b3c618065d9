#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The security-module applet through a real pcscd and vpcd: personalize two
# cards, insert one, read its certificate, unlock it, buy an event, get its
# control words, export; swap to the other card, see BUY EVENT and EXPORT
# refused while locked and UPLINK BLOCKS allowed, unlock it with a signed
# command, export; a command it cannot carry out consumed (9303) and shown
# in M2; an export ordered by EMM; the card disabled.  Blocks are verified
# and opened by the head-end tool.  A fuzz sweep leaves the card's image
# unchanged.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"

export VCARD_SOCKET=$tmp/vcard.sock

cardctl=$build/cardctl
headend=$build/headend
reader="Virtual PCD 00 00"
send() { "$build/test/pcsc_send" -r "$reader" "$@"; }
SEL=00A4040007F0505456534D01
T=1800000000
CW=000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F
UA1=1111111111111111
UA2=2222222222222222

# apdu INS [HEXDATA]: CLA 80, extended Le, case 4E (or 2E without data)
apdu() {
	local d=${2:-}
	local n=$(( ${#d} / 2 ))
	if [ "$n" -eq 0 ]; then
		printf '80%s0000000000\n' "$1"
	else
		printf '80%s0000%s%s0000\n' "$1" "$(printf '00%04X' "$n")" "$d"
	fi
}

"$headend" init "$tmp/ops"
check "personalize SC1" "$cardctl" personalize "$tmp/sc1.img" \
	--keys "$tmp/ops" --ua $UA1 --credit 1000 --right 5:$((T + 86400))
check "personalize SC2" "$cardctl" personalize "$tmp/sc2.img" \
	--keys "$tmp/ops" --ua $UA2 --credit 500
check "registration records written" test -s "$tmp/sc1.img.reg" -a \
	-s "$tmp/sc2.img.reg"
check_match "a new card is transfer-locked" '"locked":true' \
	"$("$cardctl" show "$tmp/sc1.img" --json)"

"$build/vcard" "$tmp/sc1.img" 2>"$tmp/vcard.log" &
started
VCARD_PID=$!
check "SC1 is in the reader" send -w 10

out=$(timeout 20 opensc-tool -r "$reader" -s $SEL -s 80CA010100 2>&1)
check_match "opensc-tool reads SC1's UA" "11 11 11 11 11 11 11 11" "$out"
out=$(send $SEL 80CA010900 2>&1 | tail -1)
reg_cert=$(sed -n 's/^certificate //p' "$tmp/sc1.img.reg")
check_eq "GET DATA 01 09: SC1's certificate, as in its registration" \
	"$(echo "$reg_cert" | tr a-f A-F) 9000" "$(echo "$out" | tr a-f A-F)"
check_match "signed for SC1's UA and key" "^01${UA1}04" "$reg_cert"

unlock1=$("$headend" cmd "$tmp/ops" --ua $UA1 --counter 1 unlock)
film1=$("$headend" ecm "$tmp/ops" --channel 7 --event 42 --time $T \
	--end $((T + 7200)) --ppv 300 --cw $CW)
film2=$("$headend" ecm "$tmp/ops" --channel 7 --event 43 --time $T \
	--end $((T + 7200)) --ppv 250)
out=$(send $SEL "$(apdu 50 "$unlock1")" "$(apdu 30 "$film1")" \
	"$(apdu 32 "$film1")" "$(apdu 30 "$film1")" "$(apdu 32 "$film2")" \
	"$(apdu 32 "$film2")" 2>&1)
check_eq "unlock, offer, buy, watch, buy, buy again" "$(printf '%s\n' 9000 \
	9000 "0000002A0000012C0007 9102" "00000001000002BC 9000" "$CW 9000" \
	"00000002000001C2 9000" 9202)" "$out"

out=$(send $SEL "$(apdu 40)" 2>&1 | tail -1)
check_match "SC1 exports" " 9000$" "$out"
block=${out%% *}
out=$(echo "$block" | "$headend" open "$tmp/ops" "$tmp/sc1.img.reg" -)
check_match "the block verifies and opens with the re-derived key" \
	"block export ua $UA1 seq 1: credit 450, unlocked, purchases 1..2" "$out"
check_match "with both films in it" "#2 event 43 channel 7 price 250" "$out"
bad=$(echo "$block" | sed 's/^\(.\{60\}\)./\1F/; s/^\(.\{60\}\)FF/\1EF/')
[ "$bad" = "$block" ] && bad=$(echo "$block" | sed 's/^\(.\{60\}\)./\10/')
"$headend" open "$tmp/ops" "$tmp/sc1.img.reg" "$bad" >/dev/null 2>&1
check_eq "a changed block is rejected" 1 $?
"$headend" open "$tmp/ops" "$tmp/sc2.img.reg" "$block" >/dev/null 2>&1
check_eq "SC1's block does not pass as SC2's" 1 $?

# --- swap to SC2 -----------------------------------------------------------
check "cardctl swap to SC2" "$cardctl" swap "$tmp/sc2.img"
check "SC2 is in the reader" send -w 10
out=$(send $SEL 80CA010300 "$(apdu 40)" "$(apdu 32 "$film2")" 2>&1)
check_eq "SC2 is locked and refuses EXPORT and BUY EVENT" \
	"$(printf '9000\n01 9000\n6985\n9205')" "$out"
check_eq "the refused purchase changed nothing" "$(printf '9000\n000001F4 9000')" \
	"$(send $SEL 80CA010804 2>&1)"
NONCE=00112233445566778899AABBCCDDEEFF
out=$(send $SEL "$(apdu 42)" "$(apdu 42 "${NONCE:2}")" 2>&1)
check_eq "UPLINK BLOCKS without the 16-byte challenge: 6700" \
	"$(printf '9000\n6700\n6700')" "$out"
out=$(send $SEL "$(apdu 42 "$NONCE")" 2>&1 | tail -1)
check_match "SC2 gives UPLINK BLOCKS while locked" " 9000$" "$out"
check_match "with the session's challenge in its header" \
	"^02022222222222222222000000.{2}$NONCE" "$out"
out=$(echo "${out%% *}" | "$headend" open "$tmp/ops" "$tmp/sc2.img.reg" -)
check_match "SC2's uplink block opens" "block uplink ua $UA2 seq 1: .*locked" \
	"$out"
bad_unlock=$("$headend" cmd "$tmp/ops" --ua $UA1 --counter 5 unlock)
unlock2=$("$headend" cmd "$tmp/ops" --ua $UA2 --counter 1 unlock)
out=$(send $SEL "$(apdu 50 "$bad_unlock")" "$(apdu 50 "$unlock2")" \
	"$(apdu 50 "$unlock2")" "$(apdu 40)" 2>&1)
check_eq "SC1's unlock refused, SC2's applied once, replay refused" \
	"$(printf '9000\n9302\n9000\n9301')" "$(echo "$out" | head -4)"
check_match "SC2 exports once unlocked" " 9000$" "$(echo "$out" | tail -1)"
out=$(echo "$out" | tail -1 | cut -d' ' -f1 |
	"$headend" open "$tmp/ops" "$tmp/sc2.img.reg" -)
check_match "SC2's export opens, unlocked" \
	"block export ua $UA2 seq 2: credit 500, unlocked" "$out"

# --- commands the card cannot carry out are consumed ------------------------
revoke=$("$headend" cmd "$tmp/ops" --ua $UA2 --counter 2 revoke 9)
overflow=$("$headend" cmd "$tmp/ops" --ua $UA2 --counter 3 reload 4294967295)
reload=$("$headend" cmd "$tmp/ops" --ua $UA2 --counter 4 reload 100)
out=$(send $SEL "$(apdu 50 "$revoke")" "$(apdu 50 "$revoke")" \
	"$(apdu 50 "$overflow")" "$(apdu 50 "$reload")" 80CA010800 2>&1)
check_eq "refused commands consumed (9303 and why), a replay refused, the next applied" \
	"$(printf '9000\n6A88 9303\n9301\n6A80 9303\n9000\n00000258 9000')" "$out"
state=$(send $SEL 80CA010000 2>&1 | tail -1)
check_eq "the uplink counter took all three" 00000004 "${state:60:8}"
out=$(send $SEL "$(apdu 40)" 2>&1 | tail -1 | cut -d' ' -f1 |
	"$headend" open "$tmp/ops" "$tmp/sc2.img.reg" -)
check_match "M2 carries the outcomes: a revoke refused" \
	"outcome +uplink #2 revoke: 6A88" "$out"
check_match "a reload refused" "outcome +uplink #3 reload: 6A80" "$out"
check_match "a reload applied" "outcome +uplink #4 reload: 9000" "$out"

# --- an export ordered by EMM, then the card disabled ----------------------
emm=$("$headend" cmd "$tmp/ops" --ua $UA2 --counter 1 --path broadcast export)
out=$(send $SEL "$(apdu 50 "$emm")" 80CA010000 2>&1 | tail -1)
check_eq "the EMM sets the export flag in the state" 01 "${out:68:2}"
check_eq "and counts on the broadcast path" 00000001 "${out:70:8}"
check_eq "the uplink path's counter is untouched" 00000004 "${out:60:8}"
out=$(send $SEL "$(apdu 40)" 80CA010000 2>&1 | tail -1)
check_eq "the next EXPORT clears it" 00 "${out:68:2}"
disable=$("$headend" cmd "$tmp/ops" --ua $UA2 --counter 2 --path broadcast \
	disable)
tv=$("$headend" ecm "$tmp/ops" --channel 5 --event 1 --time $T --sub)
out=$(send $SEL "$(apdu 50 "$disable")" "$(apdu 30 "$tv")" \
	"$(apdu 32 "$film2")" "$(apdu 42 "$NONCE")" 2>&1)
check_eq "disabled: no control words, no purchase" \
	"$(printf '9000\n9000\n9103\n9103')" "$(echo "$out" | head -4)"
check_match "but UPLINK BLOCKS still works" " 9000$" "$(echo "$out" | tail -1)"
out=$(echo "$out" | tail -1 | cut -d' ' -f1 |
	"$headend" open "$tmp/ops" "$tmp/sc2.img.reg" --json -)
check_match "its M2 says it is disabled" '"disabled":true' "$out"
check_match "and that the broadcast path reached 2" '"bcast_ctr":2' "$out"

# --- fuzz the security module: nothing changes -----------------------------
before=$(sha256sum <"$tmp/sc2.img")
out=$(send -f 2000 -s 11 -a F0505456534D01 -x 8040 -x 8042 2>&1)
check_eq "2000 fuzz APDUs answered" 0 $?
echo "# $out"
check_eq "the security module's image is unchanged" "$before" \
	"$(sha256sum <"$tmp/sc2.img")"
out=$(send $SEL 80CA010300 2>&1)
check_eq "and it still answers" "$(printf '9000\n00 9000')" "$out"
tap_done
