// The CDP side of `performance` (performance.hpp): the actor reading the page's metrics, and
// the backend a handle made by start() forwards to.
#pragma once

#include "domain_actor.hpp"

#include <janus/domains/performance.hpp>

#include <optional>
#include <variant>

namespace janus::domains {

class performance_actor : public detail::domain_actor<performance_actor> {
 public:
  using domain_actor::handle;
  struct read {
    rt::deadline until;
  };
  struct get_last {};
  using message = std::variant<read, get_last>;
  static constexpr std::size_t mailbox_capacity = 64;

  performance_actor(rt::scheduler* sched, session::cdp_session session, performance_options options);

  rt::task<rt::result<performance_metrics>> handle(read r);
  std::optional<performance_metrics> handle(get_last) const;

  /// The domain's enable commands (domain_actor's enable, once the pump is subscribed).
  rt::task<rt::result<void>> send_enable(rt::deadline until);

 private:
  performance_options options_;
  std::optional<performance_metrics> last_;
};

/// `performance` over CDP: each call an ask of the actor or a command on the session.
class cdp_performance_backend final : public detail::cdp_backend<performance_backend, performance_actor> {
 public:
  using cdp_backend::cdp_backend;
  rt::task<rt::result<performance_metrics>> metrics(rt::deadline d) override;
  rt::task<rt::result<std::optional<performance_metrics>>> last(rt::deadline d) override;
};

}  // namespace janus::domains
