#include <janus/domains/performance.hpp>

#include <janus/protocol/json_value.hpp>

namespace janus::domains {

using detail::sooner;
using detail::str_of;
using protocol::json_value;

performance_actor::performance_actor(rt::scheduler* sched, session::cdp_session session, performance_options options)
    : session_(std::move(session)), options_(options), enabled_(*sched) {}

rt::task<rt::result<performance_metrics>> performance_actor::handle(read r) {
  const rt::deadline d = sooner(r.until, options_.command_timeout);
  if (!enabled_.done()) {
    if (enabled_.claim()) {
      session::call_options co{.deadline = d, .cancel = {}};
      auto on = co_await session_.call("Performance.enable", "{}", std::move(co));
      rt::result<void> outcome = rt::ok;
      if (!on) outcome = std::move(on).err();
      enabled_.finish(outcome);
      if (!outcome) co_return std::move(outcome).err();
    } else if (auto waited = co_await enabled_.wait(d); !waited) {
      co_return std::move(waited).err();
    }
  }
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

performance performance::start(rt::scheduler& sched, session::cdp_session session, performance_options options) {
  performance p;
  rt::spawn_options so;
  so.name = "performance";
  auto ref = rt::spawn<performance_actor>(sched, std::move(so), &sched, std::move(session), options);
  p.owner_ = std::make_shared<detail::actor_owner<performance_actor>>(std::move(ref));
  return p;
}

rt::task<rt::result<performance_metrics>> performance::metrics(rt::deadline d) const {
  if (backend_) return backend_->metrics(d);
  return [](rt::actor_ref<performance_actor> ref, rt::deadline d) -> rt::task<rt::result<performance_metrics>> {
    performance_actor::read r{d};
    rt::result<rt::result<performance_metrics>> out = co_await ref.ask(std::move(r), d);
    if (!out) co_return std::move(out).err();
    co_return std::move(*out);
  }(owner_->ref, d);
}

rt::task<rt::result<std::optional<performance_metrics>>> performance::last(rt::deadline d) const {
  if (backend_) return backend_->last(d);
  return [](rt::actor_ref<performance_actor> ref, rt::deadline d) -> rt::task<rt::result<std::optional<performance_metrics>>> {
    co_return co_await ref.ask(performance_actor::get_last{}, d);
  }(owner_->ref, d);
}

void performance::stop() const {
  if (owner_) owner_->ref.stop();
}


// A backend's calls it does not override.
rt::task<rt::result<performance_metrics>> performance_backend::metrics(rt::deadline) {
  return detail::unsupported<performance_metrics>(*this, "performance.metrics");
}
rt::task<rt::result<std::optional<performance_metrics>>> performance_backend::last(rt::deadline) {
  return detail::unsupported<std::optional<performance_metrics>>(*this, "performance.last");
}
performance performance::over(std::shared_ptr<performance_backend> backend) {
  performance out;
  out.backend_ = std::move(backend);
  return out;
}

}  // namespace janus::domains
