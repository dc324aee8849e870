// The runner behind `janus bench`, and how a program adds a far end to it: the installed `janus`
// measures a real Chromium or Firefox; janus-bench (bench/, not installed) adds the in-process mock
// browser, which is test code the installed command does not carry.
//
// A far end offers named workloads. A round-trip workload is run twice per run: sequentially
// (one request at a time; latency p50/p99 from these) and pipelined (K in flight); an events
// workload makes N events arrive and takes them all. Each (workload, mode) is one figure set.
#pragma once

#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>

#include <ctime>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace janus::cli {

/// One thing a far end can be asked to do many times.
struct bench_workload {
  std::string name;  // the --workload value and the JSON "workload": "page.evaluate"
  std::string what;  // one line for the table: what one request or event is
  bool round_trips = true;  // sequential + pipelined; false: an events workload
};

/// The far end of a run.
class bench_target {
 public:
  virtual ~bench_target() = default;
  /// What this far end offers, in the order the table shows them.
  virtual std::vector<bench_workload> workloads() const = 0;
  /// One request of round-trip workload `w` (an index into workloads()), request number i
  /// (1-based); `lane` is the pipelined worker (0 when sequential), so that a far end can spread
  /// pipelined requests over several actors or pages.
  virtual rt::task<rt::result<void>> call(std::size_t w, std::uint64_t i, unsigned lane) = 0;
  /// Events workload `w`: makes `n` events arrive and receives every one. Returns the seconds from
  /// asking for them to the last one received.
  virtual rt::task<rt::result<double>> events(std::size_t w, std::uint64_t n) = 0;
  /// CPU seconds spent by the far end inside this process (an in-process peer's thread), to exclude.
  virtual double in_process_cpu() const { return 0; }
  virtual std::string name() const = 0;
  /// How this run reaches it, for --json and the title: "pipe", "websocket", "unix", "tcp".
  virtual std::string transport() const = 0;
};

/// How a run is started: by launching (`connect_url` empty) or by connecting to a running browser.
struct bench_start {
  std::string connect_url;
  /// The largest --inflight, for a far end that opens one page or actor per lane.
  unsigned inflight = 1;
};

/// A --target value and how to start it.
struct bench_target_kind {
  std::string_view name;         // the --target value
  std::string_view help;         // its line in --help
  std::string_view description;  // in the table's title
  std::uint64_t default_events;
  bool in_process = false;  // its CPU is excluded through in_process_cpu()
  rt::result<std::unique_ptr<bench_target>> (*start)(rt::scheduler&, const bench_start&);
};

/// The real Chromium far end (launch_chromium over the pipe, or --connect ws://…).
bench_target_kind chromium_bench_target();
/// The real Firefox far end (launched, over its Unix socket, or --connect rdp://host:port).
bench_target_kind firefox_bench_target();

/// Runs the benchmark on argv[first_arg..] with the targets `kinds` (the first is the default);
/// `program` names the command in usage and output. Returns the exit code.
int run_bench(int argc, char** argv, int first_arg, std::span<const bench_target_kind> kinds, std::string_view program);

/// The CPU time of `clock` in seconds (a thread's, from pthread_getcpuclockid, or the process's).
double cpu_seconds(clockid_t clock);

}  // namespace janus::cli
