#!/usr/bin/env bash
# Builds examples/consumer as its own meson project with this source tree as its subproject
# subprojects/janus (a symlink), forced onto the fallback path so an installed janus.pc cannot
# stand in for it. This is what meson.override_dependency('janus', ...) exists for.
# Usage: subproject_consumer.sh SOURCE_ROOT CONSUMER_SRC_DIR   (env: CXX, MESON, JANUS_BUILD_JOBS)
set -euo pipefail

source_root=$1
consumer_src=$2
meson=${MESON:-meson}
jobs=${JANUS_BUILD_JOBS:-$(nproc)}

work=$(mktemp -d "${TMPDIR:-/tmp}/janus-subproject-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/src/subprojects"
cp "$consumer_src/meson.build" "$consumer_src/main.cpp" "$work/src/"
ln -s "$source_root" "$work/src/subprojects/janus"

# buildtype=plain: this compiles all of libjanus again, and only linking and running matter here.
# Only the consumer and what it needs: the subproject's command, mock and examples are not what a
# consumer builds (the whole project took 490 s here, on a loaded 2-core machine).
"$meson" setup "$work/build" "$work/src" --force-fallback-for=janus --wrap-mode=nodownload \
  -Dbuildtype=plain
"$meson" compile -C "$work/build" -j "$jobs" janus_consumer
"$work/build/janus_consumer"
echo "subproject consumer: built and ran"
