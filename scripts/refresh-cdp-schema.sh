#!/usr/bin/env bash
# Refreshes protocol/cdp/browser_protocol.json from the installed Chromium's own description of CDP
# (GET /json/protocol), and records the browser it came from in protocol/cdp/browser_version.json.
#
# The generated bindings follow whatever browser the schema was taken from, so refresh it when the
# Chromium that Janus targets changes, rebuild, and read the diff: a removed command or a field that
# became required is a source break for users of the typed API.
#
# Usage: scripts/refresh-cdp-schema.sh [path-to-chromium]   (default: $CHROMIUM, then chromium on PATH)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out_dir="$root/protocol/cdp"
browser=${1:-${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}}
if [[ -z "$browser" ]]; then
  echo "refresh-cdp-schema: no chromium found; pass its path or set CHROMIUM" >&2
  exit 1
fi

profile=$(mktemp -d)
log=$(mktemp)
pid=
cleanup() {
  # Only the browser this script started is stopped; its profile and log go with it.
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$profile" "$log"
}
trap cleanup EXIT

# Port 0 lets the browser pick a free port; it prints the one it chose on stderr.
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --remote-debugging-port=0 about:blank 2>"$log" >/dev/null &
pid=$!

port=
for _ in $(seq 1 200); do
  port=$(sed -n 's#^DevTools listening on ws://127\.0\.0\.1:\([0-9]*\)/.*#\1#p' "$log" | head -n1)
  [[ -n "$port" ]] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "refresh-cdp-schema: browser exited" >&2; exit 1; }
  sleep 0.05
done
if [[ -z "$port" ]]; then
  echo "refresh-cdp-schema: browser printed no DevTools address within 10 s" >&2
  exit 1
fi

tmp_proto=$(mktemp)
tmp_version=$(mktemp)
trap 'rm -f "$tmp_proto" "$tmp_version"; cleanup' EXIT
curl -fsS "http://127.0.0.1:$port/json/protocol" -o "$tmp_proto"
curl -fsS "http://127.0.0.1:$port/json/version" -o "$tmp_version"

# Normalise both files (stable indentation, no per-run fields) so a refresh from the same browser
# is a no-op in git, and report what the schema holds.
python3 - "$tmp_proto" "$tmp_version" "$out_dir" <<'PY'
import json, sys
proto_path, version_path, out_dir = sys.argv[1:4]
with open(proto_path, encoding="utf-8") as f:
    proto = json.load(f)
with open(version_path, encoding="utf-8") as f:
    version = json.load(f)
# webSocketDebuggerUrl names this run's port and browser id: not part of what the schema came from.
version.pop("webSocketDebuggerUrl", None)
with open(f"{out_dir}/browser_protocol.json", "w", encoding="utf-8") as f:
    json.dump(proto, f, indent=1, ensure_ascii=False)
    f.write("\n")
with open(f"{out_dir}/browser_version.json", "w", encoding="utf-8") as f:
    json.dump(version, f, indent=1, ensure_ascii=False, sort_keys=True)
    f.write("\n")
domains = proto["domains"]
count = lambda key: sum(len(d.get(key, [])) for d in domains)
print(f"{version.get('Browser')} (protocol {proto['version']['major']}.{proto['version']['minor']}): "
      f"{len(domains)} domains, {count('commands')} commands, {count('events')} events, {count('types')} types")
PY

# A schema the generator cannot map (a new naming collision, a new kind of type) should fail here,
# not in the next build.
python3 "$root/protocol/cdp/generate.py" "$out_dir/browser_protocol.json" --list >/dev/null
