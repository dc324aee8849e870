// The page scenarios run against both browsers: the page's domain handles (DOM mirror, CSS, bodies
// and headers, live console), the calls Firefox has no equivalent for, and the DOM mirror under
// thousands of mutations (see both_browsers_fixture.hpp).
#include "both_browsers_fixture.hpp"

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
  // RDP's escape hatch: the connection and the tab's descriptor (the page's target id).
  auto rdp = f.tab.rdp();
  REQUIRE_OK(rdp);
  CHECK(rdp->connection.connected());
  CHECK(rdp->tab_descriptor == f.tab.target_id());

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
