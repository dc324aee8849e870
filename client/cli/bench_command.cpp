// `janus bench`: protocol throughput as a user of the library sees it, against a real headless
// Chromium or Firefox (launched, or a running one with --connect), or against a target the program
// adds (janus-bench, built with the benchmarks, adds the mock browser: in its process, on a thread
// of its own, over a loopback WebSocket; the installed `janus` carries no test code). Each figure
// is the median of --runs runs; the far end's workloads are listed in --help.
//
//   sequential round trips/s   one request at a time; latency p50/p99 from these
//   pipelined requests/s       --inflight requests in flight, --requests in all
//   events/s                   --events events received by one subscriber
//   client CPU per op          this process's CPU time (getrusage's figure, from
//                              CLOCK_PROCESS_CPUTIME_ID) per request or event, measured around
//                              each phase alone; an in-process peer's thread excluded
#include "bench_command.hpp"
#include "bench_measure.hpp"
#include "cli_args.hpp"
#include "cli_common.hpp"
#include "commands.hpp"

#include <janus/protocol/json_writer.hpp>
#include <janus/rt.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

namespace janus::cli {
namespace {

using clock_type = std::chrono::steady_clock;

std::string usage_text(std::string_view program, std::span<const bench_target_kind> kinds) {
  std::string names, targets, events;
  for (const auto& k : kinds) {
    // Appended piecewise: GCC 12 at -O3 warns (-Wrestrict, falsely) on `const char* + std::string&&`.
    if (!names.empty()) names += '|';
    names += k.name;
    targets += fmt::format("                   {}{}: {}\n", k.name, &k == kinds.data() ? " (default)" : "", k.help);
    events += fmt::format("{}{} for {}", events.empty() ? "" : ", ", k.default_events, k.name);
  }
  return fmt::format(
      "usage: {} [--target {}] [--connect URL] [--workload W[,W…]]\n"
      "                   [--requests N] [--sequential N] [--inflight K] [--events N] [--runs R] [--json]\n"
      "\n"
      "Measures protocol throughput through the Janus client: sequential round trips/s with their\n"
      "latency p50/p99, pipelined requests/s with K in flight, events/s to one subscriber, and this\n"
      "process's CPU time per request or event. Each figure is the median of R runs.\n"
      "\n"
      "  --target T       the far end:\n{}"
      "  --connect URL    a running browser instead of a launched one: ws://… (Chromium's browser\n"
      "                   WebSocket) or rdp://host:port (Firefox's --start-debugger-server)\n"
      "  --workload W     only these workloads (comma-separated; default all of the target's):\n"
      "                   chromium: browser.getVersion, page.evaluate, console\n"
      "                   firefox: page.evaluate (pipelined over up to 4 pages), console\n"
      "  --requests N     pipelined requests per run (default 20000)\n"
      "  --sequential N   sequential requests per run (default: --requests)\n"
      "  --inflight K     requests in flight for the pipelined figure (default 64)\n"
      "  --events N       events per run (default {})\n"
      "  --runs R         runs per figure (default 3)\n"
      "  --json           one JSON object per workload and mode on stdout instead of the table\n",
      program, names, targets, events);
}

enum class mode { sequential, pipelined, events };

std::string_view mode_name(mode m) {
  switch (m) {
    case mode::sequential: return "sequential";
    case mode::pipelined: return "pipelined";
    case mode::events: return "events";
  }
  return "";
}

/// One (workload, mode) across the runs.
struct figure {
  std::size_t workload = 0;
  mode how = mode::sequential;
  std::uint64_t n = 0;
  unsigned inflight = 1;
  std::vector<double> rate, cpu_us, p50, p99;
};

struct bench_settings {
  std::uint64_t requests = 0, sequential = 0, events = 0, runs = 0;
  unsigned inflight = 0;
};

double process_cpu(const bench_target& t) { return cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - t.in_process_cpu(); }

// One run of one figure: appends its rate, CPU per op and latencies.
rt::result<void> run_once(rt::scheduler& s, bench_target& t, figure& f) {
  const double cpu0 = process_cpu(t);
  if (f.how == mode::sequential) {
    std::vector<double> lat;
    const auto t0 = clock_type::now();
    if (auto ok = s.block_on(run_sequential(t, f.workload, f.n, lat)); !ok) return std::move(ok).err();
    f.rate.push_back(static_cast<double>(f.n) / std::chrono::duration<double>(clock_type::now() - t0).count());
    std::sort(lat.begin(), lat.end());
    f.p50.push_back(percentile(lat, 0.50));
    f.p99.push_back(percentile(lat, 0.99));
  } else if (f.how == mode::pipelined) {
    auto rate = run_pipelined(s, t, f.workload, f.n, f.inflight);
    if (!rate) return std::move(rate).err();
    f.rate.push_back(*rate);
  } else {
    auto secs = s.block_on(t.events(f.workload, f.n));
    if (!secs) return std::move(secs).err();
    f.rate.push_back(static_cast<double>(f.n) / *secs);
  }
  f.cpu_us.push_back((process_cpu(t) - cpu0) * 1e6 / static_cast<double>(f.n));
  return rt::ok;
}

void print_json(const bench_target& t, const std::vector<bench_workload>& ws, const figure& f, std::uint64_t runs) {
  protocol::json_writer w;
  w.begin_object();
  w.key("target");
  w.string(t.name());
  w.key("transport");
  w.string(t.transport());
  w.key("workload");
  w.string(ws[f.workload].name);
  w.key("mode");
  w.string(mode_name(f.how));
  w.key("what");
  w.string(ws[f.workload].what);
  w.key("n");
  w.number(static_cast<std::int64_t>(f.n));
  w.key("inflight");
  w.number(static_cast<std::int64_t>(f.inflight));
  w.key("runs");
  w.number(static_cast<std::int64_t>(runs));
  w.key("per_s");
  w.number(median(f.rate));
  w.key("cpu_us_per_op");
  w.number(median(f.cpu_us));
  if (f.how == mode::sequential) {
    w.key("latency_p50_us");
    w.number(median(f.p50));
    w.key("latency_p99_us");
    w.number(median(f.p99));
  }
  w.end_object();
  std::printf("%s\n", std::string(w.view()).c_str());
}

void print_row(const std::vector<bench_workload>& ws, const figure& f) {
  const std::string head = fmt::format("  {:<20} {:<10}", ws[f.workload].name, mode_name(f.how));
  std::string detail;
  if (f.how == mode::sequential)
    detail = fmt::format("p50 {:.1f} us  p99 {:.1f} us", median(f.p50), median(f.p99));
  else if (f.how == mode::pipelined)
    detail = fmt::format("{} in flight", f.inflight);
  std::printf("%s %12.0f /s  %8.2f us CPU/op  (%llu per run%s%s)\n", head.c_str(), median(f.rate), median(f.cpu_us),
              static_cast<unsigned long long>(f.n), detail.empty() ? "" : "; ", detail.c_str());
}

}  // namespace

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int bench_command(int argc, char** argv) {
  const bench_target_kind kinds[] = {chromium_bench_target(), firefox_bench_target()};
  return run_bench(argc, argv, 2, kinds, "janus bench");
}

int run_bench(int argc, char** argv, int first_arg, std::span<const bench_target_kind> kinds, std::string_view program) {
  arg_spec spec;
  spec.valued = {"--target", "--connect", "--workload", "--requests", "--sequential", "--inflight", "--events", "--runs"};
  spec.flags = {"--json", "--help"};
  std::string error;
  auto args = parsed_args::parse(argc, argv, first_arg, spec, error);
  if (args && args->flag("--help")) {
    std::fputs(usage_text(program, kinds).c_str(), stdout);
    return exit_ok;
  }
  if (!args) return report_error("bench", error + " (see " + std::string(program) + " --help)", exit_usage);
  const std::string target_name = args->value_or("--target", std::string(kinds.front().name));
  const auto kind = std::find_if(kinds.begin(), kinds.end(), [&](const auto& k) { return k.name == target_name; });
  if (kind == kinds.end()) {
    std::string names;
    for (const auto& k : kinds) names += (names.empty() ? "" : " or ") + std::string(k.name);
    // The mock is test code: the installed command does not carry it.
    const std::string where = target_name == "mock" ? " (the mock browser is in janus-bench, built with the benchmarks)" : "";
    return report_error("bench", "--target is " + names + ", not '" + target_name + "'" + where, exit_usage);
  }
  auto requests = args->number("--requests", 20000, error);
  auto sequential = args->number("--sequential", requests.value_or(20000), error);
  auto inflight = args->number("--inflight", 64, error);
  auto event_count = args->number("--events", kind->default_events, error);
  auto runs = args->number("--runs", 3, error);
  if (!requests || !sequential || !inflight || !event_count || !runs) return report_error("bench", error, exit_usage);
  if (*requests == 0 || *sequential == 0 || *inflight == 0 || *runs == 0 || *inflight > 100000)
    return report_error("bench",
                        "--requests, --sequential, --inflight and --runs must be at least 1 (--inflight at most 100000)",
                        exit_usage);
  const bench_settings set{.requests = *requests, .sequential = *sequential, .events = *event_count, .runs = *runs,
                           .inflight = static_cast<unsigned>(*inflight)};

  rt::scheduler_options so;
  so.workers = 1;
  rt::scheduler sched(so);
  progress bar;
  bar.update("starting " + target_name + "...");
  const bench_start how{.connect_url = args->value_or("--connect", ""), .inflight = set.inflight};
  auto started = kind->start(sched, how);
  if (!started) return report_error("bench", started.err(), target_name);
  const std::unique_ptr<bench_target> target = std::move(*started);
  const std::vector<bench_workload> ws = target->workloads();

  std::vector<figure> figures;
  const std::string wanted = args->value_or("--workload", "");
  std::vector<std::string> unknown;
  for (std::size_t i = 0; i < ws.size(); ++i) {
    if (!wanted.empty() && ("," + wanted + ",").find("," + ws[i].name + ",") == std::string::npos) continue;
    if (ws[i].round_trips) {
      figures.push_back({.workload = i, .how = mode::sequential, .n = set.sequential, .inflight = 1, .rate = {}, .cpu_us = {}, .p50 = {}, .p99 = {}});
      figures.push_back({.workload = i, .how = mode::pipelined, .n = set.requests, .inflight = set.inflight, .rate = {}, .cpu_us = {}, .p50 = {}, .p99 = {}});
    } else if (set.events > 0) {
      figures.push_back({.workload = i, .how = mode::events, .n = set.events, .inflight = 1, .rate = {}, .cpu_us = {}, .p50 = {}, .p99 = {}});
    }
  }
  if (figures.empty()) {
    std::string names;
    for (const auto& w : ws) names += (names.empty() ? "" : ", ") + w.name;
    return report_error("bench", "--workload '" + wanted + "' names none of " + target->name() + "'s workloads (" + names + ")",
                        exit_usage);
  }

  for (std::uint64_t r = 1; r <= set.runs; ++r) {
    for (figure& f : figures) {
      bar.update(fmt::format("run {}/{}: {} {}", r, set.runs, ws[f.workload].name, mode_name(f.how)));
      if (auto ok = run_once(sched, *target, f); !ok) return report_error("bench", ok.err(), target_name);
    }
  }
  bar.done();

  if (args->flag("--json")) {
    for (const figure& f : figures) print_json(*target, ws, f, set.runs);
  } else {
    std::printf("%s: target %s (%s, %s), median of %llu runs\n", std::string(program).c_str(), target->name().c_str(),
                std::string(kind->description).c_str(), target->transport().c_str(),
                static_cast<unsigned long long>(set.runs));
    std::size_t last = ws.size();
    for (const figure& f : figures) {
      if (f.workload != last) std::printf("  %s: %s\n", ws[f.workload].name.c_str(), ws[f.workload].what.c_str());
      last = f.workload;
      print_row(ws, f);
    }
    if (kind->in_process) std::printf("  (client CPU excludes the target's own thread)\n");
  }
  return exit_ok;
}

}  // namespace janus::cli
