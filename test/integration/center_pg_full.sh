#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The center on a PostgreSQL server with no connection left (a private
# server of max_connections 4, every one of them held): centerd, its
# sessions and centerctl say the server is full, naming max_connections,
# and never show the password of the URL they were given; once a
# connection is free again, the same session is recorded.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"
. "$root/test/lib/pg.sh"
trap 'itest_cleanup; pg_stop' EXIT

if ! PG_MAX_CONNECTIONS=4 PG_MORE_OPTS="-c superuser_reserved_connections=0 \
    -c client_connection_check_interval=100" \
    pg_start; then
	not_ok "a private PostgreSQL server of 4 connections starts"
	tap_done
	exit 1
fi
ok "a private PostgreSQL server of 4 connections starts"
# the server trusts its socket: the password is only there to be hidden
export CENTER_DB="postgresql://ptv:secret@/ptv?host=$PG_DIR"
. "$root/test/lib/center.sh"
psql=$(pg_bindir)/psql

center_setup 1 || { not_ok "the center's keys and a card"; tap_done; exit 1; }
check "centerd starts on it" start_center

# every connection taken, by clients of ours (one more each time a probe
# still gets in: a connection just closed may hold its slot a moment)
hold() {
	"$psql" "$PG_URL" -qAt -c 'SELECT pg_sleep(300)' >/dev/null 2>&1 &
	started
}
full() { ! "$psql" "$PG_URL" -qAt -c 'SELECT 1' >/dev/null 2>psql.err &&
	grep -q 'too many clients' psql.err; }
for i in 1 2 3 4; do hold; done
for i in $(seq 40); do
	full && break
	sleep 0.5
	[ $((i % 4)) -eq 0 ] && hold
done
check "the server is full" full

no_secret() { ! grep -q 'secret' "$@"; }
us() { "$B/test/uplink_send" localhost 7443 center/ca.crt "$@"; }
us session 00000000000000aa "${UA[1]}" >us.out 2>&1
check "a session while it is full: centerd says so, naming max_connections" \
	wait_for 5 grep -q 'PostgreSQL is full: its max_connections is reached' \
	center.log
check_match "with libpq's words" "too many clients" "$(cat center.log)"
check_match "and the session is not recorded" "not recorded" \
	"$(cat center.log)"
check "its log shows no password" no_secret center.log

"$cctl" cards >ctl.out 2>ctl.err
check_eq "centerctl cards while it is full: exit 1" 1 $?
check_match "it says the server is full, naming max_connections" \
	"PostgreSQL is full: its max_connections is reached" "$(cat ctl.err)"
check_match "and names the database with the password hidden" \
	"cannot open the database postgresql://ptv:\\*\\*\\*@/ptv" \
	"$(cat ctl.err)"
check "it shows no password" no_secret ctl.out ctl.err

"$B/centerd" -f -K center -p 7446 >d2.out 2>d2.err
check_eq "a second centerd while it is full: exit 1" 1 $?
check_match "naming max_connections" "its max_connections is reached" \
	"$(cat d2.err)"
check "and no password" no_secret d2.out d2.err

# the connections freed: the next session is served
for p in "${ITEST_PIDS[@]}"; do
	[ "$p" = "$CENTER_PID" ] || kill "$p" 2>/dev/null
done
free() { "$psql" "$PG_URL" -qAt -c 'SELECT 1' >/dev/null 2>&1; }
check "connections free again" wait_for 10 free
check_match "centerctl cards then: SC1" "^${UA[1]} " "$("$cctl" cards)"

# the password off centerd's command line too (every local user reads it)
"$B/centerd" -f -K center -p 7447 -D "$CENTER_DB" 2>d3.err &
started
D3_PID=$!
check "centerd -D URL starts" wait_for 5 center_port_open 7447
check_match "its command line shows the URL with the password masked" \
	"-D postgresql://ptv:\*\*\*\*\*\*@/ptv" \
	"$(tr '\0' ' ' </proc/$D3_PID/cmdline)"
check "and not the password" bash -c "! grep -q secret /proc/$D3_PID/cmdline"
kill "$D3_PID"
check "centerd stops cleanly" stop_center
check "and its log shows no password" no_secret center.log
tap_done
