#include <janus/rt/timer_queue.hpp>

#include <catch2/catch.hpp>
#include <random>
#include <vector>

using namespace janus::rt;

namespace {
struct probe : timer_queue::node {
  std::vector<int>* log = nullptr;
  int id = 0;
};
void record(timer_queue::node* n) {
  auto* p = static_cast<probe*>(n);
  p->log->push_back(p->id);
}
}  // namespace

TEST_CASE("timers fire in deadline order and only when due", "[timer]") {
  timer_queue q;
  std::vector<int> log;
  std::vector<probe> nodes(200);
  const auto base = clock::now();
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    nodes[i].id = i;
    nodes[i].log = &log;
    nodes[i].fire = record;
    nodes[i].when = base + std::chrono::milliseconds(rng() % 1000);
    q.add(nodes[i]);
  }
  CHECK(q.size() == 200);
  CHECK(q.fire_due(base - std::chrono::seconds(1)) == 0);
  // Cancel every third; they must never fire.
  for (int i = 0; i < 200; i += 3) CHECK(q.cancel(nodes[i]));
  q.fire_due(base + std::chrono::seconds(2));
  CHECK(q.size() == 0);
  for (std::size_t k = 1; k < log.size(); ++k) CHECK(nodes[log[k - 1]].when <= nodes[log[k]].when);
  for (int id : log) CHECK(id % 3 != 0);
  CHECK(log.size() == 200 - 67);
  CHECK_FALSE(q.cancel(nodes[1]));  // already fired
}

TEST_CASE("add reports a new earliest timer", "[timer]") {
  timer_queue q;
  probe a, b;
  std::vector<int> log;
  a.log = b.log = &log;
  a.fire = b.fire = record;
  a.when = clock::now() + std::chrono::seconds(10);
  b.when = clock::now() + std::chrono::seconds(1);
  CHECK(q.add(a));
  CHECK(q.add(b));
  REQUIRE(q.next());
  CHECK(*q.next() == b.when);
  q.cancel(a);
  q.cancel(b);
  CHECK_FALSE(q.next());
}
