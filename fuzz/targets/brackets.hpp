// The reference for the decoders' structural check: do the document's brackets balance?
#pragma once

#include <simdjson.h>

#include <string_view>

namespace janus::fuzz::detail {

/// Whether the brackets among simdjson's stage-1 structural characters balance (depth never below
/// zero, zero at the end). The decoders rely on simdjson's on-demand front end for this, and on
/// invalid input (a backslash outside a string) only simdjson's own tokenization says which
/// brackets are structural, so the reference uses the same stage 1 — but counts independently.
/// Whether each closer matches its opener is not asked: decoders skip payloads by depth and leave
/// that to whoever parses the payload.
inline bool brackets_balance(std::string_view s) {
  static simdjson::dom::parser parser;
  const simdjson::padded_string padded(s);
  if (parser.allocate(padded.size())) return false;
  auto& impl = *parser.implementation;
  if (impl.stage1(reinterpret_cast<const std::uint8_t*>(padded.data()), padded.size(), simdjson::stage1_mode::regular))
    return false;
  long depth = 0;
  for (std::uint32_t i = 0; i < impl.n_structural_indexes; ++i) {
    const char c = padded.data()[impl.structural_indexes[i]];
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth < 0) return false;
  }
  return depth == 0;
}

}  // namespace janus::fuzz::detail
