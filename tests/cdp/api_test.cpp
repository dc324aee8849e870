// How the typed CDP bindings behave for their users: building commands, reading replies and events
// (including what the schema does not know), enumerations, recursive types and error messages.
#include <catch2/catch.hpp>

#include <string>
#include <type_traits>

#include "cdp_cases.hpp"
#include "janus/cdp/dom.hpp"
#include "janus/cdp/fetch.hpp"
#include "janus/cdp/network.hpp"
#include "janus/cdp/page.hpp"
#include "janus/cdp/runtime.hpp"
#include "janus/cdp/security.hpp"
#include "janus/protocol/cdp_codec.hpp"
#include "janus/protocol/json_writer.hpp"

namespace cdp = janus::cdp;
using janus::cdp::test::json_difference;
using janus::rt::errc;

namespace {

template <class T>
std::string to_json(const T& value) {
  janus::protocol::json_writer w;
  cdp::encode(w, value);
  REQUIRE(w.ok());
  return w.take();
}

}  // namespace

static_assert(cdp::page::navigate::method == "Page.navigate");
static_assert(std::is_same_v<cdp::page::navigate::result_type, cdp::page::navigate_result>);
static_assert(std::is_same_v<cdp::page::enable::result_type, cdp::no_result>);
static_assert(cdp::network::response_received::method == "Network.responseReceived");
static_assert(cdp::command<cdp::page::navigate>);
static_assert(!cdp::event<cdp::page::navigate>);
static_assert(cdp::event<cdp::network::response_received>);
static_assert(!cdp::command<cdp::network::response_received>);
static_assert(!cdp::command<cdp::page::frame>);
static_assert(cdp::typed_enum<cdp::network::resource_type>);
static_assert(std::is_same_v<decltype(cdp::dom::node::node_id), std::int64_t>);
static_assert(std::is_same_v<decltype(cdp::page::frame::parent_id), std::optional<std::string>>);
static_assert(std::is_same_v<decltype(cdp::runtime::remote_object::value), std::optional<janus::protocol::raw_json>>);

TEST_CASE("a command is built with designated initializers and encodes only what is set", "[cdp]") {
  janus::protocol::json_writer w;
  cdp::encode_params(w, cdp::page::navigate{.url = "http://127.0.0.1/a"});
  REQUIRE(w.ok());
  CHECK(w.view() == R"({"url":"http://127.0.0.1/a"})");

  cdp::page::navigate full{.url = "u", .referrer = "r", .transition_type = cdp::page::transition_type::typed};
  CHECK(json_difference(to_json(full), R"({"url":"u","referrer":"r","transitionType":"typed"})") == "");

  CHECK(to_json(cdp::page::enable{}) == "{}");
}

TEST_CASE("replies decode, ignoring members the schema does not know", "[cdp]") {
  cdp::page::navigate_result r;
  auto ok = cdp::decode_result(
      R"({"frameId":"F1","loaderId":"L1","newerMember":{"nested":[1,2,{"x":null}]},"isDownload":false})", r);
  REQUIRE(ok);
  CHECK(r.frame_id == "F1");
  CHECK(r.loader_id == "L1");
  CHECK(r.is_download == false);
  CHECK_FALSE(r.error_text.has_value());

  cdp::no_result none;
  CHECK(cdp::decode_result("{}", none));
  CHECK(cdp::decode_result(R"({"something":"new"})", none));
}

TEST_CASE("decoding into a used value resets what the text leaves out", "[cdp]") {
  cdp::page::navigate_result r;
  REQUIRE(cdp::decode_result(R"({"frameId":"A","loaderId":"L","errorText":"boom"})", r));
  REQUIRE(cdp::decode_result(R"({"frameId":"B"})", r));
  CHECK(r.frame_id == "B");
  CHECK_FALSE(r.loader_id.has_value());
  CHECK_FALSE(r.error_text.has_value());
}

TEST_CASE("strings and member names read the same wherever an escape or the end falls", "[cdp]") {
  // Strings without escapes are viewed in place, found eight bytes at a time: check every offset
  // of an escape and of the closing quote against a word boundary, in values and in names.
  cdp::page::navigate_result r;
  for (std::size_t n = 0; n < 20; ++n) {
    const std::string plain(n, 'a');
    REQUIRE(cdp::decode_result(R"({"frameId":")" + plain + R"("})", r));
    CHECK(r.frame_id == plain);
    REQUIRE(cdp::decode_result(R"({"frameId":")" + plain + R"(\"b"})", r));
    CHECK(r.frame_id == plain + "\"b");
    REQUIRE(cdp::decode_result(R"({"frameId":")" + plain + R"(\u00e9"})", r));
    CHECK(r.frame_id == plain + "\xc3\xa9");
    // An escaped member name still names the member.
    REQUIRE(cdp::decode_result(R"({"frame\u0049d":")" + plain + R"("})", r));
    CHECK(r.frame_id == plain);
  }
}

TEST_CASE("decode_event(decoder, text, ev) reads the event in the decoder's pass", "[cdp]") {
  janus::protocol::cdp_decoder decoder;
  cdp::page::lifecycle_event ev;
  const std::string wire =
      R"({"method":"Page.lifecycleEvent","params":{"frameId":"F","loaderId":"L","name":"load","timestamp":2.5},)"
      R"("sessionId":"S"})";
  auto m = cdp::decode_event(decoder, wire, ev);
  REQUIRE(m);
  CHECK(m->kind == janus::protocol::cdp_kind::event);
  CHECK(m->method == "Page.lifecycleEvent");
  CHECK(m->session_id == "S");
  CHECK(m->payload == R"({"frameId":"F","loaderId":"L","name":"load","timestamp":2.5})");
  CHECK(ev.frame_id == "F");
  CHECK(ev.name == "load");
  CHECK(ev.timestamp == 2.5);
  // The decoder holds the message as after decode(): the two-pass read gives the same.
  cdp::page::lifecycle_event again;
  REQUIRE(cdp::decode_event(decoder, again));
  CHECK(again.loader_id == "L");

  // Any other message comes back as decode() returns it, and the struct is left alone.
  auto other = cdp::decode_event(decoder, R"({"method":"Page.loadEventFired","params":{"timestamp":1}})", ev);
  REQUIRE(other);
  CHECK(other->method == "Page.loadEventFired");
  CHECK(other->payload == R"({"timestamp":1})");
  auto reply = cdp::decode_event(decoder, R"({"id":7,"result":{"frameId":"X"}})", ev);
  REQUIRE(reply);
  CHECK(reply->kind == janus::protocol::cdp_kind::reply);
  CHECK(ev.frame_id == "F");

  // Whitespace around the params stays out of the payload view.
  auto spaced = cdp::decode_event(
      decoder, R"({ "method" : "Page.lifecycleEvent" , "params" : { "frameId":"G","loaderId":"L","name":"x","timestamp":1 } })",
      ev);
  REQUIRE(spaced);
  CHECK(spaced->payload == R"({ "frameId":"G","loaderId":"L","name":"x","timestamp":1 })");
  CHECK(ev.frame_id == "G");

  // An event without params reads as {}.
  cdp::page::frame_resized resized;
  REQUIRE(cdp::decode_event(decoder, R"({"method":"Page.frameResized"})", resized));

  // Failures name the member path, as decode_event(text, ev) does.
  cdp::network::response_received rr;
  auto bad = cdp::decode_event(decoder,
                               R"({"method":"Network.responseReceived","params":{"requestId":"1","loaderId":"2",)"
                               R"("timestamp":1.5,"type":"Document","hasExtraInfo":false,)"
                               R"("response":{"url":"u","status":"200"}}})",
                               rr);
  REQUIRE_FALSE(bad);
  CHECK(bad.code() == errc::parse);
  CHECK(bad.err().message == "Network.responseReceived: response.status: expected an integer");
  // And a broken message fails as decode() fails.
  CHECK(cdp::decode_event(decoder, R"({"method":"Page.lifecycleEvent","params":{"frameId":"F"})", ev).code() ==
        errc::parse);
}

TEST_CASE("decode errors name the message and the member path", "[cdp]") {
  cdp::page::navigate_result r;
  auto missing = cdp::decode_result(R"({"loaderId":"L"})", r);
  REQUIRE_FALSE(missing);
  CHECK(missing.code() == errc::parse);
  CHECK(missing.err().message == "Page.navigate result: frameId: missing required field");

  cdp::network::response_received ev;
  const char* wrong_type =
      R"({"requestId":"1","loaderId":"2","timestamp":1.5,"type":"Document","hasExtraInfo":false,)"
      R"("response":{"url":"u","status":"200"}})";
  auto bad = cdp::decode_event(wrong_type, ev);
  REQUIRE_FALSE(bad);
  CHECK(bad.code() == errc::parse);
  CHECK(bad.err().message == "Network.responseReceived: response.status: expected an integer");

  cdp::dom::get_document_result doc;
  auto nested = cdp::decode_result(
      R"({"root":{"nodeId":1,"backendNodeId":1,"nodeType":9,"nodeName":"#document","localName":"",)"
      R"("nodeValue":"","children":[{"nodeId":2,"backendNodeId":2,"nodeType":1,"nodeName":"HTML",)"
      R"("localName":"html","nodeValue":""},{"nodeId":"x"}]}})",
      doc);
  REQUIRE_FALSE(nested);
  CHECK(nested.err().message == "DOM.getDocument result: root.children[1].nodeId: expected an integer");

  CHECK(cdp::decode_result(R"({"frameId":"F")", r).code() == errc::parse);
  CHECK(cdp::decode_result(R"({"frameId":"F"} {})", r).code() == errc::parse);
  CHECK(cdp::decode_result(R"([1,2])", r).code() == errc::parse);
  CHECK(cdp::decode_result("", r).code() == errc::parse);
}

TEST_CASE("enumerations keep strings the schema does not list", "[cdp]") {
  cdp::network::request_will_be_sent ev;
  const std::string known =
      R"({"requestId":"1","loaderId":"2","documentURL":"d","timestamp":1,"wallTime":2,"redirectHasExtraInfo":false,)"
      R"("initiator":{"type":"parser"},"type":"XHR",)"
      R"("request":{"url":"u","method":"GET","headers":{"A":"b"},"initialPriority":"High","referrerPolicy":"origin"}})";
  REQUIRE(cdp::decode_event(known, ev));
  CHECK(ev.type == cdp::network::resource_type::xhr);
  CHECK(ev.type->known());
  CHECK(ev.type->str() == "XHR");
  CHECK(cdp::to_string(cdp::network::resource_type::xhr) == "XHR");
  CHECK(ev.request.headers.json == R"({"A":"b"})");

  std::string future = known;
  future.replace(future.find(R"("type":"XHR")"), 12, R"("type":"Teleport")");
  future.replace(future.find(R"("type":"parser")"), 15, R"("type":"telepathy")");
  REQUIRE(cdp::decode_event(future, ev));
  CHECK(ev.type == cdp::network::resource_type::unknown);
  CHECK_FALSE(ev.type->known());
  CHECK(ev.type->raw == "Teleport");
  CHECK(ev.type->str() == "Teleport");
  CHECK(ev.initiator.type.raw == "telepathy");
  // Sent back exactly as received.
  CHECK(json_difference(to_json(ev), future) == "");

  // The schema's own "unknown" is an ordinary enumerator.
  cdp::security::visible_security_state_changed changed;
  REQUIRE(cdp::decode_event(
      R"({"visibleSecurityState":{"securityState":"unknown","securityStateIssueIds":[]}})", changed));
  CHECK(changed.visible_security_state.security_state == cdp::security::security_state::unknown_);
  CHECK(changed.visible_security_state.security_state.known());
}

TEST_CASE("numbers: integers may arrive as whole doubles, numbers as integers", "[cdp]") {
  cdp::dom::describe_node_result r;
  REQUIRE(cdp::decode_result(
      R"({"node":{"nodeId":3.0,"backendNodeId":7,"nodeType":1,"nodeName":"DIV","localName":"div","nodeValue":""}})", r));
  CHECK(r.node.node_id == 3);
  CHECK(cdp::decode_result(
            R"({"node":{"nodeId":3.5,"backendNodeId":7,"nodeType":1,"nodeName":"DIV","localName":"div","nodeValue":""}})", r)
            .code() == errc::parse);

  cdp::runtime::console_api_called called;
  REQUIRE(cdp::decode_event(R"({"type":"log","args":[],"executionContextId":1,"timestamp":12})", called));
  CHECK(called.timestamp == 12.0);
}

TEST_CASE("strings and member names: escaped and plain ones decode alike", "[cdp]") {
  // Plain strings are read in place from the input, escaped ones unescaped: both paths, and names
  // with escapes, must give the same values.
  cdp::page::navigate_result r;
  REQUIRE(cdp::decode_result(R"({"frameId":"plain","loaderId":"a\"b\\c\n\u00e9\ud83d\ude00","errorText":""})", r));
  CHECK(r.frame_id == "plain");
  CHECK(r.loader_id == "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(r.error_text == "");
  REQUIRE(cdp::decode_result(R"({"frame\u0049d":"F\/1","errorT\u0065xt":"x"})", r));
  CHECK(r.frame_id == "F/1");
  CHECK(r.error_text == "x");
  CHECK_FALSE(r.loader_id.has_value());
  // Enumerations go through the same path.
  cdp::network::response_received ev;
  REQUIRE(cdp::decode_event(R"({"requestId":"1","loaderId":"L","timestamp":1,"type":"Docum\u0065nt","response":)"
                            R"({"url":"u","status":200,"statusText":"","headers":{},"mimeType":"","charset":"",)"
                            R"("connectionReused":false,"connectionId":0,"encodedDataLength":0,"securityState":"secure"},)"
                            R"("hasExtraInfo":false})", ev));
  CHECK(ev.type == cdp::network::resource_type::document);
  CHECK(ev.response.security_state == cdp::security::security_state::secure);
  CHECK(ev.response.status == 200);
  // A string where an integer belongs still names the expectation.
  CHECK(cdp::decode_event(R"({"requestId":"1","loaderId":"L","timestamp":1,"type":"Document","response":)"
                          R"({"url":"u","status":"200","statusText":"","headers":{},"mimeType":"","charset":"",)"
                          R"("connectionReused":false,"connectionId":0,"encodedDataLength":0,"securityState":"secure"},)"
                          R"("hasExtraInfo":false})", ev)
            .code() == errc::parse);
}

TEST_CASE("null stands for an absent optional member", "[cdp]") {
  cdp::page::navigate_result r;
  REQUIRE(cdp::decode_result(R"({"frameId":"F","loaderId":null,"errorText":null})", r));
  CHECK_FALSE(r.loader_id.has_value());
  CHECK_FALSE(r.error_text.has_value());
}

TEST_CASE("any-typed members keep their JSON text", "[cdp]") {
  cdp::runtime::evaluate_result r;
  REQUIRE(cdp::decode_result(R"({"result":{"type":"object","value":{"a":[1,2,{"b":null}]}}})", r));
  REQUIRE(r.result.value.has_value());
  CHECK(r.result.value->json == R"({"a":[1,2,{"b":null}]})");
  CHECK(r.result.type == cdp::runtime::remote_object_type::object);
  CHECK(json_difference(to_json(r), R"({"result":{"type":"object","value":{"a":[1,2,{"b":null}]}}})") == "");
}

TEST_CASE("recursive types: DOM.Node holds nodes, by vector and by box", "[cdp]") {
  const char* text =
      R"({"root":{"nodeId":1,"backendNodeId":1,"nodeType":9,"nodeName":"#document","localName":"","nodeValue":"",)"
      R"("children":[{"nodeId":2,"backendNodeId":2,"nodeType":1,"nodeName":"IFRAME","localName":"iframe","nodeValue":"",)"
      R"("contentDocument":{"nodeId":3,"backendNodeId":3,"nodeType":9,"nodeName":"#document","localName":"","nodeValue":"",)"
      R"("children":[{"nodeId":4,"backendNodeId":4,"nodeType":1,"nodeName":"HTML","localName":"html","nodeValue":""}]}}]}})";
  cdp::dom::get_document_result r;
  REQUIRE(cdp::decode_result(text, r));
  REQUIRE(r.root.children.has_value());
  const cdp::dom::node& iframe = r.root.children->at(0);
  REQUIRE(iframe.content_document.has_value());
  CHECK(iframe.content_document->children->at(0).local_name == "html");
  CHECK_FALSE(r.root.content_document.has_value());

  cdp::dom::node copy = iframe;  // deep
  copy.content_document->node_id = 99;
  CHECK(iframe.content_document->node_id == 3);
  CHECK(json_difference(to_json(r), text) == "");
}

TEST_CASE("names: keywords and the struct's own members are escaped", "[cdp]") {
  cdp::fetch::continue_request c{.request_id = "r", .method_ = "POST"};
  CHECK(json_difference(to_json(c), R"({"requestId":"r","method":"POST"})") == "");
  static_assert(cdp::fetch::continue_request::method == "Fetch.continueRequest");
}

TEST_CASE("events and replies decode from the codec's own parse of the message", "[cdp]") {
  janus::protocol::cdp_decoder decoder;
  // A string with escapes in the payload is unescaped into the parser's string buffer after the
  // rewind; the message's method and (escaped) session id must survive that.
  auto m = decoder.decode(
      R"({"method":"Runtime.consoleAPICalled","params":{"type":"log","args":[{"type":"string","value":"a\"b"},)"
      R"({"type":"number","value":3,"description":"3"},{"type":"string","value":"\u00e9"}],)"
      R"("executionContextId":1,"timestamp":12,"stackTrace":{"callFrames":[]}},"sessionId":"S\u0031"})");
  REQUIRE(m);
  cdp::runtime::console_api_called called;
  REQUIRE(cdp::decode_event(decoder, called));
  CHECK(m->method == "Runtime.consoleAPICalled");
  CHECK(m->session_id == "S1");
  REQUIRE(called.args.size() == 3);
  CHECK(called.args[0].value->json == R"("a\"b")");
  CHECK(called.args[2].value->json == R"("\u00e9")");
  CHECK(called.timestamp == 12.0);
  REQUIRE(called.stack_trace.has_value());

  // The same struct again, with less in it: nothing of the previous event stays.
  REQUIRE(decoder.decode(R"({"method":"Runtime.consoleAPICalled","params":{"type":"warning","args":)"
                         R"([{"type":"undefined"}],"executionContextId":2,"timestamp":13}})"));
  REQUIRE(cdp::decode_event(decoder, called));
  REQUIRE(called.args.size() == 1);
  CHECK(called.args[0].type == cdp::runtime::remote_object_type::undefined);
  CHECK_FALSE(called.args[0].value.has_value());
  CHECK_FALSE(called.args[0].description.has_value());
  CHECK_FALSE(called.stack_trace.has_value());
  CHECK(called.execution_context_id == 2);

  // Errors name the member path, as from text.
  REQUIRE(decoder.decode(R"({"method":"Network.responseReceived","params":{"requestId":"1","loaderId":"2",)"
                         R"("timestamp":1.5,"type":"Document","hasExtraInfo":false,)"
                         R"("response":{"url":"u","status":"200"}}})"));
  cdp::network::response_received ev;
  auto bad = cdp::decode_event(decoder, ev);
  REQUIRE_FALSE(bad);
  CHECK(bad.code() == errc::parse);
  CHECK(bad.err().message == "Network.responseReceived: response.status: expected an integer");

  // The decoder's last message must be what is asked for.
  CHECK(cdp::decode_event(decoder, called).code() == errc::invalid_argument);
  REQUIRE(decoder.decode(R"({"id":7,"result":{"frameId":"F","loaderId":"L"},"sessionId":"S"})"));
  CHECK(cdp::decode_event(decoder, called).code() == errc::invalid_argument);
  cdp::page::navigate_result r;
  REQUIRE(cdp::decode_result(decoder, r));
  CHECK(r.frame_id == "F");
  CHECK(r.loader_id == "L");
  REQUIRE_FALSE(decoder.decode(R"({"id":8,"result":{"frameId":"F"})"));
  CHECK(cdp::decode_result(decoder, r).code() == errc::invalid_argument);
  REQUIRE(decoder.decode(R"({"id":9,"error":{"code":-32000,"message":"no"}})"));
  CHECK(cdp::decode_result(decoder, r).code() == errc::invalid_argument);

  // A message refused before parsing (too large) also ends the previous one's parse.
  janus::protocol::cdp_decoder_options limits;
  limits.max_message_bytes = 200;
  janus::protocol::cdp_decoder small(limits);
  REQUIRE(small.decode(R"({"id":1,"result":{"frameId":"F"}})"));
  REQUIRE(cdp::decode_result(small, r));
  REQUIRE_FALSE(small.decode(R"({"id":2,"result":{"frameId":")" + std::string(300, 'x') + R"("}})"));
  CHECK(cdp::decode_result(small, r).code() == errc::invalid_argument);

  // An event without params reads as `{}`.
  REQUIRE(decoder.decode(R"({"method":"Page.frameResized"})"));
  cdp::page::frame_resized resized;
  CHECK(cdp::decode_event(decoder, resized));
}
