// An HTTP request and response as plain values, shared by the two loopback servers (the
// WebSocket test server's HTTP side, and http_server for pages).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace janus::protocol {

/// A request as received: a plain HTTP request, or the upgrade request of a WebSocket.
///
/// @par Thread Safety
/// A plain value.
struct http_request {
  std::string method;
  std::string resource;  // path and query, as sent ("/json/version")
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  /// The value of the first header named `name` (case-insensitive), or empty.
  std::string_view header(std::string_view name) const noexcept;
};

/// @par Thread Safety
/// A plain value.
struct http_response {
  http_response() = default;
  http_response(int status_code, std::string body_text,
                std::string type = "application/json; charset=UTF-8")
      : status(status_code), body(std::move(body_text)), content_type(std::move(type)) {}

  int status = 200;
  std::string body;
  std::string content_type = "application/json; charset=UTF-8";
  std::vector<std::pair<std::string, std::string>> headers;
};

}  // namespace janus::protocol
