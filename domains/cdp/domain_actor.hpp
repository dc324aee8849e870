// The skeleton every CDP domain actor shares, written once: its `enable` message and handler
// (enable_once claim → subscribe the event pump → send the domain's X.enable commands → finish,
// or wait for the caller already at it), and the pump and enable messages.
//
//   class network_actor : public detail::domain_actor<network_actor> {
//    public:
//     using domain_actor::handle;                          // handle(enable) comes from here
//     using message = std::variant<pump, enable, ...>;
//     rt::task<void> handle(pump p);                       // reads the events (if it has any)
//     rt::task<rt::result<void>> send_enable(rt::deadline until);  // the domain's commands
//   };
//
// A derived actor with no `handle(pump)` has no event subscription (Performance): enabling is
// only its commands.
#pragma once

#include "domain_support.hpp"

#include <janus/rt/actor.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace janus::domains::detail {

/// One command of a domain's enabling.
struct enable_command {
  std::string_view method;
  std::string_view params;
};

/// The events that feed an actor's pump: a subscription pattern ("Network.*", "*"), an optional
/// filter, and the subscription's queue.
struct event_feed {
  std::string_view pattern;
  bool (*filter)(const session::cdp_event&) = nullptr;
  std::size_t queue = 1024;
};

/// @par Thread Safety
/// An actor's base: used only from the actor's handlers.
template <class D>
class domain_actor : public rt::actor<D> {
 public:
  /// Hands the actor its event subscription (start_pump); the actor reads it for its lifetime.
  struct pump {
    rt::subscription<session::cdp_event> sub;
  };
  /// Enables the domain (a no-op once it is); every reader asks it first.
  struct enable {
    rt::deadline until;
  };

  rt::task<rt::result<void>> handle(enable e) { return enable_domain(e.until); }

 protected:
  domain_actor(rt::scheduler& sched, session::cdp_session session, event_feed feed,
               std::chrono::milliseconds command_timeout)
      : session_(std::move(session)), enabled_(sched), feed_(feed), command_timeout_(command_timeout) {}

  /// Enables once however many callers race: the first claims and enables, the others wait for
  /// its outcome, and a failed attempt lets the next caller try again. The pump is subscribed
  /// before the first command, so the events the enable replays are seen; it is subscribed once.
  rt::task<rt::result<void>> enable_domain(rt::deadline until) {
    if (enabled_.done()) co_return rt::ok;
    if (!enabled_.claim()) co_return co_await enabled_.wait(until);
    if constexpr (requires(D& d, pump p) { d.handle(std::move(p)); }) {
      if (!pump_started_) {
        std::string pattern(feed_.pattern);
        rt::result<void> started =
            co_await start_pump(session_, this->self(), std::move(pattern), feed_.queue, feed_.filter);
        if (!started) {
          enabled_.finish(started);
          co_return started;
        }
        pump_started_ = true;
      }
    }
    rt::result<void> outcome = co_await static_cast<D*>(this)->send_enable(until);
    enabled_.finish(outcome);
    co_return outcome;
  }

  /// Sends `commands` in order, each bounded by the caller's deadline and the command timeout;
  /// the first failure ends it.
  rt::task<rt::result<void>> send_all(std::span<const enable_command> commands, rt::deadline until) {
    for (const enable_command& c : commands) {
      session::call_options co{.deadline = command_deadline(until), .cancel = {}};
      auto reply = co_await session_.call(c.method, c.params, std::move(co));
      if (!reply) co_return std::move(reply).err();
    }
    co_return rt::ok;
  }

  /// The earlier of the caller's deadline and now + the command timeout.
  rt::deadline command_deadline(rt::deadline until) const { return sooner(until, command_timeout_); }

  session::cdp_session session_;
  enable_once enabled_;

 private:
  event_feed feed_;
  std::chrono::milliseconds command_timeout_;
  bool pump_started_ = false;
};

/// The base of a domain's CDP backend (cdp_network_backend...): the actor it asks and the
/// session it sends commands on. The actor stops with the backend (that is, with the last handle)
/// or at stop().
///
/// @par Thread Safety
/// Immutable after construction: the backend's calls may run from any thread at once, and the
/// tasks they return hold copies of the ref and session, so they may outlive the backend.
template <class Backend, class Actor>
class cdp_backend : public Backend {
 public:
  cdp_backend(rt::actor_ref<Actor> ref, session::cdp_session session)
      : Backend("Chromium"), ref_(std::move(ref)), session_(std::move(session)) {}
  ~cdp_backend() override {
    if (ref_) ref_.stop();
  }
  void stop() override {
    if (ref_) ref_.stop();
  }

 protected:
  rt::actor_ref<Actor> ref_;
  session::cdp_session session_;
};

/// Spawns `Actor` for one page session, named `name`, and wraps it in its CDP backend.
template <class Backend, class Actor, class... Args>
std::shared_ptr<Backend> spawn_backend(rt::scheduler& sched, const char* name, session::cdp_session session,
                                       Args&&... args) {
  rt::spawn_options so;
  so.name = name;
  auto ref = rt::spawn<Actor>(sched, std::move(so), &sched, session, std::forward<Args>(args)...);
  return std::make_shared<Backend>(std::move(ref), std::move(session));
}

}  // namespace janus::domains::detail
