#include "rdp_actor_queues.hpp"

#include <algorithm>

namespace janus::session::detail {

namespace {

/// The request an overtaking reply answers (see protocol::is_overtaking_reply), else the oldest.
std::size_t pick(const rdp_actor_queue& q, const protocol::rdp_owned_message& m) {
  if (!protocol::is_overtaking_reply(m.view())) return 0;
  std::string_view wanted;
  if (m.has_request_types() && m.error().empty()) {
    wanted = "requestTypes";
  } else if (m.error() == "unrecognizedPacketType") {
    // "Actor X does not recognize the packet type 'T'"
    const std::string_view text = m.message();
    const auto open = text.rfind("type '");
    if (open != std::string_view::npos) {
      const auto start = open + 6;
      const auto end = text.find('\'', start);
      if (end != std::string_view::npos) wanted = text.substr(start, end - start);
    }
  }
  if (wanted.empty()) return 0;  // noSuchActor: every request to that actor gets one, in order
  for (std::size_t i = 0; i < q.fifo.size(); ++i)
    if (q.fifo[i]->type == wanted) return i;
  return 0;
}

}  // namespace

rt::error rdp_not_sent(rt::errc code, std::string why) {
  rt::error e{code, std::move(why) + " (the request was not sent)"};
  e.sent = false;
  return e;
}

void rdp_actor_queues::expire(const rdp_entry& p, std::chrono::milliseconds after) {
  auto it = queues_.find(p->actor);
  if (it == queues_.end()) return;
  rdp_actor_queue& q = it->second;
  auto at = std::find(q.fifo.begin(), q.fifo.end(), p);
  if (at == q.fifo.end()) return;  // settled meanwhile
  q.poisoned = "actor " + p->actor + " is not trusted until the late replies of its requests come: '" + p->type +
               "' got no reply within " + std::to_string(after.count()) +
               " ms, and a reply could otherwise be paired with the wrong request";
  poisoned_.fetch_add(1, std::memory_order_relaxed);
  // All stay queued, abandoned: a late reply is then consumed in its place, and once every one
  // has come the actor is trusted again (drop_if_idle).
  std::vector<rdp_entry> others;
  for (auto& e : q.fifo) {
    if (e != p && !e->abandoned) others.push_back(e);
    e->abandoned = true;
  }
  std::string text = p->actor + " " + p->type + ": no reply within " + std::to_string(after.count()) + " ms";
  if (!q.undeclared.empty())
    text += " (a packet of undeclared type '" + q.undeclared +
            "' came from the actor meanwhile and went to subscribers as an event: if it was the reply, declare it "
            "with rdp_event_registry::add_typed_reply)";
  rt::error e{rt::errc::timeout, text + " (the request was sent)"};
  e.sent = true;
  p->cell->complete_error(std::move(e));
  for (auto& o : others) {
    rt::error oe{rt::errc::timeout, o->actor + " " + o->type + ": " + q.poisoned + " (the request was sent)"};
    oe.sent = true;
    o->cell->complete_error(std::move(oe));
  }
}

void rdp_actor_queues::abandon(const rdp_entry& p, rt::error why) {
  p->abandoned = true;
  why.sent = true;
  p->cell->complete_error(std::move(why));
}

rdp_actor_queues::taken rdp_actor_queues::take_reply(const protocol::rdp_owned_message& m) {
  auto it = queues_.find(m.from());
  if (it == queues_.end() || it->second.fifo.empty()) {
    unmatched_.fetch_add(1, std::memory_order_relaxed);
    return {};
  }
  rdp_actor_queue& q = it->second;
  const std::size_t at = pick(q, m);
  taken t;
  t.entry = std::move(q.fifo[at]);
  q.fifo.erase(q.fifo.begin() + static_cast<std::ptrdiff_t>(at));
  --pending_;
  t.abandoned = t.entry->abandoned;
  drop_if_idle(it);
  return t;
}

rdp_entry rdp_actor_queues::take_front(std::string_view actor) {
  auto it = queues_.find(actor);
  if (it == queues_.end() || it->second.fifo.empty()) {
    unmatched_.fetch_add(1, std::memory_order_relaxed);
    return {};
  }
  rdp_entry p = std::move(it->second.fifo.front());
  it->second.fifo.pop_front();
  --pending_;
  drop_if_idle(it);
  return p;
}

void rdp_actor_queues::take_all(std::vector<rdp_entry>& out) {
  for (auto& [_, q] : queues_) {
    for (auto& p : q.fifo) out.push_back(std::move(p));
    q.fifo.clear();
  }
  pending_ = 0;
}

void rdp_actor_queues::take_prefix(std::string_view prefix, std::vector<rdp_entry>& out) {
  for (auto it = queues_.begin(); it != queues_.end();) {
    if (!protocol::actor_has_prefix(it->first, prefix)) {
      ++it;
      continue;
    }
    for (auto& p : it->second.fifo) out.push_back(std::move(p));
    pending_ -= it->second.fifo.size();
    it = queues_.erase(it);  // the actors are gone; their ids answer noSuchActor from now on
  }
}

void rdp_actor_queues::note_undeclared(std::string_view actor, std::string_view type) {
  if (auto it = queues_.find(actor); it != queues_.end()) it->second.undeclared = std::string(type);
}

void rdp_actor_queues::settle(const taken& t, const protocol::rdp_owned_message& m) {
  if (!t.entry) return;
  if (t.abandoned) {
    discarded_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const rdp_pending& p = *t.entry;
  replies_.fetch_add(1, std::memory_order_relaxed);
  if (!m.error().empty()) {
    error_replies_.fetch_add(1, std::memory_order_relaxed);
    std::string text = p.actor + " " + p.type + ": " + std::string(m.error());
    if (!m.message().empty()) text += ": " + std::string(m.message());
    rt::error e{rt::errc::protocol, std::move(text)};
    e.sent = true;
    p.cell->complete_error(std::move(e));
    return;
  }
  p.cell->complete_value(m);
}

void rdp_actor_queues::fail_sent(const rdp_entry& p, rt::errc code, std::string_view why) {
  rt::error e{code, p->actor + " " + p->type + ": " + std::string(why) + " (the request was sent)"};
  e.sent = true;
  p->cell->complete_error(std::move(e));
}

bool rdp_actor_queues::poisoned(std::string_view actor) const {
  auto it = queues_.find(actor);
  return it != queues_.end() && !it->second.poisoned.empty();
}

void rdp_actor_queues::add_counters(rdp_stats& s) const noexcept {
  s.replies = replies_.load(std::memory_order_relaxed);
  s.error_replies = error_replies_.load(std::memory_order_relaxed);
  s.unmatched = unmatched_.load(std::memory_order_relaxed);
  s.discarded = discarded_.load(std::memory_order_relaxed);
  s.poisoned_actors = poisoned_.load(std::memory_order_relaxed);
  s.recovered_actors = recovered_.load(std::memory_order_relaxed);
}

// Drops an actor's queue once nothing waits in it: a connection meets thousands of short-lived
// actors (network events, walkers), and a poisoned actor whose late replies have all come is
// trusted again.
void rdp_actor_queues::drop_if_idle(table::iterator it) {
  if (!it->second.fifo.empty()) return;
  if (!it->second.poisoned.empty()) recovered_.fetch_add(1, std::memory_order_relaxed);
  queues_.erase(it);
}

}  // namespace janus::session::detail
