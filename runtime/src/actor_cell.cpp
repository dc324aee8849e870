#include "janus/rt/actor_cell.hpp"

#include <algorithm>
#include <exception>

#include "janus/rt/scheduler.hpp"
#include "janus/rt/supervisor.hpp"

namespace janus::rt {

namespace detail {
void handler_coro::promise_type::final_awaiter::await_suspend(std::coroutine_handle<promise_type> h) noexcept {
  h.promise().cell->handler_done(h.promise());
}
}  // namespace detail

actor_cell_base::actor_cell_base(scheduler& s, std::string name, std::size_t, unsigned max_suspended, int worker)
    : sched_(s), name_(std::move(name)), worker_(worker), max_suspended_(max_suspended == 0 ? 1 : max_suspended) {
  backoff_.owner = this;
  backoff_.fire = [](timer_queue::node* n) noexcept {
    auto* self = static_cast<backoff_timer*>(n)->owner;
    self->control_.fetch_or(ctl_restart, std::memory_order_acq_rel);
    self->notify();
  };
}

actor_cell_base::~actor_cell_base() = default;

bool actor_cell_base::notify() noexcept {
  if (scheduled_.exchange(true, std::memory_order_acq_rel)) return false;
  add_ref();  // the queued turn keeps the cell alive
  sched_.schedule(job{&run_job, this}, worker_);
  return true;
}

void actor_cell_base::run_job(void* p) noexcept {
  auto* self = static_cast<actor_cell_base*>(p);
  self->run_turn();
  self->release();
}

// notify() runs under the lock: the poster (a reply cell completing, a timer firing) holds no
// reference to this cell, and once the lock is released the turn may take the resumption, run the
// handler to its end, the actor may stop and its last reference go, all before a notify() made
// after the unlock would touch the cell (TSan, hazards_test, CI 2026-12-07). Under the lock the
// cell is alive: the scheduler's reference lasts until the actor has stopped, and stopping closes
// the list under this lock first.
void actor_cell_base::post(resumption& r) noexcept {
  std::lock_guard lk(resume_mu_);
  if (resume_closed_) return;  // stopped, or destroying its handlers: the coroutine is going
  r.next = nullptr;
  if (resume_tail_) resume_tail_->next = &r;
  else resume_head_ = &r;
  resume_tail_ = &r;
  resume_pending_.store(true, std::memory_order_release);
  notify();
}

void actor_cell_base::request_stop() noexcept {
  control_.fetch_or(ctl_stop, std::memory_order_acq_rel);
  notify();
}

void actor_cell_base::request_restart(duration delay) noexcept {
  if (delay <= duration::zero()) {
    control_.fetch_or(ctl_restart, std::memory_order_acq_rel);
    notify();
    return;
  }
  // The backoff timer belongs to the actor's turn: hand it the delay and let the turn arm it.
  restart_delay_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count(),
                          std::memory_order_relaxed);
  control_.fetch_or(ctl_restart_after, std::memory_order_acq_rel);
  notify();
}

void actor_cell_base::request_resume() noexcept {
  control_.fetch_or(ctl_resume, std::memory_order_acq_rel);
  notify();
}

void actor_cell_base::when_stopped(std::function<void()> f) {
  {
    std::lock_guard lk(info_mu_);
    if (!stopped_.load(std::memory_order_acquire)) {
      on_stopped_.push_back(std::move(f));
      return;
    }
  }
  f();
}

actor_metrics actor_cell_base::metrics() const {
  actor_metrics m;
  m.name = name_;
  m.mailbox_depth = mailbox_size();
  m.mailbox_capacity = mailbox_capacity();
  m.mailbox_high_water = mailbox_high_water();
  m.processed = processed_.load(std::memory_order_relaxed);
  m.failures = failures_.load(std::memory_order_relaxed);
  m.restarts = restarts_.load(std::memory_order_relaxed);
  m.suspended_handlers = suspended_metric_.load(std::memory_order_relaxed);
  m.stopped = stopped();
  std::lock_guard lk(info_mu_);
  m.last_failure = last_failure_;
  return m;
}

void actor_cell_base::start_handler(detail::handler_coro c) {
  auto& p = c.h.promise();
  p.cell = this;
  p.prev = nullptr;
  p.next = handlers_;
  if (handlers_) handlers_->prev = &p;
  handlers_ = &p;
  ++suspended_;
  suspended_metric_.store(suspended_, std::memory_order_relaxed);
  c.h.resume();
}

void actor_cell_base::handler_done(detail::handler_coro::promise_type& p) noexcept {
  if (p.prev) p.prev->next = p.next;
  else handlers_ = p.next;
  if (p.next) p.next->prev = p.prev;
  --suspended_;
  suspended_metric_.store(suspended_, std::memory_order_relaxed);
  std::coroutine_handle<detail::handler_coro::promise_type>::from_promise(p).destroy();
}

void actor_cell_base::note_failure(error e) noexcept {
  // Keep the first failure of a turn: later ones are usually its consequences.
  if (!failure_) failure_.emplace(std::move(e));
}

bool actor_cell_base::has_work(bool can_take_messages) const noexcept {
  // Reads only atomics: it runs after scheduled_ was released, when a new turn may already be
  // running on another worker and owns the turn-private state.
  if (control_.load(std::memory_order_seq_cst) != 0) return true;
  if (resume_pending_.load(std::memory_order_seq_cst)) return true;
  return can_take_messages && mailbox_size() > 0;
}

void actor_cell_base::run_turn() noexcept {
  detail::executor_scope scope(this);
  if (stopped_.load(std::memory_order_relaxed)) return;  // scheduled_ stays set: no more turns
  if (!started_) {
    started_ = true;
    try {
      create_behavior();
    } catch (const std::exception& e) {
      note_failure(error{errc::handler_failed, std::string("on_start threw: ") + e.what()});
    } catch (...) {
      note_failure(error{errc::handler_failed, "on_start threw a non-standard exception"});
    }
  }
  // A turn handles a bounded number of messages so that one busy actor cannot starve the others
  // on its worker.
  unsigned budget = 256;
  // Published once per turn, on every way out: an atomic add per message costs too much.
  struct count_on_exit {
    std::atomic<std::uint64_t>& total;
    std::uint64_t n = 0;
    ~count_on_exit() {
      if (n) total.fetch_add(n, std::memory_order_relaxed);
    }
  } handled{processed_};
  for (;;) {
    apply_control();
    if (stopped_.load(std::memory_order_relaxed)) return;
    bool progressed = false;
    if (resume_pending_.load(std::memory_order_acquire)) {
      resume_pending();
      progressed = true;
    }
    if (failure_) apply_failure();
    if (stopped_.load(std::memory_order_relaxed)) return;
    // Inside a time-budgeted poll the turn takes messages in slices and ends when the host's
    // time is up; the rest stays in the mailbox and the turn is scheduled again (notify below).
    const bool sliced = detail::time_slice_active();
    while (budget > 0 && may_dispatch()) {
      const unsigned want = sliced ? std::min(budget, 16u) : budget;
      const unsigned n = dispatch_some(want);
      handled.n += n;
      budget -= n;
      if (n > 0) progressed = true;
      if (!failure_) {
        if (sliced && n == want && !detail::time_slice_over()) continue;
        break;  // empty mailbox, budget spent, may_dispatch() turned false, or time is up
      }
      apply_failure();
      if (stopped_.load(std::memory_order_relaxed)) return;
    }
    if (!progressed || budget == 0 || detail::time_slice_over()) break;
  }
  // Read turn-private state while we still own the turn.
  const bool can_take = !paused_ && suspended_ < max_suspended_;
  const bool taken_left = can_take && taken_messages_left();
  scheduled_.store(false, std::memory_order_seq_cst);
  if (taken_left || has_work(can_take)) notify();
}

void actor_cell_base::resume_pending() noexcept {
  resumption* r;
  {
    std::lock_guard lk(resume_mu_);
    r = resume_head_;
    resume_head_ = resume_tail_ = nullptr;
    resume_pending_.store(false, std::memory_order_release);
  }
  const std::uint64_t restarts_before = restarts_.load(std::memory_order_relaxed);
  while (r) {
    resumption* next = r->next;  // the node lives in the frame being resumed
    r->handle.resume();
    if (failure_) {
      apply_failure();
      // A restart or stop destroyed every suspended handler: the rest of the list is theirs.
      if (stopped_.load(std::memory_order_relaxed) || restarts_.load(std::memory_order_relaxed) != restarts_before)
        return;
    }
    r = next;
  }
}

void actor_cell_base::apply_control() noexcept {
  const std::uint32_t c = control_.exchange(0, std::memory_order_acq_rel);
  if (c == 0) return;
  if (c & ctl_stop) {
    stop_now();
    return;
  }
  if (c & ctl_restart_after) {
    paused_ = true;
    arm_backoff(std::chrono::nanoseconds(restart_delay_ns_.load(std::memory_order_relaxed)));
  }
  if (c & ctl_restart) restart_now();
  if (c & ctl_resume) paused_ = false;
}

void actor_cell_base::apply_failure() noexcept {
  error e = std::move(*failure_);
  failure_.reset();
  failures_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lk(info_mu_);
    last_failure_ = e.what();
  }
  if (!supervisor_) return;  // unsupervised: the failure is counted and visible; go on
  paused_ = true;
  const auto decision = supervisor_->child_failed(*this, e);
  apply_directive(decision.what, decision.delay);
}

void actor_cell_base::apply_directive(directive d, duration delay) noexcept {
  switch (d) {
    case directive::resume:
      paused_ = false;
      break;
    case directive::restart:
      if (delay <= duration::zero()) {
        restart_now();
      } else {
        paused_ = true;
        arm_backoff(delay);
      }
      break;
    case directive::stop:
    case directive::escalate:  // the supervisor resolves escalation; a bare one means stop
      stop_now();
      break;
  }
}

void actor_cell_base::arm_backoff(duration delay) noexcept {
  sched_.timers().cancel(backoff_);
  backoff_.when = clock::now() + delay;
  sched_.add_timer(backoff_);
}

void actor_cell_base::destroy_handlers() noexcept {
  while (handlers_) {
    auto* p = handlers_;
    handlers_ = p->next;
    if (handlers_) handlers_->prev = nullptr;
    // Destroying the frame runs the destructors of its awaiters: they unhook themselves from
    // whatever they waited on, and its reply guard fails the ask it was answering.
    std::coroutine_handle<detail::handler_coro::promise_type>::from_promise(*p).destroy();
  }
  suspended_ = 0;
  suspended_metric_.store(0, std::memory_order_relaxed);
}

void actor_cell_base::drop_resumptions(bool refuse_more) noexcept {
  std::lock_guard lk(resume_mu_);
  resume_closed_ = refuse_more;
  resume_head_ = resume_tail_ = nullptr;
  resume_pending_.store(false, std::memory_order_release);
}

void actor_cell_base::restart_now() noexcept {
  sched_.timers().cancel(backoff_);
  // Drop the queued resumptions and refuse new ones *before* destroying the handlers: the list's
  // nodes live in the handlers' awaiters and reply cells, which the destruction frees, and a post
  // arriving meanwhile (a reply from another worker) would link itself onto a freed tail node
  // (found by tests/runtime/hazards_test.cpp under ASan). What is refused meanwhile belongs to
  // a handler being destroyed. Once they are all gone, each awaiter has made sure nobody will
  // post it any more (abandon, timer cancel, wait-list removal), so the list can reopen for the
  // handlers of the new behaviour.
  drop_resumptions(true);
  destroy_handlers();
  drop_resumptions(false);
  destroy_behavior();
  restarts_.fetch_add(1, std::memory_order_relaxed);
  paused_ = false;
  failure_.reset();
  try {
    create_behavior();
  } catch (const std::exception& e) {
    note_failure(error{errc::handler_failed, std::string("on_start threw: ") + e.what()});
  } catch (...) {
    note_failure(error{errc::handler_failed, "on_start threw a non-standard exception"});
  }
}

void actor_cell_base::stop_now() noexcept {
  stopped_.store(true, std::memory_order_release);
  paused_ = true;
  sched_.timers().cancel(backoff_);
  close_mailbox();
  // Closed before the handlers are destroyed, for the reason given in restart_now().
  drop_resumptions(true);
  destroy_handlers();
  destroy_behavior();
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lk(info_mu_);
    callbacks.swap(on_stopped_);
  }
  if (supervisor_) supervisor_->child_stopped(*this);
  for (auto& f : callbacks) f();
  sched_.unregister_actor(this);
}

}  // namespace janus::rt
