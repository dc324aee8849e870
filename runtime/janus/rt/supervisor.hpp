// Supervisors own actors and decide what happens when one fails.
//
// A failure is a handler that threw, or a tell handler that returned an error result (an ask's
// error goes to the asker instead). The failed actor pauses (its mailbox keeps filling, which
// pushes back on senders) and asks its supervisor, which answers with the child's policy:
// restart (after an exponential backoff, at most max_restarts within the window, beyond which the
// restart becomes an escalation), resume, stop, or escalate (the supervisor itself fails to its own
// supervisor, whose decision then applies to all of its children). With one_for_all, a restart or
// stop of one child is applied to every sibling too. A root supervisor that escalates stops all
// its children.
//
// stop() stops every child (each fails its queued and suspended asks with `cancelled`); a
// supervisor is stopped once all its children are, so children always stop before their parent.
//
// @par Thread Safety
// All members may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "janus/rt/result.hpp"
#include "janus/rt/supervision.hpp"
#include "janus/rt/time.hpp"

namespace janus::rt {

class actor_cell_base;
class scheduler;

class supervisor {
 public:
  struct decision {
    directive what = directive::resume;
    duration delay{};
  };

  /// A root supervisor.
  explicit supervisor(scheduler& s, strategy st = strategy::one_for_one, std::string name = "supervisor");
  /// A supervisor that is itself a child of `parent` (its failures escalate there).
  supervisor(supervisor& parent, strategy st, std::string name, child_policy policy_in_parent = {});
  /// Stops all children and waits until they have stopped (driving the scheduler in poll mode),
  /// for at most stop_timeout(). A child still running then makes it print which children are
  /// stuck and abort the process (see supervisor.cpp for why not return or leak instead).
  ~supervisor();

  /// How long the destructor waits for the children to stop; default default_stop_timeout.
  void set_stop_timeout(duration d) noexcept { stop_timeout_.store(d.count(), std::memory_order_relaxed); }
  duration stop_timeout() const noexcept { return duration(stop_timeout_.load(std::memory_order_relaxed)); }
  /// Generous: children stop in one turn each, and an on_stop that closes a browser connection is
  /// bounded by that connection's own (much shorter) deadlines. Only a handler that blocks its
  /// worker thread for good reaches it.
  static constexpr duration default_stop_timeout = std::chrono::seconds(60);
  supervisor(const supervisor&) = delete;
  supervisor& operator=(const supervisor&) = delete;

  scheduler& sched() const noexcept { return sched_; }
  const std::string& name() const noexcept { return name_; }

  /// Request every child to stop (asynchronously).
  void stop();
  /// All children have stopped (after stop(), or because each stopped on its own).
  bool stopped() const;
  /// Wait until stopped() — from a thread that is not one of the scheduler's. Returns stopped().
  bool wait_stopped(deadline d);

  std::size_t child_count() const;
  /// Times this supervisor itself escalated.
  std::uint64_t escalations() const noexcept;

  // Called by children (from their turn).
  void adopt(actor_cell_base& child, child_policy p);
  decision child_failed(actor_cell_base& child, const error& e);
  void child_stopped(actor_cell_base& child);

 private:
  struct entry {
    actor_cell_base* cell = nullptr;  // holds a reference
    supervisor* sub = nullptr;
    child_policy policy;
    std::deque<time_point> restarts;  // within the policy's window
  };

  decision decide(entry& e, const error& err, std::unique_lock<std::mutex>& lk);
  decision failed_as_child(supervisor& child_sup, const error& e);
  void apply_to_all(const decision& d, const actor_cell_base* except);
  void adopt_sub(supervisor& sub, child_policy p);
  void sub_stopped(supervisor& sub);
  entry* find(const actor_cell_base* c);
  entry* find(const supervisor* s);
  void maybe_stopped(std::unique_lock<std::mutex>& lk);

  scheduler& sched_;
  strategy strategy_;
  std::string name_;
  supervisor* parent_ = nullptr;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<entry> children_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::atomic<duration::rep> stop_timeout_{default_stop_timeout.count()};
  [[noreturn]] void abort_stuck_children() const noexcept;
  std::uint64_t escalations_ = 0;
};

/// The backoff before restart number `n` (1-based) under policy `p`.
duration restart_backoff(const restart_policy& p, std::size_t n) noexcept;

}  // namespace janus::rt
