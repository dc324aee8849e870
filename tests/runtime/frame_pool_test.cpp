// frame_pool: what it recycles, what it leaves to the system allocator, and that blocks freed on
// another thread come back. Allocations are observed with the test allocation counter
// (tests/protocol/alloc_counter.cpp, linked in): "from the pool" means no operator new.
#include "../protocol/alloc_counter.hpp"

#include <janus/rt/frame_pool.hpp>

#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

using namespace janus::rt;
using janus::test::count_allocations;
using janus::test::count_deallocations;

TEST_CASE("blocks are reused within a size class", "[frame_pool]") {
  void* a = frame_pool::allocate(100);
  std::memset(a, 0xab, 100);
  frame_pool::deallocate(a, 100);
  void* b = nullptr;
  CHECK(count_allocations([&] { b = frame_pool::allocate(120); }) == 0);  // same 128-byte class
  CHECK(a == b);
  CHECK(count_deallocations([&] { frame_pool::deallocate(b, 120); }) == 0);  // kept for reuse
}

TEST_CASE("oversized blocks bypass the pool", "[frame_pool]") {
  constexpr std::size_t big_size = frame_pool::max_pooled_size + 1;
  for (int round = 0; round < 3; ++round) {
    void* big = nullptr;
    // Each time from operator new and back to operator delete: never cached, so never reused
    // from a size class that could not hold it.
    CHECK(count_allocations([&] { big = frame_pool::allocate(big_size); }) == 1);
    std::memset(big, 0, big_size);
    CHECK(count_deallocations([&] { frame_pool::deallocate(big, big_size); }) == 1);
  }
  // The largest pooled size is still pooled: after the first, no allocation.
  frame_pool::deallocate(frame_pool::allocate(frame_pool::max_pooled_size), frame_pool::max_pooled_size);
  CHECK(count_allocations([] {
          frame_pool::deallocate(frame_pool::allocate(frame_pool::max_pooled_size), frame_pool::max_pooled_size);
        }) == 0);
}

TEST_CASE("blocks freed on another thread flow back through the depot", "[frame_pool]") {
  // 200 B: the 256-byte class, used by no other case here. This thread allocates, another frees
  // and exits: its cache hands everything to the depot, so after the first round this thread is
  // served from the blocks the other freed, with no operator new.
  constexpr std::size_t n = 20000;
  std::set<void*> first_round;
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    std::vector<void*> blocks(n);
    const std::size_t fresh = count_allocations([&] {
      for (auto& p : blocks) p = frame_pool::allocate(200);
    });
    if (round == 0) {
      first_round.insert(blocks.begin(), blocks.end());
      CHECK(first_round.size() == n);
    } else {
      CHECK(fresh == 0);
      std::size_t recycled = 0;
      for (void* p : blocks) recycled += first_round.count(p);
      CHECK(recycled == n);
    }
    std::thread other([&] {
      for (auto* p : blocks) frame_pool::deallocate(p, 200);
    });
    other.join();
  }
  // The freeing thread has exited and returned its cache: allocation here finds blocks again.
  void* p = nullptr;
  CHECK(count_allocations([&] { p = frame_pool::allocate(200); }) == 0);
  CHECK(first_round.count(p) == 1);
  frame_pool::deallocate(p, 200);
}
