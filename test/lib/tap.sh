# SPDX-License-Identifier: BSD-2-Clause
# TAP helpers for shell tests (sourced).  Each check prints "ok N - what"
# or "not ok N - what"; tap_done prints the plan and sets the exit status.

TAP_N=0
TAP_FAILED=0

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $*"
}

# check "what" command...: passes when the command succeeds
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# check_eq "what" expected actual
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "#   expected: $2"
		echo "#   actual:   $3"
	fi
}

# check_match "what" regex actual
check_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		not_ok "$1"
		echo "#   wanted to match: $2"
		printf '%s\n' "$3" | sed 's/^/#   actual: /'
	fi
}

# check_json "what" JSON [PATH=TYPES...]: JSON is one value of the tools'
# schema, no duplicate key, and each PATH has one of its TYPES
# (test/tools/jsoncheck.c)
check_json() {
	local what=$1 json=$2 err
	shift 2
	if err=$(printf '%s' "$json" |
	    "${PTV_BUILD:-${build:-build}}/test/jsoncheck" "$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what"
		printf '%s\n' "$err" | sed 's/^/#   /'
	fi
}

# check_cut "what" command...: the command's standard output is a pipe
# whose reader has left (as after `| head -1`, but every time: a FIFO whose
# only reader is closed before the command starts).  The tools' rule
# (tools/README.md): exit 1, not killed by SIGPIPE (141), and quiet.
check_cut() {
	local what=$1 d rc err
	shift
	d=$(mktemp -d)
	mkfifo "$d/fifo"
	exec 8<>"$d/fifo"
	exec 9>"$d/fifo"
	exec 8<&-
	"$@" >&9 2>"$d/err"
	rc=$?
	exec 9>&-
	err=$(cat "$d/err")
	rm -rf "$d"
	check_eq "$what, its reader gone: exit 1 (not SIGPIPE's 141), quietly" \
		"1 " "$rc $err"
}

tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

# wait_for SECONDS command...: poll every 50 ms until the command succeeds
wait_for() {
	local limit=$(( $1 * 20 ))
	shift
	for _ in $(seq "$limit"); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# require_tool TOOL: a test that cannot run without TOOL passes as skipped
# (one "ok # SKIP" line) and exits when TOOL is not installed.
require_tool() {
	command -v "$1" >/dev/null && return 0
	ok "# SKIP $1 is not installed (test/deps.sh installs it)"
	tap_done
	exit 0
}
