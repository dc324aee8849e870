// Chromium's performance: the actor reading Performance.getMetrics (performance_actor.hpp), and
// its backend.
#include "performance_actor.hpp"

#include <janus/protocol/json_value.hpp>

namespace janus::domains {

using detail::str_of;
using protocol::json_value;

performance_actor::performance_actor(rt::scheduler* sched, session::cdp_session session, performance_options options)
    : domain_actor(*sched, std::move(session), detail::event_feed{}, options.command_timeout), options_(options) {}

rt::task<rt::result<void>> performance_actor::send_enable(rt::deadline until) {
  static constexpr detail::enable_command commands[] = {{"Performance.enable", "{}"}};
  co_return co_await send_all(commands, until);
}

rt::task<rt::result<performance_metrics>> performance_actor::handle(read r) {
  const rt::deadline d = command_deadline(r.until);
  if (rt::result<void> on = co_await enable_domain(d); !on) co_return std::move(on).err();
  session::call_options co{.deadline = d, .cancel = {}};
  auto reply = co_await session_.call("Performance.getMetrics", "{}", std::move(co));
  if (!reply) co_return std::move(reply).err();
  rt::result<json_value> v = json_value::parse(reply->payload());
  if (!v) co_return std::move(v).err();
  const json_value::array_type* list = (*v)["metrics"].get_array();
  if (!list) co_return rt::error{rt::errc::parse, "Performance.getMetrics: no metrics in the reply"};
  performance_metrics m;
  m.taken = std::chrono::steady_clock::now();
  for (const json_value& e : *list) m.values.emplace_back(str_of(e["name"]), detail::num_of(e["value"]));
  last_ = m;
  co_return m;
}

std::optional<performance_metrics> performance_actor::handle(get_last) const { return last_; }

// --- the CDP backend -----------------------------------------------------------------------------

performance performance::start(rt::scheduler& sched, session::cdp_session session, performance_options options) {
  return over(detail::spawn_backend<cdp_performance_backend, performance_actor>(sched, "performance", std::move(session), std::move(options)));
}

rt::task<rt::result<performance_metrics>> cdp_performance_backend::metrics(rt::deadline d) {
  return [](rt::actor_ref<performance_actor> ref, rt::deadline d) -> rt::task<rt::result<performance_metrics>> {
    performance_actor::read r{d};
    rt::result<rt::result<performance_metrics>> out = co_await ref.ask(std::move(r), d);
    if (!out) co_return std::move(out).err();
    co_return std::move(*out);
  }(ref_, d);
}
rt::task<rt::result<std::optional<performance_metrics>>> cdp_performance_backend::last(rt::deadline d) {
  return [](rt::actor_ref<performance_actor> ref, rt::deadline d) -> rt::task<rt::result<std::optional<performance_metrics>>> {
    co_return co_await ref.ask(performance_actor::get_last{}, d);
  }(ref_, d);
}

}  // namespace janus::domains
