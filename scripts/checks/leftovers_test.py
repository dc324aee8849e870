#!/usr/bin/env python3
"""The leftovers check fails on what it names, and only on that (run by meson, suite 'checks').

It runs leftovers.py with TMPDIR pointing at a directory of its own, so it plants entries there
instead of in the machine's temp directory.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "leftovers.py")


def run(mode, snap, tmp):
    env = dict(os.environ, TMPDIR=tmp, JANUS_LEFTOVERS_GRACE="0.3")
    return subprocess.run([sys.executable, CHECK, mode, snap], env=env, capture_output=True, text=True, timeout=60)


def main():
    failures = []
    with tempfile.TemporaryDirectory() as outer:
        tmp = os.path.join(outer, "tmp")
        os.mkdir(tmp)
        os.mkdir(os.path.join(tmp, "org.chromium.Chromium.before"))  # there before: not this run's
        snap = os.path.join(outer, "snapshot")
        if run("snapshot", snap, tmp).returncode != 0:
            failures.append("snapshot failed")
        r = run("check", snap, tmp)
        if r.returncode != 0:
            failures.append(f"clean temp dir reported: {r.stdout}")
        os.mkdir(os.path.join(tmp, "unrelated-entry"))
        r = run("check", snap, tmp)
        if r.returncode != 0 or "unrelated-entry" not in r.stdout:
            failures.append(f"an unknown new entry must be listed, not fail: rc {r.returncode}: {r.stdout}")
        for planted in ("org.chromium.Chromium.Xy12Ab", "janus-chromium-123", "remote-settings-startup-bundle-"):
            path = os.path.join(tmp, planted)
            os.mkdir(path)
            r = run("check", snap, tmp)
            if r.returncode != 1 or planted not in r.stdout:
                failures.append(f"{planted} not caught: rc {r.returncode}: {r.stdout}")
            os.rmdir(path)
    for f in failures:
        print("leftovers_test: " + f)
    print(f"leftovers_test: {'FAILED' if failures else 'passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
