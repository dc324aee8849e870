// The bounded queue on its own: limits, the take/written hand-over and the on_writable edge.
#include "../../protocol/transport/send_queue.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using janus::protocol::transport_limits;
using janus::protocol::detail::send_queue;
using janus::rt::errc;

namespace {

transport_limits small_limits() {
  transport_limits l;
  l.max_queued_bytes = 100;
  l.max_queued_messages = 4;
  l.low_water_bytes = 40;
  l.low_water_messages = 1;
  return l;
}

}  // namespace

TEST_CASE("send_queue asks for one take per idle period", "[transport][send_queue]") {
  send_queue q(small_limits());
  auto a = q.push("a");
  REQUIRE(a);
  CHECK(*a);  // idle: the caller must schedule a take
  auto b = q.push("b");
  REQUIRE(b);
  CHECK_FALSE(*b);  // already scheduled
  std::vector<std::string> batch;
  q.take(batch);
  CHECK(batch == std::vector<std::string>{"a", "b"});
  CHECK(q.messages() == 2);  // taken but not yet written
  CHECK(q.bytes() == 2);
  auto c = q.push("c");
  REQUIRE(c);
  CHECK(*c);
  CHECK_FALSE(q.written(2, 2));
  CHECK(q.messages() == 1);
}

TEST_CASE("send_queue refuses past its limits and signals writable at low water", "[transport][send_queue]") {
  send_queue q(small_limits());
  REQUIRE(q.push(std::string(60, 'x')));
  auto refused = q.push(std::string(50, 'y'));  // 110 > 100
  REQUIRE_FALSE(refused);
  CHECK(refused.code() == errc::mailbox_full);
  CHECK(refused.err().message.find("wait for on_writable") != std::string::npos);
  REQUIRE(q.push(std::string(40, 'z')));  // exactly 100 fits
  std::vector<std::string> batch;
  q.take(batch);
  CHECK_FALSE(q.written(40, 1));  // 60 bytes, 1 message left: above low water (40)
  CHECK(q.written(60, 1));        // drained: on_writable now
  CHECK_FALSE(q.written(0, 0));   // and only once
}

TEST_CASE("send_queue limits the number of messages", "[transport][send_queue]") {
  send_queue q(small_limits());
  for (int i = 0; i < 4; ++i) REQUIRE(q.push("m"));
  CHECK(q.push("m").code() == errc::mailbox_full);
}

TEST_CASE("send_queue accepts one oversized message when empty", "[transport][send_queue]") {
  send_queue q(small_limits());
  REQUIRE(q.push(std::string(1000, 'x')));
  CHECK(q.push("more").code() == errc::mailbox_full);
}

TEST_CASE("send_queue refuses after close and never signals writable", "[transport][send_queue]") {
  send_queue q(small_limits());
  REQUIRE(q.push(std::string(100, 'x')));
  CHECK(q.push("y").code() == errc::mailbox_full);
  q.close("gone");
  auto after = q.push("z");
  CHECK(after.code() == errc::disconnected);
  CHECK(after.err().message == "gone");
  std::vector<std::string> batch;
  q.take(batch);
  CHECK_FALSE(q.written(100, 1));
}

TEST_CASE("send_queue counts stay consistent under concurrent senders", "[transport][send_queue]") {
  transport_limits l;
  l.max_queued_messages = 1'000'000;
  send_queue q(l);
  std::atomic<int> refused{0};  // Catch2 assertions are not thread-safe: count, check after
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t)
    senders.emplace_back([&] {
      for (int i = 0; i < 1000; ++i)
        if (!q.push("abc")) ++refused;
    });
  std::size_t taken = 0;
  std::vector<std::string> batch;
  while (taken < 4000) {
    q.take(batch);
    taken += batch.size();
    (void)q.written(3 * batch.size(), batch.size());
    batch.clear();
    std::this_thread::yield();
  }
  for (auto& s : senders) s.join();
  CHECK(refused == 0);
  CHECK(q.messages() == 0);
  CHECK(q.bytes() == 0);
}
