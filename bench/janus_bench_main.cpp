// janus-bench: `janus bench` with the mock browser as its default far end. The mock is test code
// (tests/support/mock/), so it lives here, beside the benchmarks, and not in the installed `janus`,
// which measures a real Chromium. Same options, figures and exit codes as `janus bench`:
//
//   janus-bench [--target mock|chromium|firefox] [--workload W] [--requests N] [--inflight K] [--events N]
//               [--runs R] [--json]
#include "bench_cdp.hpp"
#include "bench_command.hpp"
#include "signals.hpp"

#include "janus/testing/mock_browser.hpp"

#include <janus/rt.hpp>
#include <janus/session/cdp_connection.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>

namespace {

using namespace std::chrono_literals;
using namespace janus;

/// The mock browser in this process, on a thread of its own, over a loopback WebSocket. It echoes
/// an unknown method's params ("Bench.echo") and emits events on Mock.emitEvents.
class mock_target final : public cli::bench_target {
 public:
  static rt::result<std::unique_ptr<cli::bench_target>> start(rt::scheduler& s, const cli::bench_start& how) {
    if (!how.connect_url.empty())
      return rt::error{rt::errc::invalid_argument, "--connect is for a real browser; the mock is started in this process"};
    auto t = std::unique_ptr<mock_target>(new mock_target(s));
    auto m = testing::mock_browser::start(t->io_);
    if (!m) return std::move(m).err();
    t->mock_ = std::move(*m);
    t->thread_ = std::thread([io = &t->io_] { io->run(); });
    ::pthread_getcpuclockid(t->thread_.native_handle(), &t->mock_clock_);
    auto c = s.block_on(session::cdp_connection::connect(s, t->mock_->browser_ws_url()));
    if (!c) return std::move(c).err();
    t->conn_ = std::move(*c);
    return std::unique_ptr<cli::bench_target>(std::move(t));
  }
  ~mock_target() override {
    conn_.close();
    if (mock_) mock_->stop();
    guard_.reset();
    // stop() posts; let it run before the io_context stops.
    std::this_thread::sleep_for(20ms);
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::vector<cli::bench_workload> workloads() const override {
    return {{.name = "echo", .what = "Bench.echo {\"n\":i}, echoed by the mock", .round_trips = true},
            {.name = "events", .what = "Mock.emitEvents: Bench.event events on the browser session", .round_trips = false}};
  }
  rt::task<rt::result<void>> call(std::size_t, std::uint64_t i, unsigned) override {
    return cli::cdp_round_trip(conn_.browser(), "Bench.echo", "{\"n\":" + std::to_string(i) + "}");
  }
  rt::task<rt::result<double>> events(std::size_t, std::uint64_t n) override {
    return cli::receive_cdp_events(sched_, conn_.browser(), "Bench.event", emit(n), n);
  }
  double in_process_cpu() const override { return cli::cpu_seconds(mock_clock_); }
  std::string transport() const override { return "websocket"; }
  std::string name() const override { return "mock"; }

 private:
  explicit mock_target(rt::scheduler& s) : sched_(s), guard_(asio::make_work_guard(io_)) {}
  rt::task<rt::result<void>> emit(std::uint64_t count) {
    const std::string p = "{\"count\":" + std::to_string(count) + ",\"method\":\"Bench.event\"}";
    session::call_options call_opts{.deadline = rt::deadline(120s), .cancel = {}};
    auto r = co_await conn_.browser().call("Mock.emitEvents", p, std::move(call_opts));
    if (!r) co_return std::move(r).err();
    co_return rt::ok;
  }
  rt::scheduler& sched_;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::unique_ptr<testing::mock_browser> mock_;
  std::thread thread_;
  clockid_t mock_clock_{};
  session::cdp_connection conn_;
};

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists, so that every thread inherits the blocked signals.
  cli::install_signal_handling();
  const cli::bench_target_kind kinds[] = {
      {.name = "mock",
       .help = "the mock browser (tests/support/mock/), in this process, over a loopback WebSocket",
       .description = "in-process mock, loopback WebSocket",
       .default_events = 100000,
       .in_process = true,
       .start = &mock_target::start},
      cli::chromium_bench_target(),
      cli::firefox_bench_target(),
  };
  const int code = cli::run_bench(argc, argv, 1, kinds, "janus-bench");
  cli::yield_to_signal_if_any();
  return code;
}
