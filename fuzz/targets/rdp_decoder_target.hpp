// Fuzz target body: RDP packet decoding and classification.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "brackets.hpp"
#include "check.hpp"
#include "janus/protocol/rdp_codec.hpp"

namespace janus::fuzz {

inline int rdp_decoder_one_input(const std::uint8_t* data, std::size_t size) {
  using namespace janus::protocol;
  static rdp_decoder reused({.max_message_bytes = 1 << 20, .keep_capacity_bytes = 1 << 12});
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto a = reused.decode(in);
  rdp_decoder fresh({.max_message_bytes = 1 << 20});
  const auto b = fresh.decode(in);

  JANUS_FUZZ_CHECK(a.has_value() == b.has_value());
  if (!a) {
    JANUS_FUZZ_CHECK(a.code() == b.code());
    JANUS_FUZZ_CHECK(!a.err().message.empty());
    return 0;
  }
  const rdp_message& m = *a;
  JANUS_FUZZ_CHECK(detail::brackets_balance(in));  // an unbalanced document is never accepted
  JANUS_FUZZ_CHECK(m.from == b->from && m.type == b->type && m.error == b->error && m.message == b->message);
  JANUS_FUZZ_CHECK(m.prefix == b->prefix && m.has_request_types == b->has_request_types);
  JANUS_FUZZ_CHECK(m.json == in && b->json == in);

  // The classification helpers must be total functions of the decoded fields.
  const std::string_view actor_type = rdp_actor_type_from_id(m.from);
  const bool event = is_event(m, actor_type);
  if (event) JANUS_FUZZ_CHECK(!is_error(m) && !m.type.empty());
  if (is_forwarding_cancelled(m)) JANUS_FUZZ_CHECK(forwarding_cancelled_prefix(m) == m.prefix);
  if (is_overtaking_reply(m)) JANUS_FUZZ_CHECK(is_error(m) || m.has_request_types);
  JANUS_FUZZ_CHECK(error_name(m) == m.error);
  return 0;
}

}  // namespace janus::fuzz
