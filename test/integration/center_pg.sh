#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The center on PostgreSQL, a private server of the test's own
# (test/lib/pg.sh): the center's unit tests on it; two centerd instances
# sharing its database, fed the same recovered block at the same instant,
# round after round: every purchase invoiced once, the block accepted by
# one session and a duplicate in all the others; operator commands made
# at once through both: each its own counter, none lost; a card's
# sessions racing on both instances.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"
. "$root/test/lib/pg.sh"
trap 'itest_cleanup; pg_stop' EXIT
ROUNDS=${PTV_PG_ROUNDS:-15}

if ! pg_start; then
	not_ok "a private PostgreSQL server starts"
	tap_done
	exit 1
fi
ok "a private PostgreSQL server starts"
unit=$(pg_url unit)
export CENTER_DB=$PG_URL
. "$root/test/lib/center.sh"

sql() { "$(pg_bindir)/psql" "$PG_URL" -qAt -c "$1"; }

# --- the unit tests of the center, on PostgreSQL -------------------------
unit_test() {
	PTV_TEST_PG=$unit "$B/test/$1" >"$1.log" 2>&1 && return 0
	grep -v '^ok ' "$1.log" | sed 's/^/#   /'
	return 1
}
for t in test_center test_center_rules test_center_cmds test_center_card \
    test_center_store test_migrate; do
	check "$t on PostgreSQL" unit_test "$t"
done

# --- commands other than register never make a schema ---------------------
empty=$(pg_url empty)
tables() { "$(pg_bindir)/psql" "$empty" -qAt -c \
	"SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'"; }
mkdir -p ro
"$B/centerctl" -K ro init >/dev/null
for c in cards rejected "card 1111111111111111" "reload 1111111111111111 5"; do
	# shellcheck disable=SC2086
	"$B/centerctl" -K ro --db "$empty" $c >ro.out 2>ro.err
	check_eq "centerctl ${c%% *} on an empty database: exit 1" 1 $?
	check_match "saying there is no database" \
		"^centerctl ${c%% *}: no database .*centerctl register makes it" \
		"$(cat ro.err)"
done
check_eq "and no table made in it" 0 "$(tables)"

# --- two instances, one database -----------------------------------------
center_setup 2
check_json "centerctl rejected --json on PostgreSQL, read-only" \
	"$("$cctl" rejected --json)" total=integer blocks=array
check "centerd A starts on PostgreSQL" start_center
start_b() {
	"$B/centerd" -f -K center -p 7444 -F 2s -t 20s -W 127.0.0.1:7445 \
		-l info 2>>centerb.log &
	started
	B_PID=$!
	wait_for 5 center_port_open 7444
}
check "centerd B starts on the same database" start_b
version=$(awk '$2 == "CGS_DB_VERSION" { print $3 }' "$root/center/db.h")
check_eq "one schema, migrated once" "1|$version" \
	"$(sql 'SELECT COUNT(*), MAX(version) FROM schema_version')"
start_vcard sc1.img
VC_PID=$!
check "decoderd starts" start_decoder
check "it sees SC1" wait_for 10 is card present
check "first contact through A" quietly "$dctl" uplink
check "SC1 unlocked" wait_for 5 is locked no
check "SC1 buys film 42" buy 7 42
check "and film 43" buy 8 43

blk=$(send $SEL 80400000000000 | tail -1 | cut -d' ' -f1)
check_match "SC1's export block" '^01' "$blk"
us() { "$B/test/uplink_send" localhost "$1" center/ca.crt session \
	00000000000000bb - "R:$blk"; }
wipe() {
	sql "DELETE FROM purchases; DELETE FROM blocks; DELETE FROM sessions;
	    DELETE FROM card_ecms; DELETE FROM flags;
	    DELETE FROM card_rights; DELETE FROM conflicts;
	    DELETE FROM block_counts;
	    UPDATE cards SET last_block_seq = 0, max_invoiced = 0, data_seq = NULL,
	    data_pairs = NULL"
}

# Each round: the block is new to the center again; six sessions carry it
# at once, three to each instance.
bad=0
for r in $(seq "$ROUNDS"); do
	wipe
	pids=()
	for i in 1 2 3; do
		us 7443 >"r$r.a$i" 2>&1 &
		pids+=($!)
		us 7444 >"r$r.b$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	acc=$(cat r"$r".* | grep -c '^result 0 accepted$')
	dup=$(cat r"$r".* | grep -c '^result 0 duplicate$')
	done_=$(cat r"$r".* | grep -c '^done$')
	inv=$(sql 'SELECT COUNT(*) FROM purchases')
	if [ "$acc/$dup/$done_/$inv" != "1/5/6/2" ]; then
		bad=$((bad + 1))
		echo "# round $r: accepted $acc, duplicate $dup, answered $done_, invoiced $inv"
	fi
done
check_eq "$ROUNDS rounds of one block at six sessions on two instances: one accepted, five duplicates, two invoices" 0 "$bad"
check_eq "one session recorded each round's block" 1 \
	"$(sql "SELECT COUNT(*) FROM blocks WHERE status = 'accepted'")"
echo "# $(cat center.log centerb.log | grep -c 'could not serialize') sessions rerun after a serialization failure"

# --- operator commands through both at once ----------------------------
before=$(sql "SELECT COUNT(*) FROM commands WHERE ua = '${UA[1]}'")
pids=()
for i in 1 2 3 4 5 6; do
	if [ $((i % 2)) = 0 ]; then
		CENTER_DB=$PG_URL "$cctl" reload "${UA[1]}" "$i" >/dev/null &
	else
		"$cctl" --db "$PG_URL" reload "${UA[1]}" "$i" >/dev/null &
	fi
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
check_eq "six reloads queued at once, none failed" 0 "$fails"
check_eq "six more commands" $((before + 6)) \
	"$(sql "SELECT COUNT(*) FROM commands WHERE ua = '${UA[1]}'")"
check_eq "each its own counter, no gap" 1 \
	"$(sql "SELECT COUNT(*) FROM (SELECT MAX(counter) - MIN(counter) + 1 = COUNT(*) AND COUNT(DISTINCT counter) = COUNT(*) AS ok FROM commands WHERE ua = '${UA[1]}' AND path = 0) t WHERE ok")"
check_eq "the card's last counter is the highest" 1 \
	"$(sql "SELECT COUNT(*) FROM cards c WHERE ua = '${UA[1]}' AND cmd_counter = (SELECT MAX(counter) FROM commands m WHERE m.ua = c.ua AND path = 0)")"

# --- a card's sessions racing on both instances -------------------------
export PTV_UPLINK_CARD="$B/test/pcsc_send -r 'Virtual PCD 00 00' $SEL \
80420000000010{}0000"
present() { "$B/test/uplink_send" localhost "$1" center/ca.crt session \
	00000000000000cc "${UA[1]}" "B:@"; }
present 7443 >p.a 2>&1 &
pa=$!
present 7444 >p.b 2>&1 &
pb=$!
wait $pa $pb
check_eq "both sessions answered" 2 "$(cat p.a p.b | grep -c '^done$')"
check_eq "the reloads went out, each in counter order, to both" \
	"$(cat p.a | grep -c '^command$')" "$(cat p.b | grep -c '^command$')"
check_eq "every command sent, none lost" 0 \
	"$(sql "SELECT COUNT(*) FROM commands WHERE ua = '${UA[1]}' AND type = 'reload' AND state = 'queued'")"

# --- the console on PostgreSQL (B's) -------------------------------------
TOKEN=$(cat center/console.token)
api() { curl -sf --cacert center/ca.crt -H "Authorization: Bearer $TOKEN" \
	"https://127.0.0.1:7445$1"; }
ov=$(api /api/overview)
check_match "B's console answers /api/overview on PostgreSQL" '"blocks"' "$ov"
jv() { echo "$ov" | jq -r "$1"; }
check_eq "its cards, as the database holds them" \
	"$(sql 'SELECT COUNT(*) FROM cards')" "$(jv .cards.total)"
check_eq "its blocks accepted and duplicate, counted by the sessions" \
	"$(sql "SELECT COUNT(*) FILTER (WHERE status = 'accepted') || ' ' ||
	    COUNT(*) FILTER (WHERE status = 'duplicate') FROM blocks")" \
	"$(jv '"\(.blocks.accepted) \(.blocks.duplicate)"')"
check_eq "its sessions" "$(sql 'SELECT COUNT(*) FROM sessions')" \
	"$(jv .sessions.total)"
check_eq "the last hour's ingest: every block of the round" \
	"$(sql 'SELECT COUNT(*) FROM blocks')" \
	"$(jv '[.ingest.buckets[] | .accepted + .duplicate + .rejected] | add')"
check_eq "SC1's page: its two films" 2 \
	"$(api "/api/card/${UA[1]}" | jq '.invoices | length')"
check_eq "the invoices, by card" 2 \
	"$(api "/api/invoices?ua=${UA[1]}" | jq '.total')"
check_eq "the cards, by status" "$(sql "SELECT COUNT(*) FROM cards WHERE
	status = 'active' AND revoked_at IS NULL")" \
	"$(api '/api/cards?status=active' | jq '.total')"
check_match "the anomalies list" '"total"' "$(api /api/anomalies)"

# --- one instance dies mid-session: the decoder goes on to the other ----
# A commits the session and dies before its answer (as kill -9 would: no
# answer, no cleanup); the decoder, told of both, retries on B.
check "centerd A stops cleanly" stop_center
stop_decoder
check "decoderd starts with both centers" \
	start_decoder -C localhost:7443,localhost:7444
check "swap to SC2" swap_to 2
check "M1 holds SC1's block" m1_has "${UA[1]}"
start_center PROTO_CRASH_AT=1
check "the uplink goes through although A dies" quietly "$dctl" uplink
wait "$CENTER_PID"
check_eq "A died between its commit and its answer" 86 $?
check "the decoder went on to B" grep -q "7443: .*trying the next" dec.log
check "SC2 unlocked by B's answer" wait_for 5 is locked no
check "SC1's M1 entry acknowledged and deleted" bash -c \
	"! \"$dctl\" m1 | grep -q '^${UA[1]} '"
check_eq "SC1's two films invoiced once" 2 \
	"$(sql "SELECT COUNT(*) FROM purchases WHERE ua = '${UA[1]}'")"
check_eq "one unlock for SC2, made once" 1 \
	"$(sql "SELECT COUNT(*) FROM commands WHERE ua = '${UA[2]}' AND type = 'unlock'")"
check "A gone: the next uplink goes to B" quietly "$dctl" uplink
check_eq "each time through the other" 2 \
	"$(grep -c '7443: .*trying the next' dec.log)"

# --- the database restarts under an instance ---------------------------
check "PostgreSQL restarts" pg_restart
check_match "the session that finds the connection lost is not answered" \
	'^error' "$(us 7444)"
check_match "B serves again at the next session" '^done$' "$(us 7444)"
check "B closed the connection it lost" grep -q "connection was lost" centerb.log
check "centerd B stops cleanly" stop_pid B_PID
stop_decoder
kill "$VC_PID"
wait "$VC_PID" 2>/dev/null

# --- the center's end-to-end tests, each on a database of its own --------
for t in center_e2e center_commands center_card center_story; do
	db=$(pg_url "${t#center_}")
	CENTER_DB=$db PTV_KEEP_TMP=1 "$root/test/integration/$t.sh" \
		>"$t.log" 2>&1
	rc=$?
	kept=$(sed -n 's/^# kept //p' "$t.log")
	res="$rc $(grep -c '^not ok ' "$t.log")"
	check_eq "$t.sh on PostgreSQL: $(grep -c '^ok ' "$t.log") passed" \
		"0 0" "$res"
	[ "$res" = "0 0" ] || {
		grep -A3 '^not ok ' "$t.log"
		for f in "$kept"/*.log; do
			echo "--- ${f##*/}"
			tail -n 15 "$f"
		done
	} | sed 's/^/#   /'
	case $kept in /tmp/ptv-*) rm -rf "$kept" ;; esac
done
tap_done
