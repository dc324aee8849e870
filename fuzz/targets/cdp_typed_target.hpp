// Fuzz target body: the generated typed CDP decoders, on a few representative events and command
// results of several domains (Network, Page, Runtime, DOM, Target). The same wire text read every
// way the API offers must agree: in the decoder's own pass (decode_event(decoder, text, ev)), from
// the decoder's parse afterwards (decode_event(decoder, ev), decode_result(decoder, r)), and from
// the payload text (decode_event(payload, ev), decode_result(payload, r)). Errors are values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "check.hpp"
#include "janus/cdp/dom.hpp"
#include "janus/cdp/network.hpp"
#include "janus/cdp/page.hpp"
#include "janus/cdp/runtime.hpp"
#include "janus/cdp/target.hpp"
#include "janus/protocol/cdp_codec.hpp"
#include "janus/protocol/json_value.hpp"
#include "janus/protocol/json_writer.hpp"

namespace janus::fuzz {

namespace detail {

/// A typed value as JSON: how two decodes of it are compared (the structs have no operator==).
template <class T>
std::string typed_json(const T& value) {
  janus::protocol::json_writer w;
  janus::cdp::encode(w, value);
  return std::string(w.ok() ? "" : "(not ok) ") + std::string(w.view());
}

inline bool same_message(const janus::protocol::cdp_message& a, const janus::protocol::cdp_message& b) {
  return a.kind == b.kind && a.id == b.id && a.method == b.method && a.session_id == b.session_id &&
         a.payload == b.payload && a.error_code == b.error_code && a.error_message == b.error_message &&
         a.error_data == b.error_data;
}

inline void check_typed_failure(const janus::rt::result<void>& r, std::string_view type_name) {
  JANUS_FUZZ_CHECK(r.code() == janus::rt::errc::parse);
  JANUS_FUZZ_CHECK(r.err().message.starts_with(type_name));
}

/// A decoded value, written out and read back, writes out the same: decoding kept everything the
/// encoder needs. Only when what was written is JSON: a raw_json member holds its text as the
/// decoder found it, which simdjson's on-demand reader need not have validated inside.
template <class T>
void check_typed_round_trip(const T& value) {
  const std::string text = typed_json(value);
  if (!janus::protocol::json_value::parse(text)) return;
  T again{};
  const auto r = janus::cdp::decode(text, again);
  JANUS_FUZZ_CHECK(r.has_value());
  JANUS_FUZZ_CHECK(typed_json(again) == text);
}

template <class E>
void check_event(std::string_view in, std::string_view type_name) {
  using namespace janus::protocol;
  // Per type, reused across inputs as on a connection.
  static cdp_decoder one_pass, two_pass;
  E a{}, b{}, c{};
  const auto ma = janus::cdp::decode_event(one_pass, in, a);
  const auto mb = two_pass.decode(in);
  if (!mb) {
    // A message that does not decode fails the one-pass read too, for the same reason.
    JANUS_FUZZ_CHECK(!ma && ma.code() == mb.code());
    JANUS_FUZZ_CHECK(janus::cdp::decode_event(two_pass, b).code() == janus::rt::errc::invalid_argument);
    return;
  }
  if (mb->kind != cdp_kind::event || mb->method != E::method) {
    // Any other message: returned as decode() returns it, the struct left alone.
    JANUS_FUZZ_CHECK(ma.has_value() && same_message(*ma, *mb));
    JANUS_FUZZ_CHECK(typed_json(a) == typed_json(E{}));
    JANUS_FUZZ_CHECK(janus::cdp::decode_event(two_pass, b).code() == janus::rt::errc::invalid_argument);
    return;
  }
  const auto rb = janus::cdp::decode_event(two_pass, b);
  const auto rc = janus::cdp::decode_event(mb->payload, c);
  JANUS_FUZZ_CHECK(rb.has_value() == rc.has_value());
  JANUS_FUZZ_CHECK(ma.has_value() == rb.has_value());
  if (!rb) {
    check_typed_failure(rb, type_name);
    check_typed_failure(rc, type_name);
    JANUS_FUZZ_CHECK(ma.code() == janus::rt::errc::parse && ma.err().message.starts_with(type_name));
    return;
  }
  JANUS_FUZZ_CHECK(same_message(*ma, *mb));
  const std::string json = typed_json(b);
  JANUS_FUZZ_CHECK(typed_json(a) == json && typed_json(c) == json);
  check_typed_round_trip(b);
}

template <class R>
void check_result(std::string_view in, std::string_view type_name) {
  using namespace janus::protocol;
  static cdp_decoder decoder;
  R b{}, c{};
  const auto m = decoder.decode(in);
  const auto rb = janus::cdp::decode_result(decoder, b);
  if (!m || m->kind != cdp_kind::reply) {
    JANUS_FUZZ_CHECK(rb.code() == janus::rt::errc::invalid_argument);
    return;
  }
  const auto rc = janus::cdp::decode_result(m->payload, c);
  JANUS_FUZZ_CHECK(rb.has_value() == rc.has_value());
  if (!rb) {
    check_typed_failure(rb, type_name);
    check_typed_failure(rc, type_name);
    return;
  }
  JANUS_FUZZ_CHECK(typed_json(c) == typed_json(b));
  check_typed_round_trip(b);
}

}  // namespace detail

inline int cdp_typed_one_input(const std::uint8_t* data, std::size_t size) {
  namespace cdp = janus::cdp;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  detail::check_event<cdp::network::request_will_be_sent>(in, "Network.requestWillBeSent");
  detail::check_event<cdp::network::response_received>(in, "Network.responseReceived");
  detail::check_event<cdp::page::lifecycle_event>(in, "Page.lifecycleEvent");
  detail::check_event<cdp::runtime::console_api_called>(in, "Runtime.consoleAPICalled");
  detail::check_event<cdp::dom::set_child_nodes>(in, "DOM.setChildNodes");
  detail::check_event<cdp::target::attached_to_target>(in, "Target.attachedToTarget");
  detail::check_result<cdp::runtime::evaluate_result>(in, "Runtime.evaluate result");
  detail::check_result<cdp::page::navigate_result>(in, "Page.navigate result");
  detail::check_result<cdp::dom::get_document_result>(in, "DOM.getDocument result");
  detail::check_result<cdp::network::get_cookies_result>(in, "Network.getCookies result");
  return 0;
}

}  // namespace janus::fuzz
