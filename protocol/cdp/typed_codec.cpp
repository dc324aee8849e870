// The one encoder and decoder behind every generated CDP type: walks the descriptors from
// janus/protocol/cdp/reflect.hpp, writing through json_writer and reading with simdjson on-demand.
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "codec/cdp_decoder_impl.hpp"
#include "codec/ondemand_support.hpp"
#include "janus/protocol/cdp_codec.hpp"
#include "janus/protocol/cdp/reflect.hpp"
#include "janus/protocol/codec_limits.hpp"
#include "janus/protocol/json_writer.hpp"

namespace janus::cdp {
namespace detail {

constinit const type_desc boolean_type{.what = kind::boolean};
constinit const type_desc integer_type{.what = kind::integer};
constinit const type_desc number_type{.what = kind::number};
constinit const type_desc string_type{.what = kind::string};
constinit const type_desc json_type{.what = kind::json};

std::string_view enum_name(const type_desc& type, std::size_t index) noexcept {
  return index == 0 || index > type.value_count ? std::string_view() : type.values[index - 1];
}

// --- encoding -----------------------------------------------------------------------------------

void encode(protocol::json_writer& w, const type_desc& type, const void* value) {
  switch (type.what) {
    case kind::boolean: w.boolean(*static_cast<const bool*>(value)); return;
    case kind::integer: w.number(*static_cast<const std::int64_t*>(value)); return;
    case kind::number: w.number(*static_cast<const double*>(value)); return;
    case kind::string: w.string(*static_cast<const std::string*>(value)); return;
    case kind::json: {
      const auto& json = static_cast<const raw_json*>(value)->json;
      // raw_json defaults to "null", but an emptied one must not make the message invalid.
      if (json.empty()) w.null();
      else w.raw(json);
      return;
    }
    case kind::enumeration: {
      std::string_view raw;
      const std::size_t index = type.get_enum(value, raw);
      w.string(index == 0 ? raw : enum_name(type, index));
      return;
    }
    case kind::object: {
      w.begin_object();
      // The accessor takes a mutable pointer because decoding shares it; nothing is written here.
      void* object = const_cast<void*>(value);
      for (std::size_t i = 0; i < type.field_count; ++i) {
        const type_desc& field_type = type.fields[i].type();
        const void* field = type.field(object, i);
        const void* unused;
        if (field_type.what == kind::optional && field_type.view(field, unused) == 0) continue;
        w.key(type.fields[i].name);
        encode(w, field_type, field);
      }
      w.end_object();
      return;
    }
    case kind::optional: {
      const void* element;
      if (type.view(value, element) != 0) encode(w, type.element(), element);
      return;
    }
    case kind::array: {
      w.begin_array();
      const type_desc& element_type = type.element();
      const void* first = nullptr;
      const std::size_t n = type.view(value, first);
      for (std::size_t i = 0; i < n; ++i) encode(w, element_type, static_cast<const char*>(first) + i * type.stride);
      w.end_array();
      return;
    }
  }
}

// --- decoding -----------------------------------------------------------------------------------

namespace {

namespace od = simdjson::ondemand;

// Where and why decoding failed. The path is collected while unwinding, innermost segment first,
// so the success path never builds strings.
struct failure {
  std::string what;
  std::vector<std::string> path;
};

bool fail(failure& f, std::string_view expected, simdjson::error_code e) {
  f.what = "expected ";
  f.what += expected;
  if (e != simdjson::INCORRECT_TYPE) {
    f.what += " (";
    f.what += simdjson::error_message(e);
    f.what += ")";
  }
  return false;
}

// Values are passed by reference: od::value is 24 bytes, and copying it through the stack into
// each call cost a store-forwarding stall or two per member (about half of decode_object's time).
bool decode_value(od::value& v, const type_desc& type, void* out, failure& f);

// What a member absent from the text holds afterwards: its default, as if `out` had been fresh.
void reset(const type_desc& type, void* value) {
  switch (type.what) {
    case kind::boolean: *static_cast<bool*>(value) = false; return;
    case kind::integer: *static_cast<std::int64_t*>(value) = 0; return;
    case kind::number: *static_cast<double*>(value) = 0; return;
    case kind::string: static_cast<std::string*>(value)->clear(); return;
    case kind::json: static_cast<raw_json*>(value)->json = "null"; return;
    case kind::enumeration: type.set_enum(value, 0, {}); return;
    case kind::object:
      for (std::size_t i = 0; i < type.field_count; ++i) reset(type.fields[i].type(), type.field(value, i));
      return;
    case kind::optional:
    case kind::array: type.reset(value, 0); return;
  }
}

// Whether two short strings (member names, enumeration strings) are equal. Inline, because every
// member compares at least one name, and a call to memcmp for 5 to 30 bytes costs more than this.
inline bool same(std::string_view a, std::string_view b) noexcept {
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

std::size_t find_field(const type_desc& type, std::string_view key, std::size_t hint) noexcept {
  // Chromium writes members in schema order, so the one after the previous match usually fits.
  if (hint < type.field_count && same(type.fields[hint].name, key)) return hint;
  for (std::size_t i = 0; i < type.field_count; ++i) {
    if (same(type.fields[i].name, key)) return i;
  }
  return type.field_count;
}

bool decode_object(od::value& v, const type_desc& type, void* out, failure& f) {
  od::object object;
  if (auto e = v.get_object().get(object)) return fail(f, "an object", e);
  // The generator rejects structs with more than 64 members, so one word tracks the required ones.
  std::uint64_t seen = 0;
  std::size_t hint = 0;
  for (auto member_result : object) {
    // Used in place: moving the field out of its result copied it with one wide load over the
    // narrower stores that had just built it, a store-forwarding stall per member (the largest
    // single cost of this loop).
    if (auto e = member_result.error()) return fail(f, "an object", e);
    od::field& member = member_result.value_unsafe();
    std::string_view key;
    if (auto e = protocol::detail::key_of(member, key)) return fail(f, "a member name", e);
    const std::size_t i = find_field(type, key, hint);
    // A member the schema does not know is skipped: browsers add members before schemas catch up.
    if (i == type.field_count) continue;
    hint = i + 1;
    seen |= std::uint64_t{1} << i;
    if (!decode_value(member.value(), type.fields[i].type(), type.field(out, i), f)) {
      f.path.emplace_back(type.fields[i].name);
      return false;
    }
  }
  for (std::size_t i = 0; i < type.field_count; ++i) {
    if (seen & (std::uint64_t{1} << i)) continue;
    if (type.fields[i].required) {
      f.what = "missing required field";
      f.path.emplace_back(type.fields[i].name);
      return false;
    }
    reset(type.fields[i].type(), type.field(out, i));
  }
  return true;
}

// Whether `v` is a JSON number, so that a string where a number belongs reads "expected an
// integer" rather than simdjson's "problem while parsing a number".
bool is_number(od::value& v) noexcept {
  od::json_type type;
  return !v.type().get(type) && type == od::json_type::number;
}

bool decode_integer(od::value& v, std::int64_t& out, failure& f) {
  // The common case, a plain integer, in one step. A failed get_int64 consumes nothing, so the
  // general path below still sees the value.
  if (!v.get_int64().get(out)) return true;
  if (!is_number(v)) return fail(f, "an integer", simdjson::INCORRECT_TYPE);
  od::number n;
  if (auto e = v.get_number().get(n)) return fail(f, "an integer", e);
  switch (n.get_number_type()) {
    case od::number_type::signed_integer: out = n.get_int64(); return true;
    case od::number_type::unsigned_integer: break;  // above INT64_MAX
    case od::number_type::floating_point_number: {
      // Some integers arrive as 3.0 (V8 serializes doubles it holds); accept exact whole values.
      const double d = n.get_double();
      if (std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
        out = static_cast<std::int64_t>(d);
        return true;
      }
      break;
    }
  }
  f.what = "expected an integer that fits 64 bits";
  return false;
}

// A string value's text, viewed in place when it has no escapes (the caller copies anyway).
// Valid until the next parse.
simdjson::error_code string_of(od::value& v, std::string_view& out) noexcept {
  bool in_place = false;
  return protocol::detail::string_in_place(v, out, in_place);
}

bool decode_value(od::value& v, const type_desc& type, void* out, failure& f) {
  switch (type.what) {
    case kind::boolean:
      if (auto e = v.get_bool().get(*static_cast<bool*>(out))) return fail(f, "a boolean", e);
      return true;
    case kind::integer: return decode_integer(v, *static_cast<std::int64_t*>(out), f);
    case kind::number: {
      // The common case in one step, as for integers (a failed get_double consumes nothing); the
      // type is only asked for to word the error.
      if (!v.get_double().get(*static_cast<double*>(out))) return true;
      if (!is_number(v)) return fail(f, "a number", simdjson::INCORRECT_TYPE);
      if (auto e = v.get_double().get(*static_cast<double*>(out))) return fail(f, "a number", e);
      return true;
    }
    case kind::string: {
      std::string_view s;
      if (auto e = string_of(v, s)) return fail(f, "a string", e);
      static_cast<std::string*>(out)->assign(s);
      return true;
    }
    case kind::json: {
      std::string_view text;
      if (auto e = protocol::detail::value_text(v, text)) return fail(f, "a JSON value", e);
      static_cast<raw_json*>(out)->json.assign(text);
      return true;
    }
    case kind::enumeration: {
      std::string_view s;
      if (auto e = string_of(v, s)) return fail(f, "a string", e);
      std::size_t index = 0;
      for (std::size_t i = 0; i < type.value_count; ++i) {
        if (same(type.values[i], s)) {
          index = i + 1;
          break;
        }
      }
      type.set_enum(out, index, s);
      return true;
    }
    case kind::object: return decode_object(v, type, out, f);
    case kind::optional: {
      // Absent and null mean the same for an optional member.
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return fail(f, "a value", e);
      if (is_null) {
        type.reset(out, 0);
        return true;
      }
      // A value already there is kept and overwritten (see container_traits::reset).
      return decode_value(v, type.element(), type.reset(out, 1), f);
    }
    case kind::array: {
      od::array array;
      if (auto e = v.get_array().get(array)) return fail(f, "an array", e);
      // Sizing the vector once up front (count_elements rewinds the array) is what lets
      // container_traits do without emplace_back. Elements already there are kept and overwritten,
      // so a reused struct keeps their storage.
      std::size_t count = 0;
      if (auto e = array.count_elements().get(count)) return fail(f, "an array", e);
      char* first = static_cast<char*>(type.reset(out, count));
      const type_desc& element = type.element();
      std::size_t index = 0;
      for (auto item : array) {
        // In place, for the reason given in decode_object.
        if (auto e = item.error()) return fail(f, "an array", e);
        od::value& value = item.value_unsafe();
        if (index == count) return fail(f, "an array", simdjson::TAPE_ERROR);
        if (!decode_value(value, element, first + index * type.stride, f)) {
          f.path.push_back("[" + std::to_string(index) + "]");
          return false;
        }
        ++index;
      }
      return true;
    }
  }
  return true;
}

std::string describe_failure(const type_desc& type, failure& f) {
  std::string msg(type.name);
  if (!f.path.empty()) {
    msg += ": ";
    for (auto it = f.path.rbegin(); it != f.path.rend(); ++it) {
      if (it != f.path.rbegin() && it->front() != '[') msg += '.';
      msg += *it;
    }
  }
  msg += ": ";
  msg += f.what;
  return msg;
}

// One parser and input buffer per thread: decoding runs wherever the session's actor runs, and
// reusing them keeps steady-state decoding free of allocation.
struct thread_decoder {
  od::parser parser;
  protocol::detail::padded_buffer input;
};

}  // namespace

rt::result<void> decode(std::string_view json, const type_desc& type, void* out) {
  thread_local thread_decoder d;
  protocol::detail::trim_parser(d.parser, json.size(), protocol::default_keep_capacity_bytes);
  od::document doc;
  if (auto e = d.parser.iterate(d.input.assign(json, '}', protocol::default_keep_capacity_bytes)).get(doc)) {
    return protocol::detail::parse_error(type.name, e);
  }
  od::value root;
  if (auto e = doc.get_value().get(root)) return protocol::detail::parse_error(type.name, e);
  failure f;
  if (!decode_value(root, type, out, f)) return rt::error(rt::errc::parse, describe_failure(type, f));
  // Past the end of the input is where a complete document leaves the iterator.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return protocol::detail::parse_error(std::string(type.name) + ": trailing content after the object");
  }
  return rt::ok;
}

rt::result<void> decode_payload(protocol::cdp_decoder& decoder, std::string_view method, const type_desc& type,
                                void* out) {
  auto& d = protocol::detail::cdp_decoder_access::of(decoder);
  const bool want_event = !method.empty();
  if (!d.last_ok || (want_event ? d.last.kind != protocol::cdp_kind::event || d.last.method != method
                                : d.last.kind != protocol::cdp_kind::reply)) {
    std::string msg(type.name);
    msg += ": the decoder's last message is not ";
    msg += want_event ? "this event" : "a reply";
    return rt::error(rt::errc::invalid_argument, std::move(msg));
  }
  od::value v;
  bool found = false;
  if (auto e = d.payload(v, found)) return protocol::detail::parse_error(type.name, e);
  // An event without `params` reads as `{}`, like its payload view.
  if (!found) return decode(d.last.payload, type, out);
  failure f;
  if (!decode_value(v, type, out, f)) return rt::error(rt::errc::parse, describe_failure(type, f));
  return rt::ok;
}

}  // namespace detail

const detail::type_desc& cdp_describe(const no_result*) noexcept {
  static constexpr auto type = detail::object_type<no_result>("(no result)");
  return type;
}

}  // namespace janus::cdp
