# SPDX-License-Identifier: BSD-2-Clause
# The daemons of an integration test, sourced by center.sh and system.sh
# (after itest.sh): the sockets and keys in $tmp, which becomes the
# working directory, and how to start, stop and ask them.  Sets B, dctl,
# cctl, CENTER_KEYS, VCARD_SOCKET, DECODERD_SOCKET.
#   start_decoder [DECODERD-ARGS...] decoderd on dec.sock, m1, dec.key,
#                                    ecm/, the center on localhost:7443
#                                    (a -C among the arguments replaces
#                                    it), log dec.log, no first contact
#                                    unless -L yes; its PID in DEC_PID
#   stop_decoder, stop_center        kill, wait, its exit status
#   stop_pid VAR                     the same for the PID in $VAR
#   center_port_open [PORT]          a center listens on PORT (7443)
#   status_of KEY, is KEY VALUE      decoderctl status
#   invoices_of UA                   how many invoices of UA the center has
#   send APDU...                     APDUs to the card in the reader
#                                    (pcsc_send); SEL selects our applet
# Environment for a daemon goes before the call (VAR=1 start_decoder).
export CENTER_KEYS=$tmp/center VCARD_SOCKET=$tmp/vcard.sock \
	DECODERD_SOCKET=$tmp/dec.sock
cd "$tmp" || exit 1

B=$build
dctl=$B/decoderctl
cctl=$B/centerctl
SEL=00A4040007F0505456534D01

send() { "$B/test/pcsc_send" -r "Virtual PCD 00 00" "$@"; }
center_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/${1:-7443}") 2>/dev/null; }
start_decoder() {
	"$B/decoderd" -f -S "$DECODERD_SOCKET" -m m1 -k dec.key -e ecm \
		-A center/ca.crt -I center/issuer.pub -C localhost:7443 -i 0 -l info \
		-L no "$@" 2>>dec.log &
	started
	DEC_PID=$!
	wait_for 10 test -S "$DECODERD_SOCKET"
}
stop_pid() {
	local pid=${!1:-} rc
	kill "$pid"
	wait "$pid"
	rc=$?
	printf -v "$1" '%s' ''
	return $rc
}
stop_decoder() { stop_pid DEC_PID; }
stop_center() { stop_pid CENTER_PID; }
status_of() { "$dctl" status 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
invoices_of() { "$cctl" invoices --json | grep -o "\"ua\":\"$1\"" | wc -l; }
is() { [ "$(status_of "$1")" = "$2" ]; }
