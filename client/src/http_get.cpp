// fetch_websocket_url: one HTTP/1.1 GET of /json/version on the scheduler's io_context, bridged to
// a coroutine through a reply cell (the same meeting point an actor's ask uses).
#include <janus/client/browser.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt/executor.hpp>
#include <janus/rt/reply_cell.hpp>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>

#include <array>
#include <cctype>
#include <charconv>
#include <memory>
#include <string>

namespace janus::client {

namespace {

using cell_type = rt::reply_cell<std::string>;

// One GET in flight.
//
// @par Thread Safety
// All handlers run on one strand, since the scheduler's io_context may be driven by several
// workers; the reply cell is the only thing shared with the awaiting coroutine.
class http_get_op : public std::enable_shared_from_this<http_get_op> {
 public:
  http_get_op(asio::io_context& io, cell_type* cell, std::string host, std::string port, std::string path)
      : strand_(asio::make_strand(io)),
        resolver_(strand_),
        socket_(strand_),
        timer_(strand_),
        cell_(cell),
        host_(std::move(host)),
        port_(std::move(port)),
        path_(std::move(path)) {}

  void start(rt::deadline d) {
    asio::post(strand_, [self = shared_from_this(), d] {
      if (!d.is_never()) {
        self->timer_.expires_at(d.at());
        self->timer_.async_wait([self](std::error_code ec) {
          if (!ec) self->finish(rt::error{rt::errc::timeout, "GET " + self->url() + ": no answer before the deadline"});
        });
      }
      self->resolver_.async_resolve(self->host_, self->port_, [self](std::error_code ec, asio::ip::tcp::resolver::results_type rs) {
        if (ec) return self->fail("resolve", ec);
        asio::async_connect(self->socket_, rs, [self](std::error_code ec, const asio::ip::tcp::endpoint&) {
          if (ec) return self->fail("connect", ec);
          self->request_ = "GET " + self->path_ + " HTTP/1.1\r\nHost: " + self->host_ + ":" + self->port_ +
                           "\r\nAccept: application/json\r\nConnection: close\r\n\r\n";
          asio::async_write(self->socket_, asio::buffer(self->request_), [self](std::error_code ec, std::size_t) {
            if (ec) return self->fail("write", ec);
            self->read();
          });
        });
      });
    });
  }

 private:
  std::string url() const { return "http://" + host_ + ":" + port_ + path_; }

  void read() {
    socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](std::error_code ec, std::size_t n) {
      self->response_.append(self->buf_.data(), n);
      if (self->complete()) return;
      if (ec == asio::error::eof) return self->finish_response();
      if (ec) return self->fail("read", ec);
      if (self->response_.size() > (1u << 20)) return self->finish(rt::error{rt::errc::message_too_large, "GET " + self->url() + ": answer over 1 MiB"});
      self->read();
    });
  }

  // The whole body is in once Content-Length bytes follow the headers (the answer may keep the
  // connection open despite Connection: close).
  bool complete() {
    const auto end = response_.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::string head = response_.substr(0, end);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = head.find("content-length:");
    if (at == std::string::npos) return false;
    std::size_t pos = at + 15;
    while (pos < head.size() && head[pos] == ' ') ++pos;
    std::size_t length = 0;
    std::from_chars(head.data() + pos, head.data() + head.size(), length);
    if (response_.size() < end + 4 + length) return false;
    response_.resize(end + 4 + length);
    finish_response();
    return true;
  }

  void finish_response() {
    const auto end = response_.find("\r\n\r\n");
    if (end == std::string::npos || response_.rfind("HTTP/1.", 0) != 0)
      return finish(rt::error{rt::errc::parse, "GET " + url() + ": not an HTTP answer"});
    const auto space = response_.find(' ');
    const std::string status = response_.substr(space + 1, 3);
    if (status != "200") return finish(rt::error{rt::errc::protocol, "GET " + url() + ": HTTP status " + status});
    finish(response_.substr(end + 4));
  }

  void fail(const char* step, std::error_code ec) {
    finish(rt::error{rt::errc::transport, "GET " + url() + ": " + step + ": " + ec.message()});
  }

  void finish(rt::result<std::string> r) {
    if (!cell_) return;
    cell_type* cell = std::exchange(cell_, nullptr);
    if (r) cell->complete_value(std::move(*r));
    else cell->complete_error(std::move(r).err());
    cell->release();
    std::error_code ignored;
    timer_.cancel();
    resolver_.cancel();
    socket_.close(ignored);
  }

  asio::strand<asio::io_context::executor_type> strand_;
  asio::ip::tcp::resolver resolver_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  cell_type* cell_;  // one reference, until finish
  std::string host_, port_, path_, request_, response_;
  std::array<char, 4096> buf_{};
};

/// @par Thread Safety
/// Awaited once, by one coroutine.
class http_get_awaiter {
 public:
  http_get_awaiter(rt::scheduler& s, std::string host, std::string port, std::string path, rt::deadline d)
      : sched_(s), host_(std::move(host)), port_(std::move(port)), path_(std::move(path)), deadline_(d) {}
  http_get_awaiter(const http_get_awaiter&) = delete;
  http_get_awaiter& operator=(const http_get_awaiter&) = delete;
  ~http_get_awaiter() {
    if (!cell_) return;
    cell_->abandon();  // our frame is going away: nobody may resume it
    cell_->release();
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    cell_type* cell = cell_type::create();  // two references: ours and the operation's
    cell_ = cell;
    cell->ex = rt::current_executor();
    if (!cell->ex) cell->ex = &sched_;
    cell->resume.handle = h;
    auto op = std::make_shared<http_get_op>(sched_.io(), cell, host_, port_, path_);
    op->start(deadline_);
  }
  rt::result<std::string> await_resume() {
    rt::result<std::string> r = cell_->take();
    std::exchange(cell_, nullptr)->release();
    return r;
  }

 private:
  rt::scheduler& sched_;
  std::string host_, port_, path_;
  rt::deadline deadline_;
  cell_type* cell_ = nullptr;
};

}  // namespace

rt::task<rt::result<std::string>> fetch_websocket_url(rt::scheduler& sched, std::string http_url, rt::deadline d) {
  std::string rest = http_url;
  if (rest.rfind("http://", 0) != 0) co_return rt::error{rt::errc::invalid_argument, "not an http:// URL: " + http_url};
  rest = rest.substr(7);
  const std::string authority = rest.substr(0, rest.find('/'));
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos || colon + 1 == authority.size())
    co_return rt::error{rt::errc::invalid_argument, "no port in " + http_url};
  std::string host = authority.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = authority.substr(colon + 1);
  http_get_awaiter get(sched, host, port, "/json/version", d);  // not a temporary in co_await (actor.hpp rule 7)
  rt::result<std::string> body = co_await get;
  if (!body) co_return std::move(body).err();
  rt::result<protocol::json_value> v = protocol::json_value::parse(*body);
  if (!v) co_return rt::error{rt::errc::parse, http_url + "/json/version is not JSON: " + v.err().message};
  const std::string* ws = (*v)["webSocketDebuggerUrl"].get_string();
  if (!ws || ws->empty()) co_return rt::error{rt::errc::parse, http_url + "/json/version has no webSocketDebuggerUrl"};
  co_return *ws;
}

}  // namespace janus::client
