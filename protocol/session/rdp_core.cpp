#include "rdp_core.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace janus::session::detail {

rdp_core::rdp_core(rt::scheduler& sched, rdp_connection_options options)
    : sched_(sched),
      options_(std::move(options)),
      decoder_(protocol::rdp_decoder_options{.max_message_bytes = options_.limits.max_message_bytes,
                                             .keep_capacity_bytes = protocol::default_keep_capacity_bytes}),
      router_(sched_, options_.registry ? *options_.registry : protocol::rdp_event_registry::firefox(), *this) {}

rdp_core::~rdp_core() { close("the connection was destroyed", rt::errc::disconnected); }

// --- connecting -------------------------------------------------------------------------------------

void rdp_core::wait_greeting(reply_cell* c) {
  std::unique_lock lk(mu_);
  if (first_) {
    protocol::rdp_owned_message g = std::move(*first_);
    first_.reset();
    lk.unlock();
    c->complete_value(std::move(g));
    c->release();
    return;
  }
  if (closed_) {
    rt::error e{closed_code_, closed_why_};
    lk.unlock();
    c->complete_error(std::move(e));
    c->release();
    return;
  }
  greeting_cell_ = c;
}

void rdp_core::set_greeting(protocol::rdp_owned_message g) {
  std::lock_guard lk(mu_);
  greeting_ = std::move(g);
}

void rdp_core::attach(std::shared_ptr<protocol::transport> t) {
  std::lock_guard lk(mu_);
  if (closed_) {
    t->close();
    return;
  }
  transport_ = std::move(t);
}

void rdp_core::set_exit_probe(std::function<bool()> probe) {
  std::lock_guard lk(mu_);
  exit_probe_ = std::move(probe);
}

// --- requests -----------------------------------------------------------------------------------------

bool rdp_core::submit(const rdp_entry& p, std::string&& text, rt::deadline d) {
  std::lock_guard lk(mu_);
  // Cancelled, or the deadline fired, before the request could be queued: send nothing.
  if (p->cell->state() != rt::reply_cell_base::pending) return false;
  if (d.expired()) {
    p->cell->complete_error(rdp_not_sent(rt::errc::timeout, p->actor + " " + p->type + ": the deadline passed before sending"));
    return false;
  }
  if (closed_) {
    p->cell->complete_error(rdp_not_sent(closed_code_, closed_why_));
    return false;
  }
  return queues_.push_sent(p, [&] {
    if (!transport_) {
      p->cell->complete_error(rdp_not_sent(rt::errc::disconnected, "not connected"));
      return false;
    }
    rt::result<void> r = transport_->send(std::move(text));
    if (!r) {
      // The send queue holds 16k requests by default: far beyond any sane RDP pipelining, so a
      // refusal is reported rather than parked.
      p->cell->complete_error(rdp_not_sent(r.code(), "the transport refused the request: " + r.err().message));
      return false;
    }
    return true;
  });
}

void rdp_core::expire(const rdp_entry& p, std::chrono::milliseconds after) {
  std::lock_guard lk(mu_);
  queues_.expire(p, after);
}

void rdp_core::abandon(const rdp_entry& p, rt::error why) {
  std::lock_guard lk(mu_);
  rdp_actor_queues::abandon(p, std::move(why));
}

bool rdp_core::poisoned(std::string_view actor) const {
  std::lock_guard lk(mu_);
  return queues_.poisoned(actor);
}

// --- lifecycle ----------------------------------------------------------------------------------------

void rdp_core::close(std::string why, rt::errc code) {
  std::shared_ptr<protocol::transport> t;
  {
    std::lock_guard lk(mu_);
    closing_ = true;
    t = std::move(transport_);
  }
  fail_all(std::move(why), code);
  if (t) t->close();
}

bool rdp_core::connected() const {
  std::lock_guard lk(mu_);
  return transport_ && transport_->is_open();
}

rdp_stats rdp_core::stats() const {
  rdp_stats s;
  s.packets_in = packets_in_.load(std::memory_order_relaxed);
  s.bulk_packets = bulk_.load(std::memory_order_relaxed);
  queues_.add_counters(s);
  router_.add_counters(s);
  const std::size_t typed = router_.typed_actors();  // not under mu_: the router is called without it
  std::lock_guard lk(mu_);
  s.pending = queues_.pending();
  s.tracked_actors = queues_.actors() + typed;
  return s;
}

void rdp_core::fail_all(std::string why, rt::errc code) {
  std::vector<rdp_entry> failed;
  reply_cell* greeting = nullptr;
  {
    std::lock_guard lk(mu_);
    if (closed_) return;
    closed_ = true;
    closed_code_ = code;
    closed_why_ = why;
    queues_.take_all(failed);
    greeting = std::exchange(greeting_cell_, nullptr);
  }
  for (auto& p : failed) rdp_actor_queues::fail_sent(p, code, why);
  if (greeting) {
    greeting->complete_error(rt::error{code, why});
    greeting->release();
  }
  router_.close(code, why);
}

// --- packets in -------------------------------------------------------------------------------------

void rdp_core::on_message(std::string&& text) {
  packets_in_.fetch_add(1, std::memory_order_relaxed);
  if (!text.empty() && text.front() == 'b') {
    // "bulk <actor> <type> <length>:<bytes>" only carries heap snapshots and profiles. It takes
    // the place of a JSON reply, so the request it answers must end here, not at its deadline.
    bulk_.fetch_add(1, std::memory_order_relaxed);
    const std::string_view header(text.data(), std::min<std::size_t>(text.size(), 512));
    const auto a = header.find(' ');
    const auto b = a == std::string_view::npos ? a : header.find(' ', a + 1);
    if (b != std::string_view::npos) fail_bulk(header.substr(a + 1, b - a - 1));
    return;
  }
  rt::result<protocol::rdp_message> decoded = decoder_.decode(text);
  if (!decoded) {
    // Firefox itself stops answering after bad JSON: nothing after this can be trusted.
    rt::error why = std::move(decoded).err();
    close("unreadable packet from the browser: " + why.message, rt::errc::disconnected);
    return;
  }
  auto msg = std::make_shared<const protocol::rdp_owned_message>(*decoded);
  {
    // The greeting may come before connect() waits for it (it arrives with the connection).
    reply_cell* greeting = nullptr;
    {
      std::lock_guard lk(mu_);
      if (!greeted_) {
        greeted_ = true;
        greeting = std::exchange(greeting_cell_, nullptr);
        if (!greeting) {
          first_.emplace(*msg);
          return;
        }
      }
    }
    if (greeting) {
      greeting->complete_value(*msg);
      greeting->release();
      return;
    }
  }
  if (router_.on_packet(std::move(msg))) sched_.spawn(router_.drain(shared_from_this()));
}

void rdp_core::fail_bulk(std::string_view actor) {
  rdp_entry p;
  {
    std::lock_guard lk(mu_);
    p = queues_.take_front(actor);
  }
  if (!p) return;
  rt::error e{rt::errc::unsupported, p->actor + " " + p->type + ": the reply is a bulk packet, which rdp_connection does not read"};
  e.sent = true;
  p->cell->complete_error(std::move(e));
}

void rdp_core::on_closed(rt::error why) {
  std::function<bool()> probe;
  bool by_us;
  {
    std::lock_guard lk(mu_);
    transport_.reset();
    probe = exit_probe_;
    by_us = closing_;
  }
  if (by_us) {
    fail_all(why.what(), rt::errc::disconnected);
    return;
  }
  // A socket reaches EOF as a dying browser's fds are closed, a moment before its exit can be
  // observed: ask, so that the requests fail with the real cause.
  if (probe && probe()) {
    fail_all("the browser exited (" + why.what() + ")", rt::errc::browser_exited);
    return;
  }
  fail_all("the connection to the browser was lost: " + why.what(), rt::errc::disconnected);
}

// --- rdp_route_sink -------------------------------------------------------------------------------

void rdp_core::settle_reply(const protocol::rdp_owned_message& m) {
  rdp_actor_queues::taken t;
  {
    std::lock_guard lk(mu_);
    t = queues_.take_reply(m);
  }
  // noSuchActor: the actor is gone, and so is what was known about it.
  if (t.entry && m.error() == "noSuchActor") router_.forget_actor(m.from());
  queues_.settle(t, m);
}

void rdp_core::note_undeclared(const protocol::rdp_owned_message& m) {
  std::lock_guard lk(mu_);
  queues_.note_undeclared(m.from(), m.type());
}

void rdp_core::cancel_prefix(std::string_view prefix) {
  std::vector<rdp_entry> failed;
  {
    std::lock_guard lk(mu_);
    queues_.take_prefix(prefix, failed);
  }
  const std::string why = "the target was torn down (forwardingCancelled " + std::string(prefix) + ")";
  for (auto& p : failed) rdp_actor_queues::fail_sent(p, rt::errc::target_closed, why);
}

void rdp_core::pause_reading() {
  std::lock_guard lk(mu_);
  if (transport_) transport_->pause_reading();
}

void rdp_core::resume_reading() {
  std::lock_guard lk(mu_);
  if (transport_) transport_->resume_reading();
}

}  // namespace janus::session::detail
