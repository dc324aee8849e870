#include <janus/protocol/http_server.hpp>

#include "http_request_parser.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace janus::protocol {

namespace {

using detail::max_request_body_bytes;
using detail::max_request_head_bytes;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

std::string path_of(const std::string& resource) { return resource.substr(0, resource.find_first_of("?#")); }

}  // namespace

// Handlers hold a plain pointer: the state outlives the thread that runs them (stop() joins it),
// and handlers never run after that, so nothing needs to keep the state alive but its owner.
struct http_server::state {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io};
  std::thread thread;
  std::uint16_t port = 0;

  mutable std::mutex mu;
  struct route_entry {
    http_response response;
    std::chrono::milliseconds delay{};
  };
  std::map<std::string, route_entry> routes;
  handler fallback;
  std::vector<http_served> served;
  std::set<std::shared_ptr<asio::ip::tcp::socket>> sockets;  // io thread only
  bool stopped = false;

  void accept() {
    acceptor.async_accept([self = this](const asio::error_code& ec, asio::ip::tcp::socket s) {
      if (ec) return;  // closed by stop()
      asio::error_code ignored;
      s.set_option(asio::ip::tcp::no_delay(true), ignored);
      auto sock = std::make_shared<asio::ip::tcp::socket>(std::move(s));
      self->sockets.insert(sock);
      self->read_request(sock, std::make_shared<asio::streambuf>(max_request_head_bytes + max_request_body_bytes));
      self->accept();
    });
  }

  void drop(const std::shared_ptr<asio::ip::tcp::socket>& sock) {
    asio::error_code ignored;
    sock->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    sock->close(ignored);
    sockets.erase(sock);
  }

  void read_request(std::shared_ptr<asio::ip::tcp::socket> sock, std::shared_ptr<asio::streambuf> buf) {
    asio::async_read_until(*sock, *buf, "\r\n\r\n",
                           [self = this, sock, buf](const asio::error_code& ec, std::size_t head_len) {
                             if (ec || head_len > max_request_head_bytes) return self->drop(sock);
                             auto req = std::make_shared<http_request>();
                             const auto body_len = detail::parse_request_head(
                                 std::string_view(static_cast<const char*>(buf->data().data()), head_len - 4), *req);
                             if (!body_len) return self->drop(sock);
                             buf->consume(head_len);
                             self->read_body(sock, buf, req, *body_len);
                           });
  }

  void read_body(std::shared_ptr<asio::ip::tcp::socket> sock, std::shared_ptr<asio::streambuf> buf,
                 std::shared_ptr<http_request> req, std::size_t body_len) {
    const std::size_t have = buf->size();
    if (have >= body_len) {
      req->body.assign(static_cast<const char*>(buf->data().data()), body_len);
      buf->consume(body_len);
      return respond(sock, buf, req);
    }
    asio::async_read(*sock, *buf, asio::transfer_exactly(body_len - have),
                     [self = this, sock, buf, req, body_len](const asio::error_code& ec, std::size_t) {
                       if (ec) return self->drop(sock);
                       self->read_body(sock, buf, req, body_len);
                     });
  }

  void respond(std::shared_ptr<asio::ip::tcp::socket> sock, std::shared_ptr<asio::streambuf> buf,
               std::shared_ptr<http_request> req) {
    std::optional<http_response> res;
    std::chrono::milliseconds delay{};
    handler fb;
    const std::string path = path_of(req->resource);
    {
      std::lock_guard lock(mu);
      if (auto it = routes.find(path); it != routes.end()) {
        res = it->second.response;
        delay = it->second.delay;
      } else {
        fb = fallback;
      }
    }
    if (!res && fb) res = fb(*req);
    if (!res) {
      res.emplace();
      res->status = 404;
      res->content_type = "text/plain; charset=utf-8";
      res->body = "not found: " + path + "\n";
    }
    auto response = std::make_shared<http_response>(std::move(*res));
    if (delay.count() > 0) {
      auto timer = std::make_shared<asio::steady_timer>(io, delay);
      timer->async_wait([self = this, sock, buf, req, response, timer](const asio::error_code& ec) {
        if (ec) return;
        self->write(sock, buf, req, response);
      });
    } else {
      write(sock, buf, req, response);
    }
  }

  void write(std::shared_ptr<asio::ip::tcp::socket> sock, std::shared_ptr<asio::streambuf> buf,
             std::shared_ptr<http_request> req, std::shared_ptr<http_response> res) {
    if (!sockets.count(sock)) return;  // stopped meanwhile
    const bool head = req->method == "HEAD";
    auto out = std::make_shared<std::string>();
    *out = "HTTP/1.1 " + std::to_string(res->status) + " " + reason_phrase(res->status) + "\r\n";
    *out += "Content-Type: " + res->content_type + "\r\n";
    *out += "Content-Length: " + std::to_string(res->body.size()) + "\r\n";
    bool has_cache_control = false;
    for (const auto& [k, v] : res->headers) {
      *out += k + ": " + v + "\r\n";
      if (lower(k) == "cache-control") has_cache_control = true;
    }
    // Pages are regenerated per test; a cached copy would hide requests from served().
    if (!has_cache_control) *out += "Cache-Control: no-store\r\n";
    *out += "Connection: keep-alive\r\n\r\n";
    if (!head) *out += res->body;
    {
      std::lock_guard lock(mu);
      served.push_back({req->method, req->resource, res->status, head ? 0 : res->body.size()});
    }
    asio::async_write(*sock, asio::buffer(*out),
                      [self = this, sock, buf, out](const asio::error_code& ec, std::size_t) {
                        if (ec) return self->drop(sock);
                        self->read_request(sock, buf);
                      });
  }
};

rt::result<std::unique_ptr<http_server>> http_server::start(std::uint16_t port) {
  auto s = std::make_shared<state>();
  asio::error_code ec;
  const asio::ip::tcp::endpoint ep(asio::ip::address_v4::loopback(), port);
  s->acceptor.open(ep.protocol(), ec);
  if (!ec) s->acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) s->acceptor.bind(ep, ec);
  if (!ec) s->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return rt::error{rt::errc::transport, "HTTP server: cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                                              ec.message()};
  s->port = s->acceptor.local_endpoint().port();
  s->accept();
  s->thread = std::thread([io = &s->io] { io->run(); });
  return std::unique_ptr<http_server>(new http_server(s));
}

http_server::http_server(std::shared_ptr<state> s) : state_(std::move(s)) {}

http_server::~http_server() { stop(); }

std::uint16_t http_server::port() const noexcept { return state_->port; }

std::string http_server::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + (path.empty() || path[0] != '/' ? "/" : "") + path;
}

void http_server::route(std::string path, http_response response, std::chrono::milliseconds delay) {
  std::lock_guard lock(state_->mu);
  state_->routes[std::move(path)] = state::route_entry{std::move(response), delay};
}

void http_server::fallback(handler h) {
  std::lock_guard lock(state_->mu);
  state_->fallback = std::move(h);
}

std::vector<http_served> http_server::served() const {
  std::lock_guard lock(state_->mu);
  return state_->served;
}

void http_server::clear_served() {
  std::lock_guard lock(state_->mu);
  state_->served.clear();
}

void http_server::stop() {
  {
    std::lock_guard lock(state_->mu);
    if (state_->stopped) return;
    state_->stopped = true;
  }
  asio::post(state_->io, [s = state_.get()] {
    asio::error_code ignored;
    s->acceptor.close(ignored);
    for (const auto& sock : std::vector(s->sockets.begin(), s->sockets.end())) s->drop(sock);
    s->io.stop();
  });
  if (state_->thread.joinable()) state_->thread.join();
}

}  // namespace janus::protocol
