#include "bench_cdp.hpp"

#include <janus/rt.hpp>

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <optional>

namespace janus::cli {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// Runs the event source beside the receiver and hands its result over a stream, so that the
// receiver's wait for it ends when it comes.
rt::task<void> collect(rt::task<rt::result<void>> emitter, std::shared_ptr<rt::stream<rt::result<void>>> out) {
  rt::result<void> r = co_await std::move(emitter);
  (void)out->try_publish(std::move(r));
}

}  // namespace

rt::task<rt::result<void>> cdp_round_trip(session::cdp_session on, std::string_view method, std::string params) {
  session::call_options call_opts{.deadline = rt::deadline(10s), .cancel = {}};
  auto r = co_await on.call(method, params, std::move(call_opts));
  if (!r) co_return std::move(r).err();
  co_return rt::ok;
}

rt::task<rt::result<double>> receive_cdp_events(rt::scheduler& s, session::cdp_session on, std::string method,
                                                rt::task<rt::result<void>> emitter, std::uint64_t n) {
  session::event_options event_opts{
      .capacity = 4096, .policy = rt::overflow::block, .replay_last = 0, .filter = {}, .timeout = 5000ms};
  auto sub = co_await on.subscribe(std::move(method), std::move(event_opts));
  if (!sub) co_return std::move(sub).err();
  const auto t0 = clock_type::now();
  auto emitted = std::make_shared<rt::stream<rt::result<void>>>(s);
  rt::subscription<rt::result<void>> finished = emitted->subscribe(1);
  s.spawn(collect(std::move(emitter), emitted));
  for (std::uint64_t got = 0; got < n; ++got) {
    auto ev = co_await sub->next(rt::deadline(30s));
    if (!ev) {
      rt::error e = std::move(ev).err();
      e.message = fmt::format("event {} of {}: {}", got + 1, n, e.message);
      co_return e;
    }
  }
  const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  // The emitter's reply follows its last event closely; this bounds the wait for it.
  rt::result<rt::result<void>> done = co_await finished.next(rt::deadline(30s));
  if (!done) co_return rt::error{rt::errc::timeout, "the event source did not finish within 30 s"};
  if (!*done) co_return (*done).err();
  co_return secs;
}

}  // namespace janus::cli
