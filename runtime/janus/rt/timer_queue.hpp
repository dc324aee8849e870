// The scheduler's timers: a binary heap of intrusive nodes.
//
// Every ask carries a deadline and most never fire, so adding and cancelling a timer must be cheap
// and must not allocate: the node lives inside whatever waits on it (an awaiter, a reply cell),
// and the heap stores pointers. The scheduler's I/O wait sleeps until the earliest node is due.
//
// @par Thread Safety
// All members may be called from any thread. A node's fire function runs on the thread that
// drives I/O (the host thread in poll mode); it must not resume coroutines inline, only post them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "janus/rt/time.hpp"

namespace janus::rt {

class timer_queue {
 public:
  struct node {
    time_point when{};
    void (*fire)(node*) = nullptr;
    // Internal to the queue.
    std::size_t index = npos;
    node* next_due = nullptr;
    std::atomic<std::uint8_t> state{idle};
  };

  timer_queue();

  /// Queue `n` (it must not be queued already). Returns true when it is now the earliest timer,
  /// so the caller knows a sleeping I/O wait must be woken to shorten its sleep.
  bool add(node& n);

  /// Remove `n` before it fires. Returns true if it was removed; false if it had fired or was
  /// never queued. If it is firing right now on another thread, waits until its fire function has
  /// returned, so that after cancel() returns the owner may destroy the node.
  bool cancel(node& n) noexcept;

  /// Fire every node due at `now`. Returns how many fired.
  std::size_t fire_due(time_point now);

  /// The earliest deadline, if any timer is queued.
  std::optional<time_point> next() const;
  std::size_t size() const;

 private:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  static constexpr std::uint8_t idle = 0, queued = 1, firing = 2;

  void sift_up(std::size_t i) noexcept;
  void sift_down(std::size_t i) noexcept;
  void remove_at(std::size_t i) noexcept;
  void place(std::size_t i, node* n) noexcept {
    heap_[i] = n;
    n->index = i;
  }

  mutable std::mutex mu_;
  std::vector<node*> heap_;
};

}  // namespace janus::rt
