// Recycled text buffers for messages that outlive the decoder's input (owned replies and events).
//
// Every reply and event the connection hands to another thread needs its own copy of the text:
// the decoder's buffer is overwritten by the next read. Allocating that copy per message would put
// malloc/free on the hot path (one pair per reply, whatever the reply's size), so owned messages
// take their storage from here and give it back when they die. Buffers keep their capacity, so
// after warm-up a message of a size seen before needs no allocation.
//
// The producer (the thread that decodes) takes and the consumers (whoever reads the reply) give
// back, usually on another thread: one small spinlock-guarded stack is the meeting point. What it
// keeps is bounded in count and bytes, and buffers above `max_kept_capacity` are freed instead of
// kept, so a burst of huge messages does not pin memory.
//
// @par Thread Safety
// take() and give() may be called from any threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace janus::protocol::message_buffers {

/// Buffers larger than this are freed instead of kept.
inline constexpr std::size_t max_kept_capacity = std::size_t{256} << 10;
/// At most this many buffers of each size class (powers of two) are kept: enough for a full
/// dispatcher mailbox and subscriber queues of events in flight at once...
inline constexpr std::size_t max_kept_count = 8192;
/// ...holding at most this many bytes in all.
inline constexpr std::size_t max_kept_bytes = std::size_t{8} << 20;

/// An empty string with capacity for at least `size` bytes: a kept buffer when there is one
/// (grown if it is too small), otherwise a new one.
std::string take(std::size_t size);

/// Returns a buffer for reuse. Buffers that fit the string's inline storage, or larger than
/// max_kept_capacity, or beyond the limits above, are simply freed.
void give(std::string&& buffer) noexcept;

/// What the pool holds and how often it served a take() without allocating (for tests and
/// benchmarks).
struct stats {
  std::size_t kept_count = 0;
  std::size_t kept_bytes = 0;
  std::uint64_t reused = 0;
  std::uint64_t allocated = 0;
};
stats current_stats() noexcept;

}  // namespace janus::protocol::message_buffers
