#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Power cuts of the center under load.  A kill -9 keeps the page cache; a
# power cut loses every write not yet fsynced.  centerd runs under the
# shim test/tools/powercut.c (LD_PRELOAD), which keeps beside the
# database and its WAL what the disk holds of them (PATH.disk: the writes
# an fsync or fdatasync covered, once it returned).  Each round: loadgen
# (real TLS uplink sessions, answers lost, blocks resent, cards swapped)
# writes each answer's acknowledgements to a log as it comes in (-L);
# the power is cut at a random instant of the load, by a kill -9 from
# here, or by the shim itself once a random number of syncs returned, as
# the next sync begins or the next write returns, with a random part of the pending writes on the disk after all,
# whole, not at all, or torn at 512-byte sectors; then on the disk's
# image: SQLite's integrity_check is ok and centerctl reads it; every
# block the center acknowledged (accepted or duplicate, or ACKed from M1)
# is in it, with every purchase its card had made up to it; centerd
# starts on the image and goes on, and loadgen's retried sessions end
# with its ledger check: every purchase invoiced once, none other, no
# anomaly.  Last, the test of the test: with the shim lying (a sync makes
# durable only what the one 4 before it covered), a cut after the load
# must report acknowledged blocks lost.
#
# PTV_POWERCUT_ROUNDS (12) rounds; PTV_POWERCUT_SEED picks the cut points
# and modes again (the threads' timing is the machine's: a failure is
# reproduced by running again, not replayed).  PTV_POWERCUT_LIE=1 in the
# environment makes every round lie: the test must fail.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"

if [ -n "${PTV_SANITIZED:-}" ]; then
	# a preloaded library would come before the sanitizers' runtime
	ok "# SKIP the shim is not preloaded into a sanitized centerd"
	tap_done
	exit
fi

export CENTER_KEYS=$tmp/center
cd "$tmp" || exit 1
B=$build
LG=$B/test/loadgen
SHIM=$B/test/powercut.so
DB=$tmp/center/center.db
ROUNDS=${PTV_POWERCUT_ROUNDS:-12}
SEED=${PTV_POWERCUT_SEED:-$((($$ + $(date +%s)) % 32768))}
RANDOM=$SEED
CPID=
LPID=
echo "# seed $SEED (PTV_POWERCUT_SEED=$SEED picks the same cuts)"

port_open() { (exec 3<>/dev/tcp/127.0.0.1/7443) 2>/dev/null; }
# start_center [VAR=VALUE...]: centerd on the database, under the shim
start_center() {
	env LD_PRELOAD="$SHIM" PTV_POWERCUT_FILES="$DB:$DB-wal" "$@" \
		"$B/centerd" -f -K center -p 7443 -n 1000 -t 2min -l error \
		2>>center.log &
	started
	CPID=$!
	wait_for 10 port_open
}
running() { kill -0 "$1" 2>/dev/null; }

# the shim's settings through the bounded parser: one that is no count in
# its range stops the process at once, said (a test set up wrong must not
# pass); a good one changes nothing of a program that writes nothing
for bad in PTV_POWERCUT_LIE=99 PTV_POWERCUT_LIE=2x PTV_POWERCUT_CUT_AT=-1 \
	PTV_POWERCUT_TORN=seed; do
	env LD_PRELOAD="$SHIM" "$bad" true 2>shim.err
	check_eq "$bad: the process stopped at once (abort)" 134 "$?"
	check_match "and said which" "not a count in its range: ${bad%%=*}" \
		"$(cat shim.err)"
done
env LD_PRELOAD="$SHIM" PTV_POWERCUT_LIE=4 PTV_POWERCUT_CUT_AT=7 true
check_eq "good settings: the program runs" 0 "$?"
# cut_wait: centerd's end; 0 if the cut's SIGKILL ended it
cut_wait() {
	local rc
	wait "$CPID"
	rc=$?
	CPID=
	[ "$rc" = 137 ] || echo "# centerd ended with $rc, not SIGKILL's 137"
	[ "$rc" = 137 ]
}
stop_center() {
	[ -n "$CPID" ] || return 0
	kill "$CPID" && wait "$CPID"
	local rc=$?
	CPID=
	return $rc
}
# The disk as the cut left it, copied into disk/ for the checks (the
# images themselves go back in place for centerd); a file never opened
# under the shim is as the round found it.
image_copy() {
	local f
	rm -rf disk && mkdir disk || return 1
	for f in center.db center.db-wal; do
		if [ -f "center/$f.disk" ]; then
			cp "center/$f.disk" "disk/$f"
		elif [ -f "center/$f" ]; then
			cp "center/$f" "disk/$f"
		fi
	done
}
image_restore() {
	local f
	for f in center.db center.db-wal; do
		[ -f "center/$f.disk" ] && mv "center/$f.disk" "center/$f"
	done
	rm -f center/center.db-shm
}
image_sound() {
	[ "$(sqlite3 disk/center.db 'PRAGMA integrity_check')" = ok ] &&
		"$B/centerctl" -D disk/center.db invoices >/dev/null
}
# lost: "ACKS LOST_BLOCKS LOST_PURCHASES" of ack.log against the image,
# and the first lost ones on stderr
lost() {
	sqlite3 -separator ' ' disk/center.db <<-EOF
		CREATE TEMP TABLE acks (kind TEXT, ua TEXT, seq INTEGER, p INTEGER);
		.import --csv --schema temp ack.log acks
		CREATE TEMP VIEW gone AS SELECT * FROM acks a WHERE NOT EXISTS
		    (SELECT 1 FROM blocks b WHERE b.ua = a.ua AND b.seq = a.seq);
		CREATE TEMP VIEW short AS SELECT * FROM acks a WHERE a.kind = 'b'
		    AND (SELECT COUNT(*) FROM purchases p WHERE p.ua = a.ua
		         AND p.seq BETWEEN 1 AND a.p) <> a.p;
		SELECT (SELECT COUNT(*) FROM acks), (SELECT COUNT(*) FROM gone),
		    (SELECT COUNT(*) FROM short);
		.output stderr
		SELECT '# lost: block ' || ua || ' ' || seq FROM gone LIMIT 3;
		SELECT '# lost: purchases of ' || ua || ' up to ' || p FROM short
		    LIMIT 3;
	EOF
}
# start_load N: loadgen's round N (cards of its own), the cards
# registered before centerd starts: the images begin after them
start_load() {
	rm -f ack.log && : >ack.log
	"$LG" -K center -n 500 -m 50 -s 4 -S "$((SEED + $1))" -V 0 -R 60 \
		-L "$tmp/ack.log" >"lg-$1.out" 2>"lg-$1.err" &
	started
	LPID=$!
	wait_for 30 grep -qs '^cards made and registered' "lg-$1.out"
}
load_end() {
	local rc
	wait_for 60 eval '! running "$LPID"'
	wait "$LPID"
	rc=$?
	sed 's/^/#   /' "lg-$1.out" "lg-$1.err" | grep -E 'ledger|sessions:|: ' |
		head -8
	return $rc
}

"$B/centerctl" init >/dev/null || exit 1
t0=$(date +%s)
for n in $(seq "$ROUNDS"); do
	mode=kill
	[ $((n % 2)) = 0 ] && mode=torn
	if ! start_load "$n"; then
		not_ok "round $n: loadgen's cards made and registered"
		sed 's/^/#   /' "lg-$n.err"
		break
	fi
	if [ $mode = kill ]; then
		start_center
		# past the decoders' first tries: then anywhere in the load
		wait_for 20 test -s ack.log
		sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
		loaded=$(running "$LPID" && echo during || echo after)
		kill -9 "$CPID"
		what="a kill -9 $loaded the load"
	else
		at=$((3 + RANDOM % 50))
		start_center PTV_POWERCUT_CUT_AT=$at \
			PTV_POWERCUT_TORN=$((SEED * 1000 + n))
		wait_for 20 eval '! running "$CPID" || ! running "$LPID"'
		loaded=$(running "$CPID" && echo after || echo during)
		running "$CPID" && kill -9 "$CPID"
		what="the power cut after sync $at, pending writes torn, $loaded the load"
	fi
	check "round $n: $what" cut_wait
	sleep 0.2 # the answers sent before the cut, read and logged
	[ $mode = torn ] && grep '^powercut:' center.log | tail -1 | sed 's/^/#   /'
	if ! image_copy; then
		not_ok "round $n: the disk's image copied"
		break
	fi
	check "round $n: the image is sound (integrity_check, centerctl reads it)" \
		image_sound
	read -r acks gone short < <(lost 2>lost.txt)
	check_eq "round $n: of ${acks:-?} acknowledgements, blocks and purchases lost" \
		"0 0" "${gone:-?} ${short:-?}"
	cat lost.txt
	image_restore
	check "round $n: centerd starts on the image" start_center
	check "round $n: the sessions go on, every purchase invoiced once" \
		load_end "$n"
	check "round $n: centerd stops cleanly" stop_center
	[ "$TAP_FAILED" -gt 0 ] && break
done
echo "# $n of $ROUNDS rounds in $(($(date +%s) - t0)) s"

# The test of the test: a shim that lies about the last 4 syncs of each
# file (as a disk lying about its cache, or a center answering before its
# sync, would; 4 so that a checkpoint's two syncs of the database do not
# make it durable after all); the power cut after the load loses the
# last batches, acknowledged.
if start_load 99; then
	start_center PTV_POWERCUT_LIE=4
	load_end 99 >/dev/null
	kill -9 "$CPID"
	cut_wait && image_copy
	# what it lost: acknowledged blocks missing, or an image so out of
	# step (a checkpoint's pages synced, the WAL's frames not) that
	# SQLite finds it malformed; either is the loss the check must see
	sound=yes
	image_sound >/dev/null 2>&1 || sound=no
	read -r acks gone short < <(lost 2>lost.txt)
	sed 's/^/#   /' lost.txt
	check "a sync that lies: the check reports acknowledged blocks lost" \
		test "${gone:-0}" -gt 0 -o "$sound" = no
	echo "# lying: of ${acks:-?} acknowledgements, ${gone:-?} blocks and" \
		"${short:-?} blocks' purchases lost; the image sound: $sound"
else
	not_ok "the lying round's cards made and registered"
fi
[ "$TAP_FAILED" -gt 0 ] && echo "# failed with PTV_POWERCUT_SEED=$SEED"
tap_done
