#include <janus/session/connection_core.hpp>
#include <janus/protocol/message_buffers.hpp>
#include <janus/rt/frame_pool.hpp>

#include <utility>

namespace janus::session {

// One per transport: remembers which transport it serves, so that the callbacks of a transport
// that has been replaced (a reconnect) cannot touch the new one's state.
class connection_core::handler final : public protocol::transport_handler {
 public:
  handler(std::weak_ptr<connection_core> core, std::uint64_t generation)
      : core_(std::move(core)), generation_(generation) {}
  void on_message(std::string&& message) override {
    if (auto c = core_.lock()) {
      c->on_message(generation_, message);
      // The decoder copied what it needed: the buffer can serve the next message.
      protocol::message_buffers::give(std::move(message));
    }
  }
  void on_message_view(std::string_view message) override {
    if (auto c = core_.lock()) c->on_message(generation_, message);
  }
  void on_writable() override {
    if (auto c = core_.lock()) c->on_writable(generation_);
  }
  void on_closed(rt::error why) override {
    if (auto c = core_.lock()) c->on_closed(generation_, std::move(why));
  }

 private:
  std::weak_ptr<connection_core> core_;
  const std::uint64_t generation_;
};

connection_core::connection_core(rt::scheduler& sched, connection_options options)
    : sched_(sched),
      options_(std::move(options)),
      decoder_(protocol::cdp_decoder_options{.max_message_bytes = options_.limits.max_message_bytes}) {
  rt::spawn_options o;
  o.name = options_.name + ".events";
  o.mailbox_capacity = options_.dispatcher_mailbox;
  dispatcher_ = rt::spawn<event_dispatcher>(sched_, std::move(o), &sched_);
  // Until a transport is attached there is nothing to send on.
  (void)pending_.fail_all("not connected yet");
}

connection_core::~connection_core() {
  std::shared_ptr<protocol::transport> t;
  {
    std::lock_guard lk(send_mu_);
    t = std::move(transport_);
    ++generation_;
  }
  if (t) t->close();
  pending_.fail_all("the connection was destroyed");
  dispatcher_.stop();
}

std::shared_ptr<protocol::transport_handler> connection_core::next_handler() {
  std::lock_guard lk(send_mu_);
  return std::make_shared<handler>(weak_from_this(), generation_ + 1);
}

void connection_core::attach(std::shared_ptr<protocol::transport> t) {
  std::shared_ptr<protocol::transport> old;
  {
    std::lock_guard lk(send_mu_);
    old = std::exchange(transport_, std::move(t));
    ++generation_;
    close_reason_.clear();
    close_code_ = rt::errc::disconnected;
  }
  if (old) old->close();
  connects_.fetch_add(1, std::memory_order_relaxed);
  pending_.reopen();
}

void connection_core::close(std::string why, rt::errc code) {
  closing_.store(true, std::memory_order_release);
  std::shared_ptr<protocol::transport> t;
  {
    std::lock_guard lk(send_mu_);
    t = transport_;
    if (close_reason_.empty()) {
      close_reason_ = why;
      close_code_ = code;
    }
  }
  if (code == rt::errc::browser_exited) end_events(rt::error{code, why});
  pending_.fail_all(why, code);
  if (t) t->close();
}

void connection_core::set_exit_probe(std::function<bool()> probe) {
  std::lock_guard lk(on_closed_mu_);
  exit_probe_ = std::move(probe);
}

void connection_core::set_on_closed(std::function<void(rt::error)> f) {
  std::lock_guard lk(on_closed_mu_);
  on_closed_ = std::move(f);
}

bool connection_core::connected() const {
  std::lock_guard lk(send_mu_);
  return transport_ && transport_->is_open();
}

// --- outgoing ---------------------------------------------------------------------------------------

bool connection_core::try_send_locked(outgoing& o) {
  if (!transport_) {
    pending_.fail(o.id, rt::errc::disconnected, "not connected");
    return true;
  }
  // Marked before the send: if the connection drops in between, the request reports "sent",
  // which is the safe answer for a caller deciding whether to retry.
  if (!pending_.mark_sent(o.id)) return true;  // timed out or cancelled meanwhile: send nothing
  rt::result<void> r = transport_->send(std::move(o.text));
  if (r) return true;
  pending_.unmark_sent(o.id);
  if (r.code() == rt::errc::mailbox_full) return false;
  pending_.fail(o.id, r.code(), r.err().message);
  return true;
}

void connection_core::submit(outgoing& o) {
  std::lock_guard lk(send_mu_);
  if (!parked_head_ && try_send_locked(o)) return;
  // Behind commands already waiting, or the queue is full: keep the order they were issued in.
  o.next = nullptr;
  o.parked = true;
  if (parked_tail_) parked_tail_->next = &o;
  else parked_head_ = &o;
  parked_tail_ = &o;
  commands_parked_.fetch_add(1, std::memory_order_relaxed);
}

void connection_core::withdraw(outgoing& o) noexcept {
  std::lock_guard lk(send_mu_);
  if (!o.parked) return;
  outgoing* prev = nullptr;
  for (outgoing* p = parked_head_; p; prev = p, p = p->next) {
    if (p != &o) continue;
    if (prev) prev->next = p->next;
    else parked_head_ = p->next;
    if (parked_tail_ == p) parked_tail_ = prev;
    break;
  }
  o.parked = false;
  o.next = nullptr;
}

void connection_core::on_writable(std::uint64_t generation) {
  std::lock_guard lk(send_mu_);
  if (generation != generation_) return;
  while (parked_head_) {
    outgoing* o = parked_head_;
    if (!try_send_locked(*o)) break;  // full again: on_writable will come once more
    parked_head_ = o->next;
    if (!parked_head_) parked_tail_ = nullptr;
    o->parked = false;
    o->next = nullptr;
  }
}

// --- incoming ---------------------------------------------------------------------------------------

void connection_core::on_message(std::uint64_t generation, std::string_view text) {
  messages_in_.fetch_add(1, std::memory_order_relaxed);
  rt::result<protocol::cdp_message> decoded = decoder_.decode(text);
  if (!decoded) {
    // A browser that sends something unreadable can no longer be trusted to match replies to
    // requests: end the connection so that every waiter learns why now, not at its deadline.
    rt::error why = std::move(decoded).err();
    why.message = "unreadable message from the browser: " + why.message;
    fail_connection(generation, std::move(why));
    return;
  }
  protocol::cdp_message& m = *decoded;
  switch (m.kind) {
    case protocol::cdp_kind::reply:
    case protocol::cdp_kind::error_reply:
      replies_.fetch_add(1, std::memory_order_relaxed);
      pending_.complete(m);
      return;
    case protocol::cdp_kind::event:
      events_.fetch_add(1, std::memory_order_relaxed);
      forward_event(m);
      return;
    case protocol::cdp_kind::protocol_error:
      // No id: it cannot be matched to a request, and the request it concerns will time out.
      protocol_errors_.fetch_add(1, std::memory_order_relaxed);
      return;
  }
}

void connection_core::forward_event(protocol::cdp_message& m) {
  // The control block and the message come from the runtime's pool, and the text from
  // message_buffers: after warm-up an event costs no allocation on its way to subscribers.
  cdp_event ev(std::allocate_shared<protocol::cdp_owned_message>(rt::pool_allocator<protocol::cdp_owned_message>{}, m));
  {
    std::lock_guard lk(backlog_mu_);
    if (draining_) {
      backlog_.push_back(std::move(ev));
      // Again: a resume from a drain that has just finished may have crossed this pause's way,
      // and the backlog must not grow by more than what one read delivers.
      std::lock_guard tlk(send_mu_);
      if (transport_) transport_->pause_reading();
      return;
    }
  }
  rt::result<void> told = dispatcher_.try_tell(event_dispatcher::deliver{ev});
  if (told || told.code() != rt::errc::mailbox_full) return;  // a stopped dispatcher: nobody listens
  {
    std::lock_guard lk(backlog_mu_);
    backlog_.push_back(std::move(ev));
    draining_ = true;
  }
  read_pauses_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lk(send_mu_);
    if (transport_) transport_->pause_reading();
  }
  sched_.spawn(drain_backlog());
}

void connection_core::end_events(rt::error why) {
  if (events_ended_.exchange(true, std::memory_order_acq_rel)) return;
  {
    // Events read before the death still reach their subscribers first: behind a backlog being
    // fed in, the end waits for the drain to finish.
    std::lock_guard lk(backlog_mu_);
    if (draining_) {
      end_after_backlog_ = std::move(why);
      return;
    }
  }
  rt::result<void> told = dispatcher_.try_tell(event_dispatcher::end{why});
  if (told || told.code() != rt::errc::mailbox_full) return;
  sched_.spawn(tell_end(std::move(why)));  // a full mailbox: wait for room, still in order
}

rt::task<void> connection_core::tell_end(rt::error why) {
  auto self = shared_from_this();
  event_dispatcher::end e{std::move(why)};
  (void)co_await dispatcher_.tell(std::move(e));
}

rt::task<void> connection_core::drain_backlog() {
  auto self = shared_from_this();  // the connection may be dropped by its user meanwhile
  for (;;) {
    cdp_event ev;
    {
      std::lock_guard lk(backlog_mu_);
      if (backlog_.empty()) {
        draining_ = false;
        if (end_after_backlog_) {
          rt::error why = std::move(*end_after_backlog_);
          end_after_backlog_.reset();
          // Not under the lock across the wait: nothing else can queue behind a dead browser.
          sched_.spawn(tell_end(std::move(why)));
        }
        break;
      }
      ev = std::move(backlog_.front());
      backlog_.pop_front();
    }
    event_dispatcher::deliver d{std::move(ev)};
    rt::result<void> told = co_await dispatcher_.tell(std::move(d));
    if (!told) {  // the dispatcher stopped: nobody will take events any more
      std::lock_guard lk(backlog_mu_);
      backlog_.clear();
      draining_ = false;
      break;
    }
  }
  std::lock_guard lk(send_mu_);
  if (transport_) transport_->resume_reading();
}

void connection_core::fail_connection(std::uint64_t generation, rt::error why) {
  std::shared_ptr<protocol::transport> t;
  {
    std::lock_guard lk(send_mu_);
    if (generation != generation_) return;
    if (close_reason_.empty()) close_reason_ = why.what();
    t = transport_;
  }
  pending_.fail_all(why.what());
  if (t) t->close();
}

void connection_core::on_closed(std::uint64_t generation, rt::error why) {
  std::string reason;
  rt::errc code = rt::errc::disconnected;
  {
    std::lock_guard lk(send_mu_);
    if (generation != generation_) return;
    reason = close_reason_.empty() ? why.what() : close_reason_;
    if (!close_reason_.empty()) code = close_code_;
    transport_.reset();
    // Parked commands were never written; fail_all below reports them as not sent.
    for (outgoing* p = parked_head_; p;) {
      outgoing* next = p->next;
      p->parked = false;
      p->next = nullptr;
      p = next;
    }
    parked_head_ = parked_tail_ = nullptr;
  }
  std::function<void(rt::error)> notify;
  std::function<bool()> probe;
  {
    std::lock_guard lk(on_closed_mu_);
    notify = on_closed_;
    probe = exit_probe_;
  }
  if (code == rt::errc::disconnected && !closing() && probe && probe()) {
    code = rt::errc::browser_exited;
    reason = "the browser exited (" + reason + ")";
  }
  if (code == rt::errc::browser_exited) end_events(rt::error{code, reason});
  pending_.fail_all(reason, code);
  if (notify) notify(rt::error{why.code, reason});
}

connection_stats connection_core::stats() const {
  connection_stats s;
  s.messages_in = messages_in_.load(std::memory_order_relaxed);
  s.replies = replies_.load(std::memory_order_relaxed);
  s.events = events_.load(std::memory_order_relaxed);
  s.unmatched_replies = pending_.unmatched_replies();
  s.protocol_errors = protocol_errors_.load(std::memory_order_relaxed);
  s.read_pauses = read_pauses_.load(std::memory_order_relaxed);
  s.commands_parked = commands_parked_.load(std::memory_order_relaxed);
  s.connects = connects_.load(std::memory_order_relaxed);
  s.pending = pending_.size();
  return s;
}

}  // namespace janus::session
