#include "janus/rt/scheduler.hpp"

#include <pthread.h>

#include <algorithm>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <cstdio>

#include "janus/rt/actor_cell.hpp"
#include "janus/rt/metrics.hpp"

namespace janus::rt {

// ---- executor scope ------------------------------------------------------------------------------

namespace {
thread_local executor* tl_executor = nullptr;
}

executor* current_executor() noexcept { return tl_executor; }

namespace detail {
executor_scope::executor_scope(executor* e) noexcept : saved_(tl_executor) { tl_executor = e; }
executor_scope::~executor_scope() { tl_executor = saved_; }
}  // namespace detail

// ---- run queues ----------------------------------------------------------------------------------

namespace {

/// A growable ring of jobs. Grows only while warming up; steady state never allocates.
class job_ring {
 public:
  job_ring() : buf_(256) {}
  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }
  void push(job j) {
    if (count_ == buf_.size()) grow();
    buf_[(head_ + count_) & (buf_.size() - 1)] = j;
    ++count_;
  }
  job pop_front() noexcept {
    job j = buf_[head_];
    head_ = (head_ + 1) & (buf_.size() - 1);
    --count_;
    return j;
  }
  job pop_back() noexcept {
    --count_;
    return buf_[(head_ + count_) & (buf_.size() - 1)];
  }

 private:
  void grow() {
    std::vector<job> bigger(buf_.size() * 2);
    for (std::size_t i = 0; i < count_; ++i) bigger[i] = buf_[(head_ + i) & (buf_.size() - 1)];
    buf_.swap(bigger);
    head_ = 0;
  }
  std::vector<job> buf_;  // size is a power of two
  std::size_t head_ = 0;
  std::size_t count_ = 0;
};

}  // namespace

struct scheduler::worker {
  unsigned index = 0;
  std::mutex mu;
  job_ring shared;  // other workers may steal from it
  job_ring pinned;  // only this worker runs these (actors placed on it)
  std::atomic<std::size_t> shared_size{0};
  std::atomic<std::size_t> pinned_size{0};
  std::atomic<bool> sleeping{false};
  std::atomic<std::uint32_t> wake_seq{0};

  std::size_t total() const noexcept {
    return shared_size.load(std::memory_order_seq_cst) + pinned_size.load(std::memory_order_seq_cst);
  }
};

struct scheduler::io_guard {
  explicit io_guard(asio::io_context& io) : guard(asio::make_work_guard(io)) {}
  asio::executor_work_guard<asio::io_context::executor_type> guard;
};

namespace {
thread_local scheduler* tl_scheduler = nullptr;
thread_local time_point tl_slice_end = time_point::max();  // set by a time-budgeted poll
thread_local int tl_worker_index = -1;

void resume_job(void* address) noexcept {
  detail::executor_scope scope(tl_scheduler);
  std::coroutine_handle<>::from_address(address).resume();
}

/// Marks the calling thread as running this scheduler's worker `index` for the scope.
class worker_scope {
 public:
  worker_scope(scheduler* s, int index) noexcept : saved_s_(tl_scheduler), saved_i_(tl_worker_index) {
    tl_scheduler = s;
    tl_worker_index = index;
  }
  ~worker_scope() {
    tl_scheduler = saved_s_;
    tl_worker_index = saved_i_;
  }

 private:
  scheduler* saved_s_;
  int saved_i_;
};

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
}  // namespace

namespace detail {
bool time_slice_active() noexcept { return tl_slice_end != time_point::max(); }
bool time_slice_over() noexcept { return tl_slice_end != time_point::max() && clock::now() >= tl_slice_end; }
}  // namespace detail

// ---- construction ------------------------------------------------------------------------------

scheduler::scheduler(scheduler_options opts)
    : opts_(std::move(opts)), io_(std::make_unique<asio::io_context>(1)) {
  io_guard_ = std::make_unique<io_guard>(*io_);
  const unsigned queues = std::max(1u, opts_.workers);
  for (unsigned i = 0; i < queues; ++i) {
    workers_.push_back(std::make_unique<worker>());
    workers_.back()->index = i;
  }
  if (opts_.workers > 0) {
    for (unsigned i = 0; i < opts_.workers; ++i) threads_.emplace_back([this, i] { worker_main(i); });
    threads_started_ = opts_.workers;
  }
}

scheduler::~scheduler() {
  shutdown();
  stopping_.store(true, std::memory_order_seq_cst);
  for (auto& w : workers_) {
    w->sleeping.store(false, std::memory_order_seq_cst);
    w->wake_seq.fetch_add(1, std::memory_order_seq_cst);
    w->wake_seq.notify_all();
  }
  wake_io();  // a worker waiting on I/O returns at once instead of at its horizon
  for (auto& t : threads_) t.join();
  destroy_unfinished_tasks();
  io_guard_.reset();
  io_->stop();
}

asio::io_context& scheduler::io() noexcept { return *io_; }

int scheduler::current_worker() const noexcept { return tl_scheduler == this ? tl_worker_index : -1; }

// ---- scheduling ------------------------------------------------------------------------------------

void scheduler::post(resumption& r) noexcept { schedule(job{&resume_job, r.handle.address()}); }

void scheduler::schedule(job j, int pin) noexcept {
  worker* target;
  bool pinned = false;
  const int here = current_worker();
  if (poll_mode()) {
    target = workers_[0].get();
  } else if (pin >= 0) {
    target = workers_[static_cast<unsigned>(pin) % workers_.size()].get();
    pinned = true;
  } else if (here >= 0) {
    target = workers_[static_cast<unsigned>(here)].get();
  } else {
    target = workers_[next_victim_.fetch_add(1, std::memory_order_relaxed) % workers_.size()].get();
  }
  std::size_t depth;
  {
    std::lock_guard lk(target->mu);
    if (pinned) {
      target->pinned.push(j);
      target->pinned_size.store(target->pinned.size(), std::memory_order_seq_cst);
    } else {
      target->shared.push(j);
      target->shared_size.store(target->shared.size(), std::memory_order_seq_cst);
    }
    depth = target->shared.size();
  }
  if (poll_mode()) {
    if (io_waiting_.load(std::memory_order_seq_cst)) wake_io();
    return;
  }
  if (static_cast<int>(target->index) != here) {
    if (target->sleeping.load(std::memory_order_seq_cst)) {
      wake_worker(*target);
    } else if (io_waiting_.load(std::memory_order_seq_cst) &&
               io_driver_.load(std::memory_order_seq_cst) == static_cast<int>(target->index)) {
      wake_io();  // the target is waiting on I/O: its wait must end for the job to run
    }
  } else if (depth > 1) {
    // More work here than this worker can start right now: let a parked one steal it.
    for (auto& w : workers_) {
      if (w.get() != target && w->sleeping.load(std::memory_order_seq_cst)) {
        wake_worker(*w);
        break;
      }
    }
  }
}

void scheduler::wake_worker(worker& w) noexcept {
  if (w.sleeping.exchange(false, std::memory_order_seq_cst)) {
    w.wake_seq.fetch_add(1, std::memory_order_seq_cst);
    w.wake_seq.notify_one();
  }
}

void scheduler::wake_io() noexcept {
  // An empty handler makes io_context::run_one_until return; asio recycles its memory.
  try {
    asio::post(*io_, [] {});
  } catch (...) {
  }
}

void scheduler::add_timer(timer_queue::node& n) {
  const bool earliest = timers_.add(n);
  // Wake the I/O wait only if it would oversleep this timer. An ask's 30 s deadline is far past
  // the wait's horizon, so the common case costs no wake-up (no eventfd write, no context switch).
  if (earliest && io_waiting_.load(std::memory_order_seq_cst) &&
      n.when.time_since_epoch().count() < io_wake_at_.load(std::memory_order_seq_cst))
    wake_io();
}

bool scheduler::any_work() const noexcept {
  for (auto& w : workers_)
    if (w->total() > 0) return true;
  return false;
}

bool scheduler::has_work_for(const worker& w) const noexcept {
  // Its own queues, and what it could steal: other workers' pinned jobs are not for it.
  if (w.total() > 0) return true;
  for (auto& v : workers_)
    if (v.get() != &w && v->shared_size.load(std::memory_order_seq_cst) > 0) return true;
  return false;
}

bool scheduler::run_one_job(worker& w) {
  job j{};
  bool found = false;
  if (w.total() > 0) {
    std::lock_guard lk(w.mu);
    if (!w.pinned.empty()) {
      j = w.pinned.pop_front();
      w.pinned_size.store(w.pinned.size(), std::memory_order_relaxed);
      found = true;
    } else if (!w.shared.empty()) {
      j = w.shared.pop_front();
      w.shared_size.store(w.shared.size(), std::memory_order_relaxed);
      found = true;
    }
  }
  if (!found && workers_.size() > 1) {
    for (std::size_t k = 1; k < workers_.size() && !found; ++k) {
      worker& v = *workers_[(w.index + k) % workers_.size()];
      if (v.shared_size.load(std::memory_order_relaxed) == 0) continue;
      std::unique_lock lk(v.mu, std::try_to_lock);
      if (!lk.owns_lock() || v.shared.empty()) continue;
      j = v.shared.pop_back();
      v.shared_size.store(v.shared.size(), std::memory_order_relaxed);
      found = true;
    }
  }
  if (!found) return false;
  j.fn(j.arg);
  return true;
}

// Threads mode has no I/O thread: an idle worker becomes the one that drives the io_context and
// the timers (one at a time), so a completion that resumes a coroutine is usually run by the very
// thread that received it, with no hand-off and no wake-up. While every worker is busy, I/O is
// polled between jobs (every io_poll_interval jobs) so it never waits for a long run of them.
void scheduler::worker_main(unsigned index) {
  {
    const std::string thread_name = (opts_.name + "-w" + std::to_string(index)).substr(0, 15);
    pthread_setname_np(pthread_self(), thread_name.c_str());
  }
  worker_scope scope(this, static_cast<int>(index));
  worker& w = *workers_[index];
  unsigned jobs_since_io = 0;
  while (!stopping_.load(std::memory_order_acquire)) {
    if (run_one_job(w)) {
      if (++jobs_since_io >= io_poll_interval) {
        jobs_since_io = 0;
        bool expected = false;
        if (io_driving_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
          drive_io(false, time_point::max(), &w);
          io_driving_.store(false, std::memory_order_release);
        }
      }
      continue;
    }
    jobs_since_io = 0;
    if (drive_io_as(w)) continue;
    // Another worker drives I/O. Spin a little: a reply usually arrives within microseconds, and
    // parking costs a futex wake.
    const auto spin_until = clock::now() + opts_.spin;
    bool got = false;
    for (unsigned n = 0;; ++n) {
      if (has_work_for(w) || !io_driving_.load(std::memory_order_relaxed)) {
        got = true;
        break;
      }
      cpu_relax();
      if ((n & 63) == 63 && clock::now() >= spin_until) break;
    }
    if (got) continue;
    const std::uint32_t seq = w.wake_seq.load(std::memory_order_seq_cst);
    w.sleeping.store(true, std::memory_order_seq_cst);
    if (has_work_for(w) || stopping_.load(std::memory_order_seq_cst)) {
      w.sleeping.store(false, std::memory_order_seq_cst);
      continue;
    }
    w.wake_seq.wait(seq, std::memory_order_seq_cst);
    w.sleeping.store(false, std::memory_order_seq_cst);
  }
}

bool scheduler::drive_io_as(worker& w) {
  bool expected = false;
  if (!io_driving_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) return false;
  io_driver_.store(static_cast<int>(w.index), std::memory_order_seq_cst);
  // Poll first, for the spin period: the completion being waited for is usually microseconds
  // away, and a blocking wait would cost a wake-up to end.
  const auto spin_until = clock::now() + opts_.spin;
  for (;;) {
    if (drive_io(false, time_point::max(), &w) > 0 || has_work_for(w) || stopping_.load(std::memory_order_acquire))
      break;
    if (clock::now() >= spin_until) {
      drive_io(true, time_point::max(), &w);
      break;
    }
    cpu_relax();
  }
  io_driver_.store(-1, std::memory_order_seq_cst);
  io_driving_.store(false, std::memory_order_release);
  // Parked workers that were not woken because this one was driving: if work is waiting for
  // more hands than this one, schedule() has woken them already; nothing else to do.
  return true;
}

// ---- I/O and timers --------------------------------------------------------------------------------

std::size_t scheduler::drive_io(bool may_block, time_point until, const worker* self) {
  std::size_t n = timers_.fire_due(clock::now());
  n += io_->poll();
  if (n > 0 || !may_block) return n;
  // Never sleep past the horizon, so that a timer added later than the planned wake-up needs no
  // wake-up call at all (see add_timer).
  time_point wake = std::min(until, clock::now() + io_horizon);
  io_wake_at_.store(wake.time_since_epoch().count(), std::memory_order_seq_cst);
  io_waiting_.store(true, std::memory_order_seq_cst);
  // Re-check after announcing the wait: a timer added or a job queued from now on wakes us.
  if (auto t = timers_.next()) wake = std::min(wake, *t);
  const bool work = self ? has_work_for(*self) : (poll_mode() && any_work());
  if (!work && !stopping_.load(std::memory_order_seq_cst) && wake > clock::now())
    n += io_->run_one_until(wake);
  io_waiting_.store(false, std::memory_order_seq_cst);
  n += timers_.fire_due(clock::now());
  n += io_->poll();
  return n;
}

// ---- poll mode ---------------------------------------------------------------------------------

std::size_t scheduler::run_ready_jobs(std::size_t limit) {
  worker& w = *workers_[0];
  std::size_t n = 0;
  while (n < limit && run_one_job(w)) ++n;
  return n;
}

std::size_t scheduler::poll() {
  worker_scope scope(this, 0);
  std::size_t n = drive_io(false, time_point::max());
  // Bounded so that a pair of actors messaging each other forever cannot trap the host's frame.
  n += run_ready_jobs(65536);
  return n;
}

std::size_t scheduler::queued_jobs() const noexcept {
  std::size_t n = 0;
  for (auto& w : workers_) n += w->total();
  return n;
}

// Jobs first, oldest first, so that what an earlier call left runs before anything new; I/O is
// collected one completion at a time whenever the queue runs dry, and at least every
// io_poll_interval jobs so that a queue that never empties cannot starve it. Collecting one
// completion at a time is what bounds the transports: a read handler re-arms its read, and with
// data waiting Asio completes it at once, so io_context::poll() would read for as long as the peer
// writes. Each read handler's events then run as jobs before the next read, and when they fill
// the bounded mailboxes the reader pauses (the backpressure stays in the transport).
poll_result scheduler::poll(poll_budget budget) {
  worker_scope scope(this, 0);
  worker& w = *workers_[0];
  const time_point start = clock::now();
  // A budget too long to add to the clock is no time limit at all.
  const bool timed = budget.time < std::chrono::duration_cast<std::chrono::nanoseconds>(time_point::max() - start);
  const time_point end = timed ? start + std::chrono::duration_cast<duration>(budget.time) : time_point::max();
  poll_result r;
  r.ran = timers_.fire_due(start);
  unsigned jobs_since_io = 0;
  // A host that asks for 1 ms wants the call to end within 1 ms, not to start work at 0.99 ms:
  // work is not started when the longest piece this call has run would, if the next one took as
  // long, end past the budget. The first piece always runs, so every call makes progress.
  duration longest{};
  time_point now = start;
  // Jobs that can pause (see detail::time_slice_over) yield a twentieth of the budget early, so
  // that the call still returns within it.
  struct slice_scope {
    time_point saved = tl_slice_end;
    ~slice_scope() { tl_slice_end = saved; }
  } slice;
  if (timed) tl_slice_end = end - std::chrono::duration_cast<duration>(budget.time) / 20;
  for (;;) {
    if (r.ran >= budget.jobs || (timed && r.ran > 0 && now + longest > end)) {
      r.budget_spent = true;
      break;
    }
    std::size_t ran = 0;
    if (jobs_since_io < io_poll_interval && run_one_job(w)) {
      ran = 1;
      ++jobs_since_io;
    } else {
      jobs_since_io = 0;
      ran = io_->poll_one();
      if (ran == 0 && w.total() == 0) break;  // nothing ready anywhere
    }
    r.ran += ran;
    if (timed) {
      const time_point before = now;
      now = clock::now();
      longest = std::max(longest, now - before);
    }
  }
  r.queued = queued_jobs();
  return r;
}

bool scheduler::run_until(const std::function<bool()>& done, deadline d) {
  while (!done()) {
    if (d.expired()) return false;
    if (poll() == 0 && !done()) {
      worker_scope scope(this, 0);
      drive_io(true, d.at());
    }
  }
  return true;
}

void scheduler::run_for(duration d) {
  const deadline end(clock::now() + d);
  run_until([&] { return end.expired(); }, end);
}

// ---- top-level tasks -------------------------------------------------------------------------------

namespace detail {
detached_task run_detached(scheduler& s, task<void> t) {
  try {
    co_await std::move(t);
  } catch (const std::exception& e) {
    s.note_unhandled(e.what());
  } catch (...) {
    s.note_unhandled("non-standard exception");
  }
}
}  // namespace detail

void scheduler::spawn(task<void> t) {
  auto d = detail::run_detached(*this, std::move(t));
  detail::detached_task::promise_type& p = d.h.promise();
  {
    std::lock_guard lk(tasks_mu_);
    p.owner = this;
    p.live_next = tasks_head_;
    if (tasks_head_) tasks_head_->live_prev = &p;
    tasks_head_ = &p;
  }
  schedule(job{&resume_job, d.h.address()});
}

detail::detached_task::promise_type::~promise_type() {
  if (owner) owner->forget_task(this);
}

void scheduler::forget_task(detail::detached_task::promise_type* p) noexcept {
  std::lock_guard lk(tasks_mu_);
  if (p->live_prev) p->live_prev->live_next = p->live_next;
  else tasks_head_ = p->live_next;
  if (p->live_next) p->live_next->live_prev = p->live_prev;
  p->owner = nullptr;
}

// After the workers are gone, nothing will resume a task that is still suspended (on a timer, a
// reply, a stream that never ends): its frame is destroyed here, which runs its destructors and
// frees what it holds, as asio's io_context destroys the handlers it will never call. A destructor
// that spawns adds to the list, and is destroyed in turn.
void scheduler::destroy_unfinished_tasks() noexcept {
  for (;;) {
    detail::detached_task::promise_type* p;
    {
      std::lock_guard lk(tasks_mu_);
      p = tasks_head_;
      if (!p) return;
      tasks_head_ = p->live_next;
      if (tasks_head_) tasks_head_->live_prev = nullptr;
      p->owner = nullptr;
    }
    std::coroutine_handle<detail::detached_task::promise_type>::from_promise(*p).destroy();
  }
}

void scheduler::note_unhandled(const char* what) noexcept {
  unhandled_.fetch_add(1, std::memory_order_relaxed);
  std::fprintf(stderr, "janus: exception escaped a top-level task: %s\n", what);
}

}  // namespace janus::rt
