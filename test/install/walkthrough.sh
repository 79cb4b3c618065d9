#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The README's walkthrough, run literally: the indented command lines
# between the <!-- walkthrough --> and <!-- /walkthrough --> marks of
# README.md, in order, as one bash script with -e and pipefail, as root
# in the source tree, on a machine made up for it: /etc, /var, /run and
# /usr/local are overlays of the real ones (what the walkthrough writes
# there goes with the namespace), loopback only, a pcscd of its own
# (test/lib/hermetic.sh), and a PID namespace, so every daemon the
# walkthrough starts ends with the test.  Then the outcome the README
# promises is checked through the installed tools: SC1's film invoiced
# once, SC2 present and unlocked, M1 holding SC2's entry alone, the
# console counting SC1 recovered.
set -u
root=${PTV_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${PTV_BUILD:-$root/build}

if [ -z "${PTV_WALK_NS:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "ok 1 # SKIP needs root (namespaces, overlays)"
		echo "1..1"
		exit 0
	fi
	exec unshare --mount --net --pid --fork --mount-proc \
	    --propagation private env PTV_WALK_NS=1 "$0" "$@"
fi
if [ -z "${PTV_IN_NAMESPACE:-}" ]; then
	# The overlays (writes in a tmpfs over the real directories), then
	# a pcscd of our own, then this script again.
	ovl=$(mktemp -d /tmp/ptv-walk.XXXXXX)
	mount -t tmpfs tmpfs "$ovl" || exit 1
	for d in /etc /var /run /usr/local; do
		n=$ovl/${d//\//_}
		mkdir -p "$n/up" "$n/work"
		mount -t overlay overlay \
		    -o "lowerdir=$d,upperdir=$n/up,workdir=$n/work" "$d" ||
		    exit 1
	done
	mkdir -p /var/tmp/ptv-walk
	mount -t tmpfs tmpfs /var/tmp/ptv-walk || exit 1
	PTV_IN_NAMESPACE=1 PTV_WALK_DIR=/var/tmp/ptv-walk \
	    "$root/test/lib/hermetic.sh" "$0" "$@"
	rc=$?
	umount -R "$ovl" 2>/dev/null
	rmdir "$ovl"
	exit $rc
fi
. "$root/test/lib/tap.sh"
work=$PTV_WALK_DIR

# The walkthrough's commands: the indented lines between the marks.
awk '/<!-- walkthrough -->/ { on = 1; next }
    /<!-- \/walkthrough -->/ { on = 0 }
    on && /^    / { print substr($0, 5) }' "$root/README.md" >"$work/walk.sh"
n=$(grep -cv '^[[:space:]]*\(#.*\)\?$' "$work/walk.sh")
check "README.md has a walkthrough between its marks ($n lines)" \
    test "$n" -ge 20

# Run it as a root shell would, in the source tree; the first command
# that fails ends it and is named; five minutes at most (its waits for
# the card loop until the card is there).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
unset CENTER_KEYS VCARD_SOCKET DECODERD_SOCKET
(cd "$root" && timeout 300 bash -eE -o pipefail -c '
	trap '"'"'echo "walkthrough: failed ($?): $BASH_COMMAND" >&2'"'"' ERR
	. "$1"' walkthrough "$work/walk.sh") >"$work/out" 2>"$work/err"
rc=$?
check_eq "the walkthrough runs to its end" 0 "$rc"
if [ "$rc" -ne 0 ]; then
	grep '^walkthrough: failed' "$work/err" | sed 's/^/# /'
	tail -n 30 "$work/out" "$work/err" | sed 's/^/#   /'
	for l in /var/log/ptv/*.log; do
		[ -f "$l" ] && tail -n 5 "$l" | sed "s|^|#   $l: |"
	done
fi

# What it promised.
val() { decoderctl status 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
check_eq "the center's key directory serves the center" \
    "$(ls /var/lib/ptv/center/ca.crt)" "/var/lib/ptv/center/ca.crt"
check_eq "SC2 is in the reader" 2222222222222222 "$(val ua)"
check_eq "SC2 is unlocked" no "$(val locked)"
check_eq "SC1's film is invoiced once" 1 \
    "$(centerctl -K /var/lib/ptv/center invoices --json 2>/dev/null |
        grep -o '"ua":"1111111111111111"' | wc -l)"
m1=$(decoderctl m1 2>/dev/null)
check_match "M1 holds SC2's entry" '^2222222222222222 ' "$m1"
check_eq "M1 no longer holds SC1's entry" "" \
    "$(printf '%s\n' "$m1" | grep '^1111111111111111 ')"
check_match "headend open printed SC2's data" \
    "^block uplink ua 2222222222222222 seq [0-9]+: credit 500" \
    "$(grep '^block' "$work/out")"
check_match "the ECM through opensc-tool: 9102, the offer" \
    "SW1=0x91, SW2=0x02" "$(grep '^Received' "$work/out")"
check_match "the console's overview counts the recovered card" \
    '"status": *"retired-recovered", *"n": *1' \
    "$(cat /var/lib/ptv/overview.json 2>/dev/null)"
tap_done
