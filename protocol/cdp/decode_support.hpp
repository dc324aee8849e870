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

/// Whether the `N - 1` bytes at `key` spell `name` (a string literal); the caller has checked the
/// length. A compile-time size lets the compiler turn this into one or two integer compares.
template <std::size_t N>
inline bool key_is(const char* key, const char (&name)[N]) noexcept {
  return std::memcmp(key, name, N - 1) == 0;
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

// The members' own values, out of line (typed_codec.cpp): each is some hundred instructions of
// simdjson once inlined, and inlining them into every member of some 2000 generated structs made the
// bundles slow to compile (half an hour under the sanitizers) for little speed.
bool decode_into(od::value& v, bool& out, decode_failure& f);
bool decode_into(od::value& v, std::int64_t& out, decode_failure& f);
bool decode_into(od::value& v, double& out, decode_failure& f);
bool decode_into(od::value& v, std::string& out, decode_failure& f);
bool decode_into(od::value& v, protocol::raw_json& out, decode_failure& f);
/// An enumeration string: `index` is its enumerator in `type` (0, with the string in `raw`, when
/// the schema does not list it). `raw` is valid until the next string is read.
bool decode_enum(od::value& v, const type_desc& type, std::size_t& index, std::string_view& raw, decode_failure& f);
/// Whether the value is null (consumed if so).
bool decode_null(od::value& v, bool& is_null, decode_failure& f);

template <class E>
bool decode_into(od::value& v, open_enum<E>& out, decode_failure& f) {
  std::size_t index = 0;
  std::string_view raw;
  if (!decode_enum(v, cdp_describe(E{}), index, raw, f)) return false;
  out.value = static_cast<E>(index);
  if (index == 0) out.raw.assign(raw);
  else out.raw.clear();
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
  if (!decode_null(v, is_null, f)) return false;
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
