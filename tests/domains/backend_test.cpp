// domains/backend.hpp: a handle made with over() forwards every call to its backend, and a call
// the backend does not override fails with errc::unsupported naming the call and the browser.
// No browser needed: the backends here answer from memory.
#include <janus/domains/backend.hpp>
#include <janus/domains/console.hpp>
#include <janus/domains/debugger.hpp>
#include <janus/domains/fetch.hpp>
#include <janus/domains/network.hpp>
#include <janus/domains/performance.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace janus;
using namespace std::chrono_literals;

namespace {

rt::task<rt::result<std::vector<domains::network_request>>> two_rows() {
  std::vector<domains::network_request> rows(2);
  rows[0].request_id = "a";
  rows[1].request_id = "b";
  co_return rows;
}

// Overrides two calls; the rest stay the base's.
class table_backend final : public domains::network_backend {
 public:
  table_backend() : domains::network_backend("Testbrowser") {}
  std::atomic<int> calls{0};
  std::chrono::milliseconds last_quiet{0};

  rt::task<rt::result<std::vector<domains::network_request>>> requests(rt::deadline) override {
    ++calls;
    return two_rows();
  }
  rt::task<rt::result<void>> wait_idle_since(std::chrono::milliseconds quiet, std::uint64_t, rt::deadline) override {
    ++calls;
    last_quiet = quiet;
    return idle();
  }

 private:
  static rt::task<rt::result<void>> idle() { co_return rt::ok; }
};

void check_unsupported(const rt::error& e, const std::string& call) {
  CHECK(e.code == rt::errc::unsupported);
  CHECK(e.message.find(call) != std::string::npos);
  CHECK(e.message.find("Testbrowser") != std::string::npos);
}

}  // namespace

TEST_CASE("a handle over a backend forwards its calls; the others are unsupported", "[domains][backend]") {
  rt::scheduler sched({.workers = 1});
  auto backend = std::make_shared<table_backend>();
  const domains::network net = domains::network::over(backend);
  REQUIRE(net);

  auto rows = sched.block_on(net.requests(rt::deadline(5s)));
  REQUIRE(rows);
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[1].request_id == "b");
  // wait_idle is wait_idle_since from the first request.
  REQUIRE(sched.block_on(net.wait_idle(250ms, rt::deadline(5s))));
  CHECK(backend->last_quiet == 250ms);
  CHECK(backend->calls == 2);

  auto cleared = sched.block_on(net.clear(rt::deadline(5s)));
  REQUIRE_FALSE(cleared);
  check_unsupported(cleared.err(), "network.clear");
  auto body = sched.block_on(net.response_body(std::string("a"), rt::deadline(5s)));
  REQUIRE_FALSE(body);
  check_unsupported(body.err(), "network.response_body");
  net.stop();  // nothing to stop: no actor behind it

  // A handle over the base class itself: a domain the browser has nothing of.
  const domains::debugger dbg = domains::debugger::over(std::make_shared<domains::debugger_backend>("Testbrowser"));
  auto scripts = sched.block_on(dbg.scripts(rt::deadline(5s)));
  REQUIRE_FALSE(scripts);
  check_unsupported(scripts.err(), "debugger.scripts");
  auto resumed = sched.block_on(dbg.resume(rt::deadline(5s)));
  REQUIRE_FALSE(resumed);
  check_unsupported(resumed.err(), "debugger.resume");
  const domains::performance perf =
      domains::performance::over(std::make_shared<domains::performance_backend>("Testbrowser"));
  auto metrics = sched.block_on(perf.metrics(rt::deadline(5s)));
  REQUIRE_FALSE(metrics);
  check_unsupported(metrics.err(), "performance.metrics");
  const domains::console con = domains::console::over(std::make_shared<domains::console_backend>("Testbrowser"));
  auto sub = sched.block_on(con.subscribe(16, rt::overflow::block, rt::deadline(5s)));
  REQUIRE_FALSE(sub);
  check_unsupported(sub.err(), "console.subscribe");
}

TEST_CASE("the task a forwarded call returns outlives the handle", "[domains][backend]") {
  rt::scheduler sched({.workers = 1});
  rt::task<rt::result<std::vector<domains::network_request>>> t = [] {
    const domains::network net = domains::network::over(std::make_shared<table_backend>());
    return net.requests(rt::deadline(5s));
  }();
  // The handle and its backend are gone; the task holds what it needs.
  auto rows = sched.block_on(std::move(t));
  REQUIRE(rows);
  CHECK(rows->size() == 2);
}

namespace {

// Counts stop() calls: what a handle's stop() forwards to.
class stoppable_backend final : public domains::performance_backend {
 public:
  stoppable_backend() : domains::performance_backend("Testbrowser") {}
  std::atomic<int> stops{0};
  void stop() override { ++stops; }
};

}  // namespace

TEST_CASE("stop() goes to the backend; an empty handle's is a no-op", "[domains][backend]") {
  auto backend = std::make_shared<stoppable_backend>();
  const domains::performance perf = domains::performance::over(backend);
  perf.stop();
  perf.stop();
  CHECK(backend->stops == 2);
  const domains::performance empty;
  CHECK_FALSE(empty);
  empty.stop();
}

TEST_CASE("an interceptor over a backend without interception is unsupported", "[domains][backend]") {
  rt::scheduler sched({.workers = 1});
  const domains::interceptor icpt =
      domains::interceptor::over(std::make_shared<domains::interceptor_backend>("Testbrowser"));
  REQUIRE(icpt);
  auto on = sched.block_on(icpt.enable(rt::deadline(5s)));
  REQUIRE_FALSE(on);
  check_unsupported(on.err(), "interceptor.enable");
  auto st = sched.block_on(icpt.stats(rt::deadline(5s)));
  REQUIRE_FALSE(st);
  check_unsupported(st.err(), "interceptor.stats");
}
