// How an actor is reached: actor_ref<D> (a counted handle on its cell) and the awaitables of its
// sends, tell_awaiter (`co_await ref.tell(m)`, parked while the mailbox is full) and ask_awaiter
// (`co_await ref.ask(m, deadline)`, resumed exactly once through its reply cell). Users include
// <janus/rt/actor.hpp>, which states the rules these follow (bounded mailboxes, ask's outcomes).
//
// @par Thread Safety
// actor_ref is a handle like shared_ptr: copies may be used from any thread concurrently. An
// awaiter is awaited once, by one coroutine.
#pragma once

#include <coroutine>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "janus/rt/actor_dispatch.hpp"
#include "janus/rt/executor.hpp"
#include "janus/rt/mailbox.hpp"
#include "janus/rt/reply_cell.hpp"
#include "janus/rt/result.hpp"
#include "janus/rt/scheduler.hpp"
#include "janus/rt/time.hpp"

namespace janus::rt {

/// Awaitable of `co_await ref.tell(m)`: result<void>, errc::actor_stopped if the actor is gone.
/// It keeps the message as sent (M, not yet the actor's variant): with room in the mailbox the
/// envelope is built once, in its mailbox slot.
template <class D, class M>
class tell_awaiter {
 public:
  template <class A>
  tell_awaiter(actor_cell<D>* c, A&& m) : cell_(c), msg_(std::forward<A>(m)) {}
  tell_awaiter(const tell_awaiter&) = delete;
  tell_awaiter& operator=(const tell_awaiter&) = delete;
  ~tell_awaiter() {
    // Destroyed while parked (the sending coroutine was destroyed): leave the wait list.
    if (may_be_parked_) cell_->mail().remove_waiter(waiter_);
  }

  // The common case, room in the mailbox, needs no waiter and no suspension. A push that did not
  // find the mailbox empty needs no notify either: whoever made it non-empty scheduled the actor,
  // and a turn that ends with messages left schedules the next one (CAF's rule).
  bool await_ready() {
    switch (cell_->mail().try_emplace(std::in_place, std::move(msg_))) {
      case push_status::queued_woke:
        cell_->notify();
        return true;
      case push_status::queued:
        return true;
      default:
        return false;  // full, or closed (msg_ untouched): await_suspend parks or reports
    }
  }
  bool await_suspend(std::coroutine_handle<> h) {
    actor_cell<D>* cell = cell_;
    ex_ = current_executor();
    if (!ex_) ex_ = &cell->sched();
    resume_.handle = h;
    env_.emplace(std::in_place, std::move(msg_));
    waiter_.item = &*env_;
    waiter_.owner = this;
    waiter_.on_settled = &on_settled;
    waiter_.outcome = push_status::queued;
    may_be_parked_ = true;
    // Once parked, the consumer may settle and resume us on another thread at any moment: in
    // that case nothing here may touch a member after push_or_wait returns.
    switch (cell->mail().push_or_wait(waiter_)) {
      case push_status::queued_woke:
        cell->notify();
        [[fallthrough]];
      case push_status::queued:
        may_be_parked_ = false;
        return false;
      case push_status::closed:
        may_be_parked_ = false;
        waiter_.outcome = push_status::closed;
        return false;
      default:
        return true;
    }
  }
  result<void> await_resume() {
    may_be_parked_ = false;  // settled (the mailbox unlinked us) before we were resumed
    if (waiter_.outcome == push_status::closed)
      return error{errc::actor_stopped, "actor '" + cell_->name() + "' has stopped"};
    return {};
  }

 private:
  static void on_settled(typename mailbox<envelope<D>>::waiter& w) noexcept {
    auto* self = static_cast<tell_awaiter*>(w.owner);
    self->resume_.next = nullptr;
    self->ex_->post(self->resume_);
  }

  actor_cell<D>* cell_;
  M msg_;
  std::optional<envelope<D>> env_;  // only on the slow path: what a parked sender hands over
  typename mailbox<envelope<D>>::waiter waiter_;
  executor* ex_ = nullptr;
  resumption resume_;
  bool may_be_parked_ = false;
};

/// Awaitable of `co_await ref.ask(m, deadline)`: ask_result_t<D, M>.
template <class D, class M>
class ask_awaiter {
  using V = detail::reply_value_t<D, M>;

 public:
  ask_awaiter(actor_cell<D>* c, M m, deadline d) : cell_(c), env_{std::move(m), nullptr}, deadline_(d) {}
  ask_awaiter(const ask_awaiter&) = delete;
  ask_awaiter& operator=(const ask_awaiter&) = delete;
  ~ask_awaiter() {
    if (!rc_) return;
    // Destroyed while suspended: make sure nobody resumes us, then let go of the cell.
    rc_->abandon();
    cleanup();
  }

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    actor_cell<D>* cell = cell_;
    // Once the request is in the mailbox the asker may be resumed on another worker, finish, and
    // drop the last reference to the actor, while this thread is still in the push (reading the
    // mailbox after publishing the slot) or in notify(): TSan saw the cell freed under it in
    // tests/runtime/hazards_test.cpp. This reference, on this thread's stack, keeps the cell for
    // the rest of this call.
    cell->add_ref();
    struct keep_cell {
      actor_cell<D>* c;
      ~keep_cell() { c->release(); }
    } keep{cell};
    reply_cell<V>* rc = reply_cell<V>::create();
    rc_ = rc;
    rc->ex = current_executor();
    if (!rc->ex) rc->ex = &cell->sched();
    rc->resume.handle = h;
    env_.reply = rc;
    // Arm the deadline before the request can be seen: once it is queued the reply may resume us
    // on another thread at any moment.
    if (!deadline_.is_never()) {
      rc->timer.when = deadline_.at();
      timer_armed_ = true;
      cell->sched().add_timer(rc->timer);
    }
    waiter_.item = &env_;
    waiter_.owner = this;
    waiter_.on_settled = &on_settled;
    waiter_.outcome = push_status::queued;
    // Whatever happens below, we are resumed through the reply cell (reply, deadline, stop), so
    // no member is written after the push: the resumption may already be running elsewhere.
    switch (cell->mail().push_or_wait(waiter_)) {
      case push_status::queued_woke:
        cell->notify();
        return true;
      case push_status::queued:
        return true;
      case push_status::closed:
        rc->release();  // the envelope's reference: it was never queued
        rc->complete_error(error{errc::actor_stopped, "actor '" + cell->name() + "' has stopped"});
        return true;
      default:
        return true;
    }
  }

  ask_result_t<D, M> await_resume() {
    auto* rc = static_cast<reply_cell<V>*>(rc_);
    auto out = rc->take();
    cleanup();
    return out;
  }

 private:
  // Runs under the mailbox lock when a parked ask gets into the mailbox or the mailbox closes.
  static void on_settled(typename mailbox<envelope<D>>::waiter& w) noexcept {
    auto* self = static_cast<ask_awaiter*>(w.owner);
    if (w.outcome == push_status::closed) {
      reply_cell_base* rc = self->rc_;
      rc->release();  // the envelope never got in
      rc->complete_error(error{errc::actor_stopped, "actor has stopped"});
    }
  }

  void cleanup() noexcept {
    reply_cell_base* rc = std::exchange(rc_, nullptr);
    if (timer_armed_) cell_->sched().timers().cancel(rc->timer);
    // Still parked (the deadline fired before there was room): take the request back. A waiter
    // that was never parked reports its preset outcome, and so releases nothing here.
    if (cell_->mail().remove_waiter(waiter_) == push_status::waiting) rc->release();
    rc->release();
  }

  actor_cell<D>* cell_;
  envelope<D> env_;
  deadline deadline_;
  reply_cell_base* rc_ = nullptr;
  typename mailbox<envelope<D>>::waiter waiter_;
  bool timer_armed_ = false;
};

template <class D>
class actor_ref {
 public:
  actor_ref() noexcept = default;
  explicit actor_ref(actor_cell<D>* c) noexcept : cell_(c) {
    if (cell_) cell_->add_ref();
  }
  actor_ref(const actor_ref& o) noexcept : actor_ref(o.cell_) {}
  actor_ref(actor_ref&& o) noexcept : cell_(std::exchange(o.cell_, nullptr)) {}
  actor_ref& operator=(actor_ref o) noexcept {
    std::swap(cell_, o.cell_);
    return *this;
  }
  ~actor_ref() {
    if (cell_) cell_->release();
  }

  explicit operator bool() const noexcept { return cell_ != nullptr; }
  bool operator==(const actor_ref& o) const noexcept { return cell_ == o.cell_; }

  /// Queue a message from plain (non-coroutine) code: mailbox_full or actor_stopped as values.
  template <class M>
  result<void> try_tell(M&& m) const {
    switch (cell_->mail().try_emplace(std::in_place, std::forward<M>(m))) {
      case push_status::queued_woke:
        cell_->notify();
        return {};
      case push_status::queued:
        return {};
      case push_status::full:
        return error{errc::mailbox_full, "mailbox of actor '" + cell_->name() + "' is full"};
      default:
        return error{errc::actor_stopped, "actor '" + cell_->name() + "' has stopped"};
    }
  }

  /// `co_await ref.tell(m)`: queue m, suspending while the mailbox is full.
  template <class M>
  tell_awaiter<D, std::decay_t<M>> tell(M&& m) const {
    return tell_awaiter<D, std::decay_t<M>>(cell_, std::forward<M>(m));
  }

  /// `co_await ref.ask(m, deadline)`: the handler's reply as a result.
  template <class M>
  ask_awaiter<D, std::decay_t<M>> ask(M&& m, deadline d) const {
    return ask_awaiter<D, std::decay_t<M>>(cell_, std::forward<M>(m), d);
  }

  void stop() const noexcept { cell_->request_stop(); }
  bool stopped() const noexcept { return cell_->stopped(); }
  void when_stopped(std::function<void()> f) const { cell_->when_stopped(std::move(f)); }
  actor_metrics metrics() const { return cell_->metrics(); }
  const std::string& name() const noexcept { return cell_->name(); }
  scheduler& sched() const noexcept { return cell_->sched(); }
  actor_cell<D>* cell() const noexcept { return cell_; }

 private:
  actor_cell<D>* cell_ = nullptr;
};

}  // namespace janus::rt
