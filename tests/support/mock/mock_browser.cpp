// The mock CDP browser's public class (janus/testing/mock_browser.hpp): starting the WebSocket
// server, serving pipe clients, stopping, and the HTTP discovery endpoints. A connection's work is
// in mock_session.cpp and mock_control.cpp; what they share in mock_core.hpp.
#include "janus/testing/mock_browser.hpp"

#include "mock_core.hpp"
#include "mock_session.hpp"

#include <janus/protocol/json_value.hpp>
#include <janus/protocol/json_writer.hpp>
#include <janus/protocol/pipe_transport.hpp>
#include <janus/protocol/websocket_server.hpp>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <random>
#include <vector>

namespace janus::testing {

namespace {

using mock_detail::reply_rule;
using mock_detail::session;
using protocol::json_value;
using protocol::json_writer;
using protocol::transport;
using protocol::websocket_connection;
using rt::errc;
using core = mock_browser::core;

std::string random_hex(std::mt19937_64& rng, std::size_t digits, bool upper) {
  const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < digits; ++i) out += alphabet[rng() & 15];
  return out;
}

// Chromium's browser id is a lowercase UUID, a page's target id 32 uppercase hex digits.
std::string random_uuid(std::mt19937_64& rng) {
  return random_hex(rng, 8, false) + '-' + random_hex(rng, 4, false) + '-' + random_hex(rng, 4, false) + '-' +
         random_hex(rng, 4, false) + '-' + random_hex(rng, 12, false);
}

// --- HTTP discovery endpoints ---------------------------------------------------------------------

constexpr std::string_view product = "HeadlessChrome/156.0.0.0";

std::string version_json(const core& c) {
  json_writer w;
  w.begin_object();
  w.key("Browser");
  w.string(product);
  w.key("Protocol-Version");
  w.string("1.3");
  w.key("User-Agent");
  w.string("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " + std::string(product) +
           " Safari/537.36 JanusMock");
  w.key("V8-Version");
  w.string("15.6.0.0");
  w.key("WebKit-Version");
  w.string("537.36 (@janus-mock-browser)");
  w.key("webSocketDebuggerUrl");
  w.string(c.ws_url("browser", c.browser_id));
  w.end_object();
  return w.take();
}

std::string list_json(const core& c) {
  const std::string ws = c.ws_url("page", c.page_id);
  json_writer w;
  w.begin_array();
  w.begin_object();
  w.key("description");
  w.string("");
  w.key("devtoolsFrontendUrl");
  w.string("/devtools/inspector.html?ws=" + ws.substr(std::string_view("ws://").size()));
  w.key("id");
  w.string(c.page_id);
  w.key("title");
  w.string("about:blank");
  w.key("type");
  w.string("page");
  w.key("url");
  w.string("about:blank");
  w.key("webSocketDebuggerUrl");
  w.string(ws);
  w.end_object();
  w.end_array();
  return w.take();
}

// Just the Mock domain: enough for a client that fetches the schema to find something well-formed.
constexpr std::string_view protocol_json = R"({"version":{"major":"1","minor":"3"},"domains":[{"domain":"Mock",)"
    R"("experimental":true,"commands":[{"name":"emitEvents"},{"name":"replay"},{"name":"delay"},)"
    R"({"name":"neverReply"},{"name":"malformed"},{"name":"oversized"},{"name":"closeMidStream"},)"
    R"({"name":"truncatedFrame"}],"events":[{"name":"event"}]}]})";

void answer_http(const core& c, const protocol::http_request& request, protocol::http_responder& responder) {
  std::string_view path = request.resource;
  path = path.substr(0, path.find('?'));
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (request.method != "GET" && request.method != "PUT")
    return responder.respond({405, "Method not allowed", "text/plain"});
  if (path == "/json/version") return responder.respond({200, version_json(c)});
  if (path == "/json" || path == "/json/list") return responder.respond({200, list_json(c)});
  if (path == "/json/protocol") return responder.respond({200, std::string(protocol_json)});
  responder.respond({404, "Unknown url: " + std::string(path), "text/plain"});
}

}  // namespace

// --- mock_browser -----------------------------------------------------------------------------------

mock_browser::mock_browser(asio::io_context& io, std::shared_ptr<core> c) : io_(io), core_(std::move(c)) {}

rt::result<std::unique_ptr<mock_browser>> mock_browser::start(asio::io_context& io, mock_browser_options options) {
  auto c = std::make_shared<core>(io);
  c->host = options.host;
  c->url_host = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
  c->limits = options.limits;
  std::mt19937_64 rng(std::random_device{}());
  c->browser_id = random_uuid(rng);
  c->page_id = random_hex(rng, 32, true);
  auto recorded = mock_detail::load_capture(options.capture_path);
  if (!recorded) return std::move(recorded).err();
  c->recorded = std::move(recorded).value();

  std::unique_ptr<mock_browser> browser(new mock_browser(io, c));
  for (const auto& [method, json] : options.results)
    if (auto r = browser->set_result(method, json); !r) return std::move(r).err();

  protocol::websocket_server_options server_options;
  server_options.host = options.host;
  server_options.port = options.port;
  server_options.limits = options.limits;
  // The server outlives neither the mock_browser nor core, but its callbacks may be queued on the
  // io_context past stop(): they hold core, not the mock_browser.
  server_options.on_accept = [c](const std::shared_ptr<websocket_connection>& connection)
      -> std::shared_ptr<protocol::transport_handler> {
    if (!connection->request().resource.starts_with("/devtools/")) return nullptr;
    auto s = std::make_shared<session>(c, nullptr);
    s->attach_websocket(connection);
    c->connections.fetch_add(1, std::memory_order_relaxed);
    return s;
  };
  server_options.on_http = [c](protocol::http_request request, protocol::http_responder responder) {
    answer_http(*c, request, responder);
  };
  auto server = protocol::websocket_server::listen(io, std::move(server_options));
  if (!server) return std::move(server).err();
  browser->server_ = std::move(server).value();
  c->port = browser->server_->port();
  return browser;
}

mock_browser::~mock_browser() { stop(); }

std::uint16_t mock_browser::port() const noexcept { return core_->port; }
std::string mock_browser::browser_ws_url() const { return core_->ws_url("browser", core_->browser_id); }
std::string mock_browser::page_ws_url() const { return core_->ws_url("page", core_->page_id); }
std::string mock_browser::http_url() const { return "http://" + core_->url_host + ":" + std::to_string(core_->port); }

rt::result<void> mock_browser::set_result(std::string_view method, std::string_view result_json) {
  auto parsed = json_value::parse(result_json);
  if (!parsed || !parsed.value().is_object())
    return rt::error(errc::invalid_argument, "mock browser: the result of " + std::string(method) + " is not a JSON object");
  // Stored as re-serialized, so stray whitespace or newlines cannot leak into the reply frame.
  core_->set_rule(method, reply_rule{false, parsed.value().dump()});
  return rt::ok;
}

void mock_browser::set_error(std::string_view method, std::int64_t code, std::string_view message) {
  json_writer w;
  w.begin_object();
  w.key("code");
  w.number(code);
  w.key("message");
  w.string(message);
  w.end_object();
  core_->set_rule(method, reply_rule{true, w.take()});
}

void mock_browser::clear_reply(std::string_view method) {
  std::lock_guard lk(core_->rules_mu);
  if (const auto it = core_->rules.find(method); it != core_->rules.end()) core_->rules.erase(it);
}

rt::result<void> mock_browser::serve_pipe(int read_fd, int write_fd, std::function<void()> on_closed) {
  const int raw_fd = write_fd >= 0 ? ::fcntl(write_fd, F_DUPFD_CLOEXEC, 0) : -1;
  {
    std::lock_guard lk(core_->pipes_mu);
    if (core_->stopped) {
      for (int fd : {read_fd, write_fd, raw_fd})
        if (fd >= 0) ::close(fd);
      return rt::error(errc::disconnected, "mock browser: stopped");
    }
  }
  auto s = std::make_shared<session>(core_, std::move(on_closed));
  protocol::pipe_options options;
  options.limits = core_->limits;
  auto t = protocol::open_pipe_transport(io_, read_fd, write_fd, s, options);
  if (!t) {
    if (raw_fd >= 0) ::close(raw_fd);
    return std::move(t).err();
  }
  if (raw_fd < 0) {
    t.value()->close();
    return rt::error(errc::invalid_argument, "mock browser: cannot duplicate the pipe's write descriptor");
  }
  std::shared_ptr<transport> handle = std::move(t).value();
  {
    std::lock_guard lk(core_->pipes_mu);
    core_->pipes.push_back(handle);
  }
  core_->connections.fetch_add(1, std::memory_order_relaxed);
  asio::post(io_, [s, handle, raw_fd] { s->attach_pipe(handle, raw_fd); });
  return rt::ok;
}

std::uint64_t mock_browser::requests_received() const noexcept { return core_->requests.load(std::memory_order_relaxed); }
std::uint64_t mock_browser::connections_accepted() const noexcept {
  return core_->connections.load(std::memory_order_relaxed);
}
std::uint64_t mock_browser::events_emitted() const noexcept { return core_->events.load(std::memory_order_relaxed); }

void mock_browser::stop() {
  std::vector<std::shared_ptr<transport>> pipes;
  {
    std::lock_guard lk(core_->pipes_mu);
    core_->stopped = true;
    pipes.swap(core_->pipes);
  }
  if (server_) server_->stop();
  for (const auto& p : pipes) p->close();
}

}  // namespace janus::testing
