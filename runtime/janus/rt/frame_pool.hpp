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

}  // namespace janus::rt::frame_pool
