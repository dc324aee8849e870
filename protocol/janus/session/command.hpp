// The command layer: one CDP command, from its id to its reply, as something to co_await.
//
//   rt::result<protocol::cdp_owned_message> r = co_await call(core, "Page.navigate", params, session);
//
// The awaiter registers the command in the pending table, arms its deadline, hooks the caller's
// cancellation token, and hands the encoded text to the connection. It is resumed exactly once,
// through its reply cell, by whichever comes first: the reply, the deadline (errc::timeout), the
// cancellation (errc::cancelled), or the connection dropping (errc::disconnected); the last three
// say in error::sent whether the command had been handed to the transport. It lives in the
// caller's coroutine frame, and its pieces (reply cell from the frame pool, timer node, the
// outgoing message's node) need no allocation beyond the encoded text itself.
#pragma once

#include <janus/session/connection_core.hpp>
#include <janus/protocol/json_writer.hpp>
#include <janus/rt/cancellation.hpp>
#include <janus/rt/executor.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace janus::session {

/// Per-call settings.
///
/// @par Thread Safety
/// A plain value.
struct call_options {
  /// Deadline of this call; unset: the connection's default_timeout (30 s unless configured).
  std::optional<rt::deadline> deadline;
  /// Cancels the call when its source is cancelled.
  rt::cancel_token cancel;
};

namespace detail {
/// Encodes a command with a per-thread writer; returns the text or the encoding error.
rt::result<std::string> encode_command(std::int64_t id, std::string_view method, std::string_view params_json,
                                       std::string_view session_id);
}  // namespace detail

/// @par Thread Safety
/// Awaited once, by one coroutine.
class call_awaiter {
 public:
  /// The views must stay valid until the awaiter is destroyed: true of anything that lives through
  /// the full expression `co_await session.call(...)`.
  call_awaiter(std::shared_ptr<connection_core> core, std::string_view method, std::string_view params_json,
               std::string_view session_id, call_options options)
      : core_(std::move(core)), method_(method), params_(params_json), session_(session_id), options_(std::move(options)) {}
  call_awaiter(const call_awaiter&) = delete;
  call_awaiter& operator=(const call_awaiter&) = delete;
  ~call_awaiter() {
    if (!slot_) return;
    // The caller's frame is destroyed while we wait: make sure nobody resumes it, then end the
    // request so that the table lets go of the cell.
    slot_->abandon();
    if (id_ != 0) (void)core_->pending().fail(id_, rt::errc::cancelled, "the caller went away");
    cleanup();
  }

  bool await_ready() const noexcept { return false; }

  bool await_suspend(std::coroutine_handle<> h) {
    // An empty session (a Firefox page's session(), a default-constructed one) has no connection.
    if (!core_) return false;
    reply_slot* slot = reply_slot::create();
    slot->release();  // created with two references; the table takes its own in add()
    slot_ = slot;
    slot->ex = rt::current_executor();
    if (!slot->ex) slot->ex = &core_->sched();
    slot->resume.handle = h;

    rt::result<std::int64_t> id = core_->pending().add(slot, method_, session_);
    if (!id) {
      rt::error e = std::move(id).err();
      e.message = std::string(method_) + ": " + e.message + " (the request was not sent)";
      slot->complete_error(std::move(e));
      return true;
    }
    id_ = *id;
    rt::result<std::string> text = detail::encode_command(id_, method_, params_, session_);
    if (!text) {
      (void)core_->pending().fail(id_, text.code(), text.err().message);
      return true;
    }
    const rt::deadline d = options_.deadline ? *options_.deadline : rt::deadline(core_->options().default_timeout);
    if (!d.is_never()) {
      timer_.when = d.at();
      timer_.owner = this;
      timer_.fire = &on_deadline;
      timer_armed_ = true;
      core_->sched().add_timer(timer_);
    }
    if (options_.cancel.can_be_cancelled()) {
      options_.cancel.on_cancel(cancel_reg_, [this] {
        (void)core_->pending().fail(id_, rt::errc::cancelled, "cancelled by the caller");
      });
    }
    out_.id = id_;
    out_.text = std::move(*text);
    core_->submit(out_);
    // From here on we may already be resumed on another thread: touch no member.
    return true;
  }

  rt::result<protocol::cdp_owned_message> await_resume() {
    if (!core_)
      return rt::error{rt::errc::invalid_argument, std::string(method_) + ": the session is empty (no CDP connection)"};
    rt::result<protocol::cdp_owned_message> r = slot_->take();
    cleanup();
    return r;
  }

 private:
  struct deadline_node : rt::timer_queue::node {
    call_awaiter* owner = nullptr;
  };
  static void on_deadline(rt::timer_queue::node* n) noexcept {
    call_awaiter* self = static_cast<deadline_node*>(n)->owner;
    (void)self->core_->pending().fail(self->id_, rt::errc::timeout, {});
  }

  void cleanup() noexcept {
    if (timer_armed_) {
      core_->sched().timers().cancel(timer_);
      timer_armed_ = false;
    }
    cancel_reg_.reset();
    core_->withdraw(out_);
    if (reply_slot* s = std::exchange(slot_, nullptr)) s->release();
  }

  std::shared_ptr<connection_core> core_;
  std::string_view method_;
  std::string_view params_;
  std::string_view session_;
  call_options options_;
  reply_slot* slot_ = nullptr;
  std::int64_t id_ = 0;
  deadline_node timer_;
  bool timer_armed_ = false;
  rt::cancel_registration cancel_reg_;
  connection_core::outgoing out_;
};

}  // namespace janus::session
