// Pieces every CDP domain actor shares: enabling a domain once however many callers race to use
// it, and reading an event's params. Private to domains/ (not installed): the public headers keep
// the handles, their values and the backend interfaces.
#pragma once

#include <janus/session/cdp_event.hpp>
#include <janus/session/cdp_session.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt/actor.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/stream.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace janus::domains::detail {

/// Enabling a domain is a command round trip during which other callers of the same actor may
/// arrive (actors are reentrant at suspension points): they must wait for the one enabling rather
/// than enable twice, and a failed attempt must let the next caller try again.
///
/// @par Thread Safety
/// Owned by one actor and used only from its handlers.
class enable_once {
 public:
  explicit enable_once(rt::scheduler& s) : signal_(s) {}

  bool done() const noexcept { return state_ == state::done; }

  /// True when the caller must now enable (and then call finish); false when it is already done
  /// or someone else is at it (then wait()).
  bool claim() noexcept {
    if (state_ != state::idle) return false;
    state_ = state::running;
    return true;
  }

  void finish(const rt::result<void>& r) {
    if (r) {
      state_ = state::done;
    } else {
      state_ = state::idle;
      last_ = r.err();
    }
    (void)signal_.try_publish(0);
  }

  /// After the domain was disabled: the next user enables it again.
  void reset() noexcept {
    if (state_ == state::done) state_ = state::idle;
  }

  /// Waits for a running attempt to end: ok once enabled, its error if it failed.
  rt::task<rt::result<void>> wait(rt::deadline d) {
    // Subscribing before looking at the state: finish() cannot slip in between, as both run in
    // the owning actor, but the order keeps that true even if it ever did not.
    rt::subscription<int> sub = signal_.subscribe(4, rt::overflow::drop_oldest);
    while (state_ == state::running) {
      rt::result<int> r = co_await sub.next(d);
      if (!r) co_return std::move(r).err();
    }
    if (state_ == state::done) co_return rt::ok;
    co_return last_;
  }

 private:
  enum class state : std::uint8_t { idle, running, done };
  state state_ = state::idle;
  rt::error last_{rt::errc::cancelled, "enabling did not finish"};
  rt::stream<int> signal_;
};

/// Subscribes to the session's `method` events that pass `filter` (lossless: `block`, so a slow
/// actor slows the browser rather than losing events) and hands the subscription to the actor's
/// own `pump` handler, which then reads it for the actor's lifetime. Called by an actor's enable
/// handler before it sends its `X.enable`, so nothing the enable replays slips past.
template <class Actor>
rt::task<rt::result<void>> start_pump(session::cdp_session session, rt::actor_ref<Actor> me, std::string method,
                                      std::size_t queue, bool (*filter)(const session::cdp_event&)) {
  session::event_options eo;
  eo.capacity = queue;
  eo.policy = rt::overflow::block;
  eo.filter = filter;
  rt::result<rt::subscription<session::cdp_event>> sub = co_await session.subscribe(std::move(method), std::move(eo));
  if (!sub) co_return std::move(sub).err();
  typename Actor::pump p{std::move(*sub)};
  co_return co_await me.tell(std::move(p));
}

/// Asks the actor to enable its domain (a no-op once it is).
template <class Actor>
rt::task<rt::result<void>> ask_enable(rt::actor_ref<Actor> ref, rt::deadline d) {
  typename Actor::enable en{d};
  co_return co_await ref.ask(std::move(en), d);
}

/// Enables the actor's domain, then asks `m`: what every reader of a domain cache does, so that a
/// first read sees the state the enable brought in.
template <class Actor, class M>
rt::task<rt::ask_result_t<Actor, M>> enable_then_ask(rt::actor_ref<Actor> ref, M m, rt::deadline d) {
  typename Actor::enable en{d};
  rt::result<void> on = co_await ref.ask(std::move(en), d);
  if (!on) co_return std::move(on).err();
  co_return co_await ref.ask(std::move(m), d);
}

/// The params of an event as a dynamic value; a malformed payload is a parse error the caller
/// counts (it never stops the actor).
inline rt::result<protocol::json_value> params_of(const session::cdp_event& ev) {
  return protocol::json_value::parse(ev.params());
}

/// The earlier of a caller's deadline and now + a command timeout: a domain's own commands never
/// outlive the caller that caused them, nor take longer than the domain allows.
inline rt::deadline sooner(rt::deadline a, std::chrono::milliseconds b) {
  const rt::deadline db(b);
  return a.at() < db.at() ? a : db;
}

inline std::string str_of(const protocol::json_value& v) {
  const std::string* s = v.get_string();
  return s ? *s : std::string();
}
inline double num_of(const protocol::json_value& v, double dflt = 0) { return v.get_double().value_or(dflt); }
inline std::int64_t int_of(const protocol::json_value& v, std::int64_t dflt = 0) { return v.get_int().value_or(dflt); }
inline bool bool_of(const protocol::json_value& v, bool dflt = false) { return v.get_bool().value_or(dflt); }

/// A JS exception as people read it, from Runtime.ExceptionDetails: the message line ("Uncaught
/// Error: boom") and the stack ("    at f (http://…/app.js:3:9)" lines, 1-based as DevTools
/// shows them), from the exception's description when V8 put it there, else from stackTrace.
struct exception_text {
  std::string message;
  std::string stack;
};
exception_text describe_exception(const protocol::json_value& details);

/// How DevTools would print one console argument (a Runtime.RemoteObject).
std::string remote_object_text(const protocol::json_value& obj);

}  // namespace janus::domains::detail
