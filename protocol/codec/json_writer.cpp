#include "janus/protocol/json_writer.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

#include "utf8.hpp"

namespace janus::protocol {

namespace {

// What each byte needs inside a JSON string: copied as is, escaped, or checked as UTF-8.
enum : std::uint8_t { plain = 0, escape = 1, multibyte = 2 };

constexpr std::array<std::uint8_t, 256> make_byte_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = escape;
  t['"'] = escape;
  t['\\'] = escape;
  for (int c = 0x80; c < 0x100; ++c) t[c] = multibyte;
  return t;
}
constexpr std::array<std::uint8_t, 256> byte_class = make_byte_classes();

constexpr std::string_view replacement_char = "\xEF\xBF\xBD";

}  // namespace

json_writer::json_writer() {
  // Protocol messages rarely nest deeper than this; deeper ones grow the stack once.
  stack_.reserve(32);
}

void json_writer::clear() {
  out_.clear();
  stack_.clear();
  error_.clear();
  after_key_ = false;
  have_root_ = false;
}

std::string json_writer::take() {
  std::string r = std::move(out_);
  out_ = std::string();
  stack_.clear();
  error_.clear();
  after_key_ = false;
  have_root_ = false;
  return r;
}

void json_writer::fail(std::string_view why) {
  if (error_.empty()) error_.assign(why);
}

// Every value goes through here: it places the comma and checks that the value is allowed here.
void json_writer::before_value() {
  if (stack_.empty()) {
    if (have_root_) fail("json_writer: a second top-level value");
    have_root_ = true;
    return;
  }
  std::uint8_t& top = stack_.back();
  if (top & frame_object) {
    if (!after_key_) fail("json_writer: a value inside an object without key()");
    after_key_ = false;
    return;
  }
  if (top & frame_nonempty) out_.push_back(',');
  top |= frame_nonempty;
}

void json_writer::begin_object() {
  before_value();
  out_.push_back('{');
  stack_.push_back(frame_object);
}

void json_writer::begin_array() {
  before_value();
  out_.push_back('[');
  stack_.push_back(0);
}

void json_writer::close(bool object) {
  if (stack_.empty() || ((stack_.back() & frame_object) != 0) != object) {
    fail(object ? "json_writer: end_object() without a matching begin_object()"
                : "json_writer: end_array() without a matching begin_array()");
    return;
  }
  if (after_key_) {
    fail("json_writer: key() without a value");
    after_key_ = false;
  }
  stack_.pop_back();
  out_.push_back(object ? '}' : ']');
}

void json_writer::end_object() { close(true); }
void json_writer::end_array() { close(false); }

void json_writer::key(std::string_view k) {
  if (stack_.empty() || !(stack_.back() & frame_object)) {
    fail("json_writer: key() outside an object");
    return;
  }
  if (after_key_) fail("json_writer: key() after key() without a value");
  std::uint8_t& top = stack_.back();
  if (top & frame_nonempty) out_.push_back(',');
  top |= frame_nonempty;
  write_escaped(k);
  out_.push_back(':');
  after_key_ = true;
}

void json_writer::string(std::string_view s) {
  before_value();
  write_escaped(s);
}

void json_writer::write_escaped(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  out_.push_back('"');
  std::size_t run = 0;  // start of the pending run of bytes copied verbatim
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t cls = byte_class[p[i]];
    if (cls == plain) {
      ++i;
      continue;
    }
    if (cls == multibyte) {
      if (const std::size_t len = detail::utf8_sequence_length(p + i, n - i)) {
        i += len;  // well-formed UTF-8 passes through verbatim, as part of the run
        continue;
      }
      out_.append(s.data() + run, i - run);
      out_.append(replacement_char);
      fail("json_writer: invalid UTF-8 in a string");
      run = ++i;
      continue;
    }
    out_.append(s.data() + run, i - run);
    const unsigned char c = p[i];
    switch (c) {
      case '"': out_.append("\\\""); break;
      case '\\': out_.append("\\\\"); break;
      case '\b': out_.append("\\b"); break;
      case '\f': out_.append("\\f"); break;
      case '\n': out_.append("\\n"); break;
      case '\r': out_.append("\\r"); break;
      case '\t': out_.append("\\t"); break;
      default: {
        const char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
        out_.append(u, sizeof u);
      }
    }
    run = ++i;
  }
  out_.append(s.data() + run, n - run);
  out_.push_back('"');
}

void json_writer::number(std::int64_t v) {
  before_value();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
}

void json_writer::number_unsigned(std::uint64_t v) {
  before_value();
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
}

void json_writer::number(double v) {
  before_value();
  if (!std::isfinite(v)) {
    fail("json_writer: NaN or infinity cannot be written as JSON");
    out_.append("null");
    return;
  }
  // fmt's "{}" is the shortest text that round-trips, and always valid JSON for finite values
  // ("1e+300", "-0", "0.1"); it never needs more than 24 characters.
  char buf[40];
  const auto r = fmt::format_to_n(buf, sizeof buf, "{}", v);
  out_.append(buf, r.out);
}

void json_writer::boolean(bool v) {
  before_value();
  out_.append(v ? "true" : "false");
}

void json_writer::null() {
  before_value();
  out_.append("null");
}

void json_writer::raw(std::string_view json) {
  before_value();
  if (json.empty()) {
    fail("json_writer: raw() with empty JSON text");
    out_.append("null");
    return;
  }
  out_.append(json);
}

}  // namespace janus::protocol
