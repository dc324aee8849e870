// UTF-8 well-formedness, per the Unicode standard's table 3-7 (no overlongs, no surrogates, nothing
// above U+10FFFF, no truncated sequences).
#pragma once

#include <cstddef>

namespace janus::protocol::detail {

/// Length (2..4) of the well-formed multi-byte sequence starting at p, or 0 when the bytes at p
/// (at most n of them, n >= 1, *p >= 0x80) do not start one.
inline std::size_t utf8_sequence_length(const unsigned char* p, std::size_t n) noexcept {
  const unsigned char b0 = p[0];
  auto cont = [&](std::size_t i, unsigned char lo, unsigned char hi) {
    return i < n && p[i] >= lo && p[i] <= hi;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    // E0 excludes overlongs, ED excludes the surrogates D800..DFFF.
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    // F0 excludes overlongs, F4 caps the code point at U+10FFFF.
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;  // a continuation byte, C0/C1 (always overlong) or F5..FF
}

}  // namespace janus::protocol::detail
