#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# make install into a DESTDIR: the programs, manual pages, units, the
# sysusers file and the sample configuration where they belong; the
# samples as the programs read them; the operator's configuration never
# overwritten; the units as systemd 252 reads them (systemd-analyze
# verify, with the tree as its root) and each rated at most 3.0 by
# systemd-analyze security --offline=yes (the scores are printed);
# make uninstall removing everything but the configuration.
set -u
root=${PTV_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${PTV_BUILD:-$root/build}
. "$root/test/lib/tap.sh"

tmp=$(mktemp -d /tmp/ptv-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
prefix=/usr/local
quietly() { "$@" >/dev/null 2>&1; }
mk() { make -s --no-print-directory -C "$root" O="$build" DESTDIR="$dest" \
    PREFIX=$prefix "$@"; }

check "make install into a DESTDIR" mk install
missing=
for f in bin/cardctl bin/headend bin/decoderctl bin/centerctl \
    sbin/vcard sbin/decoderd sbin/centerd \
    share/man/man1/cardctl.1 share/man/man1/headend.1 \
    share/man/man1/decoderctl.1 share/man/man1/centerctl.1 \
    share/man/man8/vcard.8 share/man/man8/decoderd.8 \
    share/man/man8/centerd.8 \
    lib/systemd/system/vcard.service lib/systemd/system/decoderd.service \
    lib/systemd/system/centerd.service lib/sysusers.d/ptv.conf \
    share/doc/ptv/README.md share/doc/ptv/examples/decoderd.conf; do
	[ -f "$dest$prefix/$f" ] || missing="$missing $f"
done
for f in decoderd.conf centerd.env vcard.env; do
	[ -f "$dest/etc/ptv/$f" ] || missing="$missing /etc/ptv/$f"
done
check_eq "every file installed" "" "$missing"
check "the programs are executable" \
    test -x "$dest$prefix/sbin/decoderd" -a -x "$dest$prefix/bin/centerctl"

units=$dest$prefix/lib/systemd/system
check_eq "the units name the installed daemons" \
    "$prefix/sbin/centerd $prefix/sbin/decoderd $prefix/sbin/vcard" \
    "$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$units"/*.service | tr '\n' ' ' |
        sed 's/ $//')"

# The samples as the programs read them: decoderd loads its file (a bad
# key or value would end it, status 2) before --help; the daemons check
# the options of their environment files before --help likewise.
conf=$dest/etc/ptv/decoderd.conf
check "decoderd reads the sample configuration" \
    quietly "$build/decoderd" -c "$conf" --help
check_match "the sample configuration uplinks on a schedule" \
    '^uplink_interval *= *[1-9]' "$(cat "$conf")"
check_match "the sample configuration names the center" \
    '^center *= *[^ ]+:[0-9]+$' "$(grep '^center' "$conf")"
check_match "the sample configuration names the CA" \
    '^ca *= */' "$(grep '^ca' "$conf")"
check_match "the sample configuration names the issuer key" \
    '^issuer *= */etc/ptv/issuer.pub$' "$(grep '^issuer' "$conf")"
check_match "decoderd's unit reads that configuration" \
    '^ExecStart=[^ ]*/decoderd -c /etc/ptv/decoderd.conf$' \
    "$(grep '^ExecStart' "$dest$prefix/lib/systemd/system/decoderd.service")"
opts_of() { (. "$dest/etc/ptv/$1" && eval "echo \$$2"); }
# shellcheck disable=SC2046
check "centerd takes the sample's CENTERD_OPTS" \
    quietly "$build/centerd" -K "$tmp" $(opts_of centerd.env CENTERD_OPTS) -h
# shellcheck disable=SC2046
check "vcard takes the sample's VCARD_OPTS" \
    quietly "$build/vcard" $(opts_of vcard.env VCARD_OPTS) -h

# The operator's configuration stays as it is on a second install.
echo "# mine" >>"$conf"
sum=$(sha256sum <"$conf")
check "make install again" mk install
check_eq "an existing configuration file is kept" "$sum" \
    "$(sha256sum <"$conf")"

# systemd-analyze with the DESTDIR as the root: the units' commands and
# manual pages must be there.  systemd's own units (sysinit.target...)
# are copied in, as a booted system has them.
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir -p "$dest/usr/lib/systemd"
	cp -a /usr/lib/systemd/system "$dest/usr/lib/systemd/"
	out=$(cd "$dest" && MANPATH=$dest$prefix/share/man \
	    systemd-analyze verify --root="$dest" \
	    "${units#"$dest"/}"/*.service 2>&1)
	rc=$?
	check_eq "systemd-analyze verify: the units are clean" "0 " "$rc $out"
	for u in vcard decoderd centerd; do
		out=$(cd "$dest" && systemd-analyze security --offline=yes \
		    --root="$dest" "${units#"$dest"/}/$u.service" 2>&1)
		score=$(printf '%s\n' "$out" |
		    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		echo "# $u.service: exposure $score"
		if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }'
		then
			ok "systemd-analyze security: $u.service at most 3.0 ($score)"
		else
			not_ok "systemd-analyze security: $u.service at most 3.0 (${score:-none})"
			printf '%s\n' "$out" | grep '✗' | sed 's/^/#   /'
		fi
	done
	# a unit that breaks is seen: the check above can fail
	sed 's/^Type=notify/Type=notifyy/' "$units/vcard.service" \
	    >"$tmp/broken.service"
	cp "$tmp/broken.service" "$units/broken.service"
	out=$(cd "$dest" && MANPATH=$dest$prefix/share/man \
	    systemd-analyze verify --root="$dest" \
	    "${units#"$dest"/}/broken.service" 2>&1)
	check_match "systemd-analyze verify sees a broken unit" "notifyy" "$out"
	rm -f "$units/broken.service"
	rm -rf "$dest/usr/lib/systemd"
else
	echo "# systemd-analyze missing: units not verified"
	not_ok "systemd-analyze is installed (test/deps.sh: systemd)"
fi
if command -v systemd-sysusers >/dev/null 2>&1; then
	check_match "systemd-sysusers reads ptv.conf: the two users" \
	    "ptv-center.*ptv-card|ptv-card.*ptv-center" \
	    "$(systemd-sysusers --dry-run --root="$dest" \
	        "$dest$prefix/lib/sysusers.d/ptv.conf" 2>&1 | tr '\n' ' ')"
fi

check "make uninstall" quietly mk uninstall
left=$(cd "$dest" && find . -type f | grep -v '^\./etc/ptv/' | sort)
check_eq "uninstall removes every installed file" "" "$left"
check "uninstall keeps the configuration" test -f "$conf"
tap_done
