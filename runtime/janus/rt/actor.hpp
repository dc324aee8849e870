// Actors: state owned by one object, changed only by its own message handlers.
//
// An actor class declares its messages and one `handle` overload per message:
//
//   struct counter : janus::rt::actor<counter> {
//     struct add { int n; };
//     struct get {};
//     using message = std::variant<add, get>;
//     static constexpr std::size_t mailbox_capacity = 256;   // optional: its overload policy
//     int value = 0;
//     void handle(add m) { value += m.n; }                  // synchronous handler
//     task<int> handle(get) { co_return value; }             // coroutine handler
//   };
//   auto ref = spawn<counter>(sched, {.name = "counter"});
//   co_await ref.tell(counter::add{2});                      // waits while the mailbox is full
//   result<int> v = co_await ref.ask(counter::get{}, 1s);    // timeout / cancelled as values
//
// THE RULES
// 1. One at a time. An actor's handlers never run concurrently with each other: no locks are
//    needed in actor code.
// 2. Reentrant at suspension points (like Swift actors). While a coroutine handler is suspended
//    in a co_await (say, waiting for a browser's reply), the actor goes on taking its next
//    messages, and may resume other suspended handlers. So state read before a co_await may have
//    changed after it. At most `max_suspended` handlers may be suspended at once (default 64, or
//    the actor's `static constexpr unsigned max_suspended`); at the bound the actor stops taking
//    messages until one finishes, and its mailbox fills, pushing back on senders.
// 3. Bounded mailboxes. `co_await tell(m)` suspends the sender while the mailbox is full;
//    `try_tell(m)` returns errc::mailbox_full instead (a message passed as an rvalue is then
//    still the caller's, when it moves without throwing); both fail with errc::actor_stopped
//    once the actor has stopped. A push schedules the actor exactly once however many senders race.
//    Messages from one sender are handled in the order it sent them.
// 4. ask(m, deadline) returns result<R>: the handler's value, errc::timeout when the deadline
//    passes first, errc::cancelled when the actor stops before replying (queued or suspended),
//    errc::actor_stopped when it had already stopped. A reply is never lost or delivered twice.
//    A handler that returns result<T> answers ask with result<T> (its error reaches the asker).
// 5. Failures. A handler that throws, or a tell handler that returns an error result (nobody else
//    would see it), fails the actor: its supervisor decides (supervisor.hpp); an unsupervised actor
//    counts the failure in its metrics and goes on. The process is never taken down.
// 7. GCC 12 pitfall: an aggregate temporary whose members have destructors, built inside a
//    co_await expression (`co_await ref.ask(msg{name, other_ref}, d)`), is destroyed twice by
//    GCC 12's coroutine lowering. Build the message in a statement of its own first
//    (`msg m{name, other_ref}; co_await ref.ask(std::move(m), d);`). Messages of plain values
//    (ints, enums) are not affected; GCC 13 and clang are not affected.
// 6. Lifecycle. Optional `on_start()` (void or task<void>) runs in the actor before its first
//    message and after every restart; optional `on_stop()` runs when it stops or before a restart.
//    Handlers take their message by value or by const reference; either way the message lives
//    until the handler finishes.
//
// @par Thread Safety
// actor_ref is a handle like shared_ptr: copies may be used from any thread concurrently.
#pragma once

#include <functional>
#include <memory>
#include <utility>

// The pieces, each its own idea; this header is the one users include.
#include "janus/rt/actor_cell.hpp"      // the type-independent cell: turns, suspension, stop, restart
#include "janus/rt/actor_dispatch.hpp"  // messages, envelopes, the typed cell that runs handlers
#include "janus/rt/actor_ref.hpp"       // actor_ref, tell and ask
#include "janus/rt/scheduler.hpp"
#include "janus/rt/supervisor.hpp"

namespace janus::rt {

/// Optional base class giving an actor access to its own address and scheduler.
template <class D>
class actor {
 public:
  actor_ref<D> self() const;
  scheduler& sched() const { return cell_->sched(); }

 private:
  template <class>
  friend class actor_cell;
  actor_cell<D>* cell_ = nullptr;
};

template <class D>
actor_ref<D> actor<D>::self() const {
  return actor_ref<D>(cell_);
}

/// Spawn an actor whose state is made by `factory` (called again on every restart).
template <class D>
actor_ref<D> spawn_with(scheduler& s, spawn_options o, std::function<std::unique_ptr<D>()> factory,
                        supervisor* sup = nullptr, child_policy policy = {}) {
  auto* cell = new actor_cell<D>(s, o, std::move(factory));
  actor_ref<D> ref(cell);
  cell->release();  // the ref owns the creation reference now
  if (sup) {
    cell->set_supervisor(sup, policy);
    sup->adopt(*cell, policy);
  }
  s.register_actor(cell);
  cell->notify();  // the first turn constructs the state and runs on_start
  return ref;
}

/// Spawn an actor constructed from copies of `args` (kept for restarts).
template <class D, class... Args>
actor_ref<D> spawn(scheduler& s, spawn_options o, Args... args) {
  return spawn_with<D>(s, std::move(o), [args...]() { return std::make_unique<D>(args...); });
}

/// Spawn an actor under a supervisor.
template <class D, class... Args>
actor_ref<D> spawn(supervisor& sup, child_policy policy, spawn_options o, Args... args) {
  return spawn_with<D>(sup.sched(), std::move(o), [args...]() { return std::make_unique<D>(args...); }, &sup, policy);
}

}  // namespace janus::rt
