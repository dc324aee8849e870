// A host that owns the thread, as a game engine's frame loop does: every 16 ms tick calls the
// runtime's poll(), which never blocks, and the rest of the tick is the host's. Janus starts no
// thread of its own in this mode; the browser work (launch, navigate, evaluate, read the console)
// advances a little on each tick. Prints the ticks taken and the longest poll().
//
// Exit status 0 when the page was driven to the end, with Janus on this one thread.
#include <janus/client/browser.hpp>
#include <janus/domains/console.hpp>
#include <janus/domains/runtime.hpp>
#include <janus/rt.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

using namespace janus;
using namespace std::chrono_literals;

namespace {

struct job_state {
  client::browser browser;  // closed by main(): closing waits for the process to exit
  bool done = false;
  bool ok = false;
  std::string report;
};

rt::task<void> drive_page(rt::scheduler& sched, job_state& st) {
  auto fail = [&](const char* step, const rt::error& e) {
    st.report = std::string(step) + ": " + e.message;
    st.done = true;
  };
  client::launch_options options;
  auto b = co_await client::browser::launch(sched, options);
  if (!b) co_return fail("launch", b.err());
  st.browser = *b;
  auto page = co_await b->new_page("about:blank", std::string(), std::chrono::seconds(30));
  if (!page) co_return fail("new_page", page.err());
  if (auto e = co_await page->console().enable(); !e) co_return fail("console", e.err());
  auto nav = co_await page->navigate(
      "data:text/html,<title>frame loop</title><script>console.log('hello from the page')</script>");
  if (!nav) co_return fail("navigate", nav.err());
  auto v = co_await page->runtime().evaluate_value("6 * 7");
  if (!v) co_return fail("evaluate", v.err());
  // The console entry arrives as an event; wait for it without blocking a tick.
  std::string seen;
  for (int i = 0; i < 500 && seen.empty(); ++i) {
    auto entries = co_await page->console().entries();
    if (entries && !entries->empty()) seen = entries->front().text;
    else co_await rt::sleep_for(sched, 10ms);
  }
  st.ok = v->is_int() && v->as_int() == 42 && seen == "hello from the page";
  st.report = "6 * 7 = " + v->dump() + ", console: \"" + seen + "\"";
  st.done = true;
}

int threads_in_process() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

}  // namespace

int main() {
  rt::scheduler_options options;
  options.workers = 0;  // no threads: the host calls poll()
  rt::scheduler sched(options);
  job_state st;
  sched.spawn(drive_page(sched, st));

  using clock = std::chrono::steady_clock;
  const auto tick = 16ms;
  auto next = clock::now();
  clock::duration longest{};
  int ticks = 0, max_threads = 1;
  while (!st.done && ticks < 60 * 60) {  // a minute of frames at most
    const auto t0 = clock::now();
    sched.poll();
    longest = std::max(longest, clock::now() - t0);
    max_threads = std::max(max_threads, threads_in_process());
    // ... the host's own frame work would go here ...
    next += tick;
    std::this_thread::sleep_until(next);
    ++ticks;
  }
  // Shutdown, outside the frame loop: close() waits for the browser's processes to exit.
  if (st.browser) st.browser.close();
  std::printf("frame_loop: %s after %d ticks; longest poll() %.2f ms; threads in this process: %d\n",
              st.done ? st.report.c_str() : "not finished", ticks,
              std::chrono::duration<double, std::milli>(longest).count(), max_threads);
  return st.ok && max_threads == 1 ? 0 : 1;
}
