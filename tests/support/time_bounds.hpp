// Upper time bounds for tests, scaled for slow runs.
//
// A test's upper time bound must not fail a correct build on a slow day: CI shares two cores with
// other work, and sanitizer builds run 3-10x slower. Where a bound only says "promptly" (not "before
// some deadline fired", which is checked as an order instead), the test states it generously
// (about 10x what a quiet machine takes) and scales it by slow_factor():
//   - 10 in a build with ASan or TSan,
//   - else JANUS_TEST_TIME_LIMIT / 60 when that is set above the 60 s default (the per-case
//     watchdog's limit, raised by the scripts that run slow builds),
//   - else 1.
#pragma once

#include <chrono>
#include <cstdlib>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define JANUS_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define JANUS_TEST_SANITIZED 1
#endif

namespace janus_test {

inline long slow_factor() {
#ifdef JANUS_TEST_SANITIZED
  return 10;
#else
  static const long factor = [] {
    const char* limit = std::getenv("JANUS_TEST_TIME_LIMIT");
    const long seconds = limit ? std::atol(limit) : 0;
    return seconds > 60 ? (seconds + 59) / 60 : 1L;
  }();
  return factor;
#endif
}

/// `d` scaled by slow_factor(): the bound for something a quiet machine does in a tenth of `d`.
template <class Rep, class Period>
auto generous(std::chrono::duration<Rep, Period> d) {
  return d * slow_factor();
}

}  // namespace janus_test
