#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Problems found at start, not later: each daemon says what is wrong on
# standard error and exits 1 where it cannot work (M1's or the key's
# directory missing, the operator's issuer key missing or not one, the
# CA missing while uplinks are scheduled, a vpcd
# host that does not resolve, the center's keys missing), leaving
# nothing behind; where it can work (the CA missing without a schedule,
# the ECM directory missing, pcscd not running) it warns and serves.
# Readiness: -b returns once the daemon serves, and systemd hears
# READY=1 on $NOTIFY_SOCKET from each of the three.  -s sends the log
# to syslog, priorities and all, and none of it to standard error.
# SIGHUP stops no daemon.
. "$(dirname "$0")/../lib/itest.sh" "$@"
. "$root/test/lib/system.sh"

D=$B/decoderd
# run: status in $rc, stderr in $err
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	err=$(cat "$tmp/err")
}
# notify_listen SOCKET OUT: systemd's side of sd_notify, the first
# datagram on SOCKET into OUT (10 s at most); returns once it listens
notify_listen() {
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(10)
print(s.recv(4096).decode())' "$1" >"$2" 2>&1 &
	started
	wait_for 5 test -S "$1"
}
files_in() { (cd "$1" && find . | grep -vx -e ./out -e ./err | sort); }

mkdir -p state ecm
touch ca.crt
"$B/headend" init "$tmp/ops" >/dev/null
cp "$tmp/ops/issuer.pub" issuer.pub
head -c 65 /dev/zero >bad-issuer.pub
before=$(files_in .)

run "$D" -m state/m1 -k state/dec.key -S dec.sock -A ca.crt -e ecm \
    -I no-issuer.pub
check_eq "decoderd, no issuer key: exit 1" 1 "$rc"
check_match "decoderd, no issuer key: names the file and errno" \
    "^decoderd: issuer key no-issuer.pub: No such file or directory" "$err"
check_eq "decoderd, no issuer key: nothing made" "$before" "$(files_in .)"

# Under systemd (standard error the journal, $JOURNAL_STREAM naming it)
# the reason it cannot start carries its priority, <3> (error).
jf=$(mktemp /tmp/ptv-journal.XXXXXX)
JOURNAL_STREAM=$(stat -c %d:%i "$jf") "$D" -m state/m1 \
    -k state/dec.key -S dec.sock -A ca.crt -e ecm -I no-issuer.pub \
    2>>"$jf"
check_match "decoderd under journald: the reason at priority 3" \
    "^<3>decoderd: issuer key no-issuer.pub: No such file or directory" \
    "$(cat "$jf")"
: >"$jf"
JOURNAL_STREAM=$(stat -c %d:%i "$jf") "$B/centerd" -K no-keys \
    2>>"$jf"
check_match "centerd under journald: the reason at priority 3" \
    "^<3>centerd: no-keys/master.key: " "$(cat "$jf")"
rm -f "$jf"

run "$D" -m state/m1 -k state/dec.key -S dec.sock -A ca.crt -e ecm \
    -I bad-issuer.pub
check_eq "decoderd, an issuer key that is none: exit 1" 1 "$rc"
check_match "decoderd, an issuer key that is none: says so" \
    "^decoderd: issuer key bad-issuer.pub: not a P-256 public key" "$err"
check_eq "decoderd, an issuer key that is none: nothing made" "$before" \
    "$(files_in .)"

run "$D" -m nodir/m1 -k state/dec.key -S dec.sock -A ca.crt -I issuer.pub \
    -e ecm
check_eq "decoderd, M1's directory missing: exit 1" 1 "$rc"
check_match "decoderd, M1's directory missing: says which and why" \
    "^decoderd: M1 nodir/m1: its directory nodir: No such file or directory" \
    "$err"
check_eq "decoderd, M1's directory missing: nothing made" "$before" \
    "$(files_in .)"

run "$D" -m state/m1 -k keys/dec.key -S dec.sock -A ca.crt -I issuer.pub \
    -e ecm
check_eq "decoderd, the key's directory missing: exit 1" 1 "$rc"
check_match "decoderd, the key's directory missing: says which" \
    "key file keys/dec.key: its directory keys: No such file" "$err"

run "$D" -m state/m1 -k state/dec.key -S dec.sock -A no-ca.crt \
    -I issuer.pub -e ecm -u 1h
check_eq "decoderd, no CA and uplinks scheduled: exit 1" 1 "$rc"
check_match "decoderd, no CA and uplinks scheduled: names the file and errno" \
    "^decoderd: CA file no-ca.crt: No such file or directory" "$err"
check_eq "decoderd, no CA and uplinks scheduled: nothing made" "$before" \
    "$(files_in .)"

run "$D" -m state/m1 -k state/dec.key -S nodir/dec.sock -A ca.crt \
    -I issuer.pub -e ecm
check_eq "decoderd, the socket's directory missing: exit 1" 1 "$rc"
check_match "decoderd, the socket's directory missing: says which" \
    "^decoderd: control socket nodir/dec.sock: No such file or directory" \
    "$err"
check "decoderd makes no directory outside /run" test ! -e nodir
check_eq "decoderd, the socket's directory missing: nothing made (no key, no lock)" \
    "$before" "$(files_in .)"

# what would fail once the first file is made is found before it
head -c 7 /dev/zero >state/junk.key
mkdir state/m1dir
before=$(files_in .)
run "$D" -m state/m1 -k state/junk.key -S dec.sock -A ca.crt -I issuer.pub \
    -e ecm
check_eq "decoderd, a key file of the wrong size: exit 1" 1 "$rc"
check_match "decoderd, a key file of the wrong size: says which" \
    "^decoderd: key file state/junk.key: " "$err"
check_eq "decoderd, a key file of the wrong size: nothing made" "$before" \
    "$(files_in .)"
run "$D" -m state/m1dir -k state/dec.key -S dec.sock -A ca.crt \
    -I issuer.pub -e ecm
check_eq "decoderd, an M1 that cannot be read: exit 1" 1 "$rc"
check_match "decoderd, an M1 that cannot be read: says which and why" \
    "^decoderd: cannot read M1 state/m1dir: Is a directory; it is left as it is" \
    "$err"
check_eq "decoderd, an M1 that cannot be read: nothing made (no key, no lock)" \
    "$before" "$(files_in .)"
check "and no socket left" test ! -e dec.sock
rm -r state/junk.key state/m1dir

run "$D" -m state/m1 -k state/dec.key -S dec.sock -A ca.crt -I issuer.pub \
    -e ecm -u 1h -C localhost:x
check_eq "decoderd, a bad center: a usage error" 2 "$rc"

# Without a schedule the CA is only needed by decoderctl uplink: a
# warning, and decoderd serves; -b returns once the socket is there.
run "$D" -b -m state/m1 -k state/dec.key -S dec.sock -A no-ca.crt \
    -I issuer.pub -e no-ecm -u 0
check_eq "decoderd -b without a CA or ECM directory: exit 0 once ready" 0 "$rc"
check "decoderd -b: the control socket is there when it returns" \
    test -S dec.sock
check_match "decoderd: warns about the CA" \
    "warning: check_ca: CA file no-ca.crt: No such file or directory" "$err"
check_match "decoderd: warns about the ECM directory" \
    "warning: check_ecm_dir: ECM directory no-ecm: No such file" "$err"
pid=$(pgrep -f -x "$D -b -m state/m1 -k state/dec.key -S dec.sock -A no-ca.crt -I issuer.pub -e no-ecm -u 0" | head -1)
check "decoderd -b: the daemon runs" test -n "$pid"
[ -n "$pid" ] && kill "$pid"
wait_for 5 test ! -S dec.sock

# systemd's readiness protocol: READY=1 on the datagram socket.
if command -v python3 >/dev/null; then
	notify_listen "$tmp/notify" notify.out
	NOTIFY_SOCKET=$tmp/notify "$D" -m state/m1 -k state/dec.key \
	    -S dec.sock -A ca.crt -I issuer.pub -e ecm 2>>dec.log &
	started
	dpid=$!
	wait_for 10 grep -q READY=1 notify.out
	check_match "decoderd tells systemd it is ready" "READY=1" \
	    "$(cat notify.out)"
	check_match "decoderd's status to systemd names M1" "STATUS=decoder .*M1" \
	    "$(cat notify.out)"
	kill -HUP "$dpid"
	sleep 0.3
	check "decoderd ignores SIGHUP" kill -0 "$dpid"
	check "decoderd still answers after SIGHUP" \
	    quietly "$dctl" -S dec.sock status
	kill "$dpid"
	wait "$dpid"
	check_eq "decoderd stops on SIGTERM: exit 0" 0 $?
fi

# -s: the log to syslog (LOG_DAEMON), with the priority, none of it on
# standard error.  /dev/log is a socket of this test's own, on a /dev of
# its own (a tmpfs with null, zero, urandom bound in), in a mount
# namespace of its own.
cat >"$tmp/syslog.sh" <<'EOS'
old=$(mktemp -d "$1/dev.XXXXXX")
mount --rbind /dev "$old" && mount -t tmpfs tmpfs /dev || exit 1
for n in null zero random urandom; do
	: >"/dev/$n" && mount --bind "$old/$n" "/dev/$n" || exit 1
done
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log"); s.settimeout(3)
while True:
    try: print(s.recv(4096).decode(), flush=True)
    except socket.timeout: break' >syslog.out &
for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
"$2" -s -b -m state/m1 -k state/dec.key -S dec.sock -A ca.crt \
    -I issuer.pub -e no-ecm -l info 2>syslog.err
echo $? >syslog.rc
kill "$(cat state/dec.key.lock)"
wait
EOS
if command -v python3 >/dev/null; then
	unshare --mount --propagation private bash "$tmp/syslog.sh" "$tmp" "$D"
	check_eq "decoderd -s -b: starts" 0 "$(cat syslog.rc)"
	check_match "decoderd -s: its log reaches syslog, as a daemon's notice" \
	    "^<29>.* decoderd\[[0-9]+\]: decoder [0-9a-f]{16}: M1 state/m1" \
	    "$(cat syslog.out)"
	check_match "decoderd -s: a warning with its priority" \
	    "^<28>.* decoderd\[[0-9]+\]: check_ecm_dir: ECM directory no-ecm" \
	    "$(cat syslog.out)"
	check_match "decoderd -s -l info: an info line with its priority" \
	    "^<30>.* decoderd\[[0-9]+\]: " "$(cat syslog.out)"
	check_eq "decoderd -s: nothing of it on standard error" "" \
	    "$(cat syslog.err)"
fi

run "$B/vcard" -H no-such-host.invalid -S v.sock
check_eq "vcard, vpcd's host does not resolve: exit 1" 1 "$rc"
check_match "vcard, vpcd's host does not resolve: says so" \
    "no-such-host.invalid" "$err"
check "vcard, vpcd's host does not resolve: no socket left" test ! -e v.sock

# Without an image vcard calls no vpcd, and says so rather than "serving".
run "$B/vcard" -b -S v0.sock -p 35990
check_eq "vcard -b without an image: ready, exit 0" 0 "$rc"
check_match "vcard without an image: says no card, vpcd not called yet" \
    "no card yet: vpcd 127.0.0.1:35990 is called at cardctl insert" "$err"
[ -S v0.sock ] && quietly "$B/cardctl" -S v0.sock status
vc0=$(pgrep -f -x "$B/vcard -b -S v0.sock -p 35990" | head -1)
[ -n "$vc0" ] && kill "$vc0"
wait_for 5 test ! -S v0.sock

run "$B/centerd" -K no-keys
check_eq "centerd, no key directory: exit 1" 1 "$rc"
check_match "centerd, no key directory: names the file" \
    "^centerd: no-keys/master.key: " "$err"
"$B/centerctl" -K ck init >/dev/null
"$B/centerd" -f -K ck -D typo.db -p 7450 2>typo.log &
started
cpid=$!
check "centerd on a database that holds no card (a mistyped --db): warns" \
    wait_for 5 grep -q "^centerd: warning: the database typo.db holds no card" \
    typo.log
kill "$cpid"
wait "$cpid"

# centerd tells systemd it is ready once it listens, and serves on
# through SIGHUP (it has no configuration to reload).
"$B/centerctl" -K "$tmp/center" init >/dev/null
notify_listen "$tmp/notify-c" notify-c.out
NOTIFY_SOCKET=$tmp/notify-c "$B/centerd" -K "$tmp/center" -p 17443 \
    2>centerd.log &
started
cpid=$!
check "centerd listens" wait_for 10 grep -q "listening on" centerd.log
check "centerd tells systemd it is ready" wait_for 10 grep -q READY=1 notify-c.out
# A handshake that fails is logged with OpenSSL's reason.
timeout 10 openssl s_client -tls1_2 -connect 127.0.0.1:17443 </dev/null \
    >/dev/null 2>&1
check "centerd says why a handshake failed (TLS 1.2 offered)" \
    wait_for 5 grep -q "TLS handshake with 127.0.0.1 failed: unsupported protocol" \
    centerd.log
kill -HUP "$cpid"
sleep 0.3
check "centerd ignores SIGHUP" kill -0 "$cpid"
kill "$cpid"
wait "$cpid"
check_eq "centerd stops on SIGTERM: exit 0" 0 $?

# pcscd not running: both warn at start and serve (vcard with a card to
# serve: without one it does not call vpcd).
pcscd_stop
"$D" -m state/m1 -k state/dec.key -S dec.sock -A ca.crt -I issuer.pub \
    -e ecm 2>nopcscd.log &
started
dpid=$!
check "decoderd without pcscd: serves its socket" wait_for 10 test -S dec.sock
check_match "decoderd without pcscd: warns at start" \
    "warning: check_pcscd: pcscd does not answer .*is it running" \
    "$(cat nopcscd.log)"
kill "$dpid"
"$B/cardctl" new "$tmp/c.img" >/dev/null
notify_listen "$tmp/notify-v" notify-v.out
NOTIFY_SOCKET=$tmp/notify-v "$B/vcard" -S v.sock "$tmp/c.img" 2>vcard.log &
started
vpid=$!
check "vcard tells systemd it is ready" wait_for 10 grep -q READY=1 notify-v.out
check "vcard without pcscd: serves its socket" wait_for 10 test -S v.sock
check "vcard without pcscd: warns" wait_for 10 grep -q "does not answer" vcard.log
kill -HUP "$vpid"
sleep 0.3
check "vcard ignores SIGHUP" kill -0 "$vpid"
check "vcard still answers after SIGHUP" \
    quietly "$B/cardctl" -S v.sock status
kill "$vpid"
wait "$vpid"
check_eq "vcard stops on SIGTERM: exit 0" 0 $?
tap_done
