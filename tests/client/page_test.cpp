// browser and page against a real headless Chromium, with pages served by the loopback
// http_server: navigation waits, history, set_content, screenshots, crash and close isolation,
// many pages at once, contexts, and connecting through http://127.0.0.1:port.
#include "../support/png_size.hpp"
#include "../support/thread_safe_check.hpp"

#include <janus/client/browser.hpp>
#include <janus/protocol/http_server.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace janus;
using namespace janus::client;
using namespace janus::session;
using namespace std::chrono_literals;
using protocol::http_response;
using protocol::http_server;
using protocol::json_value;

namespace {

std::unique_ptr<http_server> serve() {
  auto s = http_server::start();
  REQUIRE(s);
  return std::move(*s);
}

http_response html(std::string body) { return http_response(200, std::move(body), "text/html; charset=utf-8"); }

browser launch(rt::scheduler& s, bool use_pipe = true) {
  launch_options o;
  o.use_pipe = use_pipe;
  auto b = s.block_on(browser::launch(s, o));
  if (!b) FAIL(b.err().what());
  return std::move(*b);
}

page open(rt::scheduler& s, const browser& b, std::string url = "about:blank") {
  auto p = s.block_on(b.new_page(std::move(url)));
  if (!p) FAIL(p.err().what());
  return std::move(*p);
}

// Runtime.evaluate through the page's raw session: the value, or the call's error.
rt::task<rt::result<json_value>> evaluate(page p, std::string expression, rt::deadline d);
rt::task<rt::result<json_value>> evaluate(page p, std::string expression) {
  return evaluate(std::move(p), std::move(expression), rt::deadline(10s));
}
rt::task<rt::result<json_value>> evaluate(page p, std::string expression, rt::deadline d) {
  json_value params = json_value::object();
  params.set("expression", std::move(expression));
  params.set("returnByValue", true);
  params.set("awaitPromise", true);
  const std::string text = params.dump();
  call_options o;
  o.deadline = d;
  rt::result<protocol::cdp_owned_message> r = co_await p.session().call("Runtime.evaluate", text, std::move(o));
  if (!r) co_return std::move(r).err();
  rt::result<json_value> v = json_value::parse(r->payload());
  if (!v) co_return std::move(v).err();
  if (!(*v)["exceptionDetails"].is_null()) co_return rt::error{rt::errc::javascript, (*v)["exceptionDetails"].dump()};
  co_return (*v)["result"]["value"];
}

json_value eval_now(rt::scheduler& s, const page& p, std::string expression) {
  auto v = s.block_on(evaluate(p, std::move(expression)));
  if (!v) FAIL(v.err().what());
  return std::move(*v);
}

using test::png_dimensions;

// A task run alongside the test's own coroutine, whose outcome is read later.
template <class T>
struct background {
  std::shared_ptr<std::optional<T>> value = std::make_shared<std::optional<T>>();
  std::shared_ptr<std::atomic<bool>> done = std::make_shared<std::atomic<bool>>(false);
};

template <class T>
background<T> run_in_background(rt::scheduler& s, rt::task<T> t) {
  background<T> bg;
  s.spawn([](rt::task<T> t, background<T> bg) -> rt::task<void> {
    T v = co_await std::move(t);
    bg.value->emplace(std::move(v));
    bg.done->store(true);
  }(std::move(t), bg));
  return bg;
}

template <class T>
bool wait_done(const background<T>& bg, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!bg.done->load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(2ms);
  return bg.done->load();
}

std::string ends_with_path(const std::string& url) { return url.substr(url.find('/', 7)); }

}  // namespace

TEST_CASE("navigate resolves at commit, DOMContentLoaded and load; a slow image holds back only load",
          "[page][browser]") {
  auto server = serve();
  server->route("/slow.png", http_response(200, std::string(64, 'x'), "image/png"), 1500ms);
  server->route("/page", html("<!doctype html><title>slow</title><p>text</p><img src=\"/slow.png?1\">"));
  server->route("/page2", html("<!doctype html><title>slow2</title><img src=\"/slow.png?2\">"));
  server->route("/page3", html("<!doctype html><title>slow3</title><img src=\"/slow.png?3\">"));
  rt::scheduler s({.workers = 2});
  browser b = launch(s);
  page p = open(s, b);

  auto timed = [&](std::string url, wait_until w) {
    const auto start = std::chrono::steady_clock::now();
    auto nav = s.block_on(p.navigate(url, w, rt::deadline(15s)));
    if (!nav) FAIL(nav.err().what());
    CHECK(nav->url == url);
    CHECK_FALSE(nav->loader_id.empty());
    return std::chrono::steady_clock::now() - start;
  };
  // Commit and DOMContentLoaded resolve before the image is served, checked as an order rather than
  // a time (the image is held 1.5 s): when they return, the server has not yet answered for it.
  auto image_served = [&](const std::string& target) {
    for (const auto& r : server->served())
      if (r.target == target) return true;
    return false;
  };
  timed(server->url("/page"), wait_until::commit);
  CHECK_FALSE(image_served("/slow.png?1"));
  timed(server->url("/page2"), wait_until::domcontentloaded);
  CHECK_FALSE(image_served("/slow.png?2"));
  const auto load = timed(server->url("/page3"), wait_until::load);
  CHECK(image_served("/slow.png?3"));
  CHECK(load >= 1400ms);
  auto info = s.block_on(p.info());
  REQUIRE(info);
  CHECK(info->loaded);
  CHECK(info->dom_content_loaded);
  CHECK(info->url == server->url("/page3"));
  CHECK(eval_now(s, p, "document.title") == json_value("slow3"));
  // The title reaches the page through Target.targetInfoChanged.
  for (int i = 0; i < 100 && s.block_on(p.info())->title != "slow3"; ++i) std::this_thread::sleep_for(20ms);
  CHECK(s.block_on(p.info())->title == "slow3");
}

TEST_CASE("a navigation the network refuses fails with its errorText; a timeout is a timeout", "[page][browser]") {
  auto server = serve();
  server->route("/hang.png", http_response(200, "x", "image/png"), 5000ms);
  server->route("/hangs", html("<!doctype html><img src=\"/hang.png\">"));
  rt::scheduler s({.workers = 2});
  browser b = launch(s);
  page p = open(s, b);
  std::string closed_url;  // a port that was just listening and is closed now
  {
    auto gone = serve();
    closed_url = gone->url("/");
    gone->stop();
  }
  auto refused = s.block_on(p.navigate(closed_url, wait_until::load, rt::deadline(15s)));
  REQUIRE_FALSE(refused);
  CHECK(refused.code() == rt::errc::protocol);
  INFO(refused.err().what());
  CHECK(refused.err().message.find("net::ERR_CONNECTION_REFUSED") != std::string::npos);
  const auto start = std::chrono::steady_clock::now();
  auto late = s.block_on(p.navigate(server->url("/hangs"), wait_until::load, rt::deadline(700ms)));
  REQUIRE_FALSE(late);
  CHECK(late.code() == rt::errc::timeout);
  CHECK(std::chrono::steady_clock::now() - start < 3s);  // at the 700 ms deadline, not with the 5 s image
  // The page still works afterwards.
  server->route("/ok", html("<!doctype html><title>ok</title>"));
  auto ok = s.block_on(p.navigate(server->url("/ok"), wait_until::load, rt::deadline(15s)));
  if (!ok) FAIL(ok.err().what());
}

TEST_CASE("go_back and go_forward walk the session history; reload reloads", "[page][browser]") {
  auto server = serve();
  server->route("/a", html("<!doctype html><title>A</title><script>window.mark = Math.random()</script>"));
  server->route("/b", html("<!doctype html><title>B</title>"));
  rt::scheduler s({.workers = 2});
  browser b = launch(s);
  page p = open(s, b, server->url("/a"));
  auto to_b = s.block_on(p.navigate(server->url("/b")));
  if (!to_b) FAIL(to_b.err().what());

  auto back = s.block_on(p.go_back(wait_until::load, rt::deadline(15s)));
  if (!back) FAIL(back.err().what());
  CHECK(ends_with_path(back->url) == "/a");
  CHECK(eval_now(s, p, "location.pathname") == json_value("/a"));
  auto fwd = s.block_on(p.go_forward(wait_until::load, rt::deadline(15s)));
  if (!fwd) FAIL(fwd.err().what());
  CHECK(ends_with_path(fwd->url) == "/b");
  CHECK(eval_now(s, p, "document.title") == json_value("B"));
  auto beyond = s.block_on(p.go_forward());
  REQUIRE_FALSE(beyond);
  CHECK(beyond.code() == rt::errc::invalid_argument);

  auto back_again = s.block_on(p.go_back());
  if (!back_again) FAIL(back_again.err().what());
  (void)s.block_on(evaluate(p, "window.before = window.mark"));
  auto reloaded = s.block_on(p.reload(wait_until::load, rt::deadline(15s)));
  if (!reloaded) FAIL(reloaded.err().what());
  CHECK(ends_with_path(reloaded->url) == "/a");
  CHECK(eval_now(s, p, "window.before === undefined") == json_value(true));  // a new document
}

TEST_CASE("set_content replaces the document; Runtime.evaluate reads it back", "[page][browser]") {
  rt::scheduler s({.workers = 2});
  browser b = launch(s);
  page p = open(s, b);
  auto set = s.block_on(p.set_content("<!doctype html><title>set</title><div id=\"x\">hello from set_content</div>"));
  if (!set) FAIL(set.err().what());
  CHECK(eval_now(s, p, "document.getElementById('x').textContent") == json_value("hello from set_content"));
  CHECK(eval_now(s, p, "document.title") == json_value("set"));
  auto again = s.block_on(p.set_content("<p id=\"y\">second</p>"));
  if (!again) FAIL(again.err().what());
  CHECK(eval_now(s, p, "document.getElementById('x') === null && document.getElementById('y').textContent") ==
        json_value("second"));
  // The RDP escape hatch is Firefox's: on Chromium it is unsupported, and session() is the way in.
  auto rdp = p.rdp();
  REQUIRE_FALSE(rdp);
  CHECK(rdp.err().code == rt::errc::unsupported);
  CHECK(p.session());
}

TEST_CASE("screenshots are PNGs of the viewport, the full page and one element", "[page][browser]") {
  auto server = serve();
  server->route("/tall", html("<!doctype html><style>body{margin:0}</style>"
                              "<div style=\"height:3000px;background:linear-gradient(red,blue)\"></div>"
                              "<div id=\"box\" style=\"position:absolute;left:40px;top:1200px;width:123px;height:45px;"
                              "background:green\"></div>"));
  rt::scheduler s({.workers = 2});
  browser b = launch(s);
  page p = open(s, b, server->url("/tall"));
  const double dpr = eval_now(s, p, "window.devicePixelRatio").as_double();
  const auto inner_w = static_cast<std::uint32_t>(eval_now(s, p, "window.innerWidth").as_int() * dpr);
  const auto inner_h = static_cast<std::uint32_t>(eval_now(s, p, "window.innerHeight").as_int() * dpr);
  const auto scroll_h = static_cast<std::uint32_t>(eval_now(s, p, "document.documentElement.scrollHeight").as_int() * dpr);

  auto view = s.block_on(p.screenshot());
  if (!view) FAIL(view.err().what());
  auto vs = png_dimensions(*view);
  REQUIRE(vs);
  CHECK(vs->width == inner_w);
  CHECK(vs->height == inner_h);

  screenshot_options full;
  full.full_page = true;
  auto whole = s.block_on(p.screenshot(full));
  if (!whole) FAIL(whole.err().what());
  auto ws = png_dimensions(*whole);
  REQUIRE(ws);
  CHECK(ws->height == scroll_h);
  CHECK(ws->height > vs->height);
  CHECK(ws->width > 0);

  screenshot_options element;
  element.selector = "#box";
  auto box = s.block_on(p.screenshot(element));
  if (!box) FAIL(box.err().what());
  auto bs = png_dimensions(*box);
  REQUIRE(bs);
  CHECK(bs->width == static_cast<std::uint32_t>(123 * dpr));
  CHECK(bs->height == static_cast<std::uint32_t>(45 * dpr));

  screenshot_options missing;
  missing.selector = "#nope";
  auto none = s.block_on(p.screenshot(missing));
  REQUIRE_FALSE(none);
  CHECK(none.code() == rt::errc::not_found);
}

TEST_CASE("Page.crash fails that page's pending and later calls with target_crashed; another page goes on",
          "[page][browser]") {
  auto server = serve();
  server->route("/", html("<!doctype html><title>alive</title>"));
  rt::scheduler s({.workers = 2});
  browser b = launch(s);
  page victim = open(s, b, server->url("/"));
  page other = open(s, b, server->url("/"));

  // Pending on the victim when it crashes: a promise that never settles.
  auto pending = run_in_background(s, evaluate(victim, "new Promise(() => {})", rt::deadline(30s)));
  std::this_thread::sleep_for(200ms);
  const auto crashed_at = std::chrono::steady_clock::now();
  auto crash = run_in_background(s, [](page p) -> rt::task<rt::result<protocol::cdp_owned_message>> {
    call_options o;
    o.deadline = rt::deadline(10s);
    co_return co_await p.session().call("Page.crash", "{}", std::move(o));
  }(victim));
  REQUIRE(wait_done(pending, 10s));
  const auto took = std::chrono::steady_clock::now() - crashed_at;
  REQUIRE(pending.value->has_value());
  REQUIRE_FALSE(**pending.value);
  CHECK((*pending.value)->code() == rt::errc::target_crashed);
  CHECK(took < 5s);
  REQUIRE(wait_done(crash, 15s));
  if (!**crash.value) CHECK((*crash.value)->code() == rt::errc::target_crashed);

  auto later = s.block_on(evaluate(victim, "1 + 1"));
  REQUIRE_FALSE(later);
  CHECK(later.code() == rt::errc::target_crashed);
  auto nav = s.block_on(victim.navigate(server->url("/")));
  REQUIRE_FALSE(nav);
  CHECK(nav.code() == rt::errc::target_crashed);
  CHECK(victim.alive().code() == rt::errc::target_crashed);
  auto info = s.block_on(victim.info());
  REQUIRE(info);
  CHECK(info->gone == rt::errc::target_crashed);

  CHECK(eval_now(s, other, "6 * 7") == json_value(42));

  // A navigation waiting for load when its page crashes ends with the crash, not at its deadline.
  server->route("/hang.png", http_response(200, "x", "image/png"), 20000ms);
  server->route("/hangs", html("<!doctype html><img src=\"/hang.png\">"));
  page second = open(s, b);
  auto waiting = run_in_background(s, second.navigate(server->url("/hangs"), wait_until::load, rt::deadline(30s)));
  for (int i = 0; i < 250; ++i) {  // until the document committed and waits for its image
    auto in = s.block_on(second.info());
    if (in && in->url == server->url("/hangs") && in->dom_content_loaded) break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK_FALSE(waiting.done->load());
  const auto second_crash = std::chrono::steady_clock::now();
  auto crash2 = run_in_background(s, [](page p) -> rt::task<rt::result<protocol::cdp_owned_message>> {
    call_options o;
    o.deadline = rt::deadline(10s);
    co_return co_await p.session().call("Page.crash", "{}", std::move(o));
  }(second));
  REQUIRE(wait_done(waiting, 10s));
  CHECK(std::chrono::steady_clock::now() - second_crash < 5s);
  REQUIRE_FALSE(**waiting.value);
  CHECK((*waiting.value)->code() == rt::errc::target_crashed);
  REQUIRE(wait_done(crash2, 15s));
  auto other_nav = s.block_on(other.navigate(server->url("/"), wait_until::load, rt::deadline(15s)));
  if (!other_nav) FAIL(other_nav.err().what());
  CHECK(other.alive());
  auto pages = b.pages();
  CHECK(pages.size() == 1);
  CHECK((pages.size() == 1 && pages.front() == other));
}

TEST_CASE("close_page fails the page's pending and later calls with target_closed", "[page][browser]") {
  rt::scheduler s({.workers = 2});
  browser b = launch(s);
  page doomed = open(s, b);
  page kept = open(s, b);
  auto pending = run_in_background(s, evaluate(doomed, "new Promise(() => {})", rt::deadline(30s)));
  std::this_thread::sleep_for(200ms);
  auto closed = s.block_on(b.close_page(doomed));
  if (!closed) FAIL(closed.err().what());
  REQUIRE(wait_done(pending, 5s));
  REQUIRE_FALSE(**pending.value);
  CHECK((*pending.value)->code() == rt::errc::target_closed);
  auto later = s.block_on(evaluate(doomed, "1"));
  REQUIRE_FALSE(later);
  CHECK(later.code() == rt::errc::target_closed);
  CHECK_FALSE(later.err().sent);
  auto shot = s.block_on(doomed.screenshot());
  REQUIRE_FALSE(shot);
  CHECK(shot.code() == rt::errc::target_closed);
  CHECK(s.block_on(b.close_page(doomed)));  // already gone: nothing to do

  CHECK(eval_now(s, kept, "'still here'") == json_value("still here"));
  auto pages = b.pages();
  REQUIRE(pages.size() == 1);
  CHECK(pages.front() == kept);
  bool listed = false;
  for (int i = 0; i < 100; ++i) {
    auto targets = s.block_on(b.targets());
    REQUIRE(targets);
    listed = false;
    for (const auto& t : *targets) listed = listed || t.target_id == doomed.target_id();
    if (!listed) break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK_FALSE(listed);

  // A navigation waiting for load when its page is closed ends with the close.
  auto server = serve();
  server->route("/hang.png", http_response(200, "x", "image/png"), 20000ms);
  server->route("/hangs", html("<!doctype html><img src=\"/hang.png\">"));
  page navigating = open(s, b);
  auto waiting = run_in_background(s, navigating.navigate(server->url("/hangs"), wait_until::load, rt::deadline(30s)));
  for (int i = 0; i < 250; ++i) {
    auto in = s.block_on(navigating.info());
    if (in && in->url == server->url("/hangs") && in->dom_content_loaded) break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK_FALSE(waiting.done->load());
  auto closed_too = s.block_on(b.close_page(navigating));
  if (!closed_too) FAIL(closed_too.err().what());
  REQUIRE(wait_done(waiting, 5s));
  REQUIRE_FALSE(**waiting.value);
  CHECK((*waiting.value)->code() == rt::errc::target_closed);
}

TEST_CASE("20 pages in parallel each navigate and evaluate their own document", "[page][browser]") {
  static constexpr int n = 20;
  auto server = serve();
  server->fallback([](const protocol::http_request& r) -> std::optional<http_response> {
    if (r.resource.rfind("/p/", 0) != 0) return std::nullopt;
    const std::string id = r.resource.substr(3);
    return html("<!doctype html><title>page " + id + "</title><script>window.id = " + id + " * 3</script>");
  });
  rt::scheduler s({.workers = 2});
  browser b = launch(s);
  struct outcome {
    std::string error;
    std::int64_t value = -1;
    std::string title;
  };
  auto one = [](browser b, std::string url) -> rt::task<outcome> {
    outcome out;
    rt::result<page> p = co_await b.new_page("about:blank", {}, rt::deadline(60s));
    if (!p) {
      out.error = p.err().what();
      co_return out;
    }
    rt::result<navigation> nav = co_await p->navigate(url, wait_until::load, rt::deadline(60s));
    if (!nav) {
      out.error = nav.err().what();
      co_return out;
    }
    rt::result<json_value> v = co_await evaluate(*p, "window.id", rt::deadline(30s));
    rt::result<json_value> t = co_await evaluate(*p, "document.title", rt::deadline(30s));
    if (!v || !t) {
      out.error = !v ? v.err().what() : t.err().what();
      co_return out;
    }
    out.value = v->get_int().value_or(-2);
    out.title = t->get_string() ? *t->get_string() : "";
    co_return out;
  };
  std::vector<background<outcome>> runs;
  for (int i = 0; i < n; ++i) runs.push_back(run_in_background(s, one(b, server->url("/p/" + std::to_string(i)))));
  for (int i = 0; i < n; ++i) {
    INFO("page " << i);
    REQUIRE(wait_done(runs[i], 90s));
    const outcome& o = **runs[i].value;
    CHECK(o.error == "");
    CHECK(o.value == i * 3);
    CHECK(o.title == "page " + std::to_string(i));
  }
  CHECK(b.pages().size() == n);
}

TEST_CASE("isolated browser contexts: a page inside one, listed with it, closed with it", "[page][browser]") {
  auto server = serve();
  server->route("/set", html("<!doctype html><script>localStorage.setItem('k', 'v')</script>"));
  server->route("/get", html("<!doctype html><title>get</title>"));
  rt::scheduler s({.workers = 2});
  browser b = launch(s);
  auto version = s.block_on(b.version());
  REQUIRE(version);
  CHECK(version->product.find("Chrome") != std::string::npos);

  auto ctx = s.block_on(b.create_context());
  if (!ctx) FAIL(ctx.err().what());
  auto inside = s.block_on(b.new_page(server->url("/set"), *ctx));
  if (!inside) FAIL(inside.err().what());
  page outside = open(s, b, server->url("/get"));
  CHECK(eval_now(s, *inside, "localStorage.getItem('k')") == json_value("v"));
  CHECK(eval_now(s, outside, "localStorage.getItem('k')").is_null());  // not shared across contexts

  bool listed = false;
  for (int i = 0; i < 100 && !listed; ++i) {
    auto targets = s.block_on(b.targets());
    REQUIRE(targets);
    for (const auto& t : *targets)
      listed = listed || (t.target_id == inside->target_id() && t.browser_context_id == *ctx && t.type == "page");
    if (!listed) std::this_thread::sleep_for(20ms);
  }
  CHECK(listed);

  auto disposed = s.block_on(b.dispose_context(*ctx));
  if (!disposed) FAIL(disposed.err().what());
  for (int i = 0; i < 250 && inside->alive(); ++i) std::this_thread::sleep_for(20ms);
  CHECK(inside->alive().code() == rt::errc::target_closed);
  CHECK(outside.alive());
}

TEST_CASE("connect through http://127.0.0.1:port reads /json/version", "[page][browser]") {
  auto server = serve();
  server->route("/", html("<!doctype html><title>over tcp</title>"));
  rt::scheduler s({.workers = 2});
  launch_options o;
  o.use_pipe = false;
  auto launched = s.block_on(launch_chromium(s, o));
  if (!launched) FAIL(launched.err().what());
  std::unique_ptr<browser_process> process = std::move(*launched);
  std::string port;
  for (const std::string& line : process->last_stderr_lines()) {
    const auto at = line.find("ws://127.0.0.1:");
    if (at != std::string::npos) port = line.substr(at + 15, line.find('/', at + 15) - at - 15);
  }
  REQUIRE_FALSE(port.empty());
  const std::string http_url = "http://127.0.0.1:" + port;
  auto ws = s.block_on(fetch_websocket_url(s, http_url));
  if (!ws) FAIL(ws.err().what());
  CHECK(ws->rfind("ws://127.0.0.1:" + port + "/devtools/browser/", 0) == 0);
  {
    auto b = s.block_on(browser::connect(s, http_url));
    if (!b) FAIL(b.err().what());
    auto version = s.block_on(b->version());
    REQUIRE(version);
    auto p = s.block_on(b->new_page(server->url("/")));
    if (!p) FAIL(p.err().what());
    CHECK(eval_now(s, *p, "document.title") == json_value("over tcp"));
    auto closed = s.block_on(b->close_page(*p));
    CHECK(closed);
  }
  auto refused = s.block_on(fetch_websocket_url(s, "http://127.0.0.1:1", rt::deadline(5s)));
  REQUIRE_FALSE(refused);
  CHECK(refused.code() == rt::errc::transport);
  process->close();
}

TEST_CASE("network_idle waits for fetches that start after load; the page's domain actors follow it",
          "[page][browser]") {
  auto server = serve();
  server->route("/late.json", http_response(200, "{\"late\":true}", "application/json"), 600ms);
  server->route("/idle", html("<!doctype html><title>idle</title><script>"
                              "addEventListener('load', () => setTimeout(async () => {"
                              "  const r = await fetch('/late.json'); console.log('late', (await r.json()).late);"
                              "}, 200));</script>"));
  rt::scheduler s({.workers = 2});
  browser b = launch(s);
  page p = open(s, b);
  auto nav = s.block_on(p.navigate(server->url("/idle"), wait_until::network_idle, rt::deadline(20s)));
  REQUIRE(nav);
  // Served before navigate returned: the wait covered the late request.
  bool late_served = false;
  for (const auto& r : server->served()) late_served |= r.target == "/late.json" && r.status == 200;
  CHECK(late_served);
  auto in_flight = s.block_on(p.network().in_flight());
  REQUIRE(in_flight);
  CHECK(*in_flight == 0);
  auto requests = s.block_on(p.network().requests());
  REQUIRE(requests);
  bool in_table = false;
  for (const auto& q : *requests) in_table |= q.url == server->url("/late.json") && q.status == 200;
  CHECK(in_table);
  auto title = s.block_on(p.evaluate("document.title"));
  REQUIRE(title);
  CHECK(*title == json_value("idle"));
  auto thrown = s.block_on(p.evaluate("null.x"));
  CHECK(thrown.code() == rt::errc::javascript);

  // Not enabled before this navigation, so the console's replay brings the earlier line.
  auto entries = s.block_on(p.console().entries());
  REQUIRE(entries);
  bool logged = false;
  for (const auto& e : *entries) logged |= e.text == "late true";
  CHECK(logged);
}
