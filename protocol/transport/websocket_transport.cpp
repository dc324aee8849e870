#include <janus/protocol/websocket_transport.hpp>

#include "websocket_session.hpp"

#include <asio/post.hpp>

namespace janus::protocol {

void connect_websocket(asio::io_context& io, std::string url, std::shared_ptr<transport_handler> handler,
                       connect_callback done, const websocket_options& options) {
  asio::post(io, [&io, url = std::move(url), handler = std::move(handler), done = std::move(done), options]() mutable {
    auto session = std::make_shared<detail::ws_session>(io, options.limits, options.close_timeout, url, http_request{});
    const detail::ws_settings settings{options.limits.max_message_bytes,
                                       static_cast<long>(options.connect_timeout.count()),
                                       static_cast<long>(options.close_timeout.count())};
    std::string error;
    std::shared_ptr<detail::ws_link> link = detail::ws_connect(io, url, settings, session, error);
    if (!link) {
      done(rt::error{rt::errc::invalid_argument, std::move(error)});
      return;
    }
    session->start_client(std::move(link), std::move(handler), std::move(done), options.connect_timeout);
  });
}

}  // namespace janus::protocol
