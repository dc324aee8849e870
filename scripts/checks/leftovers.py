#!/usr/bin/env python3
"""What a run left behind on this machine: browser processes and browser or Janus temp entries.

  leftovers.py snapshot FILE   record what is there now (before the tests)
  leftovers.py check FILE      fail (exit 1) when a browser process or a temp entry of a known kind
                               exists now that was not in FILE; other new temp entries are listed
                               without failing

CI (.ci/run) takes a snapshot before the first phase and checks after the phases that start
browsers. It reads the real machine (/proc and the temp directory), not what the tests believe they
cleaned: a browser that a test SIGKILLed kept writing into /tmp (org.chromium.Chromium.* were left by
each CI run for weeks before this check), and a process outliving its test is found only here.
Processes exiting on their own get a few seconds' grace before they count.
"""
import os
import sys
import tempfile
import time

# Executables of the browsers (and their helpers) that the tests start, by the real file /proc gives.
BROWSER_DIRS = ("/usr/lib/chromium/", "/usr/lib/firefox-esr/", "/usr/lib/firefox/")
# Temp entries that only a browser or Janus makes: always a leak when new.
KNOWN_PREFIXES = ("org.chromium.", ".org.chromium.", "janus-", "rust_mozprofile", "remote-settings-startup-bundle",
                  "Temp-", "mozilla-temp-", "firefox_")
GRACE_SECONDS = float(os.environ.get("JANUS_LEFTOVERS_GRACE", "5"))


def temp_root():
    return tempfile.gettempdir()


def temp_entries():
    try:
        return set(os.listdir(temp_root()))
    except OSError:
        return set()


def browser_processes():
    """pid -> (exe, command line) of every running browser process."""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{name}/exe")
            if not exe.startswith(BROWSER_DIRS):
                continue
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open(f"/proc/{name}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state == "Z":  # exited, not yet reaped: nothing of it runs
                continue
            found[int(name)] = (exe, cmd[:200])
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


# The snapshot is plain lines, "temp NAME" and "pid N", so that .ci/run can write it in bash before
# the packages (python3 among them) are installed.
def snapshot(path):
    with open(path, "w") as f:
        for e in sorted(temp_entries()):
            f.write(f"temp {e}\n")
        for p in sorted(browser_processes()):
            f.write(f"pid {p}\n")
    return 0


def check(path):
    old_temp, old_pids = set(), set()
    with open(path) as f:
        for line in f:
            kind, _, value = line.rstrip("\n").partition(" ")
            if kind == "temp":
                old_temp.add(value)
            elif kind == "pid":
                old_pids.add(int(value))
    deadline = time.monotonic() + GRACE_SECONDS
    while True:
        procs = {p: v for p, v in browser_processes().items() if p not in old_pids}
        new_temp = temp_entries() - old_temp
        known = sorted(e for e in new_temp if e.startswith(KNOWN_PREFIXES))
        if (not procs and not known) or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    for e in sorted(new_temp - set(known)):
        print(f"leftovers: note: new in {temp_root()}: {e} (not a kind this check knows)")
    for pid, (exe, cmd) in sorted(procs.items()):
        print(f"leftovers: browser process {pid} still running: {cmd or exe}")
    for e in known:
        print(f"leftovers: left in {temp_root()}: {e}")
    if procs or known:
        print(f"leftovers: {len(procs)} browser processes and {len(known)} temp entries left behind")
        return 1
    print("leftovers: no browser process and no browser or Janus temp entry left")
    return 0


def main(argv):
    if len(argv) != 3 or argv[1] not in ("snapshot", "check"):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: leftovers.py snapshot|check FILE", file=sys.stderr)
        return 2
    return snapshot(argv[2]) if argv[1] == "snapshot" else check(argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
