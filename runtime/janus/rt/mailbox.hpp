// A bounded multi-producer, single-consumer queue: the shape of every actor's mailbox.
//
// - try_push() refuses when full (the caller gets mailbox_full);
// - push_or_wait() parks a sender in a FIFO wait list when full; when the consumer frees a slot it
//   moves the first waiter's item into the queue itself (hand-off), so a waiting sender never loses
//   its turn to a newcomer and FIFO order per sender holds;
// - close() refuses every later push, fails every waiting sender and hands back what was queued,
//   so that the owner can fail the asks among it.
// Push reports whether the queue went from empty to non-empty, so the owner schedules its reader
// exactly once.
//
// Storage is a ring allocated once at construction: pushing and popping never allocate.
//
// How it stays cheap: a push with room and nobody waiting takes no lock. It reserves a position
// with one compare-exchange on the tail, fills the slot and marks it ready with the position (per
// slot sequence numbers, as in Vyukov's bounded queue), so producers racing each other fill their
// slots in parallel and the consumer reads each slot only once it is ready. The tail word also
// carries two flags, "closed" and "senders are waiting": a producer's compare-exchange fails once
// either is set, so a newcomer can never slip in ahead of a parked sender or after a close. Only
// the slow paths (parking, hand-off, removing a waiter, close) take the mutex.
//
// @par Thread Safety
// push_or_wait/try_push/remove_waiter/size/high_water/closed from any thread; pop/pop_batch/close
// from the single consumer only.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>


namespace janus::rt {

enum class push_status : unsigned char { queued, queued_woke, full, waiting, closed };

template <class T>
class mailbox {
  // A push reserves its slot first and fills it after, and pop_batch / close / hand-off move items
  // between slots and out: a move that threw would leave a slot reserved and never filled, where
  // the consumer (and close()) would wait for it forever, or an item half taken. So moving an
  // item must not throw, and this is checked where the type is chosen, not discovered at run time.
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "janus::rt::mailbox<T>: T must be nothrow move constructible (a move that throws after "
                "its slot was reserved would stall the mailbox for good); for an actor, every "
                "alternative of its `message` variant must have a noexcept move constructor");

 public:
  /// A sender parked while the mailbox is full. Lives in the sender's awaiter.
  struct waiter {
    waiter* next = nullptr;
    waiter* prev = nullptr;
    T* item = nullptr;     // moved into the queue on hand-off
    void* owner = nullptr;  // the awaiter this waiter belongs to, for on_settled
    /// Called under the mailbox's lock once the waiter is settled (outcome queued or closed).
    /// Because it runs under the lock, a waiter being destroyed (which removes itself under the
    /// same lock) can never be settled after it is gone.
    void (*on_settled)(waiter&) noexcept = nullptr;
    bool linked = false;
    push_status outcome = push_status::waiting;
  };

  explicit mailbox(std::size_t capacity)
      : cap_(capacity == 0 ? 1 : capacity),
        mask_(std::bit_ceil(cap_) - 1),
        slots_(std::make_unique<slot[]>(mask_ + 1)) {}
  mailbox(const mailbox&) = delete;
  mailbox& operator=(const mailbox&) = delete;
  ~mailbox() {
    const std::uint64_t end = tail_.load(std::memory_order_acquire) & pos_mask;
    for (std::uint64_t h = head_.load(std::memory_order_relaxed); h != end; ++h) {
      slot& s = slots_[h & mask_];
      if (s.seq.load(std::memory_order_acquire) == h + 1) s.item()->~T();
    }
  }

  std::size_t capacity() const noexcept { return cap_; }
  std::size_t size() const noexcept {
    // Head first: it never passes the tail, so the difference cannot go negative. Both loads are
    // seq_cst because the owner's end-of-turn check relies on seeing a racing push (see fill()).
    // Another thread (a metrics reader) can see the head go stale while the consumer takes and
    // senders refill between the two loads, which would overstate the depth beyond capacity:
    // re-read the head until it held still across the tail's load, then trust the difference.
    std::uint64_t h = head_.load(std::memory_order_seq_cst);
    for (int attempt = 0;; ++attempt) {
      const std::uint64_t t = tail_.load(std::memory_order_seq_cst) & pos_mask;
      const std::uint64_t h2 = head_.load(std::memory_order_seq_cst);
      if (h2 == h) return static_cast<std::size_t>(t - h);
      // Under sustained churn, give up on an exact snapshot; the depth never exceeds capacity.
      if (attempt == 8) return std::min(static_cast<std::size_t>(t - h), cap_);
      h = h2;
    }
  }
  std::size_t high_water() const noexcept { return hwm_.load(std::memory_order_relaxed); }
  bool closed() const noexcept { return (tail_.load(std::memory_order_acquire) & closed_bit) != 0; }

  /// Queue `v` if there is room. On full or closed, `v` is left untouched.
  push_status try_push(T& v) { return reserve_and_fill(std::move(v)); }

  /// Construct the item in its slot from `args` if there is room; on full or closed nothing is
  /// constructed (so rvalue arguments are left untouched). Building the item straight in the
  /// ring spares the sender a copy through its own frame, where a message written field by field
  /// and read back whole stalls store-to-load forwarding.
  ///
  /// Only a constructor that cannot throw runs in the slot: a slot reserved and then never
  /// filled would stop the consumer there for good. Otherwise the item is built first and moved
  /// in, and a refused push has then used up rvalue arguments.
  template <class... A>
  push_status try_emplace(A&&... args) {
    if constexpr (std::is_nothrow_constructible_v<T, A&&...>) {
      return reserve_and_fill(std::forward<A>(args)...);
    } else {
      T item(std::forward<A>(args)...);
      return reserve_and_fill(std::move(item));
    }
  }

  /// Queue `*w.item`, or park `w` until there is room (then status waiting is returned; the
  /// consumer moves the item in later and calls w.on_settled).
  push_status push_or_wait(waiter& w) {
    if (const push_status s = try_push(*w.item); s != push_status::full) return s;
    std::lock_guard lk(mu_);
    std::uint64_t t = tail_.load(std::memory_order_seq_cst);
    for (;;) {
      if (t & closed_bit) return push_status::closed;
      if (t & waiters_bit) return park(w);
      const std::uint64_t h = head_.load(std::memory_order_seq_cst);
      if (static_cast<std::int64_t>(t - h) < static_cast<std::int64_t>(cap_)) {
        if (tail_.compare_exchange_weak(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
          return fill(t, std::move(*w.item));
        continue;
      }
      if (!tail_.compare_exchange_weak(t, t | waiters_bit, std::memory_order_seq_cst, std::memory_order_relaxed))
        continue;
      // The flag is up: producers now queue behind us. But the consumer may have freed a slot
      // after our check and, not seeing the flag yet, will not hand off: look once more. (Either
      // it sees the flag after its pop, or we see its pop here.)
      if (t - head_.load(std::memory_order_seq_cst) < cap_) {
        // Nobody else waits (the flag was down), and while it is up only the lock holder moves
        // the tail: take the slot and drop the flag in one store.
        tail_.store(t + 1, std::memory_order_seq_cst);
        return fill(t, std::move(*w.item));
      }
      return park(w);
    }
  }

  /// Unpark a waiter that gave up (its coroutine was destroyed, or its ask timed out). Returns the
  /// waiter's outcome: waiting if it was removed still unsent, otherwise queued or closed.
  push_status remove_waiter(waiter& w) noexcept {
    std::lock_guard lk(mu_);
    if (!w.linked) return w.outcome;
    unlink(w);
    if (!head_waiter_) tail_.fetch_and(~waiters_bit, std::memory_order_seq_cst);
    return push_status::waiting;
  }

  /// Consumer: take the oldest item. Frees a slot, which may hand off a waiting sender's item.
  std::optional<T> pop() {
    std::optional<T> out;
    pop_batch(&out, 1);
    return out;
  }

  /// Consumer: take up to `max` of the oldest items into out[0..n) (the freed slots may hand off
  /// waiting senders' items). Returns n. A slot reserved by a producer that has not finished
  /// filling it ends the batch: the owner's end-of-turn check sees it counted in size() and
  /// schedules another turn.
  std::size_t pop_batch(std::optional<T>* out, std::size_t max) {
    std::uint64_t h = head_.load(std::memory_order_relaxed);  // only the consumer moves it
    std::size_t n = 0;
    while (n < max) {
      slot& s = slots_[h & mask_];
      if (s.seq.load(std::memory_order_acquire) != h + 1) break;
      T* item = s.item();
      out[n++].emplace(std::move(*item));
      item->~T();
      ++h;
    }
    if (n == 0) return 0;
    // One publication per batch. seq_cst pairs with the parking sender's flag-then-recheck.
    head_.store(h, std::memory_order_seq_cst);
    if (tail_.load(std::memory_order_seq_cst) & waiters_bit) hand_off();
    return n;
  }

  /// Consumer: refuse all further pushes. Waiting senders are settled as closed and resumed; the
  /// queued items are passed to `drain` one by one (outside the lock) so the owner can fail them.
  template <class F>
  void close(F&& drain) {
    std::uint64_t end;
    {
      std::lock_guard lk(mu_);
      end = tail_.fetch_or(closed_bit, std::memory_order_seq_cst) & pos_mask;
      while (head_waiter_) {
        waiter* w = head_waiter_;
        unlink(*w);
        w->outcome = push_status::closed;
        if (w->on_settled) w->on_settled(*w);
      }
    }
    std::uint64_t h = head_.load(std::memory_order_relaxed);
    for (; h != end; ++h) {
      slot& s = slots_[h & mask_];
      // A producer that reserved this slot before the close is still filling it: a few
      // instructions away, unless it was preempted in between.
      while (s.seq.load(std::memory_order_acquire) != h + 1) std::this_thread::yield();
      T* item = s.item();
      drain(*item);
      item->~T();
    }
    head_.store(end, std::memory_order_seq_cst);
  }

 private:
  struct slot {
    std::atomic<std::uint64_t> seq{0};  // position + 1 once the item for that position is in
    alignas(T) unsigned char bytes[sizeof(T)];
    T* item() noexcept { return std::launder(reinterpret_cast<T*>(bytes)); }
  };

  // Positions count up forever (2^62 pushes outlast any process); the top bits are flags.
  static constexpr std::uint64_t closed_bit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t waiters_bit = std::uint64_t{1} << 62;
  static constexpr std::uint64_t pos_mask = waiters_bit - 1;

  /// The fast path of every push: reserve a position with one compare-exchange, then fill it.
  template <class... A>
  push_status reserve_and_fill(A&&... args) {
    std::uint64_t t = tail_.load(std::memory_order_relaxed);
    for (;;) {
      if (t & closed_bit) return push_status::closed;
      if (t & waiters_bit) return push_status::full;  // behind the parked senders
      const std::uint64_t h = head_.load(std::memory_order_seq_cst);
      // Signed: a stale tail may lag a fresh head; the compare-exchange then fails and reloads.
      if (static_cast<std::int64_t>(t - h) >= static_cast<std::int64_t>(cap_)) return push_status::full;
      if (tail_.compare_exchange_weak(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
        return fill(t, std::forward<A>(args)...);
    }
  }

  /// Put `v` in the slot reserved at position `pos` and make it visible to the consumer.
  ///
  /// Reports queued_woke when the consumer had taken everything before `pos`. The head is read
  /// after the (seq_cst) reservation, and the owner's end-of-turn check clears its scheduled flag
  /// and then reads size() (seq_cst): so either this push sees the consumer caught up and
  /// schedules it, or that check sees this push and schedules another turn. Nothing is stranded.
  template <class... A>
  push_status fill(std::uint64_t pos, A&&... args) {
    slot& s = slots_[pos & mask_];
    ::new (static_cast<void*>(s.bytes)) T(std::forward<A>(args)...);
    s.seq.store(pos + 1, std::memory_order_release);
    const std::uint64_t h = head_.load(std::memory_order_seq_cst);
    if (h > pos) return push_status::queued;  // already taken
    const std::size_t depth = static_cast<std::size_t>(pos + 1 - h);
    std::size_t hw = hwm_.load(std::memory_order_relaxed);
    while (depth > hw && !hwm_.compare_exchange_weak(hw, depth, std::memory_order_relaxed)) {
    }
    return h == pos ? push_status::queued_woke : push_status::queued;
  }

  /// Under the lock, with the waiters flag up: only the lock holder moves the tail now.
  push_status park(waiter& w) noexcept {
    w.linked = true;
    w.outcome = push_status::waiting;
    w.next = nullptr;
    w.prev = tail_waiter_;
    if (tail_waiter_) tail_waiter_->next = &w;
    else head_waiter_ = &w;
    tail_waiter_ = &w;
    return push_status::waiting;
  }

  /// Consumer, after freeing slots while the waiters flag was up: move waiters' items into the
  /// freed slots in FIFO order, and drop the flag once nobody waits.
  void hand_off() {
    std::lock_guard lk(mu_);
    std::uint64_t t = tail_.load(std::memory_order_seq_cst);
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    while (head_waiter_ && !(t & closed_bit) && (t & pos_mask) - h < cap_) {
      waiter* w = head_waiter_;
      unlink(*w);
      tail_.store(t + 1, std::memory_order_seq_cst);  // the flag stays up: it is in t
      // Not woken: the consumer is inside its turn and will see the item.
      (void)fill(t & pos_mask, std::move(*w->item));
      ++t;
      w->outcome = push_status::queued;
      if (w->on_settled) w->on_settled(*w);
    }
    if (!head_waiter_ && (t & waiters_bit)) tail_.fetch_and(~waiters_bit, std::memory_order_seq_cst);
  }

  void unlink(waiter& w) noexcept {
    if (w.prev) w.prev->next = w.next;
    else head_waiter_ = w.next;
    if (w.next) w.next->prev = w.prev;
    else tail_waiter_ = w.prev;
    w.next = w.prev = nullptr;
    w.linked = false;
  }

  // The producers' word and the consumer's word on separate cache lines: across threads they
  // would otherwise bounce one line between every push and every pop.
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // next position to reserve | flags
  alignas(64) std::atomic<std::uint64_t> head_{0};  // next position to take (consumer writes)
  std::atomic<std::size_t> hwm_{0};
  const std::size_t cap_;   // the bound: at most this many items queued
  const std::size_t mask_;  // the ring is a power of two so indexing needs no division
  std::unique_ptr<slot[]> slots_;
  std::mutex mu_;  // the slow paths: the wait list, hand-off, close
  waiter* head_waiter_ = nullptr;
  waiter* tail_waiter_ = nullptr;
};

}  // namespace janus::rt
