#!/usr/bin/env bash
# Installs this build into a scratch DESTDIR, then builds examples/consumer the way a user without
# meson would: with nothing but `pkg-config janus`. Checks, against the installed tree only:
#   - every installed public header compiles, without warnings, with janus.pc's Cflags (none needs
#     a private header or a flag the .pc does not carry);
#   - the consumer links against libjanus.so and runs;
#   - the consumer links against libjanus.a using `pkg-config --static` and runs.
# Usage: pkgconfig_consumer.sh BUILD_ROOT CONSUMER_SRC_DIR   (env: CXX, MESON, PKG_CONFIG)
set -euo pipefail

build_root=$1
consumer_src=$2
read -r -a cxx <<<"${CXX:-c++}"
meson=${MESON:-meson}
pkg_config=${PKG_CONFIG:-pkg-config}

work=$(mktemp -d "${TMPDIR:-/tmp}/janus-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

# meson install first brings the whole build up to date: a selection such as
# `--suite runtime --suite install` has built only what its tests link. That ninja run cannot race
# with another test, as the install tests are registered with is_parallel: false.
"$meson" install -C "$build_root" --quiet --destdir "$root"

pc_file=$(find "$root" -path '*/pkgconfig/janus.pc' -print -quit)
if [[ -z $pc_file ]]; then
  echo "FAIL: meson install put no janus.pc under $root" >&2
  exit 1
fi
echo "installed: ${pc_file#"$root"}"

# janus.pc is relocatable (prefix=${pcfiledir}/...), so pointing pkg-config at the staged copy is
# enough: no sysroot, which would also rewrite the paths of fmt.pc and simdjson.pc.
export PKG_CONFIG_PATH=${pc_file%/janus.pc}
read -r -a cflags <<<"$("$pkg_config" --cflags janus)"
read -r -a libs <<<"$("$pkg_config" --libs janus)"
read -r -a static_libs <<<"$("$pkg_config" --static --libs janus)"
libdir=$("$pkg_config" --variable=libdir janus)
includedir=$("$pkg_config" --variable=includedir janus)
case $libdir/$includedir in
  "$root"/*/"$root"/*) ;;
  *) echo "FAIL: janus.pc does not resolve into the staged install: $libdir $includedir" >&2; exit 1 ;;
esac
echo "cflags: ${cflags[*]}"
echo "libs:   ${libs[*]}"

header_tu=$work/all_headers.cpp
(cd "$includedir" && find janus -name '*.hpp' -printf '#include <%p>\n' | sort) >"$header_tu"
if [[ ! -s $header_tu ]]; then
  echo "FAIL: no public headers installed under $includedir/janus" >&2
  exit 1
fi
# A consumer sees our headers through -I, not -isystem, so they must also be free of warnings.
echo "compiling $(wc -l <"$header_tu") installed headers with janus.pc's flags only"
"${cxx[@]}" -std=c++20 -Wall -Wextra -Wpedantic -Werror "${cflags[@]}" -fsyntax-only "$header_tu"

"${cxx[@]}" -std=c++20 "${cflags[@]}" -o "$work/consumer_shared" "$consumer_src/main.cpp" "${libs[@]}"
LD_LIBRARY_PATH=$libdir "$work/consumer_shared"

# -Bstatic around -ljanus picks libjanus.a; everything --static adds after it stays dynamic, and
# --as-needed drops the second -ljanus (the .so) once the archive has resolved every symbol.
"${cxx[@]}" -std=c++20 "${cflags[@]}" -o "$work/consumer_static" "$consumer_src/main.cpp" \
  -Wl,--as-needed -Wl,-Bstatic -ljanus -Wl,-Bdynamic "${static_libs[@]}"
if readelf -d "$work/consumer_static" | grep -q 'NEEDED.*libjanus'; then
  echo "FAIL: consumer_static still needs libjanus.so" >&2
  exit 1
fi
env -u LD_LIBRARY_PATH "$work/consumer_static"
echo "pkg-config consumer: shared and static builds ran"
