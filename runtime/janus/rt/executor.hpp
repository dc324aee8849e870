// Where a suspended coroutine is resumed.
//
// An actor's handlers must never run on two threads at once, even though the thing they wait for
// (a reply, a timer, a socket) completes on some other thread. So an awaiter does not resume its
// coroutine directly: it posts a `resumption` to the executor that was current when it suspended.
// For a handler that is the actor itself (the coroutine then runs inside the actor's next turn);
// for a top-level task it is the scheduler.
//
// @par Thread Safety
// executor::post may be called from any thread.
#pragma once

#include <coroutine>

namespace janus::rt {

/// An intrusive node naming a coroutine to resume. It lives inside the awaiter (and so inside the
/// suspended coroutine's frame), which is why posting one never allocates.
struct resumption {
  resumption* next = nullptr;
  std::coroutine_handle<> handle;
};

class executor {
 public:
  /// Arrange for r.handle to be resumed later in this executor's context. Never resumes inline.
  virtual void post(resumption& r) noexcept = 0;

 protected:
  ~executor() = default;
};

/// The executor of the coroutine running on this thread right now (null outside the runtime).
executor* current_executor() noexcept;

namespace detail {
/// Set by the scheduler and by actors around the code they run; restores the previous value.
class executor_scope {
 public:
  explicit executor_scope(executor* e) noexcept;
  ~executor_scope();
  executor_scope(const executor_scope&) = delete;
  executor_scope& operator=(const executor_scope&) = delete;

 private:
  executor* saved_;
};
}  // namespace detail

}  // namespace janus::rt
