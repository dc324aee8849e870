#!/usr/bin/env python3
"""The bare baseline for Firefox evaluate latency: evaluateJSAsync "1 + 1" to a tab's console actor
and its evaluationResult, over a plain socket, one at a time, no library. TCP with TCP_NODELAY and
TCP_QUICKACK re-armed after every read (what the browser takes), or a Unix socket.

  bench/compare/rdp_bare.py --port 6000 [--count 500]        # TCP, 127.0.0.1
  bench/compare/rdp_bare.py --unix /path/debugger.sock [--count 500]
Prints one JSON line: per_s, latency_p50_us, latency_p99_us.
"""
import argparse
import json
import socket
import time

QUICKACK = getattr(socket, "TCP_QUICKACK", None)


class Rdp:
    def __init__(self, sock, tcp):
        self.s, self.tcp, self.buf = sock, tcp, b""

    def packet(self):
        while True:
            colon = self.buf.find(b":")
            if colon > 0:
                n = int(self.buf[:colon])
                if len(self.buf) >= colon + 1 + n:
                    body = self.buf[colon + 1:colon + 1 + n]
                    self.buf = self.buf[colon + 1 + n:]
                    return json.loads(body)
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("the debugger server closed the connection")
            if self.tcp and QUICKACK is not None:
                self.s.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
            self.buf += chunk

    def send(self, msg):
        b = json.dumps(msg).encode()
        self.s.sendall(str(len(b)).encode() + b":" + b)

    def request(self, to, type_, **kw):
        self.send(dict(to=to, type=type_, **kw))
        while True:
            p = self.packet()
            if p.get("from") == to and "type" not in p or p.get("from") == to and p.get("type") not in (
                    "evaluationResult", "tabNavigated", "frameUpdate", "newSource", "tabListChanged",
                    "resources-available-array", "resources-updated-array", "resources-destroyed-array",
                    "target-available-form", "target-destroyed-form", "workerListChanged"):
                return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int)
    ap.add_argument("--unix")
    ap.add_argument("--count", type=int, default=500)
    o = ap.parse_args()
    if o.unix:
        s = socket.socket(socket.AF_UNIX)
        s.connect(o.unix)
    else:
        s = socket.create_connection(("127.0.0.1", o.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c = Rdp(s, not o.unix)
    c.packet()  # greeting
    tab = c.request("root", "listTabs")["tabs"][0]["actor"]
    console = c.request(tab, "getTarget")["frame"]["consoleActor"]

    def evaluate():
        c.send({"to": console, "type": "evaluateJSAsync", "text": "1 + 1"})
        while True:
            p = c.packet()
            if p.get("type") == "evaluationResult" and p.get("from") == console:
                return p["result"]

    assert evaluate() == 2
    lat = []
    t0 = time.perf_counter()
    for _ in range(o.count):
        s0 = time.perf_counter()
        evaluate()
        lat.append((time.perf_counter() - s0) * 1e6)
    secs = time.perf_counter() - t0
    lat.sort()
    pick = lambda p: lat[min(len(lat) - 1, round(p * (len(lat) - 1)))]
    print(json.dumps({"client": "bare RDP (python)", "transport": "unix" if o.unix else "tcp", "n": o.count,
                      "per_s": o.count / secs, "latency_p50_us": pick(0.5), "latency_p99_us": pick(0.99)}))


if __name__ == "__main__":
    main()
