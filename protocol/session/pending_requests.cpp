#include <janus/session/pending_requests.hpp>

#include <bit>
#include <utility>

namespace janus::session {

pending_requests::pending_requests(std::size_t initial_capacity)
    : ring_(std::bit_ceil(initial_capacity < 16 ? std::size_t{16} : initial_capacity)), mask_(ring_.size() - 1) {}

pending_requests::~pending_requests() { fail_all("the connection was destroyed"); }

pending_requests::entry* pending_requests::find(std::int64_t id) noexcept {
  entry& e = ring_[static_cast<std::size_t>(id) & mask_];
  return e.id == id ? &e : nullptr;
}

void pending_requests::grow() {
  // Double until every live id has a slot of its own; live ids are distinct, so this ends.
  std::vector<entry> old = std::move(ring_);
  std::size_t size = old.size() * 2;
  for (;;) {
    std::vector<entry> next(size);
    const std::size_t mask = size - 1;
    bool clash = false;
    for (const entry& e : old) {
      if (e.id == 0) continue;
      entry& dst = next[static_cast<std::size_t>(e.id) & mask];
      if (dst.id != 0) {
        clash = true;
        break;
      }
      dst = e;
    }
    if (!clash) {
      ring_ = std::move(next);
      mask_ = mask;
      return;
    }
    size *= 2;
  }
}

rt::result<std::int64_t> pending_requests::add(reply_slot* slot, std::string_view method) {
  return add(slot, method, {});
}

rt::result<std::int64_t> pending_requests::add(reply_slot* slot, std::string_view method, std::string_view session_id) {
  std::lock_guard lk(mu_);
  if (closed_) {
    rt::error e{closed_code_, closed_why_};
    return e;
  }
  if (!session_id.empty()) {
    for (const ended_session& s : ended_) {
      if (s.id != session_id) continue;
      rt::error e{s.code, s.why};
      return e;
    }
  }
  const std::int64_t id = next_id_++;
  while (ring_[static_cast<std::size_t>(id) & mask_].id != 0) grow();
  slot->add_ref();
  ring_[static_cast<std::size_t>(id) & mask_] = entry{id, slot, method, session_id, false};
  ++live_;
  return id;
}

bool pending_requests::mark_sent(std::int64_t id) noexcept {
  std::lock_guard lk(mu_);
  entry* e = find(id);
  if (!e) return false;
  e->sent = true;
  return true;
}

void pending_requests::unmark_sent(std::int64_t id) noexcept {
  std::lock_guard lk(mu_);
  if (entry* e = find(id)) e->sent = false;
}

rt::error pending_requests::make_error(const entry& e, rt::errc code, std::string_view why) {
  rt::error err{code, std::string(e.method)};
  err.message += code == rt::errc::timeout ? " got no reply before its deadline" : ": ";
  if (code != rt::errc::timeout) err.message += why;
  err.message += e.sent ? " (the request had been sent)" : " (the request was not sent)";
  err.sent = e.sent;
  return err;
}

bool pending_requests::complete(const protocol::cdp_message& reply) {
  entry taken;
  {
    std::lock_guard lk(mu_);
    entry* e = reply.id > 0 ? find(reply.id) : nullptr;
    if (!e) {
      unmatched_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    taken = std::exchange(*e, entry{});
    --live_;
  }
  if (reply.kind == protocol::cdp_kind::reply) {
    taken.slot->complete_value(protocol::cdp_owned_message(reply));
  } else {
    rt::error err{rt::errc::protocol, std::string(taken.method)};
    err.message += ": ";
    err.message += reply.error_message;
    if (!reply.error_data.empty()) {
      err.message += " (";
      err.message += reply.error_data;
      err.message += ')';
    }
    err.protocol_code = reply.error_code;
    err.sent = true;
    taken.slot->complete_error(std::move(err));
  }
  taken.slot->release();
  return true;
}

bool pending_requests::fail(std::int64_t id, rt::errc code, std::string_view why) {
  entry taken;
  {
    std::lock_guard lk(mu_);
    entry* e = find(id);
    if (!e) return false;
    taken = std::exchange(*e, entry{});
    --live_;
  }
  taken.slot->complete_error(make_error(taken, code, why));
  taken.slot->release();
  return true;
}

std::size_t pending_requests::fail_all(std::string_view why, rt::errc code) {
  // Collect under the lock, complete outside it: completing posts to executors, which must not
  // happen while another thread could be waiting for this lock inside an executor.
  std::vector<entry> taken;
  {
    std::lock_guard lk(mu_);
    closed_ = true;
    closed_why_ = std::string(why);
    closed_code_ = code;
    taken.reserve(live_);
    for (entry& e : ring_)
      if (e.id != 0) taken.push_back(std::exchange(e, entry{}));
    live_ = 0;
  }
  for (entry& e : taken) {
    e.slot->complete_error(make_error(e, code, why));
    e.slot->release();
  }
  return taken.size();
}

std::size_t pending_requests::fail_session(std::string_view session_id, rt::errc code, std::string_view why) {
  if (session_id.empty()) return 0;  // the browser session is the connection itself: fail_all
  std::vector<entry> taken;
  {
    std::lock_guard lk(mu_);
    bool known = false;
    for (const ended_session& s : ended_) known = known || s.id == session_id;
    if (!known) ended_.push_back(ended_session{std::string(session_id), code, std::string(why)});
    for (entry& e : ring_) {
      if (e.id == 0 || e.session != session_id) continue;
      taken.push_back(std::exchange(e, entry{}));
      --live_;
    }
  }
  for (entry& e : taken) {
    e.slot->complete_error(make_error(e, code, why));
    e.slot->release();
  }
  return taken.size();
}

void pending_requests::reopen() noexcept {
  std::lock_guard lk(mu_);
  closed_ = false;
  closed_why_.clear();
  closed_code_ = rt::errc::disconnected;
}

bool pending_requests::is_open() const noexcept {
  std::lock_guard lk(mu_);
  return !closed_;
}

std::size_t pending_requests::size() const noexcept {
  std::lock_guard lk(mu_);
  return live_;
}

}  // namespace janus::session
