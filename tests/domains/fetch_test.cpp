// Request interception against real Chromium: requests matching the patterns are fulfilled, failed
// or let through (changed) by the handler; the server sees exactly the ones let through.
#include "browser_fixture.hpp"

#include <janus/domains/fetch.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using namespace janus;
using namespace std::chrono_literals;
using janus::domains::decision;
using janus::domains::interceptor;
using janus::domains::paused_request;

namespace {

bool ends_with(const std::string& s, std::string_view tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

TEST_CASE("interception fulfills, fails and lets through (changed) what the patterns match", "[fetch][browser]") {
  janus_test::browser_fixture f;
  f.http->route("/page.html", protocol::http_response(200, "<!doctype html><p>page</p>", "text/html"));
  f.http->route("/api/through", protocol::http_response(200, "from the server", "text/plain"));
  f.http->route("/api/renamed", protocol::http_response(200, "renamed target", "text/plain"));
  f.http->route("/api/echo-header", protocol::http_response(200, "echo", "text/plain"));
  f.http->route("/plain.txt", protocol::http_response(200, "not intercepted", "text/plain"));
  REQUIRE(f.navigate(f.http->url("/page.html")));
  f.http->clear_served();

  domains::intercept_options o;
  domains::intercept_pattern api;
  api.url_pattern = "*/api/*";
  o.patterns = {api};
  interceptor icpt = interceptor::start(f.sched, f.page, o, [](const paused_request& r) {
    if (ends_with(r.url, "/api/fake")) {
      decision d = decision::fulfill(201, "{\"fake\":true}", "application/json");
      d.response_headers.emplace_back("X-Janus", "yes");
      return d;
    }
    if (ends_with(r.url, "/api/blocked")) return decision::fail("BlockedByClient");
    if (ends_with(r.url, "/api/rename-me")) {
      decision d = decision::go_on();
      d.url = r.url.substr(0, r.url.size() - std::string("rename-me").size()) + "renamed";
      return d;
    }
    if (ends_with(r.url, "/api/binary")) return decision::fulfill(200, std::string("\0\1\2\xff", 4), "application/octet-stream");
    if (r.url.find("/api/throw") != std::string::npos) throw std::runtime_error("handler bug");
    return decision::go_on();
  });
  REQUIRE(f.run(icpt.enable()));

  auto fake = f.eval("fetch('/api/fake').then(async r => r.status + ' ' + r.headers.get('X-Janus') + ' ' + await r.text())");
  REQUIRE(fake);
  CHECK(fake->as_string() == "201 yes {\"fake\":true}");
  auto blocked = f.eval("fetch('/api/blocked').then(() => 'loaded', e => 'rejected: ' + e.name)");
  REQUIRE(blocked);
  CHECK(blocked->as_string() == "rejected: TypeError");
  auto through = f.eval("fetch('/api/through').then(r => r.text())");
  REQUIRE(through);
  CHECK(through->as_string() == "from the server");
  auto renamed = f.eval("fetch('/api/rename-me').then(r => r.text())");
  REQUIRE(renamed);
  CHECK(renamed->as_string() == "renamed target");
  auto binary = f.eval("fetch('/api/binary').then(r => r.arrayBuffer()).then(b => Array.from(new Uint8Array(b)).join(','))");
  REQUIRE(binary);
  CHECK(binary->as_string() == "0,1,2,255");
  auto thrown = f.eval("fetch('/api/throw').then(r => r.status)");
  REQUIRE(thrown);
  CHECK(thrown->get_int() == 404);  // let through to the server, which has no such route
  auto plain = f.eval("fetch('/plain.txt').then(r => r.text())");
  REQUIRE(plain);
  CHECK(plain->as_string() == "not intercepted");

  std::vector<std::string> targets;
  for (const auto& s : f.http->served())
    if (s.target != "/favicon.ico") targets.push_back(s.target);
  std::sort(targets.begin(), targets.end());
  CHECK(targets == std::vector<std::string>{"/api/renamed", "/api/through", "/api/throw", "/plain.txt"});

  auto stats = f.run(icpt.stats());
  REQUIRE(stats);
  CHECK(stats->paused == 6);
  CHECK(stats->fulfilled == 2);
  CHECK(stats->failed == 1);
  CHECK(stats->continued == 3);
  CHECK(stats->handler_errors == 1);
  CHECK(stats->answer_errors == 0);

  // Disabled: nothing is paused any more; enabled again: it is.
  REQUIRE(f.run(icpt.disable()));
  auto real = f.eval("fetch('/api/fake').then(r => r.status)");
  REQUIRE(real);
  CHECK(real->get_int() == 404);
  REQUIRE(f.run(icpt.enable()));
  auto again = f.eval("fetch('/api/fake').then(r => r.status)");
  REQUIRE(again);
  CHECK(again->get_int() == 201);
  REQUIRE(f.run(icpt.disable()));
}
