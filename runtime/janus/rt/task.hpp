// task<T>: a lazy coroutine that produces one T.
//
// Lazy: nothing runs until the task is awaited (or handed to the scheduler), so a task can be
// created, moved into a message and started by whoever receives it. Awaiting a task transfers
// control to it symmetrically and its completion transfers control straight back to the awaiter,
// so a chain of a million nested co_awaits runs in constant stack. That transfer is a tail call
// only where the compiler makes sibling calls: GCC does from -O2 on, or with
// -foptimize-sibling-calls; at -O0 (and -O1 without it) each transfer takes stack, and a long
// enough loop of co_awaits in the awaiting code overflows it.
//
// Errors travel as values: use task<result<T>>. An exception thrown inside a task is captured and
// rethrown at the co_await that awaits it; the runtime catches what escapes an actor handler and
// reports it as that actor's failure.
//
// Frames come from rt::frame_pool, so steady-state handler coroutines do not call operator new.
//
// @par Thread Safety
// A task is a single-owner value: it may be moved between threads, but not awaited twice.
#pragma once

#include <cassert>
#include <coroutine>
#include <exception>
#include <new>
#include <type_traits>
#include <utility>

#include "janus/rt/frame_pool.hpp"

namespace janus::rt {

template <class T = void>
class task;

namespace detail {

/// Frame allocation through the pool for every runtime coroutine type.
struct pooled_frame {
  static void* operator new(std::size_t size) { return frame_pool::allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { frame_pool::deallocate(p, size); }
};

struct task_promise_base : pooled_frame {
  std::coroutine_handle<> continuation;
  std::exception_ptr exception;

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto c = h.promise().continuation;
      return c ? c : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };

  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_awaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

template <class T>
struct task_promise : task_promise_base {
  alignas(T) unsigned char storage[sizeof(T)];
  bool has_value = false;

  task<T> get_return_object() noexcept;
  template <class U>
    requires std::is_constructible_v<T, U&&>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    new (storage) T(std::forward<U>(v));
    has_value = true;
  }
  T take() {
    if (exception) std::rethrow_exception(exception);
    assert(has_value);
    return std::move(*std::launder(reinterpret_cast<T*>(storage)));
  }
  ~task_promise() {
    if (has_value) std::launder(reinterpret_cast<T*>(storage))->~T();
  }
};

template <>
struct task_promise<void> : task_promise_base {
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() {
    if (exception) std::rethrow_exception(exception);
  }
};

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;
  using value_type = T;

  task() noexcept = default;
  explicit task(handle_type h) noexcept : h_(h) {}
  task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() {
    if (h_) h_.destroy();
  }

  bool valid() const noexcept { return static_cast<bool>(h_); }
  bool done() const noexcept { return h_ && h_.done(); }

  auto operator co_await() && noexcept {
    struct awaiter {
      handle_type h;
      bool await_ready() const noexcept { return !h || h.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        h.promise().continuation = awaiting;
        return h;
      }
      T await_resume() { return h.promise().take(); }
    };
    return awaiter{h_};
  }

  /// For the runtime's drivers: the raw handle (ownership stays with the task).
  handle_type handle() const noexcept { return h_; }
  /// For the runtime's drivers: give up ownership of the frame.
  handle_type release() noexcept { return std::exchange(h_, {}); }

 private:
  handle_type h_;
};

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>{std::coroutine_handle<task_promise<T>>::from_promise(*this)};
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>{std::coroutine_handle<task_promise<void>>::from_promise(*this)};
}
}  // namespace detail

template <class T>
inline constexpr bool is_task_v = false;
template <class T>
inline constexpr bool is_task_v<task<T>> = true;

}  // namespace janus::rt
