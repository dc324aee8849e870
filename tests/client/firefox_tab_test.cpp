// firefox_tab against the real Firefox ESR, with pages from a loopback http_server: the wait kinds
// of navigate (a slow image separates domcontentloaded from load), targets followed across
// navigations, evaluate's JSON values and JS errors, the console buffer, the network table, and a
// navigation failing an evaluation in flight. Each test ends only the Firefox it launched.
#include "firefox_fixture.hpp"

#include <janus/client/firefox_launcher.hpp>
#include "firefox_tab.hpp"
#include <janus/protocol/http_server.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace janus;
using namespace janus::client;
using test::html;
using namespace std::chrono_literals;
using protocol::http_response;
using protocol::json_value;

namespace {

using fixture = test::firefox_fixture;

rt::task<rt::result<domains::console_entry>> next_entry(rt::subscription<domains::console_entry>& s, rt::deadline d) {
  co_return co_await s.next(d);
}

}  // namespace

void add_routes(fixture& f) {
  f.server->route("/slow.png", http_response(200, std::string(300, 'p'), "image/png"), 1500ms);
  f.server->route("/img1.html", html("<title>img1</title><p>x</p><img src='/slow.png?1'>"));
  f.server->route("/img2.html", html("<title>img2</title><p>x</p><img src='/slow.png?2'>"));
  f.server->route("/a.html", html("<title>A</title><p>a</p>"));
  f.server->route("/b.html", html("<title>B</title><p>b</p>"));
  f.server->route("/late", http_response(200, "done", "text/plain"), 300ms);
  f.server->route("/idle.html",
                  html("<title>idle</title><script>window.onload = () => setTimeout(() => "
                       "fetch('/late').then((r) => r.text()).then((t) => { window.late = t; }), 50);</script>"));
}

TEST_CASE("navigate: domcontentloaded returns before a slow image; load waits for it", "[firefox]") {
  fixture f;
  add_routes(f);
  auto dcl = f.nav("/img1.html", wait_until::domcontentloaded);
  REQUIRE_OK(dcl);
  CHECK(dcl->url == f.server->url("/img1.html"));
  CHECK(f.must_eval("document.readyState") != json_value("complete"));

  auto t0 = std::chrono::steady_clock::now();
  auto load = f.nav("/img2.html", wait_until::load);
  REQUIRE_OK(load);
  CHECK(std::chrono::steady_clock::now() - t0 >= 1400ms);
  CHECK(f.must_eval("document.readyState") == json_value("complete"));
  CHECK(f.must_eval("document.title") == json_value("img2"));
}

TEST_CASE("navigate: commit, then two navigations: each is followed to its new target", "[firefox]") {
  fixture f;
  add_routes(f);
  auto c = f.nav("/a.html", wait_until::commit);
  REQUIRE_OK(c);
  CHECK(c->url == f.server->url("/a.html"));
  auto i1 = f.sched.block_on(f.tab.info(rt::deadline(5s)));
  REQUIRE_OK(i1);
  auto a = f.nav("/a.html", wait_until::load);
  REQUIRE_OK(a);
  CHECK(f.must_eval("document.title") == json_value("A"));
  auto b = f.nav("/b.html", wait_until::load);
  REQUIRE_OK(b);
  CHECK(f.must_eval("document.title") == json_value("B"));
  CHECK(a->loader_id != b->loader_id);
  auto i2 = f.sched.block_on(f.tab.info(rt::deadline(5s)));
  REQUIRE_OK(i2);
  CHECK(i2->target_id != i1->target_id);
  CHECK(i2->loaded);
  CHECK(i2->title == "B");

  auto r = f.sched.block_on(f.tab.reload(wait_until::load, rt::deadline(20s)));
  REQUIRE_OK(r);
  CHECK(r->loader_id != b->loader_id);
  CHECK(f.must_eval("document.title") == json_value("B"));

  auto back = f.sched.block_on(f.tab.go_back(wait_until::load, rt::deadline(20s)));
  REQUIRE_OK(back);
  CHECK(back->url == f.server->url("/a.html"));
  CHECK(f.must_eval("document.title") == json_value("A"));
  auto fwd = f.sched.block_on(f.tab.go_forward(wait_until::load, rt::deadline(20s)));
  REQUIRE_OK(fwd);
  CHECK(f.must_eval("document.title") == json_value("B"));
  auto nothing = f.sched.block_on(f.tab.go_forward(wait_until::load, rt::deadline(20s)));
  REQUIRE_FALSE(nothing);
  CHECK(nothing.err().code == rt::errc::invalid_argument);

  auto frag = f.sched.block_on(f.tab.navigate(f.server->url("/b.html") + "#part", wait_until::load, rt::deadline(10s)));
  REQUIRE_OK(frag);
  CHECK(frag->same_document);
}

TEST_CASE("navigate: network_idle waits for a request the page makes after load", "[firefox]") {
  fixture f;
  add_routes(f);
  auto n = f.nav("/idle.html", wait_until::network_idle);
  REQUIRE_OK(n);
  CHECK(f.must_eval("window.late") == json_value("done"));
  std::this_thread::sleep_for(1500ms);
  CHECK(f.must_eval("window.late") == json_value("done"));
}

TEST_CASE("navigate: network_idle is reached past an unread body, a long-poll, an EventSource and a WebSocket",
          "[firefox]") {
  // network.hpp's rule on Firefox too: a long-poll with no answer stops counting after
  // long_lived_after (5 s by default); the server holds it for 30 s.
  fixture f;
  f.server->route("/unread.bin", http_response(200, std::string(1 << 20, 'u'), "application/octet-stream"));
  f.server->route("/poll", http_response(200, "{}", "application/json"), 30s);
  f.server->route("/events", http_response(200, "retry: 60000\ndata: one\n\n", "text/event-stream"));
  f.server->route("/live.html", http_response(200, "<!doctype html><p>live</p><script>"
                                                   "fetch('/unread.bin').then(r => r.status); fetch('/poll');"
                                                   "window.es = new EventSource('/events');"
                                                   "window.ws = new WebSocket('ws://' + location.host + '/ws');"
                                                   "</script>", "text/html"));
  const auto t0 = std::chrono::steady_clock::now();
  auto n = f.sched.block_on(f.tab.navigate(f.server->url("/live.html"), wait_until::network_idle, rt::deadline(20s)));
  const auto waited = std::chrono::steady_clock::now() - t0;
  REQUIRE_OK(n);
  // Generous upper bound (a loaded machine), far below the 30 s the server holds the poll.
  CHECK(waited >= 4500ms);
  CHECK(waited < 15s);
}

TEST_CASE("navigate: an unreachable page fails with errc::protocol", "[firefox]") {
  fixture f;
  add_routes(f);
  auto n = f.sched.block_on(f.tab.navigate(std::string("http://127.0.0.1:1/"), wait_until::load, rt::deadline(20s)));
  REQUIRE_FALSE(n);
  CHECK(n.err().code == rt::errc::protocol);
}

TEST_CASE("navigate: tabs are listed, opened and closed", "[firefox]") {
  fixture f;
  add_routes(f);
  auto other = f.sched.block_on(
      firefox_tab::open(f.sched, f.ff->connection(), f.server->url("/a.html"), rt::deadline(30s)));
  REQUIRE_OK(other);
  auto title = f.sched.block_on(other->evaluate(std::string("document.title"), rt::deadline(10s)));
  REQUIRE_OK(title);
  CHECK(*title == json_value("A"));
  auto tabs = f.sched.block_on(list_firefox_tabs(f.ff->connection(), rt::deadline(10s)));
  REQUIRE_OK(tabs);
  int found = 0;
  for (const auto& t : *tabs)
    if (t.browser_id == other->browser_id() || t.browser_id == f.tab.browser_id()) ++found;
  CHECK(found == 2);
  auto closed = f.sched.block_on(other->close(rt::deadline(10s)));
  REQUIRE_OK(closed);
  auto after = f.sched.block_on(other->evaluate(std::string("1"), rt::deadline(5s)));
  REQUIRE_FALSE(after);
  CHECK(after.err().code == rt::errc::target_closed);
  // The list still has the first tab, and no longer the closed one (an empty list would show neither).
  tabs = f.sched.block_on(list_firefox_tabs(f.ff->connection(), rt::deadline(10s)));
  REQUIRE_OK(tabs);
  REQUIRE_FALSE(tabs->empty());
  bool first_listed = false;
  for (const auto& t : *tabs) {
    CHECK(t.browser_id != other->browser_id());
    first_listed = first_listed || t.browser_id == f.tab.browser_id();
  }
  CHECK(first_listed);
  // The first tab is unaffected.
  CHECK(f.must_eval("1 + 1") == json_value(2));
}

TEST_CASE("evaluate returns JSON values like Chromium's by-value results, long strings in full, JS errors",
          "[firefox]") {
  fixture f;
  f.server->route("/e.html", html("<title>eval</title><p id='p'>hello</p>"));
  REQUIRE(f.nav("/e.html", wait_until::load));

  CHECK(f.must_eval("1 + 1") == json_value(2));
  CHECK(f.must_eval("1.5") == json_value(1.5));
  CHECK(f.must_eval("'str'") == json_value("str"));
  CHECK(f.must_eval("true") == json_value(true));
  CHECK(f.must_eval("null").is_null());
  CHECK(f.must_eval("undefined").is_null());
  CHECK(f.must_eval("let x = 20; x + 1") == json_value(21));  // a script: its completion value
  auto obj = f.must_eval("({a: 1, b: [1, 'x', null], c: {d: false}})");
  REQUIRE(obj.is_object());
  CHECK(obj["a"] == json_value(1));
  CHECK(obj["b"].size() == 3);
  CHECK(obj["b"][1] == json_value("x"));
  CHECK(obj["c"]["d"] == json_value(false));
  auto arr = f.must_eval("[1, 2, 3].map((v) => v * 2)");
  REQUIRE(arr.is_array());
  CHECK(arr.size() == 3);
  CHECK(arr[2] == json_value(6));
  CHECK(f.must_eval("document.getElementById('p').textContent") == json_value("hello"));
  CHECK(f.must_eval("'h\\u00e9llo \\u2713 \\ud83d\\ude00'") == json_value("h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80"));
  CHECK(f.must_eval("Promise.resolve(7)") == json_value(7));
  CHECK(f.must_eval("new Promise((r) => setTimeout(() => r('later'), 100))") == json_value("later"));

  auto big = f.must_eval("'x'.repeat(300000) + 'END'");
  REQUIRE(big.is_string());
  CHECK(big.as_string().size() == 300003);
  CHECK(big.as_string().substr(299995) == "xxxxxEND");
  auto big_obj = f.must_eval("({s: '\\u00e9'.repeat(20000)})");
  REQUIRE(big_obj["s"].is_string());
  CHECK(big_obj["s"].as_string().size() == 40000);  // 20000 two-byte UTF-8 characters

  auto thrown = f.eval("throw new TypeError('bad thing')");
  REQUIRE_FALSE(thrown);
  CHECK(thrown.err().code == rt::errc::javascript);
  CHECK(thrown.err().message.find("TypeError: bad thing") != std::string::npos);

  auto rejected = f.eval("(async () => { throw new Error('nope'); })()");
  REQUIRE_FALSE(rejected);
  CHECK(rejected.err().code == rt::errc::javascript);
  CHECK(rejected.err().message.find("Error: nope") != std::string::npos);
  CHECK(rejected.err().message.find('\n') != std::string::npos);  // the stack follows

  auto undefined_name = f.eval("nosuchname + 1");
  REQUIRE_FALSE(undefined_name);
  CHECK(undefined_name.err().code == rt::errc::javascript);
  CHECK(undefined_name.err().message.find("ReferenceError") != std::string::npos);

  auto syntax = f.eval("1 +");
  REQUIRE_FALSE(syntax);
  CHECK(syntax.err().message.find("SyntaxError") != std::string::npos);

  auto set = f.sched.block_on(f.tab.set_content(std::string("<title>set</title><b>new</b>"), rt::deadline(10s)));
  REQUIRE_OK(set);
  CHECK(f.must_eval("document.querySelector('b').textContent") == json_value("new"));

  auto png = f.sched.block_on(f.tab.screenshot(screenshot_options{}, rt::deadline(20s)));
  REQUIRE_OK(png);
  REQUIRE(png->size() > 8);
  CHECK((*png)[1] == 'P');
  CHECK((*png)[2] == 'N');
  CHECK((*png)[3] == 'G');
  screenshot_options none;
  none.selector = "#nothing-here";
  auto missing = f.sched.block_on(f.tab.screenshot(none, rt::deadline(20s)));
  REQUIRE_FALSE(missing);
  CHECK(missing.err().code == rt::errc::not_found);
}

TEST_CASE("console entries arrive complete and in order, with page errors", "[firefox]") {
  fixture f;
  f.server->route("/c.html", html("<title>console</title><script>console.log('from the page');</script>"));
  REQUIRE(f.nav("/c.html", wait_until::load));
  f.must_eval(
      "for (let i = 0; i < 1000; i++) console.log('line', i);"
      "console.warn('careful'); console.error('bad %d of %s', 5, 'six'); console.debug({a: 1});"
      "setTimeout(() => { throw new Error('boom'); }, 0); 1");

  std::vector<domains::console_entry> entries;
  const auto until = std::chrono::steady_clock::now() + 15s;
  for (;;) {
    auto e = f.sched.block_on(f.tab.console_entries());
    REQUIRE_OK(e);
    entries = std::move(*e);
    bool boom = false;
    for (const auto& x : entries) boom = boom || x.text.find("boom") != std::string::npos;
    if (boom || std::chrono::steady_clock::now() > until) break;
    std::this_thread::sleep_for(50ms);
  }
  std::vector<std::string> lines;
  const domains::console_entry* warn = nullptr;
  const domains::console_entry* err = nullptr;
  const domains::console_entry* dbg = nullptr;
  const domains::console_entry* boom = nullptr;
  bool page_line = false;
  for (const auto& e : entries) {
    if (e.text.rfind("line ", 0) == 0) lines.push_back(e.text);
    if (e.text == "careful") warn = &e;
    if (e.text == "bad 5 of six") err = &e;
    if (e.type == "debug") dbg = &e;
    if (e.text.find("boom") != std::string::npos) boom = &e;
    if (e.text == "from the page") page_line = true;
  }
  CHECK(page_line);
  REQUIRE(lines.size() == 1000);
  for (int i = 0; i < 1000; ++i) REQUIRE(lines[static_cast<std::size_t>(i)] == "line " + std::to_string(i));
  REQUIRE(warn);
  CHECK(warn->level == "warning");
  REQUIRE(err);
  CHECK(err->level == "error");
  CHECK(err->type == "error");
  REQUIRE(dbg);
  CHECK(dbg->level == "verbose");
  CHECK(dbg->text == "{ a: 1 }");
  REQUIRE(boom);
  CHECK(boom->level == "error");
  CHECK(boom->from == domains::console_entry::origin::exception);
  for (std::size_t i = 1; i < entries.size(); ++i) CHECK(entries[i].seq == entries[i - 1].seq + 1);

  // A later document's messages land in the same buffer.
  REQUIRE(f.nav("/c.html", wait_until::load));
  const auto until2 = std::chrono::steady_clock::now() + 10s;
  int seen = 0;
  while (std::chrono::steady_clock::now() < until2) {
    auto e = f.sched.block_on(f.tab.console_entries());
    REQUIRE_OK(e);
    seen = 0;
    for (const auto& x : *e) seen += x.text == "from the page";
    if (seen >= 2) break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(seen == 2);
}

TEST_CASE("console_subscribe: live entries in order across a navigation; a lossy subscriber counts its drops",
          "[firefox]") {
  fixture f;
  f.server->route("/live.html", html("<title>live</title><script>console.log('loaded');</script>"));
  REQUIRE(f.nav("/live.html", wait_until::load));
  // Room for the whole burst: a full `block` subscriber would hold up the evaluate's own result.
  auto live = f.sched.block_on(f.tab.console_subscribe(1024, rt::overflow::block));
  REQUIRE_OK(live);
  // Never read: with 4 slots and drop_newest, all but 4 of the burst are dropped and counted.
  auto lossy = f.sched.block_on(f.tab.console_subscribe(4, rt::overflow::drop_newest));
  REQUIRE_OK(lossy);

  f.must_eval("for (let i = 0; i < 500; i++) console.log('live', i); setTimeout(() => { throw new Error('late'); }, 0); 1");
  std::vector<std::string> got;
  bool late = false;
  while (!late) {
    auto e = f.sched.block_on(next_entry(*live, rt::deadline(10s)));
    REQUIRE_OK(e);
    if (e->text.rfind("live ", 0) == 0) got.push_back(e->text);
    late = e->text.find("late") != std::string::npos;
  }
  REQUIRE(got.size() == 500);
  for (int i = 0; i < 500; ++i) REQUIRE(got[static_cast<std::size_t>(i)] == "live " + std::to_string(i));
  CHECK(live->dropped() == 0);
  CHECK(lossy->queued() == 4);
  CHECK(lossy->dropped() == 497);  // 500 lines and the exception, less the 4 kept

  // The stream follows the tab to its next document.
  REQUIRE(f.nav("/live.html", wait_until::load));
  auto again = f.sched.block_on(next_entry(*live, rt::deadline(10s)));
  REQUIRE_OK(again);
  CHECK(again->text == "loaded");
}

TEST_CASE("the network table matches what the server served", "[firefox]") {
  fixture f;
  const std::string img(4321, 'i');
  const std::string data = R"({"k":"value"})";
  f.server->route("/n/pic.png", http_response(200, img, "image/png"));
  f.server->route("/n/data.json", http_response(200, data, "application/json"));
  f.server->route("/n/page.html",
                  html("<title>net</title><img src='/n/pic.png'><script src='/n/missing.js'></script>"
                       "<script>fetch('/n/data.json', {method: 'POST', body: 'x'}).then((r) => r.text());"
                       "fetch('http://127.0.0.1:1/refused').catch(() => {});</script>"));
  auto n = f.nav("/n/page.html", wait_until::network_idle);
  REQUIRE_OK(n);
  auto rows = f.sched.block_on(f.tab.network_requests());
  REQUIRE_OK(rows);
  auto find = [&](const std::string& path) -> const domains::network_request* {
    for (const auto& r : *rows)
      if (r.url == f.server->url(path)) return &r;
    return nullptr;
  };
  const auto* page = find("/n/page.html");
  const auto* pic = find("/n/pic.png");
  const auto* missing = find("/n/missing.js");
  const auto* json = find("/n/data.json");
  REQUIRE(page);
  REQUIRE(pic);
  REQUIRE(missing);
  REQUIRE(json);
  CHECK(page->resource_type == "Document");
  CHECK(page->status == 200);
  CHECK(page->mime_type == "text/html");
  CHECK(pic->status == 200);
  CHECK(pic->resource_type == "Image");
  CHECK(pic->data_length == static_cast<std::int64_t>(img.size()));
  CHECK(pic->status_state == domains::network_request::state::finished);
  CHECK(missing->status == 404);
  CHECK(json->method == "POST");
  CHECK(json->status == 200);
  CHECK(json->mime_type == "application/json");
  CHECK(json->data_length == static_cast<std::int64_t>(data.size()));
  const domains::network_request* refused = nullptr;
  for (const auto& r : *rows)
    if (r.url == "http://127.0.0.1:1/refused") refused = &r;
  REQUIRE(refused);
  CHECK(refused->status_state == domains::network_request::state::failed);
  CHECK_FALSE(refused->failure.empty());
  CHECK(refused->status == 0);
  for (const auto& r : *rows) CHECK_FALSE(r.in_flight());
  // A request still pending when its document is replaced ends as failed, not in flight forever.
  f.server->route("/n/slow", http_response(200, "slow", "text/plain"), 3000ms);
  f.server->route("/n/other.html", html("<title>other</title>"));
  f.must_eval("fetch('/n/slow'); 1");
  std::this_thread::sleep_for(400ms);
  auto other = f.nav("/n/other.html", wait_until::load);
  REQUIRE_OK(other);
  rows = f.sched.block_on(f.tab.network_requests());
  REQUIRE_OK(rows);
  const auto* slow = find("/n/slow");
  REQUIRE(slow);
  INFO("failure: " << slow->failure << " blocked: " << slow->blocked_reason);
  CHECK(slow->status_state == domains::network_request::state::failed);
  // Either cancelled with its document, or reported by Firefox with a blockedReason first.
  CHECK_FALSE(slow->failure.empty());
  CHECK((slow->canceled || !slow->blocked_reason.empty()));
  // What the server answered is what the table shows.
  for (const auto& s : f.server->served()) {
    const auto* r = find(s.target);
    // Not listed (a favicon), or answered after its document was gone (/n/slow).
    if (!r || s.target == "/n/slow") continue;
    CHECK(r->status == s.status);
    CHECK(r->method == s.method);
  }
}

TEST_CASE("a navigation while a call is pending fails the call with target_closed", "[firefox]") {
  fixture f;
  f.server->route("/p1.html", html("<title>p1</title>"));
  f.server->route("/p2.html", html("<title>p2</title>"));
  REQUIRE(f.nav("/p1.html", wait_until::load));

  struct outcome {
    std::atomic<bool> done{false};
    rt::errc code = rt::errc::ok;
  };
  auto out = std::make_shared<outcome>();
  auto pending = [](firefox_tab t, std::shared_ptr<outcome> o) -> rt::task<void> {
    // Never settles: only the navigation can end it.
    auto r = co_await t.evaluate(std::string("new Promise(() => {})"), rt::deadline(20s));
    o->code = r ? rt::errc::ok : r.err().code;
    o->done.store(true);
  };
  f.sched.spawn(pending(f.tab, out));
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(out->done.load());
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(f.nav("/p2.html", wait_until::load));
  while (!out->done.load() && std::chrono::steady_clock::now() - t0 < 10s) std::this_thread::sleep_for(20ms);
  REQUIRE(out->done.load());
  CHECK(out->code == rt::errc::target_closed);
  CHECK(f.must_eval("document.title") == json_value("p2"));
}
