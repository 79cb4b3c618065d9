# SPDX-License-Identifier: BSD-2-Clause
# The whole system in an integration test, sourced after itest.sh: the
# daemons' sockets and keys in $tmp, which becomes the working directory,
# and how to start, stop and ask them.
#   start_center [CENTERD-ARGS...]   centerd -f -K center, log center.log
#   start_decoder [DECODERD-ARGS...] decoderd on dec.sock, m1, dec.key, ecm/,
#                                    the center on localhost:7443, log dec.log,
#                                    no first contact unless -L yes
#   setup_cards N                    the operator's keys in center/, SC1..SCN
#                                    (sc1.img..., UA 1111..., credit 1000)
#                                    registered, film 42's ECMs in ecm/7.ecm
#   stop_center, stop_decoder        kill, wait, its exit status
#   status_of KEY, is KEY VALUE      decoderctl status
#   m1_seq_of UA                     the seq of UA's M1 entry, or nothing
#   invoices_of UA                   the center's invoices of UA
# Environment for a daemon goes before the call (VAR=1 start_center).
export CENTER_KEYS=$tmp/center VCARD_SOCKET=$tmp/vcard.sock \
	DECODERD_SOCKET=$tmp/dec.sock
cd "$tmp" || exit 1

B=$build
dctl=$B/decoderctl
cctl=$B/centerctl
send() { "$B/test/pcsc_send" -r "Virtual PCD 00 00" "$@"; }
ms() { date +%s%3N; }
quietly() { "$@" >/dev/null 2>&1; }

center_port_open() { (exec 3<>/dev/tcp/127.0.0.1/7443) 2>/dev/null; }
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
stop_center() {
	kill "$CENTER_PID"
	wait "$CENTER_PID"
	local rc=$?
	CENTER_PID=
	return $rc
}
start_decoder() {
	"$B/decoderd" -f -S "$DECODERD_SOCKET" -m m1 -k dec.key -e ecm \
		-A center/ca.crt -I center/issuer.pub -C localhost:7443 -i 0 -l info \
		-L no "$@" \
		2>>dec.log &
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
status_of() { "$dctl" status 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
is() { [ "$(status_of "$1")" = "$2" ]; }
m1_seq_of() { "$dctl" m1 | awk -v u="$1" '$1 == u { print $3 }'; }
invoices_of() { "$cctl" invoices --json | grep -o "\"ua\":\"$1\"" | wc -l; }
