// The TCP transport against a loopback acceptor driven synchronously by the test thread.
#include "transport_test_support.hpp"

#include <janus/protocol/tcp_transport.hpp>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace janus::protocol;
using namespace janus::protocol::test;
using janus::rt::errc;

namespace {

/// A listening socket on 127.0.0.1 served by blocking calls from the test thread.
struct loopback_peer {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor{io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
  asio::ip::tcp::socket socket{io};

  std::uint16_t port() const { return acceptor.local_endpoint().port(); }
  void accept() { acceptor.accept(socket); }
  std::string read_exactly(std::size_t n) {
    std::string out(n, '\0');
    asio::error_code ec;
    const std::size_t got = asio::read(socket, asio::buffer(out), ec);
    out.resize(got);
    return out;
  }
  void write(std::string_view bytes) { asio::write(socket, asio::buffer(bytes.data(), bytes.size())); }
};

std::shared_ptr<transport> connect(io_thread& io, std::uint16_t port, std::shared_ptr<recorder> rec,
                                   std::unique_ptr<stream_framer> framer = nullptr, tcp_options options = {}) {
  connect_waiter w;
  connect_tcp(io.io, "127.0.0.1", port, std::move(rec), w.callback(), options, std::move(framer));
  auto r = w.get();
  REQUIRE(r);
  return std::move(r).value();
}

}  // namespace

TEST_CASE("tcp transport moves raw bytes without a framer", "[transport][tcp]") {
  io_thread io;
  loopback_peer peer;
  auto rec = std::make_shared<recorder>(io.id());
  auto t = connect(io, peer.port(), rec);
  peer.accept();
  REQUIRE(t->send("12:{\"to\":\"root\"}"));
  CHECK(peer.read_exactly(16) == "12:{\"to\":\"root\"}");
  peer.write("30:{\"from\":\"root\",");
  peer.write("\"x\":1}");
  REQUIRE(rec->wait([&] { return rec->bytes_ >= 24; }));
  CHECK(rec->joined() == "30:{\"from\":\"root\",\"x\":1}");
  CHECK_FALSE(rec->misbehaved());
}

TEST_CASE("tcp transport delivers whole messages through a framer", "[transport][tcp]") {
  io_thread io;
  loopback_peer peer;
  auto rec = std::make_shared<recorder>(io.id());
  auto t = connect(io, peer.port(), rec, make_nul_framer());
  peer.accept();
  peer.write(std::string_view("one\0tw", 6));
  peer.write(std::string_view("o\0", 2));
  REQUIRE(rec->wait_messages(2));
  CHECK(rec->messages() == std::vector<std::string>{"one", "two"});
  REQUIRE(t->send("three"));
  CHECK(peer.read_exactly(6) == std::string("three\0", 6));
}

TEST_CASE("tcp transport resolves host names", "[transport][tcp]") {
  io_thread io;
  loopback_peer peer;
  auto rec = std::make_shared<recorder>(io.id());
  connect_waiter w;
  connect_tcp(io.io, "localhost", peer.port(), rec, w.callback());
  auto r = w.get();
  // "localhost" may resolve to ::1 first; the IPv4 listener still gets the connection.
  REQUIRE(r);
  peer.accept();
  REQUIRE(r.value()->send("hi"));
  CHECK(peer.read_exactly(2) == "hi");
}

TEST_CASE("tcp transport reports the peer closing", "[transport][tcp]") {
  io_thread io;
  loopback_peer peer;
  auto rec = std::make_shared<recorder>(io.id());
  auto t = connect(io, peer.port(), rec);
  peer.accept();
  peer.write("bye");
  peer.socket.close();
  REQUIRE(rec->wait_closed());
  CHECK(rec->joined() == "bye");
  CHECK(rec->why().code == errc::disconnected);
  CHECK(rec->why().message.find("EOF") != std::string::npos);
  std::this_thread::sleep_for(50ms);
  CHECK(rec->closes() == 1);
  CHECK_FALSE(t->is_open());
}

TEST_CASE("tcp transport close() flushes and the peer sees EOF", "[transport][tcp]") {
  io_thread io;
  loopback_peer peer;
  auto rec = std::make_shared<recorder>(io.id());
  auto t = connect(io, peer.port(), rec);
  peer.accept();
  REQUIRE(t->send("final"));
  t->close();
  REQUIRE(rec->wait_closed());
  CHECK(rec->why().code == errc::disconnected);
  CHECK(peer.read_exactly(5) == "final");
  CHECK(peer.read_exactly(1).empty());  // EOF
}

TEST_CASE("tcp transport: a refused connection fails the connect", "[transport][tcp]") {
  io_thread io;
  std::uint16_t port;
  {
    loopback_peer closed;  // bound then released: nothing listens there now
    port = closed.port();
  }
  auto rec = std::make_shared<recorder>(io.id());
  connect_waiter w;
  connect_tcp(io.io, "127.0.0.1", port, rec, w.callback());
  auto r = w.get();
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::transport);
  CHECK(r.err().message.find("refused") != std::string::npos);
  CHECK(rec->closes() == 0);  // the handler of a failed connect is never called
}

TEST_CASE("tcp transport: the connect deadline applies", "[transport][tcp]") {
  // A listener with a zero backlog that never accepts: once its queue holds one connection, the
  // kernel drops further SYNs, so a connect hangs until its deadline.
  asio::io_context sync;
  asio::ip::tcp::acceptor full(sync);
  full.open(asio::ip::tcp::v4());
  full.bind({asio::ip::address_v4::loopback(), 0});
  full.listen(0);
  const auto port = full.local_endpoint().port();
  // Non-blocking connects by hand: asio's synchronous connect would wait for them to finish.
  std::vector<int> fillers;
  for (int i = 0; i < 3; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    (void)::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(50ms);

  io_thread io;
  auto rec = std::make_shared<recorder>(io.id());
  connect_waiter w;
  tcp_options options;
  options.connect_timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  connect_tcp(io.io, "127.0.0.1", port, rec, w.callback(), options);
  auto r = w.get();
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::timeout);
  CHECK(std::chrono::steady_clock::now() - start >= 250ms);
  for (int fd : fillers) ::close(fd);
}

TEST_CASE("tcp transport: the RDP-style greeting arrives in pieces through the chunk framer", "[transport][tcp]") {
  // What the Firefox test relies on: concatenating chunks reproduces the stream exactly.
  io_thread io;
  loopback_peer peer;
  auto rec = std::make_shared<recorder>(io.id());
  auto t = connect(io, peer.port(), rec);
  peer.accept();
  std::string greeting = "{\"from\":\"root\",\"applicationType\":\"browser\",\"traits\":{}}";
  greeting = std::to_string(greeting.size()) + ":" + greeting;
  for (char c : greeting) peer.write(std::string_view(&c, 1));
  REQUIRE(rec->wait([&] { return rec->bytes_ >= greeting.size(); }));
  CHECK(rec->joined() == greeting);
}

TEST_CASE("tcp transport with the RDP framer delivers whole packets", "[transport][tcp][rdp]") {
  io_thread io;
  loopback_peer peer;
  auto rec = std::make_shared<recorder>(io.id());
  auto t = connect(io, peer.port(), rec, make_rdp_stream_framer());
  peer.accept();
  const std::string greeting = R"({"from":"root","applicationType":"browser"})";
  const std::string bulk("bulk actor1 heap 5:ab\0de", 24);
  const std::string stream = std::to_string(greeting.size()) + ":" + greeting + bulk + "2:{}";
  // Byte by byte: every split point of the length prefix, the JSON and the bulk header.
  for (char c : stream) peer.write(std::string_view(&c, 1));
  REQUIRE(rec->wait_messages(3));
  const auto messages = rec->messages();
  CHECK(messages[0] == greeting);
  CHECK(messages[1] == bulk);
  CHECK(messages[2] == "{}");

  REQUIRE(t->send(R"({"to":"root","type":"getRoot"})"));
  CHECK(peer.read_exactly(33) == R"(30:{"to":"root","type":"getRoot"})");
}

TEST_CASE("tcp transport with the RDP framer: a malformed header ends the connection", "[transport][tcp][rdp]") {
  io_thread io;
  loopback_peer peer;
  auto rec = std::make_shared<recorder>(io.id());
  tcp_options options;
  options.limits.max_message_bytes = 100;
  auto t = connect(io, peer.port(), rec, make_rdp_stream_framer(), options);
  peer.accept();

  SECTION("not a length") {
    peer.write("2:{}x1:{");
    REQUIRE(rec->wait_closed());
    CHECK(rec->why().code == errc::parse);
  }
  SECTION("above the limit") {
    peer.write("2:{}1000:{");
    REQUIRE(rec->wait_closed());
    CHECK(rec->why().code == errc::message_too_large);
  }
  CHECK(rec->messages() == std::vector<std::string>{"{}"});
  CHECK(rec->closes() == 1);
}
