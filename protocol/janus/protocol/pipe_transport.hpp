// Chromium's --remote-debugging-pipe transport: the browser reads commands from its fd 3 and writes
// replies and events to its fd 4, each message followed by a NUL byte. This side holds the other
// ends of those two pipes (or socketpairs).
#pragma once

#include <janus/protocol/transport.hpp>

#include <chrono>
#include <memory>

namespace asio {
class io_context;
}

namespace janus::protocol {

/// @par Thread Safety
/// A plain value.
struct pipe_options {
  transport_limits limits;
  /// How long close() waits for the browser to take queued messages before cutting it off.
  std::chrono::milliseconds close_timeout{5000};
};

/// Opens a NUL-framed message transport over two descriptors: `read_fd` carries the browser's
/// output (its fd 4), `write_fd` its input (its fd 3). Takes ownership of both, also on failure;
/// they are switched to non-blocking mode. Reading starts at once; `handler` receives every
/// message, and on_closed() when the browser closes its end (EOF), an I/O error happens, a message
/// exceeds the limit, or close() completes.
///
/// Writing to a pipe whose reader has exited raises SIGPIPE; this transport blocks it on the
/// writing thread around each write, so the process's signal disposition is left alone.
///
/// Fails with errc::invalid_argument when a descriptor cannot be used.
///
/// @par Thread Safety
/// May be called from any thread; `io` must outlive the returned transport.
rt::result<std::shared_ptr<transport>> open_pipe_transport(asio::io_context& io, int read_fd, int write_fd,
                                                           std::shared_ptr<transport_handler> handler,
                                                           const pipe_options& options = {});

}  // namespace janus::protocol
