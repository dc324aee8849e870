#include <janus/rt/scheduler.hpp>
#include <janus/rt/sleep.hpp>
#include <janus/rt/stream.hpp>

#include <atomic>
#include <catch2/catch.hpp>

#include "../support/thread_safe_check.hpp"
#include "../support/time_bounds.hpp"
#include <thread>

using namespace janus::rt;

TEST_CASE("sleep_for waits at least its duration, in both modes", "[scheduler]") {
  for (unsigned workers : {0u, 2u}) {
    scheduler s({.workers = workers});
    const auto t0 = clock::now();
    s.block_on([](scheduler& sc) -> task<void> { co_await sleep_for(sc, std::chrono::milliseconds(30)); }(s));
    const auto waited = clock::now() - t0;
    TS_CHECK(waited >= std::chrono::milliseconds(30));
    TS_CHECK(waited < janus_test::generous(std::chrono::seconds(2)));  // no oversleeping, with room for a slow run
  }
}

TEST_CASE("spawned tasks run on worker threads", "[scheduler]") {
  scheduler s({.workers = 2});
  TS_CHECK(s.threads_started() == 2);  // two workers; one of them drives I/O when idle
  std::atomic<int> done{0};
  std::atomic<bool> on_worker{true};
  for (int i = 0; i < 1000; ++i)
    s.spawn([](scheduler& sc, std::atomic<int>& d, std::atomic<bool>& w) -> task<void> {
      if (sc.current_worker() < 0) w = false;
      ++d;
      co_return;
    }(s, done, on_worker));
  const deadline end(std::chrono::seconds(10));
  while (done < 1000 && !end.expired()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  TS_CHECK(done == 1000);
  TS_CHECK(on_worker);
}

TEST_CASE("poll never blocks and run_until honours its deadline", "[scheduler][poll]") {
  scheduler s;
  const auto t0 = clock::now();
  for (int i = 0; i < 100; ++i) s.poll();
  // Idle polls take microseconds; a poll that waited on the io_context even a few ms would exceed
  // this (scaled for slow runs).
  TS_CHECK(clock::now() - t0 < janus_test::generous(std::chrono::milliseconds(300)));
  const auto t1 = clock::now();
  TS_CHECK_FALSE(s.run_until([] { return false; }, deadline(std::chrono::milliseconds(40))));
  const auto waited = clock::now() - t1;
  TS_CHECK(waited >= std::chrono::milliseconds(40));
  TS_CHECK(waited < janus_test::generous(std::chrono::seconds(2)));
}

TEST_CASE("a task spawned from another thread wakes a blocked run_until", "[scheduler][poll]") {
  scheduler s;
  std::atomic<bool> ran{false};
  std::thread other([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    s.spawn([](std::atomic<bool>& r) -> task<void> {
      r = true;
      co_return;
    }(ran));
  });
  const auto t0 = clock::now();
  TS_CHECK(s.run_until([&] { return ran.load(); }, deadline(std::chrono::seconds(10))));
  TS_CHECK(clock::now() - t0 < std::chrono::seconds(5));  // woken, not at its 10 s deadline
  other.join();
}

TEST_CASE("an exception escaping a top-level task is counted, not fatal", "[scheduler]") {
  scheduler s;
  s.spawn([]() -> task<void> {
    throw std::runtime_error("escaped");
    co_return;
  }());
  s.run_until([&] { return s.unhandled_failures() == 1; }, deadline(std::chrono::seconds(5)));
  TS_CHECK(s.unhandled_failures() == 1);
}

namespace {
// Counts the frames that ended, by completion or by being destroyed.
struct end_counter {
  std::atomic<int>* n;
  ~end_counter() { ++*n; }
};
}  // namespace

// What a close wakes must still run when the scheduler goes right after it: a Firefox tab's event
// pump woken by its connection's close held the whole connection, and at exit its frame was
// dropped with the queues (LeakSanitizer, CI 2026-12-07).
TEST_CASE("shutdown runs the tasks a close just woke", "[scheduler][shutdown]") {
  for (unsigned workers : {0u, 2u}) {
    CAPTURE(workers);
    std::atomic<int> finished{0};
    std::atomic<int> subscribed{0};
    const auto t0 = clock::now();
    {
      scheduler s({.workers = workers});
      stream<int> events(s);
      for (int i = 0; i < 4; ++i)
        s.spawn([](subscription<int> sub, std::atomic<int>& fin, std::atomic<int>& subs) -> task<void> {
          ++subs;
          while (co_await sub.next()) {
          }
          ++fin;  // counted at the end of the body: run to completion, not destroyed with the scheduler
        }(events.subscribe(8), finished, subscribed));
      if (workers == 0) s.run_until([&] { return subscribed == 4; }, deadline(std::chrono::seconds(5)));
      const deadline started(std::chrono::seconds(5));
      while (subscribed < 4 && !started.expired()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      REQUIRE(subscribed == 4);
      events.close(error{errc::disconnected, "the connection closed"});
    }
    TS_CHECK(finished == 4);
    TS_CHECK(clock::now() - t0 < janus_test::generous(std::chrono::seconds(3)));
  }
}

// A task still suspended when the scheduler goes (asleep, or waiting on a stream nobody closes)
// will never run again: its frame is destroyed with the scheduler, so what it holds is freed
// (a page's event relay asleep between polls held its page; LeakSanitizer, 2026-12-07).
TEST_CASE("a task suspended when the scheduler goes is destroyed, not leaked", "[scheduler][shutdown]") {
  for (unsigned workers : {0u, 2u}) {
    CAPTURE(workers);
    std::atomic<int> destroyed{0};
    std::atomic<int> started{0};
    auto held = std::make_shared<int>(1);
    const auto t0 = clock::now();
    {
      scheduler s({.workers = workers});
      auto events = std::make_shared<stream<int>>(s);
      s.spawn([](scheduler& sc, std::atomic<int>& d, std::atomic<int>& st, std::shared_ptr<int>) -> task<void> {
        end_counter guard{&d};
        ++st;
        co_await sleep_for(sc, std::chrono::hours(1));
      }(s, destroyed, started, held));
      // It holds the stream it waits on: a cycle that only destroying the frame breaks.
      s.spawn([](std::shared_ptr<stream<int>> ev, std::atomic<int>& d, std::atomic<int>& st) -> task<void> {
        end_counter guard{&d};
        subscription<int> sub = ev->subscribe(4);
        ++st;
        while (co_await sub.next()) {
        }
      }(events, destroyed, started));
      events.reset();
      if (workers == 0) s.run_until([&] { return started == 2; }, deadline(std::chrono::seconds(5)));
      const deadline end(std::chrono::seconds(5));
      while (started < 2 && !end.expired()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      REQUIRE(started == 2);
    }
    TS_CHECK(destroyed == 2);
    TS_CHECK(held.use_count() == 1);
    TS_CHECK(clock::now() - t0 < janus_test::generous(std::chrono::seconds(3)));
  }
}
