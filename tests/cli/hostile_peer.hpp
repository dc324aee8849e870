// A loopback TCP server that is not the browser the client hoped for: it answers garbage before or
// after a WebSocket handshake, or an HTTP response that never ends. For the tests that point
// `janus --connect`, client::browser::connect and the connection classes at the wrong endpoint.
//
// @par Thread Safety
// port() may be called from any thread; the destructor from the owner's. Each accepted connection
// is served by a thread of its own until the server is destroyed, which closes them all.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace janus::test {

enum class hostile_mode {
  garbage_at_once,        // writes random bytes as soon as it accepts, before any request
  garbage_after_request,  // reads the request's head, answers random bytes (no HTTP status line)
  ws_then_random,         // completes a WebSocket upgrade, then writes random bytes
  ws_then_reserved_bits,  // ... then a frame with the reserved bits set (no extension was agreed)
  ws_then_bad_opcode,     // ... then a frame with opcode 3 (reserved)
  ws_then_masked,         // ... then a masked frame (a server must not mask)
  ws_then_huge_length,    // ... then a text frame that claims 2^63 - 1 bytes
  ws_then_not_json,       // ... then text frames that are not JSON
  ws_then_silence,        // ... then nothing at all, keeping the connection open
  http_stalled_body,      // answers 200 with headers and half the announced body, never the rest
  rdp_not_json,           // writes an RDP length-prefixed packet whose body is not JSON, at once
};

const char* name_of(hostile_mode m);

class hostile_peer {
 public:
  explicit hostile_peer(hostile_mode mode);
  ~hostile_peer();
  hostile_peer(const hostile_peer&) = delete;
  hostile_peer& operator=(const hostile_peer&) = delete;

  std::uint16_t port() const;
  /// "127.0.0.1:<port>".
  std::string host_port() const;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

/// A loopback port that nothing listens on (bound, then closed: the kernel hands it out again only
/// after the whole ephemeral range has gone round).
std::uint16_t closed_port();

}  // namespace janus::test
