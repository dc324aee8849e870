#include "janus/protocol/json_value.hpp"

#include <algorithm>
#include <cmath>

namespace janus::protocol {

namespace {

const json_value null_value;

// int64 and double are equal when the double is exactly that integer.
bool same_number(std::int64_t i, double d) noexcept {
  // 2^63 is exactly representable; every double in [-2^63, 2^63) with no fraction fits int64.
  constexpr double two63 = 9223372036854775808.0;
  if (!(d >= -two63 && d < two63) || std::trunc(d) != d) return false;
  return static_cast<std::int64_t>(d) == i;
}

bool same_members(const json_value::object_type& a, const json_value::object_type& b) {
  if (a.size() != b.size()) return false;
  // Most comparisons are between objects built in the same order: try that before sorting.
  std::size_t i = 0;
  while (i < a.size() && a[i].first == b[i].first && a[i].second == b[i].second) ++i;
  if (i == a.size()) return true;
  std::vector<const json_value::member*> sa, sb;
  sa.reserve(a.size() - i);
  sb.reserve(b.size() - i);
  for (std::size_t k = i; k < a.size(); ++k) {
    sa.push_back(&a[k]);
    sb.push_back(&b[k]);
  }
  const auto by_key = [](const json_value::member* x, const json_value::member* y) { return x->first < y->first; };
  std::stable_sort(sa.begin(), sa.end(), by_key);
  std::stable_sort(sb.begin(), sb.end(), by_key);
  for (std::size_t k = 0; k < sa.size(); ++k)
    if (sa[k]->first != sb[k]->first || !(sa[k]->second == sb[k]->second)) return false;
  return true;
}

}  // namespace

raw_json raw_json::from(const json_value& v) { return raw_json(v.dump()); }

bool raw_json::is_null() const noexcept {
  std::string_view s = json;
  const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s == "null";
}

rt::result<json_value> raw_json::parse() const { return json_value::parse(json); }

std::optional<bool> json_value::get_bool() const noexcept {
  if (const bool* b = std::get_if<bool>(&v_)) return *b;
  return std::nullopt;
}

std::optional<std::int64_t> json_value::get_int() const noexcept {
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return *i;
  if (const auto* d = std::get_if<double>(&v_)) {
    const auto i = static_cast<std::int64_t>(std::clamp(*d, -9.2e18, 9.2e18));
    if (same_number(i, *d)) return i;
  }
  return std::nullopt;
}

std::optional<double> json_value::get_double() const noexcept {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
  return std::nullopt;
}

const json_value* json_value::find(std::string_view key) const noexcept {
  const object_type* o = get_object();
  if (!o) return nullptr;
  for (auto it = o->rbegin(); it != o->rend(); ++it)
    if (it->first == key) return &it->second;
  return nullptr;
}

json_value* json_value::find(std::string_view key) noexcept {
  return const_cast<json_value*>(static_cast<const json_value&>(*this).find(key));
}

const json_value& json_value::operator[](std::string_view key) const noexcept {
  const json_value* v = find(key);
  return v ? *v : null_value;
}

const json_value& json_value::operator[](std::size_t index) const noexcept {
  const array_type* a = get_array();
  return a && index < a->size() ? (*a)[index] : null_value;
}

std::size_t json_value::size() const noexcept {
  if (const array_type* a = get_array()) return a->size();
  if (const object_type* o = get_object()) return o->size();
  return 0;
}

json_value& json_value::set(std::string_view key, json_value v) {
  if (is_null()) v_ = object_type{};
  if (!is_object()) return *this;
  if (json_value* existing = find(key)) {
    *existing = std::move(v);
    return *existing;
  }
  object_type& o = as_object();
  o.emplace_back(std::string(key), std::move(v));
  return o.back().second;
}

json_value& json_value::push_back(json_value v) {
  if (is_null()) v_ = array_type{};
  if (!is_array()) return *this;
  array_type& a = as_array();
  a.push_back(std::move(v));
  return a.back();
}

std::size_t json_value::erase(std::string_view key) {
  object_type* o = get_object();
  if (!o) return 0;
  return std::erase_if(*o, [&](const member& m) { return m.first == key; });
}

void json_value::write(json_writer& w) const {
  switch (type()) {
    case kind::null: w.null(); break;
    case kind::boolean: w.boolean(as_bool()); break;
    case kind::integer: w.number(as_int()); break;
    case kind::number: w.number(*std::get_if<double>(&v_)); break;
    case kind::string: w.string(as_string()); break;
    case kind::array:
      w.begin_array();
      for (const json_value& e : as_array()) e.write(w);
      w.end_array();
      break;
    case kind::object:
      w.begin_object();
      for (const member& m : as_object()) {
        w.key(m.first);
        m.second.write(w);
      }
      w.end_object();
      break;
  }
}

std::string json_value::dump() const {
  json_writer w;
  write(w);
  return w.take();
}

bool operator==(const json_value& a, const json_value& b) {
  using kind = json_value::kind;
  const kind ka = a.type(), kb = b.type();
  if (ka == kind::integer && kb == kind::number) return same_number(a.as_int(), b.as_double());
  if (ka == kind::number && kb == kind::integer) return same_number(b.as_int(), a.as_double());
  if (ka != kb) return false;
  switch (ka) {
    case kind::null: return true;
    case kind::boolean: return a.as_bool() == b.as_bool();
    case kind::integer: return a.as_int() == b.as_int();
    case kind::number: return a.as_double() == b.as_double();
    case kind::string: return a.as_string() == b.as_string();
    case kind::array: return a.as_array() == b.as_array();
    case kind::object: return same_members(a.as_object(), b.as_object());
  }
  return false;
}

}  // namespace janus::protocol
