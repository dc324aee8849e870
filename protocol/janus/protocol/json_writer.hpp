// A small streaming JSON writer: the one way Janus produces JSON text.
//
// Generated protocol bindings serialize commands through it, so it is built for a steady state with
// no allocation: clear() keeps the output capacity and the nesting stack, and nothing is formatted
// through temporaries. Mistakes (invalid UTF-8, a non-finite number, unbalanced nesting, a value in
// an object without a key) do not throw: they set an error flag the caller checks once with ok()
// before sending, which keeps the generated code straight-line.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace janus::protocol {

/// Builds one JSON value (usually an object) into an internal string buffer.
///
/// Commas between members and elements are inserted automatically; key() writes a member name and
/// the next value call writes its value. raw() splices already-serialized JSON in as a value.
///
/// @par Thread Safety
/// Not thread-safe: one writer per thread (or per actor). Distinct writers are independent.
class json_writer {
 public:
  json_writer();

  /// Empties the output and the error state; keeps the allocated capacity.
  void clear();
  /// The JSON written so far. Valid until the next mutating call.
  std::string_view view() const { return out_; }
  /// Moves the buffer out (the writer is left empty, without capacity) and resets the state.
  std::string take();

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();

  /// Writes `"k":` (preceded by a comma when needed). The next value call supplies its value.
  void key(std::string_view k);
  /// Writes a JSON string. Invalid UTF-8 sets the error flag (the text is written with U+FFFD in
  /// place of each bad sequence so the output stays well-formed).
  void string(std::string_view s);
  void number(std::int64_t v);
  /// Shortest text that reads back as the same double. NaN and infinities set the error flag
  /// (JSON cannot carry them) and write `null`.
  void number(double v);
  /// Other integer types, so `number(42)` or a `std::uint32_t` field is not ambiguous.
  template <std::integral T>
    requires(!std::same_as<T, std::int64_t> && !std::same_as<T, bool> && !std::same_as<T, char> &&
             !std::same_as<T, wchar_t> && !std::same_as<T, char8_t> && !std::same_as<T, char16_t> &&
             !std::same_as<T, char32_t>)
  void number(T v) {
    if constexpr (std::is_signed_v<T>) number(static_cast<std::int64_t>(v));
    else number_unsigned(static_cast<std::uint64_t>(v));
  }
  void boolean(bool v);
  void null();
  /// Inserts already-valid JSON text as a value. It is not re-validated (that would cost a parse);
  /// an empty text sets the error flag and writes `null`.
  void raw(std::string_view json);

  /// False once any error was recorded since the last clear()/take().
  bool ok() const { return error_.empty(); }
  /// What went wrong first; empty when ok().
  std::string_view error_message() const { return error_; }

 private:
  // One byte per open container: whether it is an object, and whether it already has a member.
  static constexpr std::uint8_t frame_object = 1;
  static constexpr std::uint8_t frame_nonempty = 2;

  void before_value();
  void close(bool object);
  void number_unsigned(std::uint64_t v);
  void write_escaped(std::string_view s);
  void fail(std::string_view why);

  std::string out_;
  std::vector<std::uint8_t> stack_;
  std::string error_;
  bool after_key_ = false;
  bool have_root_ = false;
};

}  // namespace janus::protocol
