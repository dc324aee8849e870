// Where an RDP connection's packets go once the greeting has come: classification (a reply, a
// declared event, or an undeclared typed packet taken for an event), the subscriptions that
// receive events, and the backlog that keeps `block` subscribers lossless.
//
// A reply is handed back to the connection (rdp_route_sink::settle_reply), which pairs it with its
// request (rdp_actor_queues). An event goes to every subscription that wants it and has room. When
// a `block` subscription is full, the router has the connection stop reading (pause_reading), and
// that packet and every later one wait in the backlog, replies too, until a drain task has
// delivered them in arrival order; then reading resumes.
//
// Private to protocol/session/ (not installed): only rdp_core uses it.
//
// @par Thread Safety
// subscribe, set_actor_type, forget_actor, typed_actors and close may be called from any thread.
// on_packet is called by the transport's io thread, one packet at a time; a packet is routed either
// there or in the drain task, never both at once (`draining_` decides, under backlog_mu_). The sink
// is called with no lock of the router held but one: pause_reading, called under backlog_mu_ when a
// packet joins a running backlog, so that the drain cannot resume reading before that pause (the
// lock order is backlog_mu_, then the connection's mutex; the connection calls the router only
// without its mutex held).
#pragma once

#include <janus/protocol/rdp_codec.hpp>
#include <janus/protocol/rdp_event_registry.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/stream.hpp>
#include <janus/rt/task.hpp>
#include <janus/session/rdp_connection.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace janus::session::detail {

using rdp_msg_ptr = std::shared_ptr<const protocol::rdp_owned_message>;

// @par Thread Safety
// `spec` is immutable once registered; the stream is thread-safe.
struct rdp_registration {
  rdp_subscription_spec spec;
  std::unique_ptr<rt::stream<rdp_event>> stream;

  bool wants(const protocol::rdp_owned_message& m) const {
    if (!spec.actor.empty()) {
      if (spec.actor_is_prefix ? !m.from().starts_with(spec.actor) : m.from() != spec.actor) return false;
    }
    return spec.type.empty() || spec.type == "*" || spec.type == m.type();
  }
};

/// What the router needs of the connection it routes for. A virtual call per packet, no more: the
/// connection's own lock is taken inside, as it was before the router was a class of its own.
class rdp_route_sink {
 public:
  /// A reply (or error reply): settle the request it answers.
  virtual void settle_reply(const protocol::rdp_owned_message& m) = 0;
  /// A typed packet its actor does not declare went to subscribers: remember it for the actor's
  /// timeout messages.
  virtual void note_undeclared(const protocol::rdp_owned_message& m) = 0;
  /// root's forwardingCancelled: fail the requests of every actor under `prefix` (not empty).
  virtual void cancel_prefix(std::string_view prefix) = 0;
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;

 protected:
  ~rdp_route_sink() = default;
};

class rdp_event_router {
 public:
  /// `registry` and `sink` must outlive the router.
  rdp_event_router(rt::scheduler& sched, const protocol::rdp_event_registry& registry, rdp_route_sink& sink);

  /// See rdp_connection::subscribe.
  rt::result<rt::subscription<rdp_event>> subscribe(rdp_subscription_spec spec);
  /// See rdp_connection::set_actor_type.
  void set_actor_type(std::string actor_id, std::string type_name);
  /// The actor is gone (noSuchActor): so is its declared type.
  void forget_actor(std::string_view actor_id);
  /// Actors with a type set by set_actor_type (and not torn down since).
  std::size_t typed_actors() const;
  /// Ends every subscription (with `code` as the cause when it is errc::browser_exited, else as
  /// errc::cancelled) and refuses new ones. The first call wins.
  void close(rt::errc code, const std::string& why);

  /// io thread: routes one packet now, or queues it behind the backlog. True when it started a
  /// backlog: the caller must then spawn drain(), which keeps the caller alive by `keep_alive`.
  bool on_packet(rdp_msg_ptr msg);
  rt::task<void> drain(std::shared_ptr<const void> keep_alive);

  /// The counters the router keeps (events, undeclared_events, forwarding_cancelled, read_pauses).
  void add_counters(rdp_stats& s) const noexcept;

 private:
  using reg_ptr = std::shared_ptr<rdp_registration>;
  struct backlog_item {
    rdp_msg_ptr msg;
    bool routed = false;
    std::vector<reg_ptr> remaining;  // block subscribers still owed this event
  };
  enum class packet_kind { reply, event, undeclared };
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  packet_kind classify(const protocol::rdp_owned_message& m);
  void route(const rdp_msg_ptr& msg, std::vector<reg_ptr>& remaining);
  void cancel_prefix(std::string_view prefix);

  rt::scheduler& sched_;
  const protocol::rdp_event_registry& registry_;
  rdp_route_sink& sink_;

  mutable std::mutex mu_;  // the actor types, the subscriptions, the closed state
  std::unordered_map<std::string, std::string, string_hash, std::equal_to<>> actor_types_;
  std::vector<reg_ptr> subs_;
  bool closed_ = false;
  rt::errc closed_code_ = rt::errc::disconnected;
  std::string closed_why_;

  std::mutex backlog_mu_;
  std::deque<backlog_item> backlog_;
  bool draining_ = false;

  std::atomic<std::uint64_t> events_{0}, undeclared_{0}, forwarding_cancelled_{0}, read_pauses_{0};
};

}  // namespace janus::session::detail
