// The part of an actor that does not depend on its message types: scheduling, the turn loop,
// suspended handlers, failure, restart and stop. See actor.hpp for the rules users rely on.
//
// @par Thread Safety
// notify, post, request_* and metrics may be called from any thread. Everything else runs inside
// the actor's turn, which the scheduled_ flag guarantees is never entered by two threads at once.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "janus/rt/executor.hpp"
#include "janus/rt/metrics.hpp"
#include "janus/rt/result.hpp"
#include "janus/rt/supervision.hpp"
#include "janus/rt/task.hpp"
#include "janus/rt/timer_queue.hpp"

namespace janus::rt {

class scheduler;
class supervisor;
class actor_cell_base;

/// How an actor is spawned. An actor class may declare `static constexpr std::size_t
/// mailbox_capacity` and `static constexpr unsigned max_suspended` to set its own defaults, so
/// its overload policy is visible where the actor is declared.
struct spawn_options {
  std::string name;
  std::size_t mailbox_capacity = 0;  // 0 = the actor's declared default, else 1024
  unsigned max_suspended = 0;        // 0 = the actor's declared default, else 64
  int worker = -1;                   // pin to a worker thread; -1 = any
};

namespace detail {

/// The coroutine that runs one asynchronous handler inside its actor. Its frame is linked into
/// the actor's list of live handlers so that a stop or restart can destroy it while suspended.
struct handler_coro {
  struct promise_type : pooled_frame {
    actor_cell_base* cell = nullptr;
    promise_type* prev = nullptr;
    promise_type* next = nullptr;

    handler_coro get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct final_awaiter {
      bool await_ready() noexcept { return false; }
      void await_suspend(std::coroutine_handle<promise_type> h) noexcept;
      void await_resume() noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // bodies catch everything
  };
  std::coroutine_handle<promise_type> h;
};

}  // namespace detail

class actor_cell_base : public executor {
 public:
  actor_cell_base(scheduler& s, std::string name, std::size_t capacity, unsigned max_suspended, int worker);
  actor_cell_base(const actor_cell_base&) = delete;
  actor_cell_base& operator=(const actor_cell_base&) = delete;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  /// Make sure a turn is queued. Returns true if this call queued it (the actor was idle): a push
  /// followed by notify() schedules the actor exactly once however many senders race.
  bool notify() noexcept;

  /// executor: resume a suspended handler of this actor in its next turn.
  void post(resumption& r) noexcept override;

  /// Ask the actor to stop (asynchronously). Idempotent.
  void request_stop() noexcept;
  /// Ask the actor to restart after `delay` (supervisor decisions for siblings).
  void request_restart(duration delay) noexcept;
  /// Let a paused (failed) actor go on.
  void request_resume() noexcept;

  bool stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }
  /// Run `f` once the actor has stopped (right away if it has). `f` may run on any thread.
  void when_stopped(std::function<void()> f);

  actor_metrics metrics() const;
  const std::string& name() const noexcept { return name_; }
  scheduler& sched() const noexcept { return sched_; }

  void set_supervisor(supervisor* s, child_policy p) noexcept {
    supervisor_ = s;
    policy_ = p;
  }
  supervisor* parent_supervisor() const noexcept { return supervisor_; }
  const child_policy& policy() const noexcept { return policy_; }

  /// Called when this actor's turn ends a handler (from handler_coro's final suspend).
  void handler_done(detail::handler_coro::promise_type& p) noexcept;

  /// Record a failure of the running handler; applied after the handler returns control.
  void note_failure(error e) noexcept;

 protected:
  virtual ~actor_cell_base();

  /// Start the user's behaviour (construct it, call on_start). Called in the first turn and after
  /// each restart.
  virtual void create_behavior() = 0;
  /// Call on_stop and destroy the behaviour.
  virtual void destroy_behavior() noexcept = 0;
  /// Take messages and handle them (synchronously, or by starting handler coroutines), at most
  /// `budget`, while may_dispatch() holds; stop early after a handler that failed (failure_ set)
  /// or when the mailbox is empty. Returns how many were handled. One virtual call per batch, not
  /// per message: the loop lives in the typed cell, where handlers can be inlined.
  virtual unsigned dispatch_some(unsigned budget) = 0;
  /// Messages waiting in the mailbox (safe from any thread).
  virtual std::size_t mailbox_size() const noexcept = 0;
  /// Messages already taken from the mailbox but not yet handled (inside the turn only).
  virtual bool taken_messages_left() const noexcept = 0;
  virtual std::size_t mailbox_capacity() const noexcept = 0;
  virtual std::size_t mailbox_high_water() const noexcept = 0;
  /// Refuse further messages; fail queued asks with `cancelled` and wake blocked senders.
  virtual void close_mailbox() noexcept = 0;

  /// Whether the turn may take another message: not paused, under the suspension bound, and no
  /// stop/restart/resume request waiting to be applied.
  bool may_dispatch() const noexcept {
    return !paused_ && suspended_ < max_suspended_ && control_.load(std::memory_order_relaxed) == 0;
  }
  /// A handler of this turn failed; the turn applies the failure before taking more messages.
  bool failed_in_turn() const noexcept { return failure_.has_value(); }

  /// How many more handlers this turn may start before the suspension bound is reached.
  unsigned free_handler_slots() const noexcept { return suspended_ < max_suspended_ ? max_suspended_ - suspended_ : 0; }

  /// Start an asynchronous handler coroutine inside the current turn.
  void start_handler(detail::handler_coro c);

  std::atomic<std::uint64_t> processed_{0};

 private:
  friend class scheduler;
  friend class supervisor;
  static void run_job(void* self) noexcept;
  void run_turn() noexcept;
  bool has_work(bool can_take_messages) const noexcept;
  void apply_control() noexcept;
  void apply_failure() noexcept;
  void apply_directive(directive d, duration delay) noexcept;
  void restart_now() noexcept;
  void stop_now() noexcept;
  void destroy_handlers() noexcept;
  /// Forget the queued resumptions; with refuse_more, post() drops new ones until called again
  /// without (while handlers are destroyed, and for good once stopped).
  void drop_resumptions(bool refuse_more) noexcept;
  void arm_backoff(duration delay) noexcept;
  void resume_pending() noexcept;

  enum : std::uint32_t { ctl_stop = 1, ctl_restart = 2, ctl_resume = 4, ctl_restart_after = 8 };
  std::atomic<std::int64_t> restart_delay_ns_{0};

  // The scheduler's registry of live actors: an intrusive list, so that 100k actors stop in O(n).
  actor_cell_base* reg_prev_ = nullptr;
  actor_cell_base* reg_next_ = nullptr;
  bool registered_ = false;

  scheduler& sched_;
  const std::string name_;
  const int worker_;
  const unsigned max_suspended_;
  std::atomic<std::uint32_t> refs_{1};
  std::atomic<bool> scheduled_{false};
  std::atomic<std::uint32_t> control_{0};
  std::atomic<bool> stopped_{false};
  bool started_ = false;
  bool paused_ = false;          // failed and waiting for a restart, or stopped
  unsigned suspended_ = 0;       // live handler coroutines
  std::atomic<unsigned> suspended_metric_{0};

  // Resumptions of this actor's suspended handlers, posted from any thread.
  std::mutex resume_mu_;
  resumption* resume_head_ = nullptr;
  resumption* resume_tail_ = nullptr;
  bool resume_closed_ = false;
  std::atomic<bool> resume_pending_{false};

  detail::handler_coro::promise_type* handlers_ = nullptr;  // live handler frames

  std::optional<error> failure_;  // set inside a turn by note_failure
  supervisor* supervisor_ = nullptr;
  child_policy policy_{};

  struct backoff_timer : timer_queue::node {
    actor_cell_base* owner = nullptr;
  } backoff_;
  bool backoff_armed_ = false;

  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> restarts_{0};
  mutable std::mutex info_mu_;  // guards last_failure_ and stop callbacks
  std::string last_failure_;
  std::vector<std::function<void()>> on_stopped_;
};

}  // namespace janus::rt
