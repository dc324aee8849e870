#include <janus/protocol/websocket_server.hpp>

#include "websocket_impl.hpp"
#include "websocket_session.hpp"

#include <asio/dispatch.hpp>
#include <asio/post.hpp>

namespace janus::protocol {
namespace {

http_request to_public(detail::ws_http_request&& r) {
  return {std::move(r.method), std::move(r.resource), std::move(r.body), std::move(r.headers)};
}

}  // namespace

// The websocketpp reply is released on the io_context's thread (releasing it may destroy the
// connection), whichever thread lets go of the responder.
struct http_responder::state {
  state(asio::io_context& io, std::shared_ptr<detail::ws_http_reply> reply) : io(io), reply(std::move(reply)) {}
  state(const state&) = delete;
  state& operator=(const state&) = delete;
  ~state() {
    if (reply) asio::post(io, [r = std::move(reply)] {});
  }

  asio::io_context& io;
  std::shared_ptr<detail::ws_http_reply> reply;
};

void http_responder::respond(http_response response) {
  if (!state_) return;
  std::shared_ptr<state> s = std::move(state_);
  asio::post(s->io, [reply = std::move(s->reply), response = std::move(response)]() mutable {
    response.headers.emplace_back("Content-Type", std::move(response.content_type));
    reply->send(response.status, response.headers, std::move(response.body));
  });
}

/// What the listener reports to. The server owns it (and the listener); the listener only observes
/// it, so dropping the server frees both even if the io_context never runs the stop.
struct websocket_server::parts final : detail::ws_server_events {
  parts(asio::io_context& io, websocket_server_options options) : io(io), options(std::move(options)) {}

  std::shared_ptr<detail::ws_events> ws_accept(const detail::ws_http_request& upgrade,
                                               const std::shared_ptr<detail::ws_link>& link) override {
    if (!options.on_accept) return nullptr;
    auto session = std::make_shared<detail::ws_session>(io, options.limits, options.close_timeout,
                                                        "the WebSocket client of " + upgrade.resource,
                                                        to_public(detail::ws_http_request(upgrade)));
    std::shared_ptr<transport_handler> handler = options.on_accept(session);
    if (!handler) return nullptr;
    session->start_server(link, std::move(handler));
    return session;
  }

  void ws_http(detail::ws_http_request&& request, std::shared_ptr<detail::ws_http_reply> reply) override {
    if (!options.on_http) {
      reply->send(404, {{"Content-Type", "text/plain"}}, "no HTTP handler\n");
      return;
    }
    options.on_http(to_public(std::move(request)), http_responder(std::make_shared<http_responder::state>(io, std::move(reply))));
  }

  asio::io_context& io;
  const websocket_server_options options;
  std::shared_ptr<detail::ws_listener> listener;
};

rt::result<std::unique_ptr<websocket_server>> websocket_server::listen(asio::io_context& io,
                                                                      websocket_server_options options) {
  const std::string host = options.host;
  const std::uint16_t requested = options.port;
  const detail::ws_settings settings{options.limits.max_message_bytes, 0,
                                     static_cast<long>(options.close_timeout.count())};
  auto p = std::make_shared<parts>(io, std::move(options));
  std::string error;
  p->listener = detail::ws_listen(io, host, requested, settings, p, error);
  if (!p->listener) {
    const bool bad_host = error.starts_with("not an IP address");
    return rt::error{bad_host ? rt::errc::invalid_argument : rt::errc::transport, "websocket_server: " + error};
  }
  const std::uint16_t port = p->listener->port();
  return std::unique_ptr<websocket_server>(new websocket_server(io, std::move(p), host, port));
}

websocket_server::websocket_server(asio::io_context& io, std::shared_ptr<parts> p, std::string host, std::uint16_t port)
    : io_(io), parts_(std::move(p)), host_(std::move(host)), port_(port) {}

websocket_server::~websocket_server() { stop(); }

std::string websocket_server::url(std::string_view path) const {
  return "ws://" + host_ + ":" + std::to_string(port_) + std::string(path);
}

void websocket_server::stop() {
  std::call_once(stopped_, [this] {
    asio::dispatch(io_, [p = std::move(parts_)] {
      if (auto listener = std::move(p->listener)) listener->stop();
    });
  });
}

}  // namespace janus::protocol
