#!/usr/bin/env python3
"""The layer rule (ARCHITECTURE.md): runtime/ < protocol/ < domains/ < client/, each including only
its own layer and those below it.

The build already refuses an upward include in a compiled file (each layer is a library that sees
only the include directories below it); this check also covers headers no source of their own
layer includes yet, and says which rule a line breaks rather than that a header was not found.
It also holds the installed headers (<layer>/janus/...) to including only installed headers
(<janus/...> or the standard library's and dependencies'), never a private one by a quoted path.

Usage: layers.py [ROOT]   exit 0 when clean, 1 with one line per finding.
"""
import os
import re
import sys

# The folders in layer order, and the include prefixes each one's headers are reached by.
LAYERS = [
    ("runtime", ("janus/rt/", "janus/rt.hpp")),
    ("protocol", ("janus/protocol/", "janus/session/", "janus/cdp/")),
    ("domains", ("janus/domains/",)),
    ("client", ("janus/client/",)),
]
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def layer_of_include(path):
    for rank, (_, prefixes) in enumerate(LAYERS):
        if path.startswith(prefixes):
            return rank
    return None


def findings(root):
    out = []
    for rank, (folder, _) in enumerate(LAYERS):
        base = os.path.join(root, folder)
        for dirpath, _, names in os.walk(base):
            for name in sorted(names):
                if not name.endswith((".hpp", ".cpp", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                installed = rel.startswith(os.path.join(folder, "janus") + os.sep)
                with open(path, encoding="utf-8", errors="replace") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        quote, target = m.groups()
                        to = layer_of_include(target)
                        if to is not None and to > rank:
                            out.append(f"{rel}:{number}: {folder}/ includes {target}, from the layer above it "
                                       f"({LAYERS[to][0]}/): layers include only downward")
                        elif installed and quote == '"' and not target.startswith("janus/"):
                            out.append(f"{rel}:{number}: installed header includes \"{target}\": an installed "
                                       "header may include only installed ones, as <janus/...>")
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    found = findings(root)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
