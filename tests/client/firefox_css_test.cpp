// firefox_css and firefox_network against the real Firefox ESR, with pages from a loopback
// http_server: external and inline sheets in the registry with their hrefs and rule counts, their
// text as served, computed style and matched rules of an element, the old document's sheets gone
// after a navigation; response bodies (text, a long one, binary as base64) and headers of the
// tab's requests. Each test ends only the Firefox it launched.
#include "firefox_fixture.hpp"

#include "firefox_css.hpp"
#include <janus/client/firefox_launcher.hpp>
#include "firefox_network.hpp"
#include "firefox_tab.hpp"
#include <janus/protocol/http_server.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace janus;
using namespace janus::client;
using test::html;
using namespace std::chrono_literals;
using protocol::http_response;

namespace {

struct fixture : test::firefox_fixture {
  // Sheets are reported as resources batched every 100 ms: polled until `done` holds.
  template <class Pred>
  std::vector<domains::style_sheet> sheets_when(firefox_css& css, Pred done) {
    std::vector<domains::style_sheet> last;
    for (int i = 0; i < 100; ++i) {
      auto s = sched.block_on(css.sheets(rt::deadline(5s)));
      if (!s) FAIL(s.err().what());
      last = std::move(*s);
      if (done(last)) break;
      std::this_thread::sleep_for(50ms);
    }
    return last;
  }
};

const domains::style_sheet* sheet_with_url(const std::vector<domains::style_sheet>& sheets, const std::string& url,
                                           bool is_inline) {
  for (const auto& s : sheets)
    if (s.source_url == url && s.is_inline == is_inline) return &s;
  return nullptr;
}

std::optional<std::string> value_of(const std::vector<std::pair<std::string, std::string>>& props,
                                    const std::string& name) {
  for (const auto& [n, v] : props)
    if (n == name) return v;
  return std::nullopt;
}

const std::string style_css =
    "#main { color: rgb(10, 20, 30); }\n"
    ".box { display: inline-block; padding-top: 4px; }\n"
    "p { margin: 0; }\n";
const std::string inline_css = "\n.inl { color: red; }\n.other { color: blue; }\n";

}  // namespace

TEST_CASE("css: sheets with hrefs and rule counts, text, computed style, matched rules", "[firefox]") {
  fixture f;
  f.server->route("/s/style.css", http_response(200, style_css, "text/css"));
  f.server->route("/s/page.html", html("<title>css</title><link rel='stylesheet' href='/s/style.css'><style>" +
                                       inline_css + "</style><div id='main' class='box'>x</div>"
                                       "<iframe src='/s/frame.html'></iframe>"));
  f.server->route("/s/frame.css", http_response(200, "b { color: teal; }\n", "text/css"));
  f.server->route("/s/frame.html", html("<link rel='stylesheet' href='/s/frame.css'><b>in a frame</b>"));
  f.server->route("/s/other.css", http_response(200, "body { color: green; }\n", "text/css"));
  f.server->route("/s/other.html", html("<title>other</title><link rel='stylesheet' href='/s/other.css'><p>o</p>"));
  REQUIRE_OK(f.nav("/s/page.html", wait_until::load));
  firefox_css css(f.tab);
  const std::string page_url = f.server->url("/s/page.html");
  const std::string css_url = f.server->url("/s/style.css");
  const std::string frame_css_url = f.server->url("/s/frame.css");
  auto sheets = f.sheets_when(css, [&](const auto& s) {
    return sheet_with_url(s, css_url, false) && sheet_with_url(s, page_url, true) &&
           sheet_with_url(s, frame_css_url, false);
  });
  // The frame's sheet is listed too, under the frame's own browsing context.
  const auto* in_frame = sheet_with_url(sheets, frame_css_url, false);
  REQUIRE(in_frame);
  auto frame_text = f.sched.block_on(css.text(in_frame->id, rt::deadline(10s)));
  REQUIRE_OK(frame_text);
  CHECK(*frame_text == "b { color: teal; }\n");
  const auto* external = sheet_with_url(sheets, css_url, false);
  const auto* inl = sheet_with_url(sheets, page_url, true);
  REQUIRE(external);
  REQUIRE(inl);
  CHECK(external->rule_count == std::optional<std::size_t>(3));
  CHECK(inl->rule_count == std::optional<std::size_t>(2));
  CHECK(external->origin == "regular");
  CHECK_FALSE(external->disabled);
  CHECK(external->frame_id == inl->frame_id);
  CHECK(in_frame->frame_id != external->frame_id);
  const std::string old_frame = in_frame->id;  // `sheets` is read again below
  CHECK(external->id != inl->id);

  auto text = f.sched.block_on(css.text(external->id, rt::deadline(10s)));
  REQUIRE_OK(text);
  CHECK(*text == style_css);
  auto itext = f.sched.block_on(css.text(inl->id, rt::deadline(10s)));
  REQUIRE_OK(itext);
  CHECK(*itext == inline_css);
  auto again = f.sched.block_on(css.text(external->id, rt::deadline(10s)));
  REQUIRE_OK(again);
  CHECK(*again == style_css);
  auto st = f.sched.block_on(css.stats());
  REQUIRE_OK(st);
  CHECK(st->text_hits >= 1);
  auto bogus = f.sched.block_on(css.text(std::string("no-such-sheet"), rt::deadline(5s)));
  REQUIRE_FALSE(bogus);
  CHECK(bogus.err().code == rt::errc::not_found);

  auto computed = f.sched.block_on(css.computed(std::string("#main"), rt::deadline(10s)));
  REQUIRE_OK(computed);
  CHECK(computed->size() > 100);
  CHECK(value_of(*computed, "color") == std::optional<std::string>("rgb(10, 20, 30)"));
  CHECK(value_of(*computed, "display") == std::optional<std::string>("inline-block"));
  CHECK(value_of(*computed, "padding-top") == std::optional<std::string>("4px"));

  auto matched = f.sched.block_on(css.matched(std::string("#main"), rt::deadline(10s)));
  REQUIRE_OK(matched);
  auto at = [&](const std::string& selector) -> std::ptrdiff_t {
    auto it = std::find_if(matched->begin(), matched->end(), [&](const auto& r) { return r.selector == selector; });
    return it == matched->end() ? -1 : it - matched->begin();
  };
  const std::ptrdiff_t main_at = at("#main");
  const std::ptrdiff_t box_at = at(".box");
  REQUIRE(main_at >= 0);
  REQUIRE(box_at >= 0);
  CHECK(box_at < main_at);  // lowest precedence first
  const auto& main_rule = (*matched)[static_cast<std::size_t>(main_at)];
  CHECK(main_rule.sheet_id == external->id);
  CHECK(main_rule.origin == "regular");
  REQUIRE(main_rule.properties.size() == 1);
  CHECK(main_rule.properties[0] == std::pair<std::string, std::string>("color", "rgb(10, 20, 30)"));
  CHECK(at(".inl") < 0);
  bool user_agent = false;
  for (const auto& r : *matched) {
    if (r.origin != "user-agent") continue;
    user_agent = true;
    CHECK(r.sheet_id.empty());
  }
  CHECK(user_agent);

  auto none = f.sched.block_on(css.computed(std::string("#nothing-here"), rt::deadline(10s)));
  REQUIRE_FALSE(none);
  CHECK(none.err().code == rt::errc::not_found);
  auto bad = f.sched.block_on(css.matched(std::string("!!not a selector"), rt::deadline(10s)));
  REQUIRE_FALSE(bad);
  CHECK(bad.err().code == rt::errc::protocol);

  // set_text: the new text is what text() reads, and what the page styles with; Firefox then
  // reports the sheet updated.
  const std::string edited_css = "#main { color: rgb(1, 2, 3); }\n";
  auto set = f.sched.block_on(css.set_text(external->id, edited_css, rt::deadline(10s)));
  REQUIRE_OK(set);
  auto edited = f.sched.block_on(css.text(external->id, rt::deadline(10s)));
  REQUIRE_OK(edited);
  CHECK(*edited == edited_css);
  auto recolored = f.sched.block_on(css.computed(std::string("#main"), rt::deadline(10s)));
  REQUIRE_OK(recolored);
  CHECK(value_of(*recolored, "color") == std::optional<std::string>("rgb(1, 2, 3)"));
  CHECK(value_of(*recolored, "display") == std::optional<std::string>("block"));
  sheets = f.sheets_when(css, [&](const auto& s) {
    const auto* e = sheet_with_url(s, css_url, false);
    return e && e->rule_count == std::optional<std::size_t>(1);
  });
  external = sheet_with_url(sheets, css_url, false);
  inl = sheet_with_url(sheets, page_url, true);
  REQUIRE(external);
  REQUIRE(inl);
  CHECK(external->rule_count == std::optional<std::size_t>(1));
  auto changed = f.sched.block_on(css.stats());
  REQUIRE_OK(changed);
  CHECK(changed->changed >= 1);
  auto missing_set =
      f.sched.block_on(css.set_text(std::string("no-such-sheet"), std::string("p {}"), rt::deadline(5s)));
  REQUIRE_FALSE(missing_set);
  CHECK(missing_set.err().code == rt::errc::not_found);

  // A navigation: the old document's sheets leave the registry, the new one's arrive.
  const std::string old_external = external->id;
  const std::string old_inline = inl->id;
  REQUIRE_OK(f.nav("/s/other.html", wait_until::load));
  const std::string other_url = f.server->url("/s/other.css");
  sheets = f.sheets_when(css, [&](const auto& s) { return sheet_with_url(s, other_url, false) != nullptr; });
  REQUIRE(sheet_with_url(sheets, other_url, false));
  CHECK(sheets.size() == 1);
  for (const auto& s : sheets) {
    CHECK(s.id != old_external);
    CHECK(s.id != old_inline);
    CHECK(s.id != old_frame);
  }
  auto gone = f.sched.block_on(css.text(old_external, rt::deadline(5s)));
  REQUIRE_FALSE(gone);
  CHECK(gone.err().code == rt::errc::not_found);
  auto other_text = f.sched.block_on(css.text(sheets.front().id, rt::deadline(10s)));
  REQUIRE_OK(other_text);
  CHECK(*other_text == "body { color: green; }\n");
  auto green = f.sched.block_on(css.computed(std::string("p"), rt::deadline(10s)));
  REQUIRE_OK(green);
  CHECK(value_of(*green, "color") == std::optional<std::string>("rgb(0, 128, 0)"));
}

TEST_CASE("network: response bodies and headers on demand", "[firefox]") {
  fixture f;
  const std::string text = "hello body\nline 2: \xc3\xbcnic\xc3\xb6" "de\n";
  std::string big;
  for (int i = 0; big.size() < 300000; ++i) big += "line " + std::to_string(i) + " of a long body\n";
  std::string png = "\x89PNG\r\n\x1a\n";
  for (int i = 0; i < 1024; ++i) png += static_cast<char>((i * 7) & 0xff);
  f.server->route("/n/text.txt", http_response(200, text, "text/plain; charset=utf-8"));
  f.server->route("/n/big.txt", http_response(200, big, "text/plain"));
  f.server->route("/n/pic.png", http_response(200, png, "image/png"));
  f.server->route("/n/page.html", html("<title>bodies</title><img src='/n/pic.png'><script>"
                                       "fetch('/n/text.txt').then((r) => r.text());"
                                       "fetch('/n/big.txt').then((r) => r.text());</script>"));
  REQUIRE_OK(f.nav("/n/page.html", wait_until::network_idle));
  auto rows = f.sched.block_on(f.tab.network_requests());
  REQUIRE_OK(rows);
  auto id_of = [&](const std::string& path) {
    for (const auto& r : *rows)
      if (r.url == f.server->url(path)) return r.request_id;
    FAIL("no row for " << path);
    return std::string();
  };
  firefox_network net(f.tab);

  auto tbody = f.sched.block_on(net.response_body(id_of("/n/text.txt"), rt::deadline(10s)));
  REQUIRE_OK(tbody);
  CHECK_FALSE(tbody->was_base64);
  CHECK(tbody->bytes == text);

  auto bbody = f.sched.block_on(net.response_body(id_of("/n/big.txt"), rt::deadline(20s)));
  REQUIRE_OK(bbody);
  CHECK(bbody->bytes.size() == big.size());
  CHECK(bbody->bytes == big);

  auto pbody = f.sched.block_on(net.response_body(id_of("/n/pic.png"), rt::deadline(10s)));
  REQUIRE_OK(pbody);
  CHECK(pbody->was_base64);
  CHECK(pbody->bytes.size() == png.size());
  CHECK(pbody->bytes == png);

  auto page = f.sched.block_on(net.response_body(id_of("/n/page.html"), rt::deadline(10s)));
  REQUIRE_OK(page);
  CHECK(page->bytes.find("<title>bodies</title>") != std::string::npos);

  auto reqh = f.sched.block_on(net.request_headers(id_of("/n/text.txt"), rt::deadline(10s)));
  REQUIRE_OK(reqh);
  auto header = [](const domains::header_list& h, const std::string& name) -> std::optional<std::string> {
    for (const auto& [n, v] : h)
      if (n == name) return v;
    return std::nullopt;
  };
  CHECK(header(*reqh, "Host") == std::optional<std::string>("127.0.0.1:" + std::to_string(f.server->port())));
  auto resh = f.sched.block_on(net.response_headers(id_of("/n/text.txt"), rt::deadline(10s)));
  REQUIRE_OK(resh);
  auto ctype = header(*resh, "Content-Type");
  REQUIRE(ctype);
  CHECK(ctype->rfind("text/plain", 0) == 0);

  auto unknown = f.sched.block_on(net.response_body(std::string("no-such-request"), rt::deadline(5s)));
  REQUIRE_FALSE(unknown);
  CHECK(unknown.err().code == rt::errc::not_found);
}
