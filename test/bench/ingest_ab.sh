#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A/B of the center's ingest: two builds' ingestbench in alternating
# rounds (the machine drifts from one second to the next: alternating
# lets both see the same drift), then per thread count and case the
# medians of the rounds: CPU us a block (what to compare on a busy
# machine), the CPU ratio, blocks/s and the ratio.
#
# usage: test/bench/ingest_ab.sh BUILD_A BUILD_B [ROUNDS [SECONDS [THREADS]]]
#   e.g. test/bench/ingest_ab.sh /work/main/build build 3 1 1,2
set -u
[ $# -ge 2 ] || {
	echo "usage: $0 BUILD_A BUILD_B [ROUNDS [SECONDS [THREADS]]]" >&2
	exit 2
}
a=$1 b=$2 rounds=${3:-3} secs=${4:-1} threads=${5:-}
for d in "$a" "$b"; do
	[ -x "$d/bench/ingestbench" ] || {
		echo "ingest_ab: no $d/bench/ingestbench (make tests)" >&2
		exit 2
	}
done
tmp=$(mktemp -d /tmp/ptv-ab.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# one round of build $2 labelled $1: its summary lines, labelled
round() {
	"$2/bench/ingestbench" "$tmp" "$secs" $threads >"$tmp/out" ||
		{ cat "$tmp/out" >&2; echo "ingest_ab: $2 failed" >&2; exit 1; }
	sed -n '/^summary/,$p' "$tmp/out" | awk -v l="$1" \
		'$1 ~ /^[0-9]+$/ { print l, $0 }' >>"$tmp/rows"
}
for r in $(seq "$rounds"); do
	round A "$a"
	round B "$b"
	echo "round $r of $rounds done" >&2
done
# columns: label threads case blocks/s verify/s ratio cpu-r cores CPU ...
echo "A = $a, B = $b: medians of $rounds rounds of ${secs}s"
printf '%-3s %-7s %-5s %8s %5s %5s %5s %4s %6s %5s %5s %4s %4s %5s\n' ab \
	threads case blocks/s ratio cpu-r cores CPU verify keys other SQL rest \
	cpu-s
sort -k2,2n -k3,3 -k1,1 "$tmp/rows" | awk '
BEGIN {
	split("0 0 0 8 0 5 5 5 4 0 6 5 5 4 4 5", width, " ")
}
function med(k,   n, i, j, t, v) {
	n = split(vals[k], v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return v[int((n + 1) / 2)]
}
{
	key = $1 " " $2 " " $3
	if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
	for (c = 4; c <= 16; c++) vals[key, c] = vals[key, c] " " $c
}
END {
	for (i = 1; i <= nk; i++) {
		split(order[i], f, " ")
		printf "%-3s %-7s %-5s", f[1], f[2], f[3]
		for (c = 4; c <= 16; c++)
			if (c != 5 && c != 10)
				printf " %*s", width[c], med(order[i] SUBSEP c)
		printf "\n"
	}
}'
