#include <janus/rt/result.hpp>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

using namespace janus::rt;

TEST_CASE("result holds a value or an error", "[result]") {
  result<std::string> ok_value = std::string("page");
  REQUIRE(ok_value);
  CHECK(*ok_value == "page");
  CHECK(ok_value.code() == errc::ok);

  result<std::string> failed = error{errc::timeout, "Page.navigate took too long"};
  REQUIRE_FALSE(failed);
  CHECK(failed.code() == errc::timeout);
  CHECK(failed.err().what() == "timeout: Page.navigate took too long");
  CHECK(failed.value_or("fallback") == "fallback");
}

TEST_CASE("result copies and moves keep value and error intact", "[result]") {
  result<std::unique_ptr<int>> owned = std::make_unique<int>(5);
  auto moved = std::move(owned);
  REQUIRE(moved);
  CHECK(**moved == 5);

  result<std::string> a = std::string("x");
  result<std::string> b = error{errc::parse, "bad"};
  a = b;
  CHECK(a.code() == errc::parse);
  b = std::string("y");
  CHECK(*b == "y");
}

TEST_CASE("result<void> and protocol details", "[result]") {
  result<void> fine;
  CHECK(fine);
  error e{errc::protocol, "Cannot find context with specified id"};
  e.protocol_code = -32000;
  e.sent = true;
  result<void> bad = e;
  REQUIRE_FALSE(bad);
  CHECK(bad.err().protocol_code == -32000);
  CHECK(bad.err().sent);
  CHECK(to_string(errc::mailbox_full) == "mailbox_full");
  CHECK(to_string(errc::browser_exited) == "browser_exited");
}
