// frame_pool: what it recycles, what it leaves to the system allocator, and that blocks freed on
// another thread come back. Allocations are observed with the test allocation counter
// (tests/protocol/alloc_counter.cpp, linked in): "from the pool" means no operator new.
#include "../protocol/alloc_counter.hpp"

#include <janus/rt/frame_pool.hpp>
#include <janus/rt/reply_cell.hpp>
#include <janus/rt/task.hpp>

#include <catch2/catch.hpp>
#include <cstring>
#include <new>
#include <set>
#include <thread>
#include <vector>

using namespace janus::rt;
using janus::test::count_allocations;
using janus::test::count_deallocations;

// Defined as 0 by meson for -Dpooled_frames=false (runtime/meson.build); pooled otherwise.
#ifndef JANUS_RT_POOLED_FRAMES
#define JANUS_RT_POOLED_FRAMES 1
#endif

TEST_CASE("the library was built in the pooling mode the build asked for", "[frame_pool]") {
  CHECK(frame_pool::pooling_enabled() == (JANUS_RT_POOLED_FRAMES != 0));
}

namespace {
task<int> seven() { co_return 7; }
}  // namespace

TEST_CASE("coroutine frames and reply cells bypass the pool exactly when pooling is off", "[frame_pool]") {
  // Warm up the size classes first, so that in the pooled mode what follows is recycled.
  for (int i = 0; i < 4; ++i) {
    auto t = seven();
    auto* rc = reply_cell<int>::create();
    rc->release();
    rc->release();
  }
  const std::size_t per_object = frame_pool::pooling_enabled() ? 0 : 1;
  for (int round = 0; round < 3; ++round) {
    // Placement new rather than std::optional<task<int>>, which GCC 12 at -O1 (CI's plain build)
    // warns about as maybe-uninitialized in reset(); neither allocates.
    alignas(task<int>) unsigned char storage[sizeof(task<int>)];
    task<int>* t = nullptr;
    CHECK(count_allocations([&] { t = new (storage) task<int>(seven()); }) == per_object);
    CHECK(count_deallocations([&] { t->~task(); }) == per_object);
    reply_cell<int>* rc = nullptr;
    CHECK(count_allocations([&] { rc = reply_cell<int>::create(); }) == per_object);
    rc->release();  // the asker's reference
    CHECK(count_deallocations([&] { rc->release(); }) == per_object);  // the envelope's: the last
  }
}

#if !JANUS_RT_POOLED_FRAMES

TEST_CASE("without pooling every block is its own heap object", "[frame_pool]") {
  // What lets AddressSanitizer report a use after free of a frame or reply cell: nothing is kept
  // for reuse, in any size class.
  for (std::size_t size : {std::size_t{1}, std::size_t{64}, std::size_t{200}, std::size_t{4096}, std::size_t{5000}}) {
    for (int round = 0; round < 3; ++round) {
      void* p = nullptr;
      CHECK(count_allocations([&] { p = frame_pool::allocate(size); }) == 1);
      std::memset(p, 0xab, size);
      CHECK(count_deallocations([&] { frame_pool::deallocate(p, size); }) == 1);
    }
  }
}

#else  // the pool's own behaviour

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

#endif  // JANUS_RT_POOLED_FRAMES
