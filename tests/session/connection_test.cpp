// The connection, command layer and event dispatcher against a scripted WebSocket peer.
#include "scripted_peer.hpp"

#include "../support/thread_safe_check.hpp"
#include "../support/time_bounds.hpp"

#include <janus/cdp/browser.hpp>
#include <janus/cdp/page.hpp>
#include <janus/session/cdp_connection.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace janus;
using namespace janus::session;
using namespace std::chrono_literals;
using test::command;
using test::reply_for;
using test::scripted_peer;
using conn_ptr = std::shared_ptr<protocol::websocket_connection>;

namespace {

// Echoes params as the result, at once.
void echo(const conn_ptr& c, command cmd) { (void)c->send(reply_for(cmd, cmd.params.empty() ? "{}" : cmd.params)); }

cdp_connection must_connect(rt::scheduler& s, const std::string& url, connection_options o = {}, connect_policy p = {}) {
  auto c = s.block_on(cdp_connection::connect(s, url, std::move(o), p));
  TS_REQUIRE(c);
  return std::move(*c);
}

std::string event_text(std::string_view method, int seq, std::string_view session = {}) {
  std::string out = "{\"method\":\"" + std::string(method) + "\",\"params\":{\"seq\":" + std::to_string(seq) + "}";
  if (!session.empty()) out += ",\"sessionId\":\"" + std::string(session) + "\"";
  return out + "}";
}

int seq_of(const cdp_event& e) {
  const auto p = e.params();
  const auto at = p.find("\"seq\":");
  return std::stoi(std::string(p.substr(at + 6)));
}

// block_on takes a task; a call is an awaiter that lives in its caller's frame.
rt::task<rt::result<protocol::cdp_owned_message>> call_task(cdp_session session, std::string method,
                                                           std::string params, call_options o) {
  co_return co_await session.call(method, params, std::move(o));
}
rt::task<rt::result<protocol::cdp_owned_message>> call_task(cdp_session session, std::string method, std::string params) {
  return call_task(std::move(session), std::move(method), std::move(params), call_options{});
}
rt::task<rt::result<protocol::cdp_owned_message>> call_task(cdp_session session, std::string method) {
  return call_task(std::move(session), std::move(method), std::string(), call_options{});
}

subscription_spec spec(std::string method, std::size_t capacity = 1024, rt::overflow policy = rt::overflow::block,
                       std::size_t replay_last = 0, std::function<bool(const cdp_event&)> filter = {}) {
  subscription_spec sp;
  sp.method = std::move(method);
  sp.capacity = capacity;
  sp.policy = policy;
  sp.replay_last = replay_last;
  sp.filter = std::move(filter);
  return sp;
}

}  // namespace

TEST_CASE("a command's reply comes back as raw JSON, and an error reply as errc::protocol") {
  scripted_peer peer([](const conn_ptr& c, command cmd) {
    if (cmd.method == "Bad.method")
      (void)c->send("{\"id\":" + std::to_string(cmd.id) + R"(,"error":{"code":-32601,"message":"'Bad.method' wasn't found"}})");
    else
      echo(c, cmd);
  });
  rt::scheduler s({.workers = 2});
  cdp_connection conn = must_connect(s, peer.url());
  auto run = [](cdp_connection conn) -> rt::task<void> {
    auto ok = co_await conn.browser().call("Echo.this", R"({"a":[1,2,{"b":"c"}]})");
    TS_REQUIRE(ok);
    TS_CHECK(ok->payload() == R"({"a":[1,2,{"b":"c"}]})");
    auto bad = co_await conn.browser().call("Bad.method");
    TS_REQUIRE(!bad);
    TS_CHECK(bad.code() == rt::errc::protocol);
    TS_CHECK(bad.err().protocol_code == -32601);
    TS_CHECK(bad.err().message.find("wasn't found") != std::string::npos);
  };
  s.block_on(run(conn));
  TS_CHECK(conn.stats().replies == 2);
}

TEST_CASE("10k pipelined commands answered in random order all reach their own caller") {
  static constexpr int n = 10000;
  std::mutex mu;
  std::vector<command> held;
  scripted_peer peer([&](const conn_ptr& c, command cmd) {
    std::vector<command> batch;
    {
      std::lock_guard lk(mu);
      held.push_back(std::move(cmd));
      if (held.size() < static_cast<std::size_t>(n)) return;
      batch.swap(held);
    }
    std::shuffle(batch.begin(), batch.end(), std::mt19937(42));
    for (auto& b : batch) echo(c, b);
  });
  rt::scheduler s({.workers = 2});
  cdp_connection conn = must_connect(s, peer.url());
  std::atomic<int> matched{0};
  auto one = [](cdp_connection conn, int i, std::atomic<int>& matched) -> rt::task<void> {
    const std::string params = "{\"n\":" + std::to_string(i) + "}";
    auto r = co_await conn.browser().call("Test.pipelined", params, {.deadline = rt::deadline(60s), .cancel = {}});
    if (r && r->payload() == params) matched.fetch_add(1);
  };
  for (int i = 0; i < n; ++i) s.spawn(one(conn, i, matched));
  const bool all_matched = s.block_on([](rt::scheduler& sched, std::atomic<int>& m) -> rt::task<bool> {
    for (int i = 0; i < 3000 && m.load() < n; ++i) co_await rt::sleep_for(sched, 10ms);
    co_return m.load() == n;
  }(s, matched));
  TS_REQUIRE(all_matched);
  TS_CHECK(conn.stats().unmatched_replies == 0);
  TS_CHECK(conn.stats().pending == 0);
}

TEST_CASE("a dropped connection fails every pending command at once, saying it was sent") {
  static constexpr int n = 1000;
  std::atomic<int> received{0};
  scripted_peer peer([&](const conn_ptr&, command) { received.fetch_add(1); });  // never replies
  rt::scheduler s({.workers = 2});
  cdp_connection conn = must_connect(s, peer.url());
  std::atomic<int> failed{0};
  std::atomic<int> sent_flag{0};
  auto one = [](cdp_connection conn, std::atomic<int>& failed, std::atomic<int>& sent_flag) -> rt::task<void> {
    auto r = co_await conn.browser().call("Test.hang", {}, {.deadline = rt::deadline(30s), .cancel = {}});
    if (!r && r.code() == rt::errc::disconnected) {
      failed.fetch_add(1);
      if (r.err().sent) sent_flag.fetch_add(1);
    }
  };
  for (int i = 0; i < n; ++i) s.spawn(one(conn, failed, sent_flag));
  for (int i = 0; i < 2000 && received.load() < n; ++i) std::this_thread::sleep_for(5ms);
  TS_REQUIRE(received.load() == n);
  const auto dropped_at = std::chrono::steady_clock::now();
  peer.connections().front()->drop();
  while (failed.load() < n && std::chrono::steady_clock::now() - dropped_at < 25s) std::this_thread::sleep_for(1ms);
  const auto took = std::chrono::steady_clock::now() - dropped_at;
  TS_CHECK(failed.load() == n);
  TS_CHECK(sent_flag.load() == n);
  // At once, not at their 30 s deadline: disconnected (checked above) says why they failed, and
  // the bound (10x what a quiet machine takes, scaled for slow runs) that nothing waited for it.
  TS_CHECK(took < janus_test::generous(1000ms));
  // Later calls fail at once, as not sent.
  auto later = s.block_on(call_task(conn.browser(), "Test.after"));
  TS_REQUIRE(!later);
  TS_CHECK(later.code() == rt::errc::disconnected);
  TS_CHECK_FALSE(later.err().sent);
}

TEST_CASE("a deadline fails the command with timeout and sent=true; the late reply is counted, not delivered") {
  std::mutex mu;
  // Weak: the peer owns its connections, and they must not outlive its io_context.
  std::vector<std::pair<std::weak_ptr<protocol::websocket_connection>, command>> held;
  scripted_peer peer([&](const conn_ptr& c, command cmd) {
    std::lock_guard lk(mu);
    held.emplace_back(c, std::move(cmd));
  });
  rt::scheduler s({.workers = 2});
  cdp_connection conn = must_connect(s, peer.url());
  const auto t0 = std::chrono::steady_clock::now();
  auto r = s.block_on(call_task(conn.browser(), "Test.slow", {}, {.deadline = rt::deadline(150ms), .cancel = {}}));
  const auto took = std::chrono::steady_clock::now() - t0;
  TS_REQUIRE(!r);
  TS_CHECK(r.code() == rt::errc::timeout);
  TS_CHECK(r.err().sent);
  TS_CHECK(took >= 140ms);
  TS_CHECK(took < janus_test::generous(2s));  // the deadline fired, not much later
  {
    std::lock_guard lk(mu);
    TS_REQUIRE(held.size() == 1);
    auto c = held[0].first.lock();
    TS_REQUIRE(c);
    (void)c->send(reply_for(held[0].second, "{}"));
  }
  for (int i = 0; i < 500 && conn.stats().unmatched_replies == 0; ++i) std::this_thread::sleep_for(2ms);
  TS_CHECK(conn.stats().unmatched_replies == 1);
}

TEST_CASE("cancelling a command fails it with cancelled") {
  scripted_peer peer([](const conn_ptr&, command) {});
  rt::scheduler s({.workers = 2});
  cdp_connection conn = must_connect(s, peer.url());
  rt::cancel_source src;
  std::thread canceller([&] {
    std::this_thread::sleep_for(50ms);
    src.cancel();
  });
  auto r = s.block_on(call_task(conn.browser(), "Test.cancel", {}, {.deadline = rt::deadline(10s), .cancel = src.token()}));
  canceller.join();
  TS_REQUIRE(!r);
  TS_CHECK(r.code() == rt::errc::cancelled);
  TS_CHECK(r.err().sent);
  // Already cancelled: fails without waiting.
  auto again = s.block_on(call_task(conn.browser(), "Test.cancel", {}, {.deadline = rt::deadline(10s), .cancel = src.token()}));
  TS_CHECK(again.code() == rt::errc::cancelled);
}

TEST_CASE("a message that is not JSON ends the connection and fails pending commands with the reason") {
  scripted_peer peer([](const conn_ptr& c, command cmd) {
    (void)c->send("{\"id\":" + std::to_string(cmd.id) + ",\"result\":{");
  });
  rt::scheduler s({.workers = 2});
  cdp_connection conn = must_connect(s, peer.url());
  auto r = s.block_on(call_task(conn.browser(), "Test.malformed", {}, {.deadline = rt::deadline(5s), .cancel = {}}));
  TS_REQUIRE(!r);
  TS_CHECK(r.code() == rt::errc::disconnected);
  TS_CHECK(r.err().message.find("unreadable message") != std::string::npos);
}

TEST_CASE("events reach subscriptions by method, by domain, by session and through filters") {
  scripted_peer peer([](const conn_ptr& c, command cmd) {
    if (cmd.method == "Test.emit") {
      (void)c->send(event_text("Network.requestWillBeSent", 1));
      (void)c->send(event_text("Network.responseReceived", 2));
      (void)c->send(event_text("Page.loadEventFired", 3, "S1"));
      (void)c->send(event_text("Network.responseReceived", 4, "S1"));
      (void)c->send(event_text("Network.responseReceived", 5, "S2"));
    }
    echo(c, cmd);
  });
  rt::scheduler s({.workers = 2});
  cdp_connection conn = must_connect(s, peer.url());
  auto run = [](cdp_connection conn) -> rt::task<void> {
    auto exact = co_await conn.subscribe(spec("Network.responseReceived"));
    auto domain = co_await conn.subscribe(spec("Network.*"));
    auto all = co_await conn.subscribe(spec("*"));
    auto s1 = co_await conn.session("S1").subscribe("*");
    auto browser_only = co_await conn.browser().subscribe("Network.*");
    auto filtered = co_await conn.subscribe(
        spec("*", 1024, rt::overflow::block, 0, [](const cdp_event& e) { return e.session_id() == "S2"; }));
    TS_REQUIRE(exact);
    TS_REQUIRE(domain);
    TS_REQUIRE(all);
    TS_REQUIRE(s1);
    TS_REQUIRE(browser_only);
    TS_REQUIRE(filtered);
    auto awaited1 = co_await conn.browser().call("Test.emit");
    TS_REQUIRE(awaited1);
    auto take = [](rt::subscription<cdp_event>& sub, std::size_t n) -> rt::task<std::vector<int>> {
      std::vector<int> seqs;
      for (std::size_t i = 0; i < n; ++i) {
        auto e = co_await sub.next(rt::deadline(5s));
        if (!e) break;
        seqs.push_back(seq_of(*e));
      }
      co_return seqs;
    };
    auto awaited2 = co_await take(*exact, 3);
    TS_CHECK(awaited2 == std::vector<int>{2, 4, 5});
    auto awaited3 = co_await take(*domain, 4);
    TS_CHECK(awaited3 == std::vector<int>{1, 2, 4, 5});
    auto awaited4 = co_await take(*all, 5);
    TS_CHECK(awaited4 == std::vector<int>{1, 2, 3, 4, 5});
    auto awaited5 = co_await take(*s1, 2);
    TS_CHECK(awaited5 == std::vector<int>{3, 4});
    auto awaited6 = co_await take(*browser_only, 2);
    TS_CHECK(awaited6 == std::vector<int>{1, 2});
    auto awaited7 = co_await take(*filtered, 1);
    TS_CHECK(awaited7 == std::vector<int>{5});
    // Nothing more for the session subscription.
    auto none = co_await s1->next(rt::deadline(50ms));
    TS_CHECK(none.code() == rt::errc::timeout);
  };
  s.block_on(run(conn));
}

TEST_CASE("a lossy subscriber counts what it drops; a blocking one slows the connection and loses nothing") {
  static constexpr int n = 20000;
  scripted_peer peer([](const conn_ptr& c, command cmd) {
    if (cmd.method == "Test.burst") {
      for (int i = 0; i < n; ++i) {
        std::string e = event_text("Burst.event", i);
        (void)c->send(std::move(e));  // the peer's queue limits are raised: never refused
      }
    }
    echo(c, cmd);
  });
  rt::scheduler s({.workers = 2});
  connection_options o;
  o.dispatcher_mailbox = 64;  // small, so the backlog and the read pause are exercised
  cdp_connection conn = must_connect(s, peer.url(), o);
  auto run = [](cdp_connection conn) -> rt::task<void> {
    auto lossy = co_await conn.subscribe(spec("Burst.event", 16, rt::overflow::drop_newest));
    auto exact = co_await conn.subscribe(spec("Burst.event", 32, rt::overflow::block));
    TS_REQUIRE(lossy);
    TS_REQUIRE(exact);
    // The reply comes after the burst, so the call runs beside the consumer: a `block` subscriber
    // that nobody reads holds the connection's reading, replies included.
    std::atomic<int> burst{0};  // 1: ok, 2: failed
    conn.actor().sched().spawn([](cdp_connection conn, std::atomic<int>& burst) -> rt::task<void> {
      auto r = co_await conn.browser().call("Test.burst");
      if (!r) UNSCOPED_INFO(r.err().what());
      burst = r ? 1 : 2;
    }(conn, burst));
    int expected = 0;
    bool in_order = true;
    for (; expected < n; ++expected) {
      auto e = co_await exact->next(rt::deadline(10s));
      if (!e) {
        auto st = conn.stats();
        auto ds = co_await conn.dispatcher().ask(event_dispatcher::get_stats{}, rt::deadline(1s));
        UNSCOPED_INFO("events " << st.events << " pauses " << st.read_pauses << " dispatcher events "
                                << (ds ? ds->events : 0) << " waited " << (ds ? ds->waited : 0) << " error " << e.err().what());
        break;
      }
      if (seq_of(*e) != expected) in_order = false;
      if (expected % 1000 == 0) co_await rt::sleep_for(conn.actor().sched(), 1ms);  // a slow consumer
    }
    TS_CHECK(expected == n);
    TS_CHECK(in_order);
    for (int i = 0; i < 1000 && burst == 0; ++i) co_await rt::sleep_for(conn.actor().sched(), 5ms);
    TS_CHECK(burst == 1);
    std::uint64_t got = 0;
    while (lossy->try_next()) ++got;
    TS_CHECK(lossy->dropped() > 0);
    TS_CHECK(got + lossy->dropped() == static_cast<std::uint64_t>(n));
  };
  s.block_on(run(conn));
  TS_CHECK(conn.stats().read_pauses > 0);
}

TEST_CASE("retained events are replayed to a late subscriber") {
  scripted_peer peer([](const conn_ptr& c, command cmd) {
    if (cmd.method == "Test.emit")
      for (int i = 0; i < 5; ++i) (void)c->send(event_text("Log.entryAdded", i));
    echo(c, cmd);
  });
  rt::scheduler s({.workers = 2});
  cdp_connection conn = must_connect(s, peer.url());
  TS_REQUIRE(conn.retain("Log.entryAdded", 3));
  auto run = [](cdp_connection conn) -> rt::task<void> {
    auto awaited9 = co_await conn.browser().call("Test.emit");
    TS_REQUIRE(awaited9);
    // The reply may overtake the events on their way through the dispatcher: wait for them.
    for (int i = 0; i < 500; ++i) {
      auto st = co_await conn.dispatcher().ask(event_dispatcher::get_stats{}, rt::deadline(1s));
      if (st && st->events == 5) break;
      co_await rt::sleep_for(conn.actor().sched(), 2ms);
    }
    auto late = co_await conn.subscribe(spec("Log.entryAdded", 1024, rt::overflow::block, 2));
    TS_REQUIRE(late);
    std::vector<int> seqs;
    while (auto e = late->try_next()) seqs.push_back(seq_of(*e));
    TS_CHECK(seqs == std::vector<int>{3, 4});
  };
  s.block_on(run(conn));
}

TEST_CASE("a supervised connection reconnects after a drop; pending commands still fail") {
  scripted_peer peer([](const conn_ptr& c, command cmd) {
    if (cmd.method != "Test.hang") echo(c, cmd);
  });
  rt::scheduler s({.workers = 2});
  rt::supervisor sup(s);
  connect_policy p;
  p.supervisor = &sup;
  p.policy.on_failure = rt::directive::restart;
  p.policy.restart.initial_backoff = 20ms;
  cdp_connection conn = must_connect(s, peer.url(), {}, p);
  std::atomic<bool> done{false};
  rt::result<protocol::cdp_owned_message> hung = rt::error{rt::errc::ok};
  s.spawn([](cdp_connection conn, rt::result<protocol::cdp_owned_message>& out, std::atomic<bool>& done) -> rt::task<void> {
    out = co_await conn.browser().call("Test.hang", {}, {.deadline = rt::deadline(10s), .cancel = {}});
    done = true;
  }(conn, hung, done));
  for (int i = 0; i < 1000 && conn.stats().pending == 0; ++i) std::this_thread::sleep_for(2ms);
  peer.connections().front()->drop();
  for (int i = 0; i < 1000 && !done; ++i) std::this_thread::sleep_for(2ms);
  TS_REQUIRE(done);
  TS_CHECK(hung.code() == rt::errc::disconnected);
  for (int i = 0; i < 2500 && peer.accepted() < 2; ++i) std::this_thread::sleep_for(2ms);
  TS_REQUIRE(peer.accepted() == 2);
  rt::result<protocol::cdp_owned_message> after = rt::error{rt::errc::ok};
  for (int i = 0; i < 200; ++i) {
    after = s.block_on(call_task(conn.browser(), "Test.after", R"({"x":1})"));
    if (after) break;
    std::this_thread::sleep_for(5ms);
  }
  TS_REQUIRE(after);
  TS_CHECK(after->payload() == R"({"x":1})");
  TS_CHECK(conn.stats().connects == 2);
}

TEST_CASE("with zero threads the host's poll loop drives commands and events") {
  scripted_peer peer([](const conn_ptr& c, command cmd) {
    if (cmd.method == "Test.emit") (void)c->send(event_text("Poll.event", 7));
    echo(c, cmd);
  });
  rt::scheduler s({.workers = 0});
  cdp_connection conn = must_connect(s, peer.url());
  auto run = [](cdp_connection conn) -> rt::task<void> {
    auto sub = co_await conn.subscribe(spec("Poll.event"));
    TS_REQUIRE(sub);
    auto awaited10 = co_await conn.browser().call("Test.emit");
    TS_REQUIRE(awaited10);
    auto e = co_await sub->next(rt::deadline(5s));
    TS_REQUIRE(e);
    TS_CHECK(seq_of(*e) == 7);
  };
  s.block_on(run(conn));
  TS_CHECK(s.threads_started() == 0);
}

TEST_CASE("typed commands and events: send, on<E>, and send_and_wait arms before it acts") {
  scripted_peer peer([](const conn_ptr& c, command cmd) {
    if (cmd.method == "Page.navigate") {
      // The event the command causes goes out before its reply, as Chromium does.
      (void)c->send(R"({"method":"Page.loadEventFired","params":{"timestamp":12.5},"sessionId":")" + cmd.session_id + "\"}");
      (void)c->send(reply_for(cmd, R"({"frameId":"F1","loaderId":"L1"})"));
    } else if (cmd.method == "Browser.getVersion") {
      (void)c->send(reply_for(cmd, R"({"protocolVersion":"1.3","product":"Mock/1","revision":"r","userAgent":"ua","jsVersion":"1"})"));
    } else {
      echo(c, cmd);
    }
  });
  rt::scheduler s({.workers = 2});
  cdp_connection conn = must_connect(s, peer.url());
  auto run = [](cdp_connection conn) -> rt::task<void> {
    auto version = co_await conn.browser().send(cdp::browser::get_version{});
    TS_REQUIRE(version);
    TS_CHECK(version->product == "Mock/1");
    cdp_session page = conn.session("PAGE1");
    cdp::page::navigate nav;
    nav.url = "http://127.0.0.1/";
    auto both = co_await page.send_and_wait<cdp::page::load_event_fired>(nav, rt::deadline(5s));
    TS_REQUIRE(both);
    TS_CHECK(both->first.frame_id == "F1");
    TS_CHECK(both->second.timestamp == 12.5);
    // A typed subscription on another session sees nothing of PAGE1's events.
    auto other = co_await conn.session("OTHER").on<cdp::page::load_event_fired>();
    TS_REQUIRE(other);
    auto again = co_await page.send(nav);
    TS_REQUIRE(again);
    auto none = co_await other->next(rt::deadline(50ms));
    TS_CHECK(none.code() == rt::errc::timeout);
  };
  s.block_on(run(conn));
}

TEST_CASE("fail_session ends one session's pending commands and refuses its later ones; others go on") {
  std::atomic<int> received{0};
  std::mutex mu;
  std::vector<command> held;  // session B's Test.slow, answered at the end
  scripted_peer peer([&](const conn_ptr& c, command cmd) {
    if (cmd.method == "Test.slow") {
      std::lock_guard lk(mu);
      held.push_back(cmd);
    } else if (cmd.method != "Test.hang") {
      echo(c, cmd);
    }
    received.fetch_add(1);  // session A's Test.hang is never answered: its target "crashed"
  });
  rt::scheduler s({.workers = 2});
  cdp_connection conn = must_connect(s, peer.url());
  struct outcomes {
    rt::result<protocol::cdp_owned_message> a, b, a_later, browser;
    std::chrono::steady_clock::duration a_took{};
  };
  auto run = [](cdp_connection conn, rt::scheduler& s, std::atomic<int>& received, std::mutex& mu,
                std::vector<command>& held, scripted_peer& peer) -> rt::task<outcomes> {
    outcomes out;
    // B's command is answered only after A's session has been failed.
    s.spawn([](cdp_connection conn, rt::scheduler& s, std::atomic<int>& received, std::mutex& mu,
               std::vector<command>& held, scripted_peer& peer) -> rt::task<void> {
      while (received.load() < 2) co_await rt::sleep_for(s, 1ms);
      const std::size_t n = conn.session("A").core()->fail_session("A", rt::errc::target_crashed, "the target crashed");
      TS_CHECK(n == 1);
      TS_CHECK(conn.session("A").core()->fail_session("", rt::errc::target_crashed, "no-op") == 0);
      std::lock_guard lk(mu);
      for (const command& c : held) (void)peer.connections().front()->send(reply_for(c, "{\"b\":1}"));
    }(conn, s, received, mu, held, peer));
    const auto start = std::chrono::steady_clock::now();
    auto a = [](cdp_session a) -> rt::task<rt::result<protocol::cdp_owned_message>> {
      co_return co_await a.call("Test.hang", {}, {.deadline = rt::deadline(30s), .cancel = {}});
    };
    auto b = [](cdp_session b) -> rt::task<rt::result<protocol::cdp_owned_message>> {
      co_return co_await b.call("Test.slow", {}, {.deadline = rt::deadline(30s), .cancel = {}});
    };
    // Both are in flight together: B's reply is held until after A failed.
    rt::task<rt::result<protocol::cdp_owned_message>> tb = b(conn.session("B"));
    auto b_done = std::make_shared<std::optional<rt::result<protocol::cdp_owned_message>>>();
    auto b_flag = std::make_shared<std::atomic<bool>>(false);
    s.spawn([](rt::task<rt::result<protocol::cdp_owned_message>> t, std::shared_ptr<std::optional<rt::result<protocol::cdp_owned_message>>> out,
               std::shared_ptr<std::atomic<bool>> flag) -> rt::task<void> {
      auto r = co_await std::move(t);
      out->emplace(std::move(r));
      flag->store(true);
    }(std::move(tb), b_done, b_flag));
    out.a = co_await a(conn.session("A"));
    out.a_took = std::chrono::steady_clock::now() - start;
    out.a_later = co_await a(conn.session("A"));
    for (int i = 0; i < 5000 && !b_flag->load(); ++i) co_await rt::sleep_for(s, 1ms);
    TS_REQUIRE(b_flag->load());
    out.b = std::move(**b_done);
    out.browser = co_await conn.browser().call("Test.echo", "{\"x\":2}");
    co_return out;
  };
  outcomes out = s.block_on(run(conn, s, received, mu, held, peer));
  REQUIRE_FALSE(out.a);
  CHECK(out.a.code() == rt::errc::target_crashed);
  CHECK(out.a.err().sent);
  CHECK(out.a.err().message.find("the target crashed") != std::string::npos);
  CHECK(out.a_took < 5s);  // at the crash, not its 30 s deadline
  REQUIRE_FALSE(out.a_later);
  CHECK(out.a_later.code() == rt::errc::target_crashed);
  CHECK_FALSE(out.a_later.err().sent);
  REQUIRE(out.b);
  CHECK(out.b->payload() == "{\"b\":1}");
  REQUIRE(out.browser);
  CHECK(out.browser->payload() == "{\"x\":2}");
  CHECK(conn.stats().pending == 0);
}
