// A host that owns the thread, as a game engine's frame loop does: every 16 ms tick calls the
// runtime's poll() with a 1 ms budget, and the rest of the tick is the host's. Janus starts no
// thread of its own in this mode. Meanwhile a page logs console messages at 16,000 a second into
// a console subscription; poll() stops when its budget is spent and leaves the rest for the next
// tick, so the frame keeps its time and every message still arrives (the transport's
// backpressure holds the backlog). Prints the p50 / p99 / max of poll() and events received vs.
// sent.
//
//   example_frame_loop [--budget-us N] [--rate N] [--ms N]   (--budget-us 0: the plain poll())
//
// Exit status 0 when every event arrived, in order, with Janus on this one thread.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "event_stream_frames.hpp"

int main(int argc, char** argv) {
  frame_loop::stream_options opt;
  long budget_us = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const long v = std::strtol(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--budget-us")) budget_us = v;
    else if (!std::strcmp(argv[i], "--rate")) opt.rate = static_cast<int>(v);
    else if (!std::strcmp(argv[i], "--ms")) opt.length = std::chrono::milliseconds(v);
    else {
      std::fprintf(stderr, "usage: %s [--budget-us N] [--rate N] [--ms N]\n", argv[0]);
      return 2;
    }
  }
  if (budget_us > 0) opt.budget = janus::rt::poll_budget{.time = std::chrono::microseconds(budget_us)};
  const frame_loop::stream_figures f = frame_loop::run_stream(opt);
  std::printf("frame_loop: %s; %d msg/s for %lld ms, poll() budget %s\n", f.report.c_str(), opt.rate,
              static_cast<long long>(opt.length.count()),
              budget_us > 0 ? (std::to_string(budget_us) + " us").c_str() : "off");
  std::printf("frame_loop: %zu polls while streaming: p50 %.3f ms, p99 %.3f ms, max %.3f ms "
              "(this thread's CPU in them: p99 %.3f ms); stream received in %.0f ms; threads in this process: %d\n",
              f.poll_ms.size(), f.percentile(0.50), f.percentile(0.99), f.max(), f.cpu_percentile(0.99), f.stream_ms,
              f.max_threads);
  return f.ok && f.max_threads == 1 ? 0 : 1;
}
