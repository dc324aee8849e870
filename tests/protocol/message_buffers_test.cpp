// message_buffers: what comes back fits, what should not be kept is not, and a thread that only
// takes is served by a thread that only gives.
#include "alloc_counter.hpp"

#include <janus/protocol/cdp_codec.hpp>
#include <janus/protocol/message_buffers.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

using namespace janus;
namespace mb = janus::protocol::message_buffers;

TEST_CASE("message_buffers: a buffer taken has room for the size asked, and comes back empty") {
  for (std::size_t size : {1u, 15u, 16u, 63u, 64u, 65u, 1000u, 4096u, 100000u}) {
    std::string s = mb::take(size);
    CHECK(s.empty());
    CHECK(s.capacity() >= size);
    s.assign(size, 'x');
    mb::give(std::move(s));
  }
  // A buffer given back with content is handed out cleared.
  std::string a = mb::take(500);
  a.assign(500, 'y');
  mb::give(std::move(a));
  std::string b = mb::take(500);
  CHECK(b.empty());
  CHECK(b.capacity() >= 500);
}

TEST_CASE("message_buffers: after warm-up, take and give of a size seen before allocate nothing") {
  for (int i = 0; i < 100; ++i) mb::give(mb::take(300));
  const std::size_t allocs = test::count_allocations([] {
    for (int i = 0; i < 10000; ++i) {
      std::string s = mb::take(300);
      s.assign(300, 'z');
      mb::give(std::move(s));
    }
  });
  CHECK(allocs == 0);
}

TEST_CASE("message_buffers: a buffer of any capacity given back is never handed out too small") {
  // Strings the caller built itself, of awkward capacities, land below their capacity's class.
  for (std::size_t cap : {70u, 100u, 130u, 200u, 255u, 257u}) {
    std::string s;
    s.reserve(cap);
    mb::give(std::move(s));
  }
  for (std::size_t size : {65u, 100u, 128u, 129u, 200u, 256u}) {
    std::string s = mb::take(size);
    CHECK(s.capacity() >= size);
  }
}

TEST_CASE("message_buffers: buffers larger than max_kept_capacity are not kept") {
  const auto before = mb::current_stats();
  mb::give(mb::take(mb::max_kept_capacity + 1));
  const auto after = mb::current_stats();
  CHECK(after.kept_bytes <= before.kept_bytes);
}

TEST_CASE("message_buffers: what one thread gives, another takes") {
  // The reading thread takes (decoded messages), the caller's thread gives (replies it dropped).
  constexpr int n = 5000;
  std::vector<std::string> made;
  made.reserve(n);
  for (int i = 0; i < n; ++i) made.push_back(mb::take(700));
  std::thread giver([&] {
    for (auto& s : made) mb::give(std::move(s));
  });
  giver.join();
  const auto before = mb::current_stats();
  std::vector<std::string> again;
  again.reserve(n);
  const std::size_t allocs = test::count_allocations([&] {
    for (int i = 0; i < n; ++i) again.push_back(mb::take(700));
  });
  CHECK(allocs == 0);
  CHECK(mb::current_stats().reused - before.reused == n);
  for (auto& s : again) mb::give(std::move(s));
}

TEST_CASE("cdp_owned_message: its text comes from message_buffers and goes back when it dies") {
  protocol::cdp_message m;
  m.kind = protocol::cdp_kind::event;
  m.method = "Network.requestWillBeSent";
  const std::string params(400, 'p');
  m.payload = params;
  for (int i = 0; i < 10; ++i) protocol::cdp_owned_message warm(m);
  const std::size_t allocs = test::count_allocations([&] {
    for (int i = 0; i < 1000; ++i) {
      protocol::cdp_owned_message owned(m);
      protocol::cdp_owned_message moved = std::move(owned);
      CHECK(moved.payload() == params);
      protocol::cdp_owned_message assigned;
      assigned = std::move(moved);
      CHECK(assigned.method() == "Network.requestWillBeSent");
    }
  });
  CHECK(allocs == 0);
}
