// TCP (and Unix domain socket) transport, used for Firefox's Remote Debugging Protocol (a listening devtools server).
//
// TCP carries a byte stream, not messages; the framer passed to connect_tcp() cuts it into
// messages (RDP's "<length>:<json>" packets). Without one, every chunk read is delivered as it
// arrives and outgoing messages are written verbatim, leaving framing to the layer above.
#pragma once

#include <janus/protocol/transport.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace asio {
class io_context;
}

namespace janus::protocol {

/// @par Thread Safety
/// A plain value.
struct tcp_options {
  transport_limits limits;
  /// Name resolution plus TCP handshake must finish within this, or the connect fails with
  /// errc::timeout.
  std::chrono::milliseconds connect_timeout{10000};
  /// How long close() waits for the peer to take queued messages before cutting it off.
  std::chrono::milliseconds close_timeout{5000};
};

/// Firefox RDP framing for connect_tcp(), on top of rdp_framer. A JSON packet ("<length>:<json>")
/// is delivered as its JSON text; a bulk packet ("bulk <actor> <type> <length>:<bytes>") in its
/// complete wire form, so a receiver tells them apart by the first byte ('{' or 'b'). Outgoing
/// messages are JSON and get the length prefix. A malformed packet header ends the connection with
/// errc::parse (RDP cannot resynchronize), one above the size limit with errc::message_too_large.
std::unique_ptr<stream_framer> make_rdp_stream_framer();

/// Connects to host:port (a name or an IP literal) and reports the result to `done` on the
/// io_context's thread. A refused or failed connection fails with errc::transport; nothing is
/// retried (a browser still starting up refuses: retry at your own pace). On success the
/// transport delivers messages cut by `framer`, or raw chunks when it is null.
///
/// @par Thread Safety
/// May be called from any thread; `io` must outlive the returned transport.
void connect_tcp(asio::io_context& io, std::string host, std::uint16_t port,
                 std::shared_ptr<transport_handler> handler, connect_callback done, const tcp_options& options = {},
                 std::unique_ptr<stream_framer> framer = nullptr);

/// connect_tcp() to a Unix domain stream socket at `path` (Firefox's `--start-debugger-server
/// /path/to/socket`, which then opens no TCP port): only processes that may enter the directory
/// holding the socket can connect. Fails with errc::invalid_argument (path empty or longer than
/// sun_path), errc::transport (refused, missing) or errc::timeout.
///
/// @par Thread Safety
/// May be called from any thread; `io` must outlive the returned transport.
void connect_unix(asio::io_context& io, std::string path, std::shared_ptr<transport_handler> handler,
                  connect_callback done, const tcp_options& options, std::unique_ptr<stream_framer> framer);

}  // namespace janus::protocol
