#!/usr/bin/env bash
# The DOM mirror against real web pages, both browsers: fetches the corpus (the npm package
# htmlparser-benchmark: 258 pages saved from real sites, pinned in fetch-real-pages.py; not
# committed here), builds
# janus-real-pages, and runs it over every page (or a sample) for Chromium and Firefox. Each page
# is served from loopback with its scripts blocked, mutated by a seeded script, and the mirror must
# equal the browser's outerHTML byte for byte (tests/client/real_pages_main.cpp).
#
#   ./scripts/real-pages.sh                       # every page, both browsers
#   ./scripts/real-pages.sh --sample 0/8          # every 8th page (any janus-real-pages option)
#   JANUS_REAL_PAGES_BROWSERS=chromium ./scripts/real-pages.sh --limit 20
#
# Exits non-zero when a page differs in either browser. Output: one line per page, then a summary
# per browser; logs in build/real-pages/<browser>.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/setup.sh
install_missing_packages
build_dir=${JANUS_BUILD_DIR:-build}
configure "$build_dir"

dest=$build_dir/real-pages
python3 scripts/fetch-real-pages.py "$dest"
meson compile -C "$build_dir" tests/client/janus-real-pages

status=0
for browser in ${JANUS_REAL_PAGES_BROWSERS:-chromium firefox}; do
  "$build_dir/tests/client/janus-real-pages" --browser "$browser" --corpus "$dest/package/files" "$@" |
    tee "$dest/$browser.log" || status=1
done
exit "$status"
