#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# decoderd through a real pcscd + vpcd + vcard: export on insertion and
# after a purchase, the swap to a locked card (M1 keeps the old card's
# entry), a card removed in the middle of an export, kill -9 at every
# step of an M1 update, pcscd restarted under the daemon, and a tampered,
# truncated or foreign M1.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"

export VCARD_SOCKET=$tmp/vcard.sock DECODERD_SOCKET=$tmp/dec.sock

cardctl=$build/cardctl
headend=$build/headend
dctl=$build/decoderctl
reader="Virtual PCD 00 00"
send() { "$build/test/pcsc_send" -r "$reader" "$@"; }
T=1800000000
UA1=1111111111111111
UA2=2222222222222222
SEL=00A4040007F0505456534D01

# start_decoder [ENV=VALUE...]: decoderd in the foreground, logging to
# $tmp/dec.log; waits for its socket
start_decoder() {
	env "$@" "$build/decoderd" -f -l info -m "$tmp/m1" -k "$tmp/dec.key" \
		-S "$DECODERD_SOCKET" -e "$tmp/ecm" -i 0 -L no \
		-I "$tmp/ops/issuer.pub" 2>>"$tmp/dec.log" &
		started
	DEC_PID=$!
	wait_for 10 test -S "$DECODERD_SOCKET"
}

stop_decoder() {
	kill "$DEC_PID" 2>/dev/null
	wait "$DEC_PID"
	local rc=$?
	DEC_PID=
	return $rc
}

status_of() { "$dctl" status | awk -v k="$1" '$1 == k { print $2 }'; }
m1_seq_of() { "$dctl" m1 | awk -v u="$1" '$1 == u { print $3 }'; }
card_is() { [ "$(status_of card)" = "$1" ]; }
ua_is() { [ "$(status_of ua)" = "$1" ]; }
m1_seq_is() { [ "$(m1_seq_of "$1")" = "$2" ]; }
m1_has() { [ -n "$(m1_seq_of "$1")" ]; }

"$headend" init "$tmp/ops"
"$cardctl" personalize "$tmp/sc1.img" --keys "$tmp/ops" --ua $UA1 \
	--credit 5000
"$cardctl" personalize "$tmp/sc2.img" --keys "$tmp/ops" --ua $UA2
mkdir "$tmp/ecm"
"$headend" ecm "$tmp/ops" --channel 7 --event 42 --time $T \
	--end $((T + 7200)) --ppv 300 --count 3 --period 10 >"$tmp/ecm/7.ecm"
for e in 50 51 52 53 54 55; do
	"$headend" ecm "$tmp/ops" --channel 8 --event $e --time $T \
		--end $((T + 7200)) --ppv 10
done >"$tmp/ecm/8.ecm"
unlock1=$("$headend" cmd "$tmp/ops" --ua $UA1 --counter 1 unlock)

"$build/vcard" "$tmp/sc1.img" 2>"$tmp/vcard.log" &
started
VCARD_PID=$!
send -w 10 >/dev/null
# The center is not here yet: unlock SC1 by hand.
send $SEL "80500000$(printf %02X $((${#unlock1} / 2)))$unlock1" >/dev/null

# --- export on insertion and after a purchase -------------------------------
check "decoderd starts" start_decoder
check "it sees SC1" wait_for 10 card_is present
check_eq "SC1 is unlocked" no "$(status_of locked)"
check "SC1 was exported on insertion" wait_for 5 m1_seq_is $UA1 1
out=$("$dctl" tune 7)
check_eq "tune 7: three ECMs, each an offer of event 42" \
	"$(printf '1 offer 42 300\n2 offer 42 300\n3 offer 42 300')" "$out"
check_match "buy 42" "purchase +1" "$("$dctl" buy 42)"
check_eq "the purchase was exported into M1" 2 "$(m1_seq_of $UA1)"
check_eq "tune 7 now gives control words" \
	"$(printf '1 cw\n2 cw\n3 cw')" "$("$dctl" tune 7)"
err=$("$dctl" buy 42 2>&1)
check_eq "buying it again: exit 1" 1 $?
check_eq "and the card's refusal" \
	"decoderctl buy: purchase refused: event already bought" "$err"
err=$("$dctl" buy 99 2>&1)
check_match "buying what was never offered is refused" "no offer for event 99" \
	"$err"
"$dctl" tune 8 >/dev/null
for e in 50 51 52 53 54 55; do "$dctl" buy $e >/dev/null; done
check_eq "six more purchases, each exported" 8 "$(m1_seq_of $UA1)"
check_match "m1 --json" '"ua":"1111111111111111","state":"pending","seq":8' \
	"$("$dctl" m1 --json)"
check_json "m1 --json: the schema" "$("$dctl" m1 --json)" [].ua=string \
	[].seq=integer [].exported_at=integer [].exported_at_iso=string \
	[].kind=string
check_match "m1: the export's date, not Unix seconds" \
	"^$UA1 +pending +8 +[0-9]+ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z " \
	"$("$dctl" m1)"
check_json "status --json: the schema" "$("$dctl" status --json)" \
	locked=boolean held=boolean ua=string credit=integer \
	last_export=integer last_export_iso=string last_uplink=null \
	last_uplink_iso=null m1_entries=integer last_error=string\|null
check_match "status: the last export as a date" \
	"^last_export +[0-9]{4}-[0-9]{2}-[0-9]{2}T" "$("$dctl" status)"
check_json "tune --json: each ECM's outcome" "$("$dctl" tune 7 --json)" \
	.=array [].ecm=integer [].outcome=string
check_match "tune --json: control words now" \
	'^\[\{"ecm":1,"outcome":"cw"\},' "$("$dctl" tune 7 --json)"
check_cut "decoderctl status --json" "$dctl" status --json
check_cut "decoderctl m1" "$dctl" m1

# --- the swap: SC2 is locked, M1 keeps SC1 --------------------------------
m1_before=$(sha256sum <"$tmp/m1")
"$cardctl" swap "$tmp/sc2.img"
check "the daemon sees SC2" wait_for 10 ua_is $UA2
check_eq "SC2 is transfer-locked" yes "$(status_of locked)"
check_match "the daemon logs that the new card is locked" \
	"card $UA2 is transfer-locked" "$(cat "$tmp/dec.log")"
err=$("$dctl" export 2>&1)
check_eq "export from a locked card is refused" \
	"decoderctl export: card $UA2 is transfer-locked" "$err"
check_eq "M1 still holds SC1's entry, unchanged" "$m1_before" \
	"$(sha256sum <"$tmp/m1")"
check_eq "and only it" "1" "$(status_of m1_entries)"

# --- the card removed in the middle of an export ---------------------------
check "decoderd stops cleanly" stop_decoder
"$cardctl" swap "$tmp/sc1.img"
start_decoder PTV_TEST_CHUNK_DELAY_MS=1500
wait_for 10 card_is present
"$dctl" export >"$tmp/export.out" 2>&1 &
started
export_pid=$!
# eject while the daemon is between two chunks of the block
wait_for 10 grep -q "test hook: pausing" "$tmp/dec.log"
"$cardctl" eject
wait $export_pid
check_eq "the interrupted export fails" 1 $?
check_match "saying why" "EXPORT failed|did not answer" "$(cat "$tmp/export.out")"
check_eq "M1 is unchanged" "$m1_before" "$(sha256sum <"$tmp/m1")"
check "the daemon is healthy, with no card" card_is absent
"$cardctl" insert "$tmp/sc1.img"
check "the next insertion works" wait_for 10 card_is present
check "decoderd stops cleanly" stop_decoder

# --- kill -9 at every step of an M1 update --------------------------------
torn=0
crashes=0
saw_old=0
saw_new=0
for n in $(seq 1 12); do
	start_decoder PROTO_CRASH_AT=$n
	wait_for 10 card_is present
	old=$(m1_seq_of $UA1)
	# (a crashed daemon may linger as a zombie: ask decoderctl, not kill)
	if "$dctl" export >/dev/null 2>&1; then
		stop_decoder
		break           # no n-th failpoint: every step was covered
	fi
	wait "$DEC_PID"
	[ $? -eq 86 ] && crashes=$((crashes + 1))
	DEC_PID=
	rm -f "$DECODERD_SOCKET"
	start_decoder
	wait_for 10 card_is present
	# the old entry, or the block the card issued in the crashed export
	seq=$(m1_seq_of $UA1)
	new=$(status_of export_seq)
	if ls "$tmp"/m1.corrupt-* >/dev/null 2>&1 ||
	    { [ "$seq" != "$old" ] && [ "$seq" != "$new" ]; }; then
		torn=$((torn + 1))
		echo "# crash at failpoint $n: M1 holds seq '$seq', not $old" \
			"or $new"
	elif [ "$seq" = "$old" ]; then
		saw_old=$((saw_old + 1))
	else
		saw_new=$((saw_new + 1))
	fi
	stop_decoder
done
check "the sweep crashed the daemon at several steps" test $crashes -ge 5
check_eq "after every crash M1 held the old or the new entry" 0 $torn
check "both outcomes were seen" test $saw_old -gt 0 -a $saw_new -gt 0
echo "# $crashes crash points: $saw_old left the old entry, $saw_new the new"

# --- pcscd restarted under the running daemon -------------------------------
start_decoder
wait_for 10 card_is present
pcscd_stop
check "the daemon notices pcscd went away" wait_for 10 card_is absent
check_eq "pcscd reported down" down "$(status_of pcscd)"
PCSCD_OURS=1
pcscd_start
check "it reconnects by itself" wait_for 15 card_is present
check "and exports again" "$dctl" export
check "decoderd stops cleanly" stop_decoder

# --- M1 tampered, truncated, another decoder's ------------------------------
good=$tmp/m1.good
cp "$tmp/m1" "$good"
damage() {
	case $1 in
	flip) printf '\x55' | dd of="$tmp/m1" bs=1 seek=40 conv=notrunc \
		2>/dev/null ;;
	truncate) head -c 100 "$good" >"$tmp/m1" ;;
	foreign) cp "$tmp/other.m1" "$tmp/m1" ;;
	esac
}
# another decoder, with its own key, makes its own M1 of the same card
"$build/decoderd" -f -m "$tmp/other.m1" -k "$tmp/other.key" \
	-S "$tmp/other.sock" -i 0 -I "$tmp/ops/issuer.pub" 2>/dev/null &
	started
other=$!
wait_for 10 test -s "$tmp/other.m1"
kill $other
wait $other
for how in flip truncate foreign; do
	cp "$good" "$tmp/m1"
	rm -f "$tmp"/m1.corrupt-*
	damage $how
	damaged=$(sha256sum <"$tmp/m1")
	: >"$tmp/dec.log"
	start_decoder
	check "$how M1: the daemon runs" wait_for 10 card_is present
	check_match "$how M1: reported" "M1 .* is unreadable .*moved aside" \
		"$(cat "$tmp/dec.log")"
	aside=$(ls "$tmp"/m1.corrupt-* 2>/dev/null | head -1)
	check_eq "$how M1: kept aside as it was" "$damaged" \
		"$(sha256sum <"${aside:-/dev/null}")"
	check "$how M1: a fresh M1 takes the next export" \
		wait_for 5 m1_has $UA1
	check "decoderd stops cleanly" stop_decoder
done

# --- what decoderctl never sends, and a bad ECM file ----------------------
start_decoder
wait_for 10 card_is present
raw() { "$build/test/ctl_send" "$DECODERD_SOCKET"; }
check_eq "decoderd: tune without a number" \
	"error: tune wants a channel number: abc" "$(printf 'tune abc\n' | raw)"
check_eq "decoderd: buy without a number" \
	"error: buy wants an event number: 1x" "$(printf 'buy 1x\n' | raw)"
check_eq "decoderd: uplink with a bad argument" \
	"error: uplink takes no argument but cut=N: cut=abc" \
	"$(printf 'uplink cut=abc\n' | raw)"
check_eq "decoderd: an unknown request" "error: unknown request: frob" \
	"$(printf 'frob\n' | raw)"
check_match "decoderd: a request without its line end" "^error: bad request" \
	"$(printf 'status' | raw)"
printf 'not an ECM\n' >"$tmp/ecm/9.ecm"
err=$("$dctl" tune 9 2>&1)
check_eq "an ECM file with a bad line: named" \
	"decoderctl tune: $tmp/ecm/9.ecm: line 1 is not an ECM" "$err"
err=$("$dctl" tune 99 2>&1)
check_eq "a channel without an ECM file: named" \
	"decoderctl tune: $tmp/ecm/99.ecm: not found" "$err"
check "the daemon answers normally after all that" card_is present

# --- a card that answers garbage ---------------------------------------------
m1_before=$(sha256sum <"$tmp/m1")
"$cardctl" eject
wait_for 10 card_is absent
: >"$tmp/dec.log"
# The do-nothing card answers every SELECT 9000 and every Le with zeros.
"$build/bench/nullcard" 35963 &
started
null_pid=$!
check "the daemon takes the garbage card's session" wait_for 10 card_is present
check_match "its export is refused (no certificate of ours), and logged" \
	"export of card 0+ failed: card 0+ may not export into M1: its certificate is not our operator's" \
	"$(cat "$tmp/dec.log")"
check_eq "M1 is untouched by it" "$m1_before" "$(sha256sum <"$tmp/m1")"
check_match "its answers to ECMs are refused" "^1 error" "$("$dctl" tune 7)"
kill $null_pid
wait $null_pid 2>/dev/null
check "the daemon is healthy after it" wait_for 10 card_is absent
check "decoderd stops cleanly" stop_decoder

# --- bad arguments ---------------------------------------------------------
"$dctl" frob >/dev/null 2>&1
check_eq "decoderctl: unknown command, exit 2" 2 $?
err=$("$dctl" -S "$tmp/none.sock" status 2>&1)
check_eq "decoderctl: no daemon, one line" \
	"decoderctl status: decoderd is not running (no daemon at $tmp/none.sock)" "$err"
"$build/decoderd" -f -i nope >/dev/null 2>&1
check_eq "decoderd: bad flag value, exit 2" 2 $?
printf 'reader = x\nfrobnicate = 1\n' >"$tmp/bad.conf"
err=$("$build/decoderd" -f -c "$tmp/bad.conf" 2>&1)
check_eq "decoderd: bad configuration line named" \
	"decoderd: $tmp/bad.conf line 2: unknown configuration key \"frobnicate\"" \
	"$err"
tap_done
