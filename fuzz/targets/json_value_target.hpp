// Fuzz target body: json_value parsing, and the parse → dump → parse round trip.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.hpp"
#include "janus/protocol/json_value.hpp"

namespace janus::fuzz {

namespace detail {
inline bool has_digit_run(std::string_view s, std::size_t n) {
  std::size_t run = 0;
  for (char c : s) {
    run = c >= '0' && c <= '9' ? run + 1 : 0;
    if (run >= n) return true;
  }
  return false;
}
}  // namespace detail

inline int json_value_one_input(const std::uint8_t* data, std::size_t size) {
  using janus::protocol::json_value;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto v1 = json_value::parse(in);
  // simdjson's DOM parser validates everything: accept exactly what it accepts, except for
  // nesting beyond json_value's own limit (the DOM parser allows 1024 levels).
  simdjson::dom::parser reference;
  simdjson::dom::element unused;
  const auto reference_error = reference.parse(in.data(), in.size()).get(unused);
  // The DOM parser rejects integers beyond 64 bits (below INT64_MIN, above UINT64_MAX), which JSON
  // allows (json_value makes them
  // doubles): a number error where such a run of 19+ digits occurs leaves the verdict open.
  const bool undecided = reference_error == simdjson::NUMBER_ERROR && detail::has_digit_run(in, 19);
  const bool reference_valid = !reference_error;
  const bool reference_invalid = reference_error && !undecided;
  if (!v1) {
    JANUS_FUZZ_CHECK(v1.code() == janus::rt::errc::parse);
    JANUS_FUZZ_CHECK(!reference_valid || v1.err().message.find("deeper") != std::string::npos);
    return 0;
  }
  JANUS_FUZZ_CHECK(!reference_invalid);
  janus::protocol::json_writer w;
  v1->write(w);
  JANUS_FUZZ_CHECK(w.ok());  // whatever parses must serialize: strings are valid UTF-8, numbers finite
  const std::string s1(w.view());
  const auto v2 = json_value::parse(s1);
  JANUS_FUZZ_CHECK(v2.has_value());
  JANUS_FUZZ_CHECK(*v1 == *v2);
  // The first dump may differ from later ones (-0 reads back as the integer 0); after that it is a
  // fixed point.
  const std::string s2 = v2->dump();
  const auto v3 = json_value::parse(s2);
  JANUS_FUZZ_CHECK(v3.has_value() && *v2 == *v3 && v3->dump() == s2);
  return 0;
}

}  // namespace janus::fuzz
