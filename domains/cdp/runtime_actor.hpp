// The CDP side of `js_runtime` (runtime.hpp): the actor keeping the execution contexts from
// Runtime events, and the backend a handle made by start() forwards to.
#pragma once

#include "domain_actor.hpp"

#include <janus/domains/runtime.hpp>
#include <janus/rt/stream.hpp>

#include <map>
#include <optional>
#include <variant>

namespace janus::domains {

class js_runtime_actor : public detail::domain_actor<js_runtime_actor> {
 public:
  using domain_actor::handle;
  struct get_contexts {};
  struct get_stats {};
  /// Waits until a default context exists for `frame_id` (any frame when empty).
  struct wait_default_context {
    std::string frame_id;
    rt::deadline until;
  };
  using message = std::variant<pump, enable, get_contexts, get_stats, wait_default_context>;
  static constexpr std::size_t mailbox_capacity = 256;

  js_runtime_actor(rt::scheduler* sched, session::cdp_session session, runtime_options options);

  rt::task<void> handle(pump p);
  std::vector<execution_context> handle(get_contexts) const;
  runtime_stats handle(get_stats) const;
  rt::task<rt::result<execution_context>> handle(wait_default_context w);

  /// The domain's enable commands (domain_actor's enable, once the pump is subscribed).
  rt::task<rt::result<void>> send_enable(rt::deadline until);

 private:
  const execution_context* default_for(const std::string& frame_id) const;

  runtime_options options_;
  std::map<std::int64_t, execution_context> contexts_;
  runtime_stats stats_;
  const rt::subscription<session::cdp_event>* sub_ = nullptr;
  bool pump_ended_ = false;
  /// Why the pump ended, when its browser died (errc::browser_exited): waits fail with it.
  std::optional<rt::error> pump_error_;
  rt::stream<int> changed_;
};

/// `js_runtime` over CDP: each call an ask of the actor or a command on the session.
class cdp_js_runtime_backend final : public detail::cdp_backend<js_runtime_backend, js_runtime_actor> {
 public:
  using cdp_backend::cdp_backend;
  rt::task<rt::result<std::vector<execution_context>>> contexts(rt::deadline d) override;
  rt::task<rt::result<runtime_stats>> stats(rt::deadline d) override;
  rt::task<rt::result<execution_context>> default_context(std::string frame_id, rt::deadline d) override;
  rt::task<rt::result<js_value>> evaluate(std::string expression, evaluate_options options) override;
  rt::task<rt::result<protocol::json_value>> evaluate_value(std::string expression, rt::deadline d) override;
  rt::task<rt::result<void>> release(std::string object_id, rt::deadline d) override;
  rt::task<rt::result<void>> enable(rt::deadline d) override;
};

}  // namespace janus::domains
