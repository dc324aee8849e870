// Client CPU per sequential round trip against headless Chromium, by scheduler spin (issue 18):
// a client waiting for a reply must not burn a core the browser needs on a small machine.
//
// For each setting, one Chromium (pipe) and one scheduler; --runs runs of --requests sequential
// Browser.getVersion calls (the `janus bench` sequential workload), each run timed for its
// latency p50 and for this process's CPU time (CLOCK_PROCESS_CPUTIME_ID: every thread of it, the
// browser not included) per round trip. Settings: workers = 1 (as the `janus` command runs) with
// spin 0, 10, 50, 200 and 1000 us, then poll mode (workers = 0, block_on: it waits in the I/O
// wait, never spins). Each figure is the median of the runs; CPU and latency are also printed as
// ratios against spin 50 us (the default until issue 18), measured in the same run.
//
// Usage: janus-round-trip-cpu-bench [--runs N] [--requests N]
#include <janus/client/chromium_launcher.hpp>
#include <janus/rt.hpp>
#include <janus/session/cdp_connection.hpp>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace janus;
using namespace std::chrono_literals;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

rt::task<rt::result<double>> sequential(session::cdp_session s, int n) {
  std::vector<double> lat;
  lat.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    session::call_options call_opts{.deadline = rt::deadline(10s), .cancel = {}};
    auto r = co_await s.call("Browser.getVersion", "{}", std::move(call_opts));
    if (!r) co_return std::move(r).err();
    lat.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  co_return median(std::move(lat));
}

struct setting {
  std::string name;
  unsigned workers;
  std::chrono::microseconds spin;
};

struct figures {
  double cpu_us = 0;      // per round trip
  double p50_us = 0;
  bool ok = false;
  std::string error;
};

figures measure(const setting& st, int runs, int requests) {
  rt::scheduler_options so;
  so.workers = st.workers;
  so.spin = st.spin;
  rt::scheduler sched(so);
  figures f;
  auto b = sched.block_on(client::launch_chromium(sched));
  if (!b) {
    f.error = b.err().message;
    return f;
  }
  const session::cdp_session s = (*b)->connection().browser();
  (void)sched.block_on(sequential(s, 200));  // warm-up: pools, caches, the browser's own
  std::vector<double> cpu, p50;
  for (int r = 0; r < runs; ++r) {
    const double c0 = cpu_seconds();
    auto lat = sched.block_on(sequential(s, requests));
    const double c1 = cpu_seconds();
    if (!lat) {
      f.error = lat.err().message;
      (*b)->close();
      return f;
    }
    cpu.push_back((c1 - c0) * 1e6 / requests);
    p50.push_back(*lat);
  }
  (*b)->close();
  f.cpu_us = median(cpu);
  f.p50_us = median(p50);
  f.ok = true;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 3, requests = 5000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const int v = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--runs")) runs = v;
    else if (!std::strcmp(argv[i], "--requests")) requests = v;
    else {
      std::fprintf(stderr, "usage: %s [--runs N] [--requests N]\n", argv[0]);
      return 2;
    }
  }
  const std::vector<setting> settings = {
      {"workers 1, spin 0", 1, 0us},     {"workers 1, spin 10 us", 1, 10us},
      {"workers 1, spin 50 us", 1, 50us}, {"workers 1, spin 200 us", 1, 200us},
      {"workers 1, spin 1000 us", 1, 1000us}, {"poll mode (block_on)", 0, 0us},
  };
  std::vector<figures> out;
  for (const setting& st : settings) {
    out.push_back(measure(st, runs, requests));
    std::fprintf(stderr, "%s: %s\n", st.name.c_str(), out.back().ok ? "done" : out.back().error.c_str());
  }
  const figures& base = out[2];
  std::printf("%d sequential Browser.getVersion round trips per run, medians of %d runs (Chromium headless, pipe)\n",
              requests, runs);
  std::printf("| setting | client CPU us / round trip | vs. spin 50 us | latency p50 us | vs. spin 50 us |\n");
  std::printf("|---|---|---|---|---|\n");
  for (std::size_t i = 0; i < settings.size(); ++i) {
    if (!out[i].ok) {
      std::printf("| %s | failed: %s | | | |\n", settings[i].name.c_str(), out[i].error.c_str());
      continue;
    }
    std::printf("| %s | %.1f | %.2fx | %.0f | %.2fx |\n", settings[i].name.c_str(), out[i].cpu_us,
                base.ok ? out[i].cpu_us / base.cpu_us : 0.0, out[i].p50_us, base.ok ? out[i].p50_us / base.p50_us : 0.0);
  }
  return 0;
}
