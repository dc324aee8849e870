// The table of generated round-trip cases (one per command and event of the schema) and the
// helpers the CDP tests share.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "janus/protocol/cdp/reflect.hpp"
#include "janus/rt/result.hpp"

namespace janus::cdp::test {

struct cdp_case {
  enum kind_t { command, event };
  std::string_view method;
  kind_t kind;
  /// A command's params or an event's params, every member set (generated from the schema).
  std::string_view params;
  detail::type_fn params_type;
  /// A command's result ("{}" when it returns nothing); empty for an event.
  std::string_view result;
  detail::type_fn result_type;
};

/// Every command and event of the committed schema, in schema order (generated: cdp_cases.cpp).
/// The table knows the structs only by their descriptors, so that the test does not compile
/// construction and destruction of some 1,100 types once more.
std::span<const cdp_case> all_cases() noexcept;

/// The case of `method`, or nullptr.
const cdp_case* find_case(std::string_view method) noexcept;

/// Decodes `json` into a fresh value of the described struct and returns it encoded again.
rt::result<std::string> round_trip(const detail::type_desc& type, std::string_view json);

/// "" when `a` and `b` are the same JSON value (member order and number spelling aside), otherwise
/// a description of the first difference found.
std::string json_difference(std::string_view a, std::string_view b);

}  // namespace janus::cdp::test
