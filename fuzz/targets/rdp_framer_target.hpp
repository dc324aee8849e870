// Fuzz target body: RDP framing. However the stream is split, the framer must produce the same
// packets and the same error; and re-encoding those packets must frame back to them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "check.hpp"
#include "janus/protocol/rdp_framer.hpp"

namespace janus::fuzz {

namespace detail {

struct owned_packet {
  janus::protocol::rdp_packet_kind kind;
  std::string json, actor, type, bytes;
  bool operator==(const owned_packet&) const = default;
};

struct framing_outcome {
  std::vector<owned_packet> packets;
  janus::rt::errc error = janus::rt::errc::ok;
  bool operator==(const framing_outcome&) const = default;
};

// Drains every complete packet.
inline void drain(janus::protocol::rdp_framer& f, framing_outcome& out) {
  using janus::protocol::rdp_packet_kind;
  while (out.error == janus::rt::errc::ok) {
    auto r = f.next();
    if (!r) {
      out.error = r.code();
      JANUS_FUZZ_CHECK(f.failed());
      JANUS_FUZZ_CHECK(f.next().code() == out.error);  // the failure sticks
      return;
    }
    if (!*r) return;
    const auto& p = **r;
    if (p.kind == rdp_packet_kind::bulk) JANUS_FUZZ_CHECK(!p.actor.empty() && !p.type.empty());
    out.packets.push_back({p.kind, std::string(p.json), std::string(p.actor), std::string(p.type), std::string(p.bytes)});
  }
}

inline janus::protocol::rdp_framer_options small_limits() {
  // Small limits so fuzzed lengths hit the limit and the shrink path instead of allocating.
  return {.max_packet_bytes = 1 << 16, .keep_capacity_bytes = 1 << 8};
}

}  // namespace detail

inline int rdp_framer_one_input(const std::uint8_t* data, std::size_t size) {
  using namespace janus::protocol;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  detail::framing_outcome whole;
  {
    rdp_framer f(detail::small_limits());
    f.feed(in);
    detail::drain(f, whole);
  }

  // The same bytes in pseudo-random chunks (seeded by the input), through prepare()/commit().
  detail::framing_outcome chunked;
  {
    rdp_framer f(detail::small_limits());
    std::uint32_t seed = size ? data[0] * 2654435761u + 1 : 1;
    std::size_t pos = 0;
    while (pos < size && chunked.error == janus::rt::errc::ok) {
      seed = seed * 1103515245u + 12345u;
      const std::size_t n = std::min<std::size_t>(size - pos, 1 + (seed >> 16) % 17);
      auto room = f.prepare(n);
      JANUS_FUZZ_CHECK(room.size() >= n);
      std::memcpy(room.data(), in.data() + pos, n);
      f.commit(n);
      pos += n;
      detail::drain(f, chunked);
    }
  }
  JANUS_FUZZ_CHECK(whole == chunked);

  // Encoding what was framed and framing it again is the identity.
  std::string encoded;
  for (const auto& p : whole.packets) {
    if (p.kind == rdp_packet_kind::json) rdp_encode_to(encoded, p.json);
    else encoded += rdp_encode_bulk(p.actor, p.type, p.bytes);
  }
  detail::framing_outcome again;
  rdp_framer f(detail::small_limits());
  f.feed(encoded);
  detail::drain(f, again);
  JANUS_FUZZ_CHECK(again.error == janus::rt::errc::ok && again.packets == whole.packets);
  JANUS_FUZZ_CHECK(f.buffered() == 0);
  return 0;
}

}  // namespace janus::fuzz
