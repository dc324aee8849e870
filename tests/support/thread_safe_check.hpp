// Catch2 v2 assertions are not thread-safe, and runtime tests assert from coroutines that run on
// worker threads. Every assertion in such a test goes through these macros, which serialise them.
// (A failed TS_REQUIRE throws inside the coroutine; block_on rethrows it on the test's thread.)
#pragma once

#include <catch2/catch.hpp>
#include <mutex>

namespace janus_test {
inline std::recursive_mutex& catch_mutex() {
  static std::recursive_mutex m;
  return m;
}
}  // namespace janus_test

#define JANUS_TS(macro, ...)                                              \
  do {                                                                    \
    std::lock_guard<std::recursive_mutex> janus_ts_lock_(janus_test::catch_mutex()); \
    macro(__VA_ARGS__);                                                   \
  } while (false)
#define TS_CHECK(...) JANUS_TS(CHECK, __VA_ARGS__)
#define TS_CHECK_FALSE(...) JANUS_TS(CHECK_FALSE, __VA_ARGS__)
#define TS_REQUIRE(...) JANUS_TS(REQUIRE, __VA_ARGS__)
#define TS_REQUIRE_FALSE(...) JANUS_TS(REQUIRE_FALSE, __VA_ARGS__)
