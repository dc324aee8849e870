#!/usr/bin/env bash
# Installs this build into a scratch DESTDIR, then builds examples/consumer with CMake against the
# installed package only (find_package(janus CONFIG), janus_DIR pointing into the staged install): once against
# janus::janus (libjanus.so) and once against janus::janus_static (libjanus.a), and runs both.
# Usage: cmake_consumer.sh BUILD_ROOT CONSUMER_SRC_DIR   (env: CXX, MESON, CMAKE)
set -euo pipefail

build_root=$1
consumer_src=$2
meson=${MESON:-meson}
cmake=${CMAKE:-cmake}

work=$(mktemp -d "${TMPDIR:-/tmp}/janus-cmake-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

"$meson" install -C "$build_root" --quiet --destdir "$root"
config=$(find "$root" -path '*/cmake/janus/janusConfig.cmake' -print -quit)
if [[ -z $config ]]; then
  echo "FAIL: meson install put no cmake/janus/janusConfig.cmake under $root" >&2
  exit 1
fi
echo "installed: ${config#"$root"}"
libdir=$(dirname "$(find "$root" -name 'libjanus.so' -print -quit)")
# CMake builds with the compiler meson used: the last word of $CXX (meson may say "ccache c++").
read -r -a cxx <<<"${CXX:-c++}"

for kind in shared static; do
  static=OFF
  [[ $kind == static ]] && static=ON
  # janus_DIR: where find_package(janus CONFIG) looks first, the staged package's own folder.
  "$cmake" -S "$consumer_src" -B "$work/build-$kind" -Djanus_DIR="$(dirname "$config")" \
    -DJANUS_CONSUMER_STATIC=$static -DCMAKE_CXX_COMPILER="${cxx[-1]}" -DCMAKE_BUILD_TYPE=Release >"$work/cmake-$kind.log" 2>&1 ||
    { cat "$work/cmake-$kind.log" >&2; echo "FAIL: cmake could not configure the $kind consumer" >&2; exit 1; }
  "$cmake" --build "$work/build-$kind" >>"$work/cmake-$kind.log" 2>&1 ||
    { cat "$work/cmake-$kind.log" >&2; echo "FAIL: the $kind consumer did not build" >&2; exit 1; }
  if [[ $kind == static ]]; then
    if readelf -d "$work/build-$kind/janus_consumer" | grep -q 'NEEDED.*libjanus'; then
      echo "FAIL: the static consumer still needs libjanus.so" >&2
      exit 1
    fi
    env -u LD_LIBRARY_PATH "$work/build-$kind/janus_consumer"
  else
    LD_LIBRARY_PATH=$libdir "$work/build-$kind/janus_consumer"
  fi
done
echo "cmake consumer: janus::janus and janus::janus_static built and ran"
