// For code that cannot use coroutines: start a task and get its result through a callback or a
// std::future instead of co_await.
//
//   rt::start_then(sched, page.navigate(url), [](rt::result<navigation> r) { ... });
//   std::future<rt::result<navigation>> f = rt::start_future(sched, page.navigate(url));
//
// The callback runs on the scheduler (a worker thread, or inside poll() in workers = 0 mode), so
// it must not block; a future's get() blocks its caller, so in workers = 0 mode it must not be
// called from the thread that is supposed to poll() (the result would never come): poll until
// `wait_for(0s)` says ready instead.
//
// @par Thread Safety
// Both may be called from any thread.
#pragma once

#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>

#include <exception>
#include <future>
#include <type_traits>
#include <utility>

namespace janus::rt {

namespace detail {

template <class T, class F>
task<void> run_then(task<T> t, F on_done) {
  if constexpr (std::is_void_v<T>) {
    co_await std::move(t);
    on_done();
  } else {
    on_done(co_await std::move(t));
  }
}

template <class T>
task<void> run_into(task<T> t, std::promise<T> p) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(t);
      p.set_value();
    } else {
      p.set_value(co_await std::move(t));
    }
  } catch (...) {
    p.set_exception(std::current_exception());
  }
}

}  // namespace detail

/// Runs `t` on `s` and calls `on_done` with its result (no argument for task<void>).
template <class T, class F>
void start_then(scheduler& s, task<T> t, F on_done) {
  s.spawn(detail::run_then<T, F>(std::move(t), std::move(on_done)));
}

/// Runs `t` on `s`; the future becomes ready with its result (or the exception it threw).
template <class T>
std::future<T> start_future(scheduler& s, task<T> t) {
  std::promise<T> p;
  std::future<T> f = p.get_future();
  s.spawn(detail::run_into<T>(std::move(t), std::move(p)));
  return f;
}

}  // namespace janus::rt
