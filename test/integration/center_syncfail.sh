#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A failed fdatasync of the WAL is fatal for centerd (center/group.c,
# "fsyncgate"): with the commit group's sync failing from its 10th on
# (test/tools/failsync.c, LD_PRELOAD), sessions stop being acknowledged,
# centerd says why and exits 1; started again on the same file, it
# opens it whole and serves: every purchase of a later run invoiced once.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"

if [ -n "${PTV_SANITIZED:-}" ]; then
	# an LD_PRELOAD ahead of the sanitizers' runtime is refused
	ok "# SKIP under the sanitizers"
	tap_done
	exit 0
fi
export CENTER_KEYS=$tmp/center
cd "$tmp" || exit 1
B=$build
LG=$B/test/loadgen
DB=$tmp/center/center.db

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# the shim's setting is read through the bounded parser: one that is no
# count stops the process at its first sync, said (a test set up wrong
# must not pass)
LD_PRELOAD=$B/test/failsync.so PTV_FAILSYNC_AFTER=10x \
	dd if=/dev/zero of="$tmp/dd" bs=1 count=1 conv=fdatasync 2>dd.err
check_eq "PTV_FAILSYNC_AFTER=10x: the process stopped (exit 2)" 2 "$?"
check_match "and said why" "PTV_FAILSYNC_AFTER=10x: not a count" \
	"$(cat dd.err)"

"$B/centerctl" init >/dev/null
LD_PRELOAD=$B/test/failsync.so PTV_FAILSYNC_AFTER=10 \
	"$B/centerd" -f -K center -p 7443 -n 100 -l notice 2>center.log &
started
pid=$!
check "centerd starts (its syncs to fail from the 10th)" \
	wait_for 10 port_open 7443
"$LG" -K center -n 400 -m 8 -s 4 -a 1 -T 5000 -S 1 -V 0 >lg.out 2>lg.err
rc=$?
sed 's/^/# /' lg.out lg.err | tail -5
check "loadgen: not every session was acknowledged" test "$rc" -ne 0
check "centerd stops by itself" wait_for 20 gone "$pid"
wait "$pid"
check_eq "centerd exits 1" 1 $?
check_match "it says the sync failed, once" \
	"^1 fdatasync of the WAL failed: Input/output error" \
	"$(grep -c 'fdatasync of the WAL failed' center.log) $(grep -o 'fdatasync of the WAL failed: [^:]*' center.log | head -1)"
check_match "and why it stops" \
	"stopping: the database's WAL could not be synced" "$(cat center.log)"
sed 's/^/# centerd: /' center.log | tail -4

"$B/centerd" -f -K center -p 7443 -n 100 -l error 2>center2.log &
started
pid=$!
check "started again on the same file" wait_for 10 port_open 7443
require_tool sqlite3
check_eq "the file whole" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
"$LG" -K center -n 400 -m 8 -s 2 -S 2 -V 0 >lg.out 2>lg.err
rc=$?
sed 's/^/# /' lg.out lg.err | tail -3
check_eq "then: every decoder through, the ledger checked (exit 0)" 0 $rc
kill "$pid" && wait "$pid"
check_eq "and it stops cleanly (exit 0)" 0 $?
tap_done
