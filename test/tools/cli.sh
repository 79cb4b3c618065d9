#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The command lines without daemons: headend, cardctl and centerctl on a
# key directory and card images in a temporary directory, cardctl and
# decoderctl against no daemon.  Every refusal is checked for its exit
# status, for a message naming the command, and for having changed
# nothing; `headend open` for the card's own block, another card's and a
# tampered one (the block comes from card_apdu, the card run in process).
set -u
root=${PTV_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${PTV_BUILD:-$root/build}
. "$root/test/lib/tap.sh"

tmp=$(mktemp -d /tmp/ptv-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
k=$tmp/keys
select_sm=00a4040007f0505456534d0100
uplink_blocks=80420000000010000102030405060708090A0B0C0D0E0F0000

# run: status in $rc, stdout in $out, stderr in $err
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

sums() {
	(cd "$1" && sha256sum -- * 2>/dev/null)
}

# refused "what" STATUS REGEX command...: the status, the message, no stdout
refused() {
	local what=$1 status=$2 regex=$3
	shift 3
	run "$@"
	check_eq "$what: exit status" "$status" "$rc"
	check_match "$what: names the command and the problem" "$regex" "$err"
	check_eq "$what: prints nothing on stdout" "" "$out"
}

run "$build/headend" init "$k"
check_eq "headend init makes a key directory" 0 "$rc"
before=$(sums "$k")
refused "headend init over existing keys" 1 "exists: refusing" \
    "$build/headend" init "$k"
check_eq "the keys are left as they were" "$before" "$(sums "$k")"

refused "headend ecm with a channel out of range" 2 \
    "^headend ecm: --channel wants a whole number from 0 to 65535: 70000" \
    "$build/headend" ecm "$k" --channel 70000 --event 1 --time 1
refused "headend ecm with a malformed control word" 2 \
    "^headend ecm: --cw wants 64 hex digits: zz" \
    "$build/headend" ecm "$k" --channel 7 --event 1 --time 1 --cw zz
run "$build/headend" ecm "$k" --channel 7 --event 1 --time 1 --sub --count 3
check_eq "headend ecm --count 3 prints three ECMs" "0 3" \
    "$rc $(printf '%s\n' "$out" | grep -c '^[0-9A-F]\{160\}$')"

refused "headend cmd with a short UA" 2 "^headend cmd: --ua wants 16 hex digits: 11" \
    "$build/headend" cmd "$k" --ua 11 --counter 1 unlock
refused "headend cmd with a bad expiry" 2 \
    "^headend cmd: EXPIRY wants a whole number from 0 to 4294967295: x" \
    "$build/headend" cmd "$k" --ua 1111111111111111 --counter 1 grant 7 x
run "$build/headend" cmd "$k" --ua 1111111111111111 --counter 1 grant 7 99
check_match "headend cmd signs a grant" "^0 [0-9A-F]{172}$" "$rc $out"

img=$tmp/sc1.img
refused "cardctl personalize with a bad credit" 2 \
    "^cardctl personalize: --credit wants a whole number from 0 to 4294967295: 1x" \
    "$build/cardctl" personalize "$img" --keys "$k" --credit 1x
refused "cardctl personalize with a right padded past its number" 2 \
    "^cardctl personalize: --right's expiry wants a whole number" \
    "$build/cardctl" personalize "$img" --keys "$k" \
    --right 000000000000000000000007:100000junk
check "a refused personalization writes no image and no record" \
    test ! -e "$img" -a ! -e "$img.reg"
run "$build/cardctl" personalize "$img" --keys "$k" --credit 500 \
    --ua 1111111111111111 --right 7:2000000000
check_eq "cardctl personalize makes SC1" 0 "$rc"
run "$build/cardctl" show "$img" --json
check_match "cardctl show: SC1's credit, lock and right" \
    '"credit":500.*"rights":\[\{"channel":7,"expiry":2000000000,"expiry_iso":"2033-05-18T03:33:20Z"\}\]' "$out"
check_json "cardctl show --json: the schema" "$out" ua=string \
    serial=string security_module=boolean locked=boolean credit=integer \
    clock=null clock_iso=null rights.[].expiry_iso=string \
    purchases=array outcomes=array certificate=string
run "$build/cardctl" show "$img"
check_match "cardctl show: the right's expiry as a date" \
    "right +channel 7 until 2033-05-18T03:33:20Z" "$out"
run "$build/cardctl" personalize "$tmp/sc2.img" --keys "$k" \
    --ua 2222222222222222
check_eq "cardctl personalize makes SC2" 0 "$rc"

run "$build/test/card_apdu" "$img" "$select_sm" "$uplink_blocks"
block=$(printf '%s\n' "$out" | sed -n '2s/9000$//p')
check_match "SC1 answers UPLINK BLOCKS with a block" '^0202' "$block"
run "$build/headend" open "$k" "$img.reg" "$block"
check_match "headend open shows SC1's M2" \
    "^block uplink ua 1111111111111111 seq [0-9]+: credit 500, locked" "$out"
run "$build/headend" open "$k" "$img.reg" --json - <<<"$block"
check_match "headend open --json reads the block from stdin" \
    '^\{"kind":"uplink","ua":"1111111111111111",.*"credit":500,"locked":true' \
    "$out"
check_json "headend open --json: the schema" "$out" kind=string ua=string \
    seq=integer challenge=string locked=boolean credit=integer \
    clock=integer\|null rights.[].expiry=integer purchases=array \
    outcomes=array
refused "headend open with another card's record" 1 \
    "^headend open: block of another card" \
    "$build/headend" open "$k" "$tmp/sc2.img.reg" "$block"
tampered=${block:0:100}$(printf '%s' "${block:100:2}" | tr '0-9a-f' '1-9a-f0')${block:102}
refused "headend open of a tampered block" 1 "^headend open: signature: " \
    "$build/headend" open "$k" "$img.reg" "$tampered"
refused "headend open of no hex" 1 "^headend open: the block is not hex" \
    "$build/headend" open "$k" "$img.reg" zz

refused "cardctl status with no vcard" 1 \
    "^cardctl status: vcard is not running \(no daemon at $tmp/none\)" \
    "$build/cardctl" -S "$tmp/none" status
refused "decoderctl status with no decoderd" 1 \
    "^decoderctl status: decoderd is not running \(no daemon at $tmp/none\)" \
    "$build/decoderctl" -S "$tmp/none" status
refused "decoderctl tune checks its channel before connecting" 2 \
    "^decoderctl tune: CHANNEL wants a whole number from 0 to 65535: 70000" \
    "$build/decoderctl" -S "$tmp/none" tune 70000
refused "decoderctl uplink checks --cut-after" 2 \
    "^decoderctl uplink: --cut-after wants a whole number from 0 to 1000: -1" \
    "$build/decoderctl" -S "$tmp/none" uplink --cut-after -1

refused "centerctl reload with a short UA" 2 \
    "^centerctl reload: UA wants 16 hex digits: 1111" \
    "$build/centerctl" -K "$k" reload 1111 5
refused "centerctl grant with a channel out of range" 2 \
    "^centerctl grant: CHANNEL wants a whole number from 0 to 65535: 65536" \
    "$build/centerctl" -K "$k" grant 1111111111111111 65536 99
check "refused commands leave no database behind" test ! -e "$k/center.db"
refused "centerctl ecm passes its errors on as its own" 2 \
    "^centerctl ecm: --channel wants a whole number from 0 to 65535: x" \
    "$build/centerctl" -K "$k" ecm --channel x
# --- --json: one schema, refused where a command has none ----------------
refused "cardctl new --json" 2 \
    "^cardctl new: --json: this command has no JSON output" \
    "$build/cardctl" new "$tmp/x.img" --json
check "a refused cardctl new writes no image" test ! -e "$tmp/x.img"
refused "headend ecm --json" 2 \
    "^headend ecm: --json: this command has no JSON output" \
    "$build/headend" ecm "$k" --channel 7 --event 1 --time 1 --json
refused "decoderctl export --json" 2 \
    "^decoderctl export: --json: this command has no JSON output" \
    "$build/decoderctl" -S "$tmp/none" export --json
refused "centerctl reload --json" 2 \
    "^centerctl reload: --json: this command has no JSON output" \
    "$build/centerctl" -K "$k" reload 1111111111111111 5 --json
refused "centerctl commands --cancel --json" 2 \
    "^centerctl commands: --json: this command has no JSON output" \
    "$build/centerctl" -K "$k" commands 1111111111111111 --cancel 1 --json
check "refused --json leaves no database behind" test ! -e "$k/center.db"

# jsoncheck itself refuses what the schema forbids
jc=$build/test/jsoncheck
check "jsoncheck: a duplicate key fails" \
    bash -c "! printf '{\"a\":1,\"a\":2}' | '$jc' 2>/dev/null"
check "jsoncheck: invalid UTF-8 fails" \
    bash -c "! printf '{\"a\":\"\\xff\"}' | '$jc' 2>/dev/null"
check "jsoncheck: a time whose date disagrees fails" \
    bash -c "! printf '{\"t_at\":1,\"t_at_iso\":\"1970-01-01T00:00:02Z\"}' | '$jc' 2>/dev/null"
check "jsoncheck: a time without its date fails" \
    bash -c "! printf '{\"made_at\":1}' | '$jc' 2>/dev/null"
check "jsoncheck: a lock that is not a boolean fails" \
    bash -c "! printf '{\"locked\":\"yes\"}' | '$jc' 2>/dev/null"
check "jsoncheck: a type not as asked fails" \
    bash -c "! printf '{\"a\":[{\"b\":1}]}' | '$jc' a.[].b=string 2>/dev/null"
check "jsoncheck: trailing text fails" \
    bash -c "! printf '{} x' | '$jc' 2>/dev/null"
check "jsoncheck: a good value passes" \
    bash -c "printf '{\"t_at\":1,\"t_at_iso\":\"1970-01-01T00:00:01Z\",\"a\":[{\"b\":1}]}' | '$jc' a.[].b=integer"

# centerctl's reports, on a database of SC1 and SC2 with commands queued
run "$build/centerctl" -K "$k" register "$img.reg" "$tmp/sc2.img.reg"
check_eq "centerctl register SC1 and SC2" 0 "$rc"
"$build/centerctl" -K "$k" reload 1111111111111111 500
"$build/centerctl" -K "$k" grant 1111111111111111 7 2000000000
run "$build/centerctl" -K "$k" cards --json
check_json "centerctl cards --json: the schema" "$out" .=array \
    [].ua=string [].status=string [].locked=boolean\|null \
    [].registered_at=integer [].registered_at_iso=string \
    [].seen_at=null [].revoked=boolean
run "$build/centerctl" -K "$k" commands 1111111111111111 --json
check_json "centerctl commands --json: the schema" "$out" [].counter=integer \
    [].state=string [].sw=null [].created_at=integer \
    [].params=object
check_match "the grant's expiry is a time too" \
    '"params":\{"channel":7,"expiry":2000000000,"expiry_iso":"2033-05-18T03:33:20Z"\}' \
    "$out"
run "$build/centerctl" -K "$k" commands 1111111111111111
check_match "centerctl commands: dates, not Unix seconds" \
    "queued .* [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z" "$out"
run "$build/centerctl" -K "$k" card 1111111111111111 --json
check_json "centerctl card --json: the schema" "$out" card.ua=string \
    card.locked=boolean\|null data=null sessions=array blocks=array \
    commands.[].type=string invoices=array flags=array
run "$build/centerctl" -K "$k" invoices --json
check_json "centerctl invoices --json: an empty array" "$out" .=array

# --- the database: made only by register, 0600, reports read-only ---------
check_eq "register made the database 0600" 600 "$(stat -c %a "$k/center.db")"
run "$build/centerctl" -K "$k" rejected --json
check_json "centerctl rejected --json: none yet" "$out" total=integer \
    reasons.[*]=object blocks.[*]=object
check_match "none yet: zero, empty lists" \
    '^\{"total":0,"keep":1000,"reasons":\[\],"kept":0,"blocks":\[\]\}$' "$out"
for c in cards invoices flags rejected "card 1111111111111111" \
    "commands 1111111111111111"; do
	# shellcheck disable=SC2086
	refused "centerctl $c on a mistyped database" 1 \
	    "^centerctl ${c%% *}: no database $tmp/typo.db \(centerctl register makes it" \
	    "$build/centerctl" -K "$k" -d "$tmp/typo.db" $c
done
refused "centerctl reload on a mistyped database" 1 \
    "^centerctl reload: no database $tmp/typo.db" \
    "$build/centerctl" -K "$k" -d "$tmp/typo.db" reload 1111111111111111 5
check "no command made the mistyped database" \
    bash -c "! ls '$tmp'/typo.db* 2>/dev/null"
before=$(sha256sum <"$k/center.db")
run "$build/centerctl" -K "$k" cards
check_eq "a report leaves the database as it was" "0 $before" \
    "$rc $(sha256sum <"$k/center.db")"
cp "$k/center.db" "$tmp/old.db"
sqlite3 "$tmp/old.db" 'PRAGMA user_version = 3'
refused "a report on a database of another schema version" 1 \
    "^centerctl cards: the database $tmp/old.db is of another schema version" \
    "$build/centerctl" -K "$k" -d "$tmp/old.db" cards
check_eq "and it did not migrate it" 3 \
    "$(sqlite3 "$tmp/old.db" 'PRAGMA user_version')"
sqlite3 "$tmp/old.db" 'PRAGMA user_version = 99'
refused "a change on a database newer than this centerctl" 1 \
    "^centerctl reload: the database $tmp/old.db is of another schema version than this centerctl's \\(a newer one: use the centerctl of the centerd that wrote it\\)" \
    "$build/centerctl" -K "$k" -d "$tmp/old.db" reload 1111111111111111 5
check_eq "and it did not touch it" 99 \
    "$(sqlite3 "$tmp/old.db" 'PRAGMA user_version')"
chmod 0644 "$k/center.db"
run "$build/centerctl" -K "$k" reload 1111111111111111 1
check_eq "a change makes a looser database 0600 again" "0 600" \
    "$rc $(stat -c %a "$k/center.db")"

# --- the CA key kept, the server certificate renewed ------------------------
c=$tmp/center
run "$build/centerctl" -K "$c" init --name first.example
check_eq "centerctl init" 0 "$rc"
check_eq "init keeps the CA key, 0600" 600 "$(stat -c %a "$c/ca.key")"
serial() { openssl x509 -in "$c/server.crt" -noout -serial; }
old_serial=$(serial)
run "$build/centerctl" -K "$c" cert --name second.example
check_eq "centerctl cert: quiet on success" "0 " "$rc $out"
check_match "the new certificate verifies against the kept CA" \
    "server.crt: OK" "$(openssl verify -CAfile "$c/ca.crt" "$c/server.crt")"
check_match "it names the new host and localhost" \
    "DNS:localhost.*DNS:second.example" \
    "$(openssl x509 -in "$c/server.crt" -noout -ext subjectAltName)"
check "its serial is new" test "$(serial)" != "$old_serial"
check "the new key is the certificate's" bash -c \
    "[ \"\$(openssl pkey -in '$c/server.key' -pubout)\" = \"\$(openssl x509 -in '$c/server.crt' -noout -pubkey)\" ]"
check_eq "the server key is 0600" 600 "$(stat -c %a "$c/server.key")"
before=$(sums "$c")
refused "centerctl cert with a bad host name" 2 \
    "^centerctl cert: --name wants a host name: a/b" \
    "$build/centerctl" -K "$c" cert --name a/b
refused "centerctl cert --json" 2 \
    "^centerctl cert: --json: this command has no JSON output" \
    "$build/centerctl" -K "$c" cert --json
mv "$c/ca.key" "$tmp/ca.key"
refused "centerctl cert without the CA key" 1 \
    "^centerctl cert: $c/ca.key: No such file or directory" \
    "$build/centerctl" -K "$c" cert
"$build/centerctl" -K "$tmp/k3" init
cp "$tmp/k3/ca.key" "$c/ca.key"
refused "centerctl cert with another CA's key" 1 \
    "^centerctl cert: $c/ca.key is not the key of $c/ca.crt" \
    "$build/centerctl" -K "$c" cert
mv "$tmp/ca.key" "$c/ca.key"
check_eq "refused renewals changed nothing" "$before" "$(sums "$c")"

# --- a database URL's password is never shown -------------------------------
# not in centerctl's messages nor centerd's, not in libpq's (a refused
# connection; a malformed URL, which libpq quotes; a bad escape, which it
# names); the database named with the password as ***
for url in 'postgresql://ptv:secret@127.0.0.1:1/ptv' \
    'postgresql://ptv:secret@[::1/ptv' \
    'postgresql://ptv@127.0.0.1:1/ptv?sslmode=disable&password=secret' \
    'postgresql://ptv:sec%zzret@127.0.0.1:1/ptv'; do
	for cmd in cards "card 1111111111111111" "reload 1111111111111111 5"; do
		# shellcheck disable=SC2086
		run "$build/centerctl" -K "$tmp/k3" -D "$url" $cmd
		check_eq "centerctl ${cmd%% *} on $url: exit 1" 1 "$rc"
		check_match "it names the database, the password hidden" \
		    "^centerctl ${cmd%% *}: cannot open the database postgresql://ptv(:\*\*\*@|@.*password=\*\*\*)" \
		    "$err"
		check_eq "and shows no part of the password" "" \
		    "$(printf '%s\n%s' "$out" "$err" | grep -o 'secret\|sec%\|zzret')"
	done
	run "$build/centerd" -f -K "$tmp/k3" -D "$url" -p 17443
	check_eq "centerd on $url: exit 1" 1 "$rc"
	check_match "it names the database, the password hidden" \
	    "cannot open database postgresql://ptv(:\*\*\*@|@.*password=\*\*\*)" \
	    "$err"
	check_eq "and shows no part of the password" "" \
	    "$(printf '%s\n%s' "$out" "$err" | grep -o 'secret\|sec%\|zzret')"
done
# masked on the command line while centerctl runs: a "server" that takes
# the connection and never answers holds centerctl in libpq
mkdir "$tmp/pgsock"
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
c = s.accept(); open(sys.argv[2], "w").close(); time.sleep(20)' \
    "$tmp/pgsock/.s.PGSQL.5432" "$tmp/pgsock/taken" &
mute=$!
for i in $(seq 50); do [ -S "$tmp/pgsock/.s.PGSQL.5432" ] && break; sleep 0.1; done
"$build/centerctl" -K "$tmp/k3" -D "postgresql://ptv:secret@/ptv?host=$tmp/pgsock" \
    cards >/dev/null 2>&1 &
held=$!
# once its connection is taken, centerctl has read its arguments
for i in $(seq 100); do [ -e "$tmp/pgsock/taken" ] && break; sleep 0.1; done
check_match "centerctl's command line shows the URL with the password masked" \
    "-D postgresql://ptv:\*\*\*\*\*\*@/ptv" "$(tr '\0' ' ' </proc/$held/cmdline)"
kill "$held" "$mute" 2>/dev/null
wait "$held" "$mute" 2>/dev/null
# masked before anything that may wait: a program whose help (asked for
# before -D) goes into a full pipe waits in its write; its command line
# then, however the option is spelt
# shellcheck disable=SC2016
blocked_cmdline() {
	python3 -c 'import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)
try:
    while True:
        os.write(w, b"x" * 4096)
except BlockingIOError:
    pass
fcntl.fcntl(w, fcntl.F_SETFL, 0)
p = subprocess.Popen(sys.argv[1:], stdout=w, stderr=w)
for i in range(100):
    try:
        if "pipe_write" in open("/proc/%d/wchan" % p.pid).read():
            break
    except OSError:
        pass
    time.sleep(0.05)
else:
    p.kill()
    sys.exit("not held in its write")
print(open("/proc/%d/cmdline" % p.pid, "rb").read().replace(b"\0", b" ").decode())
p.kill()
p.wait()' "$@"
}
url='postgresql://ptv:secret@h/ptv?password=secret'
for spelt in "-D $url" "-D$url" "--db $url" "--database=$url" "-d $url"; do
	# shellcheck disable=SC2086
	line=$(blocked_cmdline "$build/centerctl" --help -K "$tmp/k3" $spelt cards)
	check_match "centerctl --help ... $spelt, held writing: its password masked" \
	    "^[^ ]*centerctl --help -K [^ ]* -?-?[a-zD]*[ =]?postgresql://ptv:\*{6}@h/ptv\?password=\*{6} cards \$" \
	    "$line"
done
for spelt in "-D $url" "-D$url" "--db $url" "--database=$url" "--datab $url" \
    "-fD $url" "-qD$url" "-fqsD$url"; do
	# shellcheck disable=SC2086
	line=$(blocked_cmdline "$build/centerd" --help -K "$tmp/k3" $spelt)
	check_match "centerd --help ... $spelt, held writing: its password masked" \
	    "^[^ ]*centerd --help -K [^ ]* -?-?[a-zD]*[ =]?postgresql://ptv:\*{6}@h/ptv\?password=\*{6} \$" \
	    "$line"
done
# -K's value "--": getopt goes on to -D; after "--": not an option, still
# not shown
for spelt in "-K -- -D $url" "-- -D $url"; do
	# shellcheck disable=SC2086
	line=$(blocked_cmdline "$build/centerd" --help $spelt)
	check_match "centerd --help $spelt, held writing: its password masked" \
	    "^[^ ]*centerd --help .*postgresql://ptv:\*{6}@h/ptv\?password=\*{6} \$" \
	    "$line"
done
# a spelling centerctl does not take: the usage error quotes it masked
run "$build/centerctl" -K "$tmp/k3" "--db=$url" cards
check_eq "centerctl --db=URL: a usage error (exit 2)" 2 "$rc"
check_eq "and its message shows no password" "" \
    "$(printf '%s\n%s' "$out" "$err" | grep -o secret)"
# PostgreSQL's scheme misspelt (in capitals, one slash): refused, no SQLite
# file made of that name, the error naming it shows no password either
for bad in 'POSTGRESQL://ptv:secret@h/ptv' 'postgresql:/ptv:secret@h/ptv'; do
	run "$build/centerd" -f -K "$tmp/k3" -D "$bad"
	check_eq "centerd -D ${bad%%:*}:...: it cannot open it (exit 1)" 1 "$rc"
	check_match "and it says why" "not a PostgreSQL URL" "$err"
	check_eq "and its messages show no password" "" \
	    "$(printf '%s\n%s' "$out" "$err" | grep -o secret)"
done
run "$build/centerctl" -K "$c" cert --name 127.0.0.2
check_match "an address for --name is an IP name, not a DNS one" \
    "IP Address:127.0.0.2" \
    "$(openssl x509 -in "$c/server.crt" -noout -ext subjectAltName)"
check "two inits' CAs have subjects of their own" test \
    "$(openssl x509 -in "$c/ca.crt" -noout -subject)" != \
    "$(openssl x509 -in "$tmp/k3/ca.crt" -noout -subject)"
check_match "a certificate checked against another init's CA: its issuer unknown" \
    "unable to get local issuer certificate" \
    "$(openssl verify -CAfile "$tmp/k3/ca.crt" "$c/server.crt" 2>&1)"

# --- a database the user may not read: the cause, not "input/output error"
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
	refused "centerctl cards as another user" 1 \
	    "^centerctl cards: cannot open the database $k/center.db: Permission denied$" \
	    runuser -u nobody -- "$build/centerctl" -K "$k" cards
fi

# --- register takes any number of files (the README's cards/*.reg) --------
mkdir "$tmp/many"
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$build/cardctl" personalize "$tmp/many/c$i.img" --keys "$k" \
	    --ua "$(printf '22222222222222%02d' "$i")" >/dev/null
done
run "$build/centerctl" -K "$k" -d "$tmp/many.db" register "$tmp"/many/*.reg
check_eq "centerctl register with ten files: all registered" "0 10" \
    "$rc $("$build/centerctl" -K "$k" -d "$tmp/many.db" cards | grep -c '^2222')"

# --- standard output cut, or full -------------------------------------------
check_cut "centerctl cards" "$build/centerctl" -K "$k" cards
check_cut "centerctl cards --json" "$build/centerctl" -K "$k" cards --json
check_cut "centerctl commands" "$build/centerctl" -K "$k" commands \
    1111111111111111
check_cut "centerctl card --json" "$build/centerctl" -K "$k" card \
    1111111111111111 --json
check_cut "centerctl rejected" "$build/centerctl" -K "$k" rejected
check_cut "cardctl show" "$build/cardctl" show "$img"
check_cut "headend ecm" "$build/headend" ecm "$k" --channel 7 --event 1 \
    --time 1 --sub --count 50
# centerctl emm: its line is what makes the queued command real, so even a
# reader that left is said, and the command cancelled again
d=$(mktemp -d)
mkfifo "$d/fifo"
exec 8<>"$d/fifo"
exec 9>"$d/fifo"
exec 8<&-
"$build/centerctl" -K "$k" emm 1111111111111111 reload 7 >&9 2>"$tmp/err"
check_eq "centerctl emm, its reader gone: exit 1" 1 "$?"
exec 9>&-
rm -rf "$d"
check_match "saying so, and that the command was cancelled again" \
    "^centerctl emm: standard output: Broken pipe; broadcast command [0-9]+ cancelled again$" \
    "$(cat "$tmp/err")"
run "$build/centerctl" -K "$k" commands 1111111111111111 --json
check_match "the broadcast reload is cancelled" \
    '"path":"broadcast","counter":[0-9]+,"type":"reload","params":\{"amount":7\},"state":"cancelled"' \
    "$out"
for t in cardctl decoderctl centerctl headend; do
	check_cut "$t --help" "$build/$t" --help
	check_cut "$t --version" "$build/$t" --version
done
if [ -w /dev/full ]; then
	full() { # full WHO COMMAND...: exit 1, one line naming WHO and ENOSPC
		local who=$1
		shift
		"$@" >/dev/full 2>"$tmp/err"
		check_eq "$who (${*: -1}), its output full: exit 1, said once" \
			"1 $who: standard output: No space left on device" \
			"$? $(cat "$tmp/err")"
	}
	full "centerctl cards" "$build/centerctl" -K "$k" cards
	full "centerctl cards" "$build/centerctl" -K "$k" cards --json
	full "centerctl card" "$build/centerctl" -K "$k" card 1111111111111111
	full "cardctl show" "$build/cardctl" show "$img" --json
	full "headend ecm" "$build/headend" ecm "$k" --channel 7 --event 1 \
	    --time 1 --sub --count 3
	full "decoderctl" "$build/decoderctl" --help
	full "headend cmd" "$build/headend" cmd "$k" --ua 1111111111111111 \
	    --counter 1 unlock
	full "centerctl ecm" "$build/centerctl" -K "$k" ecm --channel 7 \
	    --event 1 --time 1 --sub
fi
tap_done
