// Cancellation: one party asks, any number of waits give up.
//
// A cancel_source is held by whoever may cancel (a UI, a parent operation); its tokens go into
// the operations it may cancel. An operation registers a callback for as long as it waits; cancel()
// runs every registered callback once, and a callback registered after cancel() runs at once. A
// callback only completes its operation (with errc::cancelled): it must not block, resume
// coroutines inline, or reset its own registration.
//
// @par Thread Safety
// All members may be called from any thread. A registration's destructor waits until its callback
// has returned if it is running on another thread, so after it returns the callback's captures may
// be destroyed.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

namespace janus::rt {

namespace detail {
struct cancel_state {
  struct node {
    node* prev = nullptr;
    node* next = nullptr;
    std::function<void()> fn;
    bool running = false;
    bool linked = false;
  };
  std::mutex mu;
  node* head = nullptr;
  bool cancelled = false;
};
}  // namespace detail

class cancel_token;

/// A callback registered on a token; unregisters on destruction.
class cancel_registration {
 public:
  cancel_registration() = default;
  cancel_registration(const cancel_registration&) = delete;
  cancel_registration& operator=(const cancel_registration&) = delete;
  ~cancel_registration() { reset(); }

  /// Unregister now. Waits for the callback if it is running on another thread.
  void reset() noexcept {
    if (!st_) return;
    for (;;) {
      std::unique_lock lk(st_->mu);
      if (node_.running) {
        lk.unlock();
        std::this_thread::yield();
        continue;
      }
      if (node_.linked) unlink();
      break;
    }
    st_.reset();
  }

 private:
  friend class cancel_token;
  void unlink() noexcept {
    if (node_.prev) node_.prev->next = node_.next;
    else st_->head = node_.next;
    if (node_.next) node_.next->prev = node_.prev;
    node_.prev = node_.next = nullptr;
    node_.linked = false;
  }

  std::shared_ptr<detail::cancel_state> st_;
  detail::cancel_state::node node_;
};

/// What an operation holds: whether cancellation was asked for, and a way to be told.
/// A default-constructed token can never be cancelled.
class cancel_token {
 public:
  cancel_token() = default;
  explicit cancel_token(std::shared_ptr<detail::cancel_state> st) : st_(std::move(st)) {}

  bool can_be_cancelled() const noexcept { return st_ != nullptr; }
  bool cancelled() const {
    if (!st_) return false;
    std::lock_guard lk(st_->mu);
    return st_->cancelled;
  }

  /// Registers `fn` in `reg` (which must be empty and must stay where it is until reset or
  /// destroyed). Runs `fn` at once, on this thread, if cancellation was already asked for.
  void on_cancel(cancel_registration& reg, std::function<void()> fn) const {
    if (!st_) return;
    std::unique_lock lk(st_->mu);
    if (st_->cancelled) {
      lk.unlock();
      fn();
      return;
    }
    reg.st_ = st_;
    reg.node_.fn = std::move(fn);
    reg.node_.next = st_->head;
    if (st_->head) st_->head->prev = &reg.node_;
    st_->head = &reg.node_;
    reg.node_.linked = true;
  }

 private:
  std::shared_ptr<detail::cancel_state> st_;
};

/// The cancelling side.
class cancel_source {
 public:
  cancel_source() : st_(std::make_shared<detail::cancel_state>()) {}

  cancel_token token() const { return cancel_token(st_); }

  /// Runs every registered callback once (on this thread). Later calls do nothing.
  void cancel() {
    std::unique_lock lk(st_->mu);
    if (st_->cancelled) return;
    st_->cancelled = true;
    // Each callback runs unlocked, so it may take other locks; its node is marked running so that
    // a concurrent reset() waits for it instead of freeing what it uses.
    while (auto* n = st_->head) {
      st_->head = n->next;
      if (st_->head) st_->head->prev = nullptr;
      n->prev = n->next = nullptr;
      n->running = true;
      n->linked = false;
      lk.unlock();
      n->fn();
      lk.lock();
      n->running = false;
    }
  }

  bool cancelled() const {
    std::lock_guard lk(st_->mu);
    return st_->cancelled;
  }

 private:
  std::shared_ptr<detail::cancel_state> st_;
};

}  // namespace janus::rt
