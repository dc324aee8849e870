#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "janus/protocol/rdp_codec.hpp"
#include "janus/protocol/rdp_framer.hpp"

using namespace janus::protocol;
using janus::rt::errc;

namespace {

// Captured from Firefox ESR 153.7 (headless, --start-debugger-server); long ones shortened.
constexpr std::string_view greeting =
    R"({"from":"root","applicationType":"browser","testConnectionPrefix":"server1.conn0.","traits":{"networkMonitor":true,"resources":{"extensions-backgroundscript-status":true},"workerConsoleApiMessagesDispatchedToMainThread":true,"supportsEnableWindowGlobalThreadActors":true,"supportsCommentNodesDisplayControl":true}})";
constexpr std::string_view request_types_reply =
    R"({"from":"root","requestTypes":["connect","getRoot","listTabs","getTab","listAddons","listWorkers","listServiceWorkerRegistrations","listProcesses","getProcess","watchResources","unwatchResources","clearResources","requestTypes"]})";
constexpr std::string_view unrecognized =
    R"({"error":"unrecognizedPacketType","message":"Actor root does not recognize the packet type 'noSuchMethod'","from":"root"})";
constexpr std::string_view no_such_actor =
    R"({"from":"server1.conn0.bogus99","error":"noSuchActor","message":"No such actor for ID: server1.conn0.bogus99"})";
constexpr std::string_view protocol_js_error =
    R"({"from":"root","error":"Error","message":"undefined passed where a value is required","fileName":"resource://devtools/shared/protocol/types.js","lineNumber":121,"columnNumber":11,"stack":"identityWrite@resource://devtools/shared/protocol/types.js:121:11\n"})";
constexpr std::string_view no_tab =
    R"json({"from":"root","error":"noTab","message":"Unable to find tab with browserId '999999' (no browsing-context)"})json";
constexpr std::string_view target_available =
    R"({"type":"target-available-form","target":{"actor":"server1.conn0.watcher9.process5//windowGlobalTarget2","targetType":"frame","browsingContextID":10,"isTopLevelTarget":true,"consoleActor":"server1.conn0.watcher9.process5//consoleActor3"},"from":"server1.conn0.watcher10"})";
constexpr std::string_view empty_reply = R"({"from":"server1.conn0.watcher10"})";
constexpr std::string_view eval_ack = R"({"resultID":"1795264764330.995-0","from":"server1.conn0.watcher9.process5//consoleActor3"})";
constexpr std::string_view evaluation_result =
    R"({"type":"evaluationResult","resultID":"1795264764330.995-0","hasException":false,"input":"1+1","result":2,"startTime":1795264764330,"timestamp":1795264764335,"from":"server1.conn0.watcher9.process5//consoleActor3"})";
constexpr std::string_view forwarding_cancelled =
    R"({"from":"root","type":"forwardingCancelled","prefix":"server1.conn0.watcher9.process5/"})";
constexpr std::string_view tab_list_changed = R"({"from":"root","type":"tabListChanged"})";
constexpr std::string_view memory_attached = R"({"type":"attached","from":"server1.conn1.watcher9.process5//memoryActor6"})";
constexpr std::string_view new_mutations = R"({"type":"newMutations","from":"server1.conn0.watcher9.process5//domwalker19"})";
constexpr std::string_view resources =
    R"({"type":"resources-available-array","array":[["document-event",[{"name":"dom-loading","time":1795264756667,"url":"about:blank"}]]],"from":"server1.conn0.watcher9.process5//windowGlobalTarget2"})";

rdp_message decode_ok(rdp_decoder& d, std::string_view text) {
  auto r = d.decode(text);
  INFO(text << " -> " << (r ? std::string("ok") : r.err().what()));
  REQUIRE(r);
  return *r;
}

// Classifies a packet as the connection would, with the actor type taken from its id.
bool event_by_id(const rdp_message& m) { return is_event(m, rdp_actor_type_from_id(m.from)); }

}  // namespace

TEST_CASE("rdp_decoder: routing fields of real packets", "[rdp_codec]") {
  rdp_decoder d;
  const rdp_message g = decode_ok(d, greeting);
  CHECK(g.from == "root");
  CHECK(g.type.empty());
  CHECK_FALSE(is_error(g));
  CHECK(g.json == greeting);

  const rdp_message t = decode_ok(d, target_available);
  CHECK(t.from == "server1.conn0.watcher10");
  CHECK(t.type == "target-available-form");

  const rdp_message e = decode_ok(d, protocol_js_error);
  CHECK(is_error(e));
  CHECK(error_name(e) == "Error");
  CHECK(e.message == "undefined passed where a value is required");

  const rdp_message f = decode_ok(d, forwarding_cancelled);
  CHECK(is_forwarding_cancelled(f));
  CHECK(forwarding_cancelled_prefix(f) == "server1.conn0.watcher9.process5/");
  CHECK(actor_has_prefix("server1.conn0.watcher9.process5//consoleActor3", f.prefix));
  CHECK_FALSE(actor_has_prefix("server1.conn0.watcher10", f.prefix));
  CHECK_FALSE(actor_has_prefix("anything", ""));
  CHECK_FALSE(is_forwarding_cancelled(decode_ok(d, tab_list_changed)));
  CHECK(forwarding_cancelled_prefix(decode_ok(d, tab_list_changed)).empty());
}

TEST_CASE("rdp_decoder: events are told apart by the actor's declared events", "[rdp_codec]") {
  rdp_decoder d;
  CHECK(event_by_id(decode_ok(d, target_available)));    // watcher
  CHECK(event_by_id(decode_ok(d, evaluation_result)));   // consoleActor3 -> console
  CHECK(event_by_id(decode_ok(d, forwarding_cancelled)));
  CHECK(event_by_id(decode_ok(d, tab_list_changed)));
  CHECK(event_by_id(decode_ok(d, new_mutations)));       // domwalker
  CHECK(event_by_id(decode_ok(d, resources)));           // windowGlobalTarget
  // Replies, including one with a `type`, are not events.
  CHECK_FALSE(event_by_id(decode_ok(d, memory_attached)));
  CHECK_FALSE(event_by_id(decode_ok(d, empty_reply)));
  CHECK_FALSE(event_by_id(decode_ok(d, eval_ack)));
  CHECK_FALSE(event_by_id(decode_ok(d, greeting)));
  CHECK_FALSE(event_by_id(decode_ok(d, unrecognized)));
  // An error packet is never an event, even with an event's type.
  CHECK_FALSE(event_by_id(decode_ok(d, R"({"from":"root","type":"tabListChanged","error":"x"})")));
}

TEST_CASE("rdp_decoder: replies that overtake the actor's queue", "[rdp_codec]") {
  rdp_decoder d;
  CHECK(is_overtaking_reply(decode_ok(d, request_types_reply)));
  CHECK(is_overtaking_reply(decode_ok(d, unrecognized)));
  CHECK(is_overtaking_reply(decode_ok(d, no_such_actor)));
  CHECK_FALSE(is_overtaking_reply(decode_ok(d, no_tab)));
  CHECK_FALSE(is_overtaking_reply(decode_ok(d, protocol_js_error)));
  CHECK_FALSE(is_overtaking_reply(decode_ok(d, empty_reply)));
  CHECK_FALSE(is_overtaking_reply(decode_ok(d, greeting)));
  // `requestTypes` must be an array to count.
  CHECK_FALSE(is_overtaking_reply(decode_ok(d, R"({"from":"a1","requestTypes":"x"})")));
  CHECK(decode_ok(d, request_types_reply).has_request_types);
}

TEST_CASE("rdp_decoder: members that only count as strings", "[rdp_codec]") {
  rdp_decoder d;
  const rdp_message m = decode_ok(d, R"({"from":"a1","type":5,"error":null,"message":{"x":1},"prefix":[]})");
  CHECK(m.type.empty());
  CHECK_FALSE(is_error(m));
  CHECK(m.message.empty());
  CHECK(m.prefix.empty());
  CHECK_FALSE(is_error(decode_ok(d, R"({"from":"a1","error":""})")));
  CHECK(decode_ok(d, R"({"from":"a\u0031","type":"t\u00e9"})").from == "a1");
  CHECK(decode_ok(d, R"({"from":"a\u0031","type":"t\u00e9"})").type == "t\xC3\xA9");
}

TEST_CASE("rdp_decoder: malformed packets fail with errc::parse", "[rdp_codec]") {
  const std::string bad[] = {
      "",
      "   ",
      "null",
      "[]",
      "\"root\"",
      "{",
      "{}",
      R"({"to":"root","type":"getRoot"})",
      R"({"from":5})",
      R"({"from":null})",
      R"({"from":"a","from":"b"})",
      R"({"from":"a","type":"x","type":"y"})",
      R"({"from":"a","error":"x","error":"y"})",
      R"({"from":"a"} {})",
      R"({"from":"a"}})",
      R"({"from":"a",})",
      R"({"from":"a" "type":"b"})",
      R"({"from":"a\q"})",
      "{\"from\":\"a\xFF\"}",
      "{\"from\":\"a\x01\"}",
      R"({"from":"a","x":[1,2})",
  };
  rdp_decoder d;
  for (const std::string& text : bad) {
    INFO("input: " << text);
    const auto r = d.decode(text);
    CHECK_FALSE(r.has_value());
    if (!r) CHECK(r.code() == errc::parse);
    CHECK(decode_ok(d, empty_reply).from == "server1.conn0.watcher10");
  }
  CHECK(d.decode(R"({"type":"x"})").err().message.find("\"from\"") != std::string::npos);
}

TEST_CASE("rdp_decoder: size limit", "[rdp_codec]") {
  rdp_decoder d({.max_message_bytes = empty_reply.size() - 1});
  CHECK(d.decode(empty_reply).code() == errc::message_too_large);
  rdp_decoder exact({.max_message_bytes = empty_reply.size()});
  CHECK(exact.decode(empty_reply).has_value());
}

TEST_CASE("rdp_decoder: unbalanced documents are rejected (fuzzer finds)", "[rdp_codec]") {
  rdp_decoder d;
  for (std::string_view text : {R"({"from":"root","a":{"b":true},"c":true})" "}" R"(,"d":1})",
                                R"({"from":"root","traits":{"x":true})", R"({"from":"root","t":[{]})"}) {
    INFO(text);
    CHECK(d.decode(text).code() == errc::parse);
  }
}

TEST_CASE("rdp_decoder: packets from the framer", "[rdp_codec]") {
  rdp_framer f;
  f.feed(rdp_encode(greeting) + rdp_encode(target_available) + rdp_encode(evaluation_result));
  rdp_decoder d;
  std::vector<std::string> from;
  for (;;) {
    auto r = f.next();
    REQUIRE(r);
    if (!*r) break;
    const rdp_packet& p = **r;
    auto m = d.decode(p.json);
    REQUIRE(m);
    CHECK(m->json == p.json);
    from.emplace_back(m->from);
  }
  CHECK(from == std::vector<std::string>{"root", "server1.conn0.watcher10",
                                         "server1.conn0.watcher9.process5//consoleActor3"});
}

TEST_CASE("rdp_decoder: steady-state decoding allocates nothing", "[rdp_codec]") {
  rdp_decoder d;
  const std::string_view packets[] = {greeting, target_available, evaluation_result, unrecognized, resources};
  for (auto p : packets) REQUIRE(d.decode(p));
  (void)rdp_event_registry::firefox();
  const std::size_t n = janus::test::count_allocations([&] {
    for (int i = 0; i < 200; ++i)
      for (auto p : packets) {
        auto r = d.decode(p);
        if (!r) FAIL(r.err().what());
        (void)event_by_id(*r);
        (void)is_overtaking_reply(*r);
      }
  });
  CHECK(n == 0);
}

TEST_CASE("rdp_actor_type_from_id: the type stem of actor ids", "[rdp_codec]") {
  CHECK(rdp_actor_type_from_id("root") == "root");
  CHECK(rdp_actor_type_from_id("server1.conn0.watcher2.process7//windowGlobalTarget2") == "windowGlobalTarget");
  CHECK(rdp_actor_type_from_id("server1.conn3.consoleActor7") == "consoleActor");
  CHECK(rdp_actor_type_from_id("server1.conn0.tabDescriptor1") == "tabDescriptor");
  CHECK(rdp_actor_type_from_id("server1.conn0.child2/windowGlobalTarget2") == "windowGlobalTarget");
  CHECK(rdp_actor_type_from_id("server1.conn17.heapSnapshotFileActor7") == "heapSnapshotFileActor");
  CHECK(rdp_actor_type_from_id("").empty());
  CHECK(rdp_actor_type_from_id("a.b/").empty());
}

TEST_CASE("rdp_event_registry: Firefox's declared events and aliases", "[rdp_codec]") {
  const rdp_event_registry& r = rdp_event_registry::firefox();
  CHECK(r.is_event("root", "tabListChanged"));
  CHECK(r.is_event("root", "forwardingCancelled"));
  for (auto e : {"target-available-form", "target-destroyed-form", "resources-available-array",
                 "resources-updated-array", "resources-destroyed-array"})
    CHECK(r.is_event("watcher", e));
  for (auto e : {"resources-available-array", "frameUpdate", "tabNavigated"}) {
    CHECK(r.is_event("windowGlobalTarget", e));
    CHECK(r.is_event("target", e));
  }
  CHECK(r.is_event("console", "evaluationResult"));
  CHECK(r.is_event("consoleActor", "evaluationResult"));
  CHECK(r.is_event("domwalker", "newMutations"));
  CHECK(r.is_event("walker", "root-available"));
  CHECK(r.is_event("tabDescriptor", "descriptor-destroyed"));
  CHECK(r.is_event("tab", "descriptor-destroyed"));
  CHECK(r.is_event("pagestyle", "styleSheetUpdated"));
  CHECK(r.is_event("netEvent", "networkEventUpdate"));
  CHECK_FALSE(r.is_event("memory", "attached"));
  CHECK_FALSE(r.is_event("watcher", "tabListChanged"));
  CHECK_FALSE(r.is_event("nosuchactor", "tabListChanged"));
  CHECK_FALSE(r.is_event("root", ""));
  CHECK(r.canonical("walker") == "domwalker");
  CHECK(r.canonical("pagestyle") == "pagestyle");
  CHECK(r.has_events("inspectorActor"));
  CHECK_FALSE(r.has_events("preference"));
  CHECK(is_event("watcher", "target-available-form"));
}

TEST_CASE("rdp_event_registry: custom declarations", "[rdp_codec]") {
  rdp_event_registry r;
  CHECK_FALSE(r.is_event("myActor", "ping"));
  r.add("myActor", "ping");
  r.add_alias("mine", "myActor");
  CHECK(r.is_event("myActor", "ping"));
  CHECK(r.is_event("mine", "ping"));
  CHECK_FALSE(r.is_event("myActor", "pong"));
  rdp_decoder d;
  const rdp_message m = decode_ok(d, R"({"from":"server1.conn0.mine4","type":"ping"})");
  CHECK(is_event(m, rdp_actor_type_from_id(m.from), r));
  CHECK_FALSE(is_event(m, rdp_actor_type_from_id(m.from)));
}

TEST_CASE("rdp_owned_message: one owned copy that outlives the decoder's buffers", "[rdp_codec]") {
  rdp_decoder d;
  rdp_owned_message fc(decode_ok(d, forwarding_cancelled));
  const rdp_owned_message err(decode_ok(d, R"({"from":"a\u0031","error":"noSuchActor","message":"gone"})"));
  const rdp_owned_message types(decode_ok(d, request_types_reply));
  REQUIRE(d.decode(greeting));
  CHECK(fc.json() == forwarding_cancelled);
  CHECK(fc.from() == "root");
  CHECK(fc.type() == "forwardingCancelled");
  CHECK(fc.prefix() == "server1.conn0.watcher9.process5/");
  CHECK(is_forwarding_cancelled(fc.view()));
  CHECK(err.from() == "a1");
  CHECK(err.error() == "noSuchActor");
  CHECK(err.message() == "gone");
  CHECK(is_overtaking_reply(err.view()));
  CHECK(types.has_request_types());
  CHECK(is_overtaking_reply(types.view()));
  rdp_owned_message moved = std::move(fc);
  CHECK(moved.view().prefix == "server1.conn0.watcher9.process5/");
}
