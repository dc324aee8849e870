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
//
// The fixture and helpers both files of the suite share (both_browsers_test.cpp: navigation,
// evaluation, screenshots, console and network; both_browsers_domains_test.cpp: the domain handles
// and the DOM mirror under mutations).
#pragma once

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

inline std::unique_ptr<protocol::http_server> serve() {
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

inline http_response html(std::string body) { return http_response(200, std::move(body), "text/html; charset=utf-8"); }

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
