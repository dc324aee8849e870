#include <janus/protocol/base64.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace janus::protocol;

TEST_CASE("base64 round-trips every length and byte value", "[base64]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 1) {
    const std::string in = all.substr(0, n);
    const std::string enc = base64_encode(in);
    CHECK(enc.size() == (n + 2) / 3 * 4);
    auto dec = base64_decode(enc);
    REQUIRE(dec);
    CHECK(*dec == in);
  }
}

TEST_CASE("base64 decodes RFC 4648's vectors, unpadded, URL-safe and wrapped input", "[base64]") {
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(*base64_decode("Zm9vYg==") == "foob");
  CHECK(*base64_decode("Zm9vYg") == "foob");
  CHECK(*base64_decode("Zm9v\r\nYmFy") == "foobar");
  CHECK(*base64_decode("-_8=") == *base64_decode("+/8="));
}

TEST_CASE("base64 refuses what is not base64", "[base64]") {
  CHECK(base64_decode("Zm9v!").code() == janus::rt::errc::parse);
  CHECK(base64_decode("Zg==Zg==").code() == janus::rt::errc::parse);
  CHECK(base64_decode("Zm9vY").code() == janus::rt::errc::parse);  // a lone final character
}
