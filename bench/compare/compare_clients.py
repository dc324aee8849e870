#!/usr/bin/env python3
"""Janus against clients from the npm registry on the same work and the same headless browser.

Chromium: chrome-remote-interface.
Installs chrome-remote-interface (pinned) from the npm registry into a temporary directory, starts
one headless Chromium (its own profile, --remote-debugging-port on loopback), and runs, ROUNDS
times with the two clients alternated (odd rounds Janus first, even rounds CRI first):

  page.evaluate sequential   Runtime.evaluate {"expression":"1"} on a page session, N one at a time
  page.evaluate pipelined    the same, M in all with K in flight
  console events             the page runs a console.log loop of E; Runtime.consoleAPICalled received

Each client reports its own process CPU around each phase (getrusage's clock in janus,
process.cpuUsage() in node). Prints medians per client and the ratios Janus / CRI.

Firefox (--firefox-sequential F > 0): foxdriver (an RDP client) against one headless firefox-esr
whose debugger server listens on a loopback TCP port; page.evaluate("1 + 1") on an idle page, F
one at a time, the clients alternated the same way (Janus through `janus bench --target firefox
--connect rdp://127.0.0.1:PORT`).

Stops its browsers by pid (their process groups) and removes the profiles and the npm directory.

  bench/compare/compare_clients.py --janus build-rel/client/cli/janus [--rounds 5] [--sequential 5000]
      [--requests 20000] [--inflight 256] [--events 50000] [--firefox-sequential 300] [--json]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CRI_VERSION = "0.34.0"
FOXDRIVER_VERSION = "1.0.6"
# foxdriver requires @babel/runtime without declaring it.
FOXDRIVER_PACKAGES = ["foxdriver@" + FOXDRIVER_VERSION, "@babel/runtime@7"]
FIREFOX_PREFS = {
    "devtools.debugger.remote-enabled": "true", "devtools.chrome.enabled": "true",
    "devtools.debugger.prompt-connection": "false", "browser.shell.checkDefaultBrowser": "false",
    "browser.startup.page": "0", "browser.startup.homepage": '"about:blank"', "browser.aboutwelcome.enabled": "false",
    "browser.newtabpage.enabled": "false", "app.update.disabledForTesting": "true",
    "datareporting.policy.dataSubmissionEnabled": "false", "toolkit.telemetry.enabled": "false",
    "network.captive-portal-service.enabled": "false", "network.connectivity-service.enabled": "false",
    "browser.safebrowsing.malware.enabled": "false", "browser.safebrowsing.phishing.enabled": "false",
}
HERE = os.path.dirname(os.path.abspath(__file__))


def start_chromium(profile):
    exe = os.environ.get("JANUS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        sys.exit("compare_clients: no chromium on PATH (or $JANUS_CHROMIUM)")
    args = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    port_file = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("compare_clients: chromium exited with %s before listening" % proc.returncode)
        try:
            with open(port_file) as f:
                port = int(f.readline().strip())
            with urllib.request.urlopen("http://127.0.0.1:%d/json/version" % port, timeout=5) as r:
                return proc, port, json.load(r)["webSocketDebuggerUrl"]
        except (OSError, ValueError):
            time.sleep(0.1)
    stop(proc)
    sys.exit("compare_clients: chromium did not listen within 30 s")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_firefox(profile):
    exe = os.environ.get("JANUS_FIREFOX") or shutil.which("firefox-esr") or shutil.which("firefox")
    if not exe:
        sys.exit("compare_clients: no firefox-esr on PATH (or $JANUS_FIREFOX)")
    os.makedirs(profile)
    with open(os.path.join(profile, "user.js"), "w") as f:
        for k, v in FIREFOX_PREFS.items():
            f.write('user_pref("%s", %s);\n' % (k, v))
    port = free_port()
    proc = subprocess.Popen([exe, "--headless", "--no-remote", "--new-instance", "--profile", profile,
                             "--start-debugger-server", str(port), "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("compare_clients: firefox exited with %s before listening" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as c:
                if c.recv(64):  # the root actor's greeting
                    time.sleep(1)  # let the first tab settle
                    return proc, port
        except OSError:
            time.sleep(0.2)
    stop(proc)
    sys.exit("compare_clients: firefox's debugger server did not answer within 60 s")


def stop(proc):
    """Ends the Chromium this script started: its process group (renderers too), by its pid."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # helpers that outlived the leader
    except ProcessLookupError:
        pass


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if r.returncode != 0:
        sys.exit("compare_clients: %s failed (%d): %s" % (cmd[0], r.returncode, r.stderr.strip()))
    return json_lines(r.stdout)


def alternate(rounds, clients, results, label):
    """Runs each client once per round, the order reversed every other round, so that neither
    always runs on the browser the other has just warmed up."""
    for r in range(1, rounds + 1):
        order = clients if r % 2 else list(reversed(clients))
        for name, cmd, env in order:
            print("%s %d/%d: %s" % (label, r, rounds, name), file=sys.stderr)
            results[name].append(run(cmd, env))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--janus", required=True, help="the janus binary (a release build)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sequential", type=int, default=5000)
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--inflight", type=int, default=256)
    ap.add_argument("--events", type=int, default=50000)
    ap.add_argument("--firefox-sequential", type=int, default=300, help="0: no Firefox comparison")
    ap.add_argument("--json", action="store_true", help="the medians as JSON lines")
    o = ap.parse_args()

    work = tempfile.mkdtemp(prefix="janus-compare-")
    proc = None
    ff = None
    fx = {"janus": [], "foxdriver": []}
    try:
        npm = subprocess.run(["npm", "install", "--prefix", work, "--no-audit", "--no-fund", "--no-save",
                              "chrome-remote-interface@" + CRI_VERSION], capture_output=True, text=True, timeout=300)
        if npm.returncode != 0:
            sys.exit("compare_clients: npm install chrome-remote-interface@%s failed: %s" % (CRI_VERSION, npm.stderr.strip()))
        node_env = dict(os.environ, NODE_PATH=os.path.join(work, "node_modules"))
        proc, port, ws_url = start_chromium(os.path.join(work, "profile"))
        sizes = ["--sequential", str(o.sequential), "--requests", str(o.requests), "--inflight", str(o.inflight),
                 "--events", str(o.events)]
        janus_cmd = [o.janus, "bench", "--target", "chromium", "--connect", ws_url, "--workload", "page.evaluate,console",
                     "--runs", "1", "--json"] + sizes
        cri_cmd = ["node", os.path.join(HERE, "cri_bench.js"), "--port", str(port)] + sizes
        results = {"janus": [], "cri": []}
        alternate(o.rounds, [("janus", janus_cmd, None), ("cri", cri_cmd, node_env)], results, "round")
        stop(proc)
        proc = None
        if o.firefox_sequential > 0:
            npm = subprocess.run(["npm", "install", "--prefix", work, "--no-audit", "--no-fund", "--no-save"] +
                                 FOXDRIVER_PACKAGES, capture_output=True, text=True, timeout=300)
            if npm.returncode != 0:
                sys.exit("compare_clients: npm install %s failed: %s" % (" ".join(FOXDRIVER_PACKAGES), npm.stderr.strip()))
            ff, ff_port = start_firefox(os.path.join(work, "firefox-profile"))
            janus_ff = [o.janus, "bench", "--target", "firefox", "--connect", "rdp://127.0.0.1:%d" % ff_port,
                        "--workload", "page.evaluate", "--sequential", str(o.firefox_sequential), "--requests", "1000",
                        "--inflight", "16", "--runs", "1", "--json"]
            fox_cmd = ["node", os.path.join(HERE, "foxdriver_bench.js"), "--port", str(ff_port),
                       "--sequential", str(o.firefox_sequential)]
            alternate(o.rounds, [("janus", janus_ff, None), ("foxdriver", fox_cmd, node_env)], fx, "firefox round")
    finally:
        if proc:
            stop(proc)
        if ff:
            stop(ff)
        shutil.rmtree(work, ignore_errors=True)

    def medians(rounds):
        by = {}
        for lines in rounds:
            for d in lines:
                by.setdefault((d["workload"], d["mode"]), []).append(d)
        out = {}
        for key, ds in by.items():
            m = {k: statistics.median(d[k] for d in ds) for k in ("per_s", "cpu_us_per_op")}
            if "latency_p50_us" in ds[0]:
                m["latency_p50_us"] = statistics.median(d["latency_p50_us"] for d in ds)
                m["latency_p99_us"] = statistics.median(d["latency_p99_us"] for d in ds)
            out[key] = m
        return out

    j, c = medians(results["janus"]), medians(results["cri"])
    fj, ffox = medians(fx["janus"]), medians(fx["foxdriver"])
    seq_key = ("page.evaluate", "sequential")
    rows = [("page.evaluate", "sequential"), ("page.evaluate", "pipelined"), ("console", "events")]
    if o.json:
        for key in rows:
            print(json.dumps({"workload": key[0], "mode": key[1], "rounds": o.rounds, "janus": j[key], "cri": c[key],
                              "throughput_ratio": j[key]["per_s"] / c[key]["per_s"],
                              "cpu_ratio": j[key]["cpu_us_per_op"] / c[key]["cpu_us_per_op"]}))
        if fj:
            print(json.dumps({"target": "firefox", "workload": "page.evaluate", "mode": "sequential", "rounds": o.rounds,
                              "janus": fj[seq_key], "foxdriver": ffox[seq_key]}))
        return
    print("Janus (WebSocket, 1 worker) vs chrome-remote-interface %s, same headless Chromium, "
          "medians of %d rounds (clients alternated)" % (CRI_VERSION, o.rounds))
    print("| workload | Janus /s | CRI /s | Janus / CRI | Janus CPU µs/op | CRI CPU µs/op | Janus / CRI (CPU) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    labels = {rows[0]: "evaluate sequential (%d)" % o.sequential,
              rows[1]: "evaluate pipelined (%d, %d in flight)" % (o.requests, o.inflight),
              rows[2]: "console events (%d)" % o.events}
    for key in rows:
        print("| %s | %.0f | %.0f | %.2f | %.1f | %.1f | %.2f |" % (
            labels[key], j[key]["per_s"], c[key]["per_s"], j[key]["per_s"] / c[key]["per_s"], j[key]["cpu_us_per_op"],
            c[key]["cpu_us_per_op"], j[key]["cpu_us_per_op"] / c[key]["cpu_us_per_op"]))
    seq = rows[0]
    print("sequential latency p50/p99: Janus %.0f/%.0f µs, CRI %.0f/%.0f µs" % (
        j[seq]["latency_p50_us"], j[seq]["latency_p99_us"], c[seq]["latency_p50_us"], c[seq]["latency_p99_us"]))

    if fj:
        a, b = fj[seq_key], ffox[seq_key]
        print()
        print("Firefox over TCP (firefox-esr --start-debugger-server), page.evaluate(\"1 + 1\") on an idle page, "
              "%d one at a time, medians of %d rounds (clients alternated)" % (o.firefox_sequential, o.rounds))
        print("| client | evaluate /s | p50 ms | p99 ms | CPU µs/op |")
        print("|---|---:|---:|---:|---:|")
        for name, m in (("Janus (connect rdp://, TCP)", a), ("foxdriver " + FOXDRIVER_VERSION, b)):
            print("| %s | %.0f | %.2f | %.2f | %.1f |" % (name, m["per_s"], m["latency_p50_us"] / 1000,
                                                         m["latency_p99_us"] / 1000, m["cpu_us_per_op"]))


if __name__ == "__main__":
    main()
