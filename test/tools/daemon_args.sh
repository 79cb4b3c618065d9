#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The daemons' command lines (proto/daemon.h), without starting one: a
# bad value, an unknown option or a missing value is a usage error
# (exit 2, one line on stderr naming the daemon, the option and the
# value, nothing on stdout); --help and --version exit 0 on stdout.
set -u
root=${PTV_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${PTV_BUILD:-$root/build}
. "$root/test/lib/tap.sh"

tmp=$(mktemp -d /tmp/ptv-dargs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# usage_error DAEMON "MESSAGE" ARGS...: exit 2, exactly that line.
usage_error() {
	local d=$1 msg=$2 rc
	shift 2
	"$build/$d" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	check_eq "$d $*: exit 2, nothing on stdout" "2 " \
		"$rc $(cat "$tmp/out")"
	check_eq "$d $*: says why" \
		"$d: $msg ($d --help lists the options)" "$(cat "$tmp/err")"
}

usage_error centerd "-n wants a whole number from 1 to 65536: 0" -n 0 -K k
usage_error centerd "-N wants a whole number from 1 to 65536: 2x" -N 2x -K k
usage_error centerd "-F wants a time from 1ms to 1h (500ms, 10s, 1min): 0" \
	-F 0 -K k
usage_error centerd "-t wants a time from 1ms to 1h (500ms, 10s, 1min): 2h" \
	-t 2h -K k
usage_error centerd "-p wants a port from 1 to 65535: 99999" -p 99999 -K k
usage_error centerd "-p wants a port from 1 to 65535: 0" -p 0 -K k
# the letters decoderd gives its issuer key and CA file are not centerd's
usage_error centerd "unknown option -I" -I 2s -K k
usage_error centerd "unknown option -A" -A 127.0.0.1:7444 -K k
usage_error centerd "unknown option -x" -x
usage_error centerd "option -K wants a value" -K
usage_error centerd "-K DIR, the operator key directory, is required"
usage_error centerd "-l wants one of error, warning, notice, info, debug: loud" \
	-l loud -K k
usage_error vcard "-p wants a port from 1 to 65535: 0" -p 0
usage_error vcard "-p wants a port from 1 to 65535: 65536" -p 65536
usage_error vcard "-w wants a time of at most 1min (500ms, 2s): 2min" -w 2min
usage_error vcard "-w wants a time of at most 1min (500ms, 2s): x" -w x
usage_error vcard "one card image at most, not also b" a b

for d in centerd vcard; do
	out=$("$build/$d" --version 2>&1)
	check_eq "$d --version: exit 0" 0 $?
	check_match "$d --version: its name and version" "^$d \(ptv\) [0-9]" \
		"$out"
	"$build/$d" --help >"$tmp/out" 2>"$tmp/err"
	check_eq "$d --help: exit 0, on stdout only" "0 " "$? $(cat "$tmp/err")"
	check "$d --help: the usage" grep -q "^usage: $d" "$tmp/out"
done
tap_done
