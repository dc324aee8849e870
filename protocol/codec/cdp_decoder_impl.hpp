// The state of a cdp_decoder, shared with the typed CDP decoder (protocol/cdp/typed_codec.cpp):
// decoding a message's payload into a generated struct walks the decoder's own parse of it (stage 1's
// structural index is kept by the document) instead of parsing the payload text a second time.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <string>

#include "janus/protocol/cdp_codec.hpp"
#include "ondemand_support.hpp"

namespace janus::protocol {

/// Reads a message's payload as the decoder meets it, instead of the decoder skipping over it: what
/// a typed decode of the whole message uses (janus::cdp::decode_event(decoder, text, ev)), so that
/// the payload is walked once, not skipped and then rewound to and walked again.
struct payload_reader {
  /// The event whose `params` to read. They are read in passing only when the message's `method`
  /// came before them (Chromium's order); otherwise `done` stays false.
  std::string_view method;
  /// Reads the value; false when it failed (the reader keeps why).
  bool (*read)(void* context, simdjson::ondemand::value& value);
  void* context;
  /// Whether `read` ran (and succeeded, if decode() succeeded).
  bool done = false;
  /// Whether `read` ran and failed: decode() then fails with errc::parse naming the member, and the
  /// caller, which holds the reader's account of why, reports that instead.
  bool failed = false;
};

struct cdp_decoder::impl {
  explicit impl(cdp_decoder_options o) : options(o) {}

  /// cdp_decoder::decode, optionally reading the payload in passing.
  rt::result<cdp_message> decode_text(std::string_view text, payload_reader* reader);
  rt::result<cdp_message> decode(simdjson::padded_string_view in, payload_reader* reader);
  rt::result<void> check_size(std::size_t n) const;

  /// Rewinds the last decoded message's document and moves to the value of its `params` (event) or
  /// `result` (reply). `found` is false when an event has no `params`. Only after a successful
  /// decode of a reply or an event.
  simdjson::error_code payload(simdjson::ondemand::value& out, bool& found) noexcept;

  cdp_decoder_options options;
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  detail::padded_buffer buffer;
  /// The last message decoded, while `last_ok` (views into `buffer`, `parser` and the strings below).
  cdp_message last;
  bool last_ok = false;
  /// The first padding byte of the last message in `buffer` (see payload()).
  char* padding_byte = nullptr;
  // Rewinding the document also rewinds the parser's string buffer, so a typed pass that unescapes a
  // string would overwrite whatever the first pass unescaped there. The routing strings a typed
  // pass may outlive are therefore viewed in place in the input, or, when they hold escapes (never
  // seen from Chromium), unescaped into these.
  std::string method_store;
  std::string session_store;
};

namespace detail {
/// How the typed decoder reaches a decoder's state (cdp_decoder keeps it private).
struct cdp_decoder_access {
  static cdp_decoder::impl& of(cdp_decoder& d) noexcept { return *d.impl_; }
};
}  // namespace detail

}  // namespace janus::protocol
