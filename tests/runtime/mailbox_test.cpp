#include <janus/rt/mailbox.hpp>

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <thread>
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

// ---- concurrency: the lock-free fast path against the slow paths ----------------------------------
// Catch's macros are not thread-safe: threads only record, the test thread checks after joining.

namespace {

/// Push `v` from a plain thread, parking in the wait list when full (as tell does).
push_status push_blocking(mailbox<std::uint64_t>& mb, std::uint64_t v) {
  std::atomic<bool> settled{false};
  mailbox<std::uint64_t>::waiter w;
  w.item = &v;
  w.owner = &settled;
  w.on_settled = [](mailbox<std::uint64_t>::waiter& x) noexcept {
    static_cast<std::atomic<bool>*>(x.owner)->store(true, std::memory_order_release);
  };
  const push_status s = mb.push_or_wait(w);
  if (s != push_status::waiting) return s;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!settled.load(std::memory_order_acquire)) {
    if (std::chrono::steady_clock::now() > give_up) {
      if (mb.remove_waiter(w) == push_status::waiting) return push_status::full;  // stranded
      break;
    }
    std::this_thread::yield();
  }
  return w.outcome;
}

}  // namespace

TEST_CASE("concurrent senders lose nothing and keep their own order", "[mailbox][concurrency]") {
  constexpr std::uint64_t senders = 4, per_sender = 20000;
  mailbox<std::uint64_t> mb(8);  // small: most pushes meet a full mailbox or parked senders
  std::atomic<unsigned> refused{0};
  std::vector<std::thread> threads;
  for (std::uint64_t k = 0; k < senders; ++k)
    threads.emplace_back([&, k] {
      for (std::uint64_t i = 0; i < per_sender; ++i) {
        const std::uint64_t v = (k << 32) | i;
        // Mix both ways in: a try_push newcomer must never overtake a parked sender.
        if (i % 3 == 0) {
          std::uint64_t copy = v;
          push_status s;
          while ((s = mb.try_push(copy)) == push_status::full) std::this_thread::yield();
          if (s == push_status::closed) refused.fetch_add(1);
        } else {
          const push_status s = push_blocking(mb, v);  // full only if stranded for 20 s
          if (s != push_status::queued && s != push_status::queued_woke) refused.fetch_add(1);
        }
      }
    });
  std::vector<std::uint64_t> next(senders, 0);
  std::uint64_t received = 0, out_of_order = 0;
  std::optional<std::uint64_t> batch[5];
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (received < senders * per_sender && std::chrono::steady_clock::now() < give_up) {
    const std::size_t n = mb.pop_batch(batch, 5);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t v = *batch[i];
      const std::uint64_t k = v >> 32, seq = v & 0xffffffffu;
      if (seq != next[k]) ++out_of_order;
      next[k] = seq + 1;
      ++received;
    }
    if (n == 0) std::this_thread::yield();
  }
  for (auto& t : threads) t.join();
  CHECK(refused.load() == 0);
  CHECK(out_of_order == 0);
  CHECK(received == senders * per_sender);
  CHECK(mb.size() == 0);
  CHECK(mb.high_water() <= 8);
}

TEST_CASE("queued_woke schedules the reader exactly when it is needed", "[mailbox][concurrency]") {
  // The owner's protocol (actor_cell): a push that reports queued_woke schedules a turn unless
  // one is queued; a turn ends by clearing the flag and re-checking size(). No message may be
  // stranded with nobody scheduled.
  constexpr std::uint64_t senders = 3, per_sender = 30000;
  mailbox<std::uint64_t> mb(16);
  std::atomic<bool> scheduled{false};
  std::atomic<std::uint64_t> turns_queued{0};
  auto notify = [&] {
    if (!scheduled.exchange(true, std::memory_order_acq_rel)) turns_queued.fetch_add(1, std::memory_order_release);
  };
  std::vector<std::thread> threads;
  for (std::uint64_t k = 0; k < senders; ++k)
    threads.emplace_back([&, k] {
      for (std::uint64_t i = 0; i < per_sender; ++i) {
        std::uint64_t v = (k << 32) | i;
        push_status s;
        while ((s = mb.try_push(v)) == push_status::full) std::this_thread::yield();
        if (s == push_status::queued_woke) notify();
      }
    });
  std::uint64_t received = 0, turns_run = 0;
  std::optional<std::uint64_t> batch[16];
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (received < senders * per_sender && std::chrono::steady_clock::now() < give_up) {
    if (turns_queued.load(std::memory_order_acquire) == turns_run) {
      std::this_thread::yield();
      continue;
    }
    ++turns_run;
    for (int budget = 0; budget < 8; ++budget) {  // a bounded turn, as an actor's
      const std::size_t n = mb.pop_batch(batch, 16);
      received += n;
      if (n == 0) break;
    }
    scheduled.store(false, std::memory_order_seq_cst);
    if (mb.size() > 0) notify();
  }
  for (auto& t : threads) t.join();
  CHECK(received == senders * per_sender);
  CHECK(mb.size() == 0);
}

TEST_CASE("close racing senders hands back every accepted item once", "[mailbox][concurrency]") {
  mailbox<std::uint64_t> mb(4);
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int k = 0; k < 3; ++k)
    threads.emplace_back([&, k] {
      while (!go.load()) std::this_thread::yield();
      for (std::uint64_t i = 0;; ++i) {
        const push_status s = k == 0 ? [&] {
          std::uint64_t v = i;
          return mb.try_push(v);
        }()
                                     : push_blocking(mb, i);
        if (s == push_status::closed) return;
        if (s == push_status::queued || s == push_status::queued_woke) accepted.fetch_add(1);
      }
    });
  go.store(true);
  std::uint64_t taken = 0;
  std::optional<std::uint64_t> batch[3];
  for (int round = 0; round < 2000; ++round) taken += mb.pop_batch(batch, 3);
  std::uint64_t drained = 0;
  mb.close([&](std::uint64_t&) { ++drained; });
  for (auto& t : threads) t.join();
  CHECK(mb.closed());
  CHECK(taken + drained == accepted.load());
  CHECK_FALSE(mb.pop());
}

TEST_CASE("size() seen from a third thread never exceeds capacity", "[mailbox][concurrency]") {
  // A metrics reader loads head and tail separately; between them the consumer may take and the
  // sender refill many times. The depth it reports must still be a depth the mailbox had.
  constexpr std::uint64_t total = 200000;
  mailbox<std::uint64_t> mb(16);
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> over_capacity{0}, reads{0};
  std::thread reader([&] {
    while (!done.load(std::memory_order_relaxed)) {
      if (mb.size() > mb.capacity()) over_capacity.fetch_add(1);
      reads.fetch_add(1, std::memory_order_relaxed);
    }
  });
  // Both sides give up at the same moment: a consumer that stopped early must not leave the
  // sender spinning on a full mailbox, and join() hanging CI instead of the test failing.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  std::thread sender([&] {
    for (std::uint64_t i = 0; i < total; ++i) {
      std::uint64_t v = i;
      while (mb.try_push(v) == push_status::full) {
        if (std::chrono::steady_clock::now() >= give_up) return;
        std::this_thread::yield();
      }
    }
  });
  std::uint64_t received = 0;
  std::optional<std::uint64_t> batch[4];
  while (received < total && std::chrono::steady_clock::now() < give_up) {
    const std::size_t n = mb.pop_batch(batch, 4);
    received += n;
    if (n == 0) std::this_thread::yield();
  }
  sender.join();
  done = true;
  reader.join();
  CHECK(received == total);
  CHECK(reads.load() > 0);
  CHECK(over_capacity.load() == 0);
}

namespace {
// Copies can throw (on demand): what a throwing copy must not do is leave a reserved slot
// unfilled, which would stop the consumer at it for good.
struct fragile {
  static inline bool fail_copies = false;
  int v = 0;
  explicit fragile(int x) : v(x) {}
  fragile(const fragile& o) : v(o.v) {
    if (fail_copies) throw std::runtime_error("copy failed");
  }
  fragile(fragile&& o) noexcept : v(o.v) {}
  fragile& operator=(const fragile&) = default;
  fragile& operator=(fragile&&) noexcept = default;
};
}  // namespace

TEST_CASE("a constructor that throws never leaves a slot reserved and unfilled", "[mailbox]") {
  mailbox<fragile> mb(4);
  const fragile original(7);
  CHECK(mb.try_emplace(original) == push_status::queued_woke);  // a copy: built, then moved in
  fragile::fail_copies = true;
  CHECK_THROWS_AS(mb.try_emplace(original), std::runtime_error);
  fragile::fail_copies = false;
  CHECK(mb.size() == 1);
  CHECK(mb.try_emplace(fragile(8)) == push_status::queued);  // a move: built in the slot
  std::optional<fragile> out[4];
  REQUIRE(mb.pop_batch(out, 4) == 2);
  CHECK(out[0]->v == 7);
  CHECK(out[1]->v == 8);
  CHECK(mb.size() == 0);
}
