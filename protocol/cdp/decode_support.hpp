// What the generated decoders are made of: one `decode_into` per kind of member (scalars,
// strings, raw JSON, open enumerations, optionals, arrays, generated structs) on simdjson
// on-demand values, and the failure record they fill.
//
// Internal: included by the generated descriptor bundles and typed_codec.cpp, never by users
// (it brings in simdjson). Each generated struct gets a straight-line `cdp_decode(value, T&,
// failure)` whose member names are compared as constants and whose members are decoded by the
// overloads below, all inlined: the descriptor walker this replaced made two or three indirect
// calls and a type switch per member and decoded 3-5x slower than simdjson itself walks the same
// text.
#pragma once

#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "codec/ondemand_support.hpp"
#include "janus/protocol/cdp/reflect.hpp"

namespace janus::cdp::detail {

namespace od = simdjson::ondemand;

/// Where and why decoding failed. The path is collected while unwinding, innermost segment first,
/// so the success path never builds strings.
struct decode_failure {
  std::string what;
  std::vector<std::string> path;
};

// The failure paths are out of line (typed_codec.cpp) and cold, so that the inlined decoders
// stay small.
[[gnu::cold]] bool fail(decode_failure& f, std::string_view expected, simdjson::error_code e);
[[gnu::cold]] bool fail_missing(decode_failure& f, std::string_view member);
[[gnu::cold]] bool fail_at(decode_failure& f, std::string_view member);
[[gnu::cold]] bool fail_at_index(decode_failure& f, std::size_t index);
/// Integers that are not plain int64 text: 3.0, values out of range, non-numbers (for the error).
bool decode_integer_slow(od::value& v, std::int64_t& out, decode_failure& f);
/// Numbers simdjson's get_double refused, to word the error.
bool decode_number_slow(od::value& v, double& out, decode_failure& f);

/// Whether the `N - 1` bytes at `key` spell `name` (a string literal); the caller has checked the
/// length. A compile-time size lets the compiler turn this into one or two integer compares.
template <std::size_t N>
inline bool key_is(const char* key, const char (&name)[N]) noexcept {
  return std::memcmp(key, name, N - 1) == 0;
}

/// Whether two short strings (enumeration values) are equal: inline, because a call to memcmp for
/// 3 to 20 bytes costs more than the comparison.
inline bool equal_short(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  std::size_t n = a.size();
  for (; n >= 8; x += 8, y += 8, n -= 8) {
    std::uint64_t p, q;
    std::memcpy(&p, x, 8);
    std::memcpy(&q, y, 8);
    if (p != q) return false;
  }
  for (; n > 0; ++x, ++y, --n) {
    if (*x != *y) return false;
  }
  return true;
}

/// The next member of an object being iterated: its name (viewed in place when unescaped) and
/// value. Used in place in its simdjson result: moving the field out copied it with one wide load
/// over the narrower stores that had just built it, a store-forwarding stall per member.
inline bool next_member(simdjson::simdjson_result<od::field>& r, std::string_view& key, od::value*& value,
                        decode_failure& f) {
  if (auto e = r.error()) return fail(f, "an object", e);
  od::field& member = r.value_unsafe();
  if (auto e = protocol::detail::key_of(member, key)) return fail(f, "a member name", e);
  value = &member.value();
  return true;
}

/// A struct without members: any members are accepted and skipped, like unknown members of any
/// struct.
inline bool skip_object(od::value& v, decode_failure& f) {
  od::object object;
  if (auto e = v.get_object().get(object)) return fail(f, "an object", e);
  for (auto r : object) {
    std::string_view key;
    od::value* unused;
    if (!next_member(r, key, unused, f)) return false;
  }
  return true;
}

inline bool decode_into(od::value& v, bool& out, decode_failure& f) {
  if (auto e = v.get_bool().get(out)) return fail(f, "a boolean", e);
  return true;
}

inline bool decode_into(od::value& v, std::int64_t& out, decode_failure& f) {
  // The common case in one step; a failed get_int64 consumes nothing.
  if (!v.get_int64().get(out)) return true;
  return decode_integer_slow(v, out, f);
}

inline bool decode_into(od::value& v, double& out, decode_failure& f) {
  if (!v.get_double().get(out)) return true;
  return decode_number_slow(v, out, f);
}

inline bool decode_into(od::value& v, std::string& out, decode_failure& f) {
  std::string_view s;
  bool in_place = false;
  if (auto e = protocol::detail::string_in_place(v, s, in_place)) return fail(f, "a string", e);
  out.assign(s);
  return true;
}

inline bool decode_into(od::value& v, protocol::raw_json& out, decode_failure& f) {
  // Strings without escapes (a RemoteObject's `value` is often one) in one scan: value_text would
  // unescape them into the parser's buffer to validate them, which stage 1 has done already (see
  // string_in_place).
  const std::string_view token = v.raw_json_token();
  if (token.size() >= 2 && token[0] == '"') {
    const char* end = protocol::detail::first_quote_or_backslash(token.data() + 1);
    if (*end == '"') {
      od::raw_json_string unused;
      if (auto e = v.get_raw_json_string().get(unused)) return fail(f, "a JSON value", e);
      out.json.assign(token.data(), static_cast<std::size_t>(end + 1 - token.data()));
      return true;
    }
  }
  std::string_view text;
  if (auto e = protocol::detail::value_text(v, text)) return fail(f, "a JSON value", e);
  out.json.assign(text);
  return true;
}

template <class E>
bool decode_into(od::value& v, open_enum<E>& out, decode_failure& f) {
  std::string_view s;
  bool in_place = false;
  if (auto e = protocol::detail::string_in_place(v, s, in_place)) return fail(f, "a string", e);
  const type_desc& type = cdp_describe(E{});
  for (std::size_t i = 0; i < type.value_count; ++i) {
    if (equal_short(type.values[i], s)) {
      out.value = static_cast<E>(i + 1);
      out.raw.clear();
      return true;
    }
  }
  out.value = E{};
  out.raw.assign(s);
  return true;
}

/// A generated struct: its own decoder, found by argument-dependent lookup.
template <class T>
bool decode_into(od::value& v, T& out, decode_failure& f) {
  return cdp_decode(v, out, f);
}

// Absent and null mean the same for an optional member. A value already there is kept and
// overwritten, so a reused struct keeps its strings' and vectors' storage. For std::optional and
// optional_box alike.
template <class Optional>
bool decode_optional(od::value& v, Optional& out, decode_failure& f) {
  bool is_null = false;
  if (auto e = v.is_null().get(is_null)) return fail(f, "a value", e);
  if (is_null) {
    out.reset();
    return true;
  }
  return decode_into(v, out.has_value() ? *out : out.emplace(), f);
}

template <class T>
bool decode_into(od::value& v, std::optional<T>& out, decode_failure& f) {
  return decode_optional(v, out, f);
}

template <class T>
bool decode_into(od::value& v, optional_box<T>& out, decode_failure& f) {
  return decode_optional(v, out, f);
}

template <class T>
bool decode_into(od::value& v, std::vector<T>& out, decode_failure& f) {
  od::array array;
  if (auto e = v.get_array().get(array)) return fail(f, "an array", e);
  // Elements already there are overwritten (a reused struct keeps their storage), the vector grows
  // past them and is cut to length at the end.
  std::size_t index = 0;
  for (auto item : array) {
    if (auto e = item.error()) return fail(f, "an array", e);
    od::value& value = item.value_unsafe();
    if (index == out.size()) out.emplace_back();
    if constexpr (std::is_same_v<T, bool>) {
      bool element = false;  // std::vector<bool> has no bool& to decode into
      if (!decode_into(value, element, f)) return fail_at_index(f, index);
      out[index] = element;
    } else {
      if (!decode_into(value, out[index], f)) return fail_at_index(f, index);
    }
    ++index;
  }
  if (index != out.size()) out.resize(index);
  return true;
}

/// What an absent optional member holds afterwards: nothing, as in a fresh struct.
template <class T>
void clear_member(std::optional<T>& member) noexcept {
  member.reset();
}
template <class T>
void clear_member(optional_box<T>& member) noexcept {
  member.reset();
}

/// Decodes the erased `value` (an od::value) into the struct at `object`: what type_desc::decode
/// points to.
template <class T>
bool erased_decode(void* value, void* object, void* failure) {
  return cdp_decode(*static_cast<od::value*>(value), *static_cast<T*>(object), *static_cast<decode_failure*>(failure));
}

}  // namespace janus::cdp::detail
