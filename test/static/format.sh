#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# clang-format (.clang-format) leaves every C file of the tree unchanged
# (make format-check).  Skipped without clang-format.
set -u
root=${PTV_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$root/test/lib/tap.sh"

require_tool clang-format
n=$(make -s --no-print-directory -C "$root" list-format | wc -w)
if out=$(make -s --no-print-directory -C "$root" format-check 2>&1); then
	ok "clang-format leaves all $n C files unchanged"
else
	not_ok "clang-format would change C files (clang-format -i them)"
	printf '%s\n' "$out" | grep -v '^make' | sed 's/^/#   /'
fi
tap_done
