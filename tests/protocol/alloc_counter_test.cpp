// The allocation counter itself: every replaceable operator new and delete form is counted. A form
// it did not replace would go to the standard library's own and be missed, and a test built on the
// counter would see "no allocations" where there were some (Asio allocates its handlers with the
// aligned form, for instance).
#include "alloc_counter.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <new>

namespace {

struct alignas(64) over_aligned {
  unsigned char bytes[64];
};

// Where each pointer escapes: a new-expression whose result is never used may be elided.
void* volatile sink = nullptr;

template <class Alloc, class Free>
void counts_one_each(const char* form, Alloc alloc, Free free) {
  INFO(form);
  void* p = nullptr;
  CHECK(janus::test::count_allocations([&] { sink = p = alloc(); }) == 1);
  REQUIRE(p != nullptr);
  CHECK(janus::test::count_deallocations([&] { free(p); }) == 1);
}

}  // namespace

TEST_CASE("alloc_counter counts every form of operator new and delete") {
  using std::align_val_t;
  const auto al = align_val_t{64};

  // new-expressions: what the compiler picks for a type's size and alignment.
  counts_one_each("new T", [] { return static_cast<void*>(new int(1)); }, [](void* p) { delete static_cast<int*>(p); });
  counts_one_each("new T[]", [] { return static_cast<void*>(new int[4]); }, [](void* p) { delete[] static_cast<int*>(p); });
  counts_one_each("new (nothrow) T", [] { return static_cast<void*>(new (std::nothrow) int(1)); },
                  [](void* p) { delete static_cast<int*>(p); });
  counts_one_each("new (nothrow) T[]", [] { return static_cast<void*>(new (std::nothrow) int[4]); },
                  [](void* p) { delete[] static_cast<int*>(p); });
  counts_one_each("new over-aligned T", [] { return static_cast<void*>(new over_aligned); },
                  [](void* p) { delete static_cast<over_aligned*>(p); });
  counts_one_each("new over-aligned T[]", [] { return static_cast<void*>(new over_aligned[3]); },
                  [](void* p) { delete[] static_cast<over_aligned*>(p); });
  counts_one_each("new (nothrow) over-aligned T", [] { return static_cast<void*>(new (std::nothrow) over_aligned); },
                  [](void* p) { delete static_cast<over_aligned*>(p); });
  counts_one_each("new (nothrow) over-aligned T[]",
                  [] { return static_cast<void*>(new (std::nothrow) over_aligned[3]); },
                  [](void* p) { delete[] static_cast<over_aligned*>(p); });

  // The functions called by name, as allocators and Asio's recycling allocator do, with each
  // matching delete form (sized, aligned, nothrow).
  counts_one_each("operator new / sized delete", [] { return ::operator new(40); },
                  [](void* p) { ::operator delete(p, 40); });
  counts_one_each("operator new[] / sized delete[]", [] { return ::operator new[](40); },
                  [](void* p) { ::operator delete[](p, 40); });
  counts_one_each("operator new (aligned) / delete (aligned)", [&] { return ::operator new(100, al); },
                  [&](void* p) { ::operator delete(p, al); });
  counts_one_each("operator new[] (aligned) / delete[] (aligned)", [&] { return ::operator new[](100, al); },
                  [&](void* p) { ::operator delete[](p, al); });
  counts_one_each("operator new (aligned) / sized delete (aligned)", [&] { return ::operator new(100, al); },
                  [&](void* p) { ::operator delete(p, 100, al); });
  counts_one_each("operator new[] (aligned) / sized delete[] (aligned)", [&] { return ::operator new[](100, al); },
                  [&](void* p) { ::operator delete[](p, 100, al); });
  counts_one_each("operator new (nothrow) / delete (nothrow)", [] { return ::operator new(40, std::nothrow); },
                  [](void* p) { ::operator delete(p, std::nothrow); });
  counts_one_each("operator new[] (nothrow) / delete[] (nothrow)", [] { return ::operator new[](40, std::nothrow); },
                  [](void* p) { ::operator delete[](p, std::nothrow); });
  counts_one_each("operator new (aligned, nothrow) / delete (aligned, nothrow)",
                  [&] { return ::operator new(100, al, std::nothrow); },
                  [&](void* p) { ::operator delete(p, al, std::nothrow); });
  counts_one_each("operator new[] (aligned, nothrow) / delete[] (aligned, nothrow)",
                  [&] { return ::operator new[](100, al, std::nothrow); },
                  [&](void* p) { ::operator delete[](p, al, std::nothrow); });
}

TEST_CASE("alloc_counter: aligned allocations honour their alignment") {
  for (std::size_t a : {8u, 16u, 64u, 256u, 4096u}) {
    INFO("alignment " << a);
    void* p = ::operator new(24, std::align_val_t{a});
    CHECK(reinterpret_cast<std::uintptr_t>(p) % a == 0);
    ::operator delete(p, std::align_val_t{a});
  }
}
