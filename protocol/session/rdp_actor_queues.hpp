// The requests an RDP connection waits on, one FIFO per actor: the RDP counterpart of
// pending_requests (which pairs CDP replies by id). RDP packets carry no ids: a reply is the next
// non-event packet from the actor the request went to, and an actor answers in the order it was
// asked (see janus/session/rdp_connection.hpp for the rules this table applies: overtaking
// replies, poisoned actors, abandoned requests).
//
// Private to protocol/session/ (not installed): only rdp_core uses it.
//
// @par Thread Safety
// rdp_actor_queues has no lock of its own: its owner (rdp_core) calls every member that touches the
// table under its one mutex, because queueing a request and writing it to the transport must be one
// step (the wire order of two requests to one actor is then their queue order). The exceptions,
// settle() and fail_sent(), touch only a taken entry and atomic counters and are called without
// the lock. The counters are atomics, read without the lock.
#pragma once

#include <janus/protocol/rdp_codec.hpp>
#include <janus/rt/reply_cell.hpp>
#include <janus/rt/result.hpp>
#include <janus/session/rdp_connection.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace janus::session::detail {

using reply_cell = rt::reply_cell<protocol::rdp_owned_message>;

// One request waiting in its actor's queue. It holds one reference on the reply cell; the awaiter
// holds the other.
//
// @par Thread Safety
// `abandoned` is guarded by the owner's mutex; the rest is immutable once queued.
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

using rdp_entry = std::shared_ptr<rdp_pending>;

// @par Thread Safety
// Guarded by the owner's mutex.
struct rdp_actor_queue {
  std::deque<rdp_entry> fifo;
  // Why the actor is not trusted while requests that timed out are still in `fifo` (abandoned,
  // so that their late replies are consumed); empty while it is trusted.
  std::string poisoned;
  // The type of the last undeclared typed packet from this actor while requests waited: named in
  // a timeout's message, as it may have been the reply.
  std::string undeclared;
};

/// An error for a request that never reached the wire.
rt::error rdp_not_sent(rt::errc code, std::string why);

class rdp_actor_queues {
 public:
  /// A request taken off its queue by its reply. `abandoned` is read under the lock: the caller's
  /// cancellation may set it at any time before.
  struct taken {
    rdp_entry entry;
    bool abandoned = false;
  };

  /// Queues `p` on its actor once `send()` (a bool() callable that writes it, and settles the cell
  /// when it cannot) succeeded. Refused, with the cell failed, when the actor is poisoned. Under
  /// the lock, the whole of it: see the top of this file.
  template <class Send>
  bool push_sent(const rdp_entry& p, Send&& send) {
    auto [it, fresh] = queues_.try_emplace(p->actor);
    rdp_actor_queue& q = it->second;
    if (!q.poisoned.empty()) {
      p->cell->complete_error(rdp_not_sent(rt::errc::timeout, q.poisoned));
      return false;
    }
    if (!send()) {
      // Nothing waits in a queue made for this request: drop it, as drop_if_idle would.
      if (fresh) queues_.erase(it);
      return false;
    }
    q.fifo.push_back(p);
    ++pending_;
    return true;
  }

  /// The request's deadline (`after` from when it was sent) passed: poisons its actor, fails it
  /// and the actor's other waiting requests with errc::timeout, and keeps them all queued,
  /// abandoned, so that their late replies are consumed. Under the lock.
  void expire(const rdp_entry& p, std::chrono::milliseconds after);
  /// The caller gave up: the request stays queued (its reply must be consumed) and fails with
  /// `why`. Under the lock.
  static void abandon(const rdp_entry& p, rt::error why);

  /// The request `m` answers (an overtaking reply's, else the oldest), taken off its queue; an
  /// empty entry (counted unmatched) when nothing waits on `m`'s actor. Under the lock.
  taken take_reply(const protocol::rdp_owned_message& m);
  /// The oldest request on `actor`, taken (counted unmatched when there is none): a bulk packet
  /// answered it. Under the lock.
  rdp_entry take_front(std::string_view actor);
  /// Every request, taken; the table is left empty. Under the lock.
  void take_all(std::vector<rdp_entry>& out);
  /// The requests of every actor under `prefix`, taken with their queues (those actors are gone).
  /// Under the lock.
  void take_prefix(std::string_view prefix, std::vector<rdp_entry>& out);
  /// Remembers an undeclared packet type of an actor with requests waiting. Under the lock.
  void note_undeclared(std::string_view actor, std::string_view type);

  /// Hands a taken request its reply (an `error` reply fails it with errc::protocol), or drops the
  /// reply of an abandoned one. Without the lock.
  void settle(const taken& t, const protocol::rdp_owned_message& m);
  /// Fails a request that was sent, with "<actor> <type>: <why> (the request was sent)". Without
  /// the lock.
  static void fail_sent(const rdp_entry& p, rt::errc code, std::string_view why);

  bool poisoned(std::string_view actor) const;  // under the lock
  std::size_t pending() const noexcept { return pending_; }  // under the lock
  std::size_t actors() const noexcept { return queues_.size(); }  // under the lock
  /// The counters this table keeps (replies, error_replies, unmatched, discarded, poisoned_actors,
  /// recovered_actors). Without the lock.
  void add_counters(rdp_stats& s) const noexcept;

 private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using table = std::unordered_map<std::string, rdp_actor_queue, string_hash, std::equal_to<>>;

  void drop_if_idle(table::iterator it);

  table queues_;
  std::size_t pending_ = 0;
  std::atomic<std::uint64_t> replies_{0}, error_replies_{0}, unmatched_{0}, discarded_{0}, poisoned_{0}, recovered_{0};
};

}  // namespace janus::session::detail
