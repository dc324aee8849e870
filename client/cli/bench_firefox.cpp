// `janus bench --target firefox`: a headless Firefox launched for the run (its debugger server on
// a Unix socket in the private profile), or a running one (--connect rdp://host:port, over TCP),
// through the same client::browser and client::page a user holds.
//
//   page.evaluate   page.evaluate("1 + 1"): evaluateJSAsync to the document's console actor and its
//                   evaluationResult event (two RDP packets per call). Pipelined, the lanes are
//                   spread over up to `max_pages` pages, each with its own console actor: RDP
//                   answers one actor in order, so pipelining runs across actors
//   console         the page runs `for (…) console.log(i)` N times; console entries received from
//                   page.console() (the watcher's console-message resources)
#include "bench_command.hpp"

#include <janus/client/browser.hpp>
#include <janus/client/page.hpp>
#include <janus/rt.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace janus::cli {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Enough to keep several content-process actors busy; each page is a tab Firefox renders.
constexpr unsigned max_pages = 4;

// Runs the console loop beside the receiver and hands its result over a stream, so that the
// receiver's wait for it ends when it comes.
rt::task<void> collect(rt::task<rt::result<protocol::json_value>> emitter,
                       std::shared_ptr<rt::stream<rt::result<void>>> out) {
  auto r = co_await std::move(emitter);
  if (r) (void)out->try_publish(rt::result<void>(rt::ok));
  else (void)out->try_publish(rt::result<void>(std::move(r).err()));
}

class firefox_target final : public bench_target {
 public:
  static rt::result<std::unique_ptr<firefox_target>> start(rt::scheduler& s, const bench_start& how) {
    auto t = std::unique_ptr<firefox_target>(new firefox_target(s));
    if (how.connect_url.empty()) {
      client::launch_options o;
      o.product = client::browser_product::firefox;
      auto b = s.block_on(client::browser::launch(s, std::move(o)));
      if (!b) return std::move(b).err();
      t->browser_ = std::move(*b);
    } else {
      if (how.connect_url.rfind("rdp://", 0) != 0)
        return rt::error{rt::errc::invalid_argument,
                         "--connect for firefox takes rdp://host:port or rdp://unix:/path, not '" + how.connect_url + "'"};
      auto b = s.block_on(client::browser::connect(s, how.connect_url));
      if (!b) return std::move(b).err();
      t->browser_ = std::move(*b);
      t->transport_ = how.connect_url.rfind("rdp://unix:", 0) == 0 ? "unix" : "tcp";
    }
    const unsigned pages = std::clamp(how.inflight, 1u, max_pages);
    for (unsigned i = 0; i < pages; ++i) {
      auto p = s.block_on(t->browser_.new_page());
      if (!p) return std::move(p).err();
      t->pages_.push_back(std::move(*p));
    }
    // The first evaluate in a fresh document sets up its console actor: not part of the figures.
    for (const client::page& p : t->pages_) {
      auto warm = s.block_on(p.evaluate("1 + 1"));
      if (!warm) return std::move(warm).err();
    }
    return t;
  }
  ~firefox_target() override {
    for (client::page& p : pages_) (void)sched_.block_on(browser_.close_page(p));
    browser_.close();
  }

  std::vector<bench_workload> workloads() const override {
    return {{.name = "page.evaluate",
             .what = fmt::format("page.evaluate(\"1 + 1\") (evaluateJSAsync + evaluationResult); pipelined over {} page(s)",
                                 pages_.size()),
             .round_trips = true},
            {.name = "console", .what = "a page's console.log loop, entries from page.console()", .round_trips = false}};
  }
  rt::task<rt::result<void>> call(std::size_t, std::uint64_t, unsigned lane) override {
    return evaluate(pages_[lane % pages_.size()]);
  }
  rt::task<rt::result<double>> events(std::size_t, std::uint64_t n) override { return console_burst(n); }
  std::string name() const override { return "firefox"; }
  std::string transport() const override { return transport_; }

 private:
  explicit firefox_target(rt::scheduler& s) : sched_(s) {}

  static rt::task<rt::result<void>> evaluate(client::page p) {
    std::string expression = "1 + 1";
    const rt::deadline d(10s);
    auto v = co_await p.evaluate(std::move(expression), d);
    if (!v) co_return std::move(v).err();
    if (!v->is_number() || v->as_double() != 2)
      co_return rt::error{rt::errc::protocol, "page.evaluate(\"1 + 1\") answered " + v->dump()};
    co_return rt::ok;
  }

  rt::task<rt::result<double>> console_burst(std::uint64_t n) {
    const client::page& p = pages_.front();
    auto sub = co_await p.console().subscribe(4096, rt::overflow::block, rt::deadline(10s));
    if (!sub) co_return std::move(sub).err();
    const auto t0 = clock_type::now();
    auto emitted = std::make_shared<rt::stream<rt::result<void>>>(sched_);
    rt::subscription<rt::result<void>> finished = emitted->subscribe(1);
    const std::string loop = "(() => { for (let i = 0; i < " + std::to_string(n) + "; ++i) console.log(i); return 0; })()";
    auto emitter = p.evaluate(loop, rt::deadline(120s));
    sched_.spawn(collect(std::move(emitter), emitted));
    for (std::uint64_t got = 0; got < n; ++got) {
      auto ev = co_await sub->next(rt::deadline(30s));
      if (!ev) {
        rt::error e = std::move(ev).err();
        e.message = fmt::format("console entry {} of {}: {}", got + 1, n, e.message);
        co_return e;
      }
    }
    const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
    rt::result<rt::result<void>> done = co_await finished.next(rt::deadline(30s));
    if (!done) co_return rt::error{rt::errc::timeout, "the console loop's evaluate did not answer within 30 s"};
    if (!*done) co_return (*done).err();
    co_return secs;
  }

  rt::scheduler& sched_;
  client::browser browser_;
  std::vector<client::page> pages_;
  std::string transport_ = "unix";
};

}  // namespace

bench_target_kind firefox_bench_target() {
  return {.name = "firefox",
          .help = "a headless Firefox launched for the run (Unix socket), or --connect rdp://host:port",
          .description = "headless Firefox",
          .default_events = 20000,
          .in_process = false,
          .start = [](rt::scheduler& s, const bench_start& how) -> rt::result<std::unique_ptr<bench_target>> {
            auto t = firefox_target::start(s, how);
            if (!t) return std::move(t).err();
            return std::unique_ptr<bench_target>(std::move(*t));
          }};
}

}  // namespace janus::cli
