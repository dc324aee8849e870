// co_await sleep_for(d) / sleep_until(t): suspend the calling coroutine on the scheduler's timers.
//
// Inside an actor the actor goes on handling other messages meanwhile (see actor.hpp, rule 2).
// The timer node lives in the awaiter: sleeping allocates nothing, and a coroutine destroyed while
// asleep cancels its timer on the way out.
#pragma once

#include "janus/rt/executor.hpp"
#include "janus/rt/scheduler.hpp"
#include "janus/rt/time.hpp"
#include "janus/rt/timer_queue.hpp"

namespace janus::rt {

class sleep_awaiter {
 public:
  sleep_awaiter(scheduler& s, time_point when) noexcept : sched_(s) {
    timer_.when = when;
    timer_.owner = this;
    timer_.fire = &fire;
  }
  sleep_awaiter(const sleep_awaiter&) = delete;
  sleep_awaiter& operator=(const sleep_awaiter&) = delete;
  ~sleep_awaiter() {
    if (armed_) sched_.timers().cancel(timer_);
  }

  bool await_ready() const noexcept { return timer_.when <= clock::now(); }
  void await_suspend(std::coroutine_handle<> h) {
    ex_ = current_executor();
    if (!ex_) ex_ = &sched_;
    resume_.handle = h;
    armed_ = true;
    sched_.add_timer(timer_);
  }
  // armed_ stays set after waking: the timer thread may still be finishing with the node, and
  // the destructor's cancel() waits for that before the node's memory goes away.
  void await_resume() noexcept {}

 private:
  struct node : timer_queue::node {
    sleep_awaiter* owner = nullptr;
  };
  static void fire(timer_queue::node* n) noexcept {
    auto* self = static_cast<node*>(n)->owner;
    self->resume_.next = nullptr;
    self->ex_->post(self->resume_);
  }

  scheduler& sched_;
  node timer_;
  executor* ex_ = nullptr;
  resumption resume_;
  bool armed_ = false;
};

inline sleep_awaiter sleep_until(scheduler& s, time_point t) noexcept { return sleep_awaiter(s, t); }
inline sleep_awaiter sleep_for(scheduler& s, duration d) noexcept { return sleep_awaiter(s, clock::now() + d); }

}  // namespace janus::rt
