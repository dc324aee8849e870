#!/usr/bin/env bash
# The main job. On a fresh Debian 12 machine it installs the missing packages, configures build/,
# builds, and runs the main program with its built-in defaults (no arguments needed).
#
# Until the `janus` command lands, the main program is the actor runtime's benchmark, which needs
# no browser and no network. Arguments are passed to it (`./scripts/run.sh --runs 3`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup.sh

install_missing_packages
build_dir=${JANUS_BUILD_DIR:-build}
configure "$build_dir"
meson compile -C "$build_dir" -j "${JANUS_BUILD_JOBS:-$(nproc)}" janus-runtime-bench
exec "$build_dir/bench/janus-runtime-bench" "$@"
