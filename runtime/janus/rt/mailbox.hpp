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
// @par Thread Safety
// push/try_push/remove_waiter/close/size from any thread; pop from the single consumer.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>


namespace janus::rt {

enum class push_status : unsigned char { queued, queued_woke, full, waiting, closed };

template <class T>
class mailbox {
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
        slots_(std::make_unique<std::optional<T>[]>(mask_ + 1)) {}

  std::size_t capacity() const noexcept { return cap_; }
  std::size_t size() const noexcept { return size_.load(std::memory_order_acquire); }
  std::size_t high_water() const noexcept { return hwm_.load(std::memory_order_relaxed); }
  bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }

  /// Queue `v` if there is room. On full or closed, `v` is left untouched.
  push_status try_push(T& v) {
    std::lock_guard lk(mu_);
    if (closed_.load(std::memory_order_relaxed)) return push_status::closed;
    if (count_ == cap_ || head_waiter_) return push_status::full;
    return enqueue(v);
  }

  /// Queue `*w.item`, or park `w` until there is room (then status waiting is returned; the
  /// consumer moves the item in later and calls w.on_settled).
  push_status push_or_wait(waiter& w) {
    std::lock_guard lk(mu_);
    if (closed_.load(std::memory_order_relaxed)) return push_status::closed;
    if (count_ < cap_ && !head_waiter_) return enqueue(*w.item);
    w.linked = true;
    w.outcome = push_status::waiting;
    w.next = nullptr;
    w.prev = tail_waiter_;
    if (tail_waiter_) tail_waiter_->next = &w;
    else head_waiter_ = &w;
    tail_waiter_ = &w;
    return push_status::waiting;
  }

  /// Unpark a waiter that gave up (its coroutine was destroyed, or its ask timed out). Returns the
  /// waiter's outcome: waiting if it was removed still unsent, otherwise queued or closed.
  push_status remove_waiter(waiter& w) noexcept {
    std::lock_guard lk(mu_);
    if (!w.linked) return w.outcome;
    unlink(w);
    return push_status::waiting;
  }

  /// Consumer: take the oldest item. Frees a slot, which may hand off a waiting sender's item.
  std::optional<T> pop() {
    std::optional<T> out;
    pop_batch(&out, 1);
    return out;
  }

  /// Consumer: take up to `max` of the oldest items into out[0..n) under one lock (each freed slot
  /// may hand off a waiting sender's item). Returns n.
  std::size_t pop_batch(std::optional<T>* out, std::size_t max) {
    std::lock_guard lk(mu_);
    std::size_t n = 0;
    while (n < max && count_ > 0) {
      out[n++] = std::move(slots_[head_]);
      slots_[head_].reset();
      head_ = (head_ + 1) & mask_;
      --count_;
      if (head_waiter_ && !closed_.load(std::memory_order_relaxed)) {
        waiter* w = head_waiter_;
        unlink(*w);
        enqueue(*w->item);
        w->outcome = push_status::queued;
        if (w->on_settled) w->on_settled(*w);
      }
    }
    size_.store(count_, std::memory_order_release);
    return n;
  }

  /// Refuse all further pushes. Waiting senders are settled as closed and resumed; the queued
  /// items are passed to `drain` one by one (outside the lock) so the owner can fail them.
  template <class F>
  void close(F&& drain) {
    std::unique_lock lk(mu_);
    closed_.store(true, std::memory_order_release);
    while (head_waiter_) {
      waiter* w = head_waiter_;
      unlink(*w);
      w->outcome = push_status::closed;
      if (w->on_settled) w->on_settled(*w);
    }
    auto slots = std::move(slots_);
    std::size_t head = head_, count = count_;
    count_ = 0;
    size_.store(0, std::memory_order_release);
    lk.unlock();
    for (std::size_t i = 0; i < count; ++i) {
      auto& s = slots[(head + i) & mask_];
      if (s) drain(*s);
    }
  }

 private:
  push_status enqueue(T& v) {
    const std::size_t tail = (head_ + count_) & mask_;
    slots_[tail].emplace(std::move(v));
    const bool was_empty = count_ == 0;
    ++count_;
    size_.store(count_, std::memory_order_release);
    if (count_ > hwm_.load(std::memory_order_relaxed)) hwm_.store(count_, std::memory_order_relaxed);
    return was_empty ? push_status::queued_woke : push_status::queued;
  }
  void unlink(waiter& w) noexcept {
    if (w.prev) w.prev->next = w.next;
    else head_waiter_ = w.next;
    if (w.next) w.next->prev = w.prev;
    else tail_waiter_ = w.prev;
    w.next = w.prev = nullptr;
    w.linked = false;
  }

  std::mutex mu_;
  const std::size_t cap_;   // the bound: at most this many items queued
  const std::size_t mask_;  // the ring is a power of two so indexing needs no division
  std::unique_ptr<std::optional<T>[]> slots_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  waiter* head_waiter_ = nullptr;
  waiter* tail_waiter_ = nullptr;
  std::atomic<std::size_t> size_{0};
  std::atomic<std::size_t> hwm_{0};
  std::atomic<bool> closed_{false};
};

}  // namespace janus::rt
