// Every fault the mock browser can inject, seen through the client: each ends in its documented
// error, and nothing waits past its deadline.
#include "../support/thread_safe_check.hpp"
#include "../transport/transport_test_support.hpp"

#include <janus/client/browser.hpp>
#include <janus/session/cdp_connection.hpp>
#include <janus/protocol/http_server.hpp>
#include <janus/rt.hpp>
#include <janus/testing/mock_browser.hpp>

#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <string>

using namespace janus;
using namespace janus::client;
using namespace janus::session;
using namespace std::chrono_literals;

namespace {

struct fixture {
  protocol::test::io_thread io;
  std::unique_ptr<testing::mock_browser> mock;
  rt::scheduler sched{{.workers = 2}};

  fixture() {
    auto m = testing::mock_browser::start(io.io);
    REQUIRE(m);
    mock = std::move(*m);
  }
  ~fixture() {
    mock->stop();
    io.run([] { return 0; });
  }

  cdp_connection connect(connection_options o = {}) {
    auto c = sched.block_on(cdp_connection::connect(sched, mock->browser_ws_url(), std::move(o)));
    REQUIRE(c);
    return std::move(*c);
  }
};

rt::task<rt::result<protocol::cdp_owned_message>> call(cdp_session s, std::string method, std::string params,
                                                      rt::deadline d) {
  call_options call_opts{.deadline = d, .cancel = {}};
  co_return co_await s.call(method, params, std::move(call_opts));
}
rt::task<rt::result<protocol::cdp_owned_message>> call(cdp_session s, std::string method, std::string params) {
  return call(std::move(s), std::move(method), std::move(params), rt::deadline(5s));
}
rt::task<rt::result<protocol::cdp_owned_message>> call(cdp_session s, std::string method) {
  return call(std::move(s), std::move(method), std::string(), rt::deadline(5s));
}

}  // namespace

TEST_CASE("mock: requests are echoed; Mock.delay answers late without holding up others") {
  fixture f;
  cdp_connection conn = f.connect();
  // Both requests are in flight together: rt::task is lazy, so the slow one is spawned (started)
  // first and the fast one sent only once the mock has received it. The fast one must then come
  // back while the slow one is still pending; a mock or a client that answered in order would
  // deliver the slow reply first. The order is checked, not a time: the delay is long enough (1.5 s)
  // that a round trip on a slow day or under a sanitizer still fits in it many times over.
  auto run = [](cdp_connection conn, testing::mock_browser& mock) -> rt::task<void> {
    struct slow_state {
      std::atomic<bool> done{false};
      rt::result<protocol::cdp_owned_message> reply = rt::error{rt::errc::cancelled};
      std::chrono::steady_clock::duration took{};
    };
    auto slow = std::make_shared<slow_state>();
    const auto before = mock.requests_received();
    const auto t0 = std::chrono::steady_clock::now();
    conn.actor().sched().spawn([](cdp_connection conn, std::shared_ptr<slow_state> st,
                                  std::chrono::steady_clock::time_point t0) -> rt::task<void> {
      st->reply = co_await call(conn.browser(), "Mock.delay", R"({"ms":1500})", rt::deadline(30s));
      st->took = std::chrono::steady_clock::now() - t0;
      st->done = true;
    }(conn, slow, t0));
    for (int i = 0; i < 2000 && mock.requests_received() == before; ++i) co_await rt::sleep_for(conn.actor().sched(), 5ms);
    TS_REQUIRE(mock.requests_received() > before);  // the slow request reached the mock first

    auto fast = co_await call(conn.browser(), "Some.method", R"({"k":"v"})", rt::deadline(30s));
    TS_REQUIRE(fast);
    TS_CHECK(fast->payload() == R"({"k":"v"})");
    // Answered while the slow one is still pending: its reply has not even reached the connection
    // (the reader takes replies in order, so one sent before the fast reply would be counted here).
    TS_CHECK(conn.stats().pending == 1);
    TS_CHECK_FALSE(slow->done.load());

    for (int i = 0; i < 2000 && !slow->done; ++i) co_await rt::sleep_for(conn.actor().sched(), 5ms);
    TS_REQUIRE(slow->done.load());
    TS_REQUIRE(slow->reply);
    TS_CHECK(slow->reply->payload() == R"({"ms":1500})");
    TS_CHECK(slow->took >= 1490ms);
  };
  f.sched.block_on(run(conn, *f.mock));
}

TEST_CASE("mock: Mock.neverReply ends in timeout, sent") {
  fixture f;
  cdp_connection conn = f.connect();
  auto r = f.sched.block_on(call(conn.browser(), "Mock.neverReply", "{}", rt::deadline(200ms)));
  REQUIRE(!r);
  CHECK(r.code() == rt::errc::timeout);
  CHECK(r.err().sent);
}

TEST_CASE("mock: Mock.closeMidStream and Mock.truncatedFrame fail the request with disconnected") {
  for (const char* fault : {"Mock.closeMidStream", "Mock.truncatedFrame"}) {
    fixture f;
    cdp_connection conn = f.connect();
    auto r = f.sched.block_on(call(conn.browser(), fault));
    INFO(fault);
    REQUIRE(!r);
    CHECK(r.code() == rt::errc::disconnected);
    CHECK(r.err().sent);
    CHECK_FALSE(conn.connected());
  }
}

TEST_CASE("mock: Mock.malformed ends the connection with the parse error as the reason") {
  fixture f;
  cdp_connection conn = f.connect();
  auto r = f.sched.block_on(call(conn.browser(), "Mock.malformed"));
  REQUIRE(!r);
  CHECK(r.code() == rt::errc::disconnected);
  CHECK(r.err().message.find("unreadable message") != std::string::npos);
}

TEST_CASE("mock: Mock.oversized beyond the client's limit ends the connection, nothing half-delivered") {
  fixture f;
  connection_options o;
  o.limits.max_message_bytes = 1 << 20;
  cdp_connection conn = f.connect(o);
  auto small = f.sched.block_on(call(conn.browser(), "Mock.oversized", R"({"bytes":1000})"));
  REQUIRE(small);
  auto big = f.sched.block_on(call(conn.browser(), "Mock.oversized", R"({"bytes":2000000})"));
  REQUIRE(!big);
  CHECK(big.code() == rt::errc::disconnected);
  CHECK(big.err().message.find("message_too_large") != std::string::npos);
}

TEST_CASE("mock: a burst of events reaches a subscriber complete and in order") {
  fixture f;
  cdp_connection conn = f.connect();
  auto run = [](cdp_connection conn) -> rt::task<void> {
    subscription_spec spec;
    spec.method = "Burst.tick";
    spec.capacity = 256;
    auto sub = co_await conn.subscribe(std::move(spec));
    TS_REQUIRE(sub);
    // The reply follows the 50000 events, and a `block` subscriber that is not read holds the
    // connection's reading: so the command runs beside the consumer.
    std::atomic<int> emitted{0};
    conn.actor().sched().spawn([](cdp_connection conn, std::atomic<int>& emitted) -> rt::task<void> {
      auto r = co_await call(conn.browser(), "Mock.emitEvents", R"({"count":50000,"method":"Burst.tick","payloadBytes":64})",
                             rt::deadline(60s));
      emitted = r ? 1 : 2;
    }(conn, emitted));
    int n = 0;
    bool ordered = true;
    for (; n < 50000; ++n) {
      auto e = co_await sub->next(rt::deadline(10s));
      if (!e) break;
      const auto p = e->params();
      if (p.find("\"seq\":" + std::to_string(n) + ",") == std::string_view::npos &&
          p.find("\"seq\":" + std::to_string(n) + "}") == std::string_view::npos)
        ordered = false;
    }
    TS_CHECK(n == 50000);
    TS_CHECK(ordered);
    TS_CHECK(sub->dropped() == 0);
    for (int i = 0; i < 1000 && emitted == 0; ++i) co_await rt::sleep_for(conn.actor().sched(), 5ms);
    TS_CHECK(emitted == 1);
  };
  f.sched.block_on(run(conn));
}

TEST_CASE("mock: over Chromium's pipe framing, commands round-trip and the end is noticed") {
  fixture f;
  int to_mock[2], from_mock[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, to_mock) == 0);
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, from_mock) == 0);
  // The mock reads what we write (to_mock) and writes what we read (from_mock).
  REQUIRE(f.mock->serve_pipe(to_mock[1], from_mock[1]));
  auto conn = cdp_connection::open_pipe(f.sched, from_mock[0], to_mock[0]);
  REQUIRE(conn);
  auto r = f.sched.block_on(call(conn->browser(), "Pipe.echo", R"({"p":1})"));
  REQUIRE(r);
  CHECK(r->payload() == R"({"p":1})");
  auto closed = f.sched.block_on(call(conn->browser(), "Mock.closeMidStream"));
  REQUIRE(!closed);
  CHECK(closed.code() == rt::errc::disconnected);
}

TEST_CASE("http://host:port: /json/version gives the WebSocket URL, and browser::connect uses it") {
  fixture f;
  auto ws = f.sched.block_on(fetch_websocket_url(f.sched, f.mock->http_url(), rt::deadline(5s)));
  REQUIRE(ws);
  CHECK(*ws == f.mock->browser_ws_url());
  auto b = f.sched.block_on(browser::connect(f.sched, f.mock->http_url()));
  if (!b) FAIL(b.err().what());
  CHECK(b->connection().connected());
  CHECK(f.sched.block_on(b->version()));  // the mock echoes: the call round-trips
  b->close();
  CHECK_FALSE(b->connection().connected());
}

TEST_CASE("fetch_websocket_url: refused, HTTP errors, non-JSON and silence end in their errors") {
  rt::scheduler s({.workers = 1});
  auto server = protocol::http_server::start();
  REQUIRE(server);
  auto fetch = [&](std::string body, int status, std::chrono::milliseconds delay, rt::deadline d) {
    (*server)->route("/json/version", protocol::http_response(status, std::move(body)), delay);
    return s.block_on(fetch_websocket_url(s, (*server)->url(""), d));
  };
  auto ok = fetch(R"({"webSocketDebuggerUrl":"ws://127.0.0.1:1/devtools/browser/x"})", 200, 0ms, rt::deadline(5s));
  REQUIRE(ok);
  CHECK(*ok == "ws://127.0.0.1:1/devtools/browser/x");
  CHECK(fetch("{}", 404, 0ms, rt::deadline(5s)).code() == rt::errc::protocol);
  CHECK(fetch("not json", 200, 0ms, rt::deadline(5s)).code() == rt::errc::parse);
  CHECK(fetch(R"({"Browser":"x"})", 200, 0ms, rt::deadline(5s)).code() == rt::errc::parse);
  const auto start = std::chrono::steady_clock::now();
  CHECK(fetch("{}", 200, 3000ms, rt::deadline(300ms)).code() == rt::errc::timeout);
  CHECK(std::chrono::steady_clock::now() - start < 2s);  // at the 300 ms deadline, not with the 3 s answer
  const std::string closed = (*server)->url("");
  (*server)->stop();
  CHECK(s.block_on(fetch_websocket_url(s, closed, rt::deadline(5s))).code() == rt::errc::transport);
  CHECK(s.block_on(fetch_websocket_url(s, "ws://nope", rt::deadline(5s))).code() == rt::errc::invalid_argument);
  CHECK(s.block_on(fetch_websocket_url(s, "http://127.0.0.1", rt::deadline(5s))).code() == rt::errc::invalid_argument);
}
