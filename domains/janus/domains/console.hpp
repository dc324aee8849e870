// Console: what the page printed, from Runtime.consoleAPICalled (console.log & co.),
// Log.entryAdded (the browser's own messages: failed loads, interventions, violations) and
// Runtime.exceptionThrown (uncaught exceptions), in the order the browser sent them.
//
//   domains::console con = domains::console::start(sched, page_session);
//   auto live = co_await con.subscribe(1024);           // entries from now on, nothing lost
//   auto entry = co_await live->next(rt::deadline(5s));
//   auto past = co_await con.entries();                 // the buffer: the last `capacity` entries
//
// The buffer is a ring: what it pushes out is counted (stats().evicted). Live subscribers choose
// their queue's policy: `block` loses nothing and, when the subscriber is slow, slows the
// browser's event stream down for everyone on this page; drop_oldest / drop_newest never slow
// anything and count what they drop (subscription::dropped()). When the page's browser dies, a
// live subscription yields what is queued, then errc::browser_exited.
//
// Enabling sends Runtime.enable and Log.enable; V8 then replays the messages it logged before,
// so the first entries may predate the call. Works across navigations.
//
// @par Thread Safety
// `console` is a handle: copies may be used from any threads at once. Its state lives in an actor
// fed by its event subscription; readers get copies through asks. A live subscription follows
// rt::subscription's rules (one consumer at a time).
#pragma once

#include <janus/session/cdp_session.hpp>
#include <janus/domains/backend.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/stream.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace janus::domains {

/// @par Thread Safety
/// A plain value.
struct console_entry {
  enum class origin : std::uint8_t { console_api, log, exception };

  origin from = origin::console_api;
  /// "verbose", "info", "warning" or "error" (Log's levels; console.debug is verbose,
  /// console.log / console.info info, console.warn warning, console.error / assert and exceptions
  /// error).
  std::string level;
  /// The console method ("log", "table", "assert", ...), Log's source ("network", "violation",
  /// ...), or "exception".
  std::string type;
  /// The arguments as DevTools prints them (printf-style %s %d %i %f %o %O %c applied), the Log
  /// entry's text, or the exception's message line.
  std::string text;
  /// For exceptions: the stack as "    at …" lines.
  std::string stack;
  /// Milliseconds since the epoch, as the browser stamped it.
  double timestamp = 0;
  std::string url;
  /// 1-based, as DevTools shows them; 0 when the browser gave none.
  int line = 0;
  int column = 0;
  std::int64_t execution_context_id = 0;
  /// Position in everything this console has seen (0, 1, 2, ...): gaps mean evicted entries.
  std::uint64_t seq = 0;
};

/// @par Thread Safety
/// A plain value.
struct console_stats {
  std::size_t buffered = 0;
  std::uint64_t total = 0;       // entries ever recorded
  std::uint64_t evicted = 0;     // pushed out of the buffer
  std::uint64_t malformed = 0;   // events whose params could not be read
  std::uint64_t dropped = 0;     // events lost by the subscription (0 with the default policy)
};

/// @par Thread Safety
/// A plain value.
struct console_options {
  std::size_t capacity = 10000;
  std::size_t event_queue = 4096;
  std::chrono::milliseconds command_timeout{10000};
};

/// The calls of `console`, over one protocol (see backend.hpp). Calls not overridden
/// fail with errc::unsupported.
///
/// @par Thread Safety
/// See backend.hpp: called from any thread at once.
class console_backend : public domain_backend {
 public:
  using domain_backend::domain_backend;
  virtual rt::task<rt::result<std::vector<console_entry>>> entries(rt::deadline d);
  virtual rt::task<rt::result<console_stats>> stats(rt::deadline d);
  virtual rt::task<rt::result<void>> clear(rt::deadline d);
  virtual rt::task<rt::result<rt::subscription<console_entry>>> subscribe(std::size_t capacity, rt::overflow policy, rt::deadline d);
  virtual rt::task<rt::result<void>> enable(rt::deadline d);
};

class console {
 public:
  console() = default;
  static console start(rt::scheduler& sched, session::cdp_session session, console_options options = {});
  /// A handle whose calls go to `backend` (another protocol than CDP; see backend.hpp).
  static console over(std::shared_ptr<console_backend> backend);
  explicit operator bool() const noexcept { return backend_ != nullptr; }

  /// Subscribes, then sends Runtime.enable and Log.enable. Other calls enable first.
  rt::task<rt::result<void>> enable(rt::deadline d) const;
  rt::task<rt::result<void>> enable() const { return enable(std::chrono::seconds(10)); }
  /// A copy of the buffer, oldest first.
  rt::task<rt::result<std::vector<console_entry>>> entries(rt::deadline d) const;
  rt::task<rt::result<std::vector<console_entry>>> entries() const { return entries(std::chrono::seconds(10)); }
  rt::task<rt::result<console_stats>> stats(rt::deadline d) const;
  rt::task<rt::result<console_stats>> stats() const { return stats(std::chrono::seconds(10)); }
  rt::task<rt::result<void>> clear(rt::deadline d) const;
  rt::task<rt::result<void>> clear() const { return clear(std::chrono::seconds(10)); }
  /// Every entry recorded from now on, in order, through a queue of `capacity` with `policy`.
  rt::task<rt::result<rt::subscription<console_entry>>> subscribe(std::size_t capacity, rt::overflow policy, rt::deadline d) const;
  rt::task<rt::result<rt::subscription<console_entry>>> subscribe() const { return subscribe(1024, rt::overflow::block, std::chrono::seconds(10)); }
  rt::task<rt::result<rt::subscription<console_entry>>> subscribe(std::size_t capacity) const { return subscribe(capacity, rt::overflow::block, std::chrono::seconds(10)); }
  rt::task<rt::result<rt::subscription<console_entry>>> subscribe(std::size_t capacity, rt::overflow policy) const { return subscribe(capacity, std::move(policy), std::chrono::seconds(10)); }
  void stop() const;

 private:
  std::shared_ptr<console_backend> backend_;
};

}  // namespace janus::domains
