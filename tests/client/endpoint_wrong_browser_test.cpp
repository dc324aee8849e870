// The connect functions pointed at the other browser: Chromium's calls at Firefox's debugger
// server, Firefox's at Chromium's DevTools port. Each returns an error value by its connect
// timeout, and the browsers are unharmed. Both browsers are launched here and closed (killed by
// their process group, profile removed) at the end.
#include "../support/time_bounds.hpp"

#include <janus/client/browser.hpp>
#include <janus/session/cdp_connection.hpp>
#include <janus/client/chromium_launcher.hpp>
#include <janus/client/firefox_launcher.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

using namespace janus;
using namespace std::chrono_literals;

namespace {

// A loopback port nobody listens on right now (bound, read, closed).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

constexpr auto connect_timeout = 3000ms;
// Generous, and scaled for slow builds (time_bounds.hpp); what is tested is that the
// call ends near its timeout, not at the 10 s and 30 s defaults or never.
constexpr auto slack = 8s;

template <class F>
void check_fails(F&& f, const std::string& fragment) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = f();
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE_FALSE(r);
  INFO(rt::to_string(r.err().code) << ": " << r.err().message);
  CHECK(!r.err().message.empty());
  CHECK(r.err().message.find(fragment) != std::string::npos);
  CHECK(took < connect_timeout + slack * janus_test::slow_factor());
}

}  // namespace

TEST_CASE("connecting to the other browser's port fails with an error value", "[client][endpoint][browser]") {
  rt::scheduler sched({.workers = 1});
  client::launch_options lo;
  lo.use_pipe = false;  // a DevTools port to point Firefox's calls at
  lo.launch_timeout = 60s;
  auto chromium = sched.block_on(client::launch_chromium(sched, lo));
  REQUIRE(chromium);
  client::firefox_launch_options fo;
  fo.launch_timeout = 60s;
  // A TCP debugger port (the opt-in; a launched Firefox listens on a private socket otherwise),
  // to point the CDP calls at.
  fo.port = free_port();
  auto firefox = sched.block_on(client::launch_firefox(sched, fo));
  REQUIRE(firefox);

  std::ifstream in((*chromium)->profile_dir() + "/DevToolsActivePort");
  std::string chromium_port, path;
  std::getline(in, chromium_port);
  std::getline(in, path);
  REQUIRE(!chromium_port.empty());
  const std::string firefox_at = "127.0.0.1:" + std::to_string((*firefox)->port());

  session::connection_options co;
  co.connect_timeout = connect_timeout;
  // Chromium's calls at Firefox: it greets with an RDP packet, not an HTTP answer.
  check_fails([&] { return sched.block_on(client::browser::connect(sched, "ws://" + firefox_at + "/devtools/browser/x", co)); },
              firefox_at);
  check_fails([&] { return sched.block_on(client::browser::connect(sched, "http://" + firefox_at, co)); }, firefox_at);
  check_fails([&] {
    return sched.block_on(
        session::cdp_connection::connect(sched, "ws://" + firefox_at + "/devtools/browser/x", co, session::connect_policy{}));
  }, "");
  // Firefox's calls at Chromium: it waits for an HTTP request and sends no greeting.
  check_fails([&] { return sched.block_on(client::browser::connect(sched, "rdp://127.0.0.1:" + chromium_port, co)); },
              chromium_port);
  session::rdp_connection_options ro;
  ro.connect_timeout = connect_timeout;
  check_fails([&] {
    return sched.block_on(client::connect_firefox(sched, std::string("127.0.0.1"),
                                                  static_cast<std::uint16_t>(std::stoi(chromium_port)), ro));
  }, "");

  // Both still answer their own protocol.
  auto c = sched.block_on(client::browser::connect(sched, "ws://127.0.0.1:" + chromium_port + path, co));
  REQUIRE(c);
  auto v = sched.block_on(c->version(rt::deadline(10s)));
  CHECK(v);
  c->close();
  auto f = sched.block_on(client::browser::connect(sched, "rdp://" + firefox_at, co));
  REQUIRE(f);
  auto fv = sched.block_on(f->version(rt::deadline(10s)));
  CHECK(fv);
  f->close();
  (*chromium)->close();
  (*firefox)->close();
}
