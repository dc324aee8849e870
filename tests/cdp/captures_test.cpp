// Traffic recorded from the installed Chromium (tests/cdp/captures/*.jsonl, made by
// tests/cdp/capture/record.js) decodes into the typed structs and encodes back to the same JSON, both
// from the payload text and from a cdp_decoder's own parse of the wire message.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "cdp_cases.hpp"
#include "janus/protocol/cdp_codec.hpp"
#include "janus/protocol/json_value.hpp"
#include "janus/protocol/json_writer.hpp"

using janus::cdp::test::cdp_case;
using janus::cdp::test::find_case;
using janus::cdp::test::json_difference;
using janus::cdp::test::round_trip;
using janus::protocol::json_value;

namespace {

struct recorded {
  std::string where;  // file:line
  std::string method;
  std::string params;
  std::string result;  // empty for an event
};

std::vector<recorded> load_captures() {
  std::vector<recorded> out;
  const std::filesystem::path dir = JANUS_SOURCE_ROOT "/tests/cdp/captures";
  std::set<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".jsonl") files.insert(entry.path());
  }
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      const std::string where = file.filename().string() + ":" + std::to_string(n);
      auto msg = json_value::parse(line);
      INFO(where);
      REQUIRE(msg.has_value());
      const json_value* result = msg->find("result");
      out.push_back({where, (*msg)["method"].as_string(), (*msg)["params"].dump(), result ? result->dump() : ""});
    }
  }
  return out;
}

void check(const recorded& r, std::string_view what, std::string_view json, const janus::cdp::detail::type_desc& type) {
  INFO(r.where << " " << r.method << " " << what << ": " << json.substr(0, 400));
  auto again = round_trip(type, json);
  if (!again) FAIL(again.err().what());
  CHECK(json_difference(json, *again) == "");
}

}  // namespace

TEST_CASE("captured browser traffic decodes and re-encodes to the same JSON", "[cdp]") {
  const auto captures = load_captures();
  REQUIRE(captures.size() > 100);
  std::map<std::string, int> per_domain;
  for (const recorded& r : captures) {
    const cdp_case* c = find_case(r.method);
    // Everything the installed browser sent is in the schema it serves.
    INFO(r.where << " " << r.method);
    REQUIRE(c != nullptr);
    if (r.result.empty()) {
      REQUIRE(c->kind == cdp_case::event);
      check(r, "event", r.params, c->params_type());
    } else {
      REQUIRE(c->kind == cdp_case::command);
      check(r, "params", r.params, c->params_type());
      check(r, "result", r.result, c->result_type());
    }
    ++per_domain[r.method.substr(0, r.method.find('.'))];
  }
  // The capture exercises the domains a session lives on.
  for (const char* domain : {"Page", "Network", "DOM", "CSS", "Runtime", "Log", "Target"}) {
    INFO(domain);
    CHECK(per_domain[domain] > 0);
  }
}

namespace {

using janus::cdp::detail::type_desc;
using value_ptr = std::unique_ptr<void, void (*)(void*) noexcept>;

std::string encoded(const type_desc& type, const void* value) {
  janus::protocol::json_writer w;
  janus::cdp::detail::encode(w, type, value);
  REQUIRE(w.ok());
  return w.take();
}

}  // namespace

TEST_CASE("captured traffic decodes the same from the codec's own parse as from the payload text", "[cdp]") {
  // The wire message as Chromium sends it (params or result second, sessionId last), decoded by a
  // cdp_decoder, then typed from that decoder's parse: into a fresh value, and into one value per
  // type that is reused across all messages of that type (which must not keep anything stale).
  const auto captures = load_captures();
  janus::protocol::cdp_decoder decoder;
  std::map<std::string, value_ptr> reused;
  std::int64_t id = 0;
  for (const recorded& r : captures) {
    const cdp_case* c = find_case(r.method);
    INFO(r.where << " " << r.method);
    REQUIRE(c != nullptr);
    const bool is_event = r.result.empty();
    const type_desc& type = is_event ? c->params_type() : c->result_type();
    const std::string payload = is_event ? r.params : r.result;
    const std::string wire = is_event
        ? R"({"method":")" + r.method + R"(","params":)" + payload + R"(,"sessionId":"S1"})"
        : R"({"id":)" + std::to_string(++id) + R"(,"result":)" + payload + R"(,"sessionId":"S1"})";
    auto m = decoder.decode(wire);
    REQUIRE(m.has_value());

    value_ptr expected(type.create(), type.destroy);
    REQUIRE(janus::cdp::detail::decode(m->payload, type, expected.get()));
    const std::string want = encoded(type, expected.get());

    const std::string_view method = is_event ? std::string_view(r.method) : std::string_view();
    value_ptr fresh(type.create(), type.destroy);
    auto typed = janus::cdp::detail::decode_payload(decoder, method, type, fresh.get());
    if (!typed) FAIL(typed.err().what());
    CHECK(encoded(type, fresh.get()) == want);

    auto [it, inserted] = reused.try_emplace(std::string(is_event ? "event " : "result ") + r.method,
                                             value_ptr(type.create(), type.destroy));
    typed = janus::cdp::detail::decode_payload(decoder, method, type, it->second.get());
    if (!typed) FAIL(typed.err().what());
    CHECK(encoded(type, it->second.get()) == want);

    // Decoding the payload (twice) left the message's views alone.
    CHECK(m->method == (is_event ? std::string_view(r.method) : std::string_view()));
    CHECK(m->session_id == "S1");
    CHECK(m->payload == payload);

    if (!is_event) continue;
    // In one pass, the params read as the decoder meets them: into a fresh value, into one reused
    // per type, and (params before method, so not in passing) through the rewind.
    value_ptr one(type.create(), type.destroy);
    auto whole = janus::cdp::detail::decode_message(decoder, wire, method, type, one.get());
    if (!whole) FAIL(whole.err().what());
    CHECK(encoded(type, one.get()) == want);
    CHECK(whole->kind == janus::protocol::cdp_kind::event);
    CHECK(whole->method == r.method);
    CHECK(whole->session_id == "S1");
    CHECK(whole->payload == payload);

    auto [again, fresh_slot] = reused.try_emplace("one pass " + r.method, value_ptr(type.create(), type.destroy));
    whole = janus::cdp::detail::decode_message(decoder, wire, method, type, again->second.get());
    if (!whole) FAIL(whole.err().what());
    CHECK(encoded(type, again->second.get()) == want);

    const std::string params_first = R"({"params":)" + payload + R"(,"method":")" + r.method + R"(","sessionId":"S1"})";
    value_ptr late(type.create(), type.destroy);
    whole = janus::cdp::detail::decode_message(decoder, params_first, method, type, late.get());
    if (!whole) FAIL(whole.err().what());
    CHECK(encoded(type, late.get()) == want);
    CHECK(whole->payload == payload);
  }
}
