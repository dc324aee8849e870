// The connect functions pointed at the wrong endpoint: a closed port, a plain HTTP server, a server
// that answers garbage before or after a WebSocket handshake. Each must return an error value with
// a message naming what went wrong, by its connect timeout: no crash, no hang. (The wrong
// browser's port is in endpoint_wrong_browser_test.cpp: it needs the browsers.)
#include "../cli/hostile_peer.hpp"

#include "../support/time_bounds.hpp"

#include <janus/client/browser.hpp>
#include <janus/session/cdp_connection.hpp>
#include <janus/client/firefox_launcher.hpp>
#include <janus/protocol/http_server.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using namespace janus;
using namespace std::chrono_literals;
using janus::test::closed_port;
using janus::test::hostile_mode;
using janus::test::hostile_peer;

namespace {

// Every connect below is given this; a call must end by then (plus the slack below). Silent peers
// make most calls wait it out, about twenty times per run (and the suite runs in three CI phases):
// a handshake with a loopback peer takes milliseconds even under TSan.
constexpr auto connect_timeout = 1000ms;
// Generous, and scaled for slow builds (time_bounds.hpp); what is tested is that the
// call ends near its timeout, not at the 10 s and 30 s defaults or never.
constexpr auto slack = 6s;

struct outcome {
  rt::errc code = rt::errc::ok;
  std::string message;
  std::chrono::milliseconds took{0};
};

session::connection_options cdp_options() {
  session::connection_options o;
  o.connect_timeout = connect_timeout;
  return o;
}

template <class F>
outcome timed(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = f();
  outcome o;
  o.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  if (!r) {
    o.code = r.err().code;
    o.message = r.err().message;
  }
  return o;
}

outcome browser_connect(rt::scheduler& sched, const std::string& url) {
  return timed([&] { return sched.block_on(client::browser::connect(sched, url, cdp_options())); });
}

outcome cdp_connect(rt::scheduler& sched, const std::string& url) {
  return timed([&] {
    return sched.block_on(session::cdp_connection::connect(sched, url, cdp_options(), session::connect_policy{}));
  });
}

outcome rdp_connect(rt::scheduler& sched, std::uint16_t port) {
  session::rdp_connection_options o;
  o.connect_timeout = connect_timeout;
  return timed([&] { return sched.block_on(client::connect_firefox(sched, std::string("127.0.0.1"), port, o)); });
}

void check_failed(const outcome& o, const std::string& fragment) {
  INFO(rt::to_string(o.code) << ": " << o.message << " (" << o.took.count() << " ms)");
  CHECK(o.code != rt::errc::ok);
  CHECK(!o.message.empty());
  CHECK(o.message.find('\n') == std::string::npos);
  if (!fragment.empty()) CHECK(o.message.find(fragment) != std::string::npos);
  CHECK(o.took < connect_timeout + slack * janus_test::slow_factor());
}

std::string ws_url(std::uint16_t port) { return "ws://127.0.0.1:" + std::to_string(port) + "/devtools/browser/x"; }
std::string http_url(std::uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }
std::string rdp_url(std::uint16_t port) { return "rdp://127.0.0.1:" + std::to_string(port); }

}  // namespace

TEST_CASE("connecting to a closed port fails at once with the address", "[client][endpoint]") {
  rt::scheduler sched({.workers = 1});
  const std::uint16_t port = closed_port();
  const std::string where = "127.0.0.1:" + std::to_string(port);
  for (const auto& url : {ws_url(port), http_url(port), rdp_url(port)}) {
    CAPTURE(url);
    const outcome o = browser_connect(sched, url);
    check_failed(o, where);
    CHECK(o.code == rt::errc::transport);
  }
  check_failed(cdp_connect(sched, ws_url(port)), where);
  const outcome rdp = rdp_connect(sched, port);
  check_failed(rdp, "");
  CHECK(rdp.code == rt::errc::transport);
}

TEST_CASE("connecting to a plain HTTP server that is not a browser fails with what it answered", "[client][endpoint]") {
  rt::scheduler sched({.workers = 1});
  auto server = protocol::http_server::start();
  REQUIRE(server);
  const std::uint16_t port = (*server)->port();
  // /json/version is not served: 404.
  check_failed(browser_connect(sched, http_url(port)), "404");
  // No WebSocket upgrade: the handshake fails.
  check_failed(browser_connect(sched, ws_url(port)), "");
  check_failed(cdp_connect(sched, ws_url(port)), "");
  // An HTTP server waits for a request and sends no greeting: the connect timeout.
  const outcome rdp = browser_connect(sched, rdp_url(port));
  check_failed(rdp, "");
  CHECK(rdp.code == rt::errc::timeout);
  check_failed(rdp_connect(sched, port), "");
  (*server)->stop();
}

TEST_CASE("connecting to a WebSocket server that answers garbage fails, whatever the garbage", "[client][endpoint]") {
  rt::scheduler sched({.workers = 1});
  for (hostile_mode m : {hostile_mode::garbage_at_once, hostile_mode::garbage_after_request,
                         hostile_mode::ws_then_random, hostile_mode::ws_then_reserved_bits,
                         hostile_mode::ws_then_bad_opcode, hostile_mode::ws_then_masked,
                         hostile_mode::ws_then_huge_length, hostile_mode::ws_then_not_json,
                         hostile_mode::ws_then_silence}) {
    hostile_peer peer(m);
    CAPTURE(janus::test::name_of(m));
    // browser::connect sends its first command right after the handshake: the garbage fails it.
    check_failed(browser_connect(sched, ws_url(peer.port())), "");
    // The bare connection only has to survive whatever it reads, and report it or time out.
    const outcome c = cdp_connect(sched, ws_url(peer.port()));
    INFO(rt::to_string(c.code) << ": " << c.message);
    CHECK(c.took < connect_timeout + slack * janus_test::slow_factor());
    check_failed(browser_connect(sched, http_url(peer.port())), "");
  }
}

TEST_CASE("connecting to a debugger server that answers garbage fails", "[client][endpoint]") {
  rt::scheduler sched({.workers = 1});
  for (hostile_mode m : {hostile_mode::rdp_not_json, hostile_mode::garbage_at_once, hostile_mode::ws_then_silence}) {
    hostile_peer peer(m);
    CAPTURE(janus::test::name_of(m));
    check_failed(browser_connect(sched, rdp_url(peer.port())), "");
    check_failed(rdp_connect(sched, peer.port()), "");
  }
}
