// `janus inspect`, `eval`, `dom` and `screenshot` as a user runs them, against real headless
// Chromium, on pages served from loopback.
#include "../support/png_size.hpp"
#include "cli_support.hpp"

#include <janus/protocol/http_server.hpp>
#include <janus/protocol/json_value.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include <unistd.h>

using janus::protocol::http_response;
using janus::protocol::http_server;
using janus::protocol::json_value;
using janus::test::run_janus;

namespace {

const json_value* find_request(const json_value& requests, const std::string& suffix) {
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::string& url = requests[i]["url"].as_string();
    if (url.size() >= suffix.size() && url.compare(url.size() - suffix.size(), suffix.size(), suffix) == 0)
      return &requests[i];
  }
  return nullptr;
}

bool has_console(const json_value& console, const std::string& level, const std::string& type,
                 const std::string& text) {
  for (std::size_t i = 0; i < console.size(); ++i)
    if (console[i]["level"].as_string() == level && console[i]["type"].as_string() == type &&
        console[i]["text"].as_string() == text)
      return true;
  return false;
}

// The same page without whitespace between tags: Firefox's walker hides whitespace-only text.
constexpr const char* firefox_mutating_page = R"(<!DOCTYPE html><html><head><title>mutating</title></head><body>)"
    R"(<ul id="list"></ul><p class="a">start</p><script>
let n = 0;
const list = document.getElementById('list');
const timer = setInterval(() => {
  for (let i = 0; i < 20; ++i) {
    const li = document.createElement('li');
    li.textContent = 'item ' + (n++);
    li.setAttribute('data-n', n);
    list.appendChild(li);
    if (list.children.length > 30) list.removeChild(list.firstElementChild);
  }
  document.querySelector('p').textContent = 'step ' + n;
  document.querySelector('p').className = 'b' + (n % 3);
  if (n >= 400) { clearInterval(timer); document.body.setAttribute('data-done', '1'); }
}, 20);
</script></body></html>)";

constexpr const char* mutating_page = R"(<!DOCTYPE html><html><head><title>mutating</title></head>
<body><ul id="list"></ul><p class="a">start</p>
<script>
let n = 0;
const list = document.getElementById('list');
const timer = setInterval(() => {
  for (let i = 0; i < 20; ++i) {
    const li = document.createElement('li');
    li.textContent = 'item ' + (n++);
    li.setAttribute('data-n', n);
    list.appendChild(li);
    if (list.children.length > 30) list.removeChild(list.firstElementChild);
  }
  document.querySelector('p').textContent = 'step ' + n;
  document.querySelector('p').className = 'b' + (n % 3);
  if (n >= 400) { clearInterval(timer); document.body.setAttribute('data-done', '1'); }
}, 5);
</script></body></html>)";

}  // namespace

TEST_CASE("janus inspect --json on the built-in page lists its requests and console lines", "[cli][browser]") {
  const auto r = run_janus({"inspect", "--json", "--wait", "network-idle"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto v = json_value::parse(r.out);
  REQUIRE(v);
  CHECK(v->find("browser")->as_string().find("Chrome") != std::string::npos);
  CHECK(v->find("title")->as_string() == "Janus demo page");
  CHECK(v->find("url")->as_string().rfind("http://127.0.0.1:", 0) == 0);
  CHECK((*v)["dom"]["element_count"].as_int() > 10);
  const json_value& sheets = (*v)["stylesheets"];
  REQUIRE(sheets.size() == 1);
  CHECK(sheets[0]["href"].as_string().find("/style.css") != std::string::npos);
  CHECK(sheets[0]["rules"].as_int() == 6);

  const json_value& requests = (*v)["requests"];
  for (const char* path : {"/style.css", "/app.js", "/logo.svg", "/api/items.json", "/api/slow"}) {
    CAPTURE(path);
    const json_value* q = find_request(requests, path);
    REQUIRE(q);
    CHECK((*q)["status"].as_int() == 200);
    CHECK((*q)["method"].as_string() == "GET");
    CHECK((*q)["bytes"].as_int() > 0);
    CHECK_FALSE((*q)["failed"].as_bool());
  }
  const json_value* missing = find_request(requests, "/api/missing");
  REQUIRE(missing);
  CHECK((*missing)["status"].as_int() == 404);
  CHECK((*missing)["failed"].as_bool());
  CHECK((*find_request(requests, "/style.css"))["mime"].as_string() == "text/css");

  const json_value& console = (*v)["console"];
  CHECK(has_console(console, "info", "log", "demo: script running"));
  CHECK(has_console(console, "info", "info", "demo: user agent headless"));
  CHECK(has_console(console, "info", "log", "demo: loaded 5 items"));
  CHECK(has_console(console, "warning", "warning", "demo: /api/missing answered 404 no such thing"));
  CHECK(has_console(console, "error", "error", "demo: an error message, on purpose"));
  // The browser's own line about the 404, from the Log domain.
  CHECK(has_console(console, "error", "network",
                    "Failed to load resource: the server responded with a status of 404 (Not Found)"));
}

TEST_CASE("janus inspect prints a report", "[cli][browser]") {
  const auto r = run_janus({"inspect"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* part : {"Janus demo page", "DOM", "Stylesheets", "Network", "METHOD", "/api/items.json",
                           "Console", "demo: script running", "Timings"})
    CHECK(r.out.find(part) != std::string::npos);
}

TEST_CASE("janus eval prints the value; a JS exception is a message and exit 1", "[cli][browser]") {
  auto server = http_server::start();
  REQUIRE(server);
  (*server)->route("/", http_response(200, "<title>t</title><p>x</p>", "text/html"));
  const std::string url = (*server)->url("/");
  auto v = run_janus({"eval", url, "({sum: 1 + 2, title: document.title, list: [true, null]})"});
  INFO(v.err);
  REQUIRE(v.exit_code == 0);
  auto parsed = json_value::parse(v.out);
  REQUIRE(parsed);
  CHECK((*parsed)["sum"].as_int() == 3);
  CHECK((*parsed)["title"].as_string() == "t");
  CHECK((*parsed)["list"][0].as_bool());
  auto awaited = run_janus({"eval", url, "new Promise(r => setTimeout(() => r('later'), 50))"});
  CHECK(awaited.out == "\"later\"\n");
  auto thrown = run_janus({"eval", url, "throw new Error('nope')"});
  CHECK(thrown.exit_code == 1);
  CHECK(thrown.out.empty());
  CHECK(thrown.err.find("nope") != std::string::npos);
  CHECK(std::count(thrown.err.begin(), thrown.err.end(), '\n') == 1);
}

TEST_CASE("janus dom prints the mirror, which equals the page's outerHTML", "[cli][browser]") {
  auto server = http_server::start();
  REQUIRE(server);
  (*server)->route("/", http_response(200, mutating_page, "text/html"));
  const std::string url = (*server)->url("/");
  auto dom = run_janus({"dom", url, "--after", "1500"});
  INFO(dom.err);
  REQUIRE(dom.exit_code == 0);
  auto browser_side = run_janus(
      {"eval", url,
       "new Promise(r => { const t = setInterval(() => { if (document.body.dataset.done) { clearInterval(t); "
       "r(document.documentElement.outerHTML) } }, 10) })"});
  REQUIRE(browser_side.exit_code == 0);
  auto expected = json_value::parse(browser_side.out);
  REQUIRE(expected);
  REQUIRE(dom.out.size() > 1);
  CHECK(dom.out.substr(0, dom.out.size() - 1) == expected->as_string());
  CHECK(dom.out.find("data-done=\"1\"") != std::string::npos);

  auto p = run_janus({"dom", url, "--after", "1500", "--selector", "p"});
  REQUIRE(p.exit_code == 0);
  CHECK(p.out == "<p class=\"b1\">step 400</p>\n");
  auto none = run_janus({"dom", url, "--selector", "table"});
  CHECK(none.exit_code == 1);
  CHECK(none.err.find("table") != std::string::npos);
}

TEST_CASE("janus screenshot writes a PNG of the viewport's size", "[cli][browser]") {
  auto server = http_server::start();
  REQUIRE(server);
  (*server)->route("/", http_response(200, "<body style='margin:0'><div id=box style='width:120px;height:80px;background:red'></div>"
                                           "<div style='height:3000px'></div></body>",
                                      "text/html"));
  const std::string url = (*server)->url("/");
  char dir[] = "/tmp/janus-shot-XXXXXX";
  REQUIRE(::mkdtemp(dir));
  const std::string file = std::string(dir) + "/page.png";
  auto size_of = [](const std::string& f) -> std::pair<unsigned, unsigned> {
    std::ifstream in(f, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::optional<janus::test::png_size> d = janus::test::png_dimensions(bytes);
    if (!d) return {0, 0};
    return {d->width, d->height};
  };
  auto viewport = run_janus({"eval", url, "[innerWidth, innerHeight]"});
  REQUIRE(viewport.exit_code == 0);
  auto wh = json_value::parse(viewport.out);
  REQUIRE(wh);
  auto shot = run_janus({"screenshot", url, file});
  INFO(shot.err);
  REQUIRE(shot.exit_code == 0);
  auto [w, h] = size_of(file);
  CHECK(w == static_cast<unsigned>((*wh)[0].as_int()));
  CHECK(h == static_cast<unsigned>((*wh)[1].as_int()));
  auto full = run_janus({"screenshot", url, file, "--full-page"});
  REQUIRE(full.exit_code == 0);
  CHECK(size_of(file).second >= 3080);
  auto element = run_janus({"screenshot", url, file, "--selector", "#box"});
  REQUIRE(element.exit_code == 0);
  CHECK(size_of(file) == std::pair<unsigned, unsigned>(120, 80));
  std::remove(file.c_str());
  ::rmdir(dir);
}

TEST_CASE("janus inspect: no browser is one line and exit 3", "[cli][browser]") {
  auto r = run_janus({"inspect"}, {"JANUS_CHROMIUM=/nonexistent/chromium"});
  CHECK(r.exit_code == 3);
  CHECK(r.err.rfind("janus inspect: no Chromium found", 0) == 0);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  auto bad = run_janus({"inspect", "--wait", "forever"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("janus inspect/eval/screenshot --browser firefox; dom prints the mirror", "[cli][browser][firefox]") {
  const auto r = run_janus({"inspect", "--json", "--browser", "firefox", "--wait", "network-idle"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto v = json_value::parse(r.out);
  REQUIRE(v);
  CHECK(v->find("browser")->as_string().rfind("Firefox/", 0) == 0);
  CHECK(v->find("title")->as_string() == "Janus demo page");
  CHECK((*v)["dom"]["element_count"].as_int() > 10);
  const json_value& requests = (*v)["requests"];
  for (const char* path : {"/style.css", "/app.js", "/api/items.json", "/api/slow"}) {
    CAPTURE(path);
    const json_value* q = find_request(requests, path);
    REQUIRE(q);
    CHECK((*q)["status"].as_int() == 200);
  }
  const json_value* missing = find_request(requests, "/api/missing");
  REQUIRE(missing);
  CHECK((*missing)["status"].as_int() == 404);
  const json_value& console = (*v)["console"];
  CHECK(has_console(console, "info", "log", "demo: script running"));
  CHECK(has_console(console, "error", "error", "demo: an error message, on purpose"));

  auto server = http_server::start();
  REQUIRE(server);
  (*server)->route("/", http_response(200, "<title>ff</title>", "text/html"));
  auto e = run_janus({"eval", "--browser", "firefox", (*server)->url("/"), "({title: document.title, n: 6 * 7})"});
  INFO(e.err);
  REQUIRE(e.exit_code == 0);
  auto ev = json_value::parse(e.out);
  REQUIRE(ev);
  CHECK((*ev)["title"].as_string() == "ff");
  CHECK((*ev)["n"].as_int() == 42);
  auto thrown = run_janus({"eval", "--browser", "firefox", (*server)->url("/"), "throw new Error('nope')"});
  CHECK(thrown.exit_code == 1);
  CHECK(thrown.err.find("nope") != std::string::npos);

  // Firefox's mirror, kept in sync while the page mutates. The page has no whitespace-only text
  // nodes, which Firefox's walker hides (client/src/firefox_dom.hpp).
  (*server)->route("/mutating", http_response(200, firefox_mutating_page, "text/html"));
  const std::string mutating_url = (*server)->url("/mutating");
  auto dom = run_janus({"dom", "--browser", "firefox", mutating_url, "--after", "1500"});
  INFO(dom.err);
  REQUIRE(dom.exit_code == 0);
  auto browser_side = run_janus(
      {"eval", "--browser", "firefox", mutating_url,
       "new Promise(r => { const t = setInterval(() => { if (document.body.dataset.done) { clearInterval(t); "
       "r(document.documentElement.outerHTML) } }, 10) })"});
  REQUIRE(browser_side.exit_code == 0);
  auto expected = json_value::parse(browser_side.out);
  REQUIRE(expected);
  REQUIRE(dom.out.size() > 1);
  CHECK(dom.out.substr(0, dom.out.size() - 1) == expected->as_string());
  CHECK(dom.out.find("data-done=\"1\"") != std::string::npos);
  auto p = run_janus({"dom", "--browser", "firefox", mutating_url, "--after", "1500", "--selector", "p"});
  INFO(p.err);
  CHECK(p.exit_code == 0);
  CHECK(p.out == "<p class=\"b1\">step 400</p>\n");

  auto missing_ff = run_janus({"inspect", "--browser", "firefox"}, {"JANUS_FIREFOX=/nonexistent/firefox"});
  CHECK(missing_ff.exit_code == 3);
  CHECK(missing_ff.err.rfind("janus inspect: no Firefox found", 0) == 0);
}
