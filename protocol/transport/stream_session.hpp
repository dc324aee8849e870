// The connection logic shared by the byte-stream transports (Chromium's pipe, TCP for Firefox):
// a read loop feeding a framer, a write loop draining the bounded queue in gathered batches, and
// the close/end sequence that guarantees on_closed() exactly once and last.
//
// It is a template over a small "streams" policy because the two differ only in how bytes move:
//   reader()               an asio stream with async_read_some
//   after_read()           called after every read that returned bytes (TCP re-arms quick ACKs)
//   async_write(bufs, h)   writes every buffer, then calls h(asio::error_code) via the io_context
//   close()                cancels pending operations and releases the descriptors
#pragma once

#include "send_queue.hpp"

#include <janus/protocol/message_buffers.hpp>
#include <janus/protocol/transport.hpp>

#include <asio/buffer.hpp>
#include <asio/dispatch.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace janus::protocol::detail {

/// @par Thread Safety
/// The transport members may be called from any thread; everything else runs on the io_context's
/// thread.
template <class Streams>
class stream_session final : public transport,
                             private message_sink,
                             public std::enable_shared_from_this<stream_session<Streams>> {
 public:
  // Large enough that a typical CDP reply arrives in one read, small enough to keep per
  // connection; reused for every read so the receive path does not allocate per chunk.
  static constexpr std::size_t read_buffer_size = 64 * 1024;

  stream_session(asio::io_context& io, Streams streams, std::unique_ptr<stream_framer> framer,
                 const transport_limits& limits, std::chrono::milliseconds close_timeout, std::string peer)
      : io_(io),
        streams_(std::move(streams)),
        framer_(std::move(framer)),
        limits_(limits),
        close_timeout_(close_timeout),
        peer_(std::move(peer)),
        queue_(limits),
        close_timer_(io),
        read_buffer_(std::make_unique<char[]>(read_buffer_size)) {}

  /// Begins reading and writing on the io_context; `handler` receives everything from then on.
  void start(std::shared_ptr<transport_handler> handler) {
    asio::post(io_, [self = this->shared_from_this(), h = std::move(handler)]() mutable {
      self->handler_ = std::move(h);
      self->read_more();
      self->flush();
    });
  }

  using transport::send;
  rt::result<void> send(std::string&& message) override {
    auto scheduled = queue_.push(std::move(message));
    if (!scheduled) return std::move(scheduled).err();
    if (*scheduled) asio::post(io_, [self = this->shared_from_this()] { self->flush(); });
    return rt::ok;
  }

  void close() override {
    if (close_requested_.exchange(true)) return;
    open_.store(false);
    queue_.close("transport to " + peer_ + " is closing (close() was called)");
    asio::post(io_, [self = this->shared_from_this()] { self->begin_close(); });
  }

  std::size_t queued_bytes() const noexcept override { return queue_.bytes(); }
  std::size_t queued_messages() const noexcept override { return queue_.messages(); }
  bool is_open() const noexcept override { return open_.load(); }

  // The flag is read before every new read, so a pause asked from inside on_message() takes effect
  // before the next chunk; resuming restarts a stalled read loop on the io_context's thread.
  void pause_reading() override { paused_.store(true, std::memory_order_release); }
  void resume_reading() override {
    paused_.store(false, std::memory_order_release);
    asio::dispatch(io_, [self = this->shared_from_this()] {
      if (self->read_stalled_ && !self->ended_ && !self->paused_.load(std::memory_order_acquire)) {
        self->read_stalled_ = false;
        self->read_more();
      }
    });
  }

 private:
  void read_more() {
    streams_.reader().async_read_some(
        asio::buffer(read_buffer_.get(), read_buffer_size),
        [self = this->shared_from_this()](const asio::error_code& ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const asio::error_code& ec, std::size_t n) {
    if (ended_) return;
    if (ec) {
      if (ec == asio::error::eof) {
        std::string why = peer_ + " closed the connection (EOF)";
        if (const std::size_t partial = framer_->pending_bytes(); partial > 0)
          why += " in the middle of a message (" + std::to_string(partial) + " bytes of it received)";
        end({rt::errc::disconnected, std::move(why)});
      } else {
        end({rt::errc::transport, "reading from " + peer_ + " failed: " + ec.message()});
      }
      return;
    }
    streams_.after_read();
    auto consumed = framer_->consume({read_buffer_.get(), n}, limits_.max_message_bytes, *this);
    if (!consumed) {
      rt::error why = std::move(consumed).err();
      why.message = peer_ + ": " + why.message;
      end(std::move(why));
      return;
    }
    if (ended_) return;
    if (paused_.load(std::memory_order_acquire)) {
      read_stalled_ = true;
      return;
    }
    read_more();
  }

  bool deliver(std::string&& message) override {
    if (ended_) return false;
    handler_->on_message(std::move(message));
    return !ended_;
  }
  bool deliver_view(std::string_view message) override {
    if (ended_) return false;
    handler_->on_message_view(message);
    return !ended_;
  }

  void flush() {
    if (ended_ || writing_) return;
    queue_.take(batch_);
    if (batch_.empty()) {
      if (close_requested_) finish_close_if_drained();
      return;
    }
    // Gather [prefix, payload, suffix] per message into one write: no copy of the payloads, and
    // the vectors keep their capacity across batches.
    envelopes_.resize(batch_.size());
    buffers_.clear();
    batch_bytes_ = 0;
    for (std::size_t i = 0; i < batch_.size(); ++i) {
      envelopes_[i] = framer_->envelope(batch_[i]);
      const frame_envelope& e = envelopes_[i];
      if (e.prefix_size != 0) buffers_.emplace_back(e.prefix.data(), e.prefix_size);
      if (!batch_[i].empty()) buffers_.emplace_back(batch_[i].data(), batch_[i].size());
      if (e.suffix_size != 0) buffers_.emplace_back(e.suffix.data(), e.suffix_size);
      batch_bytes_ += batch_[i].size();
    }
    writing_ = true;
    streams_.async_write(std::span<const asio::const_buffer>(buffers_),
                         [self = this->shared_from_this()](const asio::error_code& ec) { self->on_written(ec); });
  }

  void on_written(const asio::error_code& ec) {
    writing_ = false;
    if (ended_) return;
    if (ec) {
      end({rt::errc::transport, "writing to " + peer_ + " failed: " + ec.message()});
      return;
    }
    const std::size_t count = batch_.size();
    // Written: the texts go back for the next commands' encoding (see message_buffers).
    for (std::string& s : batch_) message_buffers::give(std::move(s));
    batch_.clear();
    if (queue_.written(batch_bytes_, count)) {
      handler_->on_writable();
      if (ended_) return;
    }
    flush();
  }

  void begin_close() {
    if (ended_) return;
    close_timer_.expires_after(close_timeout_);
    close_timer_.async_wait([self = this->shared_from_this()](const asio::error_code& ec) {
      if (ec || self->ended_) return;
      self->end({rt::errc::disconnected,
                 "closed by this side; " + self->peer_ + " did not take the remaining " +
                     std::to_string(self->queue_.bytes()) + " queued bytes within " +
                     std::to_string(self->close_timeout_.count()) + " ms"});
    });
    flush();
  }

  void finish_close_if_drained() {
    if (!ended_ && !writing_ && queue_.empty()) end({rt::errc::disconnected, "closed by this side"});
  }

  void end(rt::error why) {
    if (ended_) return;
    ended_ = true;
    open_.store(false);
    queue_.close("transport to " + peer_ + " is closed: " + why.what());
    close_timer_.cancel();
    streams_.close();
    if (auto h = std::move(handler_)) h->on_closed(std::move(why));
  }

  asio::io_context& io_;
  Streams streams_;
  std::unique_ptr<stream_framer> framer_;
  const transport_limits limits_;
  const std::chrono::milliseconds close_timeout_;
  const std::string peer_;  // for error messages: "Chromium pipe", "tcp 127.0.0.1:6000"
  send_queue queue_;
  asio::steady_timer close_timer_;
  std::unique_ptr<char[]> read_buffer_;
  std::shared_ptr<transport_handler> handler_;

  // The batch being written and its gather list; reused across batches.
  std::vector<std::string> batch_;
  std::vector<frame_envelope> envelopes_;
  std::vector<asio::const_buffer> buffers_;
  std::size_t batch_bytes_ = 0;

  std::atomic<bool> open_{true};
  std::atomic<bool> close_requested_{false};
  std::atomic<bool> paused_{false};
  bool read_stalled_ = false;  // io thread only: paused with no read outstanding
  bool writing_ = false;  // io thread only
  bool ended_ = false;    // io thread only
};

}  // namespace janus::protocol::detail
