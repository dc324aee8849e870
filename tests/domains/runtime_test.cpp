// The Runtime domain actor against real Chromium: evaluation by value and by handle, exceptions as
// errc::javascript with text and stack, and the execution-context table across navigations.
#include "browser_fixture.hpp"

#include <janus/domains/runtime.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <thread>

using namespace janus;
using namespace std::chrono_literals;
using janus::domains::evaluate_options;
using janus::domains::js_runtime;

TEST_CASE("evaluate returns values, handles, and JS exceptions as errc::javascript", "[runtime][browser]") {
  janus_test::browser_fixture f;
  f.http->route("/p.html", protocol::http_response(200, "<!doctype html><body class=\"b\">hi</body>", "text/html"));
  REQUIRE(f.navigate(f.http->url("/p.html")));
  js_runtime js = js_runtime::start(f.sched, f.page);

  auto three = f.run(js.evaluate_value("1 + 2"));
  REQUIRE(three);
  CHECK(three->get_int() == 3);
  auto obj = f.run(js.evaluate_value("({a: [1, 'two', null], b: {c: true}})"));
  REQUIRE(obj);
  CHECK((*obj)["a"][1].as_string() == "two");
  CHECK((*obj)["a"][2].is_null());
  CHECK((*obj)["b"]["c"].as_bool());
  auto undef = f.run(js.evaluate("undefined"));
  REQUIRE(undef);
  CHECK(undef->type == "undefined");
  CHECK(undef->value.is_null());
  auto nan = f.run(js.evaluate("0/0"));
  REQUIRE(nan);
  CHECK(nan->unserializable == "NaN");
  CHECK(std::isnan(nan->value.as_double()));
  auto big = f.run(js.evaluate("2n ** 70n"));
  REQUIRE(big);
  CHECK(big->type == "bigint");
  CHECK(big->unserializable == "1180591620717411303424n");
  auto awaited = f.run(js.evaluate_value("new Promise(r => setTimeout(() => r('later'), 50))"));
  REQUIRE(awaited);
  CHECK(awaited->as_string() == "later");

  evaluate_options by_handle;
  by_handle.return_by_value = false;
  auto body = f.run(js.evaluate("document.body", by_handle));
  REQUIRE(body);
  REQUIRE(body->object);
  CHECK_FALSE(body->object->object_id.empty());
  CHECK(body->object->subtype == "node");
  CHECK(body->object->description == "body.b");
  CHECK(f.run(js.release(body->object->object_id)));

  auto thrown = f.run(js.evaluate("function inner() { throw new Error('boom'); }\nfunction outer() { inner(); }\nouter()"));
  REQUIRE_FALSE(thrown);
  CHECK(thrown.code() == rt::errc::javascript);
  INFO(thrown.err().message);
  CHECK(thrown.err().message.rfind("Uncaught Error: boom", 0) == 0);
  CHECK(thrown.err().message.find("at inner") != std::string::npos);
  CHECK(thrown.err().message.find("at outer") != std::string::npos);

  auto rejected = f.run(js.evaluate("Promise.reject(new TypeError('nope'))"));
  REQUIRE_FALSE(rejected);
  CHECK(rejected.code() == rt::errc::javascript);
  CHECK(rejected.err().message.find("TypeError: nope") != std::string::npos);

  auto plain = f.run(js.evaluate("throw 42"));
  REQUIRE_FALSE(plain);
  CHECK(plain.code() == rt::errc::javascript);
  CHECK(plain.err().message.rfind("Uncaught 42", 0) == 0);

  auto syntax = f.run(js.evaluate("1 +"));
  REQUIRE_FALSE(syntax);
  CHECK(syntax.code() == rt::errc::javascript);
  CHECK(syntax.err().message.find("SyntaxError") != std::string::npos);
}

TEST_CASE("execution contexts follow navigations and isolated worlds", "[runtime][browser]") {
  janus_test::browser_fixture f;
  f.http->route("/a.html", protocol::http_response(200, "<!doctype html><p>a</p>", "text/html"));
  f.http->route("/b.html", protocol::http_response(200, "<!doctype html><p>b</p>", "text/html"));
  REQUIRE(f.navigate(f.http->url("/a.html")));
  js_runtime js = js_runtime::start(f.sched, f.page);
  REQUIRE(f.run(js.enable()));

  auto first = f.run(js.default_context());
  REQUIRE(first);
  CHECK(first->is_default);
  CHECK(first->origin == "http://127.0.0.1:" + std::to_string(f.http->port()));
  CHECK_FALSE(first->frame_id.empty());

  // An isolated world: a context of another type in the same frame.
  auto created = f.sched.block_on([](session::cdp_session page, std::string frame) -> rt::task<rt::result<protocol::cdp_owned_message>> {
    co_return co_await page.call("Page.createIsolatedWorld", "{\"frameId\":\"" + frame + "\",\"worldName\":\"janus-test\"}");
  }(f.page, first->frame_id));
  REQUIRE(created);
  bool isolated_seen = false;
  for (int i = 0; i < 100 && !isolated_seen; ++i) {
    auto all = f.run(js.contexts());
    REQUIRE(all);
    for (const auto& c : *all) isolated_seen = isolated_seen || (c.name == "janus-test" && !c.is_default);
    if (!isolated_seen) std::this_thread::sleep_for(20ms);
  }
  CHECK(isolated_seen);

  evaluate_options in_first;
  in_first.context_id = first->id;
  auto a = f.run(js.evaluate("document.querySelector('p').textContent", in_first));
  REQUIRE(a);
  CHECK(a->value.as_string() == "a");

  REQUIRE(f.navigate(f.http->url("/b.html")));
  auto second = f.run(js.default_context());
  REQUIRE(second);
  CHECK(second->id != first->id);
  auto stale = f.run(js.evaluate("1", in_first));
  REQUIRE_FALSE(stale);
  CHECK(stale.code() == rt::errc::protocol);
  auto stats = f.run(js.stats());
  REQUIRE(stats);
  CHECK(stats->cleared >= 1);
  CHECK(stats->created >= 3);
  // The table holds the new document's default context, and nothing of the first document's (an
  // empty table would show neither).
  auto all = f.run(js.contexts());
  REQUIRE(all);
  REQUIRE_FALSE(all->empty());
  bool second_listed = false;
  for (const auto& c : *all) {
    CHECK(c.id != first->id);
    second_listed = second_listed || (c.id == second->id && c.is_default);
  }
  CHECK(second_listed);
}
