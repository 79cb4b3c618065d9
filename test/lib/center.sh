# SPDX-License-Identifier: BSD-2-Clause
# The center's end-to-end tests share these (sourced after itest.sh, in
# $tmp): centerd, decoderd and vcard started and stopped by PID, the
# operator's keys and cards, and reading what decoderctl and centerctl
# say.  Sets B, dctl, cctl, T, UA[1..5] and the sockets' variables.
export CENTER_KEYS=$tmp/center VCARD_SOCKET=$tmp/vcard.sock \
	DECODERD_SOCKET=$tmp/dec.sock
cd "$tmp" || exit 1

B=$build
dctl=$B/decoderctl
cctl=$B/centerctl
T=1800000000
UA=(0 1111111111111111 2222222222222222 3333333333333333 4444444444444444
	5555555555555555)
quietly() { "$@" >/dev/null; }

start_center() {
	# shellcheck disable=SC2086 # CENTERD_ARGS: more options, split
	env "$@" "$B/centerd" -f -K center -I 2s -t 20s ${CENTERD_ARGS:-} \
		2>>center.log &
	started
	CENTER_PID=$!
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/7443) 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
stop_center() {
	kill "$CENTER_PID"
	wait "$CENTER_PID"
	local rc=$?
	CENTER_PID=
	return $rc
}
start_decoder() {      # start_decoder [DECODERD-FLAG...]
	"$B/decoderd" -f -S "$DECODERD_SOCKET" -m m1 -k dec.key -e ecm \
		-A center/ca.crt -I center/issuer.pub -C localhost:7443 -i 0 -l info \
		-L no "$@" 2>>dec.log &
	started
	DEC_PID=$!
	wait_for 10 test -S "$DECODERD_SOCKET"
}
stop_decoder() {
	kill "$DEC_PID"
	wait "$DEC_PID"
	local rc=$?
	DEC_PID=
	return $rc
}
start_vcard() {        # start_vcard IMAGE
	"$B/vcard" "$1" 2>>vcard.log &
	started
}
status_of() { "$dctl" status | awk -v k="$1" '$1 == k { print $2 }'; }
is() { [ "$(status_of "$1")" = "$2" ]; }
m1_has() { "$dctl" m1 | grep -q "^$1 "; }
swap_to() {
	"$B/cardctl" swap "sc$1.img" && wait_for 10 is ua "${UA[$1]}"
}
buy() {         # buy CHANNEL EVENT
	"$dctl" tune "$1" >/dev/null && "$dctl" buy "$2" >/dev/null
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
