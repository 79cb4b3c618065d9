#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The card runtime through a real pcscd and vpcd, in a private namespace:
# opensc-tool and pcsc_scan against vcard, cardctl swap, a fuzz sweep, pcscd
# restarted under the card, and cardctl's errors.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"

sock=$tmp/vcard.sock
export VCARD_SOCKET=$sock

cardctl=$build/cardctl
reader="Virtual PCD 00 00"
send() { "$build/test/pcsc_send" -r "$reader" "$@"; }
SEL=00A4040007F0505456494401

"$cardctl" new "$tmp/c1.img" --serial 1111111111111111
"$cardctl" new "$tmp/c2.img" --serial 2222222222222222
"$build/vcard" -w 1s "$tmp/c1.img" 2>"$tmp/vcard.log" &
started
VCARD_PID=$!
check "vcard's card appears in the reader" send -w 10

# --- opensc-tool ---------------------------------------------------------
out=$(timeout 20 opensc-tool -l 2>&1)
check_match "opensc-tool -l lists the reader with a card" \
	"0 +Yes +$reader" "$out"
atr=$(timeout 20 opensc-tool -r "$reader" -a 2>&1)
check_eq "opensc-tool -a prints vcard's ATR" \
	"3b:8e:81:31:fe:45:80:73:80:01:40:58:50:41:59:54:56:2d:53:4d:96" "$atr"
out=$(timeout 20 opensc-tool -r "$reader" -s $SEL -s 00CA010100 2>&1)
check_match "opensc-tool -s SELECT and GET DATA return the serial" \
	"11 11 11 11 11 11 11 11" "$out"
check_match "opensc-tool -s GET DATA answers 9000" \
	"Received \(SW1=0x90, SW2=0x00\):" "$out"
out=$(timeout 30 opensc-tool -r "$reader" -n 2>&1)
check_eq "opensc-tool -n exits 0" 0 $?
check_match "opensc-tool -n names an unsupported card" \
	"Unsupported card" "$out"
out=$(send $SEL 00CA010100 2>&1)
check_eq "the card still answers after opensc-tool -n" \
	"$(printf '9000\n1111111111111111 9000')" "$out"

# --- swap: removal then insertion, then the other card -----------------
timeout 12 stdbuf -oL pcsc_scan -n -t 9 >"$tmp/scan.log" 2>&1 &
started
SCAN_PID=$!
wait_for 5 grep -q "Card inserted" "$tmp/scan.log"
check "cardctl swap succeeds" "$cardctl" swap "$tmp/c2.img"
wait "$SCAN_PID" 2>/dev/null
scan=$(tr -d '\r' <"$tmp/scan.log" | grep -E "Card (removed|inserted)" |
	tr -s ' ' | uniq | tr '\n' ' ')
check_match "pcsc_scan reports removal then insertion" \
	"Card inserted.*Card removed.*Card inserted" "$scan"
check "the swapped-in card is present" send -w 10
out=$(timeout 20 opensc-tool -r "$reader" -s $SEL -s 00CA010100 2>&1)
check_match "GET DATA now returns the other card's serial" \
	"22 22 22 22 22 22 22 22" "$out"
st=$("$cardctl" status --json)
check_match "cardctl status --json names the inserted image" \
	"\"inserted\":true,\"image\":\"$tmp/c2.img\",\"serial\":\"2222222222222222\",\"reader\":\"connected\"" "$st"
check_json "cardctl status --json: the schema" "$st" inserted=boolean \
	image=string serial=string port=integer apdus=integer
# a file name that is not UTF-8 (Latin-1 e-acute) still makes valid JSON
latin=$tmp/caf$'\xe9'.img
cp "$tmp/c2.img" "$latin"
"$cardctl" swap "$latin"
st=$("$cardctl" status --json)
check_json "an image name not in UTF-8: still valid JSON" "$st" image=string
check_match "the byte that is not UTF-8 is U+FFFD" \
	"\"image\":\"$tmp/caf"$'\xef\xbf\xbd'".img\"" "$st"
"$cardctl" swap "$tmp/c2.img"
check "the card is back" send -w 10

# --- fuzz: the card survives and its image is unchanged ----------------
before=$(sha256sum <"$tmp/c2.img")
out=$(send -f 3000 -s 7 -a F0505456494401 -x 8010 2>&1)
check_eq "3000 fuzz APDUs all answered" 0 $?
echo "# $out"
after=$(sha256sum <"$tmp/c2.img")
check_eq "the fuzzed card's image is unchanged" "$before" "$after"
out=$(send $SEL 00CA010100 80100000 00CA010304 2>&1)
check_eq "the card answers correctly after the fuzz" \
	"$(printf '9000\n2222222222222222 9000\n6104\n00000001 9000')" "$out"
check "a committed APDU reached the image" \
	test "$before" != "$(sha256sum <"$tmp/c2.img")"

# --- pcscd goes away and comes back: vcard reconnects ------------------
pcscd_stop
sleep 1
PCSCD_OURS=1
pcscd_start
check "the card is back after pcscd restarted" send -w 10
out=$(send $SEL 00CA010100 2>&1)
check_eq "GET DATA works after the pcscd restart" \
	"$(printf '9000\n2222222222222222 9000')" "$out"

# --- cardctl errors -------------------------------------------------------
check "cardctl eject" "$cardctl" eject
err=$("$cardctl" eject 2>&1)
check_eq "eject with no card: exit 1" 1 $?
check_eq "eject with no card: says so" "cardctl eject: no card inserted" "$err"
# what cardctl never sends, straight to vcard's control socket
raw() { "$build/test/ctl_send" "$VCARD_SOCKET"; }
check_eq "vcard: an unknown request" "error: unknown request: frob" \
	"$(printf 'frob\n' | raw)"
check_eq "vcard: a relative image path" \
	"error: image path must be absolute: c1.img" \
	"$(printf 'insert c1.img\n' | raw)"
check_eq "vcard: insert without an image" "error: unknown request: insert" \
	"$(printf 'insert\n' | raw)"
check_match "vcard: a request without its line end" "^error: bad request" \
	"$(printf 'status' | raw)"
check_match "vcard: a request over the size limit" \
	"^error: bad request: larger than the limit" \
	"$(head -c 5000 /dev/zero | tr '\0' a | raw)"
check_match "vcard: a NUL inside a request" "^error: bad request" \
	"$(printf 'sta\0tus\n' | raw)"
# from a file, so both lines reach vcard in one write (bash's printf
# writes line by line: vcard would answer the first alone)
printf 'status\nstatus\n' >"$tmp/two-requests"
check_match "vcard: two requests in one" "^error: bad request" \
	"$(raw <"$tmp/two-requests")"
check_match "vcard answers normally after all that" "inserted +no" \
	"$("$cardctl" status)"
err=$("$cardctl" insert "$tmp/missing.img" 2>&1)
check_eq "insert of a missing file fails" 1 $?
check_match "and names the file" "missing.img" "$err"
printf 'garbage' >"$tmp/bad.img"
err=$("$cardctl" insert "$tmp/bad.img" 2>&1)
check_match "insert of a damaged image is refused" \
	"cannot load .*bad.img: " "$err"
check_match "and the daemon reports no card" "inserted +no" \
	"$("$cardctl" status)"
"$cardctl" frobnicate >/dev/null 2>&1
check_eq "unknown command: exit 2" 2 $?
"$cardctl" >/dev/null 2>&1
check_eq "no command: exit 2" 2 $?
"$cardctl" new "$tmp/c1.img" 2>/dev/null
check_eq "new refuses to overwrite an image" 1 $?
"$cardctl" new "$tmp/c3.img" --serial 12 2>/dev/null
check_eq "new with a short serial: exit 2" 2 $?
err=$("$cardctl" -S "$tmp/none.sock" status 2>&1)
check_eq "no daemon: exit 1" 1 $?
check_eq "no daemon: one line naming the socket" \
	"cardctl status: vcard is not running (no daemon at $tmp/none.sock)" "$err"
"$build/vcard" -S "$sock" 2>/dev/null
check_eq "a second vcard on the same socket refuses to start" 1 $?
check "cardctl insert" "$cardctl" insert "$tmp/c1.img"
check "the card is back in the reader" send -w 10

kill "$VCARD_PID"
wait "$VCARD_PID"
check_eq "vcard exits 0 on SIGTERM" 0 $?
check "vcard removed its socket" test ! -e "$sock"
tap_done
