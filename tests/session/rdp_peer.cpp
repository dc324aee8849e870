#include "rdp_peer.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace janus::session::test {

using protocol::json_value;

rdp_peer::rdp_peer(script_fn script, std::string greeting)
    : script_(std::move(script)), greeting_(std::move(greeting)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(listen_fd_, 4) == 0);
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { run(); });
}

rdp_peer::~rdp_peer() {
  stop_ = true;
  thread_.join();
  drop();
  ::close(listen_fd_);
}

void rdp_peer::send(const std::string& json) {
  std::lock_guard lk(write_mu_);
  if (fd_ < 0) return;
  const std::string wire = std::to_string(json.size()) + ":" + json;
  std::size_t off = 0;
  while (off < wire.size()) {
    const ssize_t n = ::send(fd_, wire.data() + off, wire.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

void rdp_peer::send_raw(const std::string& wire) {
  std::lock_guard lk(write_mu_);
  if (fd_ >= 0) (void)::send(fd_, wire.data(), wire.size(), MSG_NOSIGNAL);
}

void rdp_peer::drop() {
  std::lock_guard lk(write_mu_);
  if (fd_ >= 0) {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    fd_ = -1;
  }
}

bool rdp_peer::wait_received(std::size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return received_.size() >= n; });
}

std::vector<packet> rdp_peer::received() const {
  std::lock_guard lk(mu_);
  return received_;
}

void rdp_peer::run() {
  int fd = -1;
  while (!stop_ && fd < 0) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  }
  if (fd < 0) return;
  {
    std::lock_guard lk(write_mu_);
    fd_ = fd;
  }
  if (!greeting_.empty()) send(greeting_);
  std::string buf;
  char chunk[4096];
  while (!stop_) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, 20);
    if (r == 0) continue;
    ssize_t n;
    {
      std::lock_guard lk(write_mu_);
      if (fd_ < 0) return;
      n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    }
    if (n == 0) return;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return;
    }
    buf.append(chunk, static_cast<std::size_t>(n));
    for (;;) {
      const auto colon = buf.find(':');
      if (colon == std::string::npos) break;
      const std::size_t len = std::stoul(buf.substr(0, colon));
      if (buf.size() < colon + 1 + len) break;
      packet pk;
      auto parsed = json_value::parse(std::string_view(buf).substr(colon + 1, len));
      buf.erase(0, colon + 1 + len);
      if (!parsed) continue;
      pk.body = std::move(*parsed);
      if (pk.body["to"].is_string()) pk.to = pk.body["to"].as_string();
      if (pk.body["type"].is_string()) pk.type = pk.body["type"].as_string();
      {
        std::lock_guard lk(mu_);
        received_.push_back(pk);
      }
      cv_.notify_all();
      if (script_) script_(*this, pk);
    }
  }
}

}  // namespace janus::session::test
