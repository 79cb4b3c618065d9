#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The center under the load generator (test/tools/loadgen), each figure
# beside OpenSSL's own ECDSA P-256 verify rate on as many threads as
# loadgen's, measured by loadgen in the same run, on the same cores:
#  - SQLite, one centerd: sessions carrying full M1s (about 30 blocks
#    each), blocks/s over the verify rate;
#  - PostgreSQL, one, two and four centerd instances on one database
#    (when centerd takes a postgresql:// URL and test/lib/pg.sh can start
#    a private server), the same load: blocks/s and p99; and one instance
#    with 128 sessions at once;
#  - 10,000 simulated decoders and 100,000 cards on SQLite, 256
#    connections at once, and on PostgreSQL, 128 at once (the private
#    server takes 200 connections; centerd -n 160): sessions/s, p99, the
#    ledger check.
# Ratios and figures only: a slow machine fails nothing here.  Run inside
# the hermetic namespace of bench.sh (loopback only).
#
# usage: test/bench/center_load.sh BUILD_DIR
# Sizes: BENCH_LOAD_DECODERS (200), BENCH_LOAD_INFLIGHT (16),
# BENCH_BIG_DECODERS (10000), BENCH_BIG_CARDS (100000); BENCH_BIG=0 skips
# the big runs, BENCH_PG=0 the PostgreSQL runs.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
dec=${BENCH_LOAD_DECODERS:-200}
inflight=${BENCH_LOAD_INFLIGHT:-16}
big_dec=${BENCH_BIG_DECODERS:-10000}
big_cards=${BENCH_BIG_CARDS:-100000}
tmp=$(mktemp -d /tmp/ptv-load.XXXXXX)
CENTERS=()

stop_centers() {
	local p
	for p in "${CENTERS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	CENTERS=()
}
cleanup() {
	stop_centers
	declare -F pg_stop >/dev/null && pg_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
die() { echo "center_load: $*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# start_centers N DB: N centerd instances on ports 7443.. sharing DB
start_centers() {
	local i port
	for i in $(seq "$1"); do
		port=$((7442 + i))
		"$build/centerd" -f -K "$tmp/keys" -D "$2" -p "$port" \
			-n "${CENTER_MAX:-1024}" -t 5min -F 1min -l error \
			2>>"$tmp/center-$port.log" &
		CENTERS+=("$!")
		for _ in $(seq 200); do
			port_open "$port" && break
			sleep 0.05
		done
		port_open "$port" || die "centerd on $port did not start"
	done
}
centers_args() {
	local i
	for i in $(seq "$1"); do printf -- '-c 127.0.0.1:%d ' $((7442 + i)); done
}
# field NAME: from loadgen's result line in $tmp/lg.out
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$tmp/lg.out"; }
row() {
	printf '%-34s %8s %8s %9s %9s %8s %8s %9s %6s %s\n' "$@"
}
# run NAME INSTANCES DB LOADGEN-ARGS...: one row of the table
run() {
	local name=$1 n=$2 db=$3 rc ledger
	shift 3
	start_centers "$n" "$db"
	# shellcheck disable=SC2046
	"$build/test/loadgen" -K "$tmp/keys" -d "$db" $(centers_args "$n") \
		"$@" >"$tmp/lg.out" 2>"$tmp/lg.err"
	rc=$?
	stop_centers
	[ -n "${BENCH_VERBOSE:-}" ] && sed 's/^/#   /' "$tmp/lg.out" "$tmp/lg.err"
	ledger=passed
	[ "$rc" -eq 0 ] || ledger="FAILED (exit $rc; $(grep '^ledger:' "$tmp/lg.out"))"
	row "$name" "$(field decoders)" "$(field cards)" \
		"$(field sessions_per_s)" "$(field blocks_per_s)" \
		"$(field p50_ms)" "$(field p99_ms)" "$(field verify_per_s)" \
		"$(field ratio)" "$ledger"
}

"$build/centerctl" -K "$tmp/keys" init >/dev/null || die "centerctl init"
# Full M1s: about 30 cards per decoder, one session each at least.
load=(-m "$dec" -n $((dec * 30)) -s 1 -C "$inflight" -r 0 -u 0 -w 0)

echo "center under load: loadgen's simulated decoders through TLS;" \
	"verify: OpenSSL P-256 on loadgen's $(nproc) threads in the same run;" \
	"ratio: blocks/s over it"
row case decoders cards sessions/s blocks/s "p50 ms" "p99 ms" verify/s \
	ratio ledger
run "sqlite, 1 instance" 1 "$tmp/center.db" "${load[@]}" -j "$(nproc)"

if [ "${BENCH_PG:-1}" != 0 ] && [ -f "$root/test/lib/pg.sh" ] &&
	"$build/centerd" -h 2>&1 | grep -q postgresql; then
	# shellcheck source=../lib/pg.sh
	. "$root/test/lib/pg.sh"
	if pg_start >"$tmp/pg.log" 2>&1; then
		for n in 1 2 4; do
			url=$(pg_url "load$n") || die "pg_url"
			run "postgresql, $n instance(s)" "$n" "$url" \
				"${load[@]}" -j "$(nproc)"
		done
		url=$(pg_url load128) || die "pg_url"
		load[7]=128
		run "postgresql, 1 instance, 128 at once" 1 "$url" \
			"${load[@]}" -j "$(nproc)"
		load[7]=$inflight
		echo "  (the curve flattens at the core count: $(nproc) cores" \
			"run every instance, PostgreSQL and loadgen)"
	else
		echo "  postgresql: no private server ($(tail -1 "$tmp/pg.log"))"
	fi
else
	echo "  postgresql: skipped (centerd without PostgreSQL, or" \
		"test/lib/pg.sh absent, or BENCH_PG=0)"
fi

if [ "${BENCH_BIG:-1}" != 0 ]; then
	rm -f "$tmp/center.db" "$tmp/center.db-wal" "$tmp/center.db-shm"
	big=(-m "$big_dec" -n "$big_cards" -s 1 -j "$(nproc)" -V 1 -R 1800)
	run "sqlite, 1 instance, 256 at once" 1 "$tmp/center.db" \
		"${big[@]}" -C 256
	if [ -n "${PG_DIR:-}" ] && url=$(pg_url big); then
		CENTER_MAX=160 run "postgresql, 1 instance, 128 at once" 1 \
			"$url" "${big[@]}" -C 128
	fi
fi
