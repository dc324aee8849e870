// The scheduler's actors and its ending: the registry of live actors (metrics, shutdown order)
// and shutdown(), which stops them and lets what a close woke run. Split from scheduler.cpp, which
// runs the work.
#include "janus/rt/scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <vector>

#include "janus/rt/actor_cell.hpp"
#include "janus/rt/metrics.hpp"

namespace janus::rt {

// ---- actors ------------------------------------------------------------------------------------

void scheduler::register_actor(actor_cell_base* a) {
  a->add_ref();
  std::lock_guard lk(actors_mu_);
  a->reg_prev_ = actors_tail_;
  a->reg_next_ = nullptr;
  if (actors_tail_) actors_tail_->reg_next_ = a;
  else actors_head_ = a;
  actors_tail_ = a;
  a->registered_ = true;
  ++actor_count_;
}

void scheduler::unregister_actor(actor_cell_base* a) noexcept {
  {
    std::lock_guard lk(actors_mu_);
    if (!a->registered_) return;
    if (a->reg_prev_) a->reg_prev_->reg_next_ = a->reg_next_;
    else actors_head_ = a->reg_next_;
    if (a->reg_next_) a->reg_next_->reg_prev_ = a->reg_prev_;
    else actors_tail_ = a->reg_prev_;
    a->reg_prev_ = a->reg_next_ = nullptr;
    a->registered_ = false;
    if (--actor_count_ == 0) actors_gone_.notify_all();
  }
  a->release();
}

std::vector<actor_metrics> scheduler::metrics() const {
  std::vector<actor_metrics> out;
  std::lock_guard lk(actors_mu_);
  out.reserve(actor_count_);
  for (auto* a = actors_head_; a; a = a->reg_next_) out.push_back(a->metrics());
  return out;
}

void scheduler::shutdown() {
  std::vector<actor_cell_base*> live;
  {
    std::lock_guard lk(actors_mu_);
    live.reserve(actor_count_);
    for (auto* a = actors_tail_; a; a = a->reg_prev_) {  // newest first
      a->add_ref();
      live.push_back(a);
    }
  }
  // Supervised children first: a supervisor counts as stopped only when its children are, and
  // stopping a child never depends on its supervisor running.
  std::stable_partition(live.begin(), live.end(), [](actor_cell_base* a) { return a->parent_supervisor() != nullptr; });
  for (auto* a : live) {
    a->request_stop();
    a->release();
  }
  if (poll_mode()) {
    auto all_stopped = [this] {
      std::lock_guard lk(actors_mu_);
      return actor_count_ == 0;
    };
    run_until(all_stopped, deadline(std::chrono::seconds(60)));
  } else {
    // The workers stop them; the last one to unregister wakes this thread.
    std::unique_lock lk(actors_mu_);
    actors_gone_.wait_for(lk, std::chrono::seconds(60), [this] { return actor_count_ == 0; });
  }
  settle();
}

// A task that a close woke (a stream ended with an error, a call failed) is runnable but has not
// run yet; dropped with the queues, its frame and everything it holds would never be freed (a
// Firefox tab's event pump holds the whole RDP connection). So what is runnable runs, until the
// queues stay empty for a moment. Timers are not waited for, and a task that keeps scheduling
// itself cannot hold the exit beyond the bound.
// With workers, each round waits (on a condition variable, not a sleep) until a worker has run
// a probe job scheduled behind what is queued.
void scheduler::settle() {
  const deadline end(std::chrono::seconds(2));
  int quiet = 0;
  while (quiet < 3 && !end.expired()) {
    bool ran = false;
    if (poll_mode()) {
      ran = poll() > 0;
    } else {
      std::unique_lock lk(probe_mu_);
      const std::uint64_t want = probes_run_ + 1;
      lk.unlock();
      schedule(job{&settle_probe_job, this});
      lk.lock();
      if (!probe_cv_.wait_until(lk, end.at(), [&] { return probes_run_ >= want; })) break;
    }
    quiet = ran || any_work() ? 0 : quiet + 1;
  }
}

void scheduler::settle_probe_job(void* self) noexcept {
  auto* s = static_cast<scheduler*>(self);
  std::lock_guard lk(s->probe_mu_);
  ++s->probes_run_;
  s->probe_cv_.notify_all();
}

}  // namespace janus::rt
