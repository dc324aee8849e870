// The page scenarios written once and run against both browsers through the same types:
// client::browser launched with launch_options::product, client::page, and the page's domain
// handles (network(), console(), dom(), css(), runtime()). Each TEMPLATE_TEST_CASE body is
// instantiated for a fixture that differs only in the product it launches.
//
// Where the browsers legitimately differ (how a rendered object is printed, how many pixels a
// scrollbar takes, the extra rows a browser adds to its network table), the tests assert the
// contract the two share, not either browser's habits.
//
// Each test case launches one browser and opens one page in it; everything is called from the
// test thread through block_on, with every argument passed explicitly.
#include "../support/mutation_burst.hpp"
#include "../support/png_size.hpp"

#include <janus/client/browser.hpp>
#include <janus/protocol/http_server.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace janus;
using namespace janus::client;
using namespace janus::session;
using namespace std::chrono_literals;
using protocol::http_response;
using protocol::json_value;

namespace {

std::unique_ptr<protocol::http_server> serve() {
  auto s = protocol::http_server::start();
  if (!s) FAIL(s.err().what());
  return std::move(*s);
}

// One browser of product P, one page on about:blank. Console and network are enabled before the
// first navigation, so that both browsers' buffers hold every document's entries and requests
// (Firefox records from the moment the tab is attached anyway).
template <browser_product P>
struct on_browser {
  static constexpr const char* name = P == browser_product::firefox ? "firefox" : "chromium";
  rt::scheduler sched{{.workers = 2}};
  std::unique_ptr<protocol::http_server> server = serve();
  browser b;
  page tab;

  on_browser() {
    launch_options options;
    options.product = P;
    auto launched = sched.block_on(browser::launch(sched, std::move(options)));
    if (!launched) FAIL(launched.err().what());
    b = std::move(*launched);
    auto p = sched.block_on(b.new_page(std::string("about:blank"), std::string(), rt::deadline(30s)));
    if (!p) FAIL(p.err().what());
    tab = std::move(*p);
    REQUIRE(tab.product() == P);
    auto con = sched.block_on(tab.console().enable(rt::deadline(10s)));
    if (!con) FAIL(con.err().what());
    auto net = sched.block_on(tab.network().enable(rt::deadline(10s)));
    if (!net) FAIL(net.err().what());
  }
  ~on_browser() {
    tab = page();
    b = browser();
    if (server) server->stop();
  }

  rt::result<std::vector<domains::console_entry>> console_entries() {
    return sched.block_on(tab.console().entries(rt::deadline(10s)));
  }
  rt::result<std::vector<domains::network_request>> network_requests() {
    return sched.block_on(tab.network().requests(rt::deadline(10s)));
  }
};

using chromium = on_browser<browser_product::chromium>;
using firefox = on_browser<browser_product::firefox>;

http_response html(std::string body) { return http_response(200, std::move(body), "text/html; charset=utf-8"); }

template <class F>
rt::result<navigation> nav(F& f, const std::string& path, wait_until until) {
  return f.sched.block_on(f.tab.navigate(f.server->url(path), until, rt::deadline(20s)));
}

template <class F>
rt::result<json_value> eval(F& f, const std::string& js) {
  return f.sched.block_on(f.tab.evaluate(js, rt::deadline(10s)));
}

template <class F>
json_value must_eval(F& f, const std::string& js) {
  auto v = eval(f, js);
  if (!v) FAIL(js << " -> " << v.err().what());
  return std::move(*v);
}

#define REQUIRE_OK(r)                                 \
  do {                                                \
    if (!(r)) FAIL(#r << ": " << (r).err().what()); \
  } while (false)

using test::png_dimensions;

}  // namespace

TEMPLATE_TEST_CASE("both: navigate with each wait kind, reload, back and forward", "[both][browser]", chromium,
                   firefox) {
  TestType f;
  INFO(TestType::name);
  f.server->route("/slow.png", http_response(200, std::string(300, 'p'), "image/png"), 1500ms);
  f.server->route("/img1.html", html("<title>img1</title><p>x</p><img src='/slow.png?1'>"));
  f.server->route("/img2.html", html("<title>img2</title><p>x</p><img src='/slow.png?2'>"));
  f.server->route("/a.html", html("<title>A</title><p>a</p>"));
  f.server->route("/b.html", html("<title>B</title><p>b</p>"));
  f.server->route("/late", http_response(200, "done", "text/plain"), 300ms);
  f.server->route("/idle.html",
                  html("<title>idle</title><script>window.onload = () => setTimeout(() => "
                       "fetch('/late').then((r) => r.text()).then((t) => { window.late = t; }), 50);</script>"));

  // The fetch starts 50 ms after load and takes 300 ms: only network_idle waits for it.
  auto idle = nav(f, "/idle.html", wait_until::network_idle);
  REQUIRE_OK(idle);
  CHECK(must_eval(f, "window.late") == json_value("done"));
  bool late_served = false;
  for (const auto& r : f.server->served()) late_served |= r.target == "/late" && r.status == 200;
  CHECK(late_served);

  auto c = nav(f, "/a.html", wait_until::commit);
  REQUIRE_OK(c);
  CHECK(c->url == f.server->url("/a.html"));
  CHECK_FALSE(c->loader_id.empty());

  auto dcl = nav(f, "/img1.html", wait_until::domcontentloaded);
  REQUIRE_OK(dcl);
  CHECK(dcl->url == f.server->url("/img1.html"));
  CHECK(must_eval(f, "document.readyState") != json_value("complete"));

  auto t0 = std::chrono::steady_clock::now();
  auto load = nav(f, "/img2.html", wait_until::load);
  REQUIRE_OK(load);
  CHECK(std::chrono::steady_clock::now() - t0 >= 1400ms);
  CHECK(must_eval(f, "document.readyState") == json_value("complete"));
  CHECK(must_eval(f, "document.title") == json_value("img2"));
  CHECK(load->loader_id != dcl->loader_id);
  auto info = f.sched.block_on(f.tab.info(rt::deadline(5s)));
  REQUIRE_OK(info);
  CHECK(info->loaded);
  CHECK(info->dom_content_loaded);
  CHECK(info->url == f.server->url("/img2.html"));

  // History: /idle.html, /a.html, /img1.html, /img2.html, then /a.html and /b.html.
  REQUIRE_OK(nav(f, "/a.html", wait_until::load));
  auto b = nav(f, "/b.html", wait_until::load);
  REQUIRE_OK(b);
  CHECK(must_eval(f, "document.title") == json_value("B"));

  auto back = f.sched.block_on(f.tab.go_back(wait_until::load, rt::deadline(20s)));
  REQUIRE_OK(back);
  CHECK(back->url == f.server->url("/a.html"));
  CHECK(must_eval(f, "document.title") == json_value("A"));
  auto fwd = f.sched.block_on(f.tab.go_forward(wait_until::load, rt::deadline(20s)));
  REQUIRE_OK(fwd);
  CHECK(fwd->url == f.server->url("/b.html"));
  CHECK(must_eval(f, "document.title") == json_value("B"));
  auto beyond = f.sched.block_on(f.tab.go_forward(wait_until::load, rt::deadline(20s)));
  REQUIRE_FALSE(beyond);
  CHECK(beyond.err().code == rt::errc::invalid_argument);

  must_eval(f, "window.before = 'set'; 1");
  auto reloaded = f.sched.block_on(f.tab.reload(wait_until::load, rt::deadline(20s)));
  REQUIRE_OK(reloaded);
  CHECK(reloaded->url == f.server->url("/b.html"));
  CHECK(reloaded->loader_id != b->loader_id);
  CHECK(must_eval(f, "window.before === undefined") == json_value(true));  // a new document
  CHECK(must_eval(f, "document.title") == json_value("B"));

  // Again, after documents that left requests behind: Chromium may never report the end of
  // img1's image, abandoned when /img2.html replaced its document before it loaded. Only what
  // this navigation starts may count, on both browsers.
  auto idle_again = nav(f, "/idle.html", wait_until::network_idle);
  REQUIRE_OK(idle_again);
  CHECK(must_eval(f, "window.late") == json_value("done"));
}

TEMPLATE_TEST_CASE("both: evaluate returns JSON values, awaits promises, reports exceptions; set_content",
                   "[both][browser]", chromium, firefox) {
  TestType f;
  INFO(TestType::name);
  f.server->route("/e.html", html("<title>eval</title><p id='p'>hello</p>"));
  REQUIRE_OK(nav(f, "/e.html", wait_until::load));

  CHECK(must_eval(f, "1 + 1") == json_value(2));
  CHECK(must_eval(f, "1.5") == json_value(1.5));
  CHECK(must_eval(f, "-7") == json_value(-7));
  CHECK(must_eval(f, "'str'") == json_value("str"));
  CHECK(must_eval(f, "true") == json_value(true));
  CHECK(must_eval(f, "null").is_null());
  CHECK(must_eval(f, "undefined").is_null());
  CHECK(must_eval(f, "document.getElementById('p').textContent") == json_value("hello"));
  CHECK(must_eval(f, "'h\\u00e9llo \\u2713'") == json_value("h\xc3\xa9llo \xe2\x9c\x93"));
  auto obj = must_eval(f, "({a: 1, b: [1, 'x', null], c: {d: false}})");
  REQUIRE(obj.is_object());
  CHECK(obj["a"] == json_value(1));
  CHECK(obj["b"].size() == 3);
  CHECK(obj["b"][1] == json_value("x"));
  CHECK(obj["b"][2].is_null());
  CHECK(obj["c"]["d"] == json_value(false));
  auto arr = must_eval(f, "[1, 2, 3].map((v) => v * 2)");
  REQUIRE(arr.is_array());
  CHECK(arr.size() == 3);
  CHECK(arr[2] == json_value(6));
  CHECK(must_eval(f, "Promise.resolve(7)") == json_value(7));
  CHECK(must_eval(f, "new Promise((r) => setTimeout(() => r('later'), 100))") == json_value("later"));

  auto big = must_eval(f, "'x'.repeat(99997) + 'END'");
  REQUIRE(big.is_string());
  CHECK(big.as_string().size() == 100000);
  CHECK(big.as_string().substr(99992) == "xxxxxEND");

  auto thrown = eval(f, "throw new TypeError('bad thing')");
  REQUIRE_FALSE(thrown);
  CHECK(thrown.err().code == rt::errc::javascript);
  CHECK(thrown.err().message.find("bad thing") != std::string::npos);
  auto rejected = eval(f, "(async () => { throw new Error('nope'); })()");
  REQUIRE_FALSE(rejected);
  CHECK(rejected.err().code == rt::errc::javascript);
  CHECK(rejected.err().message.find("nope") != std::string::npos);
  auto no_name = eval(f, "nosuchname + 1");
  REQUIRE_FALSE(no_name);
  CHECK(no_name.err().code == rt::errc::javascript);
  CHECK(no_name.err().message.find("nosuchname") != std::string::npos);
  // The page still evaluates after the errors.
  CHECK(must_eval(f, "6 * 7") == json_value(42));

  auto set = f.sched.block_on(
      f.tab.set_content(std::string("<title>set</title><div id='x'>hello from set_content</div>"), rt::deadline(10s)));
  REQUIRE_OK(set);
  CHECK(must_eval(f, "document.getElementById('x').textContent") == json_value("hello from set_content"));
  CHECK(must_eval(f, "document.title") == json_value("set"));
  CHECK(must_eval(f, "document.getElementById('p')").is_null());
  auto again = f.sched.block_on(f.tab.set_content(std::string("<p id='y'>second</p>"), rt::deadline(10s)));
  REQUIRE_OK(again);
  CHECK(must_eval(f, "document.getElementById('x') === null && document.getElementById('y').textContent") ==
        json_value("second"));
}

TEMPLATE_TEST_CASE("both: screenshots of the viewport and the full page are PNGs of the page's size",
                   "[both][browser]", chromium, firefox) {
  TestType f;
  INFO(TestType::name);
  f.server->route("/tall.html", html("<!doctype html><style>body{margin:0}</style>"
                                     "<div style='height:3000px;background:linear-gradient(red,blue)'></div>"));
  REQUIRE_OK(nav(f, "/tall.html", wait_until::load));
  const double dpr = must_eval(f, "window.devicePixelRatio").as_double();
  const double inner_h = static_cast<double>(must_eval(f, "window.innerHeight").as_int()) * dpr;
  const double scroll_h =
      static_cast<double>(must_eval(f, "document.documentElement.scrollHeight").as_int()) * dpr;

  auto view = f.sched.block_on(f.tab.screenshot(screenshot_options{}, rt::deadline(20s)));
  REQUIRE_OK(view);
  auto vs = png_dimensions(*view);
  REQUIRE(vs);
  // Whether a scrollbar is inside the capture differs between the browsers: a few pixels of slack.
  CHECK(vs->width > 100);
  CHECK(std::abs(static_cast<double>(vs->height) - inner_h) <= 20 * dpr);

  screenshot_options full;
  full.full_page = true;
  auto whole = f.sched.block_on(f.tab.screenshot(full, rt::deadline(20s)));
  REQUIRE_OK(whole);
  auto ws = png_dimensions(*whole);
  REQUIRE(ws);
  CHECK(ws->height > vs->height);
  CHECK(std::abs(static_cast<double>(ws->height) - scroll_h) <= 2 * dpr);
  CHECK(ws->width > 100);
  CHECK(whole->size() > view->size());

  // One element: its border box, 200 x 100 CSS pixels.
  must_eval(f, "const b = document.createElement('div'); b.id = 'box';"
               "b.style.cssText = 'position:absolute;left:30px;top:40px;width:200px;height:100px;background:green';"
               "document.body.appendChild(b); 1");
  screenshot_options one;
  one.selector = "#box";
  auto box = f.sched.block_on(f.tab.screenshot(one, rt::deadline(20s)));
  REQUIRE_OK(box);
  auto bs = png_dimensions(*box);
  REQUIRE(bs);
  CHECK(std::abs(static_cast<double>(bs->width) - 200 * dpr) <= 1);
  CHECK(std::abs(static_cast<double>(bs->height) - 100 * dpr) <= 1);
  screenshot_options nothing;
  nothing.selector = "#no-such-element";
  auto none = f.sched.block_on(f.tab.screenshot(nothing, rt::deadline(20s)));
  REQUIRE_FALSE(none);
  CHECK(none.err().code == rt::errc::not_found);
}

TEMPLATE_TEST_CASE("both: console entries of each level arrive in order with their text", "[both][browser]",
                   chromium, firefox) {
  TestType f;
  INFO(TestType::name);
  f.server->route("/c.html", html("<title>console</title><script>console.log('from the page');</script>"));
  REQUIRE_OK(nav(f, "/c.html", wait_until::load));
  must_eval(f,
            "console.log('one'); console.info('two'); console.warn('three');"
            "console.error('four %d of %s', 5, 'six'); console.debug('seven');"
            "for (let i = 0; i < 200; i++) console.log('line', i);"
            "setTimeout(() => { throw new Error('boom'); }, 0); 1");

  std::vector<domains::console_entry> entries;
  const auto until = std::chrono::steady_clock::now() + 15s;
  for (;;) {
    auto e = f.console_entries();
    REQUIRE_OK(e);
    entries = std::move(*e);
    bool boom = false;
    for (const auto& x : entries) boom = boom || x.text.find("boom") != std::string::npos;
    if (boom || std::chrono::steady_clock::now() > until) break;
    std::this_thread::sleep_for(50ms);
  }

  // Only the page's own lines: the browsers add messages of their own (Chromium's Log domain).
  struct expected {
    std::string text;
    std::string level;
  };
  const std::vector<expected> want = {{"from the page", "info"}, {"one", "info"},          {"two", "info"},
                                      {"three", "warning"},      {"four 5 of six", "error"}, {"seven", "verbose"}};
  std::vector<const domains::console_entry*> mine;
  std::vector<std::string> lines;
  const domains::console_entry* boom = nullptr;
  for (const auto& e : entries) {
    for (const auto& w : want)
      if (e.text == w.text) mine.push_back(&e);
    if (e.text.rfind("line ", 0) == 0) lines.push_back(e.text);
    if (e.text.find("boom") != std::string::npos) boom = &e;
  }
  REQUIRE(mine.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO("entry " << i);
    CHECK(mine[i]->text == want[i].text);
    CHECK(mine[i]->level == want[i].level);
    CHECK(mine[i]->from == domains::console_entry::origin::console_api);
    if (i > 0) CHECK(mine[i]->seq > mine[i - 1]->seq);
  }
  CHECK(mine[2]->type == "info");
  CHECK(mine[3]->type == "warning");
  CHECK(mine[4]->type == "error");
  CHECK(mine[5]->type == "debug");
  REQUIRE(lines.size() == 200);
  for (std::size_t i = 0; i < lines.size(); ++i) REQUIRE(lines[i] == "line " + std::to_string(i));
  REQUIRE(boom);
  CHECK(boom->level == "error");
  CHECK(boom->from == domains::console_entry::origin::exception);
}

TEMPLATE_TEST_CASE("both: the network table lists the page's requests with their status codes", "[both][browser]",
                   chromium, firefox) {
  TestType f;
  INFO(TestType::name);
  const std::string img(4321, 'i');
  const std::string data = R"({"k":"value"})";
  f.server->route("/n/pic.png", http_response(200, img, "image/png"));
  f.server->route("/n/data.json", http_response(200, data, "application/json"));
  f.server->route("/n/page.html",
                  html("<title>net</title><img src='/n/pic.png'><script src='/n/missing.js'></script>"
                       "<script>fetch('/n/data.json', {method: 'POST', body: 'x'}).then((r) => r.text());</script>"));
  auto n = nav(f, "/n/page.html", wait_until::network_idle);
  REQUIRE_OK(n);
  auto rows = f.network_requests();
  REQUIRE_OK(rows);
  auto find = [&](const std::string& path) -> const domains::network_request* {
    for (const auto& r : *rows)
      if (r.url == f.server->url(path)) return &r;
    return nullptr;
  };
  const auto* page_row = find("/n/page.html");
  const auto* pic = find("/n/pic.png");
  const auto* missing = find("/n/missing.js");
  const auto* json = find("/n/data.json");
  REQUIRE(page_row);
  REQUIRE(pic);
  REQUIRE(missing);
  REQUIRE(json);
  CHECK(page_row->status == 200);
  CHECK(page_row->method == "GET");
  CHECK(page_row->resource_type == "Document");
  CHECK(page_row->mime_type == "text/html");
  CHECK(pic->status == 200);
  CHECK(pic->resource_type == "Image");
  CHECK(pic->status_state == domains::network_request::state::finished);
  CHECK(missing->status == 404);
  CHECK(json->method == "POST");
  CHECK(json->status == 200);
  CHECK(json->mime_type == "application/json");
  for (const auto& r : *rows) CHECK_FALSE(r.in_flight());
  // What the server answered is what the table shows (a favicon request may be in either or not).
  for (const auto& s : f.server->served()) {
    const auto* r = find(s.target);
    if (!r) continue;
    INFO(s.target);
    CHECK(r->status == s.status);
    CHECK(r->method == s.method);
  }
}

namespace {

rt::task<rt::result<domains::console_entry>> next_entry(rt::subscription<domains::console_entry>& sub, rt::deadline d) {
  co_return co_await sub.next(d);
}

rt::task<rt::result<protocol::cdp_owned_message>> call_on(cdp_session s) {
  call_options call_opts{};
  co_return co_await s.call("Page.enable", "{}", std::move(call_opts));
}

bool has_header(const domains::header_list& headers, const std::string& name) {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size(); ++i) same = same && std::tolower(static_cast<unsigned char>(k[i])) == name[i];
    if (same) return true;
  }
  return false;
}

}  // namespace

TEMPLATE_TEST_CASE("both: the page's domain handles — DOM mirror, CSS of a node, bodies and headers, live console",
                   "[both][browser]", chromium, firefox) {
  TestType f;
  INFO(TestType::name);
  const std::string sheet = "#main { color: rgb(10, 20, 30); padding-top: 4px; }";
  f.server->route("/d/style.css", http_response(200, sheet, "text/css"));
  f.server->route("/d/page.html", html("<!doctype html><html><head><title>d</title>"
                                       "<link rel='stylesheet' href='/d/style.css'></head><body>"
                                       "<div id='main' class='box'><p>one</p><p>two</p></div></body></html>"));
  REQUIRE_OK(nav(f, "/d/page.html", wait_until::load));

  // DOM: the mirror, queried under a node, equal to the browser's own serialization, and kept
  // current after a mutation.
  domains::dom dom = f.tab.dom();
  REQUIRE(dom);
  REQUIRE_OK(f.sched.block_on(dom.document(rt::deadline(20s))));
  auto main = f.sched.block_on(dom.query_selector(std::string("#main"), std::nullopt, rt::deadline(10s)));
  REQUIRE_OK(main);
  REQUIRE(main->has_value());
  const domains::node_ref m = **main;
  auto ps = f.sched.block_on(dom.query_selector_all(std::string("p"), m, rt::deadline(10s)));
  REQUIRE_OK(ps);
  CHECK(ps->size() == 2);
  auto node = f.sched.block_on(dom.node(m, rt::deadline(10s)));
  REQUIRE_OK(node);
  CHECK(node->local_name == "div");
  REQUIRE(node->attribute("class"));
  CHECK(*node->attribute("class") == "box");
  auto mine = f.sched.block_on(dom.outer_html(m, rt::deadline(10s)));
  REQUIRE_OK(mine);
  CHECK(*mine == "<div id=\"main\" class=\"box\"><p>one</p><p>two</p></div>");
  auto theirs = f.sched.block_on(dom.browser_outer_html(m, rt::deadline(10s)));
  REQUIRE_OK(theirs);
  CHECK(*mine == *theirs);
  must_eval(f, "document.getElementById('main').appendChild(document.createElement('p')).textContent = 'three'; 1");
  REQUIRE_OK(f.sched.block_on(dom.settle(300ms, rt::deadline(10s))));
  auto after = f.sched.block_on(dom.outer_html(m, rt::deadline(10s)));
  REQUIRE_OK(after);
  CHECK(*after == "<div id=\"main\" class=\"box\"><p>one</p><p>two</p><p>three</p></div>");
  auto stats = f.sched.block_on(dom.stats(rt::deadline(10s)));
  REQUIRE_OK(stats);
  CHECK(stats->ready);

  // CSS: the sheet is registered with its text; the node's computed style and matched rules.
  domains::css css = f.tab.css();
  std::optional<domains::style_sheet> ours;
  for (const auto until = std::chrono::steady_clock::now() + 10s; !ours && std::chrono::steady_clock::now() < until;) {
    auto sheets = f.sched.block_on(css.sheets(rt::deadline(10s)));
    REQUIRE_OK(sheets);
    for (const auto& s : *sheets)
      if (s.source_url == f.server->url("/d/style.css")) ours = s;
    if (!ours) std::this_thread::sleep_for(50ms);
  }
  REQUIRE(ours);
  auto text = f.sched.block_on(css.text(ours->id, rt::deadline(10s)));
  REQUIRE_OK(text);
  CHECK(*text == sheet);
  auto computed = f.sched.block_on(css.computed(m, rt::deadline(10s)));
  REQUIRE_OK(computed);
  std::string color, padding;
  for (const auto& [k, v] : *computed) {
    if (k == "color") color = v;
    if (k == "padding-top") padding = v;
  }
  CHECK(color == "rgb(10, 20, 30)");
  CHECK(padding == "4px");
  auto matched = f.sched.block_on(css.matched(m, rt::deadline(10s)));
  REQUIRE_OK(matched);
  const domains::matched_rule* rule = nullptr;
  for (const auto& r : *matched)
    if (r.selector == "#main") rule = &r;
  REQUIRE(rule);
  CHECK(rule->sheet_id == ours->id);
  REQUIRE_FALSE(rule->properties.empty());
  CHECK(rule->properties.front() == std::pair<std::string, std::string>("color", "rgb(10, 20, 30)"));

  // Network: a body and the headers on demand, idle, stats, clear.
  domains::network net = f.tab.network();
  REQUIRE_OK(f.sched.block_on(net.wait_idle(300ms, rt::deadline(10s))));
  auto rows = f.sched.block_on(net.requests(rt::deadline(10s)));
  REQUIRE_OK(rows);
  std::string css_id;
  for (const auto& r : *rows)
    if (r.url == f.server->url("/d/style.css")) css_id = r.request_id;
  REQUIRE_FALSE(css_id.empty());
  auto body = f.sched.block_on(net.response_body(css_id, rt::deadline(10s)));
  REQUIRE_OK(body);
  CHECK(body->bytes == sheet);
  auto response_headers = f.sched.block_on(net.response_headers(css_id, rt::deadline(10s)));
  REQUIRE_OK(response_headers);
  CHECK(has_header(*response_headers, "content-type"));
  auto request_headers = f.sched.block_on(net.request_headers(css_id, rt::deadline(10s)));
  REQUIRE_OK(request_headers);
  CHECK(has_header(*request_headers, "user-agent"));
  auto missing = f.sched.block_on(net.response_headers(std::string("no-such-request"), rt::deadline(10s)));
  REQUIRE_FALSE(missing);
  CHECK(missing.err().code == rt::errc::not_found);
  auto net_stats = f.sched.block_on(net.stats(rt::deadline(10s)));
  REQUIRE_OK(net_stats);
  CHECK(net_stats->rows == rows->size());
  CHECK(net_stats->requests >= 2);
  CHECK(net_stats->in_flight == 0);
  REQUIRE_OK(f.sched.block_on(net.clear(rt::deadline(10s))));
  auto cleared = f.sched.block_on(net.requests(rt::deadline(10s)));
  REQUIRE_OK(cleared);
  CHECK(cleared->empty());

  // Console: a live subscription, and the buffer's counters.
  auto sub = f.sched.block_on(f.tab.console().subscribe(64, rt::overflow::drop_oldest, rt::deadline(10s)));
  REQUIRE_OK(sub);
  must_eval(f, "console.log('live 1'); console.warn('live 2'); 1");
  std::vector<std::string> live;
  while (live.size() < 2) {
    auto e = f.sched.block_on(next_entry(*sub, rt::deadline(10s)));
    REQUIRE_OK(e);
    if (e->text.rfind("live ", 0) == 0) live.push_back(e->text + "/" + e->level);
  }
  CHECK(live == std::vector<std::string>{"live 1/info", "live 2/warning"});
  CHECK(sub->dropped() == 0);
  auto con_stats = f.sched.block_on(f.tab.console().stats(rt::deadline(10s)));
  REQUIRE_OK(con_stats);
  CHECK(con_stats->total >= 2);
  REQUIRE_OK(f.sched.block_on(f.tab.console().clear(rt::deadline(10s))));
  auto empty = f.console_entries();
  REQUIRE_OK(empty);
  CHECK(empty->empty());

  // Runtime: by value, with the JavaScript type.
  auto title = f.sched.block_on(f.tab.runtime().evaluate_value(std::string("document.title"), rt::deadline(10s)));
  REQUIRE_OK(title);
  CHECK(*title == json_value("d"));
  domains::evaluate_options eo;
  eo.until = rt::deadline(10s);
  auto answer = f.sched.block_on(f.tab.runtime().evaluate(std::string("Promise.resolve(40 + 2)"), eo));
  REQUIRE_OK(answer);
  CHECK(answer->type == "number");
  CHECK(answer->value == json_value(42));
}

TEST_CASE("firefox: the browser handle, and calls without an RDP equivalent fail with unsupported", "[both][browser]") {
  firefox f;
  CHECK(f.b.product() == browser_product::firefox);
  REQUIRE(f.b.firefox_process());
  CHECK_FALSE(f.b.process());
  CHECK(f.b.rdp());
  CHECK(f.b.state() == browser_state::running);
  auto v = f.sched.block_on(f.b.version(rt::deadline(10s)));
  REQUIRE_OK(v);
  CHECK(v->product.rfind("Firefox/", 0) == 0);
  CHECK(v->user_agent.find("Firefox") != std::string::npos);
  CHECK(v->protocol_version == "RDP");

  auto targets = f.sched.block_on(f.b.targets(rt::deadline(10s)));
  REQUIRE_OK(targets);
  bool ours = false;
  for (const auto& t : *targets) ours = ours || (t.target_id == f.tab.target_id() && t.attached && t.type == "page");
  CHECK(ours);
  REQUIRE(f.b.pages().size() == 1);
  CHECK(f.b.pages()[0] == f.tab);

  auto expect_unsupported = [](const auto& r, const std::string& call) {
    INFO(call);
    REQUIRE_FALSE(r);
    CHECK(r.err().code == rt::errc::unsupported);
    CHECK(r.err().message.find(call) != std::string::npos);
    CHECK(r.err().message.find("Firefox") != std::string::npos);
  };
  expect_unsupported(f.sched.block_on(f.b.create_context(rt::deadline(5s))), "create_context");
  expect_unsupported(f.sched.block_on(f.b.new_page(std::string("about:blank"), std::string("ctx"), rt::deadline(5s))),
                     "new_page");
  expect_unsupported(f.sched.block_on(f.tab.debugger().scripts(rt::deadline(5s))), "debugger.scripts");
  expect_unsupported(f.sched.block_on(f.tab.debugger().pause(rt::deadline(5s))), "debugger.pause");
  expect_unsupported(f.sched.block_on(f.tab.performance().metrics(rt::deadline(5s))), "performance.metrics");
  expect_unsupported(f.sched.block_on(f.tab.subscribe(std::string("Page.*"), 16)), "subscribe");
  domains::evaluate_options by_ref;
  by_ref.return_by_value = false;
  by_ref.until = rt::deadline(5s);
  expect_unsupported(f.sched.block_on(f.tab.runtime().evaluate(std::string("document.body"), by_ref)),
                     "return_by_value");
  CHECK_FALSE(f.tab.session());
  auto no_cdp = f.sched.block_on(call_on(f.tab.session()));
  REQUIRE_FALSE(no_cdp);
  CHECK(no_cdp.err().code == rt::errc::invalid_argument);

  // A second client of the same Firefox, by rdp://unix:<its debugger socket>.
  auto other = f.sched.block_on(browser::connect(
      f.sched, "rdp://unix:" + f.b.firefox_process()->socket_path(), connection_options{}));
  REQUIRE_OK(other);
  CHECK(other->product() == browser_product::firefox);
  CHECK_FALSE(other->firefox_process());
  auto second = f.sched.block_on(other->new_page(f.server->url("/x"), std::string(), rt::deadline(30s)));
  REQUIRE_OK(second);
  CHECK(f.sched.block_on(second->evaluate(std::string("location.pathname"), rt::deadline(10s))).value() ==
        json_value("/x"));
  REQUIRE_OK(f.sched.block_on(other->close_page(*second, rt::deadline(10s))));
  CHECK(other->pages().empty());
  auto gone = second->alive();
  REQUIRE_FALSE(gone);
  CHECK(gone.err().code == rt::errc::target_closed);

  // Closing the page through the browser that opened it.
  REQUIRE_OK(f.sched.block_on(f.b.close_page(f.tab, rt::deadline(10s))));
  CHECK(f.b.pages().empty());
  f.b.close();
  CHECK(f.b.state() == browser_state::closed);
}

TEMPLATE_TEST_CASE("both: thousands of timed mutations: page.dom()'s mirror ends equal to outerHTML",
                   "[both][browser][dom]", chromium, firefox) {
  TestType f;
  INFO(TestType::name);
  f.server->route("/mutate.html",
                  html("<!DOCTYPE html>\n<html><head><title>mutations</title><style>b { font-weight: bold; }</style>"
                       "</head><body><div id=\"root\"><p class=\"x\">hello &amp; <b>world</b></p><!-- start --><ul>"
                       "<li>1</li><li>2</li></ul></div><script src=\"/mutate.js\"></script></body></html>"));
  // No whitespace-only text: Firefox's walker hides it (dom_test.cpp runs Chromium with it too).
  f.server->route("/mutate.js", http_response(200, test::mutation_burst_js(false), "application/javascript"));

  // Started on about:blank: the mirror follows the navigation to the new document.
  domains::dom d = f.tab.dom();
  REQUIRE_OK(f.sched.block_on(d.enable(rt::deadline(20s))));
  auto first = f.sched.block_on(d.stats(rt::deadline(5s)));
  REQUIRE_OK(first);
  REQUIRE_OK(nav(f, "/mutate.html", wait_until::load));
  bool done = false;
  for (const auto until = std::chrono::steady_clock::now() + 90s; !done && std::chrono::steady_clock::now() < until;) {
    done = must_eval(f, "window.__mutationsDone === true") == json_value(true);
    if (!done) std::this_thread::sleep_for(100ms);
  }
  REQUIRE(done);

  const json_value browser = must_eval(f, "document.documentElement.outerHTML");
  REQUIRE(browser.is_string());
  REQUIRE_OK(f.sched.block_on(d.settle(500ms, rt::deadline(60s))));
  auto mirror = f.sched.block_on(d.html(rt::deadline(10s)));
  REQUIRE_OK(mirror);
  INFO(test::first_difference(*mirror, browser.as_string()));
  CHECK(*mirror == browser.as_string());

  auto stats = f.sched.block_on(d.stats(rt::deadline(5s)));
  REQUIRE_OK(stats);
  INFO("events " << stats->events << ", unknown " << stats->unknown << ", child requests " << stats->child_requests
                 << ", failures " << stats->request_failures << ", refreshes " << stats->refreshes << ", nodes "
                 << stats->nodes);
  CHECK(stats->events > 1000);
  CHECK(stats->child_requests > 0);
  CHECK(stats->generation > first->generation);
  CHECK(stats->malformed == 0);
  CHECK(stats->dropped == 0);
  CHECK(stats->ready);
  // Every node of the document is mirrored.
  const json_value count = must_eval(
      f, "(() => { let n = 0; const w = document.createTreeWalker(document, 0xFFFFFFFF); do { n++; } while (w.nextNode()); "
         "return n; })()");
  CHECK(static_cast<std::int64_t>(stats->nodes) >= count.as_int());
}
