// Chrome DevTools Protocol messages: decoding what the browser sends, encoding commands.
//
// Decoding only routes: it extracts the fields the connection demultiplexes on (id, method,
// sessionId, the error) and hands on the `result` / `params` object as raw JSON text, so the
// generated binding that knows its type parses it exactly once, and the connection copies it exactly
// once into an owned message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "janus/protocol/codec_limits.hpp"
#include "janus/protocol/json_writer.hpp"
#include "janus/rt/result.hpp"

namespace janus::protocol {

namespace detail {
struct cdp_decoder_access;
}

/// What a message from the browser is.
enum class cdp_kind : std::uint8_t {
  reply,           ///< `{"id":N,"result":{…}}`: the answer to our command N
  error_reply,     ///< `{"id":N,"error":{…}}`: command N failed
  event,           ///< `{"method":"Domain.event","params":{…}}`
  protocol_error,  ///< `{"error":{…}}` with no id: the browser could not read one of our commands
                   ///< (bad JSON, missing id), so no pending request can be matched to it
};

constexpr std::string_view to_string(cdp_kind k) noexcept {
  switch (k) {
    case cdp_kind::reply: return "reply";
    case cdp_kind::error_reply: return "error_reply";
    case cdp_kind::event: return "event";
    case cdp_kind::protocol_error: return "protocol_error";
  }
  return "unknown";
}

/// One decoded message. Every view points into the decoder and is valid until its next decode call:
/// copy what you keep (cdp_owned_message does it in one allocation).
struct cdp_message {
  cdp_kind kind = cdp_kind::event;
  /// The command id of a reply or error_reply; 0 otherwise.
  std::int64_t id = 0;
  /// The event name (events only).
  std::string_view method;
  /// The flattened session the message belongs to; empty for the browser-level connection.
  std::string_view session_id;
  /// Raw JSON text of `result` (reply) or `params` (event), e.g. `{"frameId":"…"}`; `{}` for an
  /// event without params. Structurally balanced, but only validated by whoever parses it.
  std::string_view payload;
  /// error_reply / protocol_error: the JSON-RPC code (e.g. -32601), message and optional data.
  /// `error_data` is the unescaped text when `data` is a JSON string (Chromium's usage), the raw
  /// JSON text for any other type, and empty when absent.
  std::int64_t error_code = 0;
  std::string_view error_message;
  std::string_view error_data;
};

/// An owned copy of a cdp_message, made with one allocation, to hand to another actor. Its views
/// point into itself, so it can be moved and copied freely.
///
/// @par Thread Safety
/// A plain value type: distinct objects are independent; concurrent const access is safe.
class cdp_owned_message {
 public:
  cdp_owned_message() = default;
  /// Copies `m`'s parts into one buffer taken from message_buffers (no allocation after warm-up).
  explicit cdp_owned_message(const cdp_message& m);
  cdp_owned_message(const cdp_owned_message&) = default;
  cdp_owned_message(cdp_owned_message&&) noexcept = default;
  cdp_owned_message& operator=(const cdp_owned_message&) = default;
  /// Swaps, so that this object's old buffer goes back to the pool with `o`.
  cdp_owned_message& operator=(cdp_owned_message&& o) noexcept;
  /// Gives the buffer back to message_buffers.
  ~cdp_owned_message();

  cdp_kind kind() const noexcept { return kind_; }
  std::int64_t id() const noexcept { return id_; }
  std::string_view method() const noexcept { return part(0); }
  std::string_view session_id() const noexcept { return part(1); }
  std::string_view payload() const noexcept { return part(2); }
  std::int64_t error_code() const noexcept { return error_code_; }
  std::string_view error_message() const noexcept { return part(3); }
  std::string_view error_data() const noexcept { return part(4); }
  /// The message as views into this object (valid while it lives unchanged).
  cdp_message view() const noexcept;

 private:
  std::string_view part(std::size_t i) const noexcept {
    const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(text_).substr(begin, ends_[i] - begin);
  }

  // method, session id, payload, error message and error data, back to back; ends_ are offsets.
  std::string text_;
  std::size_t ends_[5] = {};
  cdp_kind kind_ = cdp_kind::event;
  std::int64_t id_ = 0;
  std::int64_t error_code_ = 0;
};

/// Options of a cdp_decoder.
struct cdp_decoder_options {
  /// Larger messages fail with errc::message_too_large before any parsing.
  std::size_t max_message_bytes = default_max_message_bytes;
  /// See default_keep_capacity_bytes.
  std::size_t keep_capacity_bytes = default_keep_capacity_bytes;
};

/// Decodes CDP messages with one reusable simdjson on-demand parser and input buffer, so that after
/// the first messages of a given size no allocation happens per message.
///
/// Any input is safe: malformed JSON, wrong field types, missing fields, trailing bytes or a
/// conflicting shape (both `result` and `error`, `id` with `method`, duplicate routing fields) fail
/// with errc::parse and a message saying what was wrong.
///
/// Movable; a moved-from decoder may only be assigned to or destroyed.
///
/// @par Thread Safety
/// Not thread-safe: one decoder per connection, used by one thread at a time. Decoders share nothing.
class cdp_decoder {
 public:
  explicit cdp_decoder(cdp_decoder_options options = {});
  ~cdp_decoder();
  cdp_decoder(cdp_decoder&&) noexcept;
  cdp_decoder& operator=(cdp_decoder&&) noexcept;
  cdp_decoder(const cdp_decoder&) = delete;
  cdp_decoder& operator=(const cdp_decoder&) = delete;

  /// Decodes one message (one WebSocket text frame). The text is first copied into the decoder's
  /// padded buffer (a memcpy, cheap next to parsing), which lets the decoder control the padding
  /// bytes: that is what makes simdjson reject unbalanced documents (see ondemand_support.hpp).
  /// So `text` need not outlive the call.
  ///
  /// The decoder keeps its parse of the message until the next call: cdp::decode_event(decoder, ev)
  /// and cdp::decode_result(decoder, r) (<janus/protocol/cdp/common.hpp>) read the payload into a
  /// generated struct from it, without parsing the payload text again.
  rt::result<cdp_message> decode(std::string_view text);

  const cdp_decoder_options& options() const noexcept;

 private:
  // The typed CDP decoder (cdp::decode_event(cdp_decoder&, E&)) walks the decoder's parse.
  friend struct detail::cdp_decoder_access;
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Appends `{"id":id,"method":method,"params":params_json,"sessionId":session_id}` to `w` as one
/// top-level value (so `w` should be empty). `params` is left out when `params_json` is empty, and
/// `sessionId` when `session_id` is empty. `params_json` must be a JSON object's text and must not
/// point into `w` itself. Errors (invalid UTF-8 in method or session id) show in w.ok().
void cdp_encode_command(json_writer& w, std::int64_t id, std::string_view method, std::string_view params_json,
                        std::string_view session_id);

}  // namespace janus::protocol
