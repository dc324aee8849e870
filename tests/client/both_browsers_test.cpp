// The page scenarios run against both browsers: navigation and its waits, evaluation,
// screenshots, console entries, the network table (see both_browsers_fixture.hpp).
#include "both_browsers_fixture.hpp"


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

