# Shared by scripts/test.sh and scripts/run.sh (sourced, not run): install the Debian packages
# Janus needs when any is missing, and configure a build directory.
# shellcheck shell=bash

packages=(meson ninja-build pkg-config g++ libasio-dev libwebsocketpp-dev libsimdjson-dev libfmt-dev
          catch2 chromium firefox-esr clang libclang-rt-14-dev python3 cmake)

install_missing_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
      missing+=("$p")
    fi
  done
  ((${#missing[@]} == 0)) && return 0
  echo "test.sh: installing missing packages: ${missing[*]}"
  local as_root=()
  if [[ $(id -u) -ne 0 ]]; then as_root=(sudo); fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" </dev/null
}

# A build dir configured by another meson, compiler, setup arguments or project() default_options
# (which a reconfigure ignores) is wiped and configured again. Any other change is left to ninja's
# own regeneration check, so editing a meson.build does not cost a full rebuild.
configure() {
  local dir=$1 stamp_file=$1/.janus-setup-stamp stamp
  stamp=$({ printf '%s\n' "$(meson --version)" "${CXX:-}" "${CC:-}" "${JANUS_SETUP_ARGS:-}"
            sed -n '/^project(/,/^ *])/p' meson.build
            cat meson_options.txt; } | sha256sum)
  local setup_args=()
  read -r -a setup_args <<<"${JANUS_SETUP_ARGS:-}"
  if [[ -f $dir/build.ninja && -f $stamp_file && $(<"$stamp_file") == "$stamp" ]]; then
    return 0
  elif [[ -d $dir/meson-private ]]; then
    echo "test.sh: $dir was configured differently; wiping it"
    meson setup --wipe "$dir" "${setup_args[@]}"
  else
    meson setup "$dir" "${setup_args[@]}"
  fi
  printf '%s\n' "$stamp" >"$stamp_file"
}

