#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Issues 10.2 and 10.3 at the center, end to end through real pcscd +
# vpcd + vcard + decoderd + centerd.  10.2: the card's usage statistics
# (ECMs per channel, control words, denials, power-ups), clock, credit,
# rights and versions reach the center with the block, session and
# decoder they came by, and `centerctl card` shows them with the card's
# history, dates as dates.  10.3: "export now" ordered by the center on
# the uplink path (applied, and the card exports), and an EMM made by
# `centerctl emm` on the broadcast path: fed to the card, its outcome
# comes back in the next uplink and is matched on the broadcast path.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"
. "$root/test/lib/center.sh"

U=${UA[1]}
# A field of `centerctl card --json`'s data: data_field KEY
data_field() {
	"$cctl" card "$U" --json |
		grep -o "\"data\":{.*" | grep -o "\"$1\":[^,]*" | head -1 |
		cut -d: -f2-
}
m1_seq() { "$dctl" m1 | awk -v u="$U" '$1 == u { print $3 }'; }

center_begin 1
check_match "no data before a block of SC1 arrives" '"data":null' \
	"$("$cctl" card "$U" --json)"
check "first contact" quietly "$dctl" uplink
check "SC1 is unlocked" wait_for 5 is locked no

# --- 10.2: what the card generated reaches the center --------------------
# film 42: two ECMs denied (offers), bought, two answered; film 43's two
# denied.  ECM times T and T + 10.
check "SC1 buys film 42" buy 7 42
check_eq "its ECMs are answered" "$(printf '1 cw\n2 cw')" "$("$dctl" tune 7)"
check_match "film 43 is not" "offer" "$("$dctl" tune 8)"
"$cctl" grant "$U" 101 $((T + 86400))
check_match "the grant and the ack go out" "applied +2" "$("$dctl" uplink)"
check "an uplink carries it all" quietly "$dctl" uplink
json=$("$cctl" card "$U" --json)
check_match "ECMs per channel" \
	'"ecms":\[\{"channel":7,"ecms":4\},\{"channel":8,"ecms":2\}\]' "$json"
check_eq "control words, denials" "2 4" \
	"$(data_field cws) $(data_field denials)"
card_field() {
	"$B/cardctl" show sc1.img --json | grep -o "\"$1\":[^,}]*" | head -1 |
		cut -d: -f2-
}
check_eq "power-ups: as many as the card counted" "$(card_field powerups)" \
	"$(data_field powerups)"
check_eq "the card's clock: the latest ECM's time" \
	"$((T + 10)) \"2027-01-15T08:00:10Z\"" \
	"$(data_field clock) $(data_field clock_iso)"
check_eq "credit after film 42" 700 "$(data_field credit)"
check_eq "function versions" '"1.0.1.0"' "$(data_field versions)"
check_match "rights: the grant" \
	"\"rights\":\\[\\{\"channel\":101,\"expiry\":$((T + 86400)),\"expiry_iso\":\"2027-01-16T08:00:00Z\"\\}\\]" \
	"$json"
check_eq "from the card itself" '"present"' "$(data_field origin)"
dec=$("$cctl" card "$U" --json | grep -o '"sessions":.*' |
	grep -o '"decoder":"[0-9a-f]*"' | tail -1)
check_match "through the decoder of its last session" "$dec" \
	"$(data_field decoder | sed 's/^/"decoder":/')"
check_match "with the session's blocks in the history" \
	'"blocks":\[\{"session":[0-9]+,"decoder":"[0-9a-f]{16}","ua":"1111111111111111","seq":[0-9]+,"frame":"present","result":"accepted"' \
	"$json"
check_match "and its invoice" '"invoices":\[\{"ua":"1111111111111111","seq":1,"event":42' \
	"$json"
text=$("$cctl" card "$U")
check_match "the text form shows the clock as a date" \
	"clock +2027-01-15T08:00:10Z" "$text"
check_match "and the ECMs per channel" "ecms +7: 4, 8: 2" "$text"
check "and no time as an epoch" bash -c \
	"! printf '%s' \"\$1\" | grep -Eq '\\b1[0-9]{9}\\b'" _ "$text"

# --- 10.3: export now, on the uplink path ---------------------------------
before=$(m1_seq)
"$cctl" export "$U"
ctr=$("$cctl" commands "$U" | awk '$3 == "export" { print $2 }')
check_match "the export is sent and applied" "applied +1" "$("$dctl" uplink)"
check "the card exported at once into M1" wait_for 5 \
	bash -c "[ \"\$(\"$dctl\" m1 | awk '\$1 == \"$U\" { print \$3 }')\" -gt $before ]"
"$dctl" uplink >/dev/null
check_eq "the center shows the export applied" "applied 9000" \
	"$(cmd_field "$U" "$ctr" 4) $(cmd_field "$U" "$ctr" 5)"

# --- 10.3: an EMM, on the broadcast path ------------------------------------
mkdir emm
check "centerctl emm writes an EMM" "$cctl" emm "$U" reload 50 -o emm/sc1.emm
check "and another, appended" "$cctl" emm "$U" grant 102 $((T + 3600)) \
	-o emm/sc1.emm
check_eq "one EMM per line" 2 "$(wc -l <emm/sc1.emm)"
check_eq "queued on the broadcast path, counters 1 and 2" \
	"broadcast 1 reload queued broadcast 2 grant queued" \
	"$("$cctl" commands "$U" | awk '$1 == "broadcast" { printf "%s%s %s %s %s", s, $1, $2, $3, $4; s = " " }')"
emm1=$(head -1 emm/sc1.emm)
check_match "the card takes the first from the broadcast" "9000" \
	"$(send $SEL "80500000$(printf '%02X' $((${#emm1} / 2)))$emm1")"
check "the next uplink carries its outcome" quietly "$dctl" uplink
check_eq "the center matched it on the broadcast path" "reload applied" \
	"$("$cctl" commands "$U" |
		awk '$1 == "broadcast" && $2 == 1 { print $3, $4 }')"
check_eq "the second one waits" queued \
	"$("$cctl" commands "$U" | awk '$1 == "broadcast" && $2 == 2 { print $4 }')"
check_eq "the card's credit shows the reload" 750 "$(data_field credit)"
check_eq "and its broadcast counter" 1 "$(data_field bcast_ctr)"
check_match "a bad EMM type is refused" "no EMM type" \
	"$("$cctl" emm "$U" bogus 2>&1)"
check_eq "and queues nothing" 2 \
	"$("$cctl" commands "$U" | awk '$1 == "broadcast"' | wc -l)"

check "decoderd stops cleanly" stop_decoder
check "centerd stops cleanly" stop_center
tap_done
