#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# clang-tidy on one file, remembered: a file whose preprocessed text (its
# headers included), .clang-tidy and clang-tidy's version are those of an
# earlier clean run is not analyzed again.  make tidy runs it; the cache
# lives in the build directory, so a fresh tree analyzes everything.
#
# usage: TIDY_CPP='cc FLAGS' test/static/tidy_one.sh CACHE_DIR FILE [FLAG...]
set -u
cache=$1
f=$2
shift 2
key=$({ ${TIDY_CPP:?} "$@" -E "$f" 2>&1; cat .clang-tidy
	"${CLANG_TIDY:-clang-tidy}" --version; } | sha256sum | cut -c1-64)
[ -e "$cache/$key" ] && exit 0
"${CLANG_TIDY:-clang-tidy}" -p . --quiet "$f" || exit
mkdir -p "$cache" && : >"$cache/$key"
