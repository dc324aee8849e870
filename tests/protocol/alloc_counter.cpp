// Replaces all the replaceable global allocation functions ([new.delete]): the plain, array,
// nothrow, aligned and aligned-nothrow forms of operator new, and every operator delete that can
// free what they return (plain, sized, aligned, sized-aligned, nothrow). Aligned forms get their
// memory from posix_memalign, which std::free releases like malloc's, so one free serves all.
#include "alloc_counter.hpp"

#include <cstdlib>
#include <new>

namespace {
thread_local std::size_t thread_allocations = 0;
thread_local std::size_t thread_deallocations = 0;

void* try_alloc(std::size_t n) noexcept {
  ++thread_allocations;
  return std::malloc(n ? n : 1);
}

void* try_alloc_aligned(std::size_t n, std::align_val_t al) noexcept {
  ++thread_allocations;
  std::size_t alignment = static_cast<std::size_t>(al);
  if (alignment < sizeof(void*)) alignment = sizeof(void*);  // posix_memalign's minimum
  void* p = nullptr;
  return ::posix_memalign(&p, alignment, n ? n : 1) == 0 ? p : nullptr;
}

void* alloc(std::size_t n) {
  if (void* p = try_alloc(n)) return p;
  throw std::bad_alloc();
}

void* alloc_aligned(std::size_t n, std::align_val_t al) {
  if (void* p = try_alloc_aligned(n, al)) return p;
  throw std::bad_alloc();
}

void release(void* p) noexcept {
  if (!p) return;
  ++thread_deallocations;
  std::free(p);
}
}  // namespace

std::size_t janus::test::allocations_on_this_thread() noexcept { return thread_allocations; }
std::size_t janus::test::deallocations_on_this_thread() noexcept { return thread_deallocations; }

void* operator new(std::size_t n) { return alloc(n); }
void* operator new[](std::size_t n) { return alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return try_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return try_alloc(n); }
void* operator new(std::size_t n, std::align_val_t al) { return alloc_aligned(n, al); }
void* operator new[](std::size_t n, std::align_val_t al) { return alloc_aligned(n, al); }
void* operator new(std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return try_alloc_aligned(n, al);
}
void* operator new[](std::size_t n, std::align_val_t al, const std::nothrow_t&) noexcept {
  return try_alloc_aligned(n, al);
}

void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }
