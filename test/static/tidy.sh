#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# clang-tidy (.clang-tidy) finds nothing in any C file of the tree
# (make tidy, from compile_commands.json).  Skipped without clang-tidy.
set -u
root=${PTV_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/test/lib/tap.sh"

require_tool clang-tidy
n=$(make -s --no-print-directory -C "$root" list-tidy | wc -w)
if out=$(make -s --no-print-directory -C "$root" tidy 2>&1); then
	ok "clang-tidy: $n C files, no finding"
else
	not_ok "clang-tidy has findings (make tidy)"
	printf '%s\n' "$out" | sed -E 's/\x1b\[[0-9;]*m//g' |
	    grep -E '(warning|error): ' | sort -u | sed 's/^/#   /'
fi
tap_done
