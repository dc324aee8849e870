// Fuzz target body: the request parsing of the loopback HTTP server (http_server.cpp), on what a
// client may send. The head is cut where the server cuts it (at the first blank line); whatever
// parses has the shape the server relies on, and a request written back from the parsed fields
// parses to the same.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.hpp"
#include "transport/http_request_parser.hpp"

namespace janus::fuzz {

namespace detail {

inline bool is_http_space(char c) { return c == ' ' || c == '\t'; }

inline std::string write_request_head(const janus::protocol::http_request& r) {
  std::string out = r.method + " " + r.resource + " HTTP/1.1";
  for (const auto& [name, value] : r.headers) out += "\r\n" + name + ": " + value;
  return out;
}

}  // namespace detail

inline int http_request_one_input(const std::uint8_t* data, std::size_t size) {
  using namespace janus::protocol;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // As the server reads: the head ends at the first blank line (or, for this target, the input).
  const std::string_view head = bytes.substr(0, bytes.find("\r\n\r\n"));

  http_request req;
  req.body = "untouched";
  const auto body_length = janus::protocol::detail::parse_request_head(head, req);
  if (!body_length) {
    JANUS_FUZZ_CHECK(body_length.code() == janus::rt::errc::parse && !body_length.err().message.empty());
    return 0;
  }
  JANUS_FUZZ_CHECK(*body_length <= janus::protocol::detail::max_request_body_bytes);
  JANUS_FUZZ_CHECK(req.body == "untouched");
  // The request line's three parts: method and resource hold no space (they were cut at spaces).
  JANUS_FUZZ_CHECK(req.method.find(' ') == std::string::npos && req.resource.find(' ') == std::string::npos);
  JANUS_FUZZ_CHECK(req.method.find("\r\n") == std::string::npos && req.resource.find("\r\n") == std::string::npos);
  JANUS_FUZZ_CHECK(head.substr(0, req.method.size() + 1 + req.resource.size() + 1) ==
                   req.method + " " + req.resource + " ");
  for (const auto& [name, value] : req.headers) {
    JANUS_FUZZ_CHECK(name.find(':') == std::string::npos && name.find("\r\n") == std::string::npos);
    JANUS_FUZZ_CHECK(value.find("\r\n") == std::string::npos);
    for (char c : name) JANUS_FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    JANUS_FUZZ_CHECK(name.empty() || (!detail::is_http_space(name.front()) && !detail::is_http_space(name.back())));
    JANUS_FUZZ_CHECK(value.empty() || (!detail::is_http_space(value.front()) && !detail::is_http_space(value.back()) &&
                                       value.back() != '\r'));
  }
  // The length is the Content-Length header's, as the server's lookup finds it.
  if (const std::string_view length = req.header("Content-Length"); !length.empty()) {
    const std::string_view digits = length.substr(std::min(length.find_first_not_of('0'), length.size() - 1));
    JANUS_FUZZ_CHECK(std::to_string(*body_length) == digits);
  }
  else JANUS_FUZZ_CHECK(*body_length == 0);

  // Written back (the fields alone, canonically spaced) it parses to the same request.
  http_request again;
  const auto again_length = janus::protocol::detail::parse_request_head(detail::write_request_head(req), again);
  JANUS_FUZZ_CHECK(again_length.has_value() && *again_length == *body_length);
  JANUS_FUZZ_CHECK(again.method == req.method && again.resource == req.resource && again.headers == req.headers);
  return 0;
}

}  // namespace janus::fuzz
