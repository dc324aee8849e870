// A CDP session: the browser-level connection itself, or one flattened target session on it
// (Target.attachToTarget with flatten: true). Commands sent through a session carry its sessionId,
// and its subscriptions see only its events.
//
//   cdp_session page = conn.session(session_id);
//   auto nav = co_await page.send(cdp::page::navigate{.url = url});          // typed
//   auto raw = co_await page.call("Page.reload", R"({"ignoreCache":true})");  // raw JSON
//   auto loads = co_await page.on<cdp::page::load_event_fired>();             // typed events
//
// Arm-then-act: send_and_wait subscribes to an event before sending the command that causes it,
// so the event cannot slip past between the reply and the subscription.
//
// @par Thread Safety
// A handle: copies may be used from any threads at once.
#pragma once

#include <janus/session/command.hpp>
#include <janus/session/connection_core.hpp>
#include <janus/session/event_dispatcher.hpp>
#include <janus/protocol/cdp/common.hpp>
#include <janus/protocol/json_writer.hpp>
#include <janus/rt/stream.hpp>
#include <janus/rt/task.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace janus::session {

/// Typed events of one kind, decoded as they are taken.
///
/// @par Thread Safety
/// Like rt::subscription: one consumer at a time.
template <cdp::event E>
class typed_subscription {
 public:
  typed_subscription() = default;
  explicit typed_subscription(rt::subscription<cdp_event> raw) : raw_(std::move(raw)) {}

  /// The next event, decoded; errc::parse if it does not match the schema, errc::timeout at the
  /// deadline, errc::cancelled once the connection is gone (errc::browser_exited when the browser
  /// died: see event_dispatcher.hpp).
  rt::task<rt::result<E>> next() { return next(rt::deadline::never()); }
  rt::task<rt::result<E>> next(rt::deadline d) {
    rt::result<cdp_event> ev = co_await raw_.next(d);
    if (!ev) co_return std::move(ev).err();
    E out{};
    if (auto decoded = cdp::decode_event(ev->params(), out); !decoded) co_return std::move(decoded).err();
    co_return out;
  }
  /// Events this subscriber lost to its overflow policy.
  std::uint64_t dropped() const noexcept { return raw_.dropped(); }
  rt::subscription<cdp_event>& raw() noexcept { return raw_; }

 private:
  rt::subscription<cdp_event> raw_;
};

/// How a subscription's queue behaves (the method and session come from the call).
struct event_options {
  std::size_t capacity = 1024;
  rt::overflow policy = rt::overflow::block;
  std::size_t replay_last = 0;
  std::function<bool(const cdp_event&)> filter;
  /// How long registering may take (the dispatcher answers at once unless it is flooded).
  std::chrono::milliseconds timeout{5000};
};

class cdp_session {
 public:
  cdp_session() = default;
  cdp_session(std::shared_ptr<connection_core> core, std::string session_id)
      : core_(std::move(core)), id_(std::move(session_id)) {}

  /// The flattened session id; empty for the browser-level session.
  const std::string& id() const noexcept { return id_; }
  explicit operator bool() const noexcept { return core_ != nullptr; }

  /// Sends `method` with raw JSON params (an object's text, or empty for none); the reply's
  /// `result` arrives as raw JSON in cdp_owned_message::payload().
  call_awaiter call(std::string_view method, std::string_view params_json = {}, call_options options = {}) const {
    return call_awaiter(core_, method, params_json, id_, std::move(options));
  }

  /// Sends a typed command and decodes its typed result.
  template <cdp::command C>
  rt::task<rt::result<typename C::result_type>> send(const C& command) const {
    return send(command, call_options{});
  }
  template <cdp::command C>
  rt::task<rt::result<typename C::result_type>> send(const C& command, call_options options) const {
    protocol::json_writer w;
    cdp::encode_params(w, command);
    if (!w.ok())
      co_return rt::error{rt::errc::invalid_argument,
                          std::string(C::method) + ": parameters cannot be encoded: " + std::string(w.error_message())};
    std::string params = w.take();
    rt::result<protocol::cdp_owned_message> reply = co_await call(C::method, params, std::move(options));
    if (!reply) co_return std::move(reply).err();
    typename C::result_type out{};
    if (auto decoded = cdp::decode_result(reply->payload(), out); !decoded) {
      rt::error e = std::move(decoded).err();
      e.message = std::string(C::method) + " reply: " + e.message;
      co_return e;
    }
    co_return out;
  }

  /// Subscribes to raw events of this session. `method` is "Domain.event", "Domain.*" or "*".
  rt::task<rt::result<rt::subscription<cdp_event>>> subscribe(std::string method) const {
    return subscribe(std::move(method), event_options{});
  }
  rt::task<rt::result<rt::subscription<cdp_event>>> subscribe(std::string method, event_options options) const {
    subscription_spec spec;
    spec.method = std::move(method);
    spec.session_id = id_;
    spec.capacity = options.capacity;
    spec.policy = options.policy;
    spec.replay_last = options.replay_last;
    spec.filter = std::move(options.filter);
    if (!core_) co_return rt::error{rt::errc::invalid_argument, "subscribe: the session is empty (no CDP connection)"};
    event_dispatcher::subscribe msg{std::move(spec)};
    co_return co_await core_->dispatcher().ask(std::move(msg), rt::deadline(options.timeout));
  }

  /// Subscribes to typed events of this session.
  template <cdp::event E>
  rt::task<rt::result<typed_subscription<E>>> on() const {
    return on<E>(event_options{});
  }
  template <cdp::event E>
  rt::task<rt::result<typed_subscription<E>>> on(event_options options) const {
    rt::result<rt::subscription<cdp_event>> raw = co_await subscribe(std::string(E::method), std::move(options));
    if (!raw) co_return std::move(raw).err();
    co_return typed_subscription<E>(std::move(*raw));
  }

  /// Arm-then-act: subscribes to E, sends `command`, and returns the first E (that passes
  /// `options.filter`) together with the command's result. Fails with the command's error, or
  /// with errc::timeout when no such event arrives before `wait_deadline`.
  template <cdp::event E, cdp::command C>
  rt::task<rt::result<std::pair<typename C::result_type, E>>> send_and_wait(const C& command,
                                                                              rt::deadline wait_deadline) const {
    return send_and_wait<E>(command, wait_deadline, event_options{});
  }
  template <cdp::event E, cdp::command C>
  rt::task<rt::result<std::pair<typename C::result_type, E>>> send_and_wait(const C& command, rt::deadline wait_deadline,
                                                                              event_options options) const {
    rt::result<typed_subscription<E>> sub = co_await on<E>(std::move(options));
    if (!sub) co_return std::move(sub).err();
    call_options call_opts{.deadline = wait_deadline, .cancel = {}};
    rt::result<typename C::result_type> sent = co_await send(command, std::move(call_opts));
    if (!sent) co_return std::move(sent).err();
    rt::result<E> ev = co_await sub->next(wait_deadline);
    if (!ev) {
      rt::error e = std::move(ev).err();
      e.message = std::string(E::method) + " after " + std::string(C::method) + ": " + e.message;
      co_return e;
    }
    co_return std::pair<typename C::result_type, E>(std::move(*sent), std::move(*ev));
  }

  const std::shared_ptr<connection_core>& core() const noexcept { return core_; }

 private:
  std::shared_ptr<connection_core> core_;
  std::string id_;
};

}  // namespace janus::session
