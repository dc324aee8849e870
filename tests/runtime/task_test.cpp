#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>

#include <catch2/catch.hpp>
#include <memory>
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

// A task whose frame owns its parameter: the parameter's copy lives in the frame from the call
// on, and is destroyed exactly when the frame is. Passed explicitly (no default: see GCC 12's
// miscompiled defaulted coroutine parameters).
task<int> holds(std::shared_ptr<int> token) { co_return *token; }
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
  // The frame is observed through a parameter it owns: the token stays alive as long as the frame
  // does, so the weak reference expires only when the frame is freed (ASan would also report the
  // leak, but only in the sanitizer run).
  auto token = std::make_shared<int>(3);
  const std::weak_ptr<int> frame_alive = token;
  {
    auto t = holds(std::move(token));
    CHECK(t.valid());
    CHECK_FALSE(t.done());
    CHECK_FALSE(frame_alive.expired());  // the unstarted frame holds it
  }
  CHECK(frame_alive.expired());  // destroying the task freed the frame it never ran

  // Replaced by assignment: the old unstarted frame is freed, the new one kept.
  auto first = std::make_shared<int>(1);
  auto second = std::make_shared<int>(2);
  const std::weak_ptr<int> first_alive = first, second_alive = second;
  auto t = holds(std::move(first));
  t = holds(std::move(second));
  CHECK(first_alive.expired());
  CHECK_FALSE(second_alive.expired());
  scheduler s;
  CHECK(s.block_on(std::move(t)) == 2);
}
