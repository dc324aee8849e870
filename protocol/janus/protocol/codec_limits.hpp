// Size limits shared by the CDP and RDP codecs.
#pragma once

#include <cstddef>

namespace janus::protocol {

/// Largest incoming message (or RDP packet) accepted by default: 256 MiB. Screenshots and
/// heap snapshots are large, but a length beyond this means a broken or hostile peer.
inline constexpr std::size_t default_max_message_bytes = std::size_t{256} << 20;

/// Decoders keep their buffers between messages to avoid allocating; past this size they give the
/// memory back once a smaller message arrives, so one huge message does not pin it forever.
inline constexpr std::size_t default_keep_capacity_bytes = std::size_t{8} << 20;

}  // namespace janus::protocol
