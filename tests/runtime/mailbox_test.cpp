#include <janus/rt/mailbox.hpp>

#include <catch2/catch.hpp>
#include <vector>

using namespace janus::rt;

TEST_CASE("try_push refuses when full and reports the first push", "[mailbox]") {
  mailbox<int> mb(2);
  int a = 1, b = 2, c = 3;
  CHECK(mb.try_push(a) == push_status::queued_woke);
  CHECK(mb.try_push(b) == push_status::queued);
  CHECK(mb.try_push(c) == push_status::full);
  CHECK(mb.size() == 2);
  CHECK(mb.high_water() == 2);
  CHECK(*mb.pop() == 1);
  CHECK(*mb.pop() == 2);
  CHECK_FALSE(mb.pop());
  CHECK(mb.try_push(c) == push_status::queued_woke);
}

TEST_CASE("a waiting sender is handed its slot in FIFO order", "[mailbox]") {
  mailbox<int> mb(1);
  int first = 1, second = 2, third = 3;
  REQUIRE(mb.try_push(first) == push_status::queued_woke);
  std::vector<int> settled;
  mailbox<int>::waiter w2, w3;
  auto note = [](mailbox<int>::waiter& w) noexcept { static_cast<std::vector<int>*>(w.owner)->push_back(*w.item); };
  w2.item = &second;
  w2.owner = &settled;
  w2.on_settled = note;
  w3.item = &third;
  w3.owner = &settled;
  w3.on_settled = note;
  CHECK(mb.push_or_wait(w2) == push_status::waiting);
  CHECK(mb.push_or_wait(w3) == push_status::waiting);
  // A newcomer may not overtake the waiters.
  int late = 9;
  CHECK(mb.try_push(late) == push_status::full);
  CHECK(*mb.pop() == 1);
  CHECK(w2.outcome == push_status::queued);
  CHECK(*mb.pop() == 2);
  CHECK(*mb.pop() == 3);
  CHECK(settled.size() == 2);
}

TEST_CASE("a waiter that gives up leaves the queue untouched", "[mailbox]") {
  mailbox<int> mb(1);
  int a = 1, b = 2;
  REQUIRE(mb.try_push(a) == push_status::queued_woke);
  mailbox<int>::waiter w;
  w.item = &b;
  REQUIRE(mb.push_or_wait(w) == push_status::waiting);
  CHECK(mb.remove_waiter(w) == push_status::waiting);
  CHECK(*mb.pop() == 1);
  CHECK_FALSE(mb.pop());
}

TEST_CASE("close fails waiters and hands back what was queued", "[mailbox]") {
  mailbox<int> mb(2);
  int a = 1, b = 2, c = 3;
  mb.try_push(a);
  mb.try_push(b);
  mailbox<int>::waiter w;
  w.item = &c;
  bool settled = false;
  w.owner = &settled;
  w.on_settled = [](mailbox<int>::waiter& x) noexcept { *static_cast<bool*>(x.owner) = true; };
  REQUIRE(mb.push_or_wait(w) == push_status::waiting);
  std::vector<int> drained;
  mb.close([&](int& v) { drained.push_back(v); });
  CHECK(drained == std::vector<int>{1, 2});
  CHECK(settled);
  CHECK(w.outcome == push_status::closed);
  CHECK(mb.try_push(a) == push_status::closed);
  CHECK(mb.size() == 0);
}
