#include <janus/rt/sleep.hpp>
#include <janus/rt/stream.hpp>

#include <catch2/catch.hpp>

#include "../support/thread_safe_check.hpp"
#include <atomic>
#include <thread>
#include <vector>

using namespace janus::rt;

// No co_await inside Catch2 macros (see actor_test.cpp).

TEST_CASE("every subscriber sees every item with the block policy", "[stream]") {
  scheduler s({.workers = 2});
  stream<int> st(s);
  auto a = st.subscribe(4, overflow::block);
  auto b = st.subscribe(4, overflow::block);
  std::thread producer([&] {
    s.block_on([](stream<int>& out) -> task<void> {
      for (int i = 0; i < 1000; ++i) {
        auto r = co_await out.publish(i);
        TS_REQUIRE(r);
      }
    }(st));
  });
  auto consume = [](subscription<int>& sub) -> task<long> {
    long sum = 0;
    for (int i = 0; i < 1000; ++i) {
      auto v = co_await sub.next(std::chrono::seconds(10));
      TS_REQUIRE(v);
      TS_CHECK(*v == i);
      sum += *v;
    }
    co_return sum;
  };
  long sa = 0;
  std::thread ta([&] { sa = s.block_on(consume(a)); });
  long sb = s.block_on(consume(b));
  ta.join();
  producer.join();
  TS_CHECK(sa == 999 * 1000 / 2);
  TS_CHECK(sb == sa);
  TS_CHECK(a.dropped() == 0);
  TS_CHECK(b.dropped() == 0);
}

TEST_CASE("try_publish refuses while a blocking subscriber is full", "[stream]") {
  scheduler s;
  stream<int> st(s);
  auto sub = st.subscribe(2, overflow::block);
  TS_CHECK(st.try_publish(1));
  TS_CHECK(st.try_publish(2));
  auto r = st.try_publish(3);
  TS_REQUIRE_FALSE(r);
  TS_CHECK(r.code() == errc::mailbox_full);
  TS_CHECK(sub.try_next() == 1);
  TS_CHECK(st.try_publish(3));
}

TEST_CASE("lossy policies drop and count", "[stream]") {
  scheduler s;
  stream<int> st(s);
  auto oldest = st.subscribe(3, overflow::drop_oldest);
  auto newest = st.subscribe(3, overflow::drop_newest);
  for (int i = 0; i < 10; ++i) TS_REQUIRE(st.try_publish(i));
  TS_CHECK(oldest.dropped() == 7);
  TS_CHECK(newest.dropped() == 7);
  std::vector<int> o, n;
  while (auto v = oldest.try_next()) o.push_back(*v);
  while (auto v = newest.try_next()) n.push_back(*v);
  TS_CHECK(o == std::vector<int>{7, 8, 9});
  TS_CHECK(n == std::vector<int>{0, 1, 2});
}

TEST_CASE("destroying a subscription unsubscribes and unblocks the producer", "[stream]") {
  scheduler s;
  stream<int> st(s);
  auto keep = st.subscribe(8, overflow::drop_newest);
  {
    auto full = st.subscribe(1, overflow::block);
    TS_REQUIRE(st.try_publish(1));
    TS_CHECK(st.try_publish(2).code() == errc::mailbox_full);
    TS_CHECK(st.subscriber_count() == 2);
  }
  TS_CHECK(st.subscriber_count() == 1);
  TS_CHECK(st.try_publish(2));
}

TEST_CASE("next times out, and close ends the stream after what is queued", "[stream]") {
  scheduler s;
  stream<int> st(s);
  auto sub = st.subscribe(4);
  auto r = s.block_on([](subscription<int>& x) -> task<result<int>> {
    co_return co_await x.next(std::chrono::milliseconds(20));
  }(sub));
  TS_CHECK(r.code() == errc::timeout);
  TS_REQUIRE(st.try_publish(5));
  st.close();
  auto first = s.block_on([](subscription<int>& x) -> task<result<int>> { co_return co_await x.next(); }(sub));
  TS_REQUIRE(first);
  TS_CHECK(*first == 5);
  auto end = s.block_on([](subscription<int>& x) -> task<result<int>> { co_return co_await x.next(); }(sub));
  TS_CHECK(end.code() == errc::cancelled);
}

TEST_CASE("a blocked publisher resumes when the subscriber catches up", "[stream]") {
  scheduler s({.workers = 2});
  stream<int> st(s);
  auto sub = st.subscribe(1, overflow::block);
  std::atomic<int> published{0};
  std::thread producer([&] {
    s.block_on([](stream<int>& out, std::atomic<int>& n) -> task<void> {
      for (int i = 0; i < 5; ++i) {
        auto r = co_await out.publish(i);
        TS_REQUIRE(r);
        ++n;
      }
    }(st, published));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  TS_CHECK(published == 1);  // the second publish waits for room
  for (int i = 0; i < 5; ++i) {
    auto v = s.block_on([](subscription<int>& x) -> task<result<int>> { co_return co_await x.next(std::chrono::seconds(5)); }(sub));
    TS_REQUIRE(v);
    TS_CHECK(*v == i);
  }
  producer.join();
  TS_CHECK(published == 5);
}

TEST_CASE("close(error) ends a waiting and a later next with that error, after what is queued", "[stream]") {
  scheduler s({.workers = 2});
  stream<int> st(s);
  auto sub = st.subscribe(4);
  auto late = st.subscribe(4);
  TS_REQUIRE(st.try_publish(7));
  (void)s.block_on([](subscription<int>& x) -> task<result<int>> { co_return co_await x.next(); }(sub));
  // `sub` waits (its queue is empty) when the stream closes; `late` still has 7 queued.
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    st.close(error{errc::browser_exited, "the browser died"});
  });
  auto waiting = s.block_on([](subscription<int>& x) -> task<result<int>> { co_return co_await x.next(std::chrono::seconds(10)); }(sub));
  closer.join();
  TS_CHECK(waiting.code() == errc::browser_exited);
  TS_CHECK(waiting.err().message == "the browser died");
  auto queued = s.block_on([](subscription<int>& x) -> task<result<int>> { co_return co_await x.next(); }(late));
  TS_REQUIRE(queued);
  TS_CHECK(*queued == 7);
  auto end = s.block_on([](subscription<int>& x) -> task<result<int>> { co_return co_await x.next(); }(late));
  TS_CHECK(end.code() == errc::browser_exited);
  st.close();  // the first close wins
  auto again = s.block_on([](subscription<int>& x) -> task<result<int>> { co_return co_await x.next(); }(sub));
  TS_CHECK(again.code() == errc::browser_exited);
}

TEST_CASE("interrupt ends the waiting next with its error and the stream goes on", "[stream]") {
  scheduler s({.workers = 2});
  stream<int> st(s);
  auto sub = st.subscribe(4);
  std::thread interrupter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    st.interrupt(error{errc::browser_exited, "restarting"});
  });
  auto r = s.block_on([](subscription<int>& x) -> task<result<int>> { co_return co_await x.next(std::chrono::seconds(10)); }(sub));
  interrupter.join();
  TS_CHECK(r.code() == errc::browser_exited);
  TS_REQUIRE(st.try_publish(3));
  auto v = s.block_on([](subscription<int>& x) -> task<result<int>> { co_return co_await x.next(std::chrono::seconds(5)); }(sub));
  TS_REQUIRE(v);
  TS_CHECK(*v == 3);
}

TEST_CASE("next with a cancel token ends when cancelled, before or while waiting, and an item still wins",
          "[stream]") {
  scheduler s({.workers = 2});
  stream<int> st(s);
  auto sub = st.subscribe(4);
  auto wait = [](subscription<int>& x, cancel_token t) -> task<result<int>> {
    co_return co_await x.next(deadline(std::chrono::seconds(10)), std::move(t));
  };
  {
    cancel_source c;
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      c.cancel();
    });
    const auto start = clock::now();
    auto r = s.block_on(wait(sub, c.token()));
    canceller.join();
    TS_CHECK(r.code() == errc::cancelled);
    TS_CHECK(clock::now() - start < std::chrono::seconds(5));
  }
  {
    cancel_source c;
    c.cancel();
    auto r = s.block_on(wait(sub, c.token()));
    TS_CHECK(r.code() == errc::cancelled);
  }
  {
    cancel_source c;
    TS_REQUIRE(st.try_publish(7));
    auto r = s.block_on(wait(sub, c.token()));
    TS_REQUIRE(r);
    TS_CHECK(*r == 7);
    c.cancel();  // after the wait ended: its registration is gone, nothing runs
  }
}

TEST_CASE("on_unsubscribe tells the producer each time a subscriber leaves", "[stream]") {
  scheduler s({.workers = 1});
  stream<int> st(s);
  std::atomic<int> left{0};
  st.on_unsubscribe([&] { left.fetch_add(1); });
  auto a = st.subscribe(1);
  {
    auto b = st.subscribe(1);
    TS_CHECK(left.load() == 0);
  }
  TS_CHECK(left.load() == 1);
  TS_CHECK(st.subscriber_count() == 1);
  a = subscription<int>{};
  TS_CHECK(left.load() == 2);
  TS_CHECK(st.subscriber_count() == 0);
}

// A consumer whose queue is full would drain it in one job, past a host's time budget: inside a
// time-budgeted poll, next() yields to the next call instead, and takes the item when it resumes.
TEST_CASE("a consumer draining its queue yields to the next budgeted poll, losing nothing", "[stream][budget]") {
  scheduler s;
  stream<int> st(s);
  auto sub = st.subscribe(1000, overflow::block);
  for (int i = 0; i < 1000; ++i) TS_REQUIRE(st.try_publish(i));
  std::vector<int> got;
  s.spawn([](subscription<int>& in, std::vector<int>& out) -> task<void> {
    for (int i = 0; i < 1000; ++i) {
      auto v = co_await in.next(std::chrono::seconds(10));
      if (!v) co_return;
      const auto until = clock::now() + std::chrono::microseconds(20);  // work per item
      while (clock::now() < until) {
      }
      out.push_back(*v);
    }
  }(sub, got));
  // 1000 items of 20 us: 20 ms of work, so one 1 ms poll must leave most of it.
  const poll_result first = s.poll(poll_budget{.time = std::chrono::milliseconds(1)});
  TS_CHECK(first.budget_spent);
  TS_CHECK(first.queued == 1);  // the consumer, queued again behind what was there
  TS_CHECK(got.size() >= 1);
  TS_CHECK(got.size() < 200);
  int polls = 1;
  const auto t0 = clock::now();
  while (got.size() < 1000 && clock::now() - t0 < std::chrono::seconds(20)) {
    (void)s.poll(poll_budget{.time = std::chrono::milliseconds(1)});
    ++polls;
  }
  TS_REQUIRE(got.size() == 1000);
  for (int i = 0; i < 1000; ++i) TS_CHECK(got[static_cast<std::size_t>(i)] == i);
  TS_CHECK(polls >= 15);  // 20 ms of work in 1 ms polls
  TS_CHECK(sub.dropped() == 0);
}
