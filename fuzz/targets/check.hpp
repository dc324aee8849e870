// A check that stays on in release and fuzzing builds: a violated invariant must reach libFuzzer
// (or the replay test) as a crash, with the failed condition printed.
#pragma once

#include <cstdio>
#include <cstdlib>

#define JANUS_FUZZ_CHECK(cond)                                                               \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)
