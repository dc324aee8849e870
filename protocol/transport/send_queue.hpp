// The bounded outgoing queue shared by every transport.
//
// Senders on any thread push under a mutex; the io_context's thread takes whole batches by swapping
// vectors, so in steady state neither side allocates for the queue itself. Bytes stay counted
// until the transport reports them written, which is what makes the bound real: a peer that stops
// reading fills the queue and send() starts refusing instead of memory growing.
#pragma once

#include <janus/protocol/transport.hpp>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace janus::protocol::detail {

/// @par Thread Safety
/// push(), close(), bytes() and messages() may be called from any thread; take() and written()
/// from the io_context's thread only.
class send_queue {
 public:
  explicit send_queue(const transport_limits& limits) : limits_(limits) {}

  /// Queues `message`. On success, true means the caller must schedule a take() on the io_context
  /// (nobody is going to look at the queue otherwise); false means one is already scheduled.
  rt::result<bool> push(std::string&& message);

  /// Moves every queued message into `out`, which must be empty (its capacity is reused by the
  /// next swap). The taken messages stay counted until written() reports them.
  void take(std::vector<std::string>& out);

  /// `bytes` of payload in `messages` messages left the queue (written, or discarded at close).
  /// Returns true when the handler's on_writable() should be called now.
  bool written(std::size_t bytes, std::size_t messages);

  /// Refuses every later push() with errc::disconnected and `reason`.
  void close(std::string reason);

  bool closed() const;
  /// Nothing queued and nothing being written.
  bool empty() const noexcept { return messages() == 0; }
  std::size_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }
  std::size_t messages() const noexcept { return messages_.load(std::memory_order_relaxed); }

 private:
  const transport_limits limits_;
  mutable std::mutex mu_;
  std::vector<std::string> pending_;
  std::string closed_reason_;
  bool take_scheduled_ = false;
  bool want_writable_ = false;
  bool closed_ = false;
  // Written under mu_, read without it by the accessors (a snapshot is all they promise).
  std::atomic<std::size_t> bytes_{0};
  std::atomic<std::size_t> messages_{0};
};

}  // namespace janus::protocol::detail
