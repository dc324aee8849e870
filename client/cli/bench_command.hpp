// The runner behind `janus bench`, and how a program adds a far end to it: the installed `janus`
// measures a real Chromium; janus-bench (bench/, not installed) adds the in-process mock browser,
// which is test code the installed command does not carry.
#pragma once

#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>
#include <janus/session/cdp_connection.hpp>

#include <ctime>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace janus::cli {

/// The far end of a run. Knows how to make it answer a command and emit events.
class bench_target {
 public:
  virtual ~bench_target() = default;
  virtual session::cdp_connection connection() const = 0;
  /// The command every request sends, and its params for request i.
  virtual std::string_view method() const = 0;
  virtual std::string params(std::uint64_t i) const = 0;
  /// Makes `count` events arrive on `events_session()`, of method `event_method()`.
  virtual rt::task<rt::result<void>> emit(std::uint64_t count) = 0;
  virtual session::cdp_session events_session() const = 0;
  virtual std::string_view event_method() const = 0;
  /// CPU seconds spent by the far end inside this process (an in-process peer's thread), to exclude.
  virtual double in_process_cpu() const { return 0; }
  virtual std::string name() const = 0;
};

/// A --target value and how to start it.
struct bench_target_kind {
  std::string_view name;         // the --target value
  std::string_view help;         // its line in --help
  std::string_view description;  // in the table's title
  std::string_view transport;    // in --json
  std::uint64_t default_events;
  bool in_process = false;  // its CPU is excluded through in_process_cpu()
  rt::result<std::unique_ptr<bench_target>> (*start)(rt::scheduler&);
};

/// The real Chromium far end (launch_chromium, over the pipe).
bench_target_kind chromium_bench_target();

/// Runs the benchmark on argv[first_arg..] with the targets `kinds` (the first is the default);
/// `program` names the command in usage and output. Returns the exit code.
int run_bench(int argc, char** argv, int first_arg, std::span<const bench_target_kind> kinds, std::string_view program);

/// The CPU time of `clock` in seconds (a thread's, from pthread_getcpuclockid, or the process's).
double cpu_seconds(clockid_t clock);

}  // namespace janus::cli
