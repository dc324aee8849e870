// The NUL-framed pipe transport against a socketpair or pipes whose other end the test drives
// with plain read()/write().
#include "transport_test_support.hpp"

#include <janus/protocol/pipe_transport.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

using namespace janus::protocol;
using namespace janus::protocol::test;
using janus::rt::errc;

namespace {

/// The far end of a pipe transport: what the browser would hold as its fds 3 and 4.
struct peer_end {
  int fd = -1;  // a socketpair end: the browser's input and output in one
  ~peer_end() {
    if (fd >= 0) ::close(fd);
  }
  void write_all(std::string_view bytes) const { REQUIRE(try_write_all(bytes)); }
  /// For other threads than the test's (Catch2 assertions are not thread-safe).
  bool try_write_all(std::string_view bytes) const {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  /// Reads until `count` bytes arrived (or 10 s passed).
  std::string read_exactly(std::size_t count) const {
    std::string out;
    char buf[65536];
    while (out.size() < count) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) break;
      const ssize_t n = ::read(fd, buf, std::min(sizeof buf, count - out.size()));
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
};

struct pipe_fixture {
  io_thread io;
  std::shared_ptr<recorder> rec = std::make_shared<recorder>(io.id());
  peer_end peer;
  std::shared_ptr<transport> t;

  explicit pipe_fixture(const pipe_options& options = {}) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    peer.fd = sv[1];
    // One socket serves as both descriptors, as a dup: the transport owns and closes both.
    auto opened = open_pipe_transport(io.io, sv[0], ::dup(sv[0]), rec, options);
    REQUIRE(opened);
    t = std::move(opened).value();
  }
};

}  // namespace

TEST_CASE("pipe transport splits NUL-terminated messages at every chunk boundary", "[transport][pipe]") {
  const std::string stream = std::string("a\0bc\0\0{\"id\":1}\0", 15);
  const std::vector<std::string> expected{"a", "bc", "", "{\"id\":1}"};
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    CAPTURE(split);
    pipe_fixture f;
    f.peer.write_all(stream.substr(0, split));
    // Let the first part arrive alone before the rest, so the framer sees two chunks.
    REQUIRE(f.rec->wait([&] { return f.rec->messages_.size() >= static_cast<std::size_t>(
                                         std::count(stream.begin(), stream.begin() + static_cast<long>(split), '\0')); }));
    std::this_thread::sleep_for(2ms);
    f.peer.write_all(stream.substr(split));
    REQUIRE(f.rec->wait_messages(expected.size()));
    CHECK(f.rec->messages() == expected);
    CHECK(f.rec->closes() == 0);
  }
}

TEST_CASE("pipe transport delivers many merged messages in order", "[transport][pipe]") {
  pipe_fixture f;
  std::string stream;
  for (int i = 0; i < 5000; ++i) {
    stream += "{\"id\":" + std::to_string(i) + "}";
    stream.push_back('\0');
  }
  f.peer.write_all(stream);
  REQUIRE(f.rec->wait_messages(5000));
  const auto messages = f.rec->messages();
  for (int i = 0; i < 5000; ++i) REQUIRE(messages[static_cast<std::size_t>(i)] == "{\"id\":" + std::to_string(i) + "}");
  CHECK_FALSE(f.rec->misbehaved());
}

TEST_CASE("pipe transport writes each message followed by NUL", "[transport][pipe]") {
  pipe_fixture f;
  REQUIRE(f.t->send("{\"id\":1,\"method\":\"Browser.getVersion\"}"));
  REQUIRE(f.t->send(""));
  REQUIRE(f.t->send("x"));
  const std::string expected = std::string("{\"id\":1,\"method\":\"Browser.getVersion\"}\0\0x\0", 42);
  CHECK(f.peer.read_exactly(expected.size()) == expected);
  CHECK(f.rec->wait([&] { return f.t->queued_messages() == 0; }, 5s));
}

TEST_CASE("pipe transport carries a 20 MB message both ways", "[transport][pipe]") {
  pipe_fixture f;
  std::string big(20u << 20, 'q');
  big[12345] = 'Z';
  bool written = false;
  std::thread writer([&] { written = f.peer.try_write_all(big) && f.peer.try_write_all(std::string_view("\0", 1)); });
  const bool received = f.rec->wait_messages(1, 30s);
  writer.join();
  REQUIRE(written);
  REQUIRE(received);
  CHECK(f.rec->messages()[0] == big);

  REQUIRE(f.t->send(big));
  const std::string echoed = f.peer.read_exactly(big.size() + 1);
  CHECK(echoed.size() == big.size() + 1);
  CHECK(echoed.compare(0, big.size(), big) == 0);
}

TEST_CASE("pipe transport ends the connection on an oversized message", "[transport][pipe]") {
  pipe_options options;
  options.limits.max_message_bytes = 1000;
  pipe_fixture f(options);
  f.peer.write_all(std::string("ok\0", 3));
  f.peer.write_all(std::string(600, 'a'));
  f.peer.write_all(std::string(600, 'b'));  // 1200 bytes and still no NUL
  REQUIRE(f.rec->wait_closed());
  CHECK(f.rec->why().code == errc::message_too_large);
  CHECK(f.rec->messages() == std::vector<std::string>{"ok"});
  CHECK_FALSE(f.t->is_open());
  CHECK(f.t->send("late").code() == errc::disconnected);
  std::this_thread::sleep_for(50ms);
  CHECK(f.rec->closes() == 1);
  CHECK_FALSE(f.rec->misbehaved());
}

TEST_CASE("pipe transport reports EOF once, mentioning an unfinished message", "[transport][pipe]") {
  pipe_fixture f;
  f.peer.write_all(std::string("done\0half", 9));
  ::close(f.peer.fd);
  f.peer.fd = -1;
  REQUIRE(f.rec->wait_closed());
  CHECK(f.rec->why().code == errc::disconnected);
  CHECK(f.rec->why().message.find("EOF") != std::string::npos);
  CHECK(f.rec->why().message.find("4 bytes") != std::string::npos);
  CHECK(f.rec->messages() == std::vector<std::string>{"done"});
  std::this_thread::sleep_for(50ms);
  CHECK(f.rec->closes() == 1);
}

TEST_CASE("pipe transport close() flushes, then reports a local close", "[transport][pipe]") {
  pipe_fixture f;
  REQUIRE(f.t->send("last words"));
  f.t->close();
  CHECK_FALSE(f.t->is_open());
  CHECK(f.t->send("too late").code() == errc::disconnected);
  CHECK(f.peer.read_exactly(11) == std::string("last words\0", 11));
  REQUIRE(f.rec->wait_closed());
  CHECK(f.rec->why().code == errc::disconnected);
  CHECK(f.rec->why().message == "closed by this side");
  // The far end sees EOF.
  char c;
  CHECK(::read(f.peer.fd, &c, 1) == 0);
}

TEST_CASE("pipe transport: dropping the last handle closes it", "[transport][pipe]") {
  pipe_fixture f;
  f.t.reset();
  REQUIRE(f.rec->wait_closed());
  CHECK(f.rec->why().code == errc::disconnected);
}

TEST_CASE("pipe transport applies backpressure while the peer does not read", "[transport][pipe]") {
  pipe_options options;
  options.limits.max_queued_bytes = 1u << 20;
  options.limits.low_water_bytes = 256u << 10;
  pipe_fixture f(options);
  const std::string chunk(64u << 10, 'p');
  std::size_t accepted = 0;
  janus::rt::result<void> last;
  // The socket buffer absorbs some; the queue fills behind it and then refuses.
  for (int i = 0; i < 1000; ++i) {
    last = f.t->send(chunk);
    if (!last) break;
    ++accepted;
  }
  REQUIRE_FALSE(last);
  CHECK(last.code() == errc::mailbox_full);
  CHECK(f.t->queued_bytes() <= options.limits.max_queued_bytes);
  CHECK(f.rec->writable() == 0);
  // Reading everything drains the queue: on_writable follows, and sending works again.
  const std::string got = f.peer.read_exactly(accepted * (chunk.size() + 1));
  CHECK(got.size() == accepted * (chunk.size() + 1));
  REQUIRE(f.rec->wait_writable());
  CHECK(f.rec->writable() == 1);
  CHECK(f.t->send(chunk));
}

TEST_CASE("pipe transport close() gives up on a peer that never reads", "[transport][pipe]") {
  pipe_options options;
  options.close_timeout = 200ms;
  options.limits.max_queued_bytes = 4u << 20;
  pipe_fixture f(options);
  while (f.t->send(std::string(1u << 20, 's'))) {
  }
  const auto start = std::chrono::steady_clock::now();
  f.t->close();
  REQUIRE(f.rec->wait_closed(5s));
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);
  CHECK(f.rec->why().code == errc::disconnected);
  CHECK(f.rec->why().message.find("did not take") != std::string::npos);
}

TEST_CASE("pipe transport survives a reader that went away (no SIGPIPE)", "[transport][pipe]") {
  io_thread io;
  auto rec = std::make_shared<recorder>(io.id());
  int to_peer[2];
  int from_peer[2];
  REQUIRE(::pipe2(to_peer, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(from_peer, O_CLOEXEC) == 0);
  ::close(to_peer[0]);  // nobody will ever read what we write
  auto opened = open_pipe_transport(io.io, from_peer[0], to_peer[1], rec);
  REQUIRE(opened);
  auto t = std::move(opened).value();
  REQUIRE(t->send("into the void"));
  REQUIRE(rec->wait_closed());
  CHECK(rec->why().code == errc::transport);
  CHECK(rec->why().message.find("Broken pipe") != std::string::npos);
  ::close(from_peer[1]);
}

TEST_CASE("pipe transport rejects an unusable descriptor", "[transport][pipe]") {
  io_thread io;
  auto rec = std::make_shared<recorder>(io.id());
  auto opened = open_pipe_transport(io.io, -1, -1, rec);
  REQUIRE_FALSE(opened);
  CHECK(opened.code() == errc::invalid_argument);
}
