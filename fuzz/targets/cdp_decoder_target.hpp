// Fuzz target body: CDP decoding. Shared by the libFuzzer executable and the corpus replay test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "brackets.hpp"
#include "check.hpp"
#include "janus/protocol/cdp_codec.hpp"
#include "janus/protocol/json_value.hpp"

namespace janus::fuzz {

inline int cdp_decoder_one_input(const std::uint8_t* data, std::size_t size) {
  using namespace janus::protocol;
  // One decoder reused across inputs, as on a connection (so buffer reuse and shrinking are
  // exercised), and a fresh one: nothing may leak from one message into the next.
  static cdp_decoder reused({.max_message_bytes = 1 << 20, .keep_capacity_bytes = 1 << 12});
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto a = reused.decode(in);
  cdp_decoder fresh({.max_message_bytes = 1 << 20});
  const auto b = fresh.decode(in);

  JANUS_FUZZ_CHECK(a.has_value() == b.has_value());
  if (!a) {
    JANUS_FUZZ_CHECK(a.code() == b.code());
    JANUS_FUZZ_CHECK(a.code() == janus::rt::errc::parse || a.code() == janus::rt::errc::message_too_large);
    JANUS_FUZZ_CHECK(!a.err().message.empty());
    return 0;
  }
  const cdp_message& m = *a;
  JANUS_FUZZ_CHECK(detail::brackets_balance(in));  // an unbalanced document is never accepted
  JANUS_FUZZ_CHECK(m.kind == b->kind && m.id == b->id && m.method == b->method && m.session_id == b->session_id);
  JANUS_FUZZ_CHECK(m.payload == b->payload && m.error_code == b->error_code);
  JANUS_FUZZ_CHECK(m.error_message == b->error_message && m.error_data == b->error_data);
  // A payload, wrapped in a reply again, decodes to itself: its extent is stable. Only for a
  // payload that is valid JSON: the decoder skips over the payload without validating inside it
  // (simdjson on-demand checks what it reads), so a message whose payload is malformed inside,
  // such as {"params":{[x"y"}}, may be accepted; reading that payload (json_value, a typed
  // decode) is where it fails, with errc::parse.
  if ((m.kind == cdp_kind::reply || m.kind == cdp_kind::event) && json_value::parse(m.payload)) {
    const std::string wrapped = "{\"id\":1,\"result\":" + std::string(m.payload) + "}";
    const auto again = fresh.decode(wrapped);
    JANUS_FUZZ_CHECK(again.has_value() && again->payload == m.payload);
  }
  switch (m.kind) {
    case cdp_kind::reply:
    case cdp_kind::event:
      JANUS_FUZZ_CHECK(m.payload.size() >= 2 && m.payload.front() == '{' && m.payload.back() == '}');
      break;
    case cdp_kind::error_reply:
    case cdp_kind::protocol_error: JANUS_FUZZ_CHECK(m.payload.empty()); break;
  }
  if (m.kind == cdp_kind::event) JANUS_FUZZ_CHECK(m.id == 0);
  return 0;
}

}  // namespace janus::fuzz
