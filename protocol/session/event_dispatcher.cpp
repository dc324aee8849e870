#include <janus/session/event_dispatcher.hpp>

#include <algorithm>
#include <utility>

namespace janus::session {

namespace {

bool wants_session(const subscription_spec& spec, const cdp_event& ev) {
  return !spec.session_id || *spec.session_id == ev.session_id();
}

}  // namespace

event_dispatcher::~event_dispatcher() {
  // Subscribers waiting in next() learn that no more events will come (errc::cancelled) instead
  // of waiting out their deadline.
  auto close_all = [](route& r) {
    for (auto& reg : r) reg->stream->close();
  };
  for (auto& [_, r] : by_method_) close_all(r);
  for (auto& [_, r] : by_domain_) close_all(r);
  close_all(all_);
}

rt::task<void> event_dispatcher::offer(route& r, const cdp_event& ev, bool& any) {
  for (std::size_t i = 0; i < r.size();) {
    registration& reg = *r[i];
    if (reg.stream->subscriber_count() == 0) {
      // Its subscription was destroyed: forget it (order among subscribers does not matter).
      reg.stream->close();
      r[i] = std::move(r.back());
      r.pop_back();
      --stats_.subscriptions;
      continue;
    }
    ++i;
    if (!wants_session(reg.spec, ev) || (reg.spec.filter && !reg.spec.filter(ev))) continue;
    any = true;
    ++stats_.deliveries;
    if (reg.stream->try_publish(ev)) continue;
    // A `block` subscriber is full: wait for it. max_suspended = 1 keeps later events queued in
    // the mailbox meanwhile, so every subscriber still sees events in the browser's order. The
    // registration is kept alive by a copy of its pointer: the route may change while we wait.
    ++stats_.waited;
    std::shared_ptr<registration> keep = r[i - 1];
    (void)co_await keep->stream->publish(ev);
  }
}

void event_dispatcher::remember(const cdp_event& ev) {
  if (retain_limits_.empty()) return;
  auto limit = retain_limits_.find(ev.method());
  if (limit == retain_limits_.end()) return;
  auto& q = retained_[std::string(ev.method())];
  q.push_back(ev);
  while (q.size() > limit->second) q.pop_front();
}

rt::task<void> event_dispatcher::handle(deliver d) {
  ++stats_.events;
  const cdp_event& ev = d.event;
  remember(ev);
  bool any = false;
  if (auto it = by_method_.find(ev.method()); it != by_method_.end()) co_await offer(it->second, ev, any);
  if (auto it = by_domain_.find(ev.domain()); it != by_domain_.end()) co_await offer(it->second, ev, any);
  if (!all_.empty()) co_await offer(all_, ev, any);
  if (!any) ++stats_.unrouted;
}

rt::subscription<cdp_event> event_dispatcher::handle(subscribe s) {
  auto reg = std::make_shared<registration>();
  reg->spec = std::move(s.spec);
  reg->stream = std::make_unique<rt::stream<cdp_event>>(*sched_);
  const subscription_spec& spec = reg->spec;
  rt::subscription<cdp_event> sub = reg->stream->subscribe(spec.capacity, spec.policy);

  if (spec.replay_last > 0) {
    if (auto it = retained_.find(spec.method); it != retained_.end()) {
      const auto& q = it->second;
      const std::size_t n = std::min(spec.replay_last, q.size());
      for (std::size_t i = q.size() - n; i < q.size(); ++i) {
        if (!wants_session(spec, q[i]) || (spec.filter && !spec.filter(q[i]))) continue;
        // Fresh queue: with capacity >= replay_last nothing is refused; beyond it the policy
        // applies (a `block` queue keeps the oldest and the rest is not replayed).
        if (!reg->stream->try_publish(q[i])) break;
      }
    }
  }

  if (ended_) {
    // The browser is gone: nothing would ever arrive. Replayed events are still read first.
    reg->stream->close(*ended_);
    return sub;
  }
  const std::string& m = spec.method;
  if (m.empty() || m == "*") {
    all_.push_back(std::move(reg));
  } else if (m.size() > 2 && m.ends_with(".*")) {
    by_domain_[m.substr(0, m.size() - 2)].push_back(std::move(reg));
  } else {
    by_method_[m].push_back(std::move(reg));
  }
  ++stats_.subscriptions;
  return sub;
}

void event_dispatcher::handle(retain r) {
  if (r.count == 0) {
    retain_limits_.erase(r.method);
    retained_.erase(r.method);
    return;
  }
  auto& limit = retain_limits_[r.method];
  limit = std::max(limit, r.count);
}

dispatcher_stats event_dispatcher::handle(get_stats) const { return stats_; }

void event_dispatcher::handle(end e) {
  if (ended_) return;
  ended_ = e.why;
  auto close_all = [&](route& r) {
    for (auto& reg : r) reg->stream->close(e.why);
    r.clear();
  };
  for (auto& [_, r] : by_method_) close_all(r);
  for (auto& [_, r] : by_domain_) close_all(r);
  close_all(all_);
  by_method_.clear();
  by_domain_.clear();
  stats_.subscriptions = 0;
}

}  // namespace janus::session
