// firefox_dom against the real Firefox ESR, with pages from a loopback http_server: query
// selectors answered with mirror nodes, and a navigation rebuilding the mirror with old handles
// going stale. The key test (thousands of timed mutations, then the mirror equals outerHTML) runs
// on both browsers through page::dom() in both_browsers_test.cpp; real pages in
// tests/client/real_pages_main.cpp. Each test ends only the Firefox it launched.
#include "firefox_css.hpp"
#include "firefox_dom.hpp"
#include "firefox_fixture.hpp"

#include <janus/client/firefox_launcher.hpp>
#include "firefox_tab.hpp"
#include <janus/protocol/http_server.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

using namespace janus;
using namespace janus::client;
using test::html;
using namespace std::chrono_literals;
using domains::node_ref;
using protocol::http_response;
using protocol::json_value;

namespace {

using fixture = test::firefox_fixture;

}  // namespace

TEST_CASE("query selectors answer with mirror nodes; removed nodes go stale", "[firefox][dom]") {
  fixture f;
  f.server->route("/q.html", html("<!DOCTYPE html><html><head><title>q</title></head><body><div id=\"main\" "
                                  "class=\"box big\"><p>first <b>bold</b></p><ul><li class=\"item\">1</li>"
                                  "<li class=\"item\">2</li><li class=\"item\">3</li></ul></div><!--note-->"
                                  "</body></html>"));
  REQUIRE_OK(f.nav("/q.html"));
  firefox_dom d = firefox_dom::start(f.sched, f.tab);

  auto whole = f.sched.block_on(d.html(rt::deadline(20s)));
  REQUIRE_OK(whole);
  CHECK(*whole == f.must_eval("document.documentElement.outerHTML").as_string());

  auto p = f.sched.block_on(d.query_selector("#main p", rt::deadline(10s)));
  REQUIRE_OK(p);
  REQUIRE(p->has_value());
  auto p_html = f.sched.block_on(d.outer_html(**p, rt::deadline(5s)));
  REQUIRE_OK(p_html);
  CHECK(*p_html == "<p>first <b>bold</b></p>");
  auto p_inner = f.sched.block_on(d.inner_html(**p, rt::deadline(5s)));
  REQUIRE_OK(p_inner);
  CHECK(*p_inner == "first <b>bold</b>");
  auto p_node = f.sched.block_on(d.node(**p, rt::deadline(5s)));
  REQUIRE_OK(p_node);
  CHECK(p_node->type == 1);
  CHECK(p_node->local_name == "p");
  CHECK(p_node->children.size() == 2);

  auto items = f.sched.block_on(d.query_selector_all("li.item", rt::deadline(10s)));
  REQUIRE_OK(items);
  REQUIRE(items->size() == 3);
  auto third = f.sched.block_on(d.outer_html((*items)[2], rt::deadline(5s)));
  REQUIRE_OK(third);
  CHECK(*third == "<li class=\"item\">3</li>");

  auto none = f.sched.block_on(d.query_selector("#nothing-here", rt::deadline(10s)));
  REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());
  auto none_all = f.sched.block_on(d.query_selector_all("table", rt::deadline(10s)));
  REQUIRE_OK(none_all);
  CHECK(none_all->empty());
  auto bad = f.sched.block_on(d.query_selector("##", rt::deadline(10s)));
  REQUIRE_FALSE(bad);
  CHECK(bad.err().code == rt::errc::protocol);

  // A node inserted just before the query: the answer waits for the mirror to have it.
  f.must_eval("document.getElementById('main').insertAdjacentHTML('beforeend', '<em id=\"late\" title=\"a&amp;b\">"
              "new</em>'); true");
  auto late = f.sched.block_on(d.query_selector("#late", rt::deadline(10s)));
  REQUIRE_OK(late);
  REQUIRE(late->has_value());
  auto late_html = f.sched.block_on(d.outer_html(**late, rt::deadline(5s)));
  REQUIRE_OK(late_html);
  CHECK(*late_html == "<em id=\"late\" title=\"a&amp;b\">new</em>");

  // A node the page removed: its handle is stale, though of the current generation.
  f.must_eval("document.querySelector('#main p').remove(); true");
  REQUIRE_OK(f.sched.block_on(d.settle(300ms, rt::deadline(10s))));
  auto gone = f.sched.block_on(d.node(**p, rt::deadline(5s)));
  REQUIRE_FALSE(gone);
  CHECK(gone.err().code == rt::errc::stale_node);
  auto after = f.sched.block_on(d.html(rt::deadline(10s)));
  REQUIRE_OK(after);
  CHECK(*after == f.must_eval("document.documentElement.outerHTML").as_string());
}

TEST_CASE("a navigation rebuilds the Firefox mirror: old handles are stale, never a wrong node", "[firefox][dom]") {
  fixture f;
  f.server->route("/one.html", html("<!DOCTYPE html><p id=\"a\">one</p>"));
  f.server->route("/two.html", html("<!DOCTYPE html><p id=\"a\">two</p><p>more</p>"));
  REQUIRE_OK(f.nav("/one.html"));
  firefox_dom d = firefox_dom::start(f.sched, f.tab);
  auto a = f.sched.block_on(d.query_selector("#a", rt::deadline(20s)));
  REQUIRE_OK(a);
  REQUIRE(a->has_value());
  const node_ref old = **a;

  REQUIRE_OK(f.nav("/two.html"));
  auto html2 = f.sched.block_on(d.html(rt::deadline(20s)));
  REQUIRE_OK(html2);
  CHECK(*html2 == "<html><head></head><body><p id=\"a\">two</p><p>more</p></body></html>");
  auto stale = f.sched.block_on(d.outer_html(old, rt::deadline(5s)));
  REQUIRE_FALSE(stale);
  CHECK(stale.err().code == rt::errc::stale_node);
  auto fresh = f.sched.block_on(d.query_selector("#a", rt::deadline(10s)));
  REQUIRE_OK(fresh);
  REQUIRE(fresh->has_value());
  CHECK((*fresh)->generation > old.generation);
  auto text = f.sched.block_on(d.outer_html(**fresh, rt::deadline(5s)));
  REQUIRE_OK(text);
  CHECK(*text == "<p id=\"a\">two</p>");

  // The doctype is mirrored as the document's first child.
  auto doc = f.sched.block_on(d.document(rt::deadline(5s)));
  REQUIRE_OK(doc);
  auto doc_node = f.sched.block_on(d.node(*doc, rt::deadline(5s)));
  REQUIRE_OK(doc_node);
  CHECK(doc_node->type == 9);
  REQUIRE(doc_node->children.size() == 2);
  auto doctype = f.sched.block_on(d.node(node_ref{doc_node->children[0], doc->generation}, rt::deadline(5s)));
  REQUIRE_OK(doctype);
  CHECK(doctype->type == 10);
  CHECK(doctype->name == "html");
}

TEST_CASE("a node moved under a parent the mirror has yet to read keeps reporting its changes", "[firefox][dom]") {
  // The walker drops the 'added' half of such a move (the new parent has no actor yet) and counts
  // the node as removed; the mirror finds it again by reading the new parent, and must go on
  // getting its changes. (When the page moves it while the mirror is applying a batch, the mirror
  // may read it before the walker would release it: see release_dropped in firefox_dom.cpp.)
  fixture f;
  f.server->route("/move.html", html("<!DOCTYPE html><html><head><title>move</title></head><body><div id=\"from\">"
                                     "<p id=\"x\" class=\"a\">text</p></div></body></html>"));
  REQUIRE_OK(f.nav("/move.html"));
  firefox_dom d = firefox_dom::start(f.sched, f.tab);
  REQUIRE_OK(f.sched.block_on(d.document(rt::deadline(20s))));
  f.must_eval("const n = document.createElement('section'); document.body.appendChild(n); "
              "n.appendChild(document.getElementById('x')); true");
  REQUIRE_OK(f.sched.block_on(d.settle(300ms, rt::deadline(10s))));
  // Two more batches, so that a release at the next getMutations would have happened.
  f.must_eval("document.getElementById('from').setAttribute('data-step', '1'); true");
  REQUIRE_OK(f.sched.block_on(d.settle(300ms, rt::deadline(10s))));
  f.must_eval("const x = document.getElementById('x'); x.textContent = 'changed'; x.setAttribute('data-y', '2'); "
              "x.appendChild(document.createElement('b')); true");
  REQUIRE_OK(f.sched.block_on(d.settle(300ms, rt::deadline(10s))));
  auto mirror = f.sched.block_on(d.html(rt::deadline(10s)));
  REQUIRE_OK(mirror);
  CHECK(*mirror == f.must_eval("document.documentElement.outerHTML").as_string());
  CHECK(mirror->find("<p id=\"x\" class=\"a\" data-y=\"2\">changed<b></b></p>") != std::string::npos);
}

TEST_CASE("CSS queries on the same tab share the walker without disturbing the mirror", "[firefox][dom]") {
  // firefox_css looks elements up through the inspector's one walker, the one the mirror follows:
  // its lookups must neither steal the mirror's mutations nor release nodes the mirror holds.
  fixture f;
  f.server->route("/styled.html",
                  html("<!DOCTYPE html><html><head><title>styled</title><style>#main { color: rgb(1, 2, 3); }</style>"
                       "</head><body><!-- a comment --><div id=\"main\"><p>one</p></div><ul id=\"list\"></ul>"
                       "</body></html>"));
  REQUIRE_OK(f.nav("/styled.html"));
  // CSS first: the walker is created by its lookup, and must still show the mirror its comments.
  firefox_css css(f.tab);
  REQUIRE_OK(f.sched.block_on(css.computed(std::string("#main"), rt::deadline(10s))));
  firefox_dom d = firefox_dom::start(f.sched, f.tab);
  REQUIRE_OK(f.sched.block_on(d.document(rt::deadline(20s))));
  for (int round = 0; round < 3; ++round) {
    auto computed = f.sched.block_on(css.computed(std::string("#main"), rt::deadline(10s)));
    REQUIRE_OK(computed);
    bool color = false;
    for (const auto& [name, value] : *computed) color = color || (name == "color" && value == "rgb(1, 2, 3)");
    CHECK(color);
    auto matched = f.sched.block_on(css.matched(std::string("#main p"), rt::deadline(10s)));
    REQUIRE_OK(matched);
    f.must_eval("const l = document.getElementById('list'); for (let i = 0; i < 50; i++) { const li = "
                "document.createElement('li'); li.textContent = 'r" + std::to_string(round) +
                " ' + i; l.appendChild(li); } document.querySelector('#main p').setAttribute('data-round', '" +
                std::to_string(round) + "'); true");
    REQUIRE_OK(f.sched.block_on(d.settle(300ms, rt::deadline(10s))));
    auto mirror = f.sched.block_on(d.html(rt::deadline(10s)));
    REQUIRE_OK(mirror);
    CHECK(*mirror == f.must_eval("document.documentElement.outerHTML").as_string());
  }
}

TEST_CASE("whitespace-only text, template content and long values are mirrored and followed", "[firefox][dom]") {
  // The inspector's walker hides whitespace-only text nodes that take no room and never reports a
  // change of their data; the mirror reads the page itself, so real pages (full of such nodes
  // between block tags) mirror exactly, and so does a change that turns one into visible text.
  fixture f;
  f.server->route("/ws.html", html("<!DOCTYPE html>\n<html>\n  <head>\n    <title>ws</title>\n  </head>\n  <body>\n"
                                   "    <div id=\"a\">\n      <p>one</p>\n      <p>two</p>\n    </div>\n"
                                   "    <template id=\"t\">\n      <li>in template</li>\n    </template>\n"
                                   "    <svg><a xlink:href=\"#x\"><text>s</text></a></svg>\n  </body>\n</html>\n"));
  REQUIRE_OK(f.nav("/ws.html"));
  firefox_dom d = firefox_dom::start(f.sched, f.tab);
  auto outer = [&] { return f.must_eval("document.documentElement.outerHTML").as_string(); };
  auto mirror = f.sched.block_on(d.html(rt::deadline(20s)));
  REQUIRE_OK(mirror);
  CHECK(*mirror == outer());
  CHECK(mirror->find("<div id=\"a\">\n      <p>one</p>") != std::string::npos);

  // Data changes of whitespace-only text (the walker reports none of these), in the document and
  // in a template's content; a value of 200,000 characters; non-ASCII; a node moved across parents.
  f.must_eval("const a = document.getElementById('a'); a.firstChild.data = 'now visible'; "
              "a.lastChild.data = '\\n\\t'; "
              "document.getElementById('t').content.firstChild.data = 'tpl text'; "
              "document.getElementById('t').content.appendChild(document.createElement('hr')); "
              "a.appendChild(document.createTextNode('x'.repeat(200000))); "
              "a.setAttribute('title', 'é ☃ \\u{1F600} &amp;'); "
              "document.body.insertBefore(a.children[1], document.body.firstChild); true");
  REQUIRE_OK(f.sched.block_on(d.settle(300ms, rt::deadline(10s))));
  mirror = f.sched.block_on(d.html(rt::deadline(10s)));
  REQUIRE_OK(mirror);
  CHECK(*mirror == outer());
  CHECK(mirror->find("<div id=\"a\" title=\"é ☃ \xF0\x9F\x98\x80 &amp;amp;\">now visible<p>one</p>") != std::string::npos);

  // A query finds a node inserted just before it, with its subtree; its walker actor serves CSS.
  f.must_eval("document.body.insertAdjacentHTML('beforeend', '<section id=\"late\"> <i>i</i> </section>'); true");
  auto late = f.sched.block_on(d.query_selector("#late", rt::deadline(10s)));
  REQUIRE_OK(late);
  REQUIRE(late->has_value());
  auto late_html = f.sched.block_on(d.outer_html(**late, rt::deadline(5s)));
  REQUIRE_OK(late_html);
  CHECK(*late_html == "<section id=\"late\"> <i>i</i> </section>");
  auto browser_html = f.sched.block_on(d.browser_outer_html(**late, rt::deadline(5s)));
  REQUIRE_OK(browser_html);
  CHECK(*browser_html == *late_html);
  auto actor = f.sched.block_on(d.node_actor(**late, rt::deadline(5s)));
  REQUIRE_OK(actor);
  CHECK(actor->find("domnode") != std::string::npos);
}
