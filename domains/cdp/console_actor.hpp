// The CDP side of `console` (console.hpp): the actor keeping the console buffer from Runtime
// and Log events, and the backend a handle made by start() forwards to.
#pragma once

#include "domain_actor.hpp"

#include <janus/domains/console.hpp>
#include <janus/rt/stream.hpp>

#include <deque>
#include <optional>
#include <variant>

namespace janus::domains {

class console_actor : public detail::domain_actor<console_actor> {
 public:
  using domain_actor::handle;
  struct get_entries {};
  struct get_stats {};
  struct clear {};
  struct subscribe_live {
    std::size_t capacity;
    rt::overflow policy;
  };
  using message = std::variant<pump, enable, get_entries, get_stats, clear, subscribe_live>;
  static constexpr std::size_t mailbox_capacity = 256;

  console_actor(rt::scheduler* sched, session::cdp_session session, console_options options);

  rt::task<void> handle(pump p);
  std::vector<console_entry> handle(get_entries) const;
  console_stats handle(get_stats) const;
  void handle(clear);
  rt::subscription<console_entry> handle(subscribe_live s);

  /// The domain's enable commands (domain_actor's enable, once the pump is subscribed).
  rt::task<rt::result<void>> send_enable(rt::deadline until);

 private:
  console_options options_;
  std::deque<console_entry> buffer_;
  console_stats stats_;
  const rt::subscription<session::cdp_event>* sub_ = nullptr;
  /// Why the pump ended, when its browser died (errc::browser_exited): waits fail with it.
  std::optional<rt::error> pump_error_;
  rt::stream<console_entry> live_;
};

/// `console` over CDP: each call an ask of the actor or a command on the session.
class cdp_console_backend final : public detail::cdp_backend<console_backend, console_actor> {
 public:
  using cdp_backend::cdp_backend;
  rt::task<rt::result<std::vector<console_entry>>> entries(rt::deadline d) override;
  rt::task<rt::result<console_stats>> stats(rt::deadline d) override;
  rt::task<rt::result<void>> clear(rt::deadline d) override;
  rt::task<rt::result<rt::subscription<console_entry>>> subscribe(std::size_t capacity, rt::overflow policy, rt::deadline d) override;
  rt::task<rt::result<void>> enable(rt::deadline d) override;
};

}  // namespace janus::domains
