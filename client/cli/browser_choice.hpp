// How the page commands (inspect, eval, dom, screenshot) get a browser and a page: launch a
// headless Chromium or Firefox, or connect to a running one (--connect ws://… or http://host:port;
// Firefox: host:port or unix:/path of its debugger server), then open a page and navigate it with the requested
// wait. Both browsers give the same client::browser and client::page.
//
// --timeout is the whole command's budget: one absolute deadline, taken when the command line is
// read, bounds the launch (or connect), the load, the work and the close together. Every step is
// given that deadline, and a budget_watch closes the browser when it passes, so that a step that
// does not honour it fails at once too (a closed connection fails every pending call).
#pragma once

#include "cli_args.hpp"

#include <janus/client/browser.hpp>
#include <janus/client/page.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <string>
#include <thread>

namespace janus::cli {

/// The options every page command accepts, with their help text.
void add_browser_options(arg_spec& spec);
extern const char* const browser_options_help;

struct browser_choice {
  std::string browser = "chromium";
  std::string connect;  // empty: launch
  client::wait_until wait = client::wait_until::load;
  std::chrono::milliseconds timeout{30000};
  /// The steps' deadline: `timeout` after the command line was read, less the share kept for
  /// closing a launched browser.
  rt::deadline deadline;
};

/// The largest --timeout (and --after) accepted: a day, far below where adding it to the clock
/// could overflow.
inline constexpr unsigned long long max_timeout_ms = 86400000;

/// Reads --browser, --connect, --wait and --timeout, and starts the budget; `error` set on a bad
/// value.
std::optional<browser_choice> read_browser_choice(const parsed_args& args, std::string& error);

/// What is left of the budget, at least 1 ms: a launch or connect timeout of 0 would mean none.
std::chrono::milliseconds remaining(const browser_choice& c);

/// `e` as the command reports it: once the budget has run out, whichever step noticed it (or failed
/// because the budget_watch closed the browser under it), it says that --timeout ran out.
rt::error over_budget(rt::error e, const browser_choice& c);

/// Holds the browser a command opened and closes it when the budget runs out (from a thread of its
/// own, so that it happens however the scheduler's workers are busy) or when finish() is called.
/// Declare it after the scheduler: it holds a browser handle, which must go first.
///
/// @par Thread Safety
/// hold() may be called from any thread; finish() and the destructor from the owner's.
class budget_watch {
 public:
  explicit budget_watch(rt::deadline d);
  ~budget_watch();
  budget_watch(const budget_watch&) = delete;
  budget_watch& operator=(const budget_watch&) = delete;

  /// The browser to close; when the budget has already run out, it is closed at once.
  void hold(client::browser b);
  /// Closes the browser (if any) and stops the watching thread. Idempotent.
  void finish();

 private:
  void watch(rt::deadline d);

  std::mutex mu_;
  std::condition_variable cv_;
  client::browser browser_;  // guarded by mu_
  bool expired_ = false;     // guarded by mu_
  bool finished_ = false;    // guarded by mu_
  std::thread thread_;
};

struct opened_page {
  client::browser browser;
  client::page page;
  /// From the start of navigate() until its wait was met.
  std::chrono::milliseconds navigation_time{0};
};

/// Launches or connects, hands the browser to `watch`, opens a page with its network and console
/// actors listening from the start, and navigates it to `url`, all within choice.deadline. On
/// failure the browser is closed.
rt::task<rt::result<opened_page>> open_page(rt::scheduler& sched, budget_watch& watch, browser_choice choice,
                                            std::string url);

/// Why `url` cannot be a page's address ("" when it can): it needs a scheme, and no whitespace.
std::string url_problem(const std::string& url);

/// "host:port" split, the port 1..65535.
std::optional<std::pair<std::string, std::uint16_t>> split_host_port(const std::string& s);

/// "load", "network-idle", ...
const char* wait_name(client::wait_until w);

}  // namespace janus::cli
