// A size-class pool for coroutine frames and other short-lived runtime objects.
//
// Every message an actor handles may start a coroutine, and every ask needs a reply cell; going to
// the global allocator for each would put malloc on the hot path. Blocks are recycled through a
// per-thread cache per size class; a cache that grows too large hands a batch to a global depot,
// and an empty cache takes a batch from it, so a producer thread and a consumer thread that free
// each other's blocks settle into a steady state with no calls to operator new.
//
// @par Thread Safety
// allocate/deallocate may be called from any thread; a block may be freed on a thread other than
// the one that allocated it.
#pragma once

#include <cstddef>

namespace janus::rt::frame_pool {

/// Largest block served from the pool; larger requests go straight to operator new.
inline constexpr std::size_t max_pooled_size = 4096;

void* allocate(std::size_t size);
void deallocate(void* p, std::size_t size) noexcept;

/// False in a build configured with -Dpooled_frames=false (JANUS_RT_POOLED_FRAMES=0): then
/// allocate/deallocate are plain operator new/delete per block, nothing is cached, and
/// AddressSanitizer sees a use after free of a coroutine frame or reply cell as such.
bool pooling_enabled() noexcept;

}  // namespace janus::rt::frame_pool

namespace janus::rt {

/// A standard allocator over frame_pool, for objects made per message whose size the container
/// decides (e.g. `std::allocate_shared`'s control block plus object): after warm-up they are
/// recycled instead of going to operator new.
///
/// @par Thread Safety
/// Stateless: any copy may allocate or free from any thread.
template <class T>
struct pool_allocator {
  using value_type = T;
  pool_allocator() noexcept = default;
  template <class U>
  pool_allocator(const pool_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(frame_pool::allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { frame_pool::deallocate(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const pool_allocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace janus::rt
