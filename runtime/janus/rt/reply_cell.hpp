// The meeting point of an ask: the asker waits on it, the handler (or the deadline, or the target
// stopping) completes it.
//
// Exactly one completion wins, by a compare-and-swap on `state`: a reply that arrives after the
// deadline fired is dropped, never delivered twice, and a deadline that fires after the reply is a
// no-op. The cell is shared by the asker and the envelope carrying the request, so it is
// reference-counted; it comes from frame_pool, so an ask allocates nothing in steady state. The
// deadline timer node lives inside the cell and is cancelled by the asker before it lets go.
//
// @par Thread Safety
// complete_* may race with each other and with the timer from any threads; exactly one wins.
#pragma once

#include <atomic>
#include <cstdint>
#include <new>
#include <optional>
#include <thread>
#include <utility>

#include "janus/rt/executor.hpp"
#include "janus/rt/frame_pool.hpp"
#include "janus/rt/result.hpp"
#include "janus/rt/timer_queue.hpp"

namespace janus::rt {

class reply_cell_base {
 public:
  enum : std::uint8_t { pending, posting, done, abandoned };

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy_(this);
  }

  /// Fail the ask (target stopped, message dropped...). Returns false if it was already settled.
  bool complete_error(error e) noexcept {
    if (!begin()) return false;
    err_ = std::move(e);
    finish();
    return true;
  }

  bool settled_with_error() const noexcept { return has_error_(this); }
  std::uint8_t state() const noexcept { return state_.load(std::memory_order_acquire); }

  // For the asker.
  executor* ex = nullptr;
  resumption resume;
  struct deadline_timer : timer_queue::node {
    reply_cell_base* owner = nullptr;
  } timer;

  /// Asker gives up while suspended (its frame is being destroyed): after this returns nobody will
  /// post its resumption any more.
  void abandon() noexcept {
    std::uint8_t expected = pending;
    if (state_.compare_exchange_strong(expected, abandoned, std::memory_order_acq_rel)) return;
    while (state_.load(std::memory_order_acquire) == posting) std::this_thread::yield();
  }

 protected:
  using destroy_fn = void (*)(reply_cell_base*) noexcept;
  using has_error_fn = bool (*)(const reply_cell_base*) noexcept;
  reply_cell_base(destroy_fn d, has_error_fn h) noexcept : destroy_(d), has_error_(h) {
    timer.fire = &on_deadline;
    timer.owner = this;
  }

  bool begin() noexcept {
    std::uint8_t expected = pending;
    return state_.compare_exchange_strong(expected, posting, std::memory_order_acq_rel);
  }
  void finish() noexcept {
    // Wake the asker, then mark done: abandon() waits for this store, so the asker's frame
    // outlives the post. (Storing done first would let an abandoning asker free its frame, and
    // the resumption node in it, while the post is still linking that node: so not that order.)
    //
    // The post may resume the asker on another worker at once, and the asker then drops its
    // reference. Whoever completes may hold none of its own (an ask refused by a stopped actor
    // drops the envelope's reference before failing it; a deadline's timer holds none), so
    // without this one the store below could land in a freed cell: seen under ASan with
    // -Dpooled_frames=false by tests/runtime/hazards_test.cpp. Both atomics are on the line the
    // begin() CAS just took, so the pair is cheap.
    add_ref();
    resume.next = nullptr;
    ex->post(resume);
    state_.store(done, std::memory_order_release);
    release();
  }

  std::optional<error> err_;

 private:
  static void on_deadline(timer_queue::node* n) noexcept {
    static_cast<deadline_timer*>(n)->owner->complete_error(error{errc::timeout, "no reply before the deadline"});
  }

  std::atomic<std::uint32_t> refs_{2};  // the asker and the envelope
  std::atomic<std::uint8_t> state_{pending};
  destroy_fn destroy_;
  has_error_fn has_error_;

  template <class R>
  friend class reply_cell;
};

template <class R>
class reply_cell final : public reply_cell_base {
 public:
  static reply_cell* create() { return new (frame_pool::allocate(sizeof(reply_cell))) reply_cell(); }

  /// Deliver the handler's reply. Returns false if the ask was already settled (timed out,
  /// abandoned), in which case the reply is dropped.
  template <class U>
  bool complete_value(U&& v) {
    if (!begin()) return false;
    value_.emplace(std::forward<U>(v));
    finish();
    return true;
  }

  /// Asker, after being resumed: the outcome.
  result<R> take() {
    if (value_) return result<R>(std::move(*value_));
    return result<R>(std::move(*err_));
  }

 private:
  reply_cell() noexcept : reply_cell_base(&destroy_self, &has_error) {}
  static void destroy_self(reply_cell_base* b) noexcept {
    auto* self = static_cast<reply_cell*>(b);
    self->~reply_cell();
    frame_pool::deallocate(self, sizeof(reply_cell));
  }
  static bool has_error(const reply_cell_base* b) noexcept { return static_cast<const reply_cell*>(b)->err_.has_value(); }

  std::optional<R> value_;
};

/// result<void> replies are carried as result<void>'s value type ok_t.
template <>
class reply_cell<void> final : public reply_cell_base {
 public:
  static reply_cell* create() { return new (frame_pool::allocate(sizeof(reply_cell))) reply_cell(); }
  bool complete_value() {
    if (!begin()) return false;
    finish();
    return true;
  }
  result<void> take() {
    if (err_) return result<void>(std::move(*err_));
    return {};
  }

 private:
  reply_cell() noexcept : reply_cell_base(&destroy_self, &has_error) {}
  static void destroy_self(reply_cell_base* b) noexcept {
    auto* self = static_cast<reply_cell*>(b);
    self->~reply_cell();
    frame_pool::deallocate(self, sizeof(reply_cell));
  }
  static bool has_error(const reply_cell_base* b) noexcept { return static_cast<const reply_cell*>(b)->err_.has_value(); }
};

}  // namespace janus::rt
