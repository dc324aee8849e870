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

struct cdp_decoder::impl {
  explicit impl(cdp_decoder_options o) : options(o) {}

  rt::result<cdp_message> decode(simdjson::padded_string_view in);
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
