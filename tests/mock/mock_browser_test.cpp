// The mock CDP browser, driven by Janus's own transports as raw clients: replies, events under
// backpressure, every injected fault as a client sees it, the HTTP discovery endpoints, capture
// replay and the pipe mode.
#include "../transport/transport_test_support.hpp"

#include <janus/protocol/cdp_codec.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/protocol/pipe_transport.hpp>
#include <janus/protocol/websocket_transport.hpp>
#include <janus/testing/mock_browser.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

using namespace janus::protocol;
using namespace janus::protocol::test;
using janus::rt::errc;
using janus::testing::mock_browser;
using janus::testing::mock_browser_options;

namespace {

struct mock_fixture {
  explicit mock_fixture(mock_browser_options options = {}) {
    auto r = mock_browser::start(io.io, std::move(options));
    REQUIRE(r);
    browser = std::move(r).value();
  }

  std::shared_ptr<transport> connect(const std::shared_ptr<recorder>& rec, const websocket_options& options = {},
                                     std::string url = {}) {
    connect_waiter w;
    connect_websocket(io.io, url.empty() ? browser->browser_ws_url() : std::move(url), rec, w.callback(), options);
    auto r = w.get();
    REQUIRE(r);
    return std::move(r).value();
  }

  // Declared first: the browser's stop() posts to it, so it must go last.
  io_thread io;
  std::unique_ptr<mock_browser> browser;
};

/// The body of an HTTP GET, after checking the status line.
std::string http_get(std::uint16_t port, const std::string& path, int expected_status = 200) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string response;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  CAPTURE(response);
  REQUIRE(response.starts_with("HTTP/1.1 " + std::to_string(expected_status)));
  const auto body = response.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  return response.substr(body + 4);
}

json_value parse(const std::string& text) {
  auto r = json_value::parse(text);
  CAPTURE(text);
  REQUIRE(r);
  return std::move(r).value();
}

/// Polls `done` (set by another thread without notifying anyone) for up to 5 s.
template <class F>
bool eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

std::string capture_file() { return std::string(JANUS_SOURCE_ROOT) + "/tests/cdp/captures/session.jsonl"; }

}  // namespace

TEST_CASE("mock browser: echo, configured results and errors, sessions, invalid requests", "[mock]") {
  mock_browser_options options;
  options.results.emplace("Browser.getVersion", R"({"product":"Mock/1.0"})");
  mock_fixture f(std::move(options));
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);

  REQUIRE(t->send(R"({"id":1,"method":"Some.thing","params":{"a":1,"b":[true,null,"x"]}})"));
  REQUIRE(t->send(R"({"id":2,"method":"Some.thing"})"));
  REQUIRE(t->send(R"({"id":3,"method":"Browser.getVersion","params":{}})"));
  REQUIRE(t->send(R"({"id":4,"method":"Target.attachToTarget","params":{"x":1},"sessionId":"S-1"})"));
  REQUIRE(rec->wait_messages(4));
  CHECK(rec->messages() == std::vector<std::string>{
                               R"({"id":1,"result":{"a":1,"b":[true,null,"x"]}})",
                               R"({"id":2,"result":{}})",
                               R"({"id":3,"result":{"product":"Mock/1.0"}})",
                               R"({"id":4,"result":{"x":1},"sessionId":"S-1"})",
                           });

  // Set from this thread while the io thread serves.
  REQUIRE(f.browser->set_result("Page.navigate", R"({"frameId":"F1","loaderId":"L1"})"));
  f.browser->set_error("Page.crash", -32000, "Target \"crashed\"");
  CHECK(f.browser->set_result("Page.bad", "[1]").code() == errc::invalid_argument);
  REQUIRE(t->send(R"({"id":5,"method":"Page.navigate","params":{"url":"about:blank"}})"));
  REQUIRE(t->send(R"({"id":6,"method":"Page.crash","sessionId":"S-2"})"));
  REQUIRE(t->send("not json"));
  REQUIRE(t->send(R"({"method":"Page.enable"})"));
  REQUIRE(t->send(R"({"id":7})"));
  REQUIRE(t->send(R"({"id":8,"method":"A.b","params":[1]})"));
  REQUIRE(t->send(R"({"id":9,"method":"Mock.noSuchThing"})"));
  REQUIRE(rec->wait_messages(11));
  const auto got = rec->messages();
  CHECK(got[4] == R"({"id":5,"result":{"frameId":"F1","loaderId":"L1"}})");
  CHECK(got[5] == R"({"id":6,"error":{"code":-32000,"message":"Target \"crashed\""},"sessionId":"S-2"})");
  CHECK(got[6] == R"({"error":{"code":-32700,"message":"Message must be a valid JSON"}})");
  CHECK(got[7] == R"({"error":{"code":-32600,"message":"Message must have integer 'id' property"}})");
  CHECK(got[8] == R"({"id":7,"error":{"code":-32600,"message":"Message must have string 'method' property"}})");
  CHECK(parse(got[9])["error"]["code"].as_int() == -32602);
  CHECK(parse(got[10])["error"]["code"].as_int() == -32601);

  // A client's decoder reads what the mock writes.
  cdp_decoder decoder;
  for (const auto& m : got) CHECK(decoder.decode(m));

  f.browser->clear_reply("Page.navigate");
  REQUIRE(t->send(R"({"id":10,"method":"Page.navigate","params":{"url":"x"}})"));
  REQUIRE(rec->wait_messages(12));
  CHECK(rec->messages()[11] == R"({"id":10,"result":{"url":"x"}})");

  CHECK(f.browser->requests_received() == 12);
  CHECK(f.browser->connections_accepted() == 1);
  CHECK_FALSE(rec->misbehaved());
}

TEST_CASE("mock browser: 100k events arrive all, in order, then the reply", "[mock][events]") {
  mock_browser_options options;
  // A small server queue: emitting must pause on mailbox_full and resume on on_writable many times.
  options.limits.max_queued_messages = 256;
  options.limits.low_water_messages = 64;
  mock_fixture f(std::move(options));
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  constexpr std::size_t count = 100000;
  REQUIRE(t->send(R"({"id":1,"method":"Mock.emitEvents","params":{"count":100000,"method":"Test.tick","payloadBytes":16}})"));
  // A request sent meanwhile is answered too (its reply may come between the events).
  REQUIRE(t->send(R"({"id":2,"method":"Other.call"})"));
  REQUIRE(rec->wait_messages(count + 2, 30s));
  const auto got = rec->messages();
  std::size_t seq = 0;
  bool in_order = true, other_seen = false, reply_last = false;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const std::string& m = got[i];
    if (m == R"({"id":2,"result":{}})") {
      other_seen = true;
    } else if (m == R"({"id":1,"result":{"emitted":100000}})") {
      reply_last = seq == count;
    } else {
      const std::string prefix = R"({"method":"Test.tick","params":{"seq":)" + std::to_string(seq) + ",";
      if (!m.starts_with(prefix)) {
        in_order = false;
        CAPTURE(m, seq);
        FAIL_CHECK("event out of order");
        break;
      }
      ++seq;
    }
  }
  CHECK(in_order);
  CHECK(seq == count);
  CHECK(other_seen);
  CHECK(reply_last);
  CHECK(f.browser->events_emitted() == count);
  CHECK_FALSE(rec->misbehaved());
}

TEST_CASE("mock browser: event payload size and sessionId", "[mock][events]") {
  mock_fixture f;
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  REQUIRE(t->send(R"({"id":1,"method":"Mock.emitEvents","params":{"count":10},"sessionId":"S"})"));
  REQUIRE(t->send(R"({"id":2,"method":"Mock.emitEvents","params":{"count":2,"payloadBytes":1000,"sessionId":"T"}})"));
  REQUIRE(t->send(R"({"id":3,"method":"Mock.emitEvents","params":{"count":0}})"));
  REQUIRE(rec->wait_messages(15));
  const auto got = rec->messages();
  cdp_decoder decoder;
  for (std::size_t i = 0; i < 10; ++i) {
    auto m = decoder.decode(got[i]);
    REQUIRE(m);
    CHECK(m.value().kind == cdp_kind::event);
    CHECK(m.value().method == "Mock.event");
    CHECK(m.value().session_id == "S");
    CHECK(m.value().payload.size() >= 95);
    CHECK(m.value().payload.size() <= 105);
    CHECK(parse(std::string(m.value().payload))["seq"].as_int() == static_cast<std::int64_t>(i));
  }
  CHECK(got[10] == R"({"id":1,"result":{"emitted":10},"sessionId":"S"})");
  for (std::size_t i = 11; i < 13; ++i) {
    auto m = decoder.decode(got[i]);
    REQUIRE(m);
    CHECK(m.value().session_id == "T");
    CHECK(m.value().payload.size() >= 990);
    CHECK(m.value().payload.size() <= 1010);
  }
  CHECK(got[13] == R"({"id":2,"result":{"emitted":2}})");
  CHECK(got[14] == R"({"id":3,"result":{"emitted":0}})");
}

TEST_CASE("mock browser: faults over WebSocket", "[mock][faults]") {
  mock_fixture f;

  SECTION("closeMidStream drops the connection without a reply") {
    auto rec = std::make_shared<recorder>(f.io.id());
    auto t = f.connect(rec);
    REQUIRE(t->send(R"({"id":1,"method":"Mock.closeMidStream"})"));
    REQUIRE(rec->wait_closed(5s));
    CHECK(rec->why().code == errc::disconnected);
    CHECK(rec->message_count() == 0);
  }
  SECTION("malformed: the frame arrives and is not JSON") {
    auto rec = std::make_shared<recorder>(f.io.id());
    auto t = f.connect(rec);
    REQUIRE(t->send(R"({"id":7,"method":"Mock.malformed"})"));
    REQUIRE(rec->wait_messages(1, 5s));
    const std::string m = rec->messages()[0];
    CHECK(m == R"({"id":7,"result":{)");
    CHECK_FALSE(json_value::parse(m));
    cdp_decoder decoder;
    CHECK(decoder.decode(m).code() == errc::parse);
    // The connection stays usable.
    REQUIRE(t->send(R"({"id":8,"method":"X.y"})"));
    REQUIRE(rec->wait_messages(2, 5s));
  }
  SECTION("oversized: the client's limit ends the connection") {
    auto rec = std::make_shared<recorder>(f.io.id());
    websocket_options options;
    options.limits.max_message_bytes = 64u << 10;
    auto t = f.connect(rec, options);
    REQUIRE(t->send(R"({"id":1,"method":"Mock.oversized","params":{"bytes":1048576}})"));
    REQUIRE(rec->wait_closed(5s));
    CHECK(rec->why().code == errc::message_too_large);
    CHECK(rec->message_count() == 0);
  }
  SECTION("oversized within the limit is well-formed") {
    auto rec = std::make_shared<recorder>(f.io.id());
    auto t = f.connect(rec);
    REQUIRE(t->send(R"({"id":1,"method":"Mock.oversized","params":{"bytes":100000}})"));
    REQUIRE(rec->wait_messages(1, 5s));
    const auto v = parse(rec->messages()[0]);
    CHECK(v["result"]["data"].as_string().size() == 100000);
  }
  SECTION("truncatedFrame: half a frame, then the end") {
    auto rec = std::make_shared<recorder>(f.io.id());
    auto t = f.connect(rec);
    REQUIRE(t->send(R"({"id":1,"method":"X.y"})"));
    REQUIRE(t->send(R"({"id":2,"method":"Mock.truncatedFrame"})"));
    REQUIRE(rec->wait_closed(5s));
    CHECK(rec->messages() == std::vector<std::string>{R"({"id":1,"result":{}})"});
    CHECK(rec->why().code == errc::disconnected);
  }
  SECTION("delay: the reply comes late, later requests are answered meanwhile") {
    auto rec = std::make_shared<recorder>(f.io.id());
    auto t = f.connect(rec);
    const auto start = std::chrono::steady_clock::now();
    REQUIRE(t->send(R"({"id":1,"method":"Mock.delay","params":{"ms":200}})"));
    REQUIRE(t->send(R"({"id":2,"method":"X.y"})"));
    REQUIRE(rec->wait_messages(2, 5s));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(rec->messages() == std::vector<std::string>{R"({"id":2,"result":{}})", R"({"id":1,"result":{"ms":200}})"});
    CHECK(elapsed >= 200ms);
  }
  SECTION("neverReply: silence, but the connection lives") {
    auto rec = std::make_shared<recorder>(f.io.id());
    auto t = f.connect(rec);
    REQUIRE(t->send(R"({"id":1,"method":"Mock.neverReply"})"));
    CHECK_FALSE(rec->wait_messages(1, 300ms));
    REQUIRE(t->send(R"({"id":2,"method":"X.y"})"));
    REQUIRE(rec->wait_messages(1, 5s));
    CHECK(rec->messages()[0] == R"({"id":2,"result":{}})");
  }
  SECTION("a delayed reply to a connection that ended goes nowhere") {
    auto rec = std::make_shared<recorder>(f.io.id());
    auto t = f.connect(rec);
    REQUIRE(t->send(R"({"id":1,"method":"Mock.delay","params":{"ms":50}})"));
    REQUIRE(t->send(R"({"id":2,"method":"Mock.closeMidStream"})"));
    REQUIRE(rec->wait_closed(5s));
    std::this_thread::sleep_for(100ms);
    CHECK(rec->message_count() == 0);
  }
}

TEST_CASE("mock browser: HTTP discovery endpoints", "[mock][http]") {
  mock_fixture f;
  const std::uint16_t port = f.browser->port();
  CHECK(f.browser->http_url() == "http://127.0.0.1:" + std::to_string(port));
  CHECK(f.browser->browser_ws_url().starts_with("ws://127.0.0.1:" + std::to_string(port) + "/devtools/browser/"));

  const auto version = parse(http_get(port, "/json/version"));
  for (const char* key : {"Browser", "Protocol-Version", "User-Agent", "V8-Version", "WebKit-Version"})
    CHECK(version[key].is_string());
  CHECK(version["Protocol-Version"].as_string() == "1.3");
  CHECK(version["webSocketDebuggerUrl"].as_string() == f.browser->browser_ws_url());

  for (const char* path : {"/json/list", "/json", "/json/list?t=1"}) {
    CAPTURE(path);
    const auto list = parse(http_get(port, path));
    REQUIRE(list.is_array());
    REQUIRE(list.size() == 1);
    const auto& page = list[0];
    CHECK(page["type"].as_string() == "page");
    CHECK(page["webSocketDebuggerUrl"].as_string() == f.browser->page_ws_url());
    CHECK(f.browser->page_ws_url().ends_with("/devtools/page/" + page["id"].as_string()));
    CHECK(page["title"].is_string());
    CHECK(page["url"].is_string());
    CHECK(page["devtoolsFrontendUrl"].as_string().find(page["id"].as_string()) != std::string::npos);
  }
  CHECK(parse(http_get(port, "/json/protocol"))["domains"].is_array());
  (void)http_get(port, "/nothing/here", 404);

  // The listed page target is served.
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec, {}, f.browser->page_ws_url());
  REQUIRE(t->send(R"({"id":1,"method":"Runtime.enable"})"));
  REQUIRE(rec->wait_messages(1, 5s));

  // A path outside /devtools/ is refused.
  connect_waiter w;
  connect_websocket(f.io.io, "ws://127.0.0.1:" + std::to_string(port) + "/other", std::make_shared<recorder>(f.io.id()),
                    w.callback());
  CHECK(w.get().code() == errc::transport);
}

TEST_CASE("mock browser: replaying a capture", "[mock][replay]") {
  std::size_t events = 0;
  {
    std::ifstream in(capture_file());
    REQUIRE(in);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty() && line.find("\"result\":") == std::string::npos) ++events;
  }
  REQUIRE(events > 0);

  mock_browser_options options;
  options.capture_path = capture_file();
  mock_fixture f(std::move(options));
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  REQUIRE(t->send(R"({"id":1,"method":"Mock.replay","params":{}})"));
  REQUIRE(rec->wait_messages(events + 1));
  auto got = rec->messages();
  CHECK(got.back() == R"({"id":1,"result":{"replayed":)" + std::to_string(events) + "}}");
  cdp_decoder decoder;
  for (std::size_t i = 0; i < events; ++i) {
    auto m = decoder.decode(got[i]);
    REQUIRE(m);
    CHECK(m.value().kind == cdp_kind::event);
  }
  CHECK(decoder.decode(got[0]).value().method == "Target.targetCreated");
  CHECK(f.browser->events_emitted() == events);

  // Commands of the capture are answered as recorded; others still echo.
  REQUIRE(t->send(R"({"id":2,"method":"Browser.getVersion"})"));
  REQUIRE(t->send(R"({"id":3,"method":"Not.recorded","params":{"k":2}})"));
  REQUIRE(rec->wait_messages(events + 3));
  got = rec->messages();
  const auto version = parse(got[events + 1]);
  CHECK(version["id"].as_int() == 2);
  CHECK(version["result"]["product"].as_string().starts_with("Chrome/"));
  CHECK(got[events + 2] == R"({"id":3,"result":{"k":2}})");
}

TEST_CASE("mock browser: replay without a capture, and a bad capture", "[mock][replay]") {
  mock_fixture f;
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  REQUIRE(t->send(R"({"id":1,"method":"Mock.replay"})"));
  REQUIRE(rec->wait_messages(1, 5s));
  CHECK(parse(rec->messages()[0])["error"]["code"].as_int() == -32000);

  mock_browser_options options;
  options.capture_path = "/nonexistent/capture.jsonl";
  CHECK(mock_browser::start(f.io.io, options).code() == errc::not_found);
}

namespace {

/// The mock serving one pipe client: the client's transport holds the other ends.
struct pipe_fixture : mock_fixture {
  pipe_fixture() {
    int commands[2], output[2];  // client -> mock, mock -> client
    REQUIRE(::pipe2(commands, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(output, O_CLOEXEC) == 0);
    REQUIRE(browser->serve_pipe(commands[0], output[1], [gone = gone] { *gone = true; }));
    auto c = open_pipe_transport(io.io, output[0], commands[1], rec);
    REQUIRE(c);
    client = std::move(c).value();
  }
  // Shared: the mock's callback may run on the io thread while the fixture is being destroyed.
  std::shared_ptr<std::atomic<bool>> gone = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<recorder> rec = std::make_shared<recorder>(io.id());
  std::shared_ptr<transport> client;
};

}  // namespace

TEST_CASE("mock browser: pipe mode", "[mock][pipe]") {
  pipe_fixture f;

  SECTION("replies, events, then the client leaves") {
    REQUIRE(f.client->send(R"({"id":1,"method":"Target.getTargets","params":{"z":0},"sessionId":"P"})"));
    REQUIRE(f.client->send(R"({"id":2,"method":"Mock.emitEvents","params":{"count":5000,"payloadBytes":200}})"));
    REQUIRE(f.rec->wait_messages(5002));
    const auto got = f.rec->messages();
    CHECK(got[0] == R"({"id":1,"result":{"z":0},"sessionId":"P"})");
    CHECK(got[1].starts_with(R"({"method":"Mock.event","params":{"seq":0,)"));
    CHECK(got[5000].starts_with(R"({"method":"Mock.event","params":{"seq":4999,)"));
    CHECK(got[5001] == R"({"id":2,"result":{"emitted":5000}})");
    CHECK(f.browser->connections_accepted() == 1);
    f.client->close();
    REQUIRE(f.rec->wait_closed(5s));
    REQUIRE(eventually([&] { return f.gone->load(); }));
  }
  SECTION("closeMidStream") {
    REQUIRE(f.client->send(R"({"id":1,"method":"Mock.closeMidStream"})"));
    REQUIRE(f.rec->wait_closed(5s));
    CHECK(f.rec->why().code == errc::disconnected);
    CHECK(f.rec->message_count() == 0);
    REQUIRE(eventually([&] { return f.gone->load(); }));
  }
  SECTION("truncatedFrame: half a message, then EOF") {
    REQUIRE(f.client->send(R"({"id":1,"method":"X.y"})"));
    REQUIRE(f.client->send(R"({"id":2,"method":"Mock.truncatedFrame"})"));
    REQUIRE(f.rec->wait_closed(5s));
    CHECK(f.rec->messages() == std::vector<std::string>{R"({"id":1,"result":{}})"});
    CHECK(f.rec->why().code == errc::disconnected);
    CHECK(f.rec->why().message.find("EOF") != std::string::npos);
  }
  SECTION("stop() ends the pipe client") {
    REQUIRE(f.client->send(R"({"id":1,"method":"X.y"})"));
    REQUIRE(f.rec->wait_messages(1, 5s));
    f.browser->stop();
    REQUIRE(f.rec->wait_closed(5s));
    REQUIRE(eventually([&] { return f.gone->load(); }));
  }
}

TEST_CASE("mock browser: stop() drops WebSocket clients", "[mock]") {
  mock_fixture f;
  auto rec = std::make_shared<recorder>(f.io.id());
  auto t = f.connect(rec);
  REQUIRE(t->send(R"({"id":1,"method":"Mock.neverReply"})"));
  f.browser->stop();
  REQUIRE(rec->wait_closed(5s));
  CHECK(rec->why().code == errc::disconnected);
}
