// An actor's messages and the typed cell that runs its handlers: the handler traits (what ask()
// answers, whether a handler is a coroutine), envelope<D> (a message and where its reply goes),
// and actor_cell<D>, which takes envelopes from the mailbox in batches and calls `handle`, judging
// each outcome (reply, failure). actor_cell_base (actor_cell.hpp) is the part that does not depend
// on the message types. Users include <janus/rt/actor.hpp>, which states the rules this follows.
//
// @par Thread Safety
// actor_cell<D> runs inside its actor's turn (see actor_cell.hpp); envelope is a plain value.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <variant>

#include "janus/rt/actor_cell.hpp"
#include "janus/rt/mailbox.hpp"
#include "janus/rt/reply_cell.hpp"
#include "janus/rt/result.hpp"
#include "janus/rt/task.hpp"

namespace janus::rt {

// The optional base of an actor class (actor.hpp): the cell sets its address on it.
template <class D>
class actor;

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

}  // namespace janus::rt
