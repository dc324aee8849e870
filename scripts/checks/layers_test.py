#!/usr/bin/env python3
"""Tests of layers.py: it finds upward includes and private includes in installed headers, and
passes the project's own tree."""
import os
import subprocess
import sys
import tempfile
import unittest

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layers.py")
ROOT = os.path.join(os.path.dirname(CHECK), "..", "..")


def run_check(files):
    with tempfile.TemporaryDirectory() as d:
        for rel, text in files.items():
            path = os.path.join(d, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        done = subprocess.run([sys.executable, CHECK, d], capture_output=True, text=True)
        return done.returncode, done.stdout.splitlines()


class finds(unittest.TestCase):
    def test_a_domain_header_including_the_client(self):
        code, lines = run_check({"domains/janus/domains/dom.hpp": "#include <janus/client/page.hpp>\n"})
        self.assertEqual(code, 1)
        self.assertEqual(len(lines), 1)
        self.assertIn("domains/janus/domains/dom.hpp:1", lines[0])
        self.assertIn("(client/)", lines[0])

    def test_the_session_layer_including_a_domain(self):
        code, lines = run_check({"protocol/session/x.cpp": "#include <janus/rt/task.hpp>\n#include <janus/domains/dom.hpp>\n"})
        self.assertEqual(code, 1)
        self.assertEqual(len(lines), 1)
        self.assertIn("x.cpp:2", lines[0])

    def test_the_runtime_including_the_protocol(self):
        code, _ = run_check({"runtime/src/a.cpp": '#include "janus/session/cdp_session.hpp"\n'})
        self.assertEqual(code, 1)

    def test_an_installed_header_including_a_private_one(self):
        code, lines = run_check({"client/janus/client/page.hpp": '#include "../../src/page_core.hpp"\n'})
        self.assertEqual(code, 1)
        self.assertIn("installed header", lines[0])


class passes(unittest.TestCase):
    def test_downward_and_same_layer_includes(self):
        code, lines = run_check({
            "client/src/page.cpp": '#include <janus/domains/dom.hpp>\n#include "page_core.hpp"\n',
            "domains/janus/domains/dom.hpp": "#include <janus/session/cdp_session.hpp>\n#include <vector>\n",
            "protocol/janus/session/cdp_session.hpp": "#include <janus/cdp/dom.hpp>\n#include <janus/rt/task.hpp>\n",
        })
        self.assertEqual((code, lines), (0, []))

    def test_the_project(self):
        done = subprocess.run([sys.executable, CHECK, ROOT], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stdout)


if __name__ == "__main__":
    unittest.main()
