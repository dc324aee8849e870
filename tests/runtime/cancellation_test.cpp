#include <janus/rt/cancellation.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using namespace janus::rt;

TEST_CASE("cancel() runs every registered callback once; later registrations run at once") {
  cancel_source src;
  int a = 0, b = 0, late = 0;
  cancel_registration ra, rb, rl;
  src.token().on_cancel(ra, [&] { ++a; });
  src.token().on_cancel(rb, [&] { ++b; });
  CHECK_FALSE(src.token().cancelled());
  src.cancel();
  src.cancel();
  CHECK(a == 1);
  CHECK(b == 1);
  CHECK(src.token().cancelled());
  src.token().on_cancel(rl, [&] { ++late; });
  CHECK(late == 1);
}

TEST_CASE("a reset registration is not called; a default token never cancels") {
  cancel_source src;
  int called = 0;
  {
    cancel_registration r;
    src.token().on_cancel(r, [&] { ++called; });
  }
  cancel_registration kept;
  src.token().on_cancel(kept, [&] { ++called; });
  kept.reset();
  src.cancel();
  CHECK(called == 0);
  cancel_token none;
  CHECK_FALSE(none.can_be_cancelled());
  cancel_registration r;
  none.on_cancel(r, [&] { ++called; });
  CHECK(called == 0);
}

TEST_CASE("reset() waits for a callback running on another thread") {
  cancel_source src;
  std::atomic<bool> entered{false}, finished{false};
  auto reg = std::make_unique<cancel_registration>();
  src.token().on_cancel(*reg, [&] {
    entered = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    finished = true;
  });
  std::thread t([&] { src.cancel(); });
  while (!entered) std::this_thread::yield();
  reg->reset();
  CHECK(finished);  // reset returned only after the callback did
  t.join();
}
