#!/usr/bin/env python3
"""Tests of coroutine_hazards.py: it finds the shapes that crashed Janus, and only those."""
import os
import subprocess
import sys
import tempfile
import unittest

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "coroutine_hazards.py")

# A coroutine type of its own, so the fixtures do not depend on the project's sources.
TASK = """
namespace rt {
template <class T> class [[nodiscard]] task {
 public:
  struct promise_type {};
};
struct deadline { deadline(int) {} };
enum class overflow { block, drop };
}
"""


def run_check(source):
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "task.hpp"), "w") as f:
            f.write(TASK)
        path = os.path.join(d, "case.hpp")
        with open(path, "w") as f:
            f.write(source)
        done = subprocess.run([sys.executable, CHECK, d], capture_output=True, text=True, cwd=d)
        return done.returncode, [line for line in done.stdout.splitlines() if "case.hpp" in line]


class finds(unittest.TestCase):
    def assert_found(self, source, count=1):
        code, lines = run_check(source)
        self.assertEqual(code, 1, f"not found in:\n{source}")
        self.assertEqual(len(lines), count, "\n".join(lines))

    def test_static_member_with_options_struct(self):  # cdp_connection::connect, browser::connect
        self.assert_found("""struct connection_options { int x; };
class cdp_connection {
  static rt::task<int> connect(int& s, std::string url,
                               connection_options options = {}, connect_policy policy = {});
};""", count=2)

    def test_free_function_declaration(self):  # launch_chromium
        self.assert_found("rt::task<rt::result<int>> launch_chromium(rt::scheduler& s, launch_options options = {});")

    def test_deadline_and_string_defaults(self):  # browser::new_page, the domain calls
        self.assert_found("""class browser {
  rt::task<rt::result<page>> new_page(std::string url = "about:blank", std::string context = {},
                                      rt::deadline d = std::chrono::seconds(30)) const;
};""", count=3)

    def test_inline_template_member_definition(self):  # cdp_session::on
        self.assert_found("""class cdp_session {
  template <class E>
  rt::task<rt::result<E>> on(event_options options = {}) const {
    auto raw = co_await subscribe(std::move(options));
    co_return raw;
  }
};""")

    def test_body_with_co_await_whatever_it_returns(self):  # a coroutine of another return type
        self.assert_found("""detached run(std::string name = "x") {
  co_await something();
}""")

    def test_trailing_return_type(self):
        self.assert_found("auto f(std::vector<int> v = {}) -> rt::task<void>;")

    def test_const_reference_default(self):
        self.assert_found("rt::task<void> f(const std::string& s = std::string());")

    def test_qualified_class_type(self):
        self.assert_found("rt::task<void> settle(std::chrono::milliseconds quiet = std::chrono::milliseconds(100));")

    def test_conditional_making_a_string_in_co_await(self):  # janus --connect: open_page
        self.assert_found("""rt::task<void> open(bool firefox, std::string connect) {
  auto b = co_await connect_to(firefox ? "rdp://" + connect : connect, 1);
}""")

    def test_conditional_with_a_call_in_co_await(self):
        self.assert_found("""rt::task<void> f(bool busy) {
  co_await wake.next(rt::deadline(busy ? std::min(a, b) : a));
}""")

    def test_braced_owning_aggregate_in_co_await(self):  # connection_options{} in open_page
        self.assert_found("""struct connection_options { std::string name = "cdp"; };
struct call_options { rt::deadline deadline; token cancel; };
class token { std::shared_ptr<int> s_; };
rt::task<void> f() {
  co_await connect(sched, url, connection_options{});
  co_await s.call("x", "{}", call_options{.deadline = d, .cancel = {}});
}""", count=2)


class allows(unittest.TestCase):
    def assert_clean(self, source):
        code, lines = run_check(source)
        self.assertEqual(code, 0, "\n".join(lines))
        self.assertEqual(lines, [])

    def test_scalar_and_enum_defaults(self):
        self.assert_clean("""rt::task<void> subscribe(std::size_t capacity = 1024, rt::overflow policy = rt::overflow::block,
                          bool replay = false, const char* name = nullptr, double x = 1.5);""")

    def test_overloads(self):
        self.assert_clean("""class dom {
  rt::task<int> enable(rt::deadline d) const;
  rt::task<int> enable() const { return enable(std::chrono::seconds(20)); }
};""")

    def test_plain_functions_may_default(self):
        self.assert_clean("""result<int> open_pipe(int fd, connection_options options = {});
spec make(std::string method, std::function<bool()> filter = {}) { return {}; }""")

    def test_comments_and_strings_do_not_count(self):
        self.assert_clean("""// rt::task<void> f(std::string s = {});
const char* doc = "rt::task<void> g(std::string s = {});";""")

    def test_comparison_is_not_a_default(self):
        self.assert_clean("""rt::task<void> f(std::string s) {
  if (s == std::string()) co_return;
  co_await g(s.size() >= 1, s != "x");
}""")


    def test_simple_conditional_and_trivial_aggregates_in_co_await(self):
        self.assert_clean("""struct get_stats {};
struct node_ref { long id; int generation; };
rt::task<void> f(bool element, int depth) {
  co_await walk(dom, node_ref{c, g}, element ? depth + 1 : depth);
  co_await ref.ask(get_stats{}, d);
  co_await tab.evaluate(std::string(back ? "history.back()" : "history.forward()"), d);
}""")

    def test_values_built_before_the_co_await(self):
        self.assert_clean("""struct connection_options { std::string name = "cdp"; };
rt::task<void> f(bool firefox, std::string c) {
  std::string url = firefox ? "rdp://" + c : c;
  connection_options options{};
  co_await connect(sched, std::move(url), std::move(options));
}""")


class project(unittest.TestCase):
    def test_the_sources_are_clean(self):
        root = os.path.normpath(os.path.join(os.path.dirname(CHECK), "..", ".."))
        done = subprocess.run([sys.executable, CHECK], capture_output=True, text=True, cwd=root)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)


if __name__ == "__main__":
    unittest.main()
