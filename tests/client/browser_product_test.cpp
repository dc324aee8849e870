// client/browser_product.hpp, and the launch options it selects: what browser::launch refuses
// before it starts anything (no browser needed).
#include <janus/client/browser.hpp>
#include <janus/client/browser_product.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

using namespace janus;
using namespace janus::client;
using namespace janus::session;

static_assert(to_string(browser_product::chromium) == "chromium");
static_assert(to_string(browser_product::firefox) == "firefox");

TEST_CASE("launch options default to Chromium; a restart policy is Chromium's only", "[client][product]") {
  CHECK(launch_options{}.product == browser_product::chromium);
  CHECK(browser{}.product() == browser_product::chromium);
  CHECK(page{}.product() == browser_product::chromium);

  rt::scheduler sched({.workers = 1});
  launch_options o;
  o.product = browser_product::firefox;
  o.restart = rt::restart_policy{};
  o.firefox.executable = "/nonexistent/firefox";  // never reached: the policy is refused first
  auto r = sched.block_on(browser::launch(sched, std::move(o)));
  REQUIRE_FALSE(r);
  CHECK(r.err().code == rt::errc::unsupported);
  CHECK(r.err().message.find("restart") != std::string::npos);

  // A Firefox that cannot be found is the launcher's error, named as Firefox's.
  launch_options missing;
  missing.product = browser_product::firefox;
  missing.executable = "/nonexistent/firefox";
  auto m = sched.block_on(browser::launch(sched, std::move(missing)));
  REQUIRE_FALSE(m);
  CHECK(m.err().code == rt::errc::browser_not_found);

  auto bad = sched.block_on(browser::connect(sched, std::string("rdp://127.0.0.1:notaport"), connection_options{}));
  REQUIRE_FALSE(bad);
  CHECK(bad.err().code == rt::errc::invalid_argument);
}

TEST_CASE("empty browser and page handles: every call fails with invalid_argument, none crashes", "[client][product]") {
  rt::scheduler sched({.workers = 1});
  const browser b;
  const page p;
  CHECK_FALSE(b);
  CHECK_FALSE(p);
  CHECK(b.pages().empty());
  CHECK(b.state() == browser_state::closed);
  CHECK_FALSE(b.connection());
  CHECK_FALSE(b.rdp());
  CHECK(b.process() == nullptr);
  b.close();  // nothing to close: a no-op
  auto expect_empty = [](const auto& r, const std::string& call) {
    INFO(call);
    REQUIRE_FALSE(r);
    CHECK(r.err().code == rt::errc::invalid_argument);
    CHECK(r.err().message.find(call) != std::string::npos);
  };
  expect_empty(sched.block_on(b.version(rt::deadline(std::chrono::seconds(1)))), "browser.version");
  expect_empty(sched.block_on(b.new_page()), "browser.new_page");
  expect_empty(sched.block_on(b.close_page(p)), "browser.close_page");
  expect_empty(p.alive(), "page.alive");
  expect_empty(p.rdp(), "page.rdp");
  expect_empty(sched.block_on(p.navigate(std::string("about:blank"))), "page.navigate");
  expect_empty(sched.block_on(p.evaluate(std::string("1"))), "page.evaluate");
  expect_empty(sched.block_on(p.screenshot()), "page.screenshot");
  expect_empty(sched.block_on(p.info()), "page.info");
  expect_empty(sched.block_on(p.wait_for(std::chrono::milliseconds(1))), "page.wait_for");
  CHECK_FALSE(p.session());
  CHECK(p.target_id().empty());
  // The empty page's domain handles are empty too, and fail the same way.
  CHECK_FALSE(p.network());
  expect_empty(sched.block_on(p.network().requests(rt::deadline(std::chrono::seconds(1)))), "network.requests");
  expect_empty(sched.block_on(p.console().entries(rt::deadline(std::chrono::seconds(1)))), "console.entries");
  expect_empty(sched.block_on(p.dom().document(rt::deadline(std::chrono::seconds(1)))), "dom.document");
}
