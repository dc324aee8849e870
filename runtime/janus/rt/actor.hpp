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

#include <algorithm>
#include <array>
#include <concepts>
#include <optional>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>

#include "janus/rt/actor_cell.hpp"
#include "janus/rt/mailbox.hpp"
#include "janus/rt/reply_cell.hpp"
#include "janus/rt/scheduler.hpp"
#include "janus/rt/supervisor.hpp"
#include "janus/rt/task.hpp"
#include "janus/rt/time.hpp"

namespace janus::rt {

template <class D>
class actor_cell;
template <class D>
class actor_ref;

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

namespace detail {

template <class D, class M>
using handler_return_t = decltype(std::declval<D&>().handle(std::declval<M&&>()));

template <class R>
struct unwrap_task {
  using type = R;
  static constexpr bool is_async = false;
};
template <class R>
struct unwrap_task<task<R>> {
  using type = R;
  static constexpr bool is_async = true;
};

template <class R>
struct reply_value {
  using type = R;
};
template <class Y>
struct reply_value<result<Y>> {
  using type = Y;
};

template <class D, class M>
using reply_t = typename unwrap_task<handler_return_t<D, M>>::type;
template <class D, class M>
inline constexpr bool is_async_v = unwrap_task<handler_return_t<D, M>>::is_async;
template <class D, class M>
using reply_value_t = typename reply_value<reply_t<D, M>>::type;

template <class D>
constexpr std::size_t declared_capacity() {
  if constexpr (requires { D::mailbox_capacity; }) return D::mailbox_capacity;
  else return 1024;
}
template <class D>
constexpr unsigned declared_max_suspended() {
  if constexpr (requires { D::max_suspended; }) return D::max_suspended;
  else return 64;
}

template <class M>
std::string message_name() {
  return typeid(M).name();
}

inline std::string exception_text(std::exception_ptr p) {
  try {
    std::rethrow_exception(p);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "non-standard exception";
  }
}

}  // namespace detail

/// What an actor's mailbox holds: a message and, for an ask, where the reply goes.
template <class D>
struct envelope {
  // Said here too so that the error names the actor's message type, not the mailbox internals.
  static_assert(std::is_nothrow_move_constructible_v<typename D::message>,
                "an actor's `message` type must be nothrow move constructible (the mailbox moves "
                "messages after reserving their slot): give each alternative a noexcept move "
                "constructor, or hold the offending member through a std::unique_ptr");
  typename D::message msg;
  reply_cell_base* reply = nullptr;  // holds one reference while set

  envelope(typename D::message m, reply_cell_base* r) noexcept(std::is_nothrow_move_constructible_v<typename D::message>)
      : msg(std::move(m)), reply(r) {}
  /// A tell's envelope, its message built straight from what was sent. noexcept when that
  /// construction is: only then does the mailbox build it in the slot (see try_emplace).
  template <class M>
  envelope(std::in_place_t, M&& m) noexcept(std::is_nothrow_constructible_v<typename D::message, M&&>)
      : msg(std::forward<M>(m)) {}
};

/// The result type of ask() for message M: result<V> where V is the handler's value type.
template <class D, class M>
using ask_result_t = result<detail::reply_value_t<D, M>>;

template <class D>
class actor_cell final : public actor_cell_base {
 public:
  using factory_type = std::function<std::unique_ptr<D>()>;
  using mailbox_type = mailbox<envelope<D>>;

  actor_cell(scheduler& s, const spawn_options& o, factory_type f)
      : actor_cell_base(s, o.name.empty() ? std::string("actor") : o.name, capacity_of(o), suspended_of(o), o.worker),
        mb_(capacity_of(o)),
        factory_(std::move(f)) {}

  mailbox_type& mail() noexcept { return mb_; }
  D* behavior() noexcept { return behavior_.get(); }

 protected:
  void create_behavior() override {
    behavior_ = factory_();
    if constexpr (std::is_base_of_v<actor<D>, D>) static_cast<actor<D>*>(behavior_.get())->cell_ = this;
    if constexpr (requires(D& d) { d.on_start(); }) {
      using R = decltype(behavior_->on_start());
      if constexpr (is_task_v<R>) start_handler(run_on_start(this));
      else behavior_->on_start();
    }
  }

  void destroy_behavior() noexcept override {
    if (!behavior_) return;
    if constexpr (requires(D& d) { d.on_stop(); }) {
      try {
        behavior_->on_stop();
      } catch (...) {
        // on_stop must not keep the actor alive; what it threw has nowhere better to go.
      }
    }
    behavior_.reset();
  }

  unsigned dispatch_some(unsigned budget) override {
    unsigned handled = 0;
    while (handled < budget && may_dispatch()) {
      // Messages are taken from the mailbox in small batches (the mailbox publishes its head
      // once per batch), but never more than the handlers the actor may still start: a taken
      // message frees its mailbox slot, and the mailbox's bound must keep meaning "messages
      // waiting".
      if (batch_pos_ == batch_len_) {
        batch_pos_ = 0;
        batch_len_ = mb_.pop_batch(batch_.data(), std::min<std::size_t>(batch_.size(), free_handler_slots()));
        if (batch_len_ == 0) break;
      }
      dispatch_taken();
      ++handled;
      if (failed_in_turn()) break;
    }
    return handled;
  }

  std::size_t mailbox_size() const noexcept override { return mb_.size(); }
  bool taken_messages_left() const noexcept override { return batch_pos_ < batch_len_; }
  std::size_t mailbox_capacity() const noexcept override { return mb_.capacity(); }
  std::size_t mailbox_high_water() const noexcept override { return mb_.high_water(); }

  void close_mailbox() noexcept override {
    auto cancel = [this](envelope<D>& e) {
      if (e.reply) {
        e.reply->complete_error(error{errc::cancelled, "actor '" + name() + "' stopped before handling the request"});
        e.reply->release();
        e.reply = nullptr;
      }
    };
    // The rest of a taken batch is as queued as the mailbox: it fails first, in order.
    for (; batch_pos_ < batch_len_; ++batch_pos_) {
      cancel(*batch_[batch_pos_]);
      batch_[batch_pos_].reset();
    }
    mb_.close(cancel);
  }

 private:
  /// Handle the next taken message.
  void dispatch_taken() {
    auto& slot = batch_[batch_pos_++];
    envelope<D>& env = *slot;
    reply_cell_base* reply = env.reply;
    std::visit(
        [&](auto& m) {
          using M = std::decay_t<decltype(m)>;
          if constexpr (detail::is_async_v<D, M>) start_handler(run_async<M>(this, std::move(m), reply));
          else handle_sync<M>(m, reply);
        },
        env.msg);
    slot.reset();
  }

  static std::size_t capacity_of(const spawn_options& o) {
    return o.mailbox_capacity ? o.mailbox_capacity : detail::declared_capacity<D>();
  }
  static unsigned suspended_of(const spawn_options& o) {
    return o.max_suspended ? o.max_suspended : detail::declared_max_suspended<D>();
  }

  /// Owns the reference to an ask's reply cell inside a handler; if the handler is destroyed
  /// before answering (stop, restart), the ask fails with `cancelled`.
  struct reply_guard {
    reply_cell_base* cell;
    std::string* actor_name;
    reply_cell_base* take() noexcept { return std::exchange(cell, nullptr); }
    ~reply_guard() {
      if (cell) {
        cell->complete_error(error{errc::cancelled, "actor '" + *actor_name + "' stopped before replying"});
        cell->release();
      }
    }
  };

  /// Hand a handler's outcome to the asker, or judge a tell's outcome.
  template <class M, class R>
  void finish(reply_cell_base* reply, R&& r) {
    using V = detail::reply_value_t<D, M>;
    if (!reply) {
      if constexpr (is_result_v<std::decay_t<R>>) {
        if (!r) note_failure(error{errc::handler_failed, "tell handler for " + detail::message_name<M>() +
                                                             " returned " + r.err().what()});
      }
      return;
    }
    auto* cell = static_cast<reply_cell<V>*>(reply);
    if constexpr (is_result_v<std::decay_t<R>>) {
      if (r) {
        if constexpr (std::is_void_v<V>) cell->complete_value();
        else cell->complete_value(std::move(*r));
      } else {
        cell->complete_error(std::move(r).err());
      }
    } else {
      cell->complete_value(std::forward<R>(r));
    }
    reply->release();
  }
  template <class M>
  void finish_void(reply_cell_base* reply) {
    if (!reply) return;
    static_cast<reply_cell<void>*>(reply)->complete_value();
    reply->release();
  }
  void fail_reply(reply_cell_base* reply, const std::string& why) {
    if (!reply) return;
    reply->complete_error(error{errc::handler_failed, why});
    reply->release();
  }

  template <class M>
  void handle_sync(M& m, reply_cell_base* reply) {
    using R = detail::reply_t<D, M>;
    try {
      if constexpr (std::is_void_v<R>) {
        behavior_->handle(std::move(m));
        finish_void<M>(reply);
      } else {
        finish<M>(reply, behavior_->handle(std::move(m)));
      }
    } catch (...) {
      const std::string why = "handler for " + detail::message_name<M>() + " threw: " +
                              detail::exception_text(std::current_exception());
      note_failure(error{errc::handler_failed, why});
      fail_reply(reply, why);
    }
  }

  template <class M>
  static detail::handler_coro run_async(actor_cell* self, M msg, reply_cell_base* reply) {
    using R = detail::reply_t<D, M>;
    reply_guard guard{reply, const_cast<std::string*>(&self->name())};
    std::exception_ptr failed;
    try {
      // The handler's task is made in a statement of its own, not inside the co_await (rule 7).
      auto handler = self->behavior_->handle(std::move(msg));
      if constexpr (std::is_void_v<R>) {
        co_await std::move(handler);
        self->template finish_void<M>(guard.take());
      } else {
        // Take the reply cell only after the handler finished: a frame destroyed while suspended
        // must still own it, so that its guard fails the ask.
        auto r = co_await std::move(handler);
        self->template finish<M>(guard.take(), std::move(r));
      }
    } catch (...) {
      failed = std::current_exception();
    }
    if (failed) {
      const std::string why =
          "handler for " + detail::message_name<M>() + " threw: " + detail::exception_text(failed);
      self->note_failure(error{errc::handler_failed, why});
      self->fail_reply(guard.take(), why);
    }
  }

  static detail::handler_coro run_on_start(actor_cell* self) {
    std::exception_ptr failed;
    try {
      co_await self->behavior_->on_start();
    } catch (...) {
      failed = std::current_exception();
    }
    if (failed) self->note_failure(error{errc::handler_failed, "on_start threw: " + detail::exception_text(failed)});
  }

  mailbox_type mb_;
  std::array<std::optional<envelope<D>>, 16> batch_;
  std::size_t batch_pos_ = 0;  // batch_ is touched only inside the actor's turn
  std::size_t batch_len_ = 0;
  factory_type factory_;
  std::unique_ptr<D> behavior_;
};

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
