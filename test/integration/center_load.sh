#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The load generator (test/tools/loadgen) against real centerd instances,
# short: 200 simulated decoders and 2,000 cards through real TLS uplink
# sessions (present-card blocks answering the challenge, recovered
# blocks, answers lost and sessions retried, blocks resent, cards
# swapped), then the ledger read back: every purchase the cards made
# invoiced once, none other, no anomaly.  Then two instances on one
# database, round robin (a retried session lands on the other one).  And
# the check itself: a ledger altered on purpose (an invoice lost, one
# changed, one invented) fails it.  The figures are printed, never
# asserted: the machine may be slow.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"

export CENTER_KEYS=$tmp/center
cd "$tmp" || exit 1
B=$build
LG=$B/test/loadgen
DB=$tmp/center/center.db
PIDS=()

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# start_center PORT: one more centerd on the shared database
start_center() {
	"$B/centerd" -f -K center -p "$1" -n 1000 -t 2min -l error \
		2>>"center-$1.log" &
	started
	PIDS+=("$!")
	wait_for 10 port_open "$1"
}
stop_centers() {
	local p rc=0
	for p in "${PIDS[@]}"; do
		kill "$p" && wait "$p" || rc=1
	done
	PIDS=()
	return $rc
}
# field NAME: a figure from loadgen's result line
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" lg.out; }
count() { sed -n "s/.*[ (]\([0-9]*\) $1.*/\1/p" lg.out | head -1; }
sql() { sqlite3 "$DB" "$1"; }

"$B/centerctl" init >/dev/null
check "centerd starts" start_center 7443
"$LG" -K center -n 2000 -m 200 -s 3 -S 1 >lg.out 2>lg.err
rc=$?
sed 's/^/# /' lg.out lg.err
check_eq "loadgen: every decoder through, the ledger checked (exit 0)" 0 $rc
check_match "the ledger holds every purchase made, once, nothing else" \
	"ledger: [0-9]+ purchases made, [0-9]+ invoiced \\(0 wrong, 0 twice, 0 missing\\), 0 anomalies: passed" \
	"$(grep '^ledger:' lg.out)"
made=$(sed -n 's/^ledger: \([0-9]*\) purchases made.*/\1/p' lg.out)
check_eq "the database's ledger has as many rows" "$made" \
	"$(sql "SELECT COUNT(*) FROM purchases WHERE ua LIKE '4C470001%'")"
check_eq "all 2000 cards registered" 2000 \
	"$(sql "SELECT COUNT(*) FROM cards WHERE ua LIKE '4C470001%'")"
check "the mix: answers lost and sessions retried" \
	test "$(count "answers lost")" -gt 0
check "the mix: blocks resent, answered duplicate" \
	test "$(count duplicate)" -gt 0
check "the mix: recovered blocks, acknowledged" \
	test "$(count recovered)" -gt 1000
check "the mix: swapped cards retired and recovered" \
	test "$(sql "SELECT COUNT(*) FROM cards WHERE status = 'retired-recovered'")" -gt 0
check "the new cards unlocked: commands applied" \
	test "$(count "commands applied")" -gt 200
echo "# one instance: $(field sessions_per_s) sessions/s," \
	"$(field blocks_per_s) blocks/s, p50 $(field p50_ms) ms," \
	"p99 $(field p99_ms) ms; OpenSSL verify $(field verify_per_s)/s"

# Two instances on the database, each decoder's attempts round robin.
check "a second centerd starts" start_center 7444
"$LG" -K center -c 127.0.0.1:7443 -c 127.0.0.1:7444 -n 500 -m 100 -s 2 \
	-r 20 -S 2 -V 0 >lg.out 2>lg.err
rc=$?
sed 's/^/# /' lg.out lg.err
check_eq "two instances: the ledger checked (exit 0)" 0 $rc
check "both instances served" \
	grep -q "centers=2" lg.out
check "the centers stop cleanly" stop_centers

# The check fails when the ledger is not what the cards made.
check "centerd starts again" start_center 7443
alter() {
	"$LG" -K center -n 100 -m 20 -s 2 -S "$1" -V 0 -x "sqlite3 $DB \"$2\"" \
		>lg.out 2>lg.err
}
tag() { printf '4c47%04x' "$1"; }
alter 3 "DELETE FROM purchases WHERE ua = '$(tag 3)00000063' AND seq = 1"
check_eq "an invoice lost: the check fails" 1 $?
check_match "... saying it is missing" "1 missing" "$(grep '^ledger:' lg.out)"
alter 4 "UPDATE purchases SET price = price + 1 WHERE ua = '$(tag 4)00000063' AND seq = 1"
check_eq "an invoice changed: the check fails" 1 $?
check_match "... saying it is wrong" "\\(1 wrong" "$(grep '^ledger:' lg.out)"
alter 5 "INSERT INTO purchases SELECT ua, 60, event, channel, price, bought_at, recorded_at, session_id, via_ua, origin FROM purchases WHERE ua = '$(tag 5)00000063' AND seq = 1"
check_eq "an invoice invented: the check fails" 1 $?
check_match "... saying it is wrong" "\\(1 wrong" "$(grep '^ledger:' lg.out)"
check "the center stops cleanly" stop_centers
tap_done
