#include <janus/protocol/tcp_transport.hpp>

#include "owning_transport.hpp"
#include "stream_session.hpp"

#include <asio/connect.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include <asio/write.hpp>

#include <type_traits>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

namespace janus::protocol {
namespace {

/// The streams policy of stream_session for one socket (TCP or Unix domain). asio sends with
/// MSG_NOSIGNAL, so a peer that went away yields EPIPE rather than SIGPIPE.
template <class Socket>
class socket_streams {
 public:
  explicit socket_streams(Socket socket) : socket_(std::move(socket)) {}

  Socket& reader() { return socket_; }

  // Firefox writes a reply and its event (evaluateJSAsync's resultID, then evaluationResult) as
  // two small packets, and Nagle on its side holds the second until the first is acknowledged.
  // Linux delays that ACK (up to ~40 ms) and leaves quick-ACK mode on its own, so every
  // evaluate waited for the delayed-ACK timer. TCP_QUICKACK is not sticky: it is set again after
  // every read so that each segment is acknowledged at once.
  void after_read() {
#ifdef TCP_QUICKACK
    if constexpr (std::is_same_v<Socket, asio::ip::tcp::socket>) {
      const int one = 1;
      ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    }
#endif
  }

  template <class Handler>
  void async_write(std::span<const asio::const_buffer> buffers, Handler&& handler) {
    // The span is the buffer sequence, so asio copies two pointers rather than the gather list.
    asio::async_write(socket_, buffers,
                      [h = std::forward<Handler>(handler)](const asio::error_code& ec, std::size_t) mutable { h(ec); });
  }

  void close() {
    asio::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  Socket socket_;
};

using tcp_streams = socket_streams<asio::ip::tcp::socket>;
using unix_streams = socket_streams<asio::local::stream_protocol::socket>;

class tcp_connect_op : public std::enable_shared_from_this<tcp_connect_op> {
 public:
  tcp_connect_op(asio::io_context& io, std::string host, std::uint16_t port, std::shared_ptr<transport_handler> handler,
                 connect_callback done, const tcp_options& options, std::unique_ptr<stream_framer> framer)
      : io_(io),
        resolver_(io),
        socket_(io),
        timer_(io),
        host_(std::move(host)),
        port_(port),
        handler_(std::move(handler)),
        done_(std::move(done)),
        options_(options),
        framer_(std::move(framer)) {}

  void start() {
    timer_.expires_after(options_.connect_timeout);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (ec || self->finished_) return;
      self->fail({rt::errc::timeout, "TCP connect to " + self->target() + " did not complete within " +
                                         std::to_string(self->options_.connect_timeout.count()) + " ms"});
      self->resolver_.cancel();
      asio::error_code ignored;
      self->socket_.close(ignored);
    });
    // An IP literal needs no resolver (whose first use starts a helper thread inside asio).
    asio::error_code ec;
    const asio::ip::address literal = asio::ip::make_address(host_, ec);
    if (!ec) {
      connect(std::array{asio::ip::tcp::endpoint(literal, port_)});
      return;
    }
    resolver_.async_resolve(host_, std::to_string(port_), asio::ip::resolver_base::numeric_service,
                            [self = shared_from_this()](const asio::error_code& rec,
                                                        const asio::ip::tcp::resolver::results_type& results) {
                              if (self->finished_) return;
                              if (rec) {
                                self->fail({rt::errc::transport, "cannot resolve " + self->host_ + ": " + rec.message()});
                                return;
                              }
                              self->connect(results);
                            });
  }

 private:
  template <class Endpoints>
  void connect(const Endpoints& endpoints) {
    asio::async_connect(socket_, endpoints,
                        [self = shared_from_this()](const asio::error_code& ec, const asio::ip::tcp::endpoint&) {
                          if (self->finished_) return;
                          if (ec) {
                            self->fail({rt::errc::transport, "TCP connect to " + self->target() + " failed: " + ec.message()});
                            return;
                          }
                          self->succeed();
                        });
  }

  void succeed() {
    finished_ = true;
    timer_.cancel();
    asio::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);  // requests are small and latency-bound
#ifdef TCP_QUICKACK
    {
      const int one = 1;  // acknowledge the greeting at once too (see socket_streams::after_read)
      ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    }
#endif
    auto session = std::make_shared<detail::stream_session<tcp_streams>>(
        io_, tcp_streams(std::move(socket_)), framer_ ? std::move(framer_) : make_chunk_framer(), options_.limits,
        options_.close_timeout, "tcp " + target());
    session->start(std::move(handler_));
    auto done = std::move(done_);
    done(detail::make_owning(std::move(session)));
  }

  void fail(rt::error why) {
    finished_ = true;
    timer_.cancel();
    handler_.reset();
    auto done = std::move(done_);
    done(std::move(why));
  }

  std::string target() const { return host_ + ":" + std::to_string(port_); }

  asio::io_context& io_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  const std::string host_;
  const std::uint16_t port_;
  std::shared_ptr<transport_handler> handler_;
  connect_callback done_;
  const tcp_options options_;
  std::unique_ptr<stream_framer> framer_;
  bool finished_ = false;
};

/// Connecting to a Unix domain socket: no resolver, no Nagle; otherwise as tcp_connect_op.
class unix_connect_op : public std::enable_shared_from_this<unix_connect_op> {
 public:
  unix_connect_op(asio::io_context& io, std::string path, std::shared_ptr<transport_handler> handler,
                  connect_callback done, const tcp_options& options, std::unique_ptr<stream_framer> framer)
      : io_(io),
        socket_(io),
        timer_(io),
        path_(std::move(path)),
        handler_(std::move(handler)),
        done_(std::move(done)),
        options_(options),
        framer_(std::move(framer)) {}

  void start() {
    // sun_path holds 107 bytes and a NUL; asio would throw on a longer one.
    if (path_.empty() || path_.size() >= sizeof(sockaddr_un{}.sun_path)) {
      fail({rt::errc::invalid_argument, "Unix socket path '" + path_ + "' is empty or longer than " +
                                            std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes"});
      return;
    }
    timer_.expires_after(options_.connect_timeout);
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (ec || self->finished_) return;
      self->fail({rt::errc::timeout, "connect to Unix socket " + self->path_ + " did not complete within " +
                                         std::to_string(self->options_.connect_timeout.count()) + " ms"});
      asio::error_code ignored;
      self->socket_.close(ignored);
    });
    socket_.async_connect(asio::local::stream_protocol::endpoint(path_), [self = shared_from_this()](const asio::error_code& ec) {
      if (self->finished_) return;
      if (ec) {
        self->fail({rt::errc::transport, "connect to Unix socket " + self->path_ + " failed: " + ec.message()});
        return;
      }
      self->finished_ = true;
      self->timer_.cancel();
      auto session = std::make_shared<detail::stream_session<unix_streams>>(
          self->io_, unix_streams(std::move(self->socket_)),
          self->framer_ ? std::move(self->framer_) : make_chunk_framer(), self->options_.limits,
          self->options_.close_timeout, "unix " + self->path_);
      session->start(std::move(self->handler_));
      auto done = std::move(self->done_);
      done(detail::make_owning(std::move(session)));
    });
  }

 private:
  void fail(rt::error why) {
    finished_ = true;
    timer_.cancel();
    handler_.reset();
    auto done = std::move(done_);
    done(std::move(why));
  }

  asio::io_context& io_;
  asio::local::stream_protocol::socket socket_;
  asio::steady_timer timer_;
  const std::string path_;
  std::shared_ptr<transport_handler> handler_;
  connect_callback done_;
  const tcp_options options_;
  std::unique_ptr<stream_framer> framer_;
  bool finished_ = false;
};

}  // namespace

void connect_unix(asio::io_context& io, std::string path, std::shared_ptr<transport_handler> handler,
                  connect_callback done, const tcp_options& options, std::unique_ptr<stream_framer> framer) {
  auto op = std::make_shared<unix_connect_op>(io, std::move(path), std::move(handler), std::move(done), options,
                                              std::move(framer));
  asio::post(io, [op] { op->start(); });
}

void connect_tcp(asio::io_context& io, std::string host, std::uint16_t port,
                 std::shared_ptr<transport_handler> handler, connect_callback done, const tcp_options& options,
                 std::unique_ptr<stream_framer> framer) {
  auto op = std::make_shared<tcp_connect_op>(io, std::move(host), port, std::move(handler), std::move(done), options,
                                             std::move(framer));
  asio::post(io, [op] { op->start(); });
}

}  // namespace janus::protocol
