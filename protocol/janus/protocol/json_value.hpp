// Owned JSON: raw_json (text kept as is) and json_value (a dynamic document).
//
// Generated bindings keep `any` / `object` fields whose shape the protocol does not fix as raw_json:
// the text is copied once and parsed only if someone looks inside. json_value is the dynamic value
// that script results are converted into for both browsers, so callers see one type whichever
// browser ran the script.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "janus/protocol/json_writer.hpp"
#include "janus/rt/result.hpp"

namespace janus::protocol {

class json_value;

/// A JSON text owned as a string and not interpreted. Defaults to `null`.
///
/// @par Thread Safety
/// A plain value type: distinct objects are independent; concurrent const access is safe.
struct raw_json {
  std::string json = "null";

  raw_json() = default;
  explicit raw_json(std::string text) : json(std::move(text)) {}
  explicit raw_json(std::string_view text) : json(text) {}
  explicit raw_json(const char* text) : json(text) {}

  /// The serialization of `v`.
  static raw_json from(const json_value& v);

  std::string_view view() const noexcept { return json; }
  /// Whether the text is the literal `null` (surrounding whitespace ignored).
  bool is_null() const noexcept;
  /// Parses the text (errc::parse when it is not valid JSON).
  rt::result<json_value> parse() const;
  /// Writes the text into `w` as a value (no re-validation).
  void write(json_writer& w) const { w.raw(json); }

  /// Textual equality: `{"a":1}` and `{ "a": 1 }` differ. Parse both to compare values.
  friend bool operator==(const raw_json&, const raw_json&) = default;
};

/// A JSON value: null, boolean, number (kept as int64 when the text is an integer that fits, else
/// double), string, array, or object (members in document order; duplicate keys are kept, and
/// lookups see the last one, as JavaScript does).
///
/// @par Thread Safety
/// A plain value type: distinct objects are independent; concurrent const access is safe.
class json_value {
 public:
  enum class kind : std::uint8_t { null, boolean, integer, number, string, array, object };
  using array_type = std::vector<json_value>;
  using member = std::pair<std::string, json_value>;
  using object_type = std::vector<member>;

  /// Nesting deeper than this fails to parse (it bounds the recursion of parse and write).
  static constexpr std::size_t default_max_depth = 512;

  json_value() noexcept = default;
  json_value(std::nullptr_t) noexcept {}
  json_value(bool b) noexcept : v_(b) {}
  template <std::integral T>
    requires(!std::same_as<T, bool>)
  json_value(T i) noexcept {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (i > static_cast<T>(INT64_MAX)) {
        v_ = static_cast<double>(i);
        return;
      }
    }
    v_ = static_cast<std::int64_t>(i);
  }
  json_value(double d) noexcept : v_(d) {}
  json_value(std::string s) noexcept : v_(std::move(s)) {}
  json_value(std::string_view s) : v_(std::string(s)) {}
  json_value(const char* s) : v_(std::string(s)) {}
  json_value(array_type a) noexcept : v_(std::move(a)) {}
  json_value(object_type o) noexcept : v_(std::move(o)) {}

  static json_value array(std::initializer_list<json_value> items = {}) { return json_value(array_type(items)); }
  static json_value object() { return json_value(object_type{}); }

  /// Parses one JSON text (errc::parse on malformed input, deeper nesting than max_depth, or
  /// trailing content). Any input is safe.
  static rt::result<json_value> parse(std::string_view text, std::size_t max_depth = default_max_depth);

  kind type() const noexcept { return static_cast<kind>(v_.index()); }
  bool is_null() const noexcept { return type() == kind::null; }
  bool is_bool() const noexcept { return type() == kind::boolean; }
  bool is_int() const noexcept { return type() == kind::integer; }
  bool is_double() const noexcept { return type() == kind::number; }
  bool is_number() const noexcept { return is_int() || is_double(); }
  bool is_string() const noexcept { return type() == kind::string; }
  bool is_array() const noexcept { return type() == kind::array; }
  bool is_object() const noexcept { return type() == kind::object; }

  /// Checked access: empty / nullptr when the value has another type. get_int() also accepts a
  /// double with an exact int64 value; get_double() also accepts an integer.
  std::optional<bool> get_bool() const noexcept;
  std::optional<std::int64_t> get_int() const noexcept;
  std::optional<double> get_double() const noexcept;
  const std::string* get_string() const noexcept { return std::get_if<std::string>(&v_); }
  const array_type* get_array() const noexcept { return std::get_if<array_type>(&v_); }
  array_type* get_array() noexcept { return std::get_if<array_type>(&v_); }
  const object_type* get_object() const noexcept { return std::get_if<object_type>(&v_); }
  object_type* get_object() noexcept { return std::get_if<object_type>(&v_); }

  /// Unchecked access: the value must have that type.
  bool as_bool() const { return *std::get_if<bool>(&v_); }
  std::int64_t as_int() const { return *std::get_if<std::int64_t>(&v_); }
  /// Either number kind, converted.
  double as_double() const { return is_int() ? static_cast<double>(as_int()) : *std::get_if<double>(&v_); }
  const std::string& as_string() const { return *get_string(); }
  const array_type& as_array() const { return *get_array(); }
  array_type& as_array() { return *get_array(); }
  const object_type& as_object() const { return *get_object(); }
  object_type& as_object() { return *get_object(); }

  /// The member named `key` (the last one if duplicated), or nullptr.
  const json_value* find(std::string_view key) const noexcept;
  json_value* find(std::string_view key) noexcept;
  bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }
  /// The member / element, or a null value when absent or when this is not an object / array.
  const json_value& operator[](std::string_view key) const noexcept;
  const json_value& operator[](std::size_t index) const noexcept;
  /// Elements of an array or members of an object; 0 for anything else.
  std::size_t size() const noexcept;

  /// Sets member `key` (replacing the last one of that name). A null value becomes an object
  /// first; on any other non-object this does nothing and returns *this.
  json_value& set(std::string_view key, json_value v);
  /// Appends to an array. A null value becomes an array first; on any other non-array this does
  /// nothing and returns *this.
  json_value& push_back(json_value v);
  /// Removes every member named `key`; returns how many there were.
  std::size_t erase(std::string_view key);

  /// Writes the value into `w` (NaN / infinity set w's error flag, since JSON has no such numbers).
  void write(json_writer& w) const;
  /// Compact JSON text.
  std::string dump() const;

  /// Value equality: numbers compare by value across int/double (1 == 1.0), objects compare as
  /// key → value maps regardless of member order.
  friend bool operator==(const json_value& a, const json_value& b);

 private:
  // The variant's index order is the order of `kind`.
  std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, array_type, object_type> v_;
};

}  // namespace janus::protocol
