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
