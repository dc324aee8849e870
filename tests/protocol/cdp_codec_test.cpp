#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "alloc_counter.hpp"
#include "janus/protocol/cdp_codec.hpp"
#include "janus/protocol/json_value.hpp"

using namespace janus::protocol;
using janus::rt::errc;

namespace {

// Captured from Chromium 156 (headless, flattened sessions).
constexpr std::string_view browser_version_reply =
    R"({"id":1,"result":{"protocolVersion":"1.3","product":"Chrome/156.0.8078.79","revision":"@a21ce95c24ce3964416f09ae1862f53f319eb4d0","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36","jsVersion":"15.6.75.27"}})";
constexpr std::string_view session_event =
    R"({"method":"Page.frameStoppedLoading","params":{"frameId":"2DA543E3B19687010C36C9CCB2684CAD"},"sessionId":"AA4FBA2B7ED3A3992A2BE23ECF782F5C"})";
constexpr std::string_view session_reply =
    R"({"id":7,"result":{"result":{"type":"object","value":[1,"two",{"three":3.25,"\u00fc":null}]}},"sessionId":"AA4FBA2B7ED3A3992A2BE23ECF782F5C"})";
constexpr std::string_view error_with_data =
    R"({"id":11,"error":{"code":-32602,"message":"Invalid parameters","data":"Failed to deserialize params.url - BINDINGS: string value expected at position 12"},"sessionId":"AA4FBA2B7ED3A3992A2BE23ECF782F5C"})";
constexpr std::string_view method_not_found =
    R"({"id":10,"error":{"code":-32601,"message":"'No.suchMethod' wasn't found"},"sessionId":"AA4FBA2B7ED3A3992A2BE23ECF782F5C"})";
constexpr std::string_view unparseable_command =
    R"({"error":{"code":-32700,"message":"JSON: invalid token at position 0"}})";
constexpr std::string_view browser_event =
    R"({"method":"Target.targetDestroyed","params":{"targetId":"2DA543E3B19687010C36C9CCB2684CAD"}})";
constexpr std::string_view non_ascii_event =
    R"({"method":"Target.targetInfoChanged","params":{"targetInfo":{"targetId":"2DA543E3B19687010C36C9CCB2684CAD","type":"page","title":"t\u0106\u00c6t","url":"data:text/html,<title>t%C3%AFt</title><p>hi</p>","attached":false,"canAccessOpener":false,"browserContextId":"656604599D2F62BD9133B90C10D8245A"}}})";

// The text of member `key`'s object value, found by hand, to compare with the decoder's view.
std::string_view member_text(std::string_view message, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":";
  const std::size_t start = message.find(needle) + needle.size();
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = start; i < message.size(); ++i) {
    const char c = message[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return message.substr(start, i + 1 - start);
    }
  }
  return {};
}

cdp_message decode_ok(cdp_decoder& d, std::string_view text) {
  auto r = d.decode(text);
  INFO(text << " -> " << (r ? std::string("ok") : r.err().what()));
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("cdp_decoder: replies", "[cdp_codec]") {
  cdp_decoder d;
  const cdp_message m = decode_ok(d, browser_version_reply);
  CHECK(m.kind == cdp_kind::reply);
  CHECK(m.id == 1);
  CHECK(m.session_id.empty());
  CHECK(m.method.empty());
  CHECK(m.payload == member_text(browser_version_reply, "result"));

  const cdp_message s = decode_ok(d, session_reply);
  CHECK(s.kind == cdp_kind::reply);
  CHECK(s.id == 7);
  CHECK(s.session_id == "AA4FBA2B7ED3A3992A2BE23ECF782F5C");
  CHECK(s.payload == R"({"result":{"type":"object","value":[1,"two",{"three":3.25,"\u00fc":null}]}})");
  // The payload is the exact text: a binding parses it without any re-encoding.
  const auto parsed = json_value::parse(s.payload);
  REQUIRE(parsed);
  CHECK((*parsed)["result"]["value"][2]["\xC3\xBC"].is_null());

  CHECK(decode_ok(d, R"({"id":12,"result":{"success":true}})").payload == R"({"success":true})");
  CHECK(decode_ok(d, R"({"id":2,"result":{}})").payload == "{}");
  CHECK(decode_ok(d, R"({"id":-5,"result":{}})").id == -5);
  CHECK(decode_ok(d, R"({"id":9223372036854775807,"result":{}})").id == INT64_MAX);
}

TEST_CASE("cdp_decoder: events", "[cdp_codec]") {
  cdp_decoder d;
  const cdp_message e = decode_ok(d, session_event);
  CHECK(e.kind == cdp_kind::event);
  CHECK(e.id == 0);
  CHECK(e.method == "Page.frameStoppedLoading");
  CHECK(e.session_id == "AA4FBA2B7ED3A3992A2BE23ECF782F5C");
  CHECK(e.payload == R"({"frameId":"2DA543E3B19687010C36C9CCB2684CAD"})");

  const cdp_message b = decode_ok(d, browser_event);
  CHECK(b.kind == cdp_kind::event);
  CHECK(b.method == "Target.targetDestroyed");
  CHECK(b.session_id.empty());

  const cdp_message u = decode_ok(d, non_ascii_event);
  CHECK(u.payload == member_text(non_ascii_event, "params"));

  // params is optional in JSON-RPC: consumers still get an object's text.
  const cdp_message no_params = decode_ok(d, R"({"method":"Page.interstitialHidden"})");
  CHECK(no_params.kind == cdp_kind::event);
  CHECK(no_params.payload == "{}");
}

TEST_CASE("cdp_decoder: error replies and protocol errors", "[cdp_codec]") {
  cdp_decoder d;
  const cdp_message e = decode_ok(d, error_with_data);
  CHECK(e.kind == cdp_kind::error_reply);
  CHECK(e.id == 11);
  CHECK(e.error_code == -32602);
  CHECK(e.error_message == "Invalid parameters");
  CHECK(e.error_data == "Failed to deserialize params.url - BINDINGS: string value expected at position 12");
  CHECK(e.session_id == "AA4FBA2B7ED3A3992A2BE23ECF782F5C");
  CHECK(e.payload.empty());

  const cdp_message nf = decode_ok(d, method_not_found);
  CHECK(nf.kind == cdp_kind::error_reply);
  CHECK(nf.error_code == -32601);
  CHECK(nf.error_message == "'No.suchMethod' wasn't found");
  CHECK(nf.error_data.empty());

  const cdp_message p = decode_ok(d, unparseable_command);
  CHECK(p.kind == cdp_kind::protocol_error);
  CHECK(p.error_code == -32700);
  CHECK(p.error_message == "JSON: invalid token at position 0");

  // Non-string data is handed on as its JSON text; escapes in strings are decoded.
  const cdp_message obj = decode_ok(d, R"({"id":3,"error":{"code":1,"message":"a\"b","data":{"x":[1]}}})");
  CHECK(obj.error_message == "a\"b");
  CHECK(obj.error_data == R"({"x":[1]})");
  CHECK(decode_ok(d, R"({"id":3,"error":{"code":1,"data":42}})").error_data == "42");
  CHECK(decode_ok(d, R"({"id":3,"error":{"code":1}})").error_message.empty());
}

TEST_CASE("cdp_decoder: member order, whitespace and escapes do not matter", "[cdp_codec]") {
  cdp_decoder d;
  const cdp_message e = decode_ok(d, R"({"sessionId":"S1","params":{"a":1},"method":"X.y"})");
  CHECK(e.kind == cdp_kind::event);
  CHECK(e.method == "X.y");
  CHECK(e.session_id == "S1");
  CHECK(e.payload == R"({"a":1})");

  const cdp_message r = decode_ok(d, "{\n  \"result\" : { \"a\" : [ 1 , 2 ] }  ,\n  \"id\" : 4\n}\n");
  CHECK(r.kind == cdp_kind::reply);
  CHECK(r.id == 4);
  CHECK(r.payload == "{ \"a\" : [ 1 , 2 ] }");

  const cdp_message esc = decode_ok(d, R"({"\u0069d":5,"result":{},"session\u0049d":"\u0041B"})");
  CHECK(esc.id == 5);
  CHECK(esc.session_id == "AB");

  // Unknown members are skipped, whatever they hold.
  const cdp_message extra = decode_ok(d, R"({"x":[{"y":"}"}],"id":6,"result":{"z":"]"},"w":null})");
  CHECK(extra.id == 6);
  CHECK(extra.payload == R"({"z":"]"})");
}

TEST_CASE("cdp_decoder: malformed messages fail with errc::parse", "[cdp_codec]") {
  const std::string bad[] = {
      "",
      "   ",
      "null",
      "[]",
      "1",
      "\"s\"",
      "{",
      "{}",
      "{\"id\":1}",
      "{\"id\":\"1\",\"result\":{}}",
      "{\"id\":1.5,\"result\":{}}",
      "{\"id\":1e3,\"result\":{}}",
      "{\"id\":9223372036854775808,\"result\":{}}",
      "{\"id\":null,\"result\":{}}",
      "{\"id\":1,\"result\":[]}",
      "{\"id\":1,\"result\":\"x\"}",
      "{\"id\":1,\"result\":null}",
      "{\"id\":1,\"result\":{},\"error\":{\"code\":1}}",
      "{\"id\":1,\"result\":{},\"params\":{}}",
      "{\"id\":1,\"error\":{\"code\":1},\"params\":{}}",
      "{\"error\":{\"code\":1},\"result\":{}}",
      "{\"error\":{\"code\":1},\"params\":{}}",
      "{\"id\":1,\"method\":\"A.b\",\"params\":{}}",
      "{\"id\":1,\"id\":2,\"result\":{}}",
      "{\"id\":1,\"result\":{},\"result\":{}}",
      "{\"method\":1}",
      "{\"method\":\"A.b\",\"params\":[]}",
      "{\"method\":\"A.b\",\"params\":{},\"params\":{}}",
      "{\"method\":\"A.b\",\"result\":{}}",
      "{\"method\":\"A.b\",\"sessionId\":5}",
      "{\"method\":\"A.b\",\"params\":{}} trailing",
      "{\"method\":\"A.b\",\"params\":{}}{}",
      "{\"id\":1,\"result\":{}}}",
      "{\"error\":\"boom\"}",
      "{\"error\":{\"message\":\"no code\"}}",
      "{\"error\":{\"code\":\"1\",\"message\":\"x\"}}",
      "{\"error\":{\"code\":1,\"message\":2}}",
      "{\"error\":{\"code\":1,\"code\":2}}",
      "{\"id\":1,\"result\":{\"a\":\"unterminated}}",
      "{\"id\":1,\"result\":{\"a\":1}",
      "{\"id\":1,\"result\":{\"a\":1}]",
      "{\"id\" 1,\"result\":{}}",
      "{\"id\":1 \"result\":{}}",
      "{id:1,\"result\":{}}",
      "{\"method\":\"A\xFF\"}",
      "{\"method\":\"\xED\xA0\x80\"}",
      "{\"method\":\"A\x01\"}",
      "{\"method\":\"bad escape \\q\"}",
      std::string("{\"method\":\"A.b\"}\0", 17),
      "{\"x\":1}",
  };
  cdp_decoder d;
  for (const std::string& text : bad) {
    INFO("input: " << text);
    const auto r = d.decode(text);
    CHECK_FALSE(r.has_value());
    if (!r) {
      CHECK(r.code() == errc::parse);
      CHECK_FALSE(r.err().message.empty());
    }
    // A failure leaves the decoder usable.
    CHECK(decode_ok(d, session_event).method == "Page.frameStoppedLoading");
  }
}

TEST_CASE("cdp_decoder: error messages say what is wrong", "[cdp_codec]") {
  cdp_decoder d;
  CHECK(d.decode(R"({"id":"x","result":{}})").err().message.find("\"id\"") != std::string::npos);
  CHECK(d.decode(R"({"id":1})").err().message.find("neither") != std::string::npos);
  CHECK(d.decode(R"({"sessionId":"S"})").err().message.find("neither \"id\" nor \"method\"") != std::string::npos);
  CHECK(d.decode(R"({"id":1,"result":{}} {})").err().message.find("trailing") != std::string::npos);
  CHECK(d.decode(R"({"id":1,"id":1,"result":{}})").err().message.find("duplicate") != std::string::npos);
}

TEST_CASE("cdp_decoder: size limit", "[cdp_codec]") {
  const std::string msg = R"({"method":"A.b","params":{"pad":")" + std::string(100, 'x') + "\"}}";
  cdp_decoder exact({.max_message_bytes = msg.size()});
  CHECK(exact.decode(msg).has_value());
  cdp_decoder smaller({.max_message_bytes = msg.size() - 1});
  const auto r = smaller.decode(msg);
  REQUIRE_FALSE(r);
  CHECK(r.code() == errc::message_too_large);
  CHECK(r.err().message.find(std::to_string(msg.size())) != std::string::npos);
  CHECK(cdp_decoder().options().max_message_bytes == std::size_t{256} << 20);
}

TEST_CASE("cdp_decoder: large messages, and memory is given back afterwards", "[cdp_codec]") {
  // A screenshot-sized reply (base64 PNG data), then small messages again.
  const std::string big = R"({"id":99,"result":{"data":")" + std::string(6 << 20, 'A') + "\"}}";
  cdp_decoder d({.keep_capacity_bytes = 1 << 20});
  const cdp_message m = decode_ok(d, big);
  CHECK(m.id == 99);
  CHECK(m.payload.size() == big.size() - 19);  // less {"id":99,"result": and }
  for (int i = 0; i < 3; ++i) CHECK(decode_ok(d, session_event).kind == cdp_kind::event);
  CHECK(decode_ok(d, big).id == 99);
}

TEST_CASE("cdp_decoder: unbalanced documents are rejected (fuzzer finds)", "[cdp_codec]") {
  // simdjson's on-demand front end accepted these as long as the byte after the text was no `}`.
  cdp_decoder d;
  for (std::string_view text : {R"({"id":2,"result":{=})", R"({"id":2,"result":{"a":{})", R"({"method":"A","params":[{})",
                                R"({"id":1,"result":{"a":[1}],"x":1})", R"({"id":1,"result":{"a":[}]})"}) {
    INFO(text);
    const auto r = d.decode(text);
    CHECK_FALSE(r.has_value());
    if (!r) CHECK(r.code() == errc::parse);
  }
}

TEST_CASE("cdp_decoder: steady-state decoding allocates nothing", "[cdp_codec]") {
  cdp_decoder d;
  const std::string_view messages[] = {browser_version_reply, session_event, session_reply, error_with_data,
                                       non_ascii_event};
  for (auto m : messages) REQUIRE(d.decode(m));  // warm-up: buffers reach their size
  const std::size_t n = janus::test::count_allocations([&] {
    for (int i = 0; i < 200; ++i)
      for (auto m : messages) {
        auto r = d.decode(m);
        if (!r) FAIL(r.err().what());
      }
  });
  CHECK(n == 0);
}

TEST_CASE("cdp_decoder: is movable", "[cdp_codec]") {
  cdp_decoder a({.max_message_bytes = 1000});
  cdp_decoder b = std::move(a);
  CHECK(b.options().max_message_bytes == 1000);
  CHECK(decode_ok(b, session_event).kind == cdp_kind::event);
}

TEST_CASE("cdp_kind names", "[cdp_codec]") {
  CHECK(to_string(cdp_kind::reply) == "reply");
  CHECK(to_string(cdp_kind::error_reply) == "error_reply");
  CHECK(to_string(cdp_kind::event) == "event");
  CHECK(to_string(cdp_kind::protocol_error) == "protocol_error");
}

TEST_CASE("cdp_owned_message: one owned copy that outlives the decoder's buffers", "[cdp_codec]") {
  cdp_decoder d;
  cdp_owned_message owned(decode_ok(d, error_with_data));
  const cdp_owned_message reply(decode_ok(d, session_reply));
  REQUIRE(d.decode(browser_version_reply));  // reuses the buffers the views pointed into
  CHECK(owned.kind() == cdp_kind::error_reply);
  CHECK(owned.id() == 11);
  CHECK(owned.error_code() == -32602);
  CHECK(owned.error_message() == "Invalid parameters");
  CHECK(owned.error_data().starts_with("Failed to deserialize"));
  CHECK(owned.session_id() == "AA4FBA2B7ED3A3992A2BE23ECF782F5C");
  CHECK(owned.payload().empty());
  CHECK(reply.payload() == member_text(session_reply, "result"));
  CHECK(reply.method().empty());

  // Moves and copies keep working views.
  cdp_owned_message moved = std::move(owned);
  cdp_owned_message copy = moved;
  CHECK(copy.view().error_message == "Invalid parameters");
  CHECK(moved.view().session_id == "AA4FBA2B7ED3A3992A2BE23ECF782F5C");
  const cdp_owned_message event(decode_ok(d, session_event));
  CHECK(event.method() == "Page.frameStoppedLoading");
  CHECK(event.view().kind == cdp_kind::event);
  CHECK(cdp_owned_message().payload().empty());
}
