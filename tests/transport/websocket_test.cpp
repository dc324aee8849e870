// The WebSocket client transport against the WebSocket server on loopback, including the faults
// the mock browser injects (drops, truncated frames, oversized messages, silent servers).
#include "transport_test_support.hpp"

#include <janus/protocol/websocket_server.hpp>
#include <janus/protocol/websocket_transport.hpp>

#include <asio/ip/tcp.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace janus::protocol;
using namespace janus::protocol::test;
using janus::rt::errc;

namespace {

/// A server whose connections are recorded (and echo by default), plus a client factory.
class ws_fixture {
 public:
  explicit ws_fixture(websocket_server_options options = {}, bool echo = true) : echo_(echo) {
    if (!options.on_accept) options.on_accept = [this](const std::shared_ptr<websocket_connection>& c) { return accept(c); };
    auto s = websocket_server::listen(io.io, std::move(options));
    REQUIRE(s);
    server = std::move(s).value();
  }

  std::shared_ptr<transport> connect(const std::shared_ptr<recorder>& rec, const websocket_options& options = {},
                                     const std::string& path = "/devtools/browser/abc") {
    connect_waiter w;
    connect_websocket(io.io, server->url(path), rec, w.callback(), options);
    auto r = w.get();
    REQUIRE(r);
    return std::move(r).value();
  }

  /// The i-th accepted connection and its recorder (waits for it).
  std::pair<std::shared_ptr<websocket_connection>, std::shared_ptr<recorder>> accepted(std::size_t i) {
    std::unique_lock lk(mu_);
    REQUIRE(cv_.wait_for(lk, 10s, [&] { return connections_.size() > i; }));
    return connections_[i];
  }

  io_thread io;
  std::unique_ptr<websocket_server> server;

 private:
  std::shared_ptr<transport_handler> accept(const std::shared_ptr<websocket_connection>& c) {
    auto rec = std::make_shared<recorder>(io.id());
    if (echo_) {
      std::weak_ptr<websocket_connection> weak = c;
      rec->hook = [weak](std::string& m) {
        if (auto conn = weak.lock()) (void)conn->send(m);
      };
    }
    std::lock_guard lk(mu_);
    connections_.emplace_back(c, rec);
    cv_.notify_all();
    return rec;
  }

  const bool echo_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::shared_ptr<websocket_connection>, std::shared_ptr<recorder>>> connections_;
};

/// A blocking HTTP/1.1 exchange over a plain socket; gives up after `timeout` without data.
std::string http_exchange(std::uint16_t port, const std::string& request, std::chrono::milliseconds timeout = 5s) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string response;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      response += "<timeout>";
      break;
    }
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response;
}

std::string get(std::uint16_t port, const std::string& path, std::chrono::milliseconds timeout = 5s) {
  return http_exchange(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", timeout);
}

}  // namespace

TEST_CASE("websocket: echo in order, callbacks on the io thread", "[transport][websocket]") {
  ws_fixture f;
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  for (int i = 0; i < 200; ++i) REQUIRE(t->send("{\"id\":" + std::to_string(i) + "}"));
  REQUIRE(rec->wait_messages(200));
  const auto got = rec->messages();
  for (int i = 0; i < 200; ++i) REQUIRE(got[static_cast<std::size_t>(i)] == "{\"id\":" + std::to_string(i) + "}");
  auto [conn, server_rec] = f.accepted(0);
  CHECK(conn->request().resource == "/devtools/browser/abc");
  CHECK(conn->request().method == "GET");
  CHECK_FALSE(conn->request().header("sec-websocket-key").empty());
  CHECK(rec->wait([&] { return t->queued_messages() == 0; }, 5s));
  CHECK_FALSE(rec->misbehaved());
  CHECK_FALSE(server_rec->misbehaved());
}

TEST_CASE("websocket: 20 MB messages both ways", "[transport][websocket]") {
  ws_fixture f;
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  std::string big(20u << 20, 'w');
  big[777] = '!';
  REQUIRE(t->send(big));
  REQUIRE(rec->wait_messages(1, 40s));
  CHECK(rec->messages()[0] == big);
}

TEST_CASE("websocket: the server's messages sent before the handshake arrive first", "[transport][websocket]") {
  websocket_server_options options;
  std::shared_ptr<recorder> server_rec;
  io_thread* io = nullptr;
  options.on_accept = [&](const std::shared_ptr<websocket_connection>& c) {
    server_rec = std::make_shared<recorder>(io->id());
    (void)c->send("welcome");  // checked by its arrival (no Catch2 assertions off the test thread)
    return server_rec;
  };
  ws_fixture f(options);
  io = &f.io;
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  REQUIRE(rec->wait_messages(1));
  CHECK(rec->messages()[0] == "welcome");
}

TEST_CASE("websocket: an oversized incoming message ends the connection", "[transport][websocket]") {
  ws_fixture f({}, false);
  auto rec = std::make_shared<recorder>(f.io.id());
  websocket_options options;
  options.limits.max_message_bytes = 1u << 20;
  auto t = f.connect(rec, options);
  auto [conn, server_rec] = f.accepted(0);
  REQUIRE(conn->send(std::string(1u << 20, 'a')));  // exactly the limit: fine
  REQUIRE(rec->wait_messages(1));
  REQUIRE(conn->send(std::string((1u << 20) + 1, 'b')));
  REQUIRE(rec->wait_closed());
  CHECK(rec->why().code == errc::message_too_large);
  CHECK(rec->why().message.find("1048576-byte limit") != std::string::npos);
  CHECK(rec->message_count() == 1);
  CHECK_FALSE(t->is_open());
  REQUIRE(server_rec->wait_closed());  // the server sees the drop
  std::this_thread::sleep_for(50ms);
  CHECK(rec->closes() == 1);
  CHECK_FALSE(rec->misbehaved());
}

TEST_CASE("websocket: the server's own size limit", "[transport][websocket]") {
  websocket_server_options options;
  options.limits.max_message_bytes = 1000;
  ws_fixture f(options, false);
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  auto [conn, server_rec] = f.accepted(0);
  REQUIRE(t->send(std::string(2000, 'x')));
  REQUIRE(server_rec->wait_closed());
  CHECK(server_rec->why().code == errc::message_too_large);
  CHECK(server_rec->message_count() == 0);
  REQUIRE(rec->wait_closed());
  CHECK(rec->why().code == errc::disconnected);
}

TEST_CASE("websocket: the server closing mid-stream ends the client once", "[transport][websocket]") {
  ws_fixture f({}, false);
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  auto [conn, server_rec] = f.accepted(0);
  for (int i = 0; i < 3; ++i) REQUIRE(conn->send("event " + std::to_string(i)));
  conn->close();
  REQUIRE(rec->wait_closed());
  CHECK(rec->messages() == std::vector<std::string>{"event 0", "event 1", "event 2"});
  CHECK(rec->why().code == errc::disconnected);
  CHECK(rec->why().message.find("close code 1000") != std::string::npos);
  REQUIRE(server_rec->wait_closed());
  CHECK(server_rec->why().message == "closed by this side");
  CHECK(t->send("anyone?").code() == errc::disconnected);
  std::this_thread::sleep_for(100ms);
  CHECK(rec->closes() == 1);
  CHECK(server_rec->closes() == 1);
  CHECK_FALSE(rec->misbehaved());
}

TEST_CASE("websocket: a dropped TCP connection", "[transport][websocket]") {
  ws_fixture f({}, false);
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  auto [conn, server_rec] = f.accepted(0);
  REQUIRE(conn->send("before"));
  conn->drop();
  REQUIRE(rec->wait_closed());
  CHECK(rec->messages() == std::vector<std::string>{"before"});
  CAPTURE(rec->why().message);
  CHECK(rec->why().code == errc::disconnected);
  CHECK(rec->why().message.find("without a WebSocket close frame") != std::string::npos);
  REQUIRE(server_rec->wait_closed());
  CHECK(server_rec->why().code == errc::disconnected);
}

TEST_CASE("websocket: truncated frames never deliver half a message", "[transport][websocket]") {
  const std::vector<std::string> truncations{
      std::string("\x81", 1),                // a header byte alone
      std::string("\x81\x7e\x01", 3),        // a 16-bit length cut in half
      std::string("\x81\x64", 2) + "0123456789",  // 100 bytes announced, 10 sent
  };
  for (const std::string& tail : truncations) {
    CAPTURE(tail.size());
    ws_fixture f({}, false);
    auto rec = std::make_shared<recorder>(f.io.id());
    auto t = f.connect(rec);
    auto [conn, server_rec] = f.accepted(0);
    REQUIRE(conn->send("whole"));
    conn->drop(tail);
    REQUIRE(rec->wait_closed());
    CHECK(rec->messages() == std::vector<std::string>{"whole"});
    CHECK(rec->why().code == errc::disconnected);
    CHECK(rec->closes() == 1);
  }
}

TEST_CASE("websocket: a full send queue refuses, then on_writable fires", "[transport][websocket]") {
  ws_fixture f({}, false);
  auto rec = std::make_shared<recorder>(f.io.id());
  websocket_options options;
  options.limits.max_queued_bytes = 1u << 20;
  options.limits.low_water_bytes = 256u << 10;
  auto t = f.connect(rec, options);
  auto [conn, server_rec] = f.accepted(0);

  // Hold the io thread so nothing is written: the queue can only grow.
  std::promise<void> release;
  std::promise<void> holding;
  asio::post(f.io.io, [&] {
    holding.set_value();
    release.get_future().wait();
  });
  holding.get_future().wait();
  const std::string chunk(64u << 10, 'c');
  std::size_t accepted = 0;
  janus::rt::result<void> last;
  while ((last = t->send(chunk))) ++accepted;
  CHECK(last.code() == errc::mailbox_full);
  CHECK(accepted == 16);  // 16 x 64 KiB = the 1 MiB limit
  CHECK(t->queued_bytes() == accepted * chunk.size());
  CHECK(rec->writable() == 0);
  release.set_value();

  REQUIRE(rec->wait_writable());
  CHECK(rec->writable() == 1);
  REQUIRE(t->send(chunk));
  REQUIRE(server_rec->wait_messages(accepted + 1));
  CHECK(rec->wait([&] { return t->queued_bytes() == 0; }, 5s));
}

TEST_CASE("websocket: client close() is a clean close handshake", "[transport][websocket]") {
  ws_fixture f({}, false);
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  auto [conn, server_rec] = f.accepted(0);
  REQUIRE(t->send("goodbye"));
  t->close();
  CHECK(t->send("late").code() == errc::disconnected);
  REQUIRE(rec->wait_closed());
  CHECK(rec->why().code == errc::disconnected);
  CHECK(rec->why().message == "closed by this side");
  REQUIRE(server_rec->wait_closed());
  CHECK(server_rec->messages() == std::vector<std::string>{"goodbye"});
  CHECK(server_rec->why().message.find("close code 1000") != std::string::npos);
}

TEST_CASE("websocket: dropping the last client handle closes the connection", "[transport][websocket]") {
  ws_fixture f({}, false);
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  auto [conn, server_rec] = f.accepted(0);
  t.reset();
  REQUIRE(rec->wait_closed());
  REQUIRE(server_rec->wait_closed());
}

TEST_CASE("websocket: send() refuses invalid UTF-8", "[transport][websocket]") {
  ws_fixture f;
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  auto r = t->send("\xff\xfe");
  CHECK(r.code() == errc::invalid_argument);
  REQUIRE(t->send("still fine \xc3\xa9"));
  REQUIRE(rec->wait_messages(1));
}

TEST_CASE("websocket: connect failures", "[transport][websocket]") {
  io_thread io;
  auto rec = std::make_shared<recorder>(io.id());

  SECTION("malformed URL") {
    connect_waiter w;
    connect_websocket(io.io, "not a url", rec, w.callback());
    auto r = w.get();
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::invalid_argument);
  }
  SECTION("refused") {
    std::uint16_t port;
    {
      asio::io_context tmp;
      asio::ip::tcp::acceptor a(tmp, {asio::ip::address_v4::loopback(), 0});
      port = a.local_endpoint().port();
    }
    connect_waiter w;
    connect_websocket(io.io, "ws://127.0.0.1:" + std::to_string(port) + "/", rec, w.callback());
    auto r = w.get();
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::transport);
    CHECK(r.err().message.find("refused") != std::string::npos);
  }
  SECTION("upgrade rejected with 404") {
    websocket_server_options options;
    options.on_accept = [](const std::shared_ptr<websocket_connection>&) { return std::shared_ptr<transport_handler>(); };
    auto server = websocket_server::listen(io.io, options);
    REQUIRE(server);
    connect_waiter w;
    connect_websocket(io.io, server.value()->url("/nope"), rec, w.callback());
    auto r = w.get();
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::transport);
    CHECK(r.err().message.find("404") != std::string::npos);
  }
  SECTION("a server that never answers the handshake") {
    asio::io_context tmp;
    asio::ip::tcp::acceptor a(tmp, {asio::ip::address_v4::loopback(), 0});
    connect_waiter w;
    websocket_options options;
    options.connect_timeout = 300ms;
    const auto start = std::chrono::steady_clock::now();
    connect_websocket(io.io, "ws://127.0.0.1:" + std::to_string(a.local_endpoint().port()) + "/", rec, w.callback(),
                      options);
    asio::ip::tcp::socket silent(tmp);
    a.accept(silent);
    auto r = w.get();
    REQUIRE_FALSE(r);
    CHECK(r.code() == errc::timeout);
    CHECK(std::chrono::steady_clock::now() - start >= 250ms);
  }
  CHECK(rec->closes() == 0);
  CHECK(rec->message_count() == 0);
}

TEST_CASE("websocket server: plain HTTP requests", "[transport][websocket][http]") {
  websocket_server_options options;
  std::mutex mu;
  std::vector<http_responder> held;
  options.on_http = [&](http_request request, http_responder responder) {
    if (request.resource == "/json/version") {
      responder.respond({200, R"({"Browser":"Mock/1.0","webSocketDebuggerUrl":"ws://x"})"});
    } else if (request.resource == "/json/slow") {
      std::thread([r = std::move(responder)]() mutable {
        std::this_thread::sleep_for(200ms);
        r.respond({200, "[]"});
      }).detach();
    } else if (request.resource == "/json/never") {
      std::lock_guard lk(mu);
      held.push_back(std::move(responder));  // keep it: the request hangs
    } else {
      responder.respond({404, "no such page", "text/plain"});
    }
  };
  ws_fixture f(options);

  const std::string version = get(f.server->port(), "/json/version");
  CHECK(version.starts_with("HTTP/1.1 200"));
  CHECK(version.find("Content-Type: application/json") != std::string::npos);
  CHECK(version.ends_with(R"({"Browser":"Mock/1.0","webSocketDebuggerUrl":"ws://x"})"));

  const auto start = std::chrono::steady_clock::now();
  const std::string slow = get(f.server->port(), "/json/slow");
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);
  CHECK(slow.ends_with("[]"));

  CHECK(get(f.server->port(), "/missing").starts_with("HTTP/1.1 404"));

  CHECK(get(f.server->port(), "/json/never", 300ms) == "<timeout>");
  {
    std::lock_guard lk(mu);
    CHECK(held.size() == 1);
  }
  // Stopping the server cuts the waiting request off.
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    f.server->stop();
  });
  CHECK(get(f.server->port(), "/json/never", 5s).empty());
  stopper.join();
  std::lock_guard lk(mu);
  held.clear();  // responders must go before the io_context they post to
}

TEST_CASE("websocket server: stop() ends every connection", "[transport][websocket]") {
  ws_fixture f({}, false);
  auto a = std::make_shared<recorder>(f.io.id());
  auto b = std::make_shared<recorder>(f.io.id());
  auto ta = f.connect(a);
  auto tb = f.connect(b);
  auto [ca, ra] = f.accepted(0);
  auto [cb, rb] = f.accepted(1);
  f.server->stop();
  REQUIRE(a->wait_closed());
  REQUIRE(b->wait_closed());
  REQUIRE(ra->wait_closed());
  REQUIRE(rb->wait_closed());
  CHECK(a->why().code == errc::disconnected);
  CHECK(ra->why().message == "closed by this side");
}

TEST_CASE("websocket: an io_context polled from a host loop", "[transport][websocket][poll]") {
  // The runtime's host-frame mode: no I/O thread, the host calls poll() once per frame and every
  // callback happens inside it, on the host's thread.
  asio::io_context io;
  auto rec = std::make_shared<recorder>(std::this_thread::get_id());
  std::shared_ptr<recorder> server_rec;
  websocket_server_options options;
  options.on_accept = [&](const std::shared_ptr<websocket_connection>& c) {
    server_rec = std::make_shared<recorder>(std::this_thread::get_id());
    std::weak_ptr<websocket_connection> weak = c;
    server_rec->hook = [weak](std::string& m) {
      if (auto conn = weak.lock()) (void)conn->send(m);
    };
    return server_rec;
  };
  auto server = websocket_server::listen(io, options);
  REQUIRE(server);
  std::optional<janus::rt::result<std::shared_ptr<transport>>> connected;
  connect_websocket(io, server.value()->url("/poll"), rec,
                    [&](janus::rt::result<std::shared_ptr<transport>> r) { connected.emplace(std::move(r)); });
  const auto frame_loop = [&](auto done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io.poll();
      std::this_thread::sleep_for(1ms);  // the rest of the frame
    }
    return done();
  };
  REQUIRE(frame_loop([&] { return connected.has_value(); }));
  REQUIRE(*connected);
  auto t = connected->value();
  REQUIRE(t->send("ping"));
  REQUIRE(frame_loop([&] { return rec->message_count() == 1; }));
  CHECK(rec->messages()[0] == "ping");
  t->close();
  REQUIRE(frame_loop([&] { return rec->closes() == 1 && server_rec && server_rec->closes() == 1; }));
  CHECK_FALSE(rec->misbehaved());
  CHECK_FALSE(server_rec->misbehaved());
  server.value()->stop();
  io.poll();
}
