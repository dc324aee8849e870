// The CSS domain actor against real Chromium: the sheet registry follows additions, CSSOM changes
// (cached text dropped) and removals, computed style and matched rules of a mirrored node.
#include "browser_fixture.hpp"

#include <janus/domains/css.hpp>
#include <janus/domains/dom.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <thread>

using namespace janus;
using namespace std::chrono_literals;
using janus::domains::css;
using janus::domains::style_sheet;

namespace {

// Sheets are reported as events: wait (bounded) until the registry holds `n`.
std::vector<style_sheet> sheets_when(janus_test::browser_fixture& f, const css& c, std::size_t n) {
  std::vector<style_sheet> out;
  for (int i = 0; i < 200; ++i) {
    auto s = f.run(c.sheets());
    if (s) out = std::move(*s);
    if (out.size() == n) break;
    std::this_thread::sleep_for(20ms);
  }
  return out;
}

}  // namespace

TEST_CASE("style sheets, their text through changes, computed style and matched rules", "[css][browser]") {
  janus_test::browser_fixture f;
  f.http->route("/s.css", protocol::http_response(200, "body { margin: 0px; }\n", "text/css"));
  f.http->route("/page.html", protocol::http_response(200, R"(<!doctype html><html><head>
<link rel="stylesheet" href="/s.css">
<style id="inline">p.x { color: rgb(10, 20, 30); margin: 1px 2px; }</style>
</head><body><p class="x" style="padding: 3px">text</p></body></html>)", "text/html"));
  f.http->route("/other.html", protocol::http_response(200, "<!doctype html><style>i { color: red; }</style><i>i</i>",
                                                       "text/html"));
  REQUIRE(f.navigate(f.http->url("/page.html")));
  css styles = css::start(f.sched, f.page);
  domains::dom doc = domains::dom::start(f.sched, f.page);

  std::vector<style_sheet> sheets = sheets_when(f, styles, 2);
  REQUIRE(sheets.size() == 2);
  const style_sheet* linked = nullptr;
  const style_sheet* inline_sheet = nullptr;
  for (const auto& s : sheets) (s.source_url == f.http->url("/s.css") ? linked : inline_sheet) = &s;
  REQUIRE(linked);
  REQUIRE(inline_sheet);
  CHECK(linked->origin == "regular");
  CHECK(inline_sheet->is_inline);
  const std::string inline_id = inline_sheet->id;

  auto text = f.run(styles.text(linked->id));
  REQUIRE(text);
  CHECK(*text == "body { margin: 0px; }\n");
  auto itext = f.run(styles.text(inline_id));
  REQUIRE(itext);
  CHECK(*itext == "p.x { color: rgb(10, 20, 30); margin: 1px 2px; }");
  auto cached = f.run(styles.text(inline_id));
  REQUIRE(cached);
  auto st = f.run(styles.stats());
  REQUIRE(st);
  CHECK(st->text_fetches == 2);
  CHECK(st->text_hits == 1);

  // The mirror's node ids are the CSS domain's node ids.
  auto p = f.run(doc.query_selector("p.x"));
  REQUIRE(p);
  REQUIRE(p->has_value());
  auto computed = f.run(styles.computed(**p));
  REQUIRE(computed);
  auto value = [&](const std::string& name) {
    for (const auto& [k, v] : *computed)
      if (k == name) return v;
    return std::string("<absent>");
  };
  CHECK(value("color") == "rgb(10, 20, 30)");
  CHECK(value("margin-left") == "2px");
  CHECK(value("padding-top") == "3px");
  auto matched = f.run(styles.matched(**p));
  REQUIRE(matched);
  bool found = false;
  for (const auto& r : *matched) {
    if (r.selector != "p.x") continue;
    found = true;
    CHECK(r.sheet_id == inline_id);
    REQUIRE(r.properties.size() == 2);
    CHECK(r.properties[0] == std::pair<std::string, std::string>("color", "rgb(10, 20, 30)"));
    CHECK(r.properties[1] == std::pair<std::string, std::string>("margin", "1px 2px"));
  }
  CHECK(found);

  // A CSSOM change: styleSheetChanged bumps the version and drops the cached text, so the next
  // read goes to the browser again. (For an inline sheet Chromium still reports the element's
  // text: CSSOM edits do not rewrite it.)
  REQUIRE(f.eval("document.getElementById('inline').sheet.insertRule('em { color: blue; }', 1); true"));
  bool bumped = false;
  for (int i = 0; i < 100 && !bumped; ++i) {
    for (const auto& s : sheets_when(f, styles, 2)) bumped = bumped || (s.id == inline_id && s.version == 1);
    if (!bumped) std::this_thread::sleep_for(20ms);
  }
  REQUIRE(bumped);
  REQUIRE(f.run(styles.text(inline_id)));
  auto after_change = f.run(styles.stats());
  REQUIRE(after_change);
  CHECK(after_change->changed == 1);
  CHECK(after_change->text_fetches == 3);
  CHECK(after_change->text_hits == 1);

  // Editing the <style>'s text replaces its sheet: a new id with the new text.
  REQUIRE(f.eval("document.getElementById('inline').appendChild(document.createTextNode(' i { color: red; }')); true"));
  std::string replaced_id;
  for (int i = 0; i < 100 && replaced_id.empty(); ++i) {
    for (const auto& s : sheets_when(f, styles, 2))
      if (s.is_inline && s.id != inline_id) replaced_id = s.id;
    if (replaced_id.empty()) std::this_thread::sleep_for(20ms);
  }
  REQUIRE_FALSE(replaced_id.empty());
  auto replaced = f.run(styles.text(replaced_id));
  REQUIRE(replaced);
  CHECK(*replaced == "p.x { color: rgb(10, 20, 30); margin: 1px 2px; } i { color: red; }");
  auto old_text = f.run(styles.text(inline_id));
  REQUIRE_FALSE(old_text);
  CHECK(old_text.code() == rt::errc::not_found);

  // Removing the <style> removes its sheet.
  REQUIRE(f.eval("document.getElementById('inline').remove(); true"));
  sheets = sheets_when(f, styles, 1);
  REQUIRE(sheets.size() == 1);
  CHECK(sheets[0].source_url == f.http->url("/s.css"));
  auto gone = f.run(styles.text(replaced_id));
  REQUIRE_FALSE(gone);
  CHECK(gone.code() == rt::errc::not_found);

  // A navigation: only the new document's sheets.
  REQUIRE(f.navigate(f.http->url("/other.html")));
  sheets = sheets_when(f, styles, 1);
  REQUIRE(sheets.size() == 1);
  CHECK(sheets[0].is_inline);
  auto other = f.run(styles.text(sheets[0].id));
  REQUIRE(other);
  CHECK(*other == "i { color: red; }");

  // The DOM mirror is still whole after CSS enabled DOM with the same whitespace setting.
  auto mirror = f.run(doc.html());
  auto browser = f.eval("document.documentElement.outerHTML");
  REQUIRE(mirror);
  REQUIRE(browser);
  CHECK(*mirror == browser->as_string());
}
