#include "rdp_event_routing.hpp"

#include <utility>

namespace janus::session::detail {

rdp_event_router::rdp_event_router(rt::scheduler& sched, const protocol::rdp_event_registry& registry,
                                   rdp_route_sink& sink)
    : sched_(sched), registry_(registry), sink_(sink) {}

rt::result<rt::subscription<rdp_event>> rdp_event_router::subscribe(rdp_subscription_spec spec) {
  auto reg = std::make_shared<rdp_registration>();
  reg->spec = std::move(spec);
  reg->stream = std::make_unique<rt::stream<rdp_event>>(sched_);
  rt::subscription<rdp_event> sub = reg->stream->subscribe(reg->spec.capacity, reg->spec.policy);
  std::lock_guard lk(mu_);
  if (closed_) return rt::error{closed_code_ == rt::errc::browser_exited ? closed_code_ : rt::errc::disconnected, closed_why_};
  subs_.push_back(std::move(reg));
  return sub;
}

void rdp_event_router::set_actor_type(std::string actor_id, std::string type_name) {
  std::lock_guard lk(mu_);
  actor_types_[std::move(actor_id)] = std::move(type_name);
}

void rdp_event_router::forget_actor(std::string_view actor_id) {
  std::lock_guard lk(mu_);
  if (auto t = actor_types_.find(actor_id); t != actor_types_.end()) actor_types_.erase(t);
}

std::size_t rdp_event_router::typed_actors() const {
  std::lock_guard lk(mu_);
  return actor_types_.size();
}

void rdp_event_router::close(rt::errc code, const std::string& why) {
  std::vector<reg_ptr> subs;
  {
    std::lock_guard lk(mu_);
    if (closed_) return;
    closed_ = true;
    closed_code_ = code;
    closed_why_ = why;
    subs.swap(subs_);
  }
  // A dead browser is said so to every subscriber, so that a wait on an event stream ends with
  // the cause; a connection closed or lost ends them as before (errc::cancelled).
  for (auto& r : subs) {
    if (code == rt::errc::browser_exited) r->stream->close(rt::error{code, why});
    else r->stream->close();
  }
}

bool rdp_event_router::on_packet(rdp_msg_ptr msg) {
  {
    std::lock_guard lk(backlog_mu_);
    if (draining_) {
      backlog_.push_back(backlog_item{std::move(msg), false, {}});
      sink_.pause_reading();  // under backlog_mu_: see the top of rdp_event_routing.hpp
      return false;
    }
  }
  std::vector<reg_ptr> remaining;
  route(msg, remaining);
  if (remaining.empty()) return false;
  {
    std::lock_guard lk(backlog_mu_);
    backlog_.push_back(backlog_item{std::move(msg), true, std::move(remaining)});
    draining_ = true;
  }
  read_pauses_.fetch_add(1, std::memory_order_relaxed);
  sink_.pause_reading();  // before the drain exists: it cannot resume first
  return true;
}

// Packets that arrived while a `block` subscriber was full, handled in arrival order; reading is
// paused meanwhile, so the backlog holds at most what one read had taken in.
rt::task<void> rdp_event_router::drain(std::shared_ptr<const void> keep_alive) {
  for (;;) {
    backlog_item item;
    {
      std::lock_guard lk(backlog_mu_);
      if (backlog_.empty()) {
        draining_ = false;
        break;
      }
      item = std::move(backlog_.front());
      backlog_.pop_front();
    }
    if (!item.routed) route(item.msg, item.remaining);
    for (auto& r : item.remaining) {
      if (r->stream->subscriber_count() == 0) continue;
      const rdp_event ev(item.msg);
      (void)co_await r->stream->publish(ev);  // fails only once the stream closed
    }
  }
  sink_.resume_reading();
  keep_alive.reset();  // the owner may go now, and the router with it: nothing is touched after this
}

/// A declared event, a reply, or a packet whose `type` its actor declares neither as an event
/// nor as a typed reply (rdp_event_registry::add_typed_reply). The last is taken for an event
/// newer than the registry: taken for a reply, it would pair every later reply of its actor
/// with the wrong request, silently; taken for an event while it was a reply, one request times
/// out and says so.
rdp_event_router::packet_kind rdp_event_router::classify(const protocol::rdp_owned_message& m) {
  if (!m.error().empty() || m.type().empty()) return packet_kind::reply;
  if (m.from() == "root" && m.type() == "forwardingCancelled") return packet_kind::event;
  std::string type_name;
  {
    std::lock_guard lk(mu_);
    if (auto it = actor_types_.find(m.from()); it != actor_types_.end()) type_name = it->second;
  }
  if (type_name.empty()) type_name = protocol::rdp_actor_type_from_id(m.from());
  if (registry_.is_event(type_name, m.type())) return packet_kind::event;
  if (registry_.is_typed_reply(type_name, m.type())) return packet_kind::reply;
  return packet_kind::undeclared;
}

/// Routes one packet: a reply settles its request; an event goes to every subscriber that has
/// room, and the `block` subscribers that are full are returned in `remaining`.
void rdp_event_router::route(const rdp_msg_ptr& msg, std::vector<reg_ptr>& remaining) {
  const protocol::rdp_owned_message& m = *msg;
  const packet_kind kind = classify(m);
  if (kind == packet_kind::reply) {
    sink_.settle_reply(m);
    return;
  }
  if (kind == packet_kind::undeclared) {
    undeclared_.fetch_add(1, std::memory_order_relaxed);
    sink_.note_undeclared(m);
  }
  events_.fetch_add(1, std::memory_order_relaxed);
  if (m.from() == "root" && m.type() == "forwardingCancelled") cancel_prefix(m.prefix());
  std::vector<reg_ptr> targets;
  {
    std::lock_guard lk(mu_);
    for (std::size_t i = 0; i < subs_.size();) {
      if (subs_[i]->stream->subscriber_count() == 0) {  // its subscription was destroyed
        subs_[i]->stream->close();
        subs_[i] = std::move(subs_.back());
        subs_.pop_back();
        continue;
      }
      if (subs_[i]->wants(m)) targets.push_back(subs_[i]);
      ++i;
    }
  }
  for (auto& r : targets) {
    if (!remaining.empty()) {  // keep per-subscriber order once one had to wait
      remaining.push_back(r);
      continue;
    }
    rt::result<void> ok = r->stream->try_publish(rdp_event(msg));
    if (!ok && ok.code() == rt::errc::mailbox_full) remaining.push_back(r);
  }
}

// The target under `prefix` was torn down: its actors' requests fail (by the connection), and what
// was known of their types goes.
void rdp_event_router::cancel_prefix(std::string_view prefix) {
  forwarding_cancelled_.fetch_add(1, std::memory_order_relaxed);
  if (prefix.empty()) return;
  sink_.cancel_prefix(prefix);
  std::lock_guard lk(mu_);
  std::erase_if(actor_types_, [&](const auto& kv) { return protocol::actor_has_prefix(kv.first, prefix); });
}

void rdp_event_router::add_counters(rdp_stats& s) const noexcept {
  s.events = events_.load(std::memory_order_relaxed);
  s.undeclared_events = undeclared_.load(std::memory_order_relaxed);
  s.forwarding_cancelled = forwarding_cancelled_.load(std::memory_order_relaxed);
  s.read_pauses = read_pauses_.load(std::memory_order_relaxed);
}

}  // namespace janus::session::detail
