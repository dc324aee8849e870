// json_value::parse: simdjson on-demand, walking every token once into owned values.
#include <fmt/format.h>

#include "janus/protocol/codec_limits.hpp"
#include "janus/protocol/json_value.hpp"
#include "ondemand_support.hpp"

namespace janus::protocol {

namespace {

namespace od = simdjson::ondemand;

// simdjson reports an error code; nesting beyond the caller's limit is reported separately.
struct build_state {
  std::size_t max_depth;
  bool too_deep = false;
};

// Integers that fit int64 stay exact; larger ones (and fractions) become doubles.
template <class V>
simdjson::error_code read_number(V& v, json_value& out) noexcept {
  od::number n;
  if (v.get_number().get(n)) {
    // Beyond 64 bits simdjson has no integer type, but the text is still a valid number.
    double d;
    if (auto e = v.get_double().get(d)) return e;
    out = json_value(d);
    return simdjson::SUCCESS;
  }
  switch (n.get_number_type()) {
    case od::number_type::signed_integer: out = json_value(n.get_int64()); break;
    case od::number_type::unsigned_integer: out = json_value(static_cast<double>(n.get_uint64())); break;
    case od::number_type::floating_point_number: out = json_value(n.get_double()); break;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code build(od::value v, json_value& out, std::size_t depth, build_state& st);

simdjson::error_code build_array(od::array a, json_value& out, std::size_t depth, build_state& st) {
  json_value::array_type items;
  for (auto element : a) {
    od::value ev;
    if (auto e = element.get(ev)) return e;
    json_value item;
    if (auto e = build(ev, item, depth + 1, st)) return e;
    items.push_back(std::move(item));
  }
  out = json_value(std::move(items));
  return simdjson::SUCCESS;
}

simdjson::error_code build_object(od::object o, json_value& out, std::size_t depth, build_state& st) {
  json_value::object_type members;
  for (auto field : o) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return e;
    std::string owned_key(key);
    od::value fv;
    if (auto e = field.value().get(fv)) return e;
    json_value item;
    if (auto e = build(fv, item, depth + 1, st)) return e;
    members.emplace_back(std::move(owned_key), std::move(item));
  }
  out = json_value(std::move(members));
  return simdjson::SUCCESS;
}

// Atoms are also checked against their token text: simdjson 3.0.1's own checks look at the wrong
// byte in places (at the root it accepts `nullx ` and `falsex`), and this costs little.
std::string_view token_of(od::value& v) { return v.raw_json_token(); }
std::string_view token_of(od::document& d) {
  std::string_view t;
  return d.raw_json_token().get(t) ? std::string_view{} : t;
}

// Shared by the document root and nested values, which simdjson models as different types.
template <class V>
simdjson::error_code build_any(V& v, json_value& out, std::size_t depth, build_state& st) {
  if (depth > st.max_depth) {
    st.too_deep = true;
    return simdjson::DEPTH_ERROR;
  }
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      od::object o;
      if (auto e = v.get_object().get(o)) return e;
      return build_object(o, out, depth, st);
    }
    case od::json_type::array: {
      od::array a;
      if (auto e = v.get_array().get(a)) return e;
      return build_array(a, out, depth, st);
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return e;
      out = json_value(s);
      return simdjson::SUCCESS;
    }
    case od::json_type::number: return read_number(v, out);
    case od::json_type::boolean: {
      const std::string_view token = detail::trim_trailing_space(token_of(v));
      if (token != "true" && token != "false") return token[0] == 't' ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR;
      bool b;
      if (auto e = v.get_bool().get(b)) return e;
      out = json_value(b);
      return simdjson::SUCCESS;
    }
    case od::json_type::null: {
      if (detail::trim_trailing_space(token_of(v)) != "null") return simdjson::N_ATOM_ERROR;
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return e;
      if (!is_null) return simdjson::N_ATOM_ERROR;
      out = json_value();
      return simdjson::SUCCESS;
    }
  }
  return simdjson::TAPE_ERROR;
}

simdjson::error_code build(od::value v, json_value& out, std::size_t depth, build_state& st) {
  return build_any(v, out, depth, st);
}

// An object or array document: simdjson's root-scalar paths are never used.
rt::result<json_value> parse_container(std::string_view text, char closer, std::size_t max_depth) {
  // A parser per call: json_value::parse is used for results and tests, not per wire message, and
  // this keeps it free of shared state.
  od::parser parser;
  detail::padded_buffer buffer;
  od::document doc;
  if (auto e = parser.iterate(buffer.assign(text, closer, default_keep_capacity_bytes)).get(doc))
    return detail::parse_error("invalid JSON", e);
  build_state st{max_depth};
  json_value out;
  if (auto e = build_any(doc, out, 1, st)) {
    if (st.too_deep) return detail::parse_error(fmt::format("invalid JSON: nested deeper than {} levels", max_depth));
    return detail::parse_error("invalid JSON", e);
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
    return detail::parse_error("invalid JSON: trailing content after the value");
  return out;
}

}  // namespace

rt::result<json_value> json_value::parse(std::string_view text, std::size_t max_depth) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return detail::parse_error("invalid JSON: empty text");
  if (text[first] == '{') return parse_container(text, '}', max_depth);
  if (text[first] == '[') return parse_container(text, ']', max_depth);
  // simdjson 3.0.1 mishandles some scalar documents (it rejects `true  ` and accepts `falsex`), so a
  // scalar is parsed as the only element of an array.
  std::string wrapped;
  wrapped.reserve(text.size() + 2);
  wrapped.push_back('[');
  wrapped.append(text);
  wrapped.push_back(']');
  auto r = parse_container(wrapped, ']', max_depth + 1);
  if (!r) return r;
  if (r->size() != 1) return detail::parse_error("invalid JSON: trailing content after the value");
  return std::move(r->as_array().front());
}

}  // namespace janus::protocol
