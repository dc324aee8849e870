#include "bench_measure.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

namespace janus::cli {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct pipeline_state {
  std::uint64_t total = 0;
  std::atomic<std::uint64_t> next{1};
  std::atomic<unsigned> live{0};
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::optional<rt::error> first_error;
};

rt::task<void> pipeline_worker(bench_target& t, std::size_t w, unsigned lane, std::shared_ptr<pipeline_state> st) {
  for (;;) {
    const std::uint64_t i = st->next.fetch_add(1, std::memory_order_relaxed);
    if (i > st->total) break;
    auto r = co_await t.call(w, i, lane);
    if (!r) {
      std::lock_guard lk(st->mu);
      if (!st->first_error) st->first_error = std::move(r).err();
      st->next.store(st->total + 1);  // the others stop too
      break;
    }
  }
  if (st->live.fetch_sub(1) == 1) {
    std::lock_guard lk(st->mu);
    st->done = true;
    st->cv.notify_all();
  }
}

}  // namespace

rt::task<rt::result<void>> run_sequential(bench_target& t, std::size_t w, std::uint64_t n, std::vector<double>& latencies) {
  latencies.clear();
  latencies.reserve(n);
  for (std::uint64_t i = 1; i <= n; ++i) {
    const auto t0 = clock_type::now();
    auto r = co_await t.call(w, i, 0);
    if (!r) co_return std::move(r).err();
    latencies.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
  }
  co_return rt::ok;
}

rt::result<double> run_pipelined(rt::scheduler& s, bench_target& t, std::size_t w, std::uint64_t n, unsigned inflight) {
  auto st = std::make_shared<pipeline_state>();
  st->total = n;
  st->live = inflight;
  const auto t0 = clock_type::now();
  for (unsigned lane = 0; lane < inflight; ++lane) s.spawn(pipeline_worker(t, w, lane, st));
  std::unique_lock lk(st->mu);
  // Each request has its own deadline, so the workers end by themselves; this is the outer guard.
  if (!st->cv.wait_for(lk, 600s, [&] { return st->done; }))
    return rt::error{rt::errc::timeout, "pipelined run did not finish within 600 s"};
  if (st->first_error) return *st->first_error;
  return static_cast<double>(n) / std::chrono::duration<double>(clock_type::now() - t0).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace janus::cli
