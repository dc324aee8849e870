// The one encoder behind every generated CDP type, which walks the descriptors from
// janus/protocol/cdp/reflect.hpp and writes through json_writer; and the entry points and cold
// paths of the generated decoders (decode_support.hpp), which read with simdjson on-demand.
#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "codec/cdp_decoder_impl.hpp"
#include "cdp/decode_support.hpp"
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
//
// The decoders themselves are generated per struct (decode_support.hpp); what is here is their
// cold paths and the entry points.

bool fail(decode_failure& f, std::string_view expected, simdjson::error_code e) {
  f.what = "expected ";
  f.what += expected;
  if (e != simdjson::INCORRECT_TYPE) {
    f.what += " (";
    f.what += simdjson::error_message(e);
    f.what += ")";
  }
  return false;
}

bool fail_missing(decode_failure& f, std::string_view member) {
  f.what = "missing required field";
  f.path.emplace_back(member);
  return false;
}

bool fail_at(decode_failure& f, std::string_view member) {
  f.path.emplace_back(member);
  return false;
}

bool fail_at_index(decode_failure& f, std::size_t index) {
  f.path.push_back("[" + std::to_string(index) + "]");
  return false;
}

namespace {

// Whether `v` is a JSON number, so that a string where a number belongs reads "expected an
// integer" rather than simdjson's "problem while parsing a number".
bool is_number(od::value& v) noexcept {
  od::json_type type;
  return !v.type().get(type) && type == od::json_type::number;
}

/// Whether two short strings (enumeration values) are equal: inline, because a call to memcmp for
/// 3 to 20 bytes costs more than the comparison.
bool equal_short(std::string_view a, std::string_view b) noexcept {
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

}  // namespace

bool decode_into(od::value& v, bool& out, decode_failure& f) {
  if (auto e = v.get_bool().get(out)) return fail(f, "a boolean", e);
  return true;
}

bool decode_into(od::value& v, std::int64_t& out, decode_failure& f) {
  // The common case in one step; a failed get_int64 consumes nothing.
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

bool decode_into(od::value& v, double& out, decode_failure& f) {
  if (!v.get_double().get(out)) return true;
  if (!is_number(v)) return fail(f, "a number", simdjson::INCORRECT_TYPE);
  if (auto e = v.get_double().get(out)) return fail(f, "a number", e);
  return true;
}

bool decode_into(od::value& v, std::string& out, decode_failure& f) {
  std::string_view s;
  bool in_place = false;
  if (auto e = protocol::detail::string_in_place(v, s, in_place)) return fail(f, "a string", e);
  out.assign(s);
  return true;
}

bool decode_into(od::value& v, protocol::raw_json& out, decode_failure& f) {
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

bool decode_enum(od::value& v, const type_desc& type, std::size_t& index, std::string_view& raw, decode_failure& f) {
  bool in_place = false;
  if (auto e = protocol::detail::string_in_place(v, raw, in_place)) return fail(f, "a string", e);
  for (std::size_t i = 0; i < type.value_count; ++i) {
    if (equal_short(type.values[i], raw)) {
      index = i + 1;
      return true;
    }
  }
  index = 0;
  return true;
}

bool decode_null(od::value& v, bool& is_null, decode_failure& f) {
  if (auto e = v.is_null().get(is_null)) return fail(f, "a value", e);
  return true;
}

namespace {

std::string describe_failure(const type_desc& type, decode_failure& f) {
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
  decode_failure f;
  if (!type.decode(&root, out, &f)) return rt::error(rt::errc::parse, describe_failure(type, f));
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
  decode_failure f;
  if (!type.decode(&v, out, &f)) return rt::error(rt::errc::parse, describe_failure(type, f));
  // The walk must end where the payload's text does. The decoder found that text by bracket depth,
  // and simdjson's on-demand reader checks what it reads but not what it skips: in
  // {"result":{"type":"","":}} the member "" has no value, skipping it throws the walk's depth
  // off, and the walk reads a struct yet ends elsewhere (found by fuzz_cdp_typed). The text path
  // fails on the same payload (trailing content).
  const char* end = nullptr;
  const char* start = d.last.payload.data();
  if (d.doc.current_location().get(end) || end < start ||
      protocol::detail::trim_trailing_space(std::string_view(start, static_cast<std::size_t>(end - start))) !=
          d.last.payload) {
    return protocol::detail::parse_error(std::string(type.name) + ": malformed JSON: the object does not end where its text does");
  }
  return rt::ok;
}

rt::result<protocol::cdp_message> decode_message(protocol::cdp_decoder& decoder, std::string_view text,
                                                 std::string_view method, const type_desc& type, void* out) {
  struct context {
    const type_desc* type;
    void* out;
    decode_failure failure;
  } ctx{&type, out, {}};
  protocol::payload_reader reader{
      .method = method,
      .read = [](void* c, od::value& v) {
        auto& x = *static_cast<context*>(c);
        return x.type->decode(&v, x.out, &x.failure);
      },
      .context = &ctx};
  auto m = protocol::detail::cdp_decoder_access::of(decoder).decode_text(text, &reader);
  if (!m) {
    if (reader.failed) return rt::error(rt::errc::parse, describe_failure(type, ctx.failure));
    if (!reader.done) return m;
    // The params read cleanly but the message did not: malformed text inside them can end the
    // walk of the object early, and the envelope then fails with a generic message. Decode the way
    // decode() then decode_event(decoder, ev) would, so that the error is theirs and names the
    // event. Only on this error path.
    m = decoder.decode(text);
    if (!m || m->kind != protocol::cdp_kind::event || m->method != method) return m;
    if (auto r = decode_payload(decoder, method, type, out); !r) return std::move(r).err();
    return m;
  }
  if (reader.done || m->kind != protocol::cdp_kind::event || m->method != method) return m;
  // This event, but not read in passing: its `params` came before its `method`, or it has none.
  if (auto r = decode_payload(decoder, method, type, out); !r) return std::move(r).err();
  return m;
}

}  // namespace detail

bool cdp_decode(detail::od::value& v, no_result&, detail::decode_failure& f) { return detail::skip_object(v, f); }

const detail::type_desc& cdp_describe(const no_result*) noexcept {
  static constexpr auto type = detail::object_type<no_result>("(no result)", &detail::erased_decode<no_result>);
  return type;
}

}  // namespace janus::cdp
