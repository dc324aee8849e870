// A frame loop under a stream of events: the host owns the thread and calls the scheduler's poll()
// every 16 ms tick, as a game engine does, while a page logs console messages at a fixed rate into
// a console subscription. Shared by examples/frame_loop (one run, 1 ms budget) and
// bench/frame_loop_bench.cpp (budget off against 1 ms).
//
// The page numbers its messages ("ev 0", "ev 1", ...) and ends with "done N"; the subscriber
// checks that it got every number once, in order, so "received == sent" means nothing was lost.
#pragma once

#include <janus/client/browser.hpp>
#include <janus/domains/console.hpp>
#include <janus/domains/runtime.hpp>
#include <janus/rt.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <time.h>

namespace frame_loop {

using namespace std::chrono_literals;
namespace rt = janus::rt;
namespace client = janus::client;

struct stream_options {
  int rate = 16000;                    // console messages per second
  std::chrono::milliseconds length{2000};  // how long the page streams
  std::optional<rt::poll_budget> budget;   // none: the plain poll(), which runs all that is ready
  std::chrono::milliseconds tick{16};
  std::chrono::seconds give_up{60};    // frames after which the run counts as failed
};

struct stream_figures {
  bool ok = false;
  std::string report;                  // what went wrong, or a summary
  std::int64_t sent = 0;               // what the page said it logged
  std::int64_t received = 0;           // numbered messages received, each once and in order
  std::int64_t out_of_order = 0;
  double stream_ms = 0;                // from the first message received to the last
  std::vector<double> poll_ms;         // every poll() of the streaming phase, wall clock
  // The same polls in this thread's CPU time: on a shared machine a poll can be preempted, and
  // its wall time then counts time the thread did not run.
  std::vector<double> poll_cpu_ms;
  int max_threads = 0;

  static double percentile_of(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  }
  double percentile(double p) const { return percentile_of(poll_ms, p); }
  double cpu_percentile(double p) const { return percentile_of(poll_cpu_ms, p); }
  double max() const { return poll_ms.empty() ? 0 : *std::max_element(poll_ms.begin(), poll_ms.end()); }
};

namespace detail {

struct run_state {
  client::browser browser;  // closed by run_stream(): closing waits for the process to exit
  bool streaming = false;   // the page was told to start
  bool done = false;
  stream_figures fig;
  std::chrono::steady_clock::time_point first, last;
};

inline std::string stream_script(int rate, std::int64_t total) {
  // Logs at `rate` per second against the page's clock, from setTimeout ticks (clamped to 4 ms
  // when nested), so the rate holds whatever the timer resolution.
  return "(() => { const total = " + std::to_string(total) + ", rate = " + std::to_string(rate) +
         "; let sent = 0; const t0 = performance.now();"
         " function tick() { const due = Math.min(total, Math.floor((performance.now() - t0) * rate / 1000));"
         " while (sent < due) console.log('ev ' + sent++);"
         " if (sent < total) setTimeout(tick, 1); else console.log('done ' + sent); }"
         " setTimeout(tick, 0); return total; })()";
}

inline std::int64_t number_after(std::string_view text, std::string_view prefix) {
  if (text.substr(0, prefix.size()) != prefix) return -1;
  std::int64_t n = -1;
  const char* b = text.data() + prefix.size();
  std::from_chars(b, text.data() + text.size(), n);
  return n;
}

inline rt::task<void> drive_page(rt::scheduler& sched, const stream_options& opt, run_state& st) {
  auto fail = [&](const char* step, const rt::error& e) {
    st.fig.report = std::string(step) + ": " + e.message;
    st.done = true;
  };
  client::launch_options options;
  auto b = co_await client::browser::launch(sched, options);
  if (!b) co_return fail("launch", b.err());
  st.browser = *b;
  auto page = co_await b->new_page("data:text/html,<title>frame loop</title>", std::string(), std::chrono::seconds(30));
  if (!page) co_return fail("new_page", page.err());
  auto v = co_await page->runtime().evaluate_value("6 * 7");
  if (!v) co_return fail("evaluate", v.err());
  if (!v->is_int() || v->as_int() != 42) {
    st.fig.report = "6 * 7 gave " + v->dump();
    st.done = true;
    co_return;
  }
  // Block policy: a slow subscriber slows the event path (backpressure), it never loses an entry.
  auto live = co_await page->console().subscribe(4096, rt::overflow::block);
  if (!live) co_return fail("subscribe", live.err());
  if (auto e = co_await page->console().enable(); !e) co_return fail("console", e.err());
  const std::int64_t total = opt.rate * opt.length.count() / 1000;
  std::string script = stream_script(opt.rate, total);
  auto started = co_await page->runtime().evaluate_value(std::move(script));
  if (!started) co_return fail("start the stream", started.err());
  st.streaming = true;
  for (;;) {
    auto entry = co_await live->next(rt::deadline(std::chrono::seconds(20)));
    if (!entry) co_return fail("console entry", entry.err());
    if (const auto n = number_after(entry->text, "ev "); n >= 0) {
      if (st.fig.received == 0) st.first = std::chrono::steady_clock::now();
      if (n == st.fig.received) ++st.fig.received;
      else ++st.fig.out_of_order;
    } else if (const auto m = number_after(entry->text, "done "); m >= 0) {
      st.last = std::chrono::steady_clock::now();
      st.fig.sent = m;
      break;
    }
  }
  st.fig.stream_ms = std::chrono::duration<double, std::milli>(st.last - st.first).count();
  st.fig.ok = st.fig.received == st.fig.sent && st.fig.out_of_order == 0 && live->dropped() == 0;
  st.fig.report = std::to_string(st.fig.received) + " of " + std::to_string(st.fig.sent) + " events received in order";
  st.done = true;
}

inline double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

inline int threads_in_process() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

}  // namespace detail

/// Launches Chromium on a poll-mode scheduler, streams, and returns the figures. Janus runs on
/// this thread only, inside poll().
inline stream_figures run_stream(const stream_options& opt) {
  rt::scheduler_options options;
  options.workers = 0;  // no threads: the host calls poll()
  rt::scheduler sched(options);
  detail::run_state st;
  sched.spawn(detail::drive_page(sched, opt, st));

  using clock = std::chrono::steady_clock;
  auto next = clock::now();
  const auto give_up = next + opt.give_up;
  st.fig.poll_ms.reserve(static_cast<std::size_t>(opt.give_up / opt.tick) + 1);
  st.fig.poll_cpu_ms.reserve(st.fig.poll_ms.capacity());
  while (!st.done && clock::now() < give_up) {
    const bool measured = st.streaming;  // the streaming phase, not the launch
    const double c0 = detail::thread_cpu_ms();
    const auto t0 = clock::now();
    if (opt.budget) sched.poll(*opt.budget);
    else sched.poll();
    const auto took = clock::now() - t0;
    const double cpu = detail::thread_cpu_ms() - c0;
    if (measured) {
      st.fig.poll_ms.push_back(std::chrono::duration<double, std::milli>(took).count());
      st.fig.poll_cpu_ms.push_back(cpu);
    }
    st.fig.max_threads = std::max(st.fig.max_threads, detail::threads_in_process());
    // ... the host's own frame work would go here ...
    next += opt.tick;
    std::this_thread::sleep_until(next);
  }
  if (!st.done) st.fig.report = "not finished: " + std::to_string(st.fig.received) + " events received";
  // Shutdown, outside the frame loop: close() waits for the browser's processes to exit.
  if (st.browser) st.browser.close();
  return st.fig;
}

}  // namespace frame_loop
