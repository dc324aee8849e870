// rdp_connection against a scripted loopback TCP peer (rdp_peer.hpp) that plays Firefox's
// debugger server with exactly the orderings a test needs: replies held back and released per
// actor, events between replies, overtaking errors, forwardingCancelled, a hung actor, a dropped
// connection.
#include "../support/thread_safe_check.hpp"
#include "rdp_peer.hpp"

#include <janus/session/rdp_connection.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace janus;
using namespace janus::session;
using namespace std::chrono_literals;
using protocol::json_value;

namespace {

using test::firefox_greeting;
using test::packet;
using test::rdp_peer;

rdp_connection must_connect(rt::scheduler& s, const rdp_peer& peer, rdp_connection_options o = {}) {
  auto c = s.block_on(rdp_connection::connect(s, "127.0.0.1", peer.port(), std::move(o)));
  if (!c) FAIL(c.err().what());
  return std::move(*c);
}

std::string reply(const std::string& from, const std::string& members = {}) {
  return "{\"from\":\"" + from + "\"" + (members.empty() ? "" : "," + members) + "}";
}

using reply_result = rt::result<protocol::rdp_owned_message>;

/// Runs a request on the scheduler and keeps its outcome; `done` counts finished ones.
struct in_flight {
  std::shared_ptr<reply_result> result = std::make_shared<reply_result>(rt::error{rt::errc::cancelled, "not finished"});
  std::shared_ptr<std::atomic<bool>> finished = std::make_shared<std::atomic<bool>>(false);

  bool done() const { return finished->load(); }
};

in_flight start(rt::scheduler& s, rt::task<reply_result> t) {
  in_flight f;
  s.spawn([](rt::task<reply_result> t, in_flight f) -> rt::task<void> {
    *f.result = co_await std::move(t);
    f.finished->store(true);
  }(std::move(t), f));
  return f;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

rdp_request_options within(std::chrono::milliseconds d) {
  rdp_request_options o;
  o.deadline = rt::deadline(d);
  return o;
}

std::int64_t field_n(const reply_result& r) {
  auto v = json_value::parse(r->json());
  return (*v)["n"].as_int();
}

}  // namespace

TEST_CASE("replies are paired per actor in request order; actors are independent", "[rdp]") {
  // Actor A's replies are held until three requests are in, then released in arrival order, each
  // echoing its request's n; actor B answers at once.
  std::mutex mu;
  std::vector<packet> held;
  rdp_peer peer([&](rdp_peer& p, const packet& pk) {
    if (pk.to == "server1.conn0.a1") {
      std::lock_guard lk(mu);
      held.push_back(pk);
      if (held.size() == 3)
        for (auto& h : held) p.send(reply("server1.conn0.a1", "\"n\":" + std::to_string(h.body["n"].as_int())));
    } else {
      p.send(reply(pk.to, "\"n\":" + std::to_string(pk.body["n"].as_int())));
    }
  });
  rt::scheduler s({.workers = 2});
  rdp_connection c = must_connect(s, peer);
  CHECK(c.greeting().from() == "root");

  std::vector<in_flight> a;
  for (int n = 1; n <= 2; ++n) a.push_back(start(s, c.request("server1.conn0.a1", "get", "{\"n\":" + std::to_string(n) + "}")));
  REQUIRE(peer.wait_received(2));
  // While A holds its replies, B answers.
  auto b = s.block_on(c.request("server1.conn0.b2", "get", R"({"n":7})"));
  REQUIRE(b);
  CHECK(field_n(b) == 7);
  CHECK_FALSE(a[0].done());
  CHECK_FALSE(a[1].done());
  a.push_back(start(s, c.request("server1.conn0.a1", "get", R"({"n":3})")));
  REQUIRE(wait_until([&] { return a[0].done() && a[1].done() && a[2].done(); }));
  for (int i = 0; i < 3; ++i) {
    REQUIRE(*a[i].result);
    CHECK(field_n(*a[i].result) == i + 1);
  }
  CHECK(c.stats().replies == 4);
  CHECK(c.stats().unmatched == 0);
  CHECK(c.stats().pending == 0);
}

TEST_CASE("an error reply fails its own request with errc::protocol; the next one gets its reply", "[rdp]") {
  rdp_peer peer([](rdp_peer& p, const packet& pk) {
    if (pk.type == "bad")
      p.send(R"({"from":")" + pk.to + R"(","error":"noTab","message":"Unable to find tab with browserId '9'"})");
    else
      p.send(reply(pk.to, R"("ok":true)"));
  });
  rt::scheduler s({.workers = 2});
  rdp_connection c = must_connect(s, peer);
  auto bad = start(s, c.request("root", "bad"));
  REQUIRE(peer.wait_received(1));
  auto good = start(s, c.request("root", "fine"));
  REQUIRE(wait_until([&] { return bad.done() && good.done(); }));
  REQUIRE_FALSE(*bad.result);
  CHECK(bad.result->err().code == rt::errc::protocol);
  CHECK(bad.result->err().message.find("noTab") != std::string::npos);
  CHECK(bad.result->err().message.find("Unable to find tab") != std::string::npos);
  REQUIRE(*good.result);
  CHECK((*good.result)->json().find("\"ok\":true") != std::string_view::npos);
  CHECK(c.stats().error_replies == 1);
}

TEST_CASE("an event between replies goes to subscribers; a reply with a type is still a reply", "[rdp]") {
  const std::string watcher = "server1.conn0.watcher2";
  rdp_peer peer([&](rdp_peer& p, const packet& pk) {
    if (pk.type == "watchTargets") {
      // As Firefox does: the event emitted while handling the request comes before its reply.
      p.send(R"({"type":"target-available-form","target":{"actor":"server1.conn0.watcher2.process7//windowGlobalTarget2"},"from":")" +
             watcher + "\"}");
      p.send(reply(watcher));
    } else if (pk.type == "attach") {
      p.send(R"({"type":"attached","from":")" + pk.to + "\"}");
    }
  });
  rt::scheduler s({.workers = 2});
  rdp_connection c = must_connect(s, peer);
  rdp_subscription_spec spec;
  spec.actor = watcher;
  spec.type = "target-available-form";
  auto sub = c.subscribe(spec);
  REQUIRE(sub);
  rdp_subscription_spec everything;  // no filter at all
  auto all = c.subscribe(everything);
  REQUIRE(all);

  auto watched = s.block_on(c.request(watcher, "watchTargets", R"({"targetType":"frame"})"));
  REQUIRE(watched);
  CHECK(watched->json() == "{\"from\":\"server1.conn0.watcher2\"}");
  auto ev = sub->try_next();
  REQUIRE(ev);
  CHECK(ev->type() == "target-available-form");
  CHECK(ev->from() == watcher);
  CHECK(all->try_next());

  // memory.attach answers {"type":"attached"}: not an event of the memory actor.
  auto attached = s.block_on(c.request("server1.conn0.watcher2.process7//memoryActor6", "attach"));
  REQUIRE(attached);
  CHECK(attached->type() == "attached");
  CHECK_FALSE(all->try_next());
  CHECK(c.stats().events == 1);
  CHECK(c.stats().replies == 2);
}

TEST_CASE("overtaking replies (unrecognizedPacketType, requestTypes) pair with their own request", "[rdp]") {
  const std::string tab = "server1.conn0.tabDescriptor1";
  std::mutex mu;
  bool release = false;
  rdp_peer peer([&](rdp_peer& p, const packet& pk) {
    if (pk.type == "navigateTo") return;  // held: answered by the test later
    if (pk.type == "bogusType")
      p.send(R"({"error":"unrecognizedPacketType","message":"Actor )" + tab +
             R"( does not recognize the packet type 'bogusType'","from":")" + tab + "\"}");
    if (pk.type == "requestTypes") p.send(R"({"from":")" + tab + R"(","requestTypes":["navigateTo","getFavicon"]})");
    std::lock_guard lk(mu);
    release = true;
  });
  rt::scheduler s({.workers = 2});
  rdp_connection c = must_connect(s, peer);
  auto nav = start(s, c.request(tab, "navigateTo", R"({"url":"http://127.0.0.1/"})"));
  REQUIRE(peer.wait_received(1));
  auto bogus = s.block_on(c.request(tab, "bogusType"));
  REQUIRE_FALSE(bogus);
  CHECK(bogus.err().code == rt::errc::protocol);
  CHECK(bogus.err().message.find("unrecognizedPacketType") != std::string::npos);
  auto types = s.block_on(c.request(tab, "requestTypes"));
  REQUIRE(types);
  CHECK(types->has_request_types());
  CHECK_FALSE(nav.done());
  peer.send(reply(tab));
  REQUIRE(wait_until([&] { return nav.done(); }));
  REQUIRE(*nav.result);
  CHECK((*nav.result)->json() == "{\"from\":\"server1.conn0.tabDescriptor1\"}");
}

TEST_CASE("a hung request times out without blocking other actors, and poisons its own actor", "[rdp]") {
  const std::string stuck = "server1.conn0.tabDescriptor1";
  rdp_peer peer([&](rdp_peer& p, const packet& pk) {
    if (pk.to != stuck) p.send(reply(pk.to, R"("ok":1)"));
  });
  rt::scheduler s({.workers = 2});
  rdp_connection c = must_connect(s, peer);
  const auto t0 = std::chrono::steady_clock::now();
  auto hung = start(s, c.request(stuck, "navigateTo", "{}", within(1000ms)));
  REQUIRE(peer.wait_received(1));
  auto behind = start(s, c.request(stuck, "getFavicon", "{}", within(20s)));
  REQUIRE(peer.wait_received(2));
  auto other = s.block_on(c.request("root", "getRoot"));
  REQUIRE(other);
  // Another actor is answered while the stuck one's request still waits (an order, not a time).
  CHECK_FALSE(hung.done());

  REQUIRE(wait_until([&] { return hung.done() && behind.done(); }, 10s));
  REQUIRE_FALSE(*hung.result);
  CHECK(hung.result->err().code == rt::errc::timeout);
  CHECK(hung.result->err().sent);
  // The one behind it failed with it, long before its own 20 s.
  REQUIRE_FALSE(*behind.result);
  CHECK(behind.result->err().code == rt::errc::timeout);
  CHECK(behind.result->err().message.find("not trusted") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);  // with the hung one, not at its own 20 s
  CHECK(c.poisoned(stuck));
  CHECK(c.stats().poisoned_actors == 1);

  // Later requests to it fail at once and are not written.
  auto later = s.block_on(c.request(stuck, "getFavicon"));
  REQUIRE_FALSE(later);
  CHECK(later.err().code == rt::errc::timeout);
  CHECK_FALSE(later.err().sent);
  CHECK(later.err().message.find("navigateTo") != std::string::npos);
  CHECK(peer.received().size() == 3);

  // A late reply is consumed in place of the request that timed out, not paired with a later one;
  // other actors carry on meanwhile.
  peer.send(reply(stuck, R"("late":1)"));
  auto again = s.block_on(c.request("root", "getRoot"));
  REQUIRE(again);
  REQUIRE(wait_until([&] { return c.stats().discarded == 1; }));
  CHECK(c.stats().unmatched == 0);
  CHECK(c.poisoned(stuck));  // getFavicon's reply is still owed
  // Once the last late reply has come, the actor is trusted again and its next request is paired
  // with its own reply.
  peer.send(reply(stuck, R"("late":2)"));
  REQUIRE(wait_until([&] { return !c.poisoned(stuck); }));
  CHECK(c.stats().discarded == 2);
  CHECK(c.stats().recovered_actors == 1);
  auto fresh = start(s, c.request(stuck, "getFavicon", "{}", within(5s)));
  REQUIRE(peer.wait_received(5));  // after navigateTo, getFavicon and the two getRoot
  CHECK(peer.received().back().type == "getFavicon");
  peer.send(reply(stuck, R"("n":7)"));
  REQUIRE(wait_until([&] { return fresh.done(); }));
  REQUIRE(*fresh.result);
  CHECK(field_n(*fresh.result) == 7);
}

TEST_CASE("a packet of a type its actor does not declare is an event, not the pending request's reply", "[rdp]") {
  // An event newer than the registry (ESR 153's specs): paired with the waiting request, it would
  // shift every later reply of the actor onto the wrong request.
  const std::string walker = "server1.conn0.watcher2.process7//domwalker9";
  rdp_peer peer([&](rdp_peer& p, const packet& pk) {
    if (pk.type == "children") {
      p.send(R"({"type":"brand-new-event","from":")" + walker + R"(","detail":1})");
      p.send(reply(walker, R"("n":1)"));
    } else if (pk.type == "documentElement") {
      p.send(reply(walker, R"("n":2)"));
    }
  });
  rt::scheduler s({.workers = 2});
  rdp_connection c = must_connect(s, peer);
  rdp_subscription_spec everything;
  everything.actor = walker;
  auto all = c.subscribe(everything);
  REQUIRE(all);

  auto first = s.block_on(c.request(walker, "children", "{}", within(5s)));
  REQUIRE(first);
  CHECK(field_n(first) == 1);
  auto second = s.block_on(c.request(walker, "documentElement", "{}", within(5s)));
  REQUIRE(second);
  CHECK(field_n(second) == 2);
  auto ev = all->try_next();
  REQUIRE(ev);
  CHECK(ev->type() == "brand-new-event");
  CHECK(c.stats().undeclared_events == 1);
  CHECK(c.stats().events == 1);
  CHECK(c.stats().replies == 2);
}

TEST_CASE("an undeclared typed reply times out naming itself; declared, it is a reply", "[rdp]") {
  const std::string profiler = "server1.conn0.perfActor3";
  rdp_peer peer([&](rdp_peer& p, const packet& pk) {
    if (pk.type == "startProfiler") p.send(R"({"type":"profilerStarting","from":")" + profiler + "\"}");
  });
  rt::scheduler s({.workers = 2});
  {
    rdp_connection c = must_connect(s, peer);
    auto r = s.block_on(c.request(profiler, "startProfiler", "{}", within(500ms)));
    REQUIRE_FALSE(r);
    CHECK(r.err().code == rt::errc::timeout);
    CHECK(r.err().message.find("undeclared type 'profilerStarting'") != std::string::npos);
    CHECK(r.err().message.find("add_typed_reply") != std::string::npos);
  }
  protocol::rdp_event_registry registry = protocol::rdp_event_registry::firefox();
  registry.add_typed_reply("perf", "profilerStarting");
  rdp_peer peer2([&](rdp_peer& p, const packet& pk) {
    if (pk.type == "startProfiler") p.send(R"({"type":"profilerStarting","from":")" + profiler + "\"}");
  });
  rdp_connection_options o;
  o.registry = &registry;
  rdp_connection c = must_connect(s, peer2, std::move(o));
  auto r = s.block_on(c.request(profiler, "startProfiler", "{}", within(5s)));
  REQUIRE(r);
  CHECK(r->type() == "profilerStarting");
  CHECK(c.stats().undeclared_events == 0);
}

TEST_CASE("the connection forgets an actor once nothing waits on it", "[rdp]") {
  // Firefox hands out an actor per network event and per walker node list: a long session meets
  // thousands, and what is kept for each must go.
  rdp_peer peer([&](rdp_peer& p, const packet& pk) {
    if (pk.type == "getResponseContent") p.send(reply(pk.to, R"("n":1)"));
    if (pk.type == "gone") p.send(R"({"error":"noSuchActor","message":"No such actor","from":")" + pk.to + "\"}");
  });
  rt::scheduler s({.workers = 2});
  rdp_connection c = must_connect(s, peer);
  for (int i = 0; i < 200; ++i) {
    auto r = s.block_on(c.request("server1.conn0.child2/netEvent" + std::to_string(i), "getResponseContent"));
    REQUIRE(r);
  }
  CHECK(c.stats().tracked_actors == 0);
  CHECK(c.stats().pending == 0);
  // A type set for an actor goes when the actor is reported gone.
  c.set_actor_type("server1.conn0.child2/thing5", "netEvent");
  CHECK(c.stats().tracked_actors == 1);
  auto gone = s.block_on(c.request("server1.conn0.child2/thing5", "gone"));
  REQUIRE_FALSE(gone);
  CHECK(c.stats().tracked_actors == 0);
}

TEST_CASE("forwardingCancelled fails the requests of actors under its prefix with target_closed", "[rdp]") {
  rdp_peer peer([](rdp_peer&, const packet&) {});  // holds everything
  rt::scheduler s({.workers = 2});
  rdp_connection c = must_connect(s, peer);
  rdp_subscription_spec spec;
  spec.actor = "root";
  spec.type = "forwardingCancelled";
  auto sub = c.subscribe(spec);
  REQUIRE(sub);
  auto console = start(s, c.request("server1.conn0.watcher2.process7//consoleActor3", "evaluateJSAsync", R"({"text":"1"})"));
  auto thread = start(s, c.request("server1.conn0.watcher2.process7//thread1", "resume"));
  auto tab = start(s, c.request("server1.conn0.tabDescriptor1", "getFavicon"));
  REQUIRE(peer.wait_received(3));
  peer.send(R"({"from":"root","type":"forwardingCancelled","prefix":"server1.conn0.watcher2.process7/"})");
  REQUIRE(wait_until([&] { return console.done() && thread.done(); }));
  for (auto* f : {&console, &thread}) {
    REQUIRE_FALSE(*f->result);
    CHECK(f->result->err().code == rt::errc::target_closed);
    CHECK(f->result->err().message.find("forwardingCancelled") != std::string::npos);
  }
  CHECK_FALSE(tab.done());
  peer.send(reply("server1.conn0.tabDescriptor1", R"("favicon":null)"));
  REQUIRE(wait_until([&] { return tab.done(); }));
  CHECK(*tab.result);
  CHECK(sub->try_next());
  CHECK(c.stats().forwarding_cancelled == 1);
}

TEST_CASE("a dropped connection fails every pending request at once and ends subscriptions", "[rdp]") {
  rdp_peer peer([](rdp_peer&, const packet&) {});
  rt::scheduler s({.workers = 2});
  rdp_connection c = must_connect(s, peer);
  auto sub = c.subscribe(rdp_subscription_spec{});
  REQUIRE(sub);
  std::vector<in_flight> pending;
  for (const char* actor : {"server1.conn0.a1", "server1.conn0.a1", "server1.conn0.b2", "root"})
    pending.push_back(start(s, c.request(actor, "get", "{}", within(30s))));
  REQUIRE(peer.wait_received(4));
  const auto dropped = std::chrono::steady_clock::now();
  peer.drop();
  REQUIRE(wait_until([&] {
    for (auto& p : pending)
      if (!p.done()) return false;
    return true;
  }, 10s));
  CHECK(std::chrono::steady_clock::now() - dropped < 10s);  // at the drop, not at their 30 s deadline
  for (auto& p : pending) {
    REQUIRE_FALSE(*p.result);
    CHECK(p.result->err().code == rt::errc::disconnected);
    CHECK(p.result->err().sent);
  }
  auto ended = s.block_on([](rt::subscription<rdp_event>& sub) -> rt::task<rt::result<rdp_event>> {
    co_return co_await sub.next(rt::deadline(2s));
  }(*sub));
  REQUIRE_FALSE(ended);
  CHECK(ended.err().code == rt::errc::cancelled);
  auto after = s.block_on(c.request("root", "getRoot"));
  REQUIRE_FALSE(after);
  CHECK(after.err().code == rt::errc::disconnected);
  CHECK_FALSE(after.err().sent);
  CHECK_FALSE(c.connected());
}

TEST_CASE("a cancelled request's reply is consumed, not paired with the next request", "[rdp]") {
  rdp_peer peer([](rdp_peer&, const packet&) {});
  rt::scheduler s({.workers = 2});
  rdp_connection c = must_connect(s, peer);
  rt::cancel_source cancel;
  rdp_request_options o;
  o.cancel = cancel.token();
  auto first = start(s, c.request("server1.conn0.a1", "get", R"({"n":1})", o));
  REQUIRE(peer.wait_received(1));
  cancel.cancel();
  REQUIRE(wait_until([&] { return first.done(); }));
  REQUIRE_FALSE(*first.result);
  CHECK(first.result->err().code == rt::errc::cancelled);
  auto second = start(s, c.request("server1.conn0.a1", "get", R"({"n":2})"));
  REQUIRE(peer.wait_received(2));
  peer.send(reply("server1.conn0.a1", R"("n":1)"));
  peer.send(reply("server1.conn0.a1", R"("n":2)"));
  REQUIRE(wait_until([&] { return second.done(); }));
  REQUIRE(*second.result);
  CHECK(field_n(*second.result) == 2);
  CHECK(c.stats().discarded == 1);
}

TEST_CASE("a full blocking subscription slows the connection down without losing events", "[rdp]") {
  const std::string walker = "server1.conn0.watcher2.process7//domwalker19";
  rdp_peer peer([&](rdp_peer& p, const packet& pk) {
    for (int i = 0; i < 200; ++i) p.send(R"({"type":"newMutations","n":)" + std::to_string(i) + R"(,"from":")" + walker + "\"}");
    p.send(reply(pk.to));
  });
  rt::scheduler s({.workers = 2});
  rdp_connection c = must_connect(s, peer);
  rdp_subscription_spec spec;
  spec.actor = "server1.conn0.watcher2.process7/";
  spec.actor_is_prefix = true;
  spec.capacity = 4;
  auto sub = c.subscribe(spec);
  REQUIRE(sub);
  auto req = start(s, c.request(walker, "getMutations"));
  auto consumed = s.block_on([](rt::subscription<rdp_event>& sub) -> rt::task<std::vector<int>> {
    std::vector<int> seen;
    while (seen.size() < 200) {
      auto ev = co_await sub.next(rt::deadline(5s));
      if (!ev) break;
      auto v = ev->parse();
      seen.push_back(static_cast<int>((*v)["n"].as_int()));
    }
    co_return seen;
  }(*sub));
  REQUIRE(consumed.size() == 200);
  for (int i = 0; i < 200; ++i) CHECK(consumed[static_cast<std::size_t>(i)] == i);
  CHECK(sub->dropped() == 0);
  REQUIRE(wait_until([&] { return req.done(); }));
  CHECK(*req.result);
  CHECK(c.stats().read_pauses >= 1);
}

TEST_CASE("a bulk reply fails its request as unsupported; the connection carries on", "[rdp]") {
  const std::string files = "server1.conn0.heapSnapshotFileActor7";
  rdp_peer peer([&](rdp_peer& p, const packet& pk) {
    if (pk.type == "transferHeapSnapshot")
      p.send_raw("bulk " + files + " undefined 5:\x1f\x8b\x08\x01\x02");
    else
      p.send(reply(pk.to, R"("ok":2)"));
  });
  rt::scheduler s({.workers = 2});
  rdp_connection c = must_connect(s, peer);
  auto bulk = s.block_on(c.request(files, "transferHeapSnapshot", R"({"snapshotId":"1"})"));
  REQUIRE_FALSE(bulk);
  CHECK(bulk.err().code == rt::errc::unsupported);
  auto next = s.block_on(c.request(files, "other"));
  REQUIRE(next);
  CHECK(next->json().find("\"ok\":2") != std::string_view::npos);
  CHECK(c.stats().bulk_packets == 1);
}

TEST_CASE("connect fails clearly without a greeting or with a foreign one", "[rdp]") {
  rt::scheduler s({.workers = 1});
  {
    rdp_peer silent(nullptr, "");
    rdp_connection_options o;
    o.connect_timeout = 300ms;
    auto c = s.block_on(rdp_connection::connect(s, "127.0.0.1", silent.port(), o));
    REQUIRE_FALSE(c);
    CHECK(c.err().code == rt::errc::timeout);
    CHECK(c.err().message.find("greeting") != std::string::npos);
  }
  {
    rdp_peer foreign(nullptr, R"({"from":"someone","hello":true})");
    auto c = s.block_on(rdp_connection::connect(s, "127.0.0.1", foreign.port()));
    REQUIRE_FALSE(c);
    CHECK(c.err().code == rt::errc::protocol);
  }
  {
    std::uint16_t port;
    { rdp_peer gone(nullptr); port = gone.port(); }
    auto c = s.block_on(rdp_connection::connect(s, "127.0.0.1", port));
    REQUIRE_FALSE(c);
    CHECK(c.err().code == rt::errc::transport);
  }
  {
    rdp_peer peer([](rdp_peer&, const packet&) {});
    rdp_connection c = must_connect(s, peer);
    auto bad = s.block_on(c.request("root", "x", "[1,2]"));
    REQUIRE_FALSE(bad);
    CHECK(bad.err().code == rt::errc::invalid_argument);
  }
}
