#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>

using namespace janus::rt;

namespace {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// Sanitizer builds do not turn symmetric transfer into tail calls, so every co_await costs stack.
constexpr int deep_chain = 2'000;
constexpr int long_loop = 2'000;
#else
constexpr int deep_chain = 100'000;
constexpr int long_loop = 1'000'000;
#endif

task<int> leaf(int v) { co_return v; }

task<long> chain(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await chain(depth - 1);
}

task<int> sum_loop(int n) {
  int s = 0;
  for (int i = 0; i < n; ++i) s += co_await leaf(1);
  co_return s;
}

task<void> throws() {
  throw std::runtime_error("boom");
  co_return;
}

task<std::string> catches() {
  try {
    co_await throws();
  } catch (const std::exception& e) {
    co_return std::string("caught ") + e.what();
  }
  co_return "not thrown";
}

task<result<int>> fails() { co_return error{errc::timeout, "late"}; }
}  // namespace

TEST_CASE("task is lazy and yields its value", "[task]") {
  scheduler s;
  bool started = false;
  // The closure must outlive the coroutine: a lambda coroutine reads its captures from it.
  auto body = [&]() -> task<int> {
    started = true;
    co_return 7;
  };
  auto t = body();
  CHECK_FALSE(started);
  CHECK(s.block_on(std::move(t)) == 7);
  CHECK(started);
}

TEST_CASE("a million co_awaits in a loop run in constant stack", "[task]") {
  scheduler s;
  CHECK(s.block_on(sum_loop(long_loop)) == long_loop);
}


TEST_CASE("deep recursive co_await chains complete through symmetric transfer", "[task]") {
  scheduler s;
  // 100k nested frames would overflow an 8 MiB stack if each level resumed the next recursively.
  CHECK(s.block_on(chain(deep_chain)) == deep_chain);
}

TEST_CASE("exceptions propagate to the awaiter", "[task]") {
  scheduler s;
  CHECK(s.block_on(catches()) == "caught boom");
  CHECK_THROWS_AS(s.block_on(throws()), std::runtime_error);
}

TEST_CASE("errors travel as values", "[task]") {
  scheduler s;
  auto r = s.block_on(fails());
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::timeout);
  CHECK(r.err().what() == "timeout: late");
}

TEST_CASE("an unstarted task frees its frame", "[task]") {
  // Under ASan a leak here fails the run.
  auto t = leaf(3);
  CHECK(t.valid());
  CHECK_FALSE(t.done());
}
