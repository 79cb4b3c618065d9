# SPDX-License-Identifier: BSD-2-Clause
# The center's end-to-end tests share these (sourced after itest.sh, in
# $tmp): centerd and vcard started by PID (decoderd, the stops and the
# status: daemons.sh), the operator's keys and cards, and reading what
# decoderctl and centerctl say.  Sets T, UA[1..5] besides daemons.sh's.
. "$root/test/lib/daemons.sh"

T=1800000000
UA=(0 1111111111111111 2222222222222222 3333333333333333 4444444444444444
	5555555555555555)
quietly() { "$@" >/dev/null; }

start_center() {
	# shellcheck disable=SC2086 # CENTERD_ARGS: more options, split
	env "$@" "$B/centerd" -f -K center -F 2s -t 20s ${CENTERD_ARGS:-} \
		2>>center.log &
	started
	CENTER_PID=$!
	wait_for 5 center_port_open
}
start_vcard() {        # start_vcard IMAGE
	"$B/vcard" "$1" 2>>vcard.log &
	started
}
m1_has() { "$dctl" m1 | grep -q "^$1 "; }
swap_to() {
	"$B/cardctl" swap "sc$1.img" && wait_for 10 is ua "${UA[$1]}"
}
buy() {         # buy CHANNEL EVENT
	"$dctl" tune "$1" >/dev/null && "$dctl" buy "$2" >/dev/null
}
# The first scene: N cards, centerd, SC1 in the reader, decoderd seeing
# it (a TAP line each).
center_begin() {        # center_begin N [DECODERD-FLAG...]
	if ! center_setup "$1" >/dev/null; then
		not_ok "the operator's keys and $1 cards"
		return 1
	fi
	shift
	check "centerd starts" start_center
	start_vcard sc1.img
	check "decoderd starts" start_decoder "$@"
	check "it sees SC1" wait_for 10 is card present
}
# The operator's keys, cards SC1..SCn registered, ECMs for films 42
# (channel 7) and 43 (channel 8).
center_setup() {        # center_setup N
	"$cctl" init || return 1
	for i in $(seq "$1"); do
		"$B/cardctl" personalize "sc$i.img" --keys center \
			--ua "${UA[$i]}" --credit 1000 || return 1
		"$cctl" register "sc$i.img.reg" || return 1
	done
	mkdir -p ecm
	"$cctl" ecm --channel 7 --event 42 --time $T --end $((T + 7200)) \
		--ppv 300 --count 2 >ecm/7.ecm &&
		"$cctl" ecm --channel 8 --event 43 --time $T \
			--end $((T + 7200)) --ppv 250 --count 2 >ecm/8.ecm
}
# A command's field in `centerctl commands UA`: cmd_field UA COUNTER COLUMN
# (the columns: path counter type state sw sends ...), uplink path.
cmd_field() {
	"$cctl" commands "$1" |
		awk -v c="$2" -v f="$3" '$1 == "uplink" && $2 == c { print $f }'
}
