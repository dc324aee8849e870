// Counts heap allocations made by the current thread, to check steady-state paths allocate nothing.
// The global operator new replacement lives in alloc_counter.cpp, linked into this test executable.
#pragma once

#include <cstddef>

namespace janus::test {

/// Allocations by this thread since it started.
std::size_t allocations_on_this_thread() noexcept;

/// Allocations made by this thread while running `f`.
template <class F>
std::size_t count_allocations(F&& f) {
  const std::size_t before = allocations_on_this_thread();
  f();
  return allocations_on_this_thread() - before;
}

}  // namespace janus::test
