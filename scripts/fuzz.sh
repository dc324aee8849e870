#!/usr/bin/env bash
# Builds the protocol codec fuzzers (clang, libFuzzer, ASan + UBSan) and runs each one briefly over
# its seed corpus in fuzz/corpus/<target>/.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 20 (or $JANUS_FUZZ_SECONDS)
#   TARGET              cdp_decoder rdp_framer rdp_decoder json_value json_writer cdp_typed
#                       pipe_framer http_request base64 (default: all)
# Environment: JANUS_FUZZ_BUILD_DIR (default build-fuzz/), JANUS_FUZZ_JOBS (ninja -j, default 1),
# JANUS_FUZZ_PARALLEL (targets fuzzed at once, default: the number of cores).
#
# New inputs found while running go to a scratch corpus, not the committed seeds. A crash leaves its
# input in build-fuzz/fuzz-artifacts/ and makes the script fail: minimize it, add it under
# fuzz/corpus/<target>/ (tests/protocol replays every corpus file) and fix the bug.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-${JANUS_FUZZ_SECONDS:-20}}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(cdp_decoder rdp_framer rdp_decoder json_value json_writer cdp_typed pipe_framer http_request base64)
fi
build=${JANUS_FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${JANUS_FUZZ_JOBS:-1}
parallel=${JANUS_FUZZ_PARALLEL:-$(nproc)}

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ is required (libFuzzer ships with clang)" >&2
  exit 2
fi

# -O1 with line tables only: the generated typed decoders (fuzz_cdp_typed) are most of this build,
# and sanitized code compiles about twice as fast at -O1 -g1 as at -O2 -g (scripts/ci-sanitizers.sh).
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$build" "$root" -Dfuzz=true -Dtests=false -Dbench=false \
    -Dbrowser_tests=false -Dbuildtype=debugoptimized -Doptimization=1 -Dcpp_args=-g1
fi
nice -n 10 ninja -C "$build" -j"$jobs" "${targets[@]/#/fuzz/fuzz_}"

artifacts="$build/fuzz-artifacts"
scratch="$build/fuzz-scratch"
mkdir -p "$artifacts"
# Runs one target; its exit status says whether it found a crash.
run_target() {
  local t=$1 dict="$root/fuzz/dict/$1.dict"
  # A target's own dictionary (fuzz/dict/<target>.dict) when it has one, else the JSON one.
  [ -f "$dict" ] || dict="$root/fuzz/dict/json.dict"
  rm -rf "${scratch:?}/$t"
  mkdir -p "$scratch/$t"
  # The first corpus directory receives new inputs; the committed seeds are only read.
  nice -n 10 "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -dict="$dict" -artifact_prefix="$artifacts/$t-" \
    "$scratch/$t" "$root/fuzz/corpus/$t" 2>"$build/fuzz-$t.log"
}

# Up to $parallel targets at a time (one per core by default): each fuzzer is single-threaded.
failed=()
declare -A running=()
finish_one() {
  local pid rc=0
  wait -n -p pid "${!running[@]}" || rc=$?
  local t=${running[$pid]}
  unset "running[$pid]"
  if ((rc != 0)); then
    failed+=("$t")
    tail -n 40 "$build/fuzz-$t.log" >&2
  else
    echo "== fuzz_$t: ${seconds}s, no crash"
    grep -E "^(stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)" "$build/fuzz-$t.log" || true
  fi
}
for t in "${targets[@]}"; do
  while ((${#running[@]} >= parallel)); do finish_one; done
  run_target "$t" &
  running[$!]=$t
done
while ((${#running[@]} > 0)); do finish_one; done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: crashes in: ${failed[*]} (inputs in $artifacts)" >&2
  exit 1
fi
echo "fuzz.sh: ${#targets[@]} targets ran ${seconds}s each without a crash"
