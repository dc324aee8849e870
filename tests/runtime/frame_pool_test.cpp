#include <janus/rt/frame_pool.hpp>

#include <catch2/catch.hpp>
#include <cstring>
#include <thread>
#include <vector>

using namespace janus::rt;

TEST_CASE("blocks are reused within a size class", "[frame_pool]") {
  void* a = frame_pool::allocate(100);
  std::memset(a, 0xab, 100);
  frame_pool::deallocate(a, 100);
  void* b = frame_pool::allocate(120);  // same 128-byte class
  CHECK(a == b);
  frame_pool::deallocate(b, 120);
}

TEST_CASE("oversized blocks bypass the pool", "[frame_pool]") {
  void* big = frame_pool::allocate(frame_pool::max_pooled_size + 1);
  std::memset(big, 0, frame_pool::max_pooled_size + 1);
  frame_pool::deallocate(big, frame_pool::max_pooled_size + 1);
}

TEST_CASE("blocks freed on another thread flow back through the depot", "[frame_pool]") {
  constexpr int n = 20000;
  for (int round = 0; round < 3; ++round) {
    std::vector<void*> blocks(n);
    for (auto& p : blocks) p = frame_pool::allocate(200);
    std::thread other([&] {
      for (auto* p : blocks) frame_pool::deallocate(p, 200);
    });
    other.join();
  }
  // The freeing thread has exited and returned its cache: allocation here finds blocks again.
  void* p = frame_pool::allocate(200);
  CHECK(p != nullptr);
  frame_pool::deallocate(p, 200);
}
