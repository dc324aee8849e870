#include "websocket_session.hpp"

#include <asio/dispatch.hpp>

#include "owning_transport.hpp"

#include <asio/post.hpp>

namespace janus::protocol::detail {

ws_session::ws_session(asio::io_context& io, const transport_limits& limits, std::chrono::milliseconds close_timeout,
                       std::string peer, http_request request)
    : io_(io),
      queue_(limits),
      limits_(limits),
      close_timeout_(close_timeout),
      peer_(std::move(peer)),
      request_(std::move(request)),
      timer_(io) {}

void ws_session::start_client(std::shared_ptr<ws_link> link, std::shared_ptr<transport_handler> handler,
                              connect_callback done, std::chrono::milliseconds timeout) {
  link_ = std::move(link);
  handler_ = std::move(handler);
  connecting_ = std::move(done);
  timer_.expires_after(timeout);
  timer_.async_wait([self = shared_from_this(), timeout](const asio::error_code& ec) {
    if (ec || !self->connecting_) return;
    auto done = std::move(self->connecting_);
    self->connecting_ = nullptr;
    self->ended_ = true;
    self->open_.store(false);
    self->handler_.reset();
    // The link reports ws_closed later (or ws_open, if the handshake was about to finish); both
    // are ignored now that ended_ is set.
    if (auto link = self->link_.lock()) link->drop({});
    done(rt::error{rt::errc::timeout, "WebSocket connect to " + self->peer_ + " did not complete within " +
                                          std::to_string(timeout.count()) + " ms"});
  });
}

void ws_session::start_server(std::shared_ptr<ws_link> link, std::shared_ptr<transport_handler> handler) {
  link_ = std::move(link);
  handler_ = std::move(handler);
}

rt::result<void> ws_session::send(std::string&& message) {
  if (!utf8_valid(message.data(), message.size()))
    return rt::error{rt::errc::invalid_argument, "a WebSocket text message must be valid UTF-8"};
  auto scheduled = queue_.push(std::move(message));
  if (!scheduled) return std::move(scheduled).err();
  if (*scheduled) asio::post(io_, [self = shared_from_this()] { self->flush(); });
  return rt::ok;
}

void ws_session::close() {
  if (close_requested_.exchange(true)) return;
  open_.store(false);
  queue_.close("WebSocket to " + peer_ + " is closing (close() was called)");
  asio::post(io_, [self = shared_from_this()] { self->begin_close(); });
}

void ws_session::drop(std::string trailing_bytes) {
  if (close_requested_.exchange(true)) return;
  open_.store(false);
  queue_.close("WebSocket to " + peer_ + " is being dropped");
  asio::post(io_, [self = shared_from_this(), bytes = std::move(trailing_bytes)]() mutable {
    self->drop_bytes_ = std::move(bytes);
    self->begin_close();
  });
}

void ws_session::begin_close() {
  if (ended_) return;
  close_begun_ = true;
  timer_.expires_after(close_timeout_);
  timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
    if (ec || self->ended_) return;
    self->timed_out_ = true;
    if (auto link = self->link_.lock()) link->drop({});
  });
  flush();
  close_link_if_drained();
}

void ws_session::flush() {
  if (ended_ || !link_open_) return;  // before the handshake the queue waits; ws_open() flushes
  auto link = link_.lock();
  if (!link) return;  // the connection is going away; ws_closed() follows
  queue_.take(batch_);
  for (std::string& message : batch_) link->send_text(std::move(message));
  batch_.clear();
}

void ws_session::close_link_if_drained() {
  // close_begun_, not close_requested_: the request is visible at once on every thread, but how to
  // close (drop_bytes_) is only known here once begin_close() has run.
  if (ended_ || link_closing_ || !close_begun_) return;
  // A connection still in its handshake has nothing to flush: it is dropped right away.
  if (link_open_ && !queue_.empty()) return;
  auto link = link_.lock();
  if (!link) return;
  link_closing_ = true;
  if (drop_bytes_) link->drop(std::move(*drop_bytes_));
  else link->close(1000, "");
}

void ws_session::ws_open() {
  if (ended_) {
    // The connect deadline passed just before the handshake finished.
    if (auto link = link_.lock()) link->drop({});
    return;
  }
  link_open_ = true;
  timer_.cancel();
  if (connecting_) {
    auto done = std::move(connecting_);
    connecting_ = nullptr;
    done(make_owning(shared_from_this()));
  }
  flush();
  close_link_if_drained();
}

// websocketpp wants its connection touched on the io_context's thread only; from a message handler
// (the usual caller) that is where we are, so the pause applies before the next read.
// The link can only be paused from inside a message callback (see ws_link), so a pause asked for
// elsewhere waits for the next message; read_paused_ mirrors the link's state exactly, which keeps
// every resume paired with a pause (an unpaired one would start a second read).
void ws_session::pause_reading() {
  asio::dispatch(io_, [self = shared_from_this()] {
    if (self->read_paused_ || self->ended_) return;
    if (!self->in_message_) {
      self->pause_pending_ = true;
      return;
    }
    if (auto link = self->link_.lock()) {
      link->pause_reading();
      self->read_paused_ = true;
    }
  });
}

void ws_session::resume_reading() {
  asio::post(io_, [self = shared_from_this()] {
    self->pause_pending_ = false;
    if (!self->read_paused_ || self->ended_) return;
    self->read_paused_ = false;
    if (auto link = self->link_.lock()) link->resume_reading();
  });
}

void ws_session::ws_message(std::string&& payload) {
  if (ended_ || !handler_) return;
  in_message_ = true;
  if (pause_pending_) {
    pause_pending_ = false;
    if (auto link = link_.lock()) {
      link->pause_reading();
      read_paused_ = true;
    }
  }
  handler_->on_message(std::move(payload));
  in_message_ = false;
}

void ws_session::ws_written(std::size_t payload_bytes) {
  // May run inside websocketpp's write completion: only bookkeeping and the user's callback here;
  // anything that calls back into websocketpp is posted.
  if (queue_.written(payload_bytes, 1) && !ended_ && handler_) handler_->on_writable();
  if (close_requested_ && !link_closing_ && queue_.empty())
    asio::post(io_, [self = shared_from_this()] { self->close_link_if_drained(); });
}

void ws_session::ws_closed(ws_end how, std::string detail) {
  if (connecting_) {
    auto done = std::move(connecting_);
    connecting_ = nullptr;
    ended_ = true;
    open_.store(false);
    timer_.cancel();
    handler_.reset();
    link_.reset();
    done(rt::error{rt::errc::transport, "WebSocket connect to " + peer_ + " failed: " + detail});
    return;
  }
  if (ended_) {
    link_.reset();
    return;
  }
  switch (how) {
    case ws_end::too_large:
      end({rt::errc::message_too_large, peer_ + " sent a message larger than the " +
                                            std::to_string(limits_.max_message_bytes) + "-byte limit"});
      break;
    case ws_end::local_closed:
      end({rt::errc::disconnected, timed_out_ ? "closed by this side; " + peer_ +
                                                    " did not complete the close within " +
                                                    std::to_string(close_timeout_.count()) + " ms"
                                              : std::string("closed by this side")});
      break;
    case ws_end::peer_closed:
      end({rt::errc::disconnected, peer_ + ": " + detail});
      break;
    case ws_end::failed:
      end({rt::errc::transport, peer_ + ": " + detail});
      break;
  }
}

void ws_session::end(rt::error why) {
  ended_ = true;
  open_.store(false);
  queue_.close("WebSocket to " + peer_ + " is closed: " + why.what());
  timer_.cancel();
  link_.reset();
  if (auto h = std::move(handler_)) h->on_closed(std::move(why));
}

}  // namespace janus::protocol::detail
