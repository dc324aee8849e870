#include "janus/rt/timer_queue.hpp"

#include <thread>

namespace janus::rt {

timer_queue::timer_queue() { heap_.reserve(1024); }

bool timer_queue::add(node& n) {
  std::lock_guard lk(mu_);
  n.state.store(queued, std::memory_order_relaxed);
  heap_.push_back(&n);
  n.index = heap_.size() - 1;
  sift_up(n.index);
  return heap_.front() == &n;
}

bool timer_queue::cancel(node& n) noexcept {
  {
    std::lock_guard lk(mu_);
    // Acquire: an `idle` written by fire_due's release store (outside the lock) must order the
    // end of the fire function before the owner reuses the node's memory.
    const auto s = n.state.load(std::memory_order_acquire);
    if (s == queued) {
      remove_at(n.index);
      n.state.store(idle, std::memory_order_relaxed);
      return true;
    }
    if (s == idle) return false;
  }
  // Firing on another thread: the owner may free the node only after its fire function returned.
  while (n.state.load(std::memory_order_acquire) == firing) std::this_thread::yield();
  return false;
}

std::size_t timer_queue::fire_due(time_point now) {
  node* due = nullptr;
  node** tail = &due;
  {
    std::lock_guard lk(mu_);
    while (!heap_.empty() && heap_.front()->when <= now) {
      node* n = heap_.front();
      remove_at(0);
      n->state.store(firing, std::memory_order_relaxed);
      n->next_due = nullptr;
      *tail = n;
      tail = &n->next_due;
    }
  }
  std::size_t fired = 0;
  while (due) {
    node* n = due;
    due = n->next_due;  // read before firing: the owner may reuse the node afterwards
    n->fire(n);
    n->state.store(idle, std::memory_order_release);
    ++fired;
  }
  return fired;
}

std::optional<time_point> timer_queue::next() const {
  std::lock_guard lk(mu_);
  if (heap_.empty()) return std::nullopt;
  return heap_.front()->when;
}

std::size_t timer_queue::size() const {
  std::lock_guard lk(mu_);
  return heap_.size();
}

void timer_queue::sift_up(std::size_t i) noexcept {
  node* n = heap_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (heap_[parent]->when <= n->when) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, n);
}

void timer_queue::sift_down(std::size_t i) noexcept {
  node* n = heap_[i];
  const std::size_t size = heap_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && heap_[child + 1]->when < heap_[child]->when) ++child;
    if (n->when <= heap_[child]->when) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, n);
}

void timer_queue::remove_at(std::size_t i) noexcept {
  node* removed = heap_[i];
  node* last = heap_.back();
  heap_.pop_back();
  removed->index = npos;
  if (removed == last) return;
  place(i, last);
  if (i > 0 && last->when < heap_[(i - 1) / 2]->when) sift_up(i);
  else sift_down(i);
}

}  // namespace janus::rt
