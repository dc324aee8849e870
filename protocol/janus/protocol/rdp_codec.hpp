// Firefox RDP packets: decoding the routing fields of one JSON packet, and classifying it.
//
// The decoder reads only what the connection routes on (`from`, `type`, `error`, `message`, the
// `prefix` of forwardingCancelled, whether there is a `requestTypes` array) and hands on the whole
// packet as raw JSON text for the binding that knows its shape.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "janus/protocol/codec_limits.hpp"
#include "janus/protocol/rdp_event_registry.hpp"
#include "janus/rt/result.hpp"

namespace janus::protocol {

/// The routing view of one RDP packet. Views point into the decoder and are valid until its next
/// decode call: copy what you keep (rdp_owned_message does it in one allocation).
struct rdp_message {
  /// The actor that sent the packet (always present).
  std::string_view from;
  /// `type` when it is a string, else empty. Replies may have one too (`{"type":"attached"}`): use
  /// the event registry to tell events apart.
  std::string_view type;
  /// The error name (`noSuchActor`, `unrecognizedPacketType`, …) when `error` is a non-empty string;
  /// empty for any other packet. Firefox's Front likewise treats only a truthy `error` as an error.
  std::string_view error;
  /// `message` when it is a string (the error's description for errors), else empty.
  std::string_view message;
  /// `prefix` when it is a string (set by forwardingCancelled), else empty.
  std::string_view prefix;
  /// Whether the packet has a top-level `requestTypes` array (the reply to requestTypes).
  bool has_request_types = false;
  /// The whole packet's JSON text.
  std::string_view json;
};

/// An owned copy of an rdp_message, made with one allocation, to hand to another actor. Its views
/// point into itself, so it can be moved and copied freely.
///
/// @par Thread Safety
/// A plain value type: distinct objects are independent; concurrent const access is safe.
class rdp_owned_message {
 public:
  rdp_owned_message() = default;
  explicit rdp_owned_message(const rdp_message& m);

  std::string_view json() const noexcept { return part(0); }
  std::string_view from() const noexcept { return part(1); }
  std::string_view type() const noexcept { return part(2); }
  std::string_view error() const noexcept { return part(3); }
  std::string_view message() const noexcept { return part(4); }
  std::string_view prefix() const noexcept { return part(5); }
  bool has_request_types() const noexcept { return has_request_types_; }
  /// The message as views into this object (valid while it lives unchanged); works with the
  /// classification helpers below.
  rdp_message view() const noexcept;

 private:
  std::string_view part(std::size_t i) const noexcept {
    const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(text_).substr(begin, ends_[i] - begin);
  }

  // json, from, type, error, message and prefix, back to back; ends_ are offsets.
  std::string text_;
  std::size_t ends_[6] = {};
  bool has_request_types_ = false;
};

struct rdp_decoder_options {
  std::size_t max_message_bytes = default_max_message_bytes;
  std::size_t keep_capacity_bytes = default_keep_capacity_bytes;
};

/// Decodes RDP JSON packets (from rdp_framer, or one WebSocket text frame each) with one reusable
/// simdjson on-demand parser and input buffer. Any input is safe; malformed JSON, a non-object, a
/// missing or non-string `from`, a duplicated routing member or trailing bytes fail with
/// errc::parse, a packet above the limit with errc::message_too_large.
///
/// Movable; a moved-from decoder may only be assigned to or destroyed.
///
/// @par Thread Safety
/// Not thread-safe: one decoder per connection, used by one thread at a time.
class rdp_decoder {
 public:
  explicit rdp_decoder(rdp_decoder_options options = {});
  ~rdp_decoder();
  rdp_decoder(rdp_decoder&&) noexcept;
  rdp_decoder& operator=(rdp_decoder&&) noexcept;
  rdp_decoder(const rdp_decoder&) = delete;
  rdp_decoder& operator=(const rdp_decoder&) = delete;

  /// Decodes a copy of `json` held in the decoder (see cdp_decoder::decode for why a copy).
  rt::result<rdp_message> decode(std::string_view json);

  const rdp_decoder_options& options() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// An error reply (`{"from":A,"error":NAME,"message":…}`).
constexpr bool is_error(const rdp_message& m) noexcept { return !m.error.empty(); }
/// The error name, empty when the packet is no error.
constexpr std::string_view error_name(const rdp_message& m) noexcept { return m.error; }

/// `{"from":"root","type":"forwardingCancelled","prefix":P}`: every actor whose id starts with P is
/// gone, and requests pending on them must fail.
constexpr bool is_forwarding_cancelled(const rdp_message& m) noexcept {
  return m.from == "root" && m.type == "forwardingCancelled" && m.error.empty();
}
/// The prefix of a forwardingCancelled packet (empty for other packets).
constexpr std::string_view forwarding_cancelled_prefix(const rdp_message& m) noexcept {
  return is_forwarding_cancelled(m) ? m.prefix : std::string_view{};
}
/// Whether actor `actor_id` is covered by a forwardingCancelled `prefix`.
constexpr bool actor_has_prefix(std::string_view actor_id, std::string_view prefix) noexcept {
  return !prefix.empty() && actor_id.starts_with(prefix);
}

/// Replies the connection layer sends itself, ahead of any reply still queued for the same actor:
/// `unrecognizedPacketType` and `noSuchActor` errors and the `requestTypes` reply. A FIFO matcher
/// must pair them with the request that caused them, not with the oldest pending one.
constexpr bool is_overtaking_reply(const rdp_message& m) noexcept {
  if (m.error == "unrecognizedPacketType" || m.error == "noSuchActor") return true;
  return m.has_request_types && m.error.empty() && m.type.empty();
}

/// Whether `m` is an event of an actor of type `actor_type` (see rdp_event_registry). Errors never
/// are.
inline bool is_event(const rdp_message& m, std::string_view actor_type,
                     const rdp_event_registry& registry = rdp_event_registry::firefox()) {
  return m.error.empty() && registry.is_event(actor_type, m.type);
}

}  // namespace janus::protocol
