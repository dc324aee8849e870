// websocketpp behind the plain interface of websocket_impl.hpp. Built as C++17 (see meson.build):
// this is the one translation unit that includes websocketpp.
//
// What websocketpp allocates per message, for the record: receiving, one message object (with its
// control block) and its payload string, which is moved out to the receiver without a copy;
// sending, one message object, its header string (short enough to stay inline) and the control
// block of the tracking pointer below. Payloads are never copied on the send path: frames are
// prepared here (masked in place on the client side) instead of by websocketpp, which would copy.
#include "websocket_impl.hpp"

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
#include <websocketpp/client.hpp>
#include <websocketpp/config/core.hpp>
#include <websocketpp/config/core_client.hpp>
#include <websocketpp/logger/stub.hpp>
#include <websocketpp/server.hpp>
#include <websocketpp/transport/asio/endpoint.hpp>
#include <websocketpp/utf8_validator.hpp>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cstring>
#include <random>

namespace janus::protocol::detail {
namespace {

// websocketpp's stock asio configs log to stdout/stderr and guard every handler with a strand. The
// transports report errors themselves and run on one thread, so: no logging, no strands, and a
// protocol error (including an oversized message) drops the connection at once instead of waiting
// for a close handshake the peer may never complete.
template <class Core>
struct janus_config : Core {
  typedef janus_config type;
  typedef Core base;

  typedef typename base::concurrency_type concurrency_type;
  typedef typename base::request_type request_type;
  typedef typename base::response_type response_type;
  typedef typename base::message_type message_type;
  typedef typename base::con_msg_manager_type con_msg_manager_type;
  typedef typename base::endpoint_msg_manager_type endpoint_msg_manager_type;
  // websocketpp's null logger (its name for it is "stub"): errors reach us as values through
  // the handlers, and its own logging would only write to stdout.
  typedef websocketpp::log::stub alog_type;
  typedef websocketpp::log::stub elog_type;
  typedef typename base::rng_type rng_type;

  struct transport_config : public base::transport_config {
    typedef typename janus_config::concurrency_type concurrency_type;
    typedef typename janus_config::alog_type alog_type;
    typedef typename janus_config::elog_type elog_type;
    typedef typename janus_config::request_type request_type;
    typedef typename janus_config::response_type response_type;
    typedef websocketpp::transport::asio::basic_socket::endpoint socket_type;
    static const bool enable_multithreading = false;
    // The caller's connect deadline governs; these only bound stages it cannot cancel.
    static const long timeout_dns_resolve = 30000;
    static const long timeout_connect = 120000;
  };
  typedef websocketpp::transport::asio::endpoint<transport_config> transport_type;

  static const bool drop_on_protocol_error = true;
};

typedef janus_config<websocketpp::config::core_client> client_config;
typedef janus_config<websocketpp::config::core> server_config;
typedef websocketpp::client<client_config> client_endpoint;
typedef websocketpp::server<server_config> server_endpoint;

void cut(asio::ip::tcp::socket& socket) {
  asio::error_code ignored;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.cancel(ignored);  // also aborts a connect still in progress
}

void mask_in_place(std::string& payload, websocketpp::frame::masking_key_type key) {
  // Word-wise XOR through memcpy (no aliasing tricks), then the tail byte by byte.
  const std::size_t n = payload.size();
  char* p = payload.data();
  unsigned char pattern[8];
  for (std::size_t i = 0; i < 8; ++i) pattern[i] = key.c[i % 4];
  std::uint64_t wide;
  std::memcpy(&wide, pattern, 8);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    w ^= wide;
    std::memcpy(p + i, &w, 8);
  }
  for (; i < n; ++i) p[i] = static_cast<char>(static_cast<unsigned char>(p[i]) ^ key.c[i % 4]);
}

template <class Request>
ws_http_request to_request(const Request& r) {
  ws_http_request out;
  out.method = r.get_method();
  out.resource = r.get_uri();
  out.body = r.get_body();
  for (const auto& h : r.get_headers()) out.headers.emplace_back(h.first, h.second);
  return out;
}

/// State and behaviour common to client and server connections.
///
/// Ownership: the websocketpp connection owns its handlers, which own this link; the link only
/// observes the connection. So the link lives exactly as long as websocketpp keeps the connection
/// (while any I/O or timer of it is pending, or someone holds it), without a cycle.
template <class Config>
class link_base : public ws_link, public std::enable_shared_from_this<link_base<Config>> {
 public:
  typedef websocketpp::connection<Config> connection;
  typedef std::shared_ptr<connection> connection_ptr;
  typedef typename Config::message_type message_type;
  typedef typename message_type::ptr message_ptr;

  explicit link_base(bool client) : client_(client) {}

  void send_text(std::string&& payload) override {
    const std::size_t n = payload.size();
    connection_ptr con = con_.lock();
    if (!con || con->get_state() != websocketpp::session::state::open) {
      written(n);
      return;
    }
    message_ptr msg = con->get_message(websocketpp::frame::opcode::text, 0);
    msg->get_raw_payload() = std::move(payload);
    websocketpp::frame::masking_key_type key;
    key.i = 0;
    if (client_) {
      // RFC 6455 masking keeps proxies from misreading frames as HTTP; on a loopback connection
      // to a browser a seeded generator is enough (websocketpp would read random_device per frame).
      key.i = rng_();
      mask_in_place(msg->get_raw_payload(), key);
    }
    const websocketpp::frame::basic_header header(websocketpp::frame::opcode::text, n, true, client_);
    msg->set_header(client_ ? websocketpp::frame::prepare_header(header, websocketpp::frame::extended_header(n, key.i))
                            : websocketpp::frame::prepare_header(header, websocketpp::frame::extended_header(n)));
    msg->set_opcode(websocketpp::frame::opcode::text);
    msg->set_prepared(true);
    // websocketpp has no write-completion callback, but it releases a message once written (or
    // when the connection goes away): a deleter on our own reference to it is that callback.
    // A connection being destroyed (its io_context went away mid-connection) releases its queue
    // from whatever thread destroys it: that is no write, and nobody to tell.
    std::weak_ptr<link_base> weak = this->shared_from_this();
    message_ptr tracked(msg.get(), [msg, weak, n](message_type*) mutable {
      msg.reset();
      if (auto self = weak.lock(); self && !self->con_.expired()) self->written(n);
    });
    con->send(tracked);  // on failure the message is released right here, and reported the same way
  }

  void close(std::uint16_t code, const std::string& reason) override {
    resume_reading();  // the close handshake needs the peer's close frame to be read
    connection_ptr con = con_.lock();
    if (!con) return;
    if (con->get_state() != websocketpp::session::state::open) {
      drop({});
      return;
    }
    local_close_ = true;
    websocketpp::lib::error_code ec;
    con->close(code, reason, ec);
    if (ec) drop({});
  }

  void drop(std::string trailing_bytes) override {
    resume_reading();  // the read then sees the cut and reports the end
    connection_ptr con = con_.lock();
    if (!con) return;
    dropped_ = true;
    if (trailing_bytes.empty()) {
      cut(con->get_raw_socket());
      return;
    }
    auto bytes = std::make_shared<std::string>(std::move(trailing_bytes));
    asio::async_write(con->get_raw_socket(), asio::buffer(*bytes),
                      [con, bytes](const asio::error_code&, std::size_t) { cut(con->get_raw_socket()); });
  }

  // websocketpp's own pause_reading()/resume_reading() post these, so a pause asked for inside a
  // message handler would land after the next read was issued, and the resume would then start a
  // second read beside it. Called directly, on the io thread, the flag is set before the read loop
  // decides whether to read again (see ws_link's contract in websocket_impl.hpp).
  //
  // A websocketpp connection lives only as long as something refers to it, normally its own
  // outstanding read; a paused connection has none, so the link holds it meanwhile.
  void pause_reading() override {
    if (connection_ptr con = con_.lock()) {
      con->handle_pause_reading();
      paused_con_ = std::move(con);
    }
  }
  void resume_reading() override {
    if (connection_ptr con = std::move(paused_con_)) con->handle_resume_reading();
  }

  /// Installs the handlers that make `con` report to this link (and own it).
  void adopt(const connection_ptr& con, const ws_settings& settings) {
    con_ = con;
    auto self = this->shared_from_this();
    con->set_open_handler([self](websocketpp::connection_hdl) {
      if (self->events_) self->events_->ws_open();
    });
    con->set_message_handler([self](websocketpp::connection_hdl, message_ptr msg) {
      if (self->events_) self->events_->ws_message(std::move(msg->get_raw_payload()));
    });
    con->set_close_handler([self](websocketpp::connection_hdl) { self->on_closed(); });
    con->set_fail_handler([self](websocketpp::connection_hdl) { self->on_failed(); });
    con->set_max_message_size(settings.max_message_bytes);
    if (settings.open_timeout_ms > 0) con->set_open_handshake_timeout(settings.open_timeout_ms);
    if (settings.close_timeout_ms > 0) con->set_close_handshake_timeout(settings.close_timeout_ms);
  }

  void set_events(std::shared_ptr<ws_events> events) { events_ = std::move(events); }

 protected:
  std::weak_ptr<connection> con_;

 private:
  void written(std::size_t n) {
    if (events_) events_->ws_written(n);
  }

  void on_closed() {
    connection_ptr con = con_.lock();
    const websocketpp::lib::error_code ec = con ? con->get_ec() : websocketpp::lib::error_code();
    const auto remote = con ? con->get_remote_close_code() : websocketpp::close::status::abnormal_close;
    if (ec == websocketpp::processor::error::make_error_code(websocketpp::processor::error::message_too_big)) {
      finish(ws_end::too_large, "the peer sent a message larger than the limit");
    } else if (local_close_ || dropped_) {
      finish(ws_end::local_closed, "closed by this side");
    } else if (remote != websocketpp::close::status::abnormal_close) {
      std::string detail = "the peer closed the WebSocket (close code " + std::to_string(remote);
      const std::string reason = con->get_remote_close_reason();
      if (!reason.empty()) detail += ", reason \"" + reason + "\"";
      finish(ws_end::peer_closed, detail + ")");
    } else if (ec == websocketpp::transport::error::eof || ec == websocketpp::transport::error::tls_short_read) {
      finish(ws_end::peer_closed, "the peer ended the TCP connection without a WebSocket close frame");
    } else if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
      // A peer that closes its socket with our bytes still unread resets the connection instead
      // of ending it; to us it is the same abrupt end, and which one arrives is a matter of timing.
      finish(ws_end::peer_closed,
             "the peer ended the TCP connection without a WebSocket close frame (" + ec.message() + ")");
    } else {
      finish(ws_end::failed, "the WebSocket connection failed: " + ec.message());
    }
  }

  void on_failed() {
    connection_ptr con = con_.lock();
    std::string detail = con ? con->get_ec().message() : std::string("connection gone");
    if (con && con->get_response_code() != websocketpp::http::status_code::uninitialized)
      detail += " (HTTP status " + std::to_string(static_cast<int>(con->get_response_code())) + ")";
    finish(dropped_ ? ws_end::local_closed : ws_end::failed, detail);
  }

  void finish(ws_end how, const std::string& detail) {
    paused_con_.reset();
    // Last event: let go of the session, which may be what kept it alive.
    if (auto events = std::move(events_)) events->ws_closed(how, detail);
  }

  const bool client_;
  bool local_close_ = false;
  bool dropped_ = false;
  std::shared_ptr<ws_events> events_;
  connection_ptr paused_con_;  // set while reading is paused
  std::minstd_rand rng_{std::random_device{}()};
};

// --- client ----------------------------------------------------------------------------------------

class client_link final : public link_base<client_config> {
 public:
  explicit client_link(asio::io_context& io) : link_base(true) {
    endpoint_.init_asio(&io);
    endpoint_.set_socket_init_handler([](websocketpp::connection_hdl, asio::ip::tcp::socket& s) {
      asio::error_code ignored;
      s.set_option(asio::ip::tcp::no_delay(true), ignored);
    });
  }
  // The connection binds this endpoint by address while connecting; the connection owns this
  // link (through its handlers), so the endpoint outlives every use.
  client_endpoint& endpoint() { return endpoint_; }

 private:
  client_endpoint endpoint_;
};

// --- server ----------------------------------------------------------------------------------------

class listener_impl;

class http_reply_impl final : public ws_http_reply {
 public:
  http_reply_impl(server_endpoint::connection_ptr con, std::shared_ptr<listener_impl> owner)
      : con_(std::move(con)), owner_(std::move(owner)) {}

  void send(int status, const std::vector<std::pair<std::string, std::string>>& headers, std::string body) override {
    // These throw only when called outside of a deferred HTTP exchange, which a reply is by
    // construction; but an exception must not escape into the io_context.
    try {
      con_->set_status(static_cast<websocketpp::http::status_code::value>(status));
      for (const auto& h : headers) con_->replace_header(h.first, h.second);
      con_->set_body(body);
      websocketpp::lib::error_code ignored;
      con_->send_http_response(ignored);
    } catch (const websocketpp::exception&) {
      cut(con_->get_raw_socket());
    }
  }

 private:
  server_endpoint::connection_ptr con_;
  std::shared_ptr<listener_impl> owner_;
};

class server_link final : public link_base<server_config> {
 public:
  explicit server_link(std::shared_ptr<listener_impl> owner) : link_base(false), owner_(std::move(owner)) {}

  void adopt_server(const server_endpoint::connection_ptr& con, const ws_settings& settings);

 private:
  bool validate();
  void http();

  // Keeps the endpoint (and its shared loggers) alive for as long as any connection is.
  std::shared_ptr<listener_impl> owner_;
};

class listener_impl final : public ws_listener, public std::enable_shared_from_this<listener_impl> {
 public:
  listener_impl(asio::io_context& io, const ws_settings& settings, std::shared_ptr<ws_server_events> events)
      : acceptor_(io), retry_(io), settings_(settings), events_(std::move(events)) {
    endpoint_.init_asio(&io);
  }

  bool listen(const std::string& host, std::uint16_t port, std::string& error) {
    asio::error_code ec;
    const asio::ip::address address = asio::ip::make_address(host, ec);
    if (ec) {
      error = "not an IP address: \"" + host + "\"";
      return false;
    }
    const asio::ip::tcp::endpoint where(address, port);
    if (acceptor_.open(where.protocol(), ec); !ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(where, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) port_ = acceptor_.local_endpoint(ec).port();
    if (ec) {
      error = "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
      return false;
    }
    return true;
  }

  // Accepting with our own acceptor rather than websocketpp's listen(): its accept loop binds the
  // endpoint by address, which would make stopping the server a lifetime hazard.
  void accept_next() {
    server_endpoint::connection_ptr con = endpoint_.get_connection();
    if (!con) return;
    auto self = shared_from_this();
    acceptor_.async_accept(con->get_raw_socket(), [self, con](const asio::error_code& ec) {
      if (self->stopped_ || ec == asio::error::operation_aborted) return;
      if (!ec) {
        self->start(con);
        self->accept_next();
        return;
      }
      // Out of descriptors and the like: retrying at once would spin.
      self->retry_.expires_after(std::chrono::milliseconds(50));
      self->retry_.async_wait([self](const asio::error_code& wait_ec) {
        if (!wait_ec && !self->stopped_) self->accept_next();
      });
    });
  }

  std::uint16_t port() const override { return port_; }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    asio::error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
    for (auto& weak : links_)
      if (auto link = weak.lock()) link->drop({});
    links_.clear();
    events_.reset();
  }

  std::shared_ptr<ws_server_events> events_ref() const { return events_.lock(); }

 private:
  void start(const server_endpoint::connection_ptr& con) {
    asio::error_code ignored;
    con->get_raw_socket().set_option(asio::ip::tcp::no_delay(true), ignored);
    auto link = std::make_shared<server_link>(shared_from_this());
    link->adopt_server(con, settings_);
    // Forget ended connections, so the list stays as long as the open ones.
    links_.erase(std::remove_if(links_.begin(), links_.end(), [](const auto& w) { return w.expired(); }),
                 links_.end());
    links_.push_back(link);
    con->start();
  }

  server_endpoint endpoint_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  const ws_settings settings_;
  // Weak: the events' owner holds this listener, and must be able to let go of both even when the
  // io_context stops before stop() runs.
  std::weak_ptr<ws_server_events> events_;
  std::vector<std::weak_ptr<server_link>> links_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
};

void server_link::adopt_server(const server_endpoint::connection_ptr& con, const ws_settings& settings) {
  adopt(con, settings);
  auto self = std::static_pointer_cast<server_link>(shared_from_this());
  con->set_validate_handler([self](websocketpp::connection_hdl) { return self->validate(); });
  con->set_http_handler([self](websocketpp::connection_hdl) { self->http(); });
}

bool server_link::validate() {
  server_endpoint::connection_ptr con = con_.lock();
  if (!con) return false;
  std::shared_ptr<ws_server_events> events = owner_->events_ref();
  if (!events) {
    con->set_status(websocketpp::http::status_code::service_unavailable);
    return false;
  }
  std::shared_ptr<ws_events> accepted =
      events->ws_accept(to_request(con->get_request()), std::static_pointer_cast<ws_link>(shared_from_this()));
  if (!accepted) {
    con->set_status(websocketpp::http::status_code::not_found);
    return false;
  }
  set_events(std::move(accepted));
  return true;
}

void server_link::http() {
  server_endpoint::connection_ptr con = con_.lock();
  if (!con) return;
  std::shared_ptr<ws_server_events> events = owner_->events_ref();
  if (!events) {
    con->set_status(websocketpp::http::status_code::service_unavailable);
    return;
  }
  websocketpp::lib::error_code ec = con->defer_http_response();
  if (ec) {
    con->set_status(websocketpp::http::status_code::internal_server_error);
    return;
  }
  events->ws_http(to_request(con->get_request()), std::make_shared<http_reply_impl>(con, owner_));
}

}  // namespace

std::shared_ptr<ws_link> ws_connect(asio::io_context& io, const std::string& url, const ws_settings& settings,
                                    std::shared_ptr<ws_events> events, std::string& error) {
  auto link = std::make_shared<client_link>(io);
  websocketpp::lib::error_code ec;
  client_endpoint::connection_ptr con = link->endpoint().get_connection(url, ec);
  if (ec || !con) {
    error = "invalid WebSocket URL \"" + url + "\": " + ec.message();
    return nullptr;
  }
  link->adopt(con, settings);
  link->set_events(std::move(events));
  link->endpoint().connect(con);
  return link;
}

std::shared_ptr<ws_listener> ws_listen(asio::io_context& io, const std::string& host, std::uint16_t port,
                                       const ws_settings& settings, std::shared_ptr<ws_server_events> events,
                                       std::string& error) {
  auto listener = std::make_shared<listener_impl>(io, settings, std::move(events));
  if (!listener->listen(host, port, error)) return nullptr;
  listener->accept_next();
  return listener;
}

bool utf8_valid(const char* data, std::size_t size) noexcept {
  websocketpp::utf8_validator::validator v;
  return v.decode(data, data + size) && v.complete();
}

}  // namespace janus::protocol::detail
