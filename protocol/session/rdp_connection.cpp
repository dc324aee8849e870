#include <janus/session/rdp_connection.hpp>

#include <janus/protocol/json_writer.hpp>
#include <janus/protocol/tcp_transport.hpp>
#include <janus/rt/executor.hpp>
#include <janus/rt/reply_cell.hpp>
#include <janus/rt/timer_queue.hpp>

#include <algorithm>
#include <atomic>
#include <coroutine>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace janus::session {

namespace detail {

using reply_cell = rt::reply_cell<protocol::rdp_owned_message>;

// One request waiting in its actor's queue. It holds one reference on the reply cell; the awaiter
// holds the other.
//
// @par Thread Safety
// `abandoned` is guarded by the core's mutex; the rest is immutable once queued.
struct rdp_pending {
  rdp_pending(reply_cell* c, std::string a, std::string t) : cell(c), actor(std::move(a)), type(std::move(t)) {}
  rdp_pending(const rdp_pending&) = delete;
  rdp_pending& operator=(const rdp_pending&) = delete;
  ~rdp_pending() { cell->release(); }

  reply_cell* cell;
  const std::string actor;
  const std::string type;
  // Cancelled or abandoned by its caller: kept in the queue so that its reply is consumed.
  bool abandoned = false;
};

// @par Thread Safety
// Guarded by the core's mutex.
struct rdp_actor_queue {
  std::deque<std::shared_ptr<rdp_pending>> fifo;
  // Why the actor is not trusted while requests that timed out are still in `fifo` (abandoned,
  // so that their late replies are consumed); empty while it is trusted.
  std::string poisoned;
  // The type of the last undeclared typed packet from this actor while requests waited: named in
  // a timeout's message, as it may have been the reply.
  std::string undeclared;
};

// @par Thread Safety
// `spec` is immutable once registered; the stream is thread-safe.
struct rdp_registration {
  rdp_subscription_spec spec;
  std::unique_ptr<rt::stream<rdp_event>> stream;

  bool wants(const protocol::rdp_owned_message& m) const {
    if (!spec.actor.empty()) {
      if (spec.actor_is_prefix ? !m.from().starts_with(spec.actor) : m.from() != spec.actor) return false;
    }
    return spec.type.empty() || spec.type == "*" || spec.type == m.type();
  }
};

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// The state shared by the handles, the request awaiters, the transport's handler and the launcher.
//
// @par Thread Safety
// All members may be called from any thread. The transport's callbacks come one at a time from the
// io thread; routing a packet happens either there or in the drain task, never both at once
// (draining_ decides, under backlog_mu_).
class rdp_core : public std::enable_shared_from_this<rdp_core> {
 public:
  rdp_core(rt::scheduler& sched, rdp_connection_options options)
      : sched_(sched),
        options_(std::move(options)),
        registry_(options_.registry ? options_.registry : &protocol::rdp_event_registry::firefox()),
        decoder_(protocol::rdp_decoder_options{.max_message_bytes = options_.limits.max_message_bytes,
                                               .keep_capacity_bytes = protocol::default_keep_capacity_bytes}) {}

  ~rdp_core() { close("the connection was destroyed", rt::errc::disconnected); }

  rt::scheduler& sched() const noexcept { return sched_; }
  const rdp_connection_options& options() const noexcept { return options_; }

  class handler final : public protocol::transport_handler {
   public:
    explicit handler(std::weak_ptr<rdp_core> core) : core_(std::move(core)) {}
    void on_message(std::string&& message) override {
      if (auto c = core_.lock()) c->on_message(std::move(message));
    }
    void on_closed(rt::error why) override {
      if (auto c = core_.lock()) c->on_closed(std::move(why));
    }

   private:
    std::weak_ptr<rdp_core> core_;
  };

  // --- greeting --------------------------------------------------------------------------------------

  /// Hands the first packet to `c` (which holds a reference for this) now if it has come, else when
  /// it comes, or fails it when the connection ends first.
  void wait_greeting(reply_cell* c) {
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
  void set_greeting(protocol::rdp_owned_message g) {
    std::lock_guard lk(mu_);
    greeting_ = std::move(g);
  }
  const protocol::rdp_owned_message& greeting() const { return greeting_; }

  void attach(std::shared_ptr<protocol::transport> t) {
    std::lock_guard lk(mu_);
    if (closed_) {
      t->close();
      return;
    }
    transport_ = std::move(t);
  }

  void set_exit_probe(std::function<bool()> probe) {
    std::lock_guard lk(mu_);
    exit_probe_ = std::move(probe);
  }

  // --- requests --------------------------------------------------------------------------------------

  /// Queues `p` on its actor and writes `text`, both under the lock, so that the wire order of two
  /// concurrent requests to one actor is their queue order. Returns false (and settles the cell)
  /// when it could not be sent.
  bool submit(const std::shared_ptr<rdp_pending>& p, std::string&& text, rt::deadline d) {
    std::lock_guard lk(mu_);
    // Cancelled, or the deadline fired, before the request could be queued: send nothing.
    if (p->cell->state() != rt::reply_cell_base::pending) return false;
    if (d.expired()) {
      p->cell->complete_error(not_sent(rt::errc::timeout, p->actor + " " + p->type + ": the deadline passed before sending"));
      return false;
    }
    if (closed_) {
      p->cell->complete_error(not_sent(closed_code_, closed_why_));
      return false;
    }
    rdp_actor_queue& q = queues_[p->actor];
    if (!q.poisoned.empty()) {
      p->cell->complete_error(not_sent(rt::errc::timeout, q.poisoned));
      return false;
    }
    if (!transport_) {
      p->cell->complete_error(not_sent(rt::errc::disconnected, "not connected"));
      return false;
    }
    rt::result<void> r = transport_->send(std::move(text));
    if (!r) {
      // The send queue holds 16k requests by default: far beyond any sane RDP pipelining, so a
      // refusal is reported rather than parked.
      p->cell->complete_error(not_sent(r.code(), "the transport refused the request: " + r.err().message));
      return false;
    }
    q.fifo.push_back(p);
    ++pending_;
    return true;
  }

  /// The request's deadline passed: poison its actor (see rdp_connection.hpp for why).
  void expire(const std::shared_ptr<rdp_pending>& p, std::chrono::milliseconds after) {
    std::vector<std::shared_ptr<rdp_pending>> others;
    {
      std::lock_guard lk(mu_);
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
      // has come the actor is trusted again (settle_reply).
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
  }

  /// The caller gave up (cancelled, or its frame is gone): the reply still has to be consumed.
  void abandon(const std::shared_ptr<rdp_pending>& p, rt::error why) {
    std::lock_guard lk(mu_);
    p->abandoned = true;
    why.sent = true;
    p->cell->complete_error(std::move(why));
  }

  bool poisoned(std::string_view actor) const {
    std::lock_guard lk(mu_);
    auto it = queues_.find(actor);
    return it != queues_.end() && !it->second.poisoned.empty();
  }

  void set_actor_type(std::string actor_id, std::string type_name) {
    std::lock_guard lk(mu_);
    actor_types_[std::move(actor_id)] = std::move(type_name);
  }

  // --- subscriptions ---------------------------------------------------------------------------------

  rt::result<rt::subscription<rdp_event>> subscribe(rdp_subscription_spec spec) {
    auto reg = std::make_shared<rdp_registration>();
    reg->spec = std::move(spec);
    reg->stream = std::make_unique<rt::stream<rdp_event>>(sched_);
    rt::subscription<rdp_event> sub = reg->stream->subscribe(reg->spec.capacity, reg->spec.policy);
    std::lock_guard lk(mu_);
    if (closed_) return rt::error{closed_code_ == rt::errc::browser_exited ? closed_code_ : rt::errc::disconnected, closed_why_};
    subs_.push_back(std::move(reg));
    return sub;
  }

  // --- lifecycle ---------------------------------------------------------------------------------------

  /// Ends the connection: every pending request (and a pending greeting) fails with `code`,
  /// subscriptions end, the transport is closed. The first cause wins.
  void close(std::string why, rt::errc code) {
    std::shared_ptr<protocol::transport> t;
    {
      std::lock_guard lk(mu_);
      closing_ = true;
      t = std::move(transport_);
    }
    fail_all(std::move(why), code);
    if (t) t->close();
  }

  bool connected() const {
    std::lock_guard lk(mu_);
    return transport_ && transport_->is_open();
  }

  rdp_stats stats() const {
    rdp_stats s;
    s.packets_in = packets_in_.load(std::memory_order_relaxed);
    s.replies = replies_.load(std::memory_order_relaxed);
    s.error_replies = error_replies_.load(std::memory_order_relaxed);
    s.events = events_.load(std::memory_order_relaxed);
    s.unmatched = unmatched_.load(std::memory_order_relaxed);
    s.discarded = discarded_.load(std::memory_order_relaxed);
    s.forwarding_cancelled = forwarding_cancelled_.load(std::memory_order_relaxed);
    s.poisoned_actors = poisoned_.load(std::memory_order_relaxed);
    s.bulk_packets = bulk_.load(std::memory_order_relaxed);
    s.read_pauses = read_pauses_.load(std::memory_order_relaxed);
    s.undeclared_events = undeclared_.load(std::memory_order_relaxed);
    s.recovered_actors = recovered_.load(std::memory_order_relaxed);
    std::lock_guard lk(mu_);
    s.pending = pending_;
    s.tracked_actors = queues_.size() + actor_types_.size();
    return s;
  }

 private:
  using msg_ptr = std::shared_ptr<const protocol::rdp_owned_message>;
  using reg_ptr = std::shared_ptr<rdp_registration>;

  struct backlog_item {
    msg_ptr msg;
    bool routed = false;
    std::vector<reg_ptr> remaining;  // block subscribers still owed this event
  };

  static rt::error not_sent(rt::errc code, std::string why) {
    rt::error e{code, std::move(why) + " (the request was not sent)"};
    e.sent = false;
    return e;
  }

  void fail_all(std::string why, rt::errc code) {
    std::vector<std::shared_ptr<rdp_pending>> failed;
    std::vector<reg_ptr> subs;
    reply_cell* greeting = nullptr;
    {
      std::lock_guard lk(mu_);
      if (closed_) return;
      closed_ = true;
      closed_code_ = code;
      closed_why_ = why;
      for (auto& [_, q] : queues_) {
        for (auto& p : q.fifo) failed.push_back(std::move(p));
        q.fifo.clear();
      }
      pending_ = 0;
      subs.swap(subs_);
      greeting = std::exchange(greeting_cell_, nullptr);
    }
    for (auto& p : failed) {
      rt::error e{code, p->actor + " " + p->type + ": " + why + " (the request was sent)"};
      e.sent = true;
      p->cell->complete_error(std::move(e));
    }
    if (greeting) {
      greeting->complete_error(rt::error{code, why});
      greeting->release();
    }
    // A dead browser is said so to every subscriber, so that a wait on an event stream ends with
    // the cause; a connection closed or lost ends them as before (errc::cancelled).
    for (auto& r : subs) {
      if (code == rt::errc::browser_exited) r->stream->close(rt::error{code, why});
      else r->stream->close();
    }
  }

  // io thread.
  void on_message(std::string&& text) {
    packets_in_.fetch_add(1, std::memory_order_relaxed);
    if (!text.empty() && text.front() == 'b') {
      // "bulk <actor> <type> <length>:<bytes>" only carries heap snapshots and profiles. It takes
      // the place of a JSON reply, so the request it answers must end here, not at its deadline.
      bulk_.fetch_add(1, std::memory_order_relaxed);
      const std::string_view header(text.data(), std::min<std::size_t>(text.size(), 512));
      const auto a = header.find(' ');
      const auto b = a == std::string_view::npos ? a : header.find(' ', a + 1);
      if (b != std::string_view::npos) fail_bulk(std::string(header.substr(a + 1, b - a - 1)));
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
    {
      std::lock_guard lk(backlog_mu_);
      if (draining_) {
        backlog_.push_back(backlog_item{std::move(msg), false, {}});
        pause();
        return;
      }
    }
    std::vector<reg_ptr> remaining;
    route(msg, remaining);
    if (remaining.empty()) return;
    {
      std::lock_guard lk(backlog_mu_);
      backlog_.push_back(backlog_item{std::move(msg), true, std::move(remaining)});
      draining_ = true;
    }
    read_pauses_.fetch_add(1, std::memory_order_relaxed);
    pause();
    sched_.spawn(drain());
  }

  void fail_bulk(const std::string& actor) {
    std::shared_ptr<rdp_pending> p;
    {
      std::lock_guard lk(mu_);
      auto it = queues_.find(actor);
      if (it == queues_.end() || it->second.fifo.empty()) {
        unmatched_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      p = std::move(it->second.fifo.front());
      it->second.fifo.pop_front();
      --pending_;
      drop_if_idle(it);
    }
    rt::error e{rt::errc::unsupported, p->actor + " " + p->type + ": the reply is a bulk packet, which rdp_connection does not read"};
    e.sent = true;
    p->cell->complete_error(std::move(e));
  }

  void pause() {
    std::lock_guard lk(mu_);
    if (transport_) transport_->pause_reading();
  }

  // Packets that arrived while a `block` subscriber was full, handled in arrival order; reading is
  // paused meanwhile, so the backlog holds at most what one read had taken in.
  rt::task<void> drain() {
    auto self = shared_from_this();
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
    std::lock_guard lk(mu_);
    if (transport_) transport_->resume_reading();
  }

  /// A declared event, a reply, or a packet whose `type` its actor declares neither as an event
  /// nor as a typed reply (rdp_event_registry::add_typed_reply). The last is taken for an event
  /// newer than the registry: taken for a reply, it would pair every later reply of its actor
  /// with the wrong request, silently; taken for an event while it was a reply, one request times
  /// out and says so.
  enum class packet_kind { reply, event, undeclared };
  packet_kind classify(const protocol::rdp_owned_message& m) {
    if (!m.error().empty() || m.type().empty()) return packet_kind::reply;
    if (m.from() == "root" && m.type() == "forwardingCancelled") return packet_kind::event;
    std::string type_name;
    {
      std::lock_guard lk(mu_);
      if (auto it = actor_types_.find(m.from()); it != actor_types_.end()) type_name = it->second;
    }
    if (type_name.empty()) type_name = protocol::rdp_actor_type_from_id(m.from());
    if (registry_->is_event(type_name, m.type())) return packet_kind::event;
    if (registry_->is_typed_reply(type_name, m.type())) return packet_kind::reply;
    return packet_kind::undeclared;
  }

  /// Routes one packet: a reply settles its request; an event goes to every subscriber that has
  /// room, and the `block` subscribers that are full are returned in `remaining`.
  void route(const msg_ptr& msg, std::vector<reg_ptr>& remaining) {
    const protocol::rdp_owned_message& m = *msg;
    const packet_kind kind = classify(m);
    if (kind == packet_kind::reply) {
      settle_reply(msg);
      return;
    }
    if (kind == packet_kind::undeclared) {
      undeclared_.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lk(mu_);
      if (auto it = queues_.find(m.from()); it != queues_.end()) it->second.undeclared = std::string(m.type());
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

  void cancel_prefix(std::string_view prefix) {
    forwarding_cancelled_.fetch_add(1, std::memory_order_relaxed);
    if (prefix.empty()) return;
    std::vector<std::shared_ptr<rdp_pending>> failed;
    {
      std::lock_guard lk(mu_);
      for (auto it = queues_.begin(); it != queues_.end();) {
        if (!protocol::actor_has_prefix(it->first, prefix)) {
          ++it;
          continue;
        }
        for (auto& p : it->second.fifo) failed.push_back(std::move(p));
        pending_ -= it->second.fifo.size();
        it = queues_.erase(it);  // the actors are gone; their ids answer noSuchActor from now on
      }
      std::erase_if(actor_types_, [&](const auto& kv) { return protocol::actor_has_prefix(kv.first, prefix); });
    }
    for (auto& p : failed) {
      rt::error e{rt::errc::target_closed, p->actor + " " + p->type + ": the target was torn down (forwardingCancelled " +
                                               std::string(prefix) + ") (the request was sent)"};
      e.sent = true;
      p->cell->complete_error(std::move(e));
    }
  }

  /// The request an overtaking reply answers (see protocol::is_overtaking_reply), else the oldest.
  static std::size_t pick(const rdp_actor_queue& q, const protocol::rdp_owned_message& m) {
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

  /// Drops an actor's queue once nothing waits in it: a connection meets thousands of short-lived
  /// actors (network events, walkers), and a poisoned actor whose late replies have all come is
  /// trusted again. Under mu_.
  template <class It>
  void drop_if_idle(It it) {
    if (!it->second.fifo.empty()) return;
    if (!it->second.poisoned.empty()) recovered_.fetch_add(1, std::memory_order_relaxed);
    queues_.erase(it);
  }

  void settle_reply(const msg_ptr& msg) {
    const protocol::rdp_owned_message& m = *msg;
    std::shared_ptr<rdp_pending> p;
    bool abandoned = false;
    {
      std::lock_guard lk(mu_);
      auto it = queues_.find(m.from());
      if (it == queues_.end() || it->second.fifo.empty()) {
        unmatched_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      rdp_actor_queue& q = it->second;
      const std::size_t at = pick(q, m);
      p = std::move(q.fifo[at]);
      q.fifo.erase(q.fifo.begin() + static_cast<std::ptrdiff_t>(at));
      --pending_;
      abandoned = p->abandoned;
      // noSuchActor: the actor is gone, and so is what was known about it.
      if (m.error() == "noSuchActor") {
        if (auto t = actor_types_.find(m.from()); t != actor_types_.end()) actor_types_.erase(t);
      }
      drop_if_idle(it);
    }
    if (abandoned) {
      discarded_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    replies_.fetch_add(1, std::memory_order_relaxed);
    if (!m.error().empty()) {
      error_replies_.fetch_add(1, std::memory_order_relaxed);
      std::string text = p->actor + " " + p->type + ": " + std::string(m.error());
      if (!m.message().empty()) text += ": " + std::string(m.message());
      rt::error e{rt::errc::protocol, std::move(text)};
      e.sent = true;
      p->cell->complete_error(std::move(e));
      return;
    }
    p->cell->complete_value(m);
  }

  // io thread: the transport ended.
  void on_closed(rt::error why) {
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

  rt::scheduler& sched_;
  const rdp_connection_options options_;
  const protocol::rdp_event_registry* registry_;
  protocol::rdp_decoder decoder_;  // io thread only
  protocol::rdp_owned_message greeting_;  // written once before the handle exists

  mutable std::mutex mu_;  // everything below, up to backlog_mu_
  std::shared_ptr<protocol::transport> transport_;
  std::unordered_map<std::string, rdp_actor_queue, string_hash, std::equal_to<>> queues_;
  std::unordered_map<std::string, std::string, string_hash, std::equal_to<>> actor_types_;
  std::vector<reg_ptr> subs_;
  std::size_t pending_ = 0;
  reply_cell* greeting_cell_ = nullptr;
  std::optional<protocol::rdp_owned_message> first_;
  bool greeted_ = false;
  bool closed_ = false;
  bool closing_ = false;
  rt::errc closed_code_ = rt::errc::disconnected;
  std::string closed_why_;
  std::function<bool()> exit_probe_;

  std::mutex backlog_mu_;
  std::deque<backlog_item> backlog_;
  bool draining_ = false;

  std::atomic<std::uint64_t> packets_in_{0}, replies_{0}, error_replies_{0}, events_{0}, unmatched_{0}, discarded_{0},
      forwarding_cancelled_{0}, poisoned_{0}, bulk_{0}, read_pauses_{0}, undeclared_{0}, recovered_{0};
};

}  // namespace detail

namespace {

using detail::reply_cell;
using detail::rdp_core;
using detail::rdp_pending;

/// Waits on a reply cell: `start(cell)` hands the cell (with a reference of its own) to whoever
/// completes it; the cell's own timer bounds the wait. `start` is a plain function pointer plus a
/// shared state, so that nothing it uses lives in the waiting frame: once the timer is armed the
/// frame may be resumed, and destroyed, on another thread before `start` has returned.
///
/// @par Thread Safety
/// Awaited once, by one coroutine.
template <class T, class State>
class cell_awaiter {
 public:
  using cell = rt::reply_cell<T>;
  using start_fn = void (*)(const std::shared_ptr<State>&, cell*);
  cell_awaiter(rt::scheduler& sched, rt::deadline d, std::shared_ptr<State> state, start_fn start)
      : sched_(sched), deadline_(d), state_(std::move(state)), start_(start) {}
  cell_awaiter(const cell_awaiter&) = delete;
  cell_awaiter& operator=(const cell_awaiter&) = delete;
  ~cell_awaiter() {
    if (!cell_) return;
    cell_->abandon();
    finish();
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    cell* c = cell::create();  // one reference for us, one for start
    cell_ = c;
    c->ex = rt::current_executor();
    if (!c->ex) c->ex = &sched_;
    c->resume.handle = h;
    const std::shared_ptr<State> state = state_;
    const start_fn start = start_;
    if (!deadline_.is_never()) {
      c->timer.when = deadline_.at();
      armed_ = true;
      sched_.add_timer(c->timer);
    }
    start(state, c);
  }
  rt::result<T> await_resume() {
    rt::result<T> r = cell_->take();
    finish();
    return r;
  }

 private:
  void finish() {
    if (armed_) sched_.timers().cancel(cell_->timer);
    armed_ = false;
    std::exchange(cell_, nullptr)->release();
  }
  rt::scheduler& sched_;
  rt::deadline deadline_;
  std::shared_ptr<State> state_;
  start_fn start_;
  cell* cell_ = nullptr;
  bool armed_ = false;
};

// @par Thread Safety
// Immutable once the connect has started.
struct tcp_connect_args {
  rt::scheduler* sched = nullptr;
  std::string host;
  std::uint16_t port = 0;
  std::string unix_path;  // set: a Unix domain socket instead of host:port
  std::shared_ptr<protocol::transport_handler> handler;
  protocol::tcp_options options;
};

void start_tcp_connect(const std::shared_ptr<tcp_connect_args>& a, rt::reply_cell<std::shared_ptr<protocol::transport>>* c) {
  auto done = [c](rt::result<std::shared_ptr<protocol::transport>> r) {
    // Abandoned (the waiting frame is gone): the transport is dropped here, which closes it.
    if (r) c->complete_value(std::move(*r));
    else c->complete_error(std::move(r).err());
    c->release();
  };
  if (!a->unix_path.empty())
    protocol::connect_unix(a->sched->io(), a->unix_path, a->handler, std::move(done), a->options,
                           protocol::make_rdp_stream_framer());
  else
    protocol::connect_tcp(a->sched->io(), a->host, a->port, a->handler, std::move(done), a->options,
                          protocol::make_rdp_stream_framer());
}

void start_greeting_wait(const std::shared_ptr<rdp_core>& core, reply_cell* c) { core->wait_greeting(c); }

/// One request: registered in its actor's queue, written, then resumed exactly once by its reply,
/// its deadline, its cancellation or the connection's end.
///
/// @par Thread Safety
/// Awaited once, by one coroutine.
class request_awaiter {
 public:
  request_awaiter(std::shared_ptr<rdp_core> core, std::string actor, std::string type, std::string text,
                  rdp_request_options options)
      : core_(std::move(core)),
        actor_(std::move(actor)),
        type_(std::move(type)),
        text_(std::move(text)),
        options_(std::move(options)) {}
  request_awaiter(const request_awaiter&) = delete;
  request_awaiter& operator=(const request_awaiter&) = delete;
  ~request_awaiter() {
    if (!cell_) return;
    // The caller's frame is being destroyed while waiting: nobody may resume it, and its reply
    // must still be consumed when it comes.
    cell_->abandon();
    if (entry_) core_->abandon(entry_, rt::error{rt::errc::cancelled, "the caller went away"});
    cleanup();
  }

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    reply_cell* c = reply_cell::create();  // one reference for us, one for the queue entry
    cell_ = c;
    c->ex = rt::current_executor();
    if (!c->ex) c->ex = &core_->sched();
    c->resume.handle = h;
    entry_ = std::make_shared<rdp_pending>(c, actor_, type_);
    const auto timeout = core_->options().default_timeout;
    const rt::deadline d = options_.deadline ? *options_.deadline : rt::deadline(timeout);
    after_ = options_.deadline ? std::chrono::duration_cast<std::chrono::milliseconds>(d.at() - rt::clock::now())
                               : timeout;
    // Armed before the request is queued: once it is, a reply may resume us on another thread at
    // once, and nothing here may be touched any more. submit() covers a deadline or a cancel that
    // fires first.
    std::shared_ptr<rdp_core> core = core_;
    std::shared_ptr<rdp_pending> entry = entry_;
    std::string text = std::move(text_);
    if (!d.is_never()) {
      timer_.when = d.at();
      timer_.owner = this;
      timer_.fire = &on_deadline;
      armed_ = true;
      core_->sched().add_timer(timer_);
    }
    if (options_.cancel.can_be_cancelled()) {
      options_.cancel.on_cancel(cancel_reg_, [this] {
        core_->abandon(entry_, rt::error{rt::errc::cancelled, actor_ + " " + type_ + ": cancelled by the caller"});
      });
    }
    // The cancellation may already have resumed us on another thread (and destroyed this
    // awaiter): from here on only locals.
    (void)core->submit(entry, std::move(text), d);
    return true;
  }

  rt::result<protocol::rdp_owned_message> await_resume() {
    rt::result<protocol::rdp_owned_message> r = cell_->take();
    cleanup();
    return r;
  }

 private:
  struct deadline_node : rt::timer_queue::node {
    request_awaiter* owner = nullptr;
  };
  static void on_deadline(rt::timer_queue::node* n) noexcept {
    request_awaiter* self = static_cast<deadline_node*>(n)->owner;
    self->core_->expire(self->entry_, std::max(self->after_, std::chrono::milliseconds(0)));
  }
  void cleanup() noexcept {
    if (armed_) {
      core_->sched().timers().cancel(timer_);
      armed_ = false;
    }
    cancel_reg_.reset();
    entry_.reset();
    if (reply_cell* c = std::exchange(cell_, nullptr)) c->release();
  }

  std::shared_ptr<rdp_core> core_;
  std::string actor_;
  std::string type_;
  std::string text_;
  rdp_request_options options_;
  reply_cell* cell_ = nullptr;
  std::shared_ptr<rdp_pending> entry_;
  std::chrono::milliseconds after_{0};
  deadline_node timer_;
  bool armed_ = false;
  rt::cancel_registration cancel_reg_;
};

rt::result<std::string> encode_request(std::string_view actor, std::string_view type, std::string_view params) {
  // Members of a JSON object, spliced into the packet after "to" and "type".
  std::size_t b = 0, e = params.size();
  while (b < e && (params[b] == ' ' || params[b] == '\n' || params[b] == '\t' || params[b] == '\r')) ++b;
  while (e > b && (params[e - 1] == ' ' || params[e - 1] == '\n' || params[e - 1] == '\t' || params[e - 1] == '\r')) --e;
  std::string_view inner;
  if (b < e) {
    if (params[b] != '{' || params[e - 1] != '}' || e - b < 2)
      return rt::error{rt::errc::invalid_argument, std::string(actor) + " " + std::string(type) +
                                                       ": the params must be a JSON object (the request was not sent)"};
    inner = params.substr(b + 1, e - b - 2);
  }
  protocol::json_writer w;
  w.begin_object();
  w.key("to");
  w.string(actor);
  w.key("type");
  w.string(type);
  w.end_object();
  if (!w.ok())
    return rt::error{rt::errc::invalid_argument, std::string(actor) + " " + std::string(type) + ": " +
                                                     std::string(w.error_message()) + " (the request was not sent)"};
  std::string out = w.take();
  bool blank = true;
  for (char c : inner)
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') blank = false;
  if (!blank) {
    out.pop_back();
    out += ',';
    out += inner;
    out += '}';
  }
  return out;
}

}  // namespace

// --- rdp_connection ------------------------------------------------------------------------------------

struct rdp_connection::owner {
  std::shared_ptr<rdp_core> core;
  ~owner() { core->close("the connection was closed (its last handle was destroyed)", rt::errc::disconnected); }
};

rdp_connection::rdp_connection(std::shared_ptr<detail::rdp_core> core)
    : owner_(std::make_shared<owner>()), core_(std::move(core)) {
  owner_->core = core_;
}

rt::task<rt::result<rdp_connection>> rdp_connection::connect(rt::scheduler& sched, std::string host, std::uint16_t port,
                                                             rdp_connection_options options) {
  return connect_core(std::make_shared<rdp_core>(sched, std::move(options)), std::move(host), port, std::string());
}

rt::task<rt::result<rdp_connection>> rdp_connection::connect_unix(rt::scheduler& sched, std::string path,
                                                                  rdp_connection_options options) {
  return connect_core(std::make_shared<rdp_core>(sched, std::move(options)), std::string(), 0, std::move(path));
}

rt::task<rt::result<rdp_connection>> rdp_connection::connect_unix(rt::scheduler& sched, std::string path) {
  return connect_unix(sched, std::move(path), rdp_connection_options{});
}

rt::task<rt::result<rdp_connection>> rdp_connection::connect(rt::scheduler& sched, std::string host, std::uint16_t port) {
  return connect(sched, std::move(host), port, rdp_connection_options{});
}

rt::task<rt::result<rdp_connection>> rdp_connection::connect_core(std::shared_ptr<detail::rdp_core> core, std::string host,
                                                                  std::uint16_t port, std::string unix_path) {
  rt::scheduler& sched = core->sched();
  const rt::deadline d(core->options().connect_timeout);
  const std::string where = unix_path.empty() ? host + ":" + std::to_string(port) : "unix:" + unix_path;
  auto args = std::make_shared<tcp_connect_args>();
  args->sched = &sched;
  args->host = host;
  args->port = port;
  args->unix_path = unix_path;
  args->handler = std::make_shared<rdp_core::handler>(core);
  args->options.limits = core->options().limits;
  args->options.connect_timeout = core->options().connect_timeout;
  args->options.close_timeout = core->options().close_timeout;
  rt::result<std::shared_ptr<protocol::transport>> t =
      co_await cell_awaiter<std::shared_ptr<protocol::transport>, tcp_connect_args>(sched, rt::deadline::never(), args,
                                                                                     &start_tcp_connect);
  if (!t) {
    core->close("connecting failed", rt::errc::disconnected);
    rt::error e = std::move(t).err();
    e.message = "connecting to the debugger server at " + where + " failed: " + e.message;
    co_return e;
  }
  core->attach(std::move(*t));

  rt::result<protocol::rdp_owned_message> g =
      co_await cell_awaiter<protocol::rdp_owned_message, rdp_core>(sched, d, core, &start_greeting_wait);
  if (!g) {
    core->close("no greeting", rt::errc::disconnected);
    rt::error e = std::move(g).err();
    e.message = "no greeting from the debugger server at " + where + ": " + e.message;
    co_return e;
  }
  if (g->from() != "root" || g->json().find("\"applicationType\"") == std::string_view::npos) {
    core->close("not a debugger server", rt::errc::protocol);
    co_return rt::error{rt::errc::protocol,
                        "the server at " + where + " did not greet like Firefox's debugger server: " + std::string(g->json().substr(0, 200))};
  }
  core->set_greeting(std::move(*g));
  co_return rdp_connection(std::move(core));
}

namespace {

rt::task<rt::result<protocol::rdp_owned_message>> request_impl(std::shared_ptr<rdp_core> core, std::string actor,
                                                               std::string type, std::string params_json,
                                                               rdp_request_options options) {
  rt::result<std::string> text = encode_request(actor, type, params_json);
  if (!text) co_return std::move(text).err();
  co_return co_await request_awaiter(std::move(core), std::move(actor), std::move(type), std::move(*text), std::move(options));
}

rt::task<rt::result<protocol::json_value>> request_json_impl(std::shared_ptr<rdp_core> core, std::string actor,
                                                             std::string type, protocol::json_value params,
                                                             rdp_request_options options) {
  if (!params.is_null() && !params.is_object())
    co_return rt::error{rt::errc::invalid_argument, actor + " " + type + ": the params must be a JSON object (the request was not sent)"};
  std::string p = params.is_null() ? std::string() : params.dump();
  rt::result<protocol::rdp_owned_message> r =
      co_await request_impl(std::move(core), std::move(actor), std::move(type), std::move(p), std::move(options));
  if (!r) co_return std::move(r).err();
  co_return protocol::json_value::parse(r->json());
}

}  // namespace

rt::task<rt::result<protocol::rdp_owned_message>> rdp_connection::request(std::string actor, std::string type,
                                                                          std::string params_json,
                                                                          rdp_request_options options) const {
  return request_impl(core_, std::move(actor), std::move(type), std::move(params_json), std::move(options));
}

rt::task<rt::result<protocol::json_value>> rdp_connection::request_json(std::string actor, std::string type,
                                                                        protocol::json_value params,
                                                                        rdp_request_options options) const {
  return request_json_impl(core_, std::move(actor), std::move(type), std::move(params), std::move(options));
}

rt::task<rt::result<protocol::rdp_owned_message>> rdp_connection::request(std::string actor, std::string type,
                                                                          std::string params_json) const {
  return request(std::move(actor), std::move(type), std::move(params_json), rdp_request_options{});
}

rt::task<rt::result<protocol::rdp_owned_message>> rdp_connection::request(std::string actor, std::string type) const {
  return request(std::move(actor), std::move(type), std::string(), rdp_request_options{});
}

rt::task<rt::result<protocol::json_value>> rdp_connection::request_json(std::string actor, std::string type,
                                                                        protocol::json_value params) const {
  return request_json(std::move(actor), std::move(type), std::move(params), rdp_request_options{});
}

rt::task<rt::result<protocol::json_value>> rdp_connection::request_json(std::string actor, std::string type) const {
  return request_json(std::move(actor), std::move(type), protocol::json_value::object(), rdp_request_options{});
}

rt::result<rt::subscription<rdp_event>> rdp_connection::subscribe(rdp_subscription_spec spec) const {
  return core_->subscribe(std::move(spec));
}

void rdp_connection::set_actor_type(std::string actor_id, std::string type_name) const {
  core_->set_actor_type(std::move(actor_id), std::move(type_name));
}

const protocol::rdp_owned_message& rdp_connection::greeting() const { return core_->greeting(); }
bool rdp_connection::poisoned(std::string_view actor) const { return core_->poisoned(actor); }
void rdp_connection::close() const { core_->close("the connection was closed by its user", rt::errc::disconnected); }
std::function<void(std::string, rt::errc)> rdp_connection::failer() const {
  std::weak_ptr<rdp_core> weak = core_;
  return [weak](std::string why, rt::errc code) {
    if (auto c = weak.lock()) c->close(std::move(why), code);
  };
}

void rdp_connection::set_exit_probe(std::function<bool()> probe) const { core_->set_exit_probe(std::move(probe)); }

bool rdp_connection::connected() const { return core_->connected(); }
rdp_stats rdp_connection::stats() const { return core_->stats(); }

}  // namespace janus::session
