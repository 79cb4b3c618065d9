#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Install the Debian packages the build, the tests and the demo need, if
# any is missing (and any package named as an argument).  Runs apt-get
# update first when it installs anything.
set -eu
pkgs="gcc make pkg-config libc6-dev pcscd libpcsclite-dev libccid
vsmartcard-vpcd pcsc-tools opensc libssl-dev libsqlite3-dev sqlite3
libcmocka-dev iproute2 util-linux procps valgrind openssl
clang libclang-rt-14-dev clang-tidy clang-format libjansson-dev
libsystemd-dev libmicrohttpd-dev chromium curl postgresql libpq-dev
systemd groff-base man-db python3 $*"

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null |
	    grep -qx installed; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
