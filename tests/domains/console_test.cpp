// The Console/Log domain actor against real Chromium: a burst arrives complete and in order, the
// three sources are told apart, the buffer counts what it pushes out, and navigations do not stop it.
#include "browser_fixture.hpp"

#include <janus/domains/console.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

using namespace janus;
using namespace std::chrono_literals;
using janus::domains::console;
using janus::domains::console_entry;

namespace {

rt::task<std::vector<console_entry>> take(rt::subscription<console_entry>& sub, std::size_t n, rt::deadline d) {
  std::vector<console_entry> out;
  out.reserve(n);
  while (out.size() < n) {
    rt::result<console_entry> e = co_await sub.next(d);
    if (!e) break;
    out.push_back(std::move(*e));
  }
  co_return out;
}

}  // namespace

TEST_CASE("10 000 console.log calls in a burst arrive complete and in order", "[console][browser]") {
  janus_test::browser_fixture f;
  f.http->route("/burst.html", protocol::http_response(200, "<!doctype html><p>burst</p>", "text/html"));
  REQUIRE(f.navigate(f.http->url("/burst.html")));

  domains::console_options o;
  o.capacity = 20000;
  console con = console::start(f.sched, f.page, o);
  // A small blocking queue: the burst must push back on the browser, not drop.
  auto live = f.run(con.subscribe(256, rt::overflow::block));
  REQUIRE(live);

  // The burst's reply comes after its 10 000 events, which a full blocking queue holds back: the
  // subscriber must drain while the command is out, as a real consumer would.
  struct outcome {
    std::vector<console_entry> got;
    rt::result<void> burst;
  };
  auto run = [](rt::scheduler& s, session::cdp_session page, rt::subscription<console_entry>& live) -> rt::task<outcome> {
    auto done = std::make_shared<std::atomic<int>>(0);  // 1 ok, 2 failed
    s.spawn([](session::cdp_session page, std::shared_ptr<std::atomic<int>> done) -> rt::task<void> {
      session::call_options co{.deadline = rt::deadline(60s), .cancel = {}};
      auto r = co_await page.call("Runtime.evaluate",
                                  R"({"expression":"for (let i = 0; i < 10000; i++) console.log('line %d of', i, 'burst'); 1"})",
                                  std::move(co));
      done->store(r ? 1 : 2);
    }(page, done));
    outcome out;
    out.got = co_await take(live, 10000, rt::deadline(60s));
    for (int i = 0; i < 600 && done->load() == 0; ++i) co_await rt::sleep_for(s, 100ms);
    out.burst = done->load() == 1 ? rt::result<void>() : rt::result<void>(rt::errc::timeout, "the burst's evaluate failed");
    co_return out;
  };
  outcome out = f.run(run(f.sched, f.page, *live));
  REQUIRE(out.burst);
  std::vector<console_entry>& got = out.got;
  REQUIRE(got.size() == 10000);
  std::size_t in_order = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    if (got[i].text == "line " + std::to_string(i) + " of burst") ++in_order;
  CHECK(in_order == 10000);
  CHECK(got.front().level == "info");
  CHECK(got.front().type == "log");
  CHECK(got.back().seq == got.front().seq + 9999);
  CHECK(live->dropped() == 0);

  auto buffered = f.run(con.entries());
  REQUIRE(buffered);
  REQUIRE(buffered->size() == 10000);
  CHECK(buffered->front().text == "line 0 of burst");
  CHECK(buffered->back().text == "line 9999 of burst");
  auto stats = f.run(con.stats());
  REQUIRE(stats);
  CHECK(stats->evicted == 0);
  CHECK(stats->dropped == 0);
  CHECK(stats->malformed == 0);
}

TEST_CASE("console levels, formatting, Log entries and uncaught exceptions", "[console][browser]") {
  janus_test::browser_fixture f;
  f.http->route("/app.js", protocol::http_response(200, R"(console.warn('careful', 1.5, true, null, undefined);
console.error('bad %s: %i%%', 'thing', 42.9);
console.debug({a: 1});
function thrower() { throw new Error('boom'); }
setTimeout(thrower, 0);
fetch('/nowhere').catch(() => {});
)", "application/javascript"));
  f.http->route("/page.html",
                protocol::http_response(200, "<!doctype html><script src=\"/app.js\"></script>", "text/html"));

  console con = console::start(f.sched, f.page);
  auto live = f.run(con.subscribe(64));
  REQUIRE(live);
  REQUIRE(f.navigate(f.http->url("/page.html")));
  std::vector<console_entry> got = f.run(take(*live, 5, rt::deadline(20s)));
  for (const auto& e : got) UNSCOPED_INFO(e.type << " " << e.level << " " << e.text << " @" << e.url << ":" << e.line);
  REQUIRE(got.size() == 5);

  auto find = [&](console_entry::origin from, const std::string& type) -> const console_entry* {
    for (const auto& e : got)
      if (e.from == from && e.type == type) return &e;
    return nullptr;
  };
  const console_entry* warn = find(console_entry::origin::console_api, "warning");
  REQUIRE(warn);
  CHECK(warn->level == "warning");
  CHECK(warn->text == "careful 1.5 true null undefined");
  CHECK(warn->url == f.http->url("/app.js"));
  CHECK(warn->line == 1);
  CHECK(warn->column == 9);
  const console_entry* err = find(console_entry::origin::console_api, "error");
  REQUIRE(err);
  CHECK(err->level == "error");
  CHECK(err->text == "bad thing: 42%");
  CHECK(err->line == 2);
  const console_entry* dbg = find(console_entry::origin::console_api, "debug");
  REQUIRE(dbg);
  CHECK(dbg->level == "verbose");
  CHECK(dbg->text == "Object");
  const console_entry* ex = find(console_entry::origin::exception, "exception");
  REQUIRE(ex);
  CHECK(ex->level == "error");
  CHECK(ex->text == "Uncaught Error: boom");
  CHECK(ex->stack.find("at thrower (" + f.http->url("/app.js") + ":4:") != std::string::npos);
  const console_entry* net = find(console_entry::origin::log, "network");
  REQUIRE(net);
  CHECK(net->level == "error");
  CHECK(net->text.find("404") != std::string::npos);
  CHECK(net->url == f.http->url("/nowhere"));

  // The next document logs into the same console.
  f.http->route("/second.html", protocol::http_response(200, "<!doctype html><script>console.info('second')</script>",
                                                        "text/html"));
  REQUIRE(f.navigate(f.http->url("/second.html")));
  std::vector<console_entry> more = f.run(take(*live, 1, rt::deadline(20s)));
  REQUIRE(more.size() == 1);
  CHECK(more[0].text == "second");
  CHECK(more[0].seq == got.back().seq + 1);
}

TEST_CASE("a small buffer keeps the newest entries and counts the rest; a lossy subscriber counts its drops",
          "[console][browser]") {
  janus_test::browser_fixture f;
  f.http->route("/p.html", protocol::http_response(200, "<!doctype html><p>p</p>", "text/html"));
  REQUIRE(f.navigate(f.http->url("/p.html")));
  domains::console_options o;
  o.capacity = 10;
  console con = console::start(f.sched, f.page, o);
  auto lossy = f.run(con.subscribe(5, rt::overflow::drop_oldest));
  REQUIRE(lossy);
  auto all = f.run(con.subscribe(1000));
  REQUIRE(all);
  REQUIRE(f.eval("for (let i = 0; i < 100; i++) console.log('n' + i); true"));
  std::vector<console_entry> got = f.run(take(*all, 100, rt::deadline(20s)));
  REQUIRE(got.size() == 100);

  auto buffered = f.run(con.entries());
  REQUIRE(buffered);
  REQUIRE(buffered->size() == 10);
  CHECK(buffered->front().text == "n90");
  CHECK(buffered->back().text == "n99");
  auto stats = f.run(con.stats());
  REQUIRE(stats);
  CHECK(stats->evicted == 90);
  CHECK(stats->total == 100);
  // The lossy subscriber holds the last five and counted the 95 it dropped.
  CHECK(lossy->dropped() == 95);
  std::vector<console_entry> tail = f.run(take(*lossy, 5, rt::deadline(5s)));
  REQUIRE(tail.size() == 5);
  CHECK(tail.front().text == "n95");
}
