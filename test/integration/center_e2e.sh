#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The whole system through real pcscd + vpcd + vcard + decoderd + centerd:
# the scenario of the design brief; the line cut after each message of a
# session, then retried; the same recovered block through two decoders;
# an old M1 restored after acknowledgement (a stale copy); forged and
# mis-bound blocks;
# the center killed between its commit and its answer; hostile clients.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"

. "$root/test/lib/center.sh"

invoices_all() { "$cctl" invoices --json | grep -o '"seq"' | wc -l; }
card_status() { "$cctl" cards | awk -v u="$1" '$1 == u { print $2 }'; }

center_begin 5

# --- the scenario of the design brief --------------------------------------
check_eq "1. SC1 starts transfer-locked" yes "$(status_of locked)"
check "1. first contact with the center" quietly "$dctl" uplink
check "1. the center unlocked SC1" wait_for 5 is locked no
check "2. SC1 buys film 42" buy 7 42
check "2. and film 43" buy 8 43
check_eq "2. both films' ECMs are answered" "$(printf '1 cw\n2 cw')" \
	"$("$dctl" tune 8)"
check "3. SC1's data is in M1" m1_has "${UA[1]}"
check "4. swap to SC2" swap_to 2
check_eq "4. SC2 is transfer-locked" yes "$(status_of locked)"
check "4. M1 still holds SC1's block" m1_has "${UA[1]}"
out=$("$dctl" uplink)
check_match "5. the center invoices SC1's two films" "invoiced +2" "$out"
check_match "5. SC1's recovered block accepted" \
	"block +${UA[1]} [0-9]+ accepted" "$out"
check_eq "5. two invoices, both SC1's" "2 2" \
	"$(invoices_all) $(invoices_of "${UA[1]}")"
check_match "5. through SC2's session, as recovered" \
	"\"ua\":\"${UA[1]}\",\"seq\":1,\"event\":42,\"channel\":7,\"price\":300,.*\"via_ua\":\"${UA[2]}\",\"origin\":\"recovered\"" \
	"$("$cctl" invoices --json)"
check_eq "5. SC1 is retired and recovered" retired-recovered \
	"$(card_status "${UA[1]}")"
check "5. SC2 is unlocked" wait_for 5 is locked no
check "6. SC1's M1 entry is gone (acknowledged)" bash -c \
	"! \"$dctl\" m1 | grep -q '^${UA[1]} '"
check "6. SC2 now exports into M1" m1_has "${UA[2]}"
out=$("$dctl" uplink)
check_match "7. a repeated uplink invoices nothing" "invoiced +0" "$out"
out=$("$dctl" uplink --json)
check_json "uplink --json: the schema, each block once" "$out" \
	blocks.[].ua=string blocks.[].seq=integer blocks.[].result=string \
	blocks.[].reason=string present_unread=null invoiced=integer \
	m1_deleted=integer
check "uplink --json: no \"block\" key beside \"blocks\"" \
	bash -c "! printf '%s' '$out' | grep -q '\"block\"'"
check_eq "7. still two invoices" 2 "$(invoices_all)"
if [ -z "${CENTER_DB:-}" ]; then # SQLite's files (center_pg.sh: none)
	check_eq "the database and its WAL files are 0600 while centerd runs" \
		"600 600 600" \
		"$(stat -c %a center/center.db center/center.db-wal \
			center/center.db-shm | tr '\n' ' ' | sed 's/ $//')"
fi

# --- the line cut after each message, then retried ------------------------
swap_to 3
"$dctl" uplink >/dev/null
wait_for 5 is locked no
buy 7 42
cp m1 m1.old                  # SC3 with one purchase
buy 8 43
cp m1 m1.saved                # SC3 with two
cp dec.key dec.key.saved
swap_to 4
over=0
for n in $(seq 1 20); do
	if "$dctl" uplink --cut-after $n >/dev/null 2>&1; then
		break
	fi
	[ "$(invoices_of "${UA[3]}")" -gt 2 ] && over=1
	m1_has "${UA[3]}" || over=1
done
echo "# the session went through with the line cut after $n messages"
check "sessions cut after 1, 2, ... messages failed" test "$n" -gt 6
check_eq "no cut session invoiced twice or lost M1" 0 $over
check "the retry goes through" quietly "$dctl" uplink
check_eq "SC3's two films invoiced exactly once" 2 \
	"$(invoices_of "${UA[3]}")"
check "SC3's M1 entry deleted once acknowledged" bash -c \
	"! \"$dctl\" m1 | grep -q '^${UA[3]} '"
check "SC4 unlocked despite the cuts" wait_for 5 is locked no

# --- the same recovered block through a second decoder ---------------------
"$B/decoderd" -f -S dec2.sock -m m1.saved -k dec.key.saved -r "no such reader" \
	-A center/ca.crt -I center/issuer.pub -C localhost:7443 -i 0 2>dec2.log &
	started
dec2=$!
wait_for 10 test -S dec2.sock
out=$("$dctl" -S dec2.sock uplink 2>&1)
check_match "the second decoder's copy is a duplicate" \
	"block +${UA[3]} [0-9]+ duplicate" "$out"
check_match "and invoices nothing" "invoiced +0" "$out"
check_eq "SC3 still invoiced once" 2 "$(invoices_of "${UA[3]}")"
check "the second decoder deletes its acknowledged copy" bash -c \
	"! \"$dctl\" -S dec2.sock m1 | grep -q '^${UA[3]} '"
kill $dec2
wait $dec2

# --- an old M1 restored after acknowledgement -------------------------------
total=$(invoices_all)
stop_decoder
cp m1.old m1
start_decoder
wait_for 10 is card present
out=$("$dctl" uplink)
check_match "the old block is a stale copy, acknowledged" \
	"block +${UA[3]} [0-9]+ accepted stale copy" "$out"
check_match "not an anomaly" "flagged +0" "$out"
check "and nothing of SC3 is flagged" bash -c \
	"! \"$cctl\" flags | grep -q '^${UA[3]} '"
check_eq "the ledger is unchanged" "$total" "$(invoices_all)"

# --- forged and mis-bound blocks ------------------------------------------
# SC4's export block (kind 01), and its uplink block for an old challenge
blk=$(send $SEL 80400000000000 | tail -1 | cut -d' ' -f1)
old=$(send $SEL 80420000000010000102030405060708090A0B0C0D0E0F0000 |
	tail -1 | cut -d' ' -f1)
flip() {        # flip POS HEX: flip the low bit of byte POS
	local b=${2:$((2 * $1)):2}
	printf '%s%02X%s' "${2:0:$((2 * $1))}" $((0x$b ^ 1)) "${2:$((2 * $1 + 2))}"
}
us() { "$B/test/uplink_send" localhost 7443 center/ca.crt "$@"; }
# B:@ -- the present card answers the session's challenge (UPLINK BLOCKS)
export PTV_UPLINK_CARD="$B/test/pcsc_send -r 'Virtual PCD 00 00' $SEL \
80420000000010{}0000"
DEC=00000000000000aa
check_match "a genuine block is accepted" "result 0 accepted" \
	"$(us session $DEC "${UA[4]}" "B:@")"
check_match "an uplink block of another session: wrong kind" \
	"result 0 wrong block kind" "$(us session $DEC "${UA[4]}" "B:$old")"
check_match "an export block as the present one's: wrong kind" \
	"result 0 wrong block kind" "$(us session $DEC "${UA[4]}" "B:$blk")"
"$cctl" reload "${UA[4]}" 5
out=$(us session $DEC "${UA[4]}")
check_match "a HELLO alone is answered" "done" "$out"
check "but gets none of the card's commands" bash -c \
	"! printf '%s' \"\$1\" | grep -q '^command'" _ "$out"
check_eq "the reload still waits, never sent" "queued 0" \
	"$("$cctl" commands "${UA[4]}" | awk '$3 == "reload" { print $4, $6 }')"
check_match "an uplink block as a recovered one: wrong kind" \
	"result 0 wrong block kind" "$(us session $DEC - "R:$old")"
check_match "a bit flipped in the ciphertext: bad signature" \
	"result 0 bad signature" "$(us session $DEC - "R:$(flip 60 "$blk")")"
misbound=${blk:0:4}${UA[2]}${blk:20}
check_match "SC4's block relabelled as SC2's: bad signature" \
	"result 0 bad signature" "$(us session $DEC - "R:$misbound")"
unknown=${blk:0:4}9999999999999999${blk:20}
check_match "an unregistered UA: unknown card" "result 0 unknown card" \
	"$(us session $DEC - "R:$unknown")"
check_match "another card's block as the present one's: refused" \
	"result 0 block of a card other" \
	"$(us session $DEC "${UA[2]}" "B:@")"
check_match "a malformed block" "result 0 malformed" \
	"$(us session $DEC - "R:0102")"
check_match "a frame of no known type ends the session" "error protocol" \
	"$(us session $DEC - "X:77:00")"
frames() { for _ in $(seq "$1"); do printf 'R:0102 '; done; }
# shellcheck disable=SC2046
check_match "a session of 32 blocks is read to its end" "result 31 malformed" \
	"$(us session $DEC - $(frames 32))"
# shellcheck disable=SC2046
check_match "a 33rd block ends the session" "error protocol" \
	"$(us session $DEC - $(frames 33))"
check_eq "none of it reached the ledger" "$total" "$(invoices_all)"

# --- what the center rejected, for the operator ------------------------------
out=$(us session $DEC "${UA[4]}" "B:@" "R:$unknown")
check_match "a genuine session with a block of an unknown card" \
	"result 0 accepted.*result 1 unknown card" "$(printf '%s' "$out" | tr '\n' ' ')"
check_match "the center logs the rejected block at notice, naming it" \
	"notice: log_rejected: block 2 from [^ ]+ \(decoder $DEC\), card 9999999999999999 seq [0-9]+, rejected: unknown card$" \
	"$(cat center.log)"
check_match "a junk session's rejected block too (the interval's first)" \
	"notice: log_rejected: block 1 from [^ ]+ \(decoder $DEC\), card ${UA[4]} seq [0-9]+, rejected: wrong block kind.* \(the next ones go to the summary\)$" \
	"$(cat center.log)"
out=$("$cctl" rejected --json)
check_json "centerctl rejected --json: the schema" "$out" total=integer \
	keep=integer kept=integer reasons.[].code=integer \
	reasons.[].reason=string reasons.[].final=boolean \
	reasons.[].count=integer reasons.[].last_at=integer \
	blocks.[].n=integer blocks.[].received_at=integer blocks.[].peer=string \
	blocks.[].decoder=string blocks.[].ua=string\|null \
	blocks.[].seq=integer\|null blocks.[].frame=string \
	blocks.[].code=integer blocks.[].final=boolean \
	blocks.[].session=integer\|null
check_match "the newest first: the unknown card's, in its recorded session" \
	"\"blocks\":\[\{\"n\":[0-9]+,\"received_at\":[0-9]+,\"received_at_iso\":\"[^\"]+\",\"peer\":\"[^\"]+\",\"decoder\":\"$DEC\",\"ua\":\"9999999999999999\",\"seq\":[0-9]+,\"frame\":\"recovered\",\"code\":1,\"reason\":\"unknown card\",\"final\":true,\"session\":[0-9]+\}" \
	"$out"
check_match "SC4's block relabelled as SC2's, from a junk session" \
	"\"ua\":\"${UA[2]}\",\"seq\":[0-9]+,\"frame\":\"recovered\",\"code\":2,\"reason\":\"bad signature\",\"final\":true,\"session\":null" \
	"$out"
check_match "the malformed ones, with no UA" \
	"\"ua\":null,\"seq\":null,\"frame\":\"recovered\",\"code\":4,\"reason\":\"malformed\"" \
	"$out"
check_match "counted by reason: the malformed" \
	"\{\"code\":4,\"reason\":\"malformed\",\"final\":true,\"count\":33," "$out"
out=$("$cctl" rejected)
check_match "centerctl rejected: the counts, dates" \
	" 33 malformed \(final\), the last at [0-9]{4}-[0-9]{2}-[0-9]{2}T" "$out"
check_match "and the blocks" \
	"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +[^ ]+ +$DEC 9999999999999999 +[0-9]+ recovered +unknown card" \
	"$out"

# --- the center killed between its commit and its answer --------------------
buy 7 42
swap_to 5
stop_center
start_center PROTO_CRASH_AT=1
"$dctl" uplink >/dev/null 2>&1
check_eq "the uplink to a center that dies after committing fails" 1 $?
wait "$CENTER_PID"
check_eq "the center died at the failpoint" 86 $?
check_eq "what it committed is there" 1 "$(invoices_of "${UA[4]}")"
check "the decoder kept SC4's M1 entry" m1_has "${UA[4]}"
start_center
check "the retry goes through" quietly "$dctl" uplink
check_eq "SC4's film invoiced exactly once" 1 "$(invoices_of "${UA[4]}")"
check "SC4's M1 entry now deleted" bash -c \
	"! \"$dctl\" m1 | grep -q '^${UA[4]} '"

# --- hostile clients --------------------------------------------------------
us silent >silent.out 2>&1 &
started
silent=$!
check "garbage on the TLS port" "$B/test/uplink_send" 127.0.0.1 7443 - garbage
check_match "a 4 GiB frame is refused" "error protocol" "$(us huge)"
check "a decoder is served meanwhile" quietly "$dctl" uplink
wait $silent
check_eq "a silent client is hung up on" closed "$(cat silent.out)"
check "the center still accepts connections" bash -c \
	'exec 3<>/dev/tcp/127.0.0.1/7443' 
check_match "and says what it dropped" "dropped" "$(cat center.log)"

check "decoderd stops cleanly" stop_decoder
check "centerd stops cleanly" stop_center
tap_done
