// The CDP side of `debugger` (debugger.hpp): the actor keeping scripts and the pause state from
// Debugger events, and the backend a handle made by start() forwards to.
#pragma once

#include "domain_actor.hpp"

#include <janus/domains/debugger.hpp>
#include <janus/rt/stream.hpp>

#include <map>
#include <optional>
#include <vector>
#include <variant>

namespace janus::domains {

class debugger_actor : public detail::domain_actor<debugger_actor> {
 public:
  using domain_actor::handle;
  struct get_scripts {};
  struct get_stats {};
  struct get_pause {};
  struct wait_paused {
    rt::deadline until;
  };
  using message = std::variant<pump, enable, get_scripts, get_stats, get_pause, wait_paused>;
  static constexpr std::size_t mailbox_capacity = 256;

  debugger_actor(rt::scheduler* sched, session::cdp_session session, debugger_options options);

  rt::task<void> handle(pump p);
  std::vector<script_info> handle(get_scripts) const;
  debugger_stats handle(get_stats) const;
  std::optional<pause_info> handle(get_pause) const;
  rt::task<rt::result<pause_info>> handle(wait_paused w);

  /// The domain's enable commands (domain_actor's enable, once the pump is subscribed).
  rt::task<rt::result<void>> send_enable(rt::deadline until);

 private:
  void add_script(script_info s);

  debugger_options options_;
  std::map<std::string, script_info> scripts_;
  std::vector<std::string> order_;  // script ids, oldest first, for eviction
  std::size_t order_head_ = 0;
  std::optional<pause_info> paused_;
  debugger_stats stats_;
  const rt::subscription<session::cdp_event>* sub_ = nullptr;
  rt::stream<int> pause_changed_;  // wakes wait_paused
};

/// `debugger` over CDP: each call an ask of the actor or a command on the session.
class cdp_debugger_backend final : public detail::cdp_backend<debugger_backend, debugger_actor> {
 public:
  using cdp_backend::cdp_backend;
  rt::task<rt::result<std::vector<script_info>>> scripts(rt::deadline d) override;
  rt::task<rt::result<debugger_stats>> stats(rt::deadline d) override;
  rt::task<rt::result<std::optional<pause_info>>> pause_state(rt::deadline d) override;
  rt::task<rt::result<pause_info>> wait_paused(rt::deadline d) override;
  rt::task<rt::result<std::string>> source(std::string script_id, rt::deadline d) override;
  rt::task<rt::result<breakpoint>> set_breakpoint(breakpoint_spec spec, rt::deadline d) override;
  rt::task<rt::result<void>> remove_breakpoint(std::string id, rt::deadline d) override;
  rt::task<rt::result<void>> step_over(rt::deadline d) override;
  rt::task<rt::result<void>> step_into(rt::deadline d) override;
  rt::task<rt::result<void>> step_out(rt::deadline d) override;
  rt::task<rt::result<void>> enable(rt::deadline d) override;
  rt::task<rt::result<void>> pause(rt::deadline d) override;
  rt::task<rt::result<void>> resume(rt::deadline d) override;
};

}  // namespace janus::domains
