// Helpers of the CDP tests: type-erased round trips, and semantic JSON comparison (the encoder
// may order members and spell numbers differently from the browser, so texts are compared as
// values).
#include <cmath>
#include <memory>
#include <string>
#include <string_view>

#include "cdp_cases.hpp"
#include "janus/protocol/json_value.hpp"
#include "janus/protocol/json_writer.hpp"

namespace janus::cdp::test {
namespace {

using protocol::json_value;

std::string brief(const json_value& v) {
  std::string text = v.dump();
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

std::string difference(const json_value& a, const json_value& b, const std::string& path) {
  if (a.is_number() && b.is_number()) {
    const double x = a.as_double();
    const double y = b.as_double();
    if (x == y || std::fabs(x - y) <= 1e-12 * std::fmax(std::fabs(x), std::fabs(y))) return {};
    return path + ": " + brief(a) + " != " + brief(b);
  }
  if (a.type() != b.type()) return path + ": " + brief(a) + " != " + brief(b);
  if (a.is_object()) {
    for (const auto& [key, value] : a.as_object()) {
      const json_value* other = b.find(key);
      if (!other) return path + "." + key + ": only in the first";
      if (auto d = difference(value, *other, path + "." + key); !d.empty()) return d;
    }
    for (const auto& [key, value] : b.as_object()) {
      if (!a.find(key)) return path + "." + key + ": only in the second (" + brief(value) + ")";
    }
    return {};
  }
  if (a.is_array()) {
    if (a.size() != b.size()) {
      return path + ": " + std::to_string(a.size()) + " elements != " + std::to_string(b.size());
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (auto d = difference(a[i], b[i], path + "[" + std::to_string(i) + "]"); !d.empty()) return d;
    }
    return {};
  }
  return a == b ? std::string() : path + ": " + brief(a) + " != " + brief(b);
}

}  // namespace

const cdp_case* find_case(std::string_view method) noexcept {
  for (const auto& c : all_cases()) {
    if (c.method == method) return &c;
  }
  return nullptr;
}

rt::result<std::string> round_trip(const detail::type_desc& type, std::string_view json) {
  std::unique_ptr<void, void (*)(void*) noexcept> value(type.create(), type.destroy);
  if (auto r = detail::decode(json, type, value.get()); !r) return std::move(r).err();
  protocol::json_writer w;
  detail::encode(w, type, value.get());
  if (!w.ok()) return rt::error(rt::errc::invalid_argument, std::string(w.error_message()));
  return w.take();
}

std::string json_difference(std::string_view a, std::string_view b) {
  auto x = json_value::parse(a);
  if (!x) return "first text: " + x.err().what();
  auto y = json_value::parse(b);
  if (!y) return "second text: " + y.err().what();
  return difference(*x, *y, "$");
}

}  // namespace janus::cdp::test
