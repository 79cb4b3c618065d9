#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Every program has its manual page (man/, section 1 for the tools, 8 for
# the daemons), and each page names exactly the options the program's
# --help names: an option added to a program and not to its page, or a
# page describing an option the program no longer has, fails here; so
# does a tool's command missing from its page's COMMANDS, and a key of
# decoderd's configuration missing from its page or the sample.  The
# pages also render without a groff warning.
set -u
root=${PTV_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${PTV_BUILD:-$root/build}
. "$root/test/lib/tap.sh"

# An option: - or -- and a letter, after a space, bracket, comma, bar,
# parenthesis or quote (so "0.0.0.0" or "vpcd's" are not).
OPT_RE='(^|[][ ,|("=])--?[A-Za-z][A-Za-z0-9-]*'
opts() { grep -oE -- "$OPT_RE" | sed -E 's/^[][ ,|("=]//' | sort -u; }

# The page's text as troff source, without its EXAMPLES and SEE ALSO
# sections (other programs' options live there), escapes undone.
page_opts() {
	awk '/^\.SH/ { skip = ($2 ~ /^"?(EXAMPLES?|SEE)/) } !skip' "$1" |
	    grep -v '^\.\\"' |
	    sed -E 's/\\f[BIRP]//g; s/\\f\(..//g; s/\\-/-/g; s/\\\(.{2}//g;
	        s/^\.[A-Z]+ //' | opts
}
# The program's --help, wherever it prints it.
help_opts() { "$1" --help 2>&1 | opts; }

# A tool's commands, as its --help lists them: the first word of a line
# indented by two spaces ("  status [--json] ..."), or the word after the
# program's name ("usage: headend init DIR", "       headend ecm ...").
help_cmds() {
	"$1" --help 2>&1 | sed -nE "s/^  ([a-z][a-z0-9]*)( .*)?\$/\1/p;
	    s/^(usage:)? *$(basename "$1") ([a-z][a-z0-9]*)( .*)?\$/\2/p" |
	    sort -u
}
# The words of the page's COMMANDS section that begin an entry (the line
# after .TP), escapes undone.
page_cmds() {
	awk '/^\.SH/ { on = ($2 ~ /^"?COMMANDS/) } on && tp { print } \
	    { tp = ($0 ~ /^\.TP/) }' "$1" |
	    sed -E 's/\\f[BIRP]//g; s/\\-/-/g; s/^\.[A-Z]+ //; s/"//g' |
	    tr -s ' ,[]|' '\n' | grep -E '^[a-z][a-z0-9]*$' | sort -u
}

have_groff=
command -v groff >/dev/null 2>&1 && have_groff=1
for p in vcard:8 decoderd:8 centerd:8 cardctl:1 headend:1 decoderctl:1 \
    centerctl:1; do
	prog=${p%:*}
	page=$root/man/$prog.${p#*:}
	if [ ! -f "$page" ]; then
		not_ok "$prog has a manual page ($page)"
		continue
	fi
	ok "$prog has a manual page, section ${p#*:}"
	diff=$(diff <(help_opts "$build/$prog") <(page_opts "$page"))
	if [ -z "$diff" ] && [ -n "$(help_opts "$build/$prog")" ]; then
		ok "$prog: the page names the options --help names"
	else
		not_ok "$prog: the page names the options --help names"
		printf '%s\n' "$diff" | sed -n 's/^</#   only in --help:/p;
		    s/^>/#   only in the page:/p'
	fi
	if [ -n "$have_groff" ]; then
		w=$(groff -man -ww -z -t "$page" 2>&1)
		check_eq "$prog: the page renders without a warning" "" "$w"
	fi
	if [ "${p#*:}" = 1 ]; then
		missing=$(comm -23 <(help_cmds "$build/$prog") \
		    <(page_cmds "$page"))
		if [ -z "$missing" ] && [ -n "$(help_cmds "$build/$prog")" ]
		then
			ok "$prog: the page's COMMANDS has every command of --help"
		else
			not_ok "$prog: the page's COMMANDS has every command of --help"
			printf '#   missing: %s\n' $missing
		fi
	fi
	check_match "$prog: the page has NAME, SYNOPSIS, DESCRIPTION" \
	    "NAME.*SYNOPSIS.*DESCRIPTION" "$(grep '^\.SH' "$page" | tr '\n' ' ')"
done

# decoderd's configuration keys, as decoder/config.c reads them: each in
# the page's CONFIGURATION section and in the sample decoderd.conf
# (set, or commented out with its default).
keys=$(grep -o 'strcmp(key, "[a-z_0-9]*")' "$root/decoder/config.c" |
    sed 's/.*"\(.*\)")/\1/')
conf=$(awk '/^\.SH/ { on = ($2 ~ /CONFIGURATION/) } on' "$root/man/decoderd.8")
missing=
for k in $keys; do
	grep -qw -- "$k" <<<"$conf" || missing="$missing $k(page)"
	grep -q "^#\? *$k *=" "$root/decoder/decoderd.conf" ||
	    missing="$missing $k(sample)"
done
check "decoder/config.c has configuration keys" test -n "$keys"
check_eq "decoderd: every configuration key in its page and the sample" "" \
    "$missing"
tap_done
