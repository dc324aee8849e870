// Firefox Remote Debugging Protocol framing over a byte stream (the TCP debugger server).
//
// Packets are `LENGTH:JSON` (LENGTH is the decimal byte count of the UTF-8 JSON) or, for heap
// snapshots and profiles, `bulk ACTOR TYPE LENGTH:<LENGTH raw bytes>`. TCP splits and merges them
// arbitrarily, so the framer buffers input and hands out whole packets. The WebSocket transport
// carries one JSON packet per text frame without a prefix and needs no framer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "janus/protocol/codec_limits.hpp"
#include "janus/rt/result.hpp"

namespace janus::protocol {

enum class rdp_packet_kind : std::uint8_t { json, bulk };

/// One framed packet. Views point into the framer's buffer and stay valid until the next feed() or
/// prepare() on that framer (next() itself moves nothing, so several packets may be held at once).
struct rdp_packet {
  rdp_packet_kind kind = rdp_packet_kind::json;
  /// kind::json: the JSON text, without the length prefix.
  std::string_view json;
  /// kind::bulk: the actor and type of the header (`type` is literally "undefined" in Firefox's
  /// heap snapshot replies) and the raw payload.
  std::string_view actor;
  std::string_view type;
  std::string_view bytes;
};

struct rdp_framer_options {
  /// A declared length above this fails with errc::message_too_large as soon as it is read.
  std::size_t max_packet_bytes = default_max_message_bytes;
  /// See default_keep_capacity_bytes.
  std::size_t keep_capacity_bytes = default_keep_capacity_bytes;
};

/// Incremental `LENGTH:JSON` / bulk packet parser.
///
/// Feed bytes with feed() (copies) or, to read from the socket straight into the framer's buffer,
/// with prepare(n) + commit(k). Then call next() until it yields no packet. A malformed header
/// (a non-digit length, a length with too many digits or above the limit, a bad bulk header) is an
/// error after which the framer stays failed: the stream can no longer be resynchronized, and
/// Firefox closes the connection in the same situation.
///
/// @par Thread Safety
/// Not thread-safe: one framer per connection, used by one thread at a time.
class rdp_framer {
 public:
  /// More leading digits than this in a length fail even if the value would fit (e.g. zeros).
  static constexpr std::size_t max_length_digits = 20;
  /// A bulk header (`bulk ACTOR TYPE LENGTH:`) longer than this fails.
  static constexpr std::size_t max_bulk_header_bytes = 1024;

  explicit rdp_framer(rdp_framer_options options = {}) : options_(options) {}

  /// Appends a copy of `bytes`.
  void feed(std::string_view bytes);
  /// Writable space for at least `n` more bytes at the end of the buffer (it may compact or grow
  /// the buffer, invalidating earlier packet views). Follow with commit().
  std::span<char> prepare(std::size_t n);
  /// Marks the first `n` bytes of the last prepare() as received (clamped to its size).
  void commit(std::size_t n);

  /// The next complete packet; std::nullopt when more bytes are needed; an error (errc::parse, or
  /// errc::message_too_large for a length above the limit) once the stream is malformed, and the
  /// same error on every later call.
  rt::result<std::optional<rdp_packet>> next();

  bool failed() const noexcept { return failed_; }
  /// Bytes received but not yet returned as packets.
  std::size_t buffered() const noexcept { return end_ - begin_; }
  const rdp_framer_options& options() const noexcept { return options_; }

 private:
  // What parsing the bytes at begin_ found: a packet, a need for more bytes, or a framing error.
  enum class header_status : std::uint8_t { complete, incomplete, invalid };

  header_status parse_json_header(std::size_t& header, std::size_t& length);
  header_status parse_bulk_header(rdp_packet& p, std::size_t& header, std::size_t& length);
  header_status read_length(std::size_t& pos, std::size_t& length, std::size_t avail);
  rt::error fail(rt::error e);
  void reallocate(std::size_t data_capacity);

  rdp_framer_options options_;
  // [begin_, end_) of data_ is received but unconsumed; prepared_ is the size of the last prepare().
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t prepared_ = 0;
  // Total bytes the packet at begin_ needs once its header is known, to grow the buffer in one step.
  std::size_t wanted_ = 0;
  bool failed_ = false;
  rt::error error_;
};

/// `LEN:json` where LEN is json's size in bytes.
std::string rdp_encode(std::string_view json);
/// Appends `LEN:json` to `out` (no reallocation when `out` has the capacity).
void rdp_encode_to(std::string& out, std::string_view json);
/// `bulk ACTOR TYPE LEN:bytes`. `actor` and `type` must be non-empty and contain no space or colon.
std::string rdp_encode_bulk(std::string_view actor, std::string_view type, std::string_view bytes);

}  // namespace janus::protocol
