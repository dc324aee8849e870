#include "hostile_peer.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace janus::test {

namespace {

// SHA-1 and base64, only for Sec-WebSocket-Accept (RFC 6455 section 4.2.2).
std::array<std::uint8_t, 20> sha1(std::string_view in) {
  std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string msg(in);
  const std::uint64_t bits = static_cast<std::uint64_t>(in.size()) * 8;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>((bits >> (i * 8)) & 0xff));
  auto rol = [](std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
  for (std::size_t off = 0; off < msg.size(); off += 64) {
    std::uint32_t w[80];
    for (int i = 0; i < 16; ++i)
      w[i] = static_cast<std::uint32_t>(static_cast<std::uint8_t>(msg[off + 4 * i])) << 24 |
             static_cast<std::uint32_t>(static_cast<std::uint8_t>(msg[off + 4 * i + 1])) << 16 |
             static_cast<std::uint32_t>(static_cast<std::uint8_t>(msg[off + 4 * i + 2])) << 8 |
             static_cast<std::uint32_t>(static_cast<std::uint8_t>(msg[off + 4 * i + 3]));
    for (int i = 16; i < 80; ++i) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      std::uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      const std::uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  std::array<std::uint8_t, 20> out{};
  for (int i = 0; i < 20; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
  return out;
}

std::string base64(const std::uint8_t* p, std::size_t n) {
  static const char* abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < n; i += 3) {
    const std::uint32_t v = static_cast<std::uint32_t>(p[i]) << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    out.push_back(abc[(v >> 18) & 63]);
    out.push_back(abc[(v >> 12) & 63]);
    out.push_back(i + 1 < n ? abc[(v >> 6) & 63] : '=');
    out.push_back(i + 2 < n ? abc[v & 63] : '=');
  }
  return out;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);  // fixed: a failure can be replayed
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen() & 0xff);
  return s;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string ws_frame(std::uint8_t first, std::string_view payload) {
  std::string f(1, static_cast<char>(first));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(payload.size()));
  } else {
    f.push_back(126);
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  }
  f.append(payload);
  return f;
}

}  // namespace

const char* name_of(hostile_mode m) {
  switch (m) {
    case hostile_mode::garbage_at_once: return "garbage at once";
    case hostile_mode::garbage_after_request: return "garbage after the request";
    case hostile_mode::ws_then_random: return "WebSocket, then random bytes";
    case hostile_mode::ws_then_reserved_bits: return "WebSocket, then reserved bits";
    case hostile_mode::ws_then_bad_opcode: return "WebSocket, then a reserved opcode";
    case hostile_mode::ws_then_masked: return "WebSocket, then a masked frame";
    case hostile_mode::ws_then_huge_length: return "WebSocket, then a 2^63-byte frame";
    case hostile_mode::ws_then_not_json: return "WebSocket, then text that is not JSON";
    case hostile_mode::ws_then_silence: return "WebSocket, then silence";
    case hostile_mode::http_stalled_body: return "HTTP body that never ends";
    case hostile_mode::rdp_not_json: return "RDP packet that is not JSON";
  }
  return "?";
}

struct hostile_peer::state {
  hostile_mode mode;
  int listen_fd = -1;
  int stop_r = -1, stop_w = -1;  // readable once the server stops
  std::uint16_t port = 0;
  std::thread acceptor;
  std::mutex mu;
  std::vector<int> conns;            // guarded by mu
  std::vector<std::thread> workers;  // guarded by mu

  bool stopping() const {
    pollfd p{stop_r, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  // Reads until the end of an HTTP head; "" when the peer closed or the server stops first.
  std::string read_head(int fd) const {
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < (1u << 16)) {
      pollfd p[2] = {{fd, POLLIN, 0}, {stop_r, POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return {};
      }
      if (p[1].revents) return {};
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return {};
      head.append(buf, static_cast<std::size_t>(n));
    }
    return head;
  }

  bool upgrade(int fd) const {
    std::string head = read_head(fd);
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower.find("sec-websocket-key:");
    if (at == std::string::npos) return false;
    auto start = at + 18;
    while (start < head.size() && head[start] == ' ') ++start;
    const std::string key = head.substr(start, head.find("\r\n", start) - start);
    const auto digest = sha1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    return write_all(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: " + base64(digest.data(), digest.size()) + "\r\n\r\n");
  }

  void serve(int fd) const {
    switch (mode) {
      case hostile_mode::garbage_at_once:
        write_all(fd, random_bytes(64 << 10, 1));
        break;
      case hostile_mode::garbage_after_request:
        if (!read_head(fd).empty()) write_all(fd, random_bytes(64 << 10, 2));
        break;
      case hostile_mode::ws_then_random:
        if (upgrade(fd)) write_all(fd, random_bytes(64 << 10, 3));
        break;
      case hostile_mode::ws_then_reserved_bits:
        if (upgrade(fd)) write_all(fd, ws_frame(0x81 | 0x70, R"({"id":1,"result":{}})"));
        break;
      case hostile_mode::ws_then_bad_opcode:
        if (upgrade(fd)) write_all(fd, ws_frame(0x83, R"({"id":1,"result":{}})"));
        break;
      case hostile_mode::ws_then_masked:
        if (upgrade(fd)) write_all(fd, std::string("\x81\x85\x01\x02\x03\x04", 6) + "abcde");
        break;
      case hostile_mode::ws_then_huge_length:
        if (upgrade(fd)) write_all(fd, std::string("\x81\x7f\x7f\xff\xff\xff\xff\xff\xff\xff", 10) + "{\"id\":");
        break;
      case hostile_mode::ws_then_not_json:
        if (upgrade(fd)) {
          for (const char* text : {"hello", "{not json", "]", "{\"id\":1,\"result\":", "\xff\xfe"})
            if (!write_all(fd, ws_frame(0x81, text))) break;
        }
        break;
      case hostile_mode::ws_then_silence:
        (void)upgrade(fd);
        break;
      case hostile_mode::http_stalled_body:
        if (!read_head(fd).empty())
          write_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
                        "<!DOCTYPE html><html><head><title>stalled</title></head><body><p>the rest never comes");
        break;
      case hostile_mode::rdp_not_json:
        write_all(fd, "20:{this is not json}");
        break;
    }
    // Keeps the connection open (and the peer waiting, if it still does) until the server stops.
    pollfd p{stop_r, POLLIN, 0};
    while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
  }

  void accept_loop(std::shared_ptr<state> self) {
    for (;;) {
      pollfd p[2] = {{listen_fd, POLLIN, 0}, {stop_r, POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (p[1].revents) return;
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard lk(mu);
      conns.push_back(fd);
      workers.emplace_back([self, fd] { self->serve(fd); });
    }
  }
};

hostile_peer::hostile_peer(hostile_mode mode) : state_(std::make_shared<state>()) {
  state_->mode = mode;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return;
  state_->stop_r = p[0];
  state_->stop_w = p[1];
  state_->listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(state_->listen_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(state_->listen_fd, 16) != 0 ||
      ::getsockname(state_->listen_fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return;
  state_->port = ntohs(a.sin_port);
  state_->acceptor = std::thread([s = state_] { s->accept_loop(s); });
}

hostile_peer::~hostile_peer() {
  if (state_->stop_w >= 0) (void)!::write(state_->stop_w, "x", 1);
  if (state_->acceptor.joinable()) state_->acceptor.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lk(state_->mu);
    workers = std::move(state_->workers);
    // Wakes a worker blocked in send() to a peer that stopped reading.
    for (int fd : state_->conns) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : workers) t.join();
  for (int fd : state_->conns) ::close(fd);
  for (int fd : {state_->listen_fd, state_->stop_r, state_->stop_w})
    if (fd >= 0) ::close(fd);
}

std::uint16_t hostile_peer::port() const { return state_->port; }

std::string hostile_peer::host_port() const { return "127.0.0.1:" + std::to_string(state_->port); }

std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

}  // namespace janus::test
