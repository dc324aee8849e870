// The loopback HTTP server, driven by a blocking asio client on the test thread.
#include <janus/protocol/http_server.hpp>

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <catch2/catch.hpp>

#include <chrono>

using namespace janus::protocol;
using namespace std::chrono_literals;

namespace {

struct http_client {
  asio::io_context io;
  asio::ip::tcp::socket socket{io};
  asio::streambuf buf;

  explicit http_client(std::uint16_t port) {
    socket.connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port));
  }
  void send(const std::string& raw) { asio::write(socket, asio::buffer(raw)); }

  struct reply {
    int status = 0;
    std::string head;
    std::string body;
  };
  reply read_reply() {
    const std::size_t n = asio::read_until(socket, buf, "\r\n\r\n");
    reply r;
    r.head.assign(static_cast<const char*>(buf.data().data()), n);
    buf.consume(n);
    r.status = std::stoi(r.head.substr(9, 3));
    const auto cl = r.head.find("Content-Length: ");
    REQUIRE(cl != std::string::npos);
    const std::size_t len = std::stoul(r.head.substr(cl + 16));
    if (buf.size() < len) asio::read(socket, buf, asio::transfer_exactly(len - buf.size()));
    r.body.assign(static_cast<const char*>(buf.data().data()), len);
    buf.consume(len);
    return r;
  }
  reply get(const std::string& target) {
    send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    return read_reply();
  }
};

}  // namespace

TEST_CASE("http_server: routes, 404, fallback, and a record of what was served", "[http_server]") {
  auto server = http_server::start();
  REQUIRE(server);
  auto& s = **server;
  CHECK(s.port() != 0);
  CHECK(s.url("/a") == "http://127.0.0.1:" + std::to_string(s.port()) + "/a");
  s.route("/index.html", http_response(200, "<p>hello</p>", "text/html"));
  s.fallback([](const http_request& r) -> std::optional<http_response> {
    if (r.resource.rfind("/echo", 0) != 0) return std::nullopt;
    return http_response(200, r.method + " " + r.resource + " " + r.body, "text/plain");
  });

  http_client c(s.port());
  // One keep-alive connection carries every request, as a browser's would.
  auto a = c.get("/index.html?x=1");
  CHECK(a.status == 200);
  CHECK(a.body == "<p>hello</p>");
  CHECK(a.head.find("text/html") != std::string::npos);
  auto b = c.get("/missing");
  CHECK(b.status == 404);
  c.send("POST /echo?q HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde");
  auto e = c.read_reply();
  CHECK(e.status == 200);
  CHECK(e.body == "POST /echo?q abcde");

  const auto served = s.served();
  REQUIRE(served.size() == 3);
  CHECK(served[0].target == "/index.html?x=1");
  CHECK(served[0].status == 200);
  CHECK(served[0].body_bytes == 12);
  CHECK(served[1].status == 404);
  CHECK(served[2].method == "POST");
  s.clear_served();
  CHECK(s.served().empty());
}

TEST_CASE("http_server: a delayed response arrives after its delay", "[http_server]") {
  auto server = http_server::start();
  REQUIRE(server);
  (*server)->route("/late", http_response(200, "late", "text/plain"), 200ms);
  http_client c((*server)->port());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.get("/late");
  CHECK(r.body == "late");
  CHECK(std::chrono::steady_clock::now() - t0 >= 200ms);
}

TEST_CASE("http_server: garbage closes the connection; stop() closes the rest", "[http_server]") {
  auto server = http_server::start();
  REQUIRE(server);
  http_client bad((*server)->port());
  bad.send("NOT HTTP\r\n\r\n");
  char byte;
  asio::error_code ec;
  asio::read(bad.socket, asio::buffer(&byte, 1), ec);
  CHECK(ec);  // closed without an answer

  http_client idle((*server)->port());
  CHECK(idle.get("/x").status == 404);
  (*server)->stop();
  asio::read(idle.socket, asio::buffer(&byte, 1), ec);
  CHECK(ec);
  (*server)->stop();  // idempotent
}
