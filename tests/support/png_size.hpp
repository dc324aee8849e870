// The width and height a PNG declares: how the screenshot tests check what they were given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace janus::test {

struct png_size {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

/// The PNG signature, then the IHDR chunk first, holding width and height big-endian; nullopt for
/// anything else.
inline std::optional<png_size> png_dimensions(std::span<const std::uint8_t> b) {
  static constexpr std::uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() < 33) return std::nullopt;
  for (std::size_t i = 0; i < 8; ++i)
    if (b[i] != signature[i]) return std::nullopt;
  if (b[12] != 'I' || b[13] != 'H' || b[14] != 'D' || b[15] != 'R') return std::nullopt;
  auto be32 = [&](std::size_t at) {
    return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) | (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
  };
  return png_size{be32(16), be32(20)};
}

inline std::optional<png_size> png_dimensions(std::string_view bytes) {
  return png_dimensions(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace janus::test
