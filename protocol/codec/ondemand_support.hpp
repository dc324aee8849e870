// Shared pieces of the simdjson on-demand decoders: the reusable padded input buffer, the raw text
// of a value, and turning simdjson error codes into Janus errors.
#pragma once

#include <simdjson.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "janus/rt/result.hpp"

namespace janus::protocol::detail {

namespace od = simdjson::ondemand;

/// The whitespace JSON allows between tokens.
constexpr bool is_json_space(char c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

inline std::string_view trim_trailing_space(std::string_view s) noexcept {
  while (!s.empty() && is_json_space(s.back())) s.remove_suffix(1);
  return s;
}

/// A copy of the current input with SIMDJSON_PADDING bytes after it, reused across messages so
/// that steady-state decoding does not allocate.
///
/// The first padding byte is the closing bracket of the expected root (`}` or `]`). simdjson's
/// on-demand front end checks that the document's brackets balance only when that byte is the
/// closer (simdjson issue #1834); with any other byte it silently accepts some unbalanced documents
/// such as `{"id":1,"result":{x}`, and its verdict would depend on whatever follows the text.
/// Owning the padding makes the check always run, and the outcome depend only on the text.
class padded_buffer {
 public:
  /// Copies `in` and returns the padded view of the copy (valid until the next assign()).
  simdjson::padded_string_view assign(std::string_view in, char closer, std::size_t keep_capacity) {
    // Unreachable for a real string_view (at most PTRDIFF_MAX bytes), but it keeps `need` exact.
    if (in.size() > SIZE_MAX / 2) throw std::length_error("padded_buffer: input too large");
    const std::size_t need = in.size() + simdjson::SIMDJSON_PADDING;
    // After one huge message the buffer would otherwise stay huge for the connection's lifetime.
    const bool too_big = capacity_ > keep_capacity && need <= keep_capacity;
    if (need > capacity_ || too_big) {
      const std::size_t cap = too_big ? keep_capacity : grow_to(need);
      data_.reset(new char[cap]);
      capacity_ = cap;
    }
    if (!in.empty()) std::memcpy(data_.get(), in.data(), in.size());
    std::memset(data_.get() + in.size(), ' ', simdjson::SIMDJSON_PADDING);
    data_[in.size()] = closer;
    return simdjson::padded_string_view(data_.get(), in.size(), capacity_);
  }

  std::size_t capacity() const noexcept { return capacity_; }

 private:
  std::size_t grow_to(std::size_t need) const noexcept {
    std::size_t cap = capacity_ < 4096 ? 4096 : capacity_;
    while (cap < need) cap = cap > (SIZE_MAX >> 1) ? need : cap * 2;
    return cap;
  }

  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
};

/// Frees the parser's internal buffers when they grew past `keep_capacity` for an earlier, larger
/// message and the next one is small again.
inline void trim_parser(od::parser& parser, std::size_t next_size, std::size_t keep_capacity) {
  if (parser.capacity() > keep_capacity && next_size <= keep_capacity) parser = od::parser(parser.max_capacity());
}

/// The first `"` or backslash at or after `p`, which must lie inside a string stage 1 has seen closed
/// (so one of them comes). Eight bytes at a time: the padding simdjson requires after the input
/// makes reading up to seven bytes past the closing quote safe. One pass instead of a memchr for
/// the quote and another for a backslash before it, two library calls per string.
inline const char* first_quote_or_backslash(const char* p) noexcept {
  if constexpr (std::endian::native != std::endian::little) {
    while (*p != '"' && *p != '\\') ++p;
    return p;
  }
  constexpr std::uint64_t ones = 0x0101010101010101u;
  constexpr std::uint64_t highs = 0x8080808080808080u;
  for (;; p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    const std::uint64_t quote = word ^ (ones * '"');
    const std::uint64_t backslash = word ^ (ones * '\\');
    // A byte of `quote` or `backslash` is zero where the input matches. The usual zero-byte test
    // can also flag a byte after a true zero (a borrow), never one before it, so the lowest flag is
    // exact (little-endian: the lowest byte comes first in the input).
    const std::uint64_t hits = (((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)) & highs;
    if (hits != 0) return p + (std::countr_zero(hits) >> 3);
  }
}

/// A member's name. Names without escapes (all of CDP's and RDP's) are viewed in place in the
/// input, which saves unescaping each one into the parser's string buffer; others are unescaped.
inline simdjson::error_code key_of(od::field& field, std::string_view& out) noexcept {
  const od::raw_json_string raw = field.key();
  // Stage 1 guarantees every string in the document is closed, so the scan stops inside it.
  const char* p = raw.raw();
  const char* end = first_quote_or_backslash(p);
  if (*end == '"') {
    out = std::string_view(p, static_cast<std::size_t>(end - p));
    return simdjson::SUCCESS;
  }
  return field.unescaped_key().get(out);
}

/// A string value's text. Strings without escapes (nearly all of CDP's) are viewed in place in
/// the input (`in_place` set), which saves get_string's copy into the parser's string buffer;
/// others are unescaped into that buffer, valid until the next string is read. Stage 1 has
/// validated the UTF-8 and the control characters of every string and guarantees that each one
/// is closed, so the in-place view holds exactly what get_string would return.
inline simdjson::error_code string_in_place(od::value& v, std::string_view& out, bool& in_place) noexcept {
  const std::string_view token = v.raw_json_token();  // peeks; runs up to the next structural
  if (token.size() >= 2 && token[0] == '"') {
    const char* first = token.data() + 1;
    const char* end = first_quote_or_backslash(first);
    if (*end == '"') {
      od::raw_json_string unused;
      if (auto e = v.get_raw_json_string().get(unused)) return e;  // consumes the value
      out = std::string_view(first, static_cast<std::size_t>(end - first));
      in_place = true;
      return simdjson::SUCCESS;
    }
  }
  in_place = false;
  return v.get_string().get(out);
}

/// "<what>: <simdjson's description>" as a parse error.
inline rt::error parse_error(std::string_view what, simdjson::error_code e) {
  std::string msg(what);
  msg += ": ";
  msg += simdjson::error_message(e);
  return rt::error(rt::errc::parse, std::move(msg));
}

inline rt::error parse_error(std::string_view what) { return rt::error(rt::errc::parse, std::string(what)); }

/// The JSON text of `v` as it appears in the input, without surrounding whitespace, and consumes
/// it. Scalars are checked (a number must parse, a string's escapes must be valid); objects and
/// arrays only for their extent (simdjson skips them by bracket depth, so `{"a":[1}]` would pass
/// as an object ending in `]`: that much is rejected here), since their content is read later by
/// whoever owns it.
inline simdjson::error_code value_text(od::value v, std::string_view& out) noexcept {
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      od::object o;
      if (auto e = v.get_object().get(o)) return e;
      if (auto e = o.raw_json().get(out)) return e;
      break;
    }
    case od::json_type::array: {
      od::array a;
      if (auto e = v.get_array().get(a)) return e;
      if (auto e = a.raw_json().get(out)) return e;
      break;
    }
    case od::json_type::string: {
      out = v.raw_json_token();
      std::string_view unused;
      if (auto e = v.get_string().get(unused)) return e;
      break;
    }
    case od::json_type::number: {
      out = v.raw_json_token();
      od::number unused;
      if (auto e = v.get_number().get(unused)) {
        // Integers beyond 64 bits are still JSON numbers; only reject text that is no number.
        double d;
        if (v.get_double().get(d)) return e;
      }
      break;
    }
    case od::json_type::boolean: {
      out = v.raw_json_token();
      const std::string_view token = trim_trailing_space(out);
      if (token != "true" && token != "false") return token[0] == 't' ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR;
      bool unused;
      if (auto e = v.get_bool().get(unused)) return e;
      break;
    }
    case od::json_type::null: {
      out = v.raw_json_token();
      if (trim_trailing_space(out) != "null") return simdjson::N_ATOM_ERROR;
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return e;
      if (!is_null) return simdjson::N_ATOM_ERROR;
      break;
    }
  }
  out = trim_trailing_space(out);
  if (type == od::json_type::object && (out.empty() || out.back() != '}')) return simdjson::TAPE_ERROR;
  if (type == od::json_type::array && (out.empty() || out.back() != ']')) return simdjson::TAPE_ERROR;
  return simdjson::SUCCESS;
}

}  // namespace janus::protocol::detail
