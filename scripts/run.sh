#!/usr/bin/env bash
# The main job. On a fresh Debian 12 machine it installs the missing packages (Chromium among
# them), configures build/, builds the `janus` command, and runs `janus inspect` on its built-in
# demo page: a headless Chromium loads a page served from loopback, and Janus prints what its
# domain actors' caches hold (DOM, stylesheets, network requests, console, timings). No network
# needed, no arguments needed; any arguments go to `janus` instead (`./scripts/run.sh bench`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh

install_missing_packages
build_dir=${JANUS_BUILD_DIR:-build}
configure "$build_dir"
# The executable by its path: Debian's meson 1.0.1 finds "janus" ambiguous (libjanus.so, libjanus.a).
meson compile -C "$build_dir" -j "${JANUS_BUILD_JOBS:-$(nproc)}" client/cli/janus
if (($# == 0)); then
  set -- inspect
fi
exec "$build_dir/client/cli/janus" "$@"
