// The actor runtime's benchmark: every figure is the median of several runs, printed beside a
// baseline measured in the same run on the same machine.
//
//   tell, 1 sender -> 1 actor, same worker       vs  asio::post chain on a one-thread io_context
//   tell, 4 senders -> 1 actor, 2 workers        vs  the same asio::post chain
//   ask round trip, one thread                   vs  the same asio::post chain (2 posts per trip)
//   ask round trip, across two threads           vs  mutex + condition-variable ping-pong
//   co_await of a task (frame + resume)          vs  an indirect function call
//   allocations per message after warm-up        (global operator new is counted)
//
// Usage: janus-runtime-bench [--runs N] [--messages N]
#include <janus/rt.hpp>

#include <algorithm>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

// ---- allocation counting -------------------------------------------------------------------------
// GCC 12 pairs the replaced operator delete with the library's operator new at inlined call sites
// and warns about free(); both are ours here, and they do match.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<std::uint64_t> g_allocs{0};
}
void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace janus::rt;
using bench_clock = std::chrono::steady_clock;

namespace {

double seconds_since(bench_clock::time_point t0) {
  return std::chrono::duration<double>(bench_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// ---- actors under test ---------------------------------------------------------------------------

struct sink : actor<sink> {
  struct msg {
    std::uint64_t v;
  };
  using message = std::variant<msg>;
  static constexpr std::size_t mailbox_capacity = 1024;
  std::atomic<std::uint64_t>* done;
  std::uint64_t target;
  std::uint64_t seen = 0;
  sink(std::atomic<std::uint64_t>* d, std::uint64_t t) : done(d), target(t) {}
  void handle(msg) {
    if (++seen == target) done->store(seen, std::memory_order_release);
  }
};

struct ponger : actor<ponger> {
  struct ping {
    std::uint64_t v;
  };
  using message = std::variant<ping>;
  std::uint64_t handle(ping p) { return p.v + 1; }
};

struct pinger : actor<pinger> {
  struct run {
    actor_ref<ponger> target;
    std::uint64_t n;
  };
  using message = std::variant<run>;
  task<std::uint64_t> handle(run r) {
    std::uint64_t acc = 0;
    for (std::uint64_t i = 0; i < r.n; ++i) {
      auto v = co_await r.target.ask(ponger::ping{i}, std::chrono::seconds(30));
      acc += v ? *v : 0;
    }
    co_return acc;
  }
};

void wait_for(std::atomic<std::uint64_t>& done, std::uint64_t n) {
  while (done.load(std::memory_order_acquire) != n) std::this_thread::yield();
}

// ---- measurements (each returns messages per second) ---------------------------------------------

// `hint` 1 tells Asio only one thread runs the io_context, so posts from it skip the lock; the
// default hint locks on every post. Both are printed: they differ by about 3x.
double asio_post_chain(std::uint64_t n, bool single_thread_hint) {
  asio::io_context io(single_thread_hint ? 1 : ASIO_CONCURRENCY_HINT_DEFAULT);
  std::uint64_t left = n;
  struct chain {
    asio::io_context* io;
    std::uint64_t* left;
    void operator()() const {
      if (--*left > 0) asio::post(*io, chain{io, left});
    }
  };
  asio::post(io, chain{&io, &left});
  const auto t0 = bench_clock::now();
  io.run();
  return static_cast<double>(n) / seconds_since(t0);
}

double tell_same_worker(std::uint64_t n) {
  scheduler s({.workers = 1});
  std::atomic<std::uint64_t> done{0};
  auto a = spawn<sink>(s, {.name = "sink", .worker = 0}, &done, n);
  const auto t0 = bench_clock::now();
  s.spawn([](actor_ref<sink> r, std::uint64_t count) -> task<void> {
    for (std::uint64_t i = 0; i < count; ++i) (void)co_await r.tell(sink::msg{i});
  }(a, n));
  wait_for(done, n);
  return static_cast<double>(n) / seconds_since(t0);
}

double tell_many_senders(std::uint64_t n) {
  scheduler s({.workers = 2});
  std::atomic<std::uint64_t> done{0};
  constexpr unsigned senders = 4;
  const std::uint64_t per = n / senders;
  auto a = spawn<sink>(s, {.name = "sink"}, &done, per * senders);
  const auto t0 = bench_clock::now();
  for (unsigned k = 0; k < senders; ++k)
    s.spawn([](actor_ref<sink> r, std::uint64_t count) -> task<void> {
      for (std::uint64_t i = 0; i < count; ++i) (void)co_await r.tell(sink::msg{i});
    }(a, per));
  wait_for(done, per * senders);
  return static_cast<double>(per * senders) / seconds_since(t0);
}

double ask_one_thread(std::uint64_t n) {
  scheduler s({.workers = 1});
  auto po = spawn<ponger>(s, {.name = "ponger", .worker = 0});
  auto pi = spawn<pinger>(s, {.name = "pinger", .worker = 0});
  const auto t0 = bench_clock::now();
  auto r = s.block_on([](actor_ref<pinger> p, actor_ref<ponger> t, std::uint64_t count) -> task<result<std::uint64_t>> {
    pinger::run job{t, count};  // outside the co_await: actor.hpp rule 7
    co_return co_await p.ask(std::move(job), std::chrono::minutes(5));
  }(pi, po, n));
  const double secs = seconds_since(t0);
  if (!r) std::fprintf(stderr, "ask failed: %s\n", r.err().what().c_str());
  return static_cast<double>(n) / secs;
}

double ask_two_threads(std::uint64_t n) {
  scheduler s({.workers = 2});
  auto po = spawn<ponger>(s, {.name = "ponger", .worker = 1});
  auto pi = spawn<pinger>(s, {.name = "pinger", .worker = 0});
  const auto t0 = bench_clock::now();
  auto r = s.block_on([](actor_ref<pinger> p, actor_ref<ponger> t, std::uint64_t count) -> task<result<std::uint64_t>> {
    pinger::run job{t, count};  // outside the co_await: actor.hpp rule 7
    co_return co_await p.ask(std::move(job), std::chrono::minutes(5));
  }(pi, po, n));
  const double secs = seconds_since(t0);
  if (!r) std::fprintf(stderr, "ask failed: %s\n", r.err().what().c_str());
  return static_cast<double>(n) / secs;
}

double condvar_ping_pong(std::uint64_t n) {
  std::mutex mu;
  std::condition_variable cv;
  std::uint64_t turn = 0;  // even: ping's turn, odd: pong's
  std::thread pong([&] {
    for (std::uint64_t i = 0; i < n; ++i) {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return turn % 2 == 1; });
      ++turn;
      cv.notify_one();
    }
  });
  const auto t0 = bench_clock::now();
  for (std::uint64_t i = 0; i < n; ++i) {
    std::unique_lock lk(mu);
    ++turn;
    cv.notify_one();
    cv.wait(lk, [&] { return turn % 2 == 0; });
  }
  const double secs = seconds_since(t0);
  pong.join();
  return static_cast<double>(n) / secs;
}

task<std::uint64_t> leaf(std::uint64_t v) { co_return v; }

double coroutine_resume(std::uint64_t n) {
  scheduler s;
  const auto t0 = bench_clock::now();
  auto total = s.block_on([](std::uint64_t count) -> task<std::uint64_t> {
    std::uint64_t acc = 0;
    for (std::uint64_t i = 0; i < count; ++i) acc += co_await leaf(i);
    co_return acc;
  }(n));
  const double secs = seconds_since(t0);
  if (total == 42) std::puts("");  // keep the loop observable
  return static_cast<double>(n) / secs;
}

__attribute__((noinline)) std::uint64_t plain_leaf(std::uint64_t v) { return v; }

double indirect_call(std::uint64_t n) {
  std::uint64_t (*volatile fn)(std::uint64_t) = &plain_leaf;
  std::uint64_t acc = 0;
  const auto t0 = bench_clock::now();
  for (std::uint64_t i = 0; i < n; ++i) acc += fn(i);
  const double secs = seconds_since(t0);
  if (acc == 42) std::puts("");
  return static_cast<double>(n) / secs;
}

// ---- allocations ---------------------------------------------------------------------------------

double allocs_per_tell(std::uint64_t n) {
  scheduler s({.workers = 1});
  std::atomic<std::uint64_t> done{0};
  auto a = spawn<sink>(s, {.name = "sink", .worker = 0}, &done, 2 * n);
  auto send = [](actor_ref<sink> r, std::uint64_t count) -> task<void> {
    for (std::uint64_t i = 0; i < count; ++i) (void)co_await r.tell(sink::msg{i});
  };
  s.block_on(send(a, n));  // warm-up
  wait_for(done, 0);
  const auto before = g_allocs.load();
  s.block_on(send(a, n));
  wait_for(done, 2 * n);
  // block_on itself allocates a little per call (its state); it is outside the per-message path.
  return static_cast<double>(g_allocs.load() - before) / static_cast<double>(n);
}

double allocs_per_ask(std::uint64_t n, unsigned workers) {
  scheduler s({.workers = workers});
  auto po = spawn<ponger>(s, {.name = "ponger", .worker = static_cast<int>(workers - 1)});
  auto pi = spawn<pinger>(s, {.name = "pinger", .worker = 0});
  auto run = [](actor_ref<pinger> p, actor_ref<ponger> t, std::uint64_t count) -> task<void> {
    pinger::run job{t, count};  // outside the co_await: actor.hpp rule 7
    (void)co_await p.ask(std::move(job), std::chrono::minutes(5));
  };
  s.block_on(run(pi, po, n));  // warm-up
  const auto before = g_allocs.load();
  s.block_on(run(pi, po, n));
  return static_cast<double>(g_allocs.load() - before) / static_cast<double>(n);
}

struct row {
  const char* what;
  double ours;
  const char* baseline_name;
  double baseline;
  const char* goal;
};

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  std::uint64_t messages = 1'000'000;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--messages") && i + 1 < argc) messages = std::strtoull(argv[++i], nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s [--runs N] [--messages N]\n", argv[0]);
      return 2;
    }
  }
  const std::uint64_t trips = messages / 5;

  auto med = [&](auto&& f) {
    std::vector<double> v;
    for (int r = 0; r < runs; ++r) v.push_back(f());
    return median(v);
  };

  std::printf("janus runtime benchmark: %d runs each, medians; %u hardware threads\n\n", runs,
              std::thread::hardware_concurrency());
  const double post = med([&] { return asio_post_chain(messages, false); });
  const double post_hint1 = med([&] { return asio_post_chain(messages, true); });
  const double cv = med([&] { return condvar_ping_pong(trips / 4); });
  const double tell1 = med([&] { return tell_same_worker(messages); });
  std::vector<row> rows = {
      {"tell, 1 sender -> 1 actor, same worker", tell1, "asio::post chain", post, ">= 1.5x"},
      {"tell, 1 sender -> 1 actor, same worker", tell1, "asio::post chain, hint 1", post_hint1, ""},
      {"tell, 4 senders -> 1 actor, 2 workers", med([&] { return tell_many_senders(messages); }), "asio::post chain", post, ""},
      {"ask round trip, one thread", med([&] { return ask_one_thread(trips); }), "asio::post chain / 2", post / 2, ""},
      {"ask round trip, two threads", med([&] { return ask_two_threads(trips); }), "mutex+condvar ping-pong", cv, ">= 5x"},
      {"co_await task (frame+resume)", med([&] { return coroutine_resume(messages); }), "indirect call", med([&] { return indirect_call(messages); }), ""},
  };
  std::printf("| measurement | janus (msg/s) | baseline | baseline (msg/s) | ratio | goal |\n");
  std::printf("|---|---:|---|---:|---:|---|\n");
  for (auto& r : rows)
    std::printf("| %s | %.3g | %s | %.3g | %.2fx | %s |\n", r.what, r.ours, r.baseline_name, r.baseline,
                r.ours / r.baseline, r.goal);

  std::printf("\n| allocations per message after warm-up | count |\n|---|---:|\n");
  std::printf("| tell (same worker) | %.4f |\n", allocs_per_tell(messages / 10));
  std::printf("| ask (one thread) | %.4f |\n", allocs_per_ask(trips / 10, 1));
  std::printf("| ask (two threads) | %.4f |\n", allocs_per_ask(trips / 10, 2));
  return 0;
}
