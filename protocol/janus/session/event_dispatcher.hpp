// The event dispatcher actor: every CDP event of a connection passes through it on its way to the
// subscribers that asked for it.
//
// A subscription names what it wants — one method ("Network.responseReceived"), a domain
// ("Network.*") or everything ("*") — optionally restricted to one flattened session and by a
// filter, and gets its own bounded queue with one of the runtime's overflow policies:
//   block        nothing is lost; a full queue stops the dispatcher, whose mailbox then fills, and
//                the connection stops reading from the browser until there is room again. That
//                holds back replies too: read a `block` subscription while awaiting commands (or
//                give it room for the burst), or choose a lossy policy;
//   drop_oldest / drop_newest   the queue never stops anyone; what it drops is counted
//                (subscription.dropped()).
// Destroying the subscription unsubscribes it (the dispatcher forgets it at its next event).
//
// The end: when the browser behind the connection has died (errc::browser_exited), the
// connection sends `end` after the last event it read: every subscription gets what is queued,
// then that error, and a subscription made later ends with it at once. So every wait on an event
// stream (a lifecycle wait, a domain actor's pump, a user's next()) learns of the death when it
// happens, not at its deadline. A connection that merely dropped (it may reconnect) sends none.
//
// Late subscribers: retain(method, n) keeps the last n events of that method, and a subscription
// made with replay_last > 0 receives up to that many of them first.
//
// Arm-then-act: a subscription is registered when `co_await subscribe(...)` returns, and events are
// handled in the order the browser sent them, so an event caused by a command sent after that
// point can never be missed. cdp_session::send_and_wait builds on this.
//
// @par Thread Safety
// Used through its actor_ref, from any thread. Subscriptions follow rt::subscription's rules.
#pragma once

#include <janus/session/cdp_event.hpp>
#include <janus/rt/actor.hpp>
#include <janus/rt/stream.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace janus::session {

/// What a subscriber wants and how its queue behaves.
///
/// @par Thread Safety
/// A plain value.
struct subscription_spec {
  /// "Domain.event" (exact), "Domain.*" (a whole domain) or "*" (every event).
  std::string method = "*";
  /// Only events of this flattened session ("" = the browser-level connection); unset: any.
  std::optional<std::string> session_id;
  /// Called in the dispatcher for each candidate event; false skips it for this subscriber.
  /// Must be quick and must not block.
  std::function<bool(const cdp_event&)> filter;
  std::size_t capacity = 1024;
  rt::overflow policy = rt::overflow::block;
  /// Deliver up to this many retained events of `method` first (see event_dispatcher::retain).
  std::size_t replay_last = 0;
};

/// Counters, readable through an ask.
struct dispatcher_stats {
  std::uint64_t events = 0;        // events received from the connection
  std::uint64_t deliveries = 0;    // events put into subscriber queues
  std::uint64_t unrouted = 0;      // events no subscriber wanted
  std::uint64_t waited = 0;        // times a full `block` subscriber made the dispatcher wait
  std::size_t subscriptions = 0;   // live subscriptions
};

class event_dispatcher : public rt::actor<event_dispatcher> {
 public:
  struct deliver {
    cdp_event event;
  };
  struct subscribe {
    subscription_spec spec;
  };
  struct retain {
    std::string method;
    std::size_t count = 0;
  };
  struct get_stats {};
  /// No event will come any more: close every subscription with `why` (see the top).
  struct end {
    rt::error why;
  };
  using message = std::variant<deliver, subscribe, retain, get_stats, end>;

  // Room for a burst of events while a subscriber catches up; beyond it the connection pauses.
  static constexpr std::size_t mailbox_capacity = 4096;
  // While a publish waits for a full `block` subscriber, later events must not overtake it.
  static constexpr unsigned max_suspended = 1;

  explicit event_dispatcher(rt::scheduler* sched) : sched_(sched) {}
  ~event_dispatcher();
  event_dispatcher(const event_dispatcher&) = delete;
  event_dispatcher& operator=(const event_dispatcher&) = delete;

  rt::task<void> handle(deliver d);
  rt::subscription<cdp_event> handle(subscribe s);
  void handle(retain r);
  dispatcher_stats handle(get_stats) const;
  void handle(end e);

 private:
  struct registration {
    subscription_spec spec;
    std::unique_ptr<rt::stream<cdp_event>> stream;
  };
  using route = std::vector<std::shared_ptr<registration>>;
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using route_map = std::unordered_map<std::string, route, string_hash, std::equal_to<>>;

  rt::task<void> offer(route& r, const cdp_event& ev, bool& any);
  void remember(const cdp_event& ev);

  rt::scheduler* sched_;
  route_map by_method_;
  route_map by_domain_;
  route all_;
  std::unordered_map<std::string, std::deque<cdp_event>, string_hash, std::equal_to<>> retained_;
  std::unordered_map<std::string, std::size_t, string_hash, std::equal_to<>> retain_limits_;
  dispatcher_stats stats_;
  std::optional<rt::error> ended_;  // set by `end`: new subscriptions are closed with it
};

using dispatcher_ref = rt::actor_ref<event_dispatcher>;

}  // namespace janus::session
