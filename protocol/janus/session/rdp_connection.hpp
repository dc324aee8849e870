// A connection to Firefox's debugger server (the Remote Debugging Protocol, RDP, over TCP).
//
//   auto conn = co_await rdp_connection::connect(sched, "127.0.0.1", 6000);
//   auto tabs = co_await conn->request_json("root", "listTabs");
//   auto sub  = conn->subscribe({.actor = watcher, .type = "target-available-form"});
//
// RDP packets carry no ids. A reply is the next packet from the actor the request went to that is
// not one of that actor's declared events (protocol::rdp_event_registry), and an actor answers in
// the order it was asked. So the connection keeps one FIFO of pending requests per actor: requests
// to one actor may be pipelined, requests to different actors are independent. The rules that
// follow from live transcripts recorded against Firefox ESR 153:
//   - `unrecognizedPacketType`, `noSuchActor` and the `requestTypes` reply overtake the actor's
//     queue; they are paired with the request that caused them, not with the oldest one;
//   - an `error` reply fails its request with errc::protocol ("<error name>: <message>");
//   - `forwardingCancelled` from root fails every request pending on an actor under its prefix
//     with errc::target_closed (the event is delivered to subscribers as well);
//   - a packet with a `type` its actor declares neither as an event nor as a typed reply (an event
//     newer than the registry, ESR 153's specs) goes to subscribers as an event and is counted
//     (rdp_stats::undeclared_events); it is not paired with a pending request, which would pair
//     every later reply of that actor with the wrong request. If it was a reply after all, its
//     request times out naming it, and rdp_event_registry::add_typed_reply declares it;
//   - every request has a deadline (30 s unless given). When one passes, the actor is poisoned:
//     a hung request blocks every later reply of that actor, and a late reply would be paired with
//     the wrong request. Its other pending requests fail at once and later ones fail without being
//     sent, all with errc::timeout saying why. Other actors are not affected. The failed requests
//     stay queued, so that their late replies are consumed in their place: once all have come,
//     the actor is trusted again (rdp_stats::recovered_actors). If they never come, the caller can
//     get a fresh actor for the same thing (most are handed out by a form: getWatcher,
//     getTarget, the watcher's target forms after a reload) or reconnect;
//   - a cancelled request stays in its actor's queue, marked abandoned, so that its reply, when it
//     comes, is discarded instead of being paired with the next request;
//   - a bulk packet (heap snapshots, profiles) is not read: the request it answers fails with
//     errc::unsupported;
//   - a dropped connection fails every pending request at once with errc::disconnected, or with
//     errc::browser_exited when the launcher knows the browser died.
//
// Events are delivered to subscriptions by actor (exact id or id prefix) and type, each with its
// own bounded queue. With the default `block` policy nothing is lost: a full queue stops the
// connection reading from Firefox (TCP then slows Firefox down), and later packets, replies too,
// wait behind the event, so a subscriber must keep reading or pick a lossy policy.
//
// @par Thread Safety
// rdp_connection is a handle: copies may be used from any threads at once. The connection closes
// when the last copy is destroyed.
#pragma once

#include <janus/protocol/json_value.hpp>
#include <janus/protocol/rdp_codec.hpp>
#include <janus/protocol/rdp_event_registry.hpp>
#include <janus/protocol/transport.hpp>
#include <janus/rt/cancellation.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/stream.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace janus::session {

/// @par Thread Safety
/// A plain value.
struct rdp_connection_options {
  protocol::transport_limits limits;
  /// TCP connect plus the server's greeting must arrive within this.
  std::chrono::milliseconds connect_timeout{10000};
  /// A request's deadline when the call does not give one.
  std::chrono::milliseconds default_timeout{30000};
  /// How long close() waits for queued requests to be written.
  std::chrono::milliseconds close_timeout{2000};
  /// Which packets are events; null: rdp_event_registry::firefox(). Must outlive the connection.
  const protocol::rdp_event_registry* registry = nullptr;
  /// Used in error messages.
  std::string name = "rdp";
};

/// Per-request settings.
///
/// @par Thread Safety
/// A plain value.
struct rdp_request_options {
  /// Unset: the connection's default_timeout.
  std::optional<rt::deadline> deadline;
  rt::cancel_token cancel;
};

/// One event packet, shared between the subscribers that receive it.
///
/// @par Thread Safety
/// Immutable; copies may be used from any threads.
class rdp_event {
 public:
  rdp_event() = default;
  explicit rdp_event(std::shared_ptr<const protocol::rdp_owned_message> m) : msg_(std::move(m)) {}

  std::string_view from() const noexcept { return msg_ ? msg_->from() : std::string_view{}; }
  std::string_view type() const noexcept { return msg_ ? msg_->type() : std::string_view{}; }
  /// The whole packet.
  std::string_view json() const noexcept { return msg_ ? msg_->json() : std::string_view{}; }
  const protocol::rdp_owned_message& message() const noexcept { return *msg_; }
  rt::result<protocol::json_value> parse() const { return protocol::json_value::parse(json()); }
  explicit operator bool() const noexcept { return msg_ != nullptr; }

 private:
  std::shared_ptr<const protocol::rdp_owned_message> msg_;
};

/// Which events a subscription receives and how its queue behaves.
///
/// @par Thread Safety
/// A plain value.
struct rdp_subscription_spec {
  /// An actor id, or an id prefix when `actor_is_prefix`; empty: every actor.
  std::string actor;
  bool actor_is_prefix = false;
  /// An event type ("target-available-form"); empty or "*": every type.
  std::string type;
  std::size_t capacity = 1024;
  rt::overflow policy = rt::overflow::block;
};

/// Counters of one connection; a snapshot.
///
/// @par Thread Safety
/// A plain value.
struct rdp_stats {
  std::uint64_t packets_in = 0;
  std::uint64_t replies = 0;        // replies paired with a request (errors included)
  std::uint64_t error_replies = 0;
  std::uint64_t events = 0;
  std::uint64_t unmatched = 0;      // non-event packets no pending request was waiting for
  std::uint64_t discarded = 0;      // replies to cancelled requests, dropped as planned
  std::uint64_t forwarding_cancelled = 0;
  std::uint64_t poisoned_actors = 0;
  std::uint64_t bulk_packets = 0;   // not supported: the request they answer fails (unsupported)
  std::uint64_t read_pauses = 0;    // times a full `block` subscription stopped reading
  std::uint64_t undeclared_events = 0;  // typed packets their actor does not declare: delivered as events
  std::uint64_t recovered_actors = 0;   // poisoned actors trusted again once their late replies came
  std::size_t pending = 0;
  /// Actors the connection holds state for (requests waiting, a type set by set_actor_type):
  /// an actor's queue goes when nothing waits in it, its type when it is torn down.
  std::size_t tracked_actors = 0;
};

namespace detail {
class rdp_core;
}

/// See the top of this file.
///
/// @par Thread Safety
/// A handle: copies may be used from any threads at once; the connection closes with the last.
class rdp_connection {
 public:
  /// Connects to a debugger server (`--start-debugger-server PORT`) and reads its greeting. Fails
  /// with errc::transport (refused), errc::timeout (no connection or no greeting within
  /// connect_timeout), errc::protocol (the first packet is no root greeting) or errc::disconnected.
  static rt::task<rt::result<rdp_connection>> connect(rt::scheduler& sched, std::string host, std::uint16_t port,
                                                      rdp_connection_options options);
  static rt::task<rt::result<rdp_connection>> connect(rt::scheduler& sched, std::string host, std::uint16_t port);
  /// connect() to a debugger server on a Unix domain socket (`--start-debugger-server
  /// /path/to/socket`, as launch_firefox starts it): only who may enter the socket's directory
  /// can connect. Also errc::invalid_argument when the path does not fit a socket address.
  static rt::task<rt::result<rdp_connection>> connect_unix(rt::scheduler& sched, std::string path,
                                                           rdp_connection_options options);
  static rt::task<rt::result<rdp_connection>> connect_unix(rt::scheduler& sched, std::string path);

  rdp_connection() = default;

  /// Sends `{"to":actor,"type":type,…params}` and waits for its reply. `params_json` is a JSON
  /// object (or empty) whose members are added to the packet. Fails with errc::protocol (an error
  /// reply: "<error name>: <message>"), errc::timeout (its deadline, or its actor was poisoned by
  /// an earlier timeout), errc::cancelled, errc::target_closed (forwardingCancelled),
  /// errc::disconnected / errc::browser_exited, errc::invalid_argument (params not an object).
  rt::task<rt::result<protocol::rdp_owned_message>> request(std::string actor, std::string type,
                                                            std::string params_json, rdp_request_options options) const;
  rt::task<rt::result<protocol::rdp_owned_message>> request(std::string actor, std::string type,
                                                            std::string params_json) const;
  rt::task<rt::result<protocol::rdp_owned_message>> request(std::string actor, std::string type) const;
  /// request() with the params as a JSON object and the reply parsed.
  rt::task<rt::result<protocol::json_value>> request_json(std::string actor, std::string type,
                                                          protocol::json_value params, rdp_request_options options) const;
  rt::task<rt::result<protocol::json_value>> request_json(std::string actor, std::string type,
                                                          protocol::json_value params) const;
  rt::task<rt::result<protocol::json_value>> request_json(std::string actor, std::string type) const;

  /// Subscribes to events; registered when this returns, so events read after it are not missed.
  /// Fails with errc::disconnected (errc::browser_exited when Firefox died) once the connection
  /// has ended. When it ends later, the subscription yields what is queued, then errc::cancelled,
  /// or errc::browser_exited with the cause when Firefox died.
  rt::result<rt::subscription<rdp_event>> subscribe(rdp_subscription_spec spec) const;

  /// Declares the spec type of an actor whose id does not name it (its stem is used otherwise,
  /// see protocol::rdp_actor_type_from_id), so that its events are recognized.
  void set_actor_type(std::string actor_id, std::string type_name) const;

  /// The server's first packet (`{"from":"root","applicationType":"browser",…}`).
  const protocol::rdp_owned_message& greeting() const;
  /// Whether requests to `actor` are refused since one of them timed out (until the late replies
  /// of its timed-out requests have all come; see the top of this file).
  bool poisoned(std::string_view actor) const;

  /// Closes the connection: pending requests fail with errc::disconnected.
  void close() const;
  bool connected() const;
  rdp_stats stats() const;
  explicit operator bool() const noexcept { return core_ != nullptr; }

  // For whoever owns the Firefox process (the launcher in client/, or a user who started it):
  /// Asked when the transport ends on its own: true when the browser process has exited.
  void set_exit_probe(std::function<bool()> probe) const;
  /// Fails the connection with `code` (held weakly: it does not keep the connection open).
  std::function<void(std::string why, rt::errc code)> failer() const;

 private:
  explicit rdp_connection(std::shared_ptr<detail::rdp_core> core);
  // The public calls are plain functions and overloads rather than defaulted parameters: GCC 12
  // miscompiles a defaulted class-type argument (with a std::string inside) of a call made in a
  // coroutine, leaving the callee's copy pointing at the caller frame's SSO buffer.
  /// `unix_path` set: a Unix domain socket, host and port unused.
  static rt::task<rt::result<rdp_connection>> connect_core(std::shared_ptr<detail::rdp_core> core, std::string host,
                                                           std::uint16_t port, std::string unix_path);

  struct owner;  // closes the core when the last handle goes
  std::shared_ptr<owner> owner_;
  std::shared_ptr<detail::rdp_core> core_;
};

}  // namespace janus::session
