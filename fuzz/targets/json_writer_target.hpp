// Fuzz target body: json_writer string escaping, checked against simdjson's UTF-8 validator and by
// reading the output back.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.hpp"
#include "janus/protocol/json_value.hpp"
#include "janus/protocol/json_writer.hpp"

namespace janus::fuzz {

inline int json_writer_one_input(const std::uint8_t* data, std::size_t size) {
  using namespace janus::protocol;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  static json_writer w;  // reused: clear() must fully reset the state
  w.clear();
  w.begin_object();
  w.key(in);
  w.string(in);
  w.end_object();
  const bool valid_utf8 = simdjson::validate_utf8(in.data(), in.size());
  JANUS_FUZZ_CHECK(w.ok() == valid_utf8);
  // Even with invalid input the output is well-formed JSON (bad bytes become U+FFFD).
  const auto back = json_value::parse(w.view());
  JANUS_FUZZ_CHECK(back.has_value() && back->is_object() && back->size() == 1);
  const auto& member = back->as_object().front();
  JANUS_FUZZ_CHECK(member.first == member.second.as_string());
  if (valid_utf8) JANUS_FUZZ_CHECK(member.first == in);
  return 0;
}

}  // namespace janus::fuzz
