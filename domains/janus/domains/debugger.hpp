// Debugger: the scripts a page has parsed, breakpoints, and pause / resume / step.
//
//   domains::debugger dbg = page.debugger();
//   auto bp = co_await dbg.set_breakpoint({.url = script_url, .line = 12});  // 0-based, as CDP
//   auto paused = co_await dbg.wait_paused(rt::deadline(5s));   // where, why, which breakpoints
//   co_await dbg.resume();
//
// The script registry is kept from Debugger.scriptParsed / scriptFailedToParse and emptied when
// the page's execution contexts are cleared (a navigation); it is a bounded map, with evictions
// counted. The pause state follows Debugger.paused / resumed: wait_paused() returns at once if the
// page is already paused. While paused, the page's JavaScript (and so its Runtime.evaluate
// calls without a call frame) waits: resume before anything else expects the page to run.
//
// @par Thread Safety
// `debugger` is a handle: copies may be used from any threads at once. Its state lives in an
// actor fed by its event subscription; readers get copies through asks.
#pragma once

#include <janus/session/cdp_session.hpp>
#include <janus/domains/backend.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace janus::domains {

struct script_info {
  std::string script_id;
  std::string url;  // empty for eval'd code
  std::int64_t start_line = 0;
  std::int64_t end_line = 0;
  std::int64_t length = 0;
  std::string hash;
  std::int64_t execution_context_id = 0;
  bool is_module = false;
  bool failed_to_parse = false;
};

/// A place in a script; lines and columns 0-based, as CDP counts them.
struct script_location {
  std::string script_id;
  std::int64_t line = 0;
  std::int64_t column = 0;
};

struct breakpoint_spec {
  std::string url;  // the script's URL, exact
  std::int64_t line = 0;
  std::int64_t column = 0;
  std::string condition;  // a JS expression; empty: always
};

struct breakpoint {
  std::string id;
  /// Where it landed in scripts already parsed (more appear as matching scripts load).
  std::vector<script_location> locations;
};

struct call_frame {
  std::string call_frame_id;
  std::string function_name;  // empty for top-level code
  std::string url;            // the script's, from the registry
  script_location location;
};

struct pause_info {
  std::string reason;  // "other" (breakpoint), "exception", "debugCommand", ...
  std::vector<call_frame> frames;  // innermost first
  std::vector<std::string> hit_breakpoints;
};

struct debugger_stats {
  std::size_t scripts = 0;
  std::uint64_t parsed = 0;   // scriptParsed + scriptFailedToParse ever seen
  std::uint64_t evicted = 0;  // scripts pushed out of the registry
  std::uint64_t pauses = 0;
  std::uint64_t malformed = 0;
  std::uint64_t dropped = 0;
  bool paused = false;
};

struct debugger_options {
  std::size_t max_scripts = 10000;
  std::size_t event_queue = 4096;
  std::chrono::milliseconds command_timeout{10000};
};

/// The calls of `debugger`, over one protocol (see backend.hpp). Calls not overridden
/// fail with errc::unsupported.
///
/// @par Thread Safety
/// See backend.hpp: called from any thread at once.
class debugger_backend : public domain_backend {
 public:
  using domain_backend::domain_backend;
  virtual rt::task<rt::result<std::vector<script_info>>> scripts(rt::deadline d);
  virtual rt::task<rt::result<debugger_stats>> stats(rt::deadline d);
  virtual rt::task<rt::result<std::optional<pause_info>>> pause_state(rt::deadline d);
  virtual rt::task<rt::result<pause_info>> wait_paused(rt::deadline d);
  virtual rt::task<rt::result<std::string>> source(std::string script_id, rt::deadline d);
  virtual rt::task<rt::result<breakpoint>> set_breakpoint(breakpoint_spec spec, rt::deadline d);
  virtual rt::task<rt::result<void>> remove_breakpoint(std::string id, rt::deadline d);
  virtual rt::task<rt::result<void>> step_over(rt::deadline d);
  virtual rt::task<rt::result<void>> step_into(rt::deadline d);
  virtual rt::task<rt::result<void>> step_out(rt::deadline d);
  virtual rt::task<rt::result<void>> enable(rt::deadline d);
  virtual rt::task<rt::result<void>> pause(rt::deadline d);
  virtual rt::task<rt::result<void>> resume(rt::deadline d);
};

class debugger {
 public:
  debugger() = default;
  static debugger start(rt::scheduler& sched, session::cdp_session session, debugger_options options = {});
  /// A handle whose calls go to `backend` (another protocol than CDP; see backend.hpp).
  static debugger over(std::shared_ptr<debugger_backend> backend);
  explicit operator bool() const noexcept { return backend_ != nullptr; }

  /// Subscribes, then sends Debugger.enable (which reports the scripts already parsed).
  rt::task<rt::result<void>> enable(rt::deadline d) const;
  rt::task<rt::result<void>> enable() const { return enable(std::chrono::seconds(10)); }
  rt::task<rt::result<std::vector<script_info>>> scripts(rt::deadline d) const;
  rt::task<rt::result<std::vector<script_info>>> scripts() const { return scripts(std::chrono::seconds(10)); }
  rt::task<rt::result<debugger_stats>> stats(rt::deadline d) const;
  rt::task<rt::result<debugger_stats>> stats() const { return stats(std::chrono::seconds(10)); }
  /// Debugger.getScriptSource.
  rt::task<rt::result<std::string>> source(std::string script_id, rt::deadline d) const;
  rt::task<rt::result<std::string>> source(std::string script_id) const { return source(std::move(script_id), std::chrono::seconds(10)); }

  /// Debugger.setBreakpointByUrl; removed with remove_breakpoint (or when the page goes).
  rt::task<rt::result<breakpoint>> set_breakpoint(breakpoint_spec spec, rt::deadline d) const;
  rt::task<rt::result<breakpoint>> set_breakpoint(breakpoint_spec spec) const { return set_breakpoint(std::move(spec), std::chrono::seconds(10)); }
  rt::task<rt::result<void>> remove_breakpoint(std::string id, rt::deadline d) const;
  rt::task<rt::result<void>> remove_breakpoint(std::string id) const { return remove_breakpoint(std::move(id), std::chrono::seconds(10)); }

  /// Where the page is paused, if it is.
  rt::task<rt::result<std::optional<pause_info>>> pause_state(rt::deadline d) const;
  rt::task<rt::result<std::optional<pause_info>>> pause_state() const { return pause_state(std::chrono::seconds(10)); }
  /// Returns once the page is paused (at once if it is); errc::timeout at the deadline.
  rt::task<rt::result<pause_info>> wait_paused(rt::deadline d) const;
  rt::task<rt::result<pause_info>> wait_paused() const { return wait_paused(std::chrono::seconds(30)); }
  /// Debugger.pause / resume / stepOver / stepInto / stepOut.
  rt::task<rt::result<void>> pause(rt::deadline d) const;
  rt::task<rt::result<void>> pause() const { return pause(std::chrono::seconds(10)); }
  rt::task<rt::result<void>> resume(rt::deadline d) const;
  rt::task<rt::result<void>> resume() const { return resume(std::chrono::seconds(10)); }
  rt::task<rt::result<void>> step_over(rt::deadline d) const;
  rt::task<rt::result<void>> step_over() const { return step_over(std::chrono::seconds(10)); }
  rt::task<rt::result<void>> step_into(rt::deadline d) const;
  rt::task<rt::result<void>> step_into() const { return step_into(std::chrono::seconds(10)); }
  rt::task<rt::result<void>> step_out(rt::deadline d) const;
  rt::task<rt::result<void>> step_out() const { return step_out(std::chrono::seconds(10)); }

  void stop() const;

 private:
  std::shared_ptr<debugger_backend> backend_;
};

}  // namespace janus::domains
