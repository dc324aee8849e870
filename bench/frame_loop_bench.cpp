// A host frame loop under an event stream (issue 18): examples/frame_loop's streaming run, with
// poll()'s budget off (the plain poll(), which runs everything that is ready) against a 1 ms
// budget (poll(poll_budget{.time = 1ms})). A poll-mode scheduler, no thread of Janus's own; a
// headless Chromium page logs numbered console messages at --rate per second for --ms into a
// console subscription (block policy), and the host calls poll() every 16 ms.
//
// Per mode it prints the median over --runs of each run's poll() p50 / p99 / max (polls during
// the streaming phase only; wall clock, and the p99 of the thread's CPU time in them, which a
// shared machine's preemption does not inflate), the events received in order against those the page logged, and
// how long the stream took to arrive; then the budgeted p99 as a ratio of the unbudgeted one,
// measured in the same run. The modes alternate run by run, each a fresh browser.
//
// Usage: janus-frame-loop-bench [--runs N] [--rate N] [--ms N] [--budget-us N]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../examples/frame_loop/event_stream_frames.hpp"

namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct mode_figures {
  std::string name;
  std::vector<double> p50, p99, max, cpu_p99, stream_ms;
  std::int64_t received = 0, sent = 0;
  int failed = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int runs = 3;
  long budget_us = 1000;
  frame_loop::stream_options base;
  for (int i = 1; i + 1 < argc; i += 2) {
    const long v = std::strtol(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--runs")) runs = static_cast<int>(v);
    else if (!std::strcmp(argv[i], "--rate")) base.rate = static_cast<int>(v);
    else if (!std::strcmp(argv[i], "--ms")) base.length = std::chrono::milliseconds(v);
    else if (!std::strcmp(argv[i], "--budget-us")) budget_us = v;
    else {
      std::fprintf(stderr, "usage: %s [--runs N] [--rate N] [--ms N] [--budget-us N]\n", argv[0]);
      return 2;
    }
  }
  mode_figures modes[2];
  modes[0].name = "budget off";
  modes[1].name = std::to_string(budget_us) + " us budget";
  for (int r = 0; r < runs; ++r) {
    for (int m = 0; m < 2; ++m) {
      frame_loop::stream_options opt = base;
      if (m == 1) opt.budget = janus::rt::poll_budget{.time = std::chrono::microseconds(budget_us)};
      const frame_loop::stream_figures f = frame_loop::run_stream(opt);
      mode_figures& mf = modes[m];
      std::printf("run %d, %-16s %s; %zu polls: p50 %.3f ms, p99 %.3f ms, max %.3f ms, CPU p99 %.3f ms; stream %.0f ms\n",
                  r + 1, (mf.name + ":").c_str(), f.report.c_str(), f.poll_ms.size(), f.percentile(0.50),
                  f.percentile(0.99), f.max(), f.cpu_percentile(0.99), f.stream_ms);
      std::fflush(stdout);
      if (!f.ok) ++mf.failed;
      mf.p50.push_back(f.percentile(0.50));
      mf.p99.push_back(f.percentile(0.99));
      mf.max.push_back(f.max());
      mf.cpu_p99.push_back(f.cpu_percentile(0.99));
      mf.stream_ms.push_back(f.stream_ms);
      mf.received += f.received;
      mf.sent += f.sent;
    }
  }
  std::printf("\n%d msg/s for %lld ms, 16 ms frames, medians of %d runs (Chromium headless, pipe)\n", base.rate,
              static_cast<long long>(base.length.count()), runs);
  std::printf("| mode | poll() p50 ms | p99 ms | max ms | p99 of the thread's CPU in poll() ms | events received / sent | stream arrived in ms | failed runs |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const mode_figures& mf : modes)
    std::printf("| %s | %.3f | %.3f | %.3f | %.3f | %lld / %lld | %.0f | %d |\n", mf.name.c_str(), median(mf.p50),
                median(mf.p99), median(mf.max), median(mf.cpu_p99), static_cast<long long>(mf.received),
                static_cast<long long>(mf.sent), median(mf.stream_ms), mf.failed);
  const double off = median(modes[0].p99);
  if (off > 0) std::printf("p99 with the budget: %.2fx the p99 without\n", median(modes[1].p99) / off);
  return 0;
}
