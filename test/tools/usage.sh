#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The seven programs' command lines behave like Unix tools: --help (and
# -h) prints the usage on standard output and exits 0; --version prints
# "PROG (ptv) VERSION" and exits 0, 1 when it cannot be written; a usage
# error (an unknown option, a missing value, a stray word, no command, an
# unknown command, a command with the wrong arguments) exits 2 with one
# line on standard error naming the program, the command and what was
# wrong, nothing on standard output, and changes nothing.  The daemons'
# usage lists every log level by name.  No daemon or pcscd is needed:
# every case ends before anything is opened.
set -u
root=${PTV_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${PTV_BUILD:-$root/build}
. "$root/test/lib/tap.sh"

tmp=$(mktemp -d /tmp/ptv-usage.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/cwd"
cd "$tmp/cwd" || exit 1

# run: status in $rc, stdout in $out, stderr in $err; and what the run
# left in the working directory, in $left
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
	left=$(ls -A)
}

# usage_error WHAT REGEX command...: exit 2, one line matching REGEX on
# stderr, nothing on stdout, nothing made
usage_error() {
	local what=$1 regex=$2
	shift 2
	run "$@"
	check_eq "$what: exit 2" 2 "$rc"
	check_eq "$what: one line on stderr" 1 "$(printf '%s\n' "$err" | wc -l)"
	check_match "$what: says what was wrong" "$regex" "$err"
	check_eq "$what: nothing on stdout, nothing made" "" "$out$left"
}

for p in cardctl headend decoderctl centerctl vcard decoderd centerd; do
	for h in --help -h; do
		run "$build/$p" $h
		check_eq "$p $h: exit 0" 0 "$rc"
		check_match "$p $h: the usage on stdout" "^usage: $p " "$out"
		check_eq "$p $h: nothing on stderr" "" "$err"
	done
	run "$build/$p" --version
	check_match "$p --version: its name and version, exit 0" \
	    "^0 $p \(ptv\) [0-9]+\.[0-9]+" "$rc $out"
	"$build/$p" --version >/dev/full 2>/dev/null
	check_eq "$p --version into a full disk: exit 1" 1 $?
	usage_error "$p --bogus" "^$p: .*--bogus" "$build/$p" --bogus
done

# The tools: no command, an unknown one, a command's wrong arguments
# (with its synopsis), an option without its value.
for p in cardctl headend decoderctl centerctl; do
	usage_error "$p without a command" "^$p: no command given" "$build/$p"
	usage_error "$p frob" "^$p frob: unknown command" "$build/$p" frob
done
usage_error "cardctl new without a file" \
    "^cardctl new: wrong number of arguments \(usage: cardctl new FILE" \
    "$build/cardctl" new
usage_error "cardctl personalize without --keys" \
    "^cardctl personalize: wants --keys DIR \(usage: cardctl personalize" \
    "$build/cardctl" personalize sc.img
usage_error "cardctl -S without its value" "^cardctl: .* -S " \
    "$build/cardctl" -S
usage_error "decoderctl tune without a channel" \
    "^decoderctl tune: wrong number of arguments \(usage: decoderctl tune CHANNEL" \
    "$build/decoderctl" tune
usage_error "decoderctl status with a word too many" \
    "^decoderctl status: wrong number of arguments" \
    "$build/decoderctl" status x
usage_error "centerctl cards with a word too many" \
    "^centerctl cards: wrong number of arguments \(usage: centerctl cards" \
    "$build/centerctl" -K "$tmp/cwd" cards x
usage_error "centerctl card without a UA" \
    "^centerctl card: wrong number of arguments \(usage: centerctl card UA" \
    "$build/centerctl" -K "$tmp/cwd" card
usage_error "centerctl emm without a type" "^centerctl emm: wrong number" \
    "$build/centerctl" -K "$tmp/cwd" emm 1111111111111111
usage_error "centerctl -K without its value" "^centerctl cards: .*: -K " \
    "$build/centerctl" cards -K
run "$build/centerctl" --keys "$tmp/none" --database "$tmp/none.db" cards
check_match "centerctl --keys, --database: taken as -K, -D (no such database)" \
    "^1 .*$tmp/none.db" "$rc $err"
usage_error "headend ecm without a directory" \
    "^headend ecm: wrong number of arguments \(usage: headend ecm DIR" \
    "$build/headend" ecm
usage_error "headend cmd of an unknown type" \
    "^headend cmd: unknown command type \(usage: headend cmd DIR" \
    "$build/headend" cmd "$tmp/cwd" --ua 1111111111111111 --counter 1 frob
usage_error "headend init without a directory" \
    "^headend init: wrong number of arguments \(usage: headend init DIR\)" \
    "$build/headend" init

# The daemons: a stray word, an option without its value, a bad value.
usage_error "decoderd with a stray word" "^decoderd: .*: extra " \
    "$build/decoderd" extra
usage_error "decoderd -m without its value" "^decoderd: option -m wants a value" \
    "$build/decoderd" -m
usage_error "decoderd -i with a bad time" "^decoderd: bad value for -i .*: xyz" \
    "$build/decoderd" -i xyz
usage_error "decoderd -l with a level it has not" "^decoderd: .*loud" \
    "$build/decoderd" -l loud
usage_error "centerd without -K" "^centerd: -K DIR.* is required" \
    "$build/centerd"
usage_error "centerd with a stray word" "^centerd: .*: extra " \
    "$build/centerd" -K "$tmp/cwd" extra
usage_error "vcard with two images" "^vcard: one card image at most" \
    "$build/vcard" a.img b.img
# decoderd's configuration file (read before --help): a bad line names
# the file, the line, the key and what the key wants.
conf() { printf '%s\n' "$@" >"$tmp/d.conf"; }
conf "foo = 1"
usage_error "decoderd, an unknown key" \
    "^decoderd: $tmp/d.conf line 1: unknown configuration key \"foo\"$" \
    "$build/decoderd" -c "$tmp/d.conf" --help
conf "# a comment" "export_interval = 5 min"
usage_error "decoderd, a time with a space" \
    "^decoderd: $tmp/d.conf line 2: bad value for export_interval: \"5 min\" \(a time" \
    "$build/decoderd" -c "$tmp/d.conf" --help
conf "first_contact = maybe"
usage_error "decoderd, neither yes nor no" \
    "line 1: bad value for first_contact: \"maybe\" \(yes or no\)" \
    "$build/decoderd" -c "$tmp/d.conf" --help
conf "log_level = loud"
usage_error "decoderd, a level it has not" \
    "line 1: bad value for log_level: \"loud\" \(error, warning, notice" \
    "$build/decoderd" -c "$tmp/d.conf" --help
conf "center = localhost:99999"
usage_error "decoderd, a port out of range" \
    "line 1: bad value for center: \"localhost:99999\" \(.*ports 1 to 65535" \
    "$build/decoderd" -c "$tmp/d.conf" --help
conf "justaword"
usage_error "decoderd, a line without =" \
    "line 1: not a \"key = value\" line" \
    "$build/decoderd" -c "$tmp/d.conf" --help
usage_error "decoderd, no such file" \
    "^decoderd: $tmp/no.conf: No such file or directory" \
    "$build/decoderd" -c "$tmp/no.conf" --help
usage_error "decoderd -C, a port out of range" \
    "^decoderd: bad value for -C .*: localhost:0: wants .*ports 1 to 65535" \
    "$build/decoderd" -C localhost:0
conf "uplink_deadline = 1min" "first_contact_max = 2min"
run "$build/decoderd" -c "$tmp/d.conf" -t 90s -R 1h --help
check_eq "decoderd: the deadlines take units too" 0 "$rc"

for p in vcard decoderd centerd; do
	check_match "$p --help names every log level" \
	    "error, warning, notice, info or debug" "$("$build/$p" --help)"
done

# ingestbench's THREADS list: each count read by proto's parser, the one
# that is not a count named (before anything is made in DIR); ARG|NAMED
for c in 'x|x' '1,x|x' '0|0' '17|17' '|' '1,,2|' '2,|' '-1|-1' '+2|\+2' \
    ' 2| 2' '0x2|0x2' '2e0|2e0' '1,2 |2 '; do
	a=${c%%|*} w=${c#*|}
	usage_error "ingestbench THREADS \"$a\"" \
	    "^ingestbench: THREADS: \"$w\" is not a count from 1 to 16\$" \
	    "$build/bench/ingestbench" . 1 "$a"
done
usage_error "ingestbench THREADS, 9 counts" \
    "^ingestbench: THREADS: more than 8 counts\$" \
    "$build/bench/ingestbench" . 1 1,2,3,4,5,6,7,8,1
tap_done
