// The byte-moving layer under every browser connection: whole messages in, whole messages out.
//
// A transport runs on an asio::io_context it is given and never blocks. Incoming messages, the
// "queue has room again" signal and the single end-of-connection report go to a transport_handler,
// always on the thread that runs (or polls) that io_context, so the connection actor above can
// forward them without locking. Outgoing messages may be sent from any thread.
//
// Memory is bounded in both directions: an incoming message larger than a limit ends the
// connection instead of growing a buffer, and the outgoing queue refuses new messages when full,
// so a slow peer produces backpressure (suspend until on_writable) instead of unbounded growth.
#pragma once

#include <janus/rt/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace janus::protocol {

/// Per-connection limits. The defaults suit CDP traffic, where screenshots and large DOM
/// snapshots reach tens of megabytes.
///
/// @par Thread Safety
/// A plain value; copy it freely.
struct transport_limits {
  /// Largest message accepted from the peer. A larger one ends the connection with
  /// errc::message_too_large; no part of it is delivered.
  std::size_t max_message_bytes = std::size_t{256} << 20;
  /// send() refuses with errc::mailbox_full while accepting the message would put more than this
  /// many payload bytes in the queue (queued + being written). A message larger than the whole
  /// limit is accepted when the queue is empty, so every message can eventually be sent.
  std::size_t max_queued_bytes = std::size_t{64} << 20;
  /// send() also refuses while this many messages are queued.
  std::size_t max_queued_messages = 16384;
  /// After a refusal, on_writable() fires once the queue is at or below both low-water marks.
  std::size_t low_water_bytes = std::size_t{16} << 20;
  std::size_t low_water_messages = 4096;
};

/// Receives what a transport reports. Every call happens on the io_context's thread, inside
/// io_context::run() or poll(), one at a time.
///
/// @par Thread Safety
/// Implementations need no locking for calls made by one transport; a handler shared by several
/// transports on one io_context is still called from that single thread.
class transport_handler {
 public:
  virtual ~transport_handler() = default;

  /// One complete incoming message. Never called after on_closed().
  virtual void on_message(std::string&& message) = 0;
  /// The same message lent instead of given: `message` is valid only during the call. A stream
  /// transport calls this when a whole message sits in the chunk it read, so a handler that does
  /// not keep the text (a decoder that copies what it needs) saves a copy. By default it copies
  /// into on_message.
  virtual void on_message_view(std::string_view message) { on_message(std::string(message)); }
  /// The outgoing queue drained to its low-water marks after send() had refused a message.
  /// Fires once per refusal episode; never after on_closed().
  virtual void on_writable() {}
  /// The connection ended. Called exactly once per transport, last of all calls, whether the peer
  /// closed, an I/O error happened, a limit was exceeded or close() was called. The transport
  /// drops its reference to the handler afterwards.
  virtual void on_closed(rt::error why) = 0;
};

/// One open connection to a peer.
///
/// Transports are created by the connect_* / open_* functions of the concrete headers, which hand
/// out a std::shared_ptr that owns the connection: destroying the last copy calls close().
///
/// @par Thread Safety
/// All member functions may be called from any thread, concurrently. send() and close() only queue
/// work; the I/O itself happens on the io_context's thread.
class transport {
 public:
  transport() = default;
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;
  virtual ~transport() = default;

  /// Queues one message for sending. Fails with errc::disconnected once close() was called or the
  /// connection ended, with errc::mailbox_full while the queue is at its limits (on_writable()
  /// follows once it drains), and with errc::invalid_argument when the transport cannot carry the
  /// payload (a WebSocket text frame that is not UTF-8).
  /// `message` is moved from only when it is accepted: after a refusal it is intact, so a caller
  /// waiting for on_writable() can retry with the same string.
  virtual rt::result<void> send(std::string&& message) = 0;
  /// Sends a copy of `message`.
  rt::result<void> send(const std::string& message) {
    std::string copy(message);
    return send(std::move(copy));
  }
  /// Stops accepting sends, writes what is queued, then ends the connection; on_closed() follows
  /// with errc::disconnected. A peer that does not take the queued data within the transport's
  /// close timeout is cut off. Calling it again has no effect.
  virtual void close() = 0;
  /// Payload bytes accepted by send() and not yet written to the peer.
  virtual std::size_t queued_bytes() const noexcept = 0;
  /// Messages accepted by send() and not yet written to the peer.
  virtual std::size_t queued_messages() const noexcept = 0;
  /// False once close() was called or the connection ended.
  virtual bool is_open() const noexcept = 0;
  /// Stops reading from the peer until resume_reading(), so a receiver that cannot keep up pushes
  /// back on the peer (through TCP or pipe flow control) instead of buffering without bound. What
  /// was already read may still be delivered: at most one read buffer's worth of messages. Pause
  /// and resume do not nest; the last call wins.
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
};

/// Completion of an asynchronous connect: the open transport, or why it could not be opened
/// (errc::timeout past the deadline, errc::transport for refusals and handshake failures,
/// errc::invalid_argument for a malformed address). Called once, on the io_context's thread. On
/// failure the handler given to the connect function is never called.
using connect_callback = std::function<void(rt::result<std::shared_ptr<transport>>)>;

// --- framing of byte streams ---------------------------------------------------------------------

/// Bytes a framer writes around one outgoing message (Firefox RDP puts "<length>:" before it,
/// Chromium's pipe a NUL after it). Small and fixed-size so framing needs no allocation.
///
/// @par Thread Safety
/// A plain value.
struct frame_envelope {
  static constexpr std::size_t capacity = 24;
  std::array<char, capacity> prefix{};
  std::array<char, capacity> suffix{};
  std::uint8_t prefix_size = 0;
  std::uint8_t suffix_size = 0;

  std::string_view prefix_view() const noexcept { return {prefix.data(), prefix_size}; }
  std::string_view suffix_view() const noexcept { return {suffix.data(), suffix_size}; }
};

/// Where a framer puts the messages it cuts out of a byte stream.
///
/// @par Thread Safety
/// Called on the thread that calls stream_framer::consume().
class message_sink {
 public:
  /// Takes one complete message. Returns false when the receiver is closing and wants no more:
  /// the framer then stops and returns.
  virtual bool deliver(std::string&& message) = 0;
  /// The same, lent: `message` is valid only during the call (see transport_handler::on_message_view).
  virtual bool deliver_view(std::string_view message) { return deliver(std::string(message)); }

 protected:
  ~message_sink() = default;
};

/// Cuts a byte stream into messages and frames outgoing ones. A stream transport (pipe, TCP) owns
/// one framer per connection and feeds it every chunk it reads.
///
/// @par Thread Safety
/// Stateful and not thread-safe; a transport uses its framer from the io_context's thread only.
class stream_framer {
 public:
  virtual ~stream_framer() = default;

  /// The bytes to write before and after `message`.
  virtual frame_envelope envelope(std::string_view message) const = 0;
  /// Consumes the next chunk of the stream, delivering each message it completes. A message that
  /// would exceed `max_message_bytes` fails with errc::message_too_large before any of it is
  /// delivered; malformed framing fails with errc::parse. After a failure the framer is not used
  /// again.
  virtual rt::result<void> consume(std::string_view bytes, std::size_t max_message_bytes,
                                   message_sink& sink) = 0;
  /// Bytes of an incomplete message held back, waiting for the rest.
  virtual std::size_t pending_bytes() const noexcept = 0;
};

/// Chromium's --remote-debugging-pipe framing: each message is followed by one NUL byte.
std::unique_ptr<stream_framer> make_nul_framer();

/// No framing: every chunk read from the stream is delivered as one "message" as it arrives, and
/// outgoing messages are written verbatim. For protocols framed by a layer above the transport.
std::unique_ptr<stream_framer> make_chunk_framer();

}  // namespace janus::protocol
