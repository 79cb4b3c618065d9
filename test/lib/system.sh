# SPDX-License-Identifier: BSD-2-Clause
# The whole system in an integration test, sourced after itest.sh: what
# daemons.sh has (start_decoder, the stops, status_of, is), and
#   start_center [CENTERD-ARGS...]   centerd -f -K center, log center.log
#   setup_cards N                    the operator's keys in center/, SC1..SCN
#                                    (sc1.img..., UA 1111..., credit 1000)
#                                    registered, film 42's ECMs in ecm/7.ecm
#   m1_seq_of UA                     the seq of UA's M1 entry, or nothing
# Environment for a daemon goes before the call (VAR=1 start_center).
. "$root/test/lib/daemons.sh"

ms() { date +%s%3N; }
quietly() { "$@" >/dev/null 2>&1; }

start_center() {
	"$B/centerd" -f -K center "$@" 2>>center.log &
	started
	CENTER_PID=$!
	wait_for 5 center_port_open
}
setup_cards() {
	local t=1800000000 i
	"$cctl" init >/dev/null || return 1
	for i in $(seq "$1"); do
		"$B/cardctl" personalize "sc$i.img" --keys center \
			--ua "$(printf '%016d' 0 | tr 0 "$i")" --credit 1000 &&
			"$cctl" register "sc$i.img.reg" >/dev/null || return 1
	done
	mkdir -p ecm
	"$cctl" ecm --channel 7 --event 42 --time $t --end $((t + 7200)) \
		--ppv 300 --count 2 >ecm/7.ecm
}
m1_seq_of() { "$dctl" m1 | awk -v u="$1" '$1 == u { print $3 }'; }
