// See http_request_parser.hpp. No socket code here: the fuzz build compiles this file on its own.
#include "http_request_parser.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

namespace janus::protocol {
namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

const std::string* find_header(const http_request& r, std::string_view name) noexcept {
  for (const auto& [key, value] : r.headers)
    if (iequals(key, name)) return &value;
  return nullptr;
}

}  // namespace

std::string_view http_request::header(std::string_view name) const noexcept {
  const std::string* value = find_header(*this, name);
  return value ? std::string_view(*value) : std::string_view();
}

namespace detail {

rt::result<std::size_t> parse_request_head(std::string_view head, http_request& out) {
  const auto line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.substr(sp2 + 1).rfind("HTTP/1.", 0) != 0)
    return rt::error{rt::errc::parse, "HTTP request: the first line is not METHOD RESOURCE HTTP/1.x"};
  out.method = std::string(line.substr(0, sp1));
  out.resource = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  out.headers.clear();
  std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view h = head.substr(pos, end - pos);
    pos = end + 2;
    const auto colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    out.headers.emplace_back(lower(trim(h.substr(0, colon))), std::string(trim(h.substr(colon + 1))));
  }

  if (const std::string* length = find_header(out, "content-length")) {
    // Digits only (RFC 9110's 1*DIGIT): no sign, no trailing bytes, which std::stoul let through.
    std::size_t n = 0;
    const char* first = length->data();
    const char* last = first + length->size();
    const auto [end, ec] = std::from_chars(first, last, n);
    if (ec != std::errc() || end != last)
      return rt::error{rt::errc::parse, "HTTP request: Content-Length is not a decimal number"};
    if (n > max_request_body_bytes)
      return rt::error{rt::errc::parse, "HTTP request: the body exceeds the " +
                                            std::to_string(max_request_body_bytes) + "-byte limit"};
    return n;
  }
  if (find_header(out, "transfer-encoding"))
    return rt::error{rt::errc::parse, "HTTP request: chunked bodies are not supported"};
  return std::size_t{0};
}

}  // namespace detail
}  // namespace janus::protocol
