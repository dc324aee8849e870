// The loopback HTTP server's request parsing (protocol/transport/http_request_parser.hpp), on its
// own; fuzz/targets/http_request_target.hpp checks it on arbitrary bytes.
#include <catch2/catch.hpp>

#include <string>

#include "transport/http_request_parser.hpp"

using janus::protocol::http_request;
using janus::protocol::detail::parse_request_head;

TEST_CASE("parse_request_head: request line and headers", "[http]") {
  http_request r;
  auto n = parse_request_head("GET /a?b=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n  X-Mixed-Case :\t v a l \t\r\nno colon\r\n", r);
  REQUIRE(n);
  CHECK(*n == 0);
  CHECK(r.method == "GET");
  CHECK(r.resource == "/a?b=1");
  REQUIRE(r.headers.size() == 2);
  CHECK(r.headers[1] == std::pair<std::string, std::string>("x-mixed-case", "v a l"));
  CHECK(r.header("X-MIXED-CASE") == "v a l");

  CHECK(parse_request_head("GET / SPDY/3", r).code() == janus::rt::errc::parse);
  CHECK(parse_request_head("GET /", r).code() == janus::rt::errc::parse);
  CHECK(parse_request_head("", r).code() == janus::rt::errc::parse);
}

TEST_CASE("parse_request_head: the body length is a plain decimal Content-Length", "[http]") {
  http_request r;
  auto with_length = [&](const std::string& value) {
    return parse_request_head("POST / HTTP/1.1\r\nContent-Length: " + value, r);
  };
  CHECK(*with_length("7") == 7);
  CHECK(*with_length("0007 ") == 7);
  CHECK(*with_length("16777216") == 16777216);
  // std::stoul, which this replaced, took a sign and trailing bytes.
  for (const char* bad : {"", "-1", "+1", "12abc", "1 2", "0x10", "16777217", "99999999999999999999999"}) {
    INFO(bad);
    const auto n = with_length(bad);
    REQUIRE_FALSE(n);
    CHECK(n.code() == janus::rt::errc::parse);
  }
  // A chunked upload is refused, unless a Content-Length says how long the body is.
  CHECK(parse_request_head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked", r).code() == janus::rt::errc::parse);
  CHECK(*parse_request_head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3", r) == 3);
}
