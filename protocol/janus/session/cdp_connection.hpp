// A CDP connection: open it over a WebSocket URL or Chromium's pipe, then talk to the browser
// through its sessions.
//
//   auto conn = co_await cdp_connection::connect(sched, "ws://127.0.0.1:9222/devtools/browser/…");
//   auto version = co_await conn->browser().send(cdp::browser::get_version{});
//
// The connection actor owns the connection's lifecycle. When the transport ends, every pending
// request fails at once (errc::disconnected, error::sent telling whether it had been written) and
// the actor fails; what happens next is its supervisor's policy, declared where the connection is
// opened. With `directive::restart`, a connection made from a URL reconnects after the policy's
// exponential backoff (initial_backoff, factor, max_backoff) and gives up after max_restarts
// within the window. Requests that were pending at the drop are never re-sent, and calls made
// while it is reconnecting fail at once with errc::disconnected (not sent). Unsupervised, or
// opened over a pipe (which cannot be reopened), a dropped connection stays down. Subscriptions
// live in the event dispatcher, which outlives reconnects: they keep receiving events afterwards.
//
// @par Thread Safety
// cdp_connection is a handle: copies may be used from any threads at once. The connection closes
// when the last copy is destroyed (sessions alone do not keep it open).
#pragma once

#include <janus/session/cdp_session.hpp>
#include <janus/session/connection_core.hpp>
#include <janus/rt/actor.hpp>
#include <janus/rt/supervisor.hpp>

#include <functional>
#include <memory>
#include <string>
#include <variant>

namespace janus::session {

/// Lifecycle of one connection. Its handlers run one at a time; the data path does not go through
/// its mailbox (see connection_core.hpp).
class connection_actor : public rt::actor<connection_actor> {
 public:
  struct transport_closed {
    rt::error why;
  };
  struct connect_failed {
    rt::error why;
  };
  struct close_request {};
  using message = std::variant<transport_closed, connect_failed, close_request>;
  static constexpr std::size_t mailbox_capacity = 16;

  connection_actor(std::shared_ptr<connection_core> core, std::string url);

  /// After a restart: reconnect (the first connection is opened before the actor starts).
  rt::task<void> on_start();
  /// The transport ended: a failure (the supervisor decides), unless this side closed it.
  rt::result<void> handle(transport_closed m);
  rt::result<void> handle(connect_failed m);
  void handle(close_request);

 private:
  std::shared_ptr<connection_core> core_;
  std::string url_;
};

struct connect_policy {
  /// Supervises the connection actor; null: a dropped connection stays down.
  rt::supervisor* supervisor = nullptr;
  rt::child_policy policy{};
};

class cdp_connection {
 public:
  /// Opens a WebSocket connection (ws://host:port/devtools/browser/<id>). Fails with the
  /// transport's error: errc::transport (refused, handshake), errc::timeout, errc::invalid_argument.
  static rt::task<rt::result<cdp_connection>> connect(rt::scheduler& sched, std::string url, connection_options options, connect_policy policy);
  static rt::task<rt::result<cdp_connection>> connect(rt::scheduler& sched, std::string url) { return connect(sched, std::move(url), connection_options{}, connect_policy{}); }
  static rt::task<rt::result<cdp_connection>> connect(rt::scheduler& sched, std::string url, connection_options options) { return connect(sched, std::move(url), std::move(options), connect_policy{}); }
  /// Uses Chromium's --remote-debugging-pipe descriptors: `read_fd` is the browser's fd 4,
  /// `write_fd` its fd 3. Takes ownership of both.
  static rt::result<cdp_connection> open_pipe(rt::scheduler& sched, int read_fd, int write_fd,
                                              connection_options options = {}, connect_policy policy = {});

  cdp_connection() = default;

  /// The browser-level session.
  cdp_session browser() const { return cdp_session(state_->core, {}); }
  /// A flattened target session (its id from Target.attachToTarget / attachedToTarget).
  cdp_session session(std::string session_id) const { return cdp_session(state_->core, std::move(session_id)); }

  /// Subscribes with a full spec: any session, or several sessions through a filter.
  rt::task<rt::result<rt::subscription<cdp_event>>> subscribe(subscription_spec spec, std::chrono::milliseconds timeout) const;
  rt::task<rt::result<rt::subscription<cdp_event>>> subscribe(subscription_spec spec) const { return subscribe(std::move(spec), std::chrono::seconds(5)); }
  /// Keep the last `count` events of `method` for subscribers made later with replay_last.
  rt::result<void> retain(std::string method, std::size_t count) const;

  /// Closes the connection: pending requests fail with errc::disconnected; no reconnect follows.
  void close() const;
  bool connected() const { return state_->core->connected(); }
  connection_stats stats() const { return state_->core->stats(); }
  const dispatcher_ref& dispatcher() const { return state_->core->dispatcher(); }
  const rt::actor_ref<connection_actor>& actor() const { return state_->actor; }
  explicit operator bool() const noexcept { return state_ != nullptr; }

  // For whoever owns the browser process (the launchers in client/, or a user who started it):
  /// Asked when the transport ends on its own: true when the browser process has exited, and the
  /// connection's waits then fail with errc::browser_exited rather than errc::disconnected.
  void set_exit_probe(std::function<bool()> probe) const;
  /// Fails the connection with `code` (held weakly: it does not keep the connection open).
  std::function<void(std::string why, rt::errc code)> failer() const;

 private:
  struct state {
    std::shared_ptr<connection_core> core;
    rt::actor_ref<connection_actor> actor;
    ~state();
  };
  static cdp_connection adopt(std::shared_ptr<connection_core> core, std::string url, const connect_policy& policy);

  std::shared_ptr<state> state_;
};

}  // namespace janus::session
