// Fuzz target body: the NUL framer of Chromium's --remote-debugging-pipe (make_nul_framer). However
// the stream is split, it delivers the same messages and fails the same way, as a reference that
// splits the whole stream at its NULs says; framing the messages again gives them back.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "check.hpp"
#include "janus/protocol/transport.hpp"

namespace janus::fuzz {

namespace detail {

struct collecting_sink final : janus::protocol::message_sink {
  std::vector<std::string> messages;
  bool deliver(std::string&& message) override {
    messages.push_back(std::move(message));
    return true;
  }
  bool deliver_view(std::string_view message) override {
    messages.emplace_back(message);
    return true;
  }
};

struct pipe_outcome {
  std::vector<std::string> messages;
  janus::rt::errc error = janus::rt::errc::ok;
  std::size_t pending = 0;  // bytes held back, when there was no error
  bool operator==(const pipe_outcome&) const = default;
};

/// Feeds `in` to a fresh NUL framer in chunks of the given sizes (cycled), the whole of it when
/// `chunks` is empty.
inline pipe_outcome frame_nul(std::string_view in, std::size_t limit, const std::vector<std::size_t>& chunks) {
  auto framer = janus::protocol::make_nul_framer();
  collecting_sink sink;
  pipe_outcome out;
  std::size_t pos = 0, next = 0;
  do {
    const std::size_t n = chunks.empty() ? in.size() : std::min(chunks[next++ % chunks.size()], in.size() - pos);
    auto r = framer->consume(in.substr(pos, n), limit, sink);
    pos += n;
    if (!r) {
      out.error = r.code();
      JANUS_FUZZ_CHECK(r.code() == janus::rt::errc::message_too_large && !r.err().message.empty());
      break;
    }
  } while (pos < in.size());
  out.messages = std::move(sink.messages);
  if (out.error == janus::rt::errc::ok) out.pending = framer->pending_bytes();
  return out;
}

/// What the framer must do with the whole stream: every NUL ends a message; the bytes after the
/// last NUL wait for theirs. The first message (or waiting tail) longer than the limit fails the
/// stream, after the messages before it.
inline pipe_outcome frame_reference(std::string_view in, std::size_t limit) {
  pipe_outcome out;
  std::size_t start = 0;
  for (;;) {
    const auto nul = in.find('\0', start);
    const std::size_t end = nul == std::string_view::npos ? in.size() : nul;
    if (end - start > limit) {
      out.error = janus::rt::errc::message_too_large;
      return out;
    }
    if (nul == std::string_view::npos) break;
    out.messages.emplace_back(in.substr(start, end - start));
    start = nul + 1;
  }
  out.pending = in.size() - start;
  return out;
}

}  // namespace detail

inline int pipe_framer_one_input(const std::uint8_t* data, std::size_t size) {
  // The first byte picks the message limit, small so that the fuzzer reaches it; the second seeds
  // the chunk sizes; the rest is the stream.
  if (size < 2) return 0;
  const std::size_t limit = data[0] % 64 + 1;
  std::uint32_t seed = data[1] * 2654435761u + 1;
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);

  const detail::pipe_outcome expected = detail::frame_reference(in, limit);
  JANUS_FUZZ_CHECK(detail::frame_nul(in, limit, {}) == expected);
  std::vector<std::size_t> chunks;
  for (int i = 0; i < 16; ++i) {
    seed = seed * 1103515245u + 12345u;
    chunks.push_back(1 + (seed >> 16) % 80);  // 1 to 80 bytes: around the limit either side
  }
  JANUS_FUZZ_CHECK(detail::frame_nul(in, limit, chunks) == expected);
  JANUS_FUZZ_CHECK(detail::frame_nul(in, limit, {1}) == expected);

  // Framing the messages again, each with the envelope the framer writes, gives them back.
  const auto framer = janus::protocol::make_nul_framer();
  std::string stream;
  for (const auto& m : expected.messages) {
    const auto e = framer->envelope(m);
    stream.append(e.prefix_view()).append(m).append(e.suffix_view());
  }
  const detail::pipe_outcome again = detail::frame_nul(stream, limit, chunks);
  JANUS_FUZZ_CHECK(again.error == janus::rt::errc::ok && again.messages == expected.messages && again.pending == 0);
  return 0;
}

}  // namespace janus::fuzz
