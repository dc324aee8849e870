#include "janus/rt/frame_pool.hpp"

#include <array>
#include <bit>
#include <mutex>
#include <new>
#include <vector>

// -Dpooled_frames=false defines this as 0 (runtime/meson.build); the default is the pool.
#ifndef JANUS_RT_POOLED_FRAMES
#define JANUS_RT_POOLED_FRAMES 1
#endif

namespace janus::rt::frame_pool {

bool pooling_enabled() noexcept { return JANUS_RT_POOLED_FRAMES != 0; }

#if !JANUS_RT_POOLED_FRAMES

// Every block its own heap object: freed memory goes back to the allocator (ASan quarantines
// it), so a frame or reply cell touched after its release is reported, not silently recycled.
// Sized delete, so ASan also checks that the size given back is the size allocated.
void* allocate(std::size_t size) { return ::operator new(size); }
void deallocate(void* p, std::size_t size) noexcept {
  if (p) ::operator delete(p, size);
}

#else

namespace {

// Size classes are powers of two from 64 B to 4 KiB.
constexpr std::size_t min_shift = 6;
constexpr std::size_t class_count = 7;  // 64 .. 4096
constexpr std::size_t batch = 64;        // blocks moved between a thread cache and the depot at once
constexpr std::size_t cache_limit = 4 * batch;

struct free_block {
  free_block* next;
};

constexpr std::size_t class_of(std::size_t size) noexcept {
  std::size_t rounded = size <= 64 ? 64 : std::bit_ceil(size);
  return static_cast<std::size_t>(std::countr_zero(rounded)) - min_shift;
}
constexpr std::size_t class_size(std::size_t c) noexcept { return std::size_t{1} << (c + min_shift); }

// A chain of `batch` blocks linked through free_block::next.
struct depot {
  std::mutex mu;
  std::vector<free_block*> chains;  // reserved up front; grows only while warming up
};

std::array<depot, class_count>& depots() {
  // Never destroyed: threads that exit after main() returns still hand their caches back here,
  // and the cached blocks stay reachable (leak checkers see pooled memory, not lost memory).
  static auto* d = new std::array<depot, class_count>;
  return *d;
}

struct thread_cache {
  std::array<free_block*, class_count> head{};
  std::array<std::size_t, class_count> count{};

  ~thread_cache() {
    // Return everything to the depot so blocks outlive the thread that cached them.
    for (std::size_t c = 0; c < class_count; ++c) {
      while (head[c]) {
        free_block* chain = head[c];
        free_block* tail = chain;
        std::size_t n = 1;
        while (n < batch && tail->next) {
          tail = tail->next;
          ++n;
        }
        head[c] = tail->next;
        tail->next = nullptr;
        auto& d = depots()[c];
        std::lock_guard lk(d.mu);
        d.chains.push_back(chain);
      }
    }
  }
};

thread_cache& cache() {
  static thread_local thread_cache tc;
  return tc;
}

}  // namespace

void* allocate(std::size_t size) {
  if (size > max_pooled_size) return ::operator new(size);
  const std::size_t c = class_of(size);
  auto& tc = cache();
  if (!tc.head[c]) {
    auto& d = depots()[c];
    free_block* chain = nullptr;
    {
      std::lock_guard lk(d.mu);
      if (!d.chains.empty()) {
        chain = d.chains.back();
        d.chains.pop_back();
      }
    }
    if (!chain) return ::operator new(class_size(c));
    std::size_t n = 0;
    for (free_block* b = chain; b; b = b->next) ++n;
    tc.head[c] = chain;
    tc.count[c] = n;
  }
  free_block* b = tc.head[c];
  tc.head[c] = b->next;
  --tc.count[c];
  return b;
}

void deallocate(void* p, std::size_t size) noexcept {
  if (!p) return;
  if (size > max_pooled_size) {
    ::operator delete(p);
    return;
  }
  const std::size_t c = class_of(size);
  auto& tc = cache();
  auto* b = static_cast<free_block*>(p);
  b->next = tc.head[c];
  tc.head[c] = b;
  if (++tc.count[c] < cache_limit) return;
  // Hand one batch to the depot: the thread that frees more than it allocates must not hoard.
  free_block* chain = tc.head[c];
  free_block* tail = chain;
  for (std::size_t n = 1; n < batch; ++n) tail = tail->next;
  tc.head[c] = tail->next;
  tail->next = nullptr;
  tc.count[c] -= batch;
  auto& d = depots()[c];
  try {
    std::lock_guard lk(d.mu);
    d.chains.push_back(chain);
  } catch (...) {
    // The depot could not grow: release the batch to the system instead of losing it.
    while (chain) {
      free_block* next = chain->next;
      ::operator delete(chain);
      chain = next;
    }
  }
}

#endif  // JANUS_RT_POOLED_FRAMES

}  // namespace janus::rt::frame_pool
