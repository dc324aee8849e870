// The CDP side of `interceptor` (fetch.hpp): the actor answering Fetch.requestPaused with the
// handler's decisions, and the backend a handle made by start() forwards to.
#pragma once

#include "domain_actor.hpp"

#include <janus/domains/fetch.hpp>

#include <variant>

namespace janus::domains {

class interceptor_actor : public detail::domain_actor<interceptor_actor> {
 public:
  using domain_actor::handle;
  struct disable {
    rt::deadline until;
  };
  struct answered {
    decision::kind what;
    bool ok;
  };
  struct get_stats {};
  using message = std::variant<pump, enable, disable, answered, get_stats>;
  static constexpr std::size_t mailbox_capacity = 1024;

  interceptor_actor(rt::scheduler* sched, session::cdp_session session, intercept_options options,
                    intercept_handler handler);

  rt::task<void> handle(pump p);
  rt::task<rt::result<void>> handle(disable d);
  void handle(answered a);
  intercept_stats handle(get_stats) const;
  void on_stop();

  /// Fetch.enable with the patterns (domain_actor's enable, once the pump is subscribed).
  rt::task<rt::result<void>> send_enable(rt::deadline until);

 private:
  intercept_options options_;
  intercept_handler handler_;
  intercept_stats stats_;
  const rt::subscription<session::cdp_event>* sub_ = nullptr;
  bool active_ = false;  // Fetch is enabled in the browser
};

/// `interceptor` over CDP: each call an ask of the actor.
class cdp_interceptor_backend final : public detail::cdp_backend<interceptor_backend, interceptor_actor> {
 public:
  using cdp_backend::cdp_backend;
  rt::task<rt::result<void>> enable(rt::deadline d) override;
  rt::task<rt::result<void>> disable(rt::deadline d) override;
  rt::task<rt::result<intercept_stats>> stats(rt::deadline d) override;
};

}  // namespace janus::domains
