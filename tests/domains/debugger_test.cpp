// The Debugger and Performance domain actors against real Chromium: the script registry from
// scriptParsed, a breakpoint hit, pause state, resume; and the page's metrics.
#include "browser_fixture.hpp"

#include <janus/domains/debugger.hpp>
#include <janus/domains/performance.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <thread>

using namespace janus;
using namespace std::chrono_literals;
using janus::domains::breakpoint_spec;
using janus::domains::debugger;
using janus::domains::performance;

namespace {

constexpr const char* lib_js =
    "function add(a, b) {\n"       // line 0
    "  const sum = a + b;\n"       // line 1
    "  window.lastSum = sum;\n"    // line 2
    "  return sum;\n"              // line 3
    "}\n";

}  // namespace

TEST_CASE("debugger: scripts registry, a breakpoint hit, resume", "[debugger][browser]") {
  janus_test::browser_fixture f;
  f.http->route("/lib.js", protocol::http_response(200, lib_js, "text/javascript"));
  f.http->route("/p.html", protocol::http_response(200, "<!doctype html><script src=\"/lib.js\"></script><p>x</p>", "text/html"));
  debugger dbg = debugger::start(f.sched, f.page);
  REQUIRE(f.run(dbg.enable()));
  REQUIRE(f.navigate(f.http->url("/p.html")));

  const std::string lib_url = f.http->url("/lib.js");
  std::string lib_id;
  for (int i = 0; i < 100 && lib_id.empty(); ++i) {
    auto scripts = f.run(dbg.scripts());
    REQUIRE(scripts);
    for (const auto& s : *scripts)
      if (s.url == lib_url) lib_id = s.script_id;
    if (lib_id.empty()) std::this_thread::sleep_for(20ms);
  }
  REQUIRE_FALSE(lib_id.empty());
  auto src = f.run(dbg.source(lib_id));
  REQUIRE(src);
  CHECK(*src == lib_js);

  breakpoint_spec spec;
  spec.url = lib_url;
  spec.line = 2;
  auto bp = f.run(dbg.set_breakpoint(spec));
  REQUIRE(bp);
  CHECK_FALSE(bp->id.empty());
  REQUIRE(bp->locations.size() == 1);
  CHECK(bp->locations[0].script_id == lib_id);
  CHECK(bp->locations[0].line == 2);

  auto none = f.run(dbg.pause_state());
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  // Called from a timer: an evaluate that hit the breakpoint itself would wait for the resume.
  REQUIRE(f.eval("setTimeout(() => add(2, 3), 0); true"));
  auto paused = f.run(dbg.wait_paused(rt::deadline(10s)));
  REQUIRE(paused);
  REQUIRE_FALSE(paused->frames.empty());
  CHECK(paused->frames[0].function_name == "add");
  CHECK(paused->frames[0].location.line == 2);
  CHECK(paused->frames[0].url == lib_url);
  CHECK(std::find(paused->hit_breakpoints.begin(), paused->hit_breakpoints.end(), bp->id) != paused->hit_breakpoints.end());
  auto state = f.run(dbg.pause_state());
  REQUIRE(state);
  CHECK(state->has_value());

  REQUIRE(f.run(dbg.remove_breakpoint(bp->id)));
  REQUIRE(f.run(dbg.resume()));
  CHECK(f.wait_for("window.lastSum === 5", 5s));
  auto after = f.run(dbg.pause_state());
  REQUIRE(after);
  CHECK_FALSE(after->has_value());
  auto st = f.run(dbg.stats());
  REQUIRE(st);
  CHECK(st->pauses == 1);
  CHECK_FALSE(st->paused);

  // Not paused any more, and no breakpoint: waiting times out as a value.
  auto waited = f.run(dbg.wait_paused(rt::deadline(200ms)));
  CHECK(waited.code() == rt::errc::timeout);

  // A navigation clears the registry; the new document's scripts come in again.
  REQUIRE(f.navigate(f.http->url("/p.html")));
  bool again = false;
  for (int i = 0; i < 100 && !again; ++i) {
    auto scripts = f.run(dbg.scripts());
    REQUIRE(scripts);
    again = std::any_of(scripts->begin(), scripts->end(), [&](const auto& s) { return s.url == lib_url && s.script_id != lib_id; });
    if (!again) std::this_thread::sleep_for(20ms);
  }
  CHECK(again);
}

TEST_CASE("performance: the page's metrics", "[performance][browser]") {
  janus_test::browser_fixture f;
  f.http->route("/p.html", protocol::http_response(200, "<!doctype html><ul><li>a<li>b<li>c</ul>", "text/html"));
  REQUIRE(f.navigate(f.http->url("/p.html")));
  performance perf = performance::start(f.sched, f.page);
  auto none = f.run(perf.last());
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  auto m = f.run(perf.metrics());
  REQUIRE(m);
  REQUIRE(m->value("Nodes"));
  CHECK(*m->value("Nodes") >= 8);
  REQUIRE(m->value("JSHeapUsedSize"));
  CHECK(*m->value("JSHeapUsedSize") > 0);
  CHECK_FALSE(m->value("NoSuchMetric"));
  auto kept = f.run(perf.last());
  REQUIRE(kept);
  REQUIRE(kept->has_value());
  CHECK((*kept)->values.size() == m->values.size());
}
