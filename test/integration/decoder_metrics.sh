#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# decoderctl uplink's exit status (issue 11.1, decoder side) and
# decoderctl metrics (issue 13, decoder side), through real pcscd + vpcd +
# vcard + decoderd + centerd.  An uplink the center answers but in which
# it rejects a block (an unregistered card's) exits 1 and names the block
# and the reason; a failed one exits 1 too; a clean one 0.  The metrics
# are Prometheus text, every sample under its HELP and TYPE lines,
# counters named ptv_decoder_*_total, and each counter says what the test
# did: insertions, removals, a reset, ECMs by outcome, purchases, exports,
# uplinks by outcome, the center's verdicts, M1's entries; the textfile
# for node_exporter holds the same.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"
# shellcheck source=../lib/system.sh
. "$root/test/lib/system.sh"

UA1=1111111111111111
UA9=9999999999999999
ID=00A4040007F0505456494401 # SELECT of the identity applet
# metric NAME [LABELS]: its value in decoderctl metrics
metric() {
	local n=$1
	[ $# -gt 1 ] && n="$1{$2}"
	"$dctl" metrics | awk -v n="$n" '$1 == n { print $2 }'
}
uplink() { "$dctl" uplink >uplink.out 2>uplink.err; }

check "SC1 and SC2 personalized and registered" setup_cards 2
"$B/cardctl" personalize sc9.img --keys center --ua $UA9 --credit 1000
check "centerd starts" start_center
"$B/vcard" sc1.img 2>vcard.log &
started
check "decoderd starts, keeping its metrics in metrics.prom" \
	start_decoder -M metrics.prom
check "it sees SC1" wait_for 10 is card present

# --- the exit status of decoderctl uplink ---------------------------------
check "a clean uplink exits 0" uplink
check_eq "and says nothing on stderr" "" "$(cat uplink.err)"
check "SC1 is unlocked" wait_for 5 is locked no
check_match "SC1 buys film 42" "offer 42" "$("$dctl" tune 7)"
check "SC1 buys film 42" quietly "$dctl" buy 42
check_eq "its ECMs answered" "$(printf '1 cw\n2 cw')" "$("$dctl" tune 7)"
check "buying it again is refused" bash -c "! \"$dctl\" buy 42 2>/dev/null"
send -d reset $ID >/dev/null
check "decoderd exports after a reset" quietly "$dctl" export
check "swap to SC9, which the center does not know" \
	"$B/cardctl" swap sc9.img
check "decoderd sees it" wait_for 10 is ua $UA9
uplink
check_eq "an uplink with a rejected block exits 1" 1 $?
check_match "naming the block and the center's reason" \
	"^decoderctl uplink: the center rejected block [0-9]+ of card $UA9: unknown card$" \
	"$(cat uplink.err)"
check_eq "and only that one" 1 "$(wc -l <uplink.err)"
check_match "the recovered block of SC1 went through" \
	"block +$UA1 [0-9]+ accepted" "$(cat uplink.out)"
check_eq "SC1's film invoiced" 1 "$(invoices_of $UA1)"
check "centerd stops" stop_center
uplink
check_eq "an uplink that fails exits 1" 1 $?
check_match "saying why" "failed" "$(cat uplink.err)"
check "centerd starts again" start_center

# --- the metrics ---------------------------------------------------------------
"$dctl" metrics >metrics.out
check "decoderctl metrics answers" test -s metrics.out
"$dctl" metrics --json >metrics.json 2>metrics.err
check_eq "metrics has no --json: exit 2" 2 $?
check_match "saying so" "decoderctl metrics: --json: this command has no JSON output" \
	"$(cat metrics.err)"
check "and printing nothing" test ! -s metrics.json
check "every sample under its metric's HELP and TYPE, counters *_total" \
	awk '
	/^# HELP ptv_decoder_[a-z0-9_]+ ./ { help[$3] = 1; next }
	/^# TYPE ptv_decoder_[a-z0-9_]+ (counter|gauge)$/ {
		if (!($3 in help)) { print "no HELP: " $0; n = -99; exit 1 }
		type[$3] = $4; next
	}
	/^ptv_decoder_[a-z0-9_]+(\{[a-z]+="[a-z]+"\})? [0-9]+$/ {
		name = $1; sub(/\{.*/, "", name)
		if (!(name in type)) { print "no TYPE: " $0; n = -99; exit 1 }
		if ((type[name] == "counter") != (name ~ /_total$/)) {
			print "counter not *_total: " $0; n = -99; exit 1
		}
		n++; next
	}
	{ print "not a metric line: " $0; n = -99; exit 1 }
	END { if (n < 20) { print "only " n " samples"; exit 1 } }' metrics.out
echo "# $(grep -vc '^#' metrics.out) samples, $(grep -c '^# TYPE' metrics.out) metrics"
ev=ptv_decoder_card_events_total
check_eq "card events: SC1 and SC9 inserted, SC1 removed, one reset" \
	"2 1 1" "$(metric $ev 'event="inserted"') $(metric $ev 'event="removed"') $(metric $ev 'event="reset"')"
e=ptv_decoder_ecms_total
check_eq "ECMs: two offers, two control words, none denied or failed" \
	"2 2 0 0" "$(metric $e 'outcome="offer"') $(metric $e 'outcome="cw"') $(metric $e 'outcome="denied"') $(metric $e 'outcome="failed"')"
p=ptv_decoder_purchases_total
check_eq "purchases: one made, one refused" "1 1" \
	"$(metric $p 'outcome="made"') $(metric $p 'outcome="refused"')"
u=ptv_decoder_uplinks_total
check_eq "uplinks: one ok, one with a rejected block, one failed" "1 1 1" \
	"$(metric $u 'outcome="ok"') $(metric $u 'outcome="rejected"') $(metric $u 'outcome="failed"')"
b=ptv_decoder_uplink_blocks_total
check_eq "blocks: SC1's twice accepted, SC9's rejected" "2 0 1" \
	"$(metric $b 'result="accepted"') $(metric $b 'result="duplicate"') $(metric $b 'result="rejected"')"
check_eq "M1 entries acknowledged: SC1's" 1 "$(metric ptv_decoder_m1_acked_total)"
exports=$(grep -c "exported card" dec.log)
check_eq "exports: as many as decoderd logged ($exports)" "$exports 0" \
	"$(metric ptv_decoder_exports_total) $(metric ptv_decoder_export_failures_total)"
check "among them the one asked after the reset" test "$exports" -ge 3
check_eq "M1 now: no entry (SC9 may not export)" "0 0" \
	"$(metric ptv_decoder_m1_entries 'state="pending"') $(metric ptv_decoder_m1_entries 'state="acked"')"
check_eq "a locked card present" "1 1" \
	"$(metric ptv_decoder_card_present) $(metric ptv_decoder_card_locked)"
before=$(metric ptv_decoder_exports_total)
"$dctl" export >/dev/null 2>&1
check_eq "a refused export counts as a failure" "$before 1" \
	"$(metric ptv_decoder_exports_total) $(metric ptv_decoder_export_failures_total)"

# --- the textfile for node_exporter --------------------------------------------
check "metrics.prom holds the same" wait_for 3 bash -c \
	"\"$dctl\" metrics | cmp -s - metrics.prom"
check "and nothing half-written beside it" bash -c \
	"[ \"\$(ls | grep -c metrics.prom)\" = 1 ]"
check "decoderd stops cleanly" stop_decoder
check "centerd stops cleanly" stop_center
tap_done
