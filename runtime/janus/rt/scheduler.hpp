// The scheduler: where actors and top-level tasks run, where timers fire and I/O completes.
//
// Two modes, chosen when it is constructed:
// - workers = N > 0: N worker threads run actors and tasks (each worker has its own run queue and
//   steals from the others when idle; an idle worker spins briefly before it parks, which is what
//   makes a cross-thread ask cheap). There is no I/O thread: one idle worker at a time drives the
//   Asio io_context and the timer heap (polling while it spins, then waiting), so an I/O
//   completion and the coroutine it resumes usually run on the same thread with no hand-off;
//   busy workers poll I/O between jobs so that it is never starved. Completions only post
//   resumptions: actor code still runs only in actor turns.
// - workers = 0: no thread at all. The host calls poll() from its own loop (a game engine's frame
//   tick): it fires due timers, runs ready I/O completions and every ready actor turn and task, and
//   returns without ever blocking. poll(poll_budget) does the same within a budget of time or
//   count, so a frame keeps its time under a stream of events: what it leaves stays queued, in
//   order, for the next call, and the transports' own backpressure (bounded mailboxes, a reader
//   that pauses when they are full) keeps that backlog bounded. run_until() and block_on() may
//   block, waiting on the io_context until a timer, I/O or a post from another thread arrives.
//
// Asio's completions are delivered into actors: an I/O handler posts the waiting coroutine to the
// executor (actor or scheduler) it suspended on; actor code never runs on an arbitrary thread.
//
// @par Thread Safety
// post(), spawn(), schedule() and metrics() may be called from any thread. poll() and run_until()
// must be called from one thread at a time, and only in workers = 0 mode. block_on() must not be
// called from a thread of this scheduler.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "janus/rt/executor.hpp"
#include "janus/rt/task.hpp"
#include "janus/rt/time.hpp"
#include "janus/rt/timer_queue.hpp"

namespace asio {
class io_context;
}

namespace janus::rt {

class actor_cell_base;
struct actor_metrics;

struct scheduler_options {
  /// Worker threads; 0 = the host drives everything with poll().
  unsigned workers = 0;
  /// How long an idle worker spins looking for work (and the I/O driver polls the io_context)
  /// before it parks or blocks in the I/O wait. A short spin catches a hand-off from another
  /// worker that comes within microseconds without a futex wake; a browser's reply takes a
  /// hundred microseconds or more, and spinning for it only burns a core the browser needs on a
  /// small machine. 10 us (50 us before issue 18): against headless Chromium on 2 cores, client
  /// CPU per sequential round trip 44 us instead of 75 (0 us: 36), latency no worse
  /// (bench/RESULTS.md, "Client CPU per round trip"). 0 parks at once. Poll mode never spins:
  /// poll() returns, and run_until() / block_on() wait in the I/O wait.
  std::chrono::microseconds spin = std::chrono::microseconds(10);
  /// Prefix of the worker threads' names (visible in debuggers and `top -H`).
  std::string name = "janus";
};

/// How much one scheduler::poll(poll_budget) may do. It returns when either limit is reached,
/// leaving what is ready for the next call. A job, timer or I/O completion is never interrupted:
/// the time budget holds by not starting the next piece of work when, judged by the longest piece
/// this call has run so far, it would end past the budget. So a poll overruns only when a piece
/// takes longer than every one before it in the call (or when the very first, which always runs
/// so that every call makes progress, is longer than the budget). Work inside a job that can
/// pause — a stream consumer with more items queued, an actor turn with messages left — yields
/// to the next call a twentieth of the budget before its end (detail::time_slice_over), so one
/// job cannot hold the frame either.
///
/// @par Thread Safety
/// A plain value.
struct poll_budget {
  /// Time from the start of the call.
  std::chrono::nanoseconds time = std::chrono::nanoseconds::max();
  /// Jobs (actor turns, task resumptions), I/O completions and timers fired. The default is the
  /// bound poll() has, so that actors messaging each other forever cannot trap the host's frame.
  std::size_t jobs = 65536;
};

/// What one scheduler::poll(poll_budget) did.
///
/// @par Thread Safety
/// A plain value.
struct poll_result {
  /// Jobs, I/O completions and timers processed.
  std::size_t ran = 0;
  /// Jobs still queued when it returned (they run first in the next call).
  std::size_t queued = 0;
  /// It stopped because the budget ran out, not because nothing was ready: ready work (queued
  /// jobs, or I/O completions not yet collected) may be waiting for the next call.
  bool budget_spent = false;
};

/// A unit of work on a run queue: a function and its argument, so queuing never allocates.
struct job {
  void (*fn)(void*) = nullptr;
  void* arg = nullptr;
};

class scheduler;

namespace detail {

/// A fire-and-forget coroutine that owns a top-level task and frees itself when it ends. While
/// it lives it is on its scheduler's list, so that a scheduler going away can destroy what will
/// never run again (see ~scheduler) instead of leaking it.
struct detached_task {
  struct promise_type : pooled_frame {
    detached_task get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
    ~promise_type();  // leaves the owner's list

    scheduler* owner = nullptr;  // the list's links are guarded by the owner's mutex
    promise_type* live_prev = nullptr;
    promise_type* live_next = nullptr;
  };
  std::coroutine_handle<promise_type> h;
};

detached_task run_detached(scheduler& s, task<void> t);

/// Inside scheduler::poll(poll_budget) with a time budget, on its thread: whether the budget is
/// spent. Code that would go on with more ready work in the same job (a stream consumer whose
/// queue holds more items, an actor turn with messages left) yields instead, so that one job
/// cannot hold the host's frame. Always false outside such a call (no clock read).
bool time_slice_over() noexcept;
/// Whether the calling thread is inside a time-budgeted poll.
bool time_slice_active() noexcept;

}  // namespace detail

class scheduler final : public executor {
 public:
  explicit scheduler(scheduler_options opts = {});
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  /// executor: resume the coroutine on any worker (top-level tasks have no actor to run in).
  void post(resumption& r) noexcept override;

  /// Queue a job. `worker` pins it to one worker (actors placed on a worker); -1 = anywhere,
  /// preferring the calling worker's own queue for cache locality.
  void schedule(job j, int worker = -1) noexcept;

  /// Start a top-level task; it runs to completion on its own. An exception escaping it is counted
  /// (unhandled_failures()) and printed, never rethrown into the scheduler.
  void spawn(task<void> t);

  /// Run `t` to completion and return its value; drives the scheduler itself in workers = 0 mode.
  template <class T>
  T block_on(task<T> t);

  /// workers = 0 mode: run everything that is ready now (timers due, I/O completions, actor turns,
  /// tasks), never blocking. Returns the number of jobs, timers and completions processed.
  std::size_t poll();
  /// workers = 0 mode: poll() within `budget`. Timers due are fired first; then queued jobs run in
  /// order, I/O completions are collected one at a time between them, and the jobs they make run
  /// behind those already queued. Nothing is dropped or reordered by stopping early.
  poll_result poll(poll_budget budget);

  /// workers = 0 mode: drive until `done()` is true or the deadline passes, sleeping in the
  /// io_context between events. Returns done().
  bool run_until(const std::function<bool()>& done, deadline d = deadline::never());
  /// workers = 0 mode: drive for the given time.
  void run_for(duration d);

  /// Stop every actor (children before parents, in reverse order of creation) and wait for them;
  /// then run what is runnable until the queues stay empty (at most 2 s; timers are not waited
  /// for), so that tasks a close woke finish and free their frames. Called by the destructor;
  /// idempotent.
  void shutdown();

  asio::io_context& io() noexcept;
  timer_queue& timers() noexcept { return timers_; }
  /// Add a timer and make sure the I/O wait wakes up for it if it is now the earliest.
  void add_timer(timer_queue::node& n);

  unsigned worker_count() const noexcept { return static_cast<unsigned>(opts_.workers); }
  bool poll_mode() const noexcept { return opts_.workers == 0; }
  /// The index of the worker running the calling thread, or -1.
  int current_worker() const noexcept;

  /// Per-actor metrics of every live actor. Safe from any thread.
  std::vector<actor_metrics> metrics() const;
  /// Exceptions that escaped top-level tasks.
  std::uint64_t unhandled_failures() const noexcept { return unhandled_.load(std::memory_order_relaxed); }
  /// Threads this scheduler started (0 in poll mode: Janus starts none of its own).
  unsigned threads_started() const noexcept { return threads_started_; }

  // For actor cells.
  void register_actor(actor_cell_base* a);
  void unregister_actor(actor_cell_base* a) noexcept;
  void note_unhandled(const char* what) noexcept;

 private:
  struct worker;
  friend struct worker;

  void worker_main(unsigned index);
  bool drive_io_as(worker& w);
  bool run_one_job(worker& w);
  void settle();
  std::size_t run_ready_jobs(std::size_t limit);
  std::size_t queued_jobs() const noexcept;
  void wake_io() noexcept;
  void wake_worker(worker& w) noexcept;
  bool any_work() const noexcept;
  bool has_work_for(const worker& w) const noexcept;
  std::size_t drive_io(bool may_block, time_point until, const worker* self = nullptr);

  scheduler_options opts_;
  std::unique_ptr<asio::io_context> io_;
  struct io_guard;
  std::unique_ptr<io_guard> io_guard_;
  timer_queue timers_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::vector<std::thread> threads_;
  unsigned threads_started_ = 0;
  std::atomic<bool> io_driving_{false};  // a worker is driving the io_context and timers
  std::atomic<int> io_driver_{-1};       // which one, while it may block in the I/O wait
  static constexpr unsigned io_poll_interval = 61;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> io_waiting_{false};
  std::atomic<time_point::rep> io_wake_at_{0};  // when the current I/O wait ends at the latest
  static constexpr duration io_horizon = std::chrono::milliseconds(100);
  std::atomic<unsigned> next_victim_{0};
  std::atomic<std::uint64_t> unhandled_{0};

  mutable std::mutex actors_mu_;
  actor_cell_base* actors_head_ = nullptr;  // in creation order (intrusive list)
  actor_cell_base* actors_tail_ = nullptr;
  std::size_t actor_count_ = 0;
  std::condition_variable actors_gone_;  // with actors_mu_: actor_count_ reached 0
  bool shut_down_ = false;

  // settle()'s probe (threaded mode): a job whose run a shutting-down thread waits for.
  static void settle_probe_job(void* self) noexcept;
  std::mutex probe_mu_;
  std::condition_variable probe_cv_;
  std::uint64_t probes_run_ = 0;  // guarded by probe_mu_

  // Top-level tasks alive (spawned, not finished): destroyed, not run, when the scheduler goes.
  friend struct detail::detached_task::promise_type;
  void forget_task(detail::detached_task::promise_type* p) noexcept;
  void destroy_unfinished_tasks() noexcept;
  std::mutex tasks_mu_;
  detail::detached_task::promise_type* tasks_head_ = nullptr;
};

namespace detail {

template <class T>
struct block_state {
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> done{false};
  std::optional<T> value;
  std::exception_ptr exception;
};
template <>
struct block_state<void> {
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> done{false};
  std::exception_ptr exception;
};

template <class T>
task<void> block_on_body(task<T> t, block_state<T>& st) {
  try {
    if constexpr (std::is_void_v<T>) co_await std::move(t);
    else st.value.emplace(co_await std::move(t));
  } catch (...) {
    st.exception = std::current_exception();
  }
  // Notify while holding the lock: block_on may return (destroying st) as soon as it sees done.
  std::lock_guard lk(st.mu);
  st.done.store(true, std::memory_order_release);
  st.cv.notify_all();
}

}  // namespace detail

template <class T>
T scheduler::block_on(task<T> t) {
  detail::block_state<T> st;
  spawn(detail::block_on_body<T>(std::move(t), st));
  if (poll_mode()) {
    run_until([&] { return st.done.load(std::memory_order_acquire); });
  } else {
    std::unique_lock lk(st.mu);
    st.cv.wait(lk, [&] { return st.done.load(std::memory_order_acquire); });
  }
  if (st.exception) std::rethrow_exception(st.exception);
  if constexpr (!std::is_void_v<T>) return std::move(*st.value);
}

}  // namespace janus::rt
