#include <janus/rt/scheduler.hpp>
#include <janus/rt/sleep.hpp>
#include <janus/rt/stream.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <catch2/catch.hpp>
#include <vector>

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

// ---- poll(poll_budget) ------------------------------------------------------------------------------

namespace {
task<void> record(std::vector<int>& order, int i) {
  order.push_back(i);
  co_return;
}

task<void> busy_for(std::vector<int>& order, int i, std::chrono::microseconds d) {
  const auto until = clock::now() + d;
  while (clock::now() < until) {
  }
  order.push_back(i);
  co_return;
}

bool in_order(const std::vector<int>& order) {
  for (std::size_t i = 0; i < order.size(); ++i)
    if (order[i] != static_cast<int>(i)) return false;
  return true;
}

/// An I/O completion that always has a successor ready, as a read loop does while the peer keeps
/// writing: each handler posts the next one to the io_context.
struct endless_io {
  asio::io_context& io;
  std::size_t ran = 0;
  bool stop = false;
  void arm() {
    asio::post(io, [this] {
      ++ran;
      if (!stop) arm();
    });
  }
};
}  // namespace

TEST_CASE("a poll budget of jobs runs that many, in order, and leaves the rest queued", "[scheduler][poll][budget]") {
  scheduler s;
  std::vector<int> order;
  for (int i = 0; i < 100; ++i) s.spawn(record(order, i));
  const poll_result first = s.poll(poll_budget{.jobs = 10});
  TS_CHECK(first.ran == 10);
  TS_CHECK(first.budget_spent);
  TS_CHECK(first.queued == 90);
  TS_CHECK(order.size() == 10);
  const poll_result second = s.poll(poll_budget{.jobs = 1000});
  TS_CHECK(second.ran == 90);
  TS_CHECK_FALSE(second.budget_spent);
  TS_CHECK(second.queued == 0);
  TS_CHECK(order.size() == 100);
  TS_CHECK(in_order(order));  // what the first call left ran first in the next, nothing lost
  const poll_result idle = s.poll(poll_budget{.jobs = 1000});
  TS_CHECK(idle.ran == 0);
  TS_CHECK_FALSE(idle.budget_spent);
}

TEST_CASE("a poll budget of time stops starting jobs once spent", "[scheduler][poll][budget]") {
  scheduler s;
  std::vector<int> order;
  const auto job_time = std::chrono::microseconds(200);
  for (int i = 0; i < 50; ++i) s.spawn(busy_for(order, i, job_time));  // 10 ms of work
  int polls = 0;
  std::size_t ran_total = 0;
  const auto t0 = clock::now();
  while (order.size() < 50 && clock::now() - t0 < janus_test::generous(std::chrono::seconds(5))) {
    const auto p0 = clock::now();
    const poll_result r = s.poll(poll_budget{.time = std::chrono::milliseconds(1)});
    const auto took = clock::now() - p0;
    ++polls;
    ran_total += r.ran;
    TS_CHECK(r.ran >= 1);  // a budget always lets one job start
    if (r.budget_spent) {
      TS_CHECK(r.queued == 50 - order.size());
      // Jobs of 200 us: the fifth would end at 1 ms or later, so it is left for the next call.
      TS_CHECK(r.ran <= 4);
      // Promptly (a quiet machine takes about 1 ms; a preempted job may run longer).
      TS_CHECK(took < janus_test::generous(std::chrono::milliseconds(50)));
    }
  }
  TS_CHECK(order.size() == 50);
  TS_CHECK(ran_total == 50);
  TS_CHECK(in_order(order));
  TS_CHECK(polls >= 8);  // 10 ms of work cannot fit in fewer 1 ms polls
}

TEST_CASE("a budgeted poll bounds I/O completions that never run dry, and still runs jobs", "[scheduler][poll][budget]") {
  scheduler s;
  endless_io stream{s.io()};
  stream.arm();
  std::vector<int> order;
  for (int i = 0; i < 300; ++i) s.spawn(record(order, i));
  // Without a budget on I/O this poll would never return: every completion makes another ready.
  const auto t0 = clock::now();
  const poll_result r = s.poll(poll_budget{.jobs = 1000});
  TS_CHECK(clock::now() - t0 < janus_test::generous(std::chrono::milliseconds(500)));
  TS_CHECK(r.ran == 1000);
  TS_CHECK(r.budget_spent);
  TS_CHECK(order.size() == 300);  // the jobs were not starved by the stream...
  TS_CHECK(in_order(order));
  TS_CHECK(stream.ran == 700);    // ...nor the stream by the jobs
  const poll_result timed = s.poll(poll_budget{.time = std::chrono::milliseconds(2)});
  TS_CHECK(timed.budget_spent);
  TS_CHECK(timed.ran > 0);
  stream.stop = true;
  (void)s.poll(poll_budget{.jobs = 10});  // the last handler sees stop and re-arms no more
  TS_CHECK_FALSE(s.poll(poll_budget{.jobs = 10}).budget_spent);
}
