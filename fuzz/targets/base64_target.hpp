// Fuzz target body: base64. Encoding then decoding is the identity; decoding arbitrary text agrees
// with a reference decoder written here from base64_decode's contract (standard and URL-safe
// alphabets, whitespace skipped, padding optional but nothing after it, no lone final character).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "check.hpp"
#include "janus/protocol/base64.hpp"

namespace janus::fuzz {

namespace detail {

inline int base64_digit(char c) {
  static constexpr std::string_view standard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (c == '-') return 62;
  if (c == '_') return 63;
  const auto i = standard.find(c);
  return i == std::string_view::npos ? -1 : static_cast<int>(i);
}

/// The reference: what base64_decode must return, or nullopt where it must fail. Written
/// differently (whole groups of four, then the tail) so that the two do not share a mistake.
inline std::optional<std::string> base64_reference(std::string_view in) {
  std::string digits;  // the data characters, whitespace dropped
  std::size_t padding = 0;
  for (char c : in) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (base64_digit(c) < 0 || padding > 0) return std::nullopt;
    digits += c;
  }
  if (digits.size() % 4 == 1) return std::nullopt;
  std::string out;
  std::size_t i = 0;
  for (; i + 4 <= digits.size(); i += 4) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) v = v << 6 | static_cast<std::uint32_t>(base64_digit(digits[i + k]));
    out += static_cast<char>(v >> 16);
    out += static_cast<char>(v >> 8 & 0xFF);
    out += static_cast<char>(v & 0xFF);
  }
  // A tail of 2 or 3 characters carries 1 or 2 bytes; its leftover low bits are ignored.
  const std::size_t tail = digits.size() - i;
  if (tail >= 2) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < tail; ++k) v = v << 6 | static_cast<std::uint32_t>(base64_digit(digits[i + k]));
    v <<= 6 * (4 - tail);
    out += static_cast<char>(v >> 16);
    if (tail == 3) out += static_cast<char>(v >> 8 & 0xFF);
  }
  return out;
}

}  // namespace detail

inline int base64_one_input(const std::uint8_t* data, std::size_t size) {
  using namespace janus::protocol;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  // The bytes as data: the encoding is canonical (standard alphabet, padded to whole groups) and
  // decodes back to them.
  const std::string encoded = base64_encode(in);
  JANUS_FUZZ_CHECK(encoded.size() == (size + 2) / 3 * 4);
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    const bool pad = c == '=';
    JANUS_FUZZ_CHECK(pad ? i + 2 >= encoded.size() : (detail::base64_digit(c) >= 0 && c != '-' && c != '_'));
    if (pad && i + 1 < encoded.size()) JANUS_FUZZ_CHECK(encoded[i + 1] == '=');
  }
  const auto back = base64_decode(encoded);
  JANUS_FUZZ_CHECK(back.has_value() && *back == in);

  // The bytes as text: decoded as the reference decodes them, or refused where it refuses.
  const auto decoded = base64_decode(in);
  const auto expected = detail::base64_reference(in);
  JANUS_FUZZ_CHECK(decoded.has_value() == expected.has_value());
  if (!decoded) {
    JANUS_FUZZ_CHECK(decoded.code() == janus::rt::errc::parse && !decoded.err().message.empty());
    return 0;
  }
  JANUS_FUZZ_CHECK(*decoded == *expected);
  // Re-encoding what was accepted gives the canonical spelling of the same bytes.
  const auto again = base64_decode(base64_encode(*decoded));
  JANUS_FUZZ_CHECK(again.has_value() && *again == *decoded);
  return 0;
}

}  // namespace janus::fuzz
