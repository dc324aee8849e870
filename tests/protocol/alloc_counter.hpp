// Counts heap allocations made by the current thread, to check steady-state paths allocate nothing.
// The global operator new/delete replacements live in alloc_counter.cpp, linked into this test
// executable. Every replaceable form is replaced and counted: plain, array, nothrow and aligned
// (C++17 over-aligned types, which Asio allocates for its handlers); an allocation through a form
// left out would go to the library's default and not be seen.
#pragma once

#include <cstddef>

namespace janus::test {

/// Allocations by this thread since it started (every operator new form).
std::size_t allocations_on_this_thread() noexcept;
/// Deallocations of a non-null pointer by this thread since it started (every operator delete form).
std::size_t deallocations_on_this_thread() noexcept;

/// Allocations made by this thread while running `f`.
template <class F>
std::size_t count_allocations(F&& f) {
  const std::size_t before = allocations_on_this_thread();
  f();
  return allocations_on_this_thread() - before;
}

/// Deallocations made by this thread while running `f`.
template <class F>
std::size_t count_deallocations(F&& f) {
  const std::size_t before = deallocations_on_this_thread();
  f();
  return deallocations_on_this_thread() - before;
}

}  // namespace janus::test
