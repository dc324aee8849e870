// The two framers the transports need themselves; protocol-specific ones (Firefox RDP) plug in the
// same way.
#include <janus/protocol/message_buffers.hpp>
#include <janus/protocol/transport.hpp>

#include <cstring>

namespace janus::protocol {
namespace {

rt::error too_large(std::size_t limit, std::size_t seen) {
  return {rt::errc::message_too_large, "incoming message exceeds the " + std::to_string(limit) +
                                           "-byte limit (" + std::to_string(seen) +
                                           " bytes received without its end)"};
}

class nul_framer final : public stream_framer {
 public:
  frame_envelope envelope(std::string_view) const override {
    frame_envelope e;
    e.suffix[0] = '\0';
    e.suffix_size = 1;
    return e;
  }

  rt::result<void> consume(std::string_view bytes, std::size_t max_message_bytes, message_sink& sink) override {
    while (!bytes.empty()) {
      const void* nul = std::memchr(bytes.data(), '\0', bytes.size());
      if (nul == nullptr) {
        if (partial_.size() + bytes.size() > max_message_bytes)
          return too_large(max_message_bytes, partial_.size() + bytes.size());
        partial_.append(bytes);
        return rt::ok;
      }
      const auto n = static_cast<std::size_t>(static_cast<const char*>(nul) - bytes.data());
      if (partial_.size() + n > max_message_bytes) return too_large(max_message_bytes, partial_.size() + n);
      std::string message;
      if (partial_.empty()) {
        // The common case: the whole message sits in this chunk. The string handed to the
        // receiver is a recycled buffer (the CDP connection gives it back after decoding).
        message = message_buffers::take(n);
        message.assign(bytes.data(), n);
      } else {
        // Copied out rather than moved, so partial_ keeps its capacity for the next message
        // that straddles two reads.
        message = message_buffers::take(partial_.size() + n);
        message.append(partial_).append(bytes.data(), n);
        partial_.clear();
      }
      bytes.remove_prefix(n + 1);
      if (!sink.deliver(std::move(message))) return rt::ok;
    }
    return rt::ok;
  }

  std::size_t pending_bytes() const noexcept override { return partial_.size(); }

 private:
  std::string partial_;
};

class chunk_framer final : public stream_framer {
 public:
  frame_envelope envelope(std::string_view) const override { return {}; }
  rt::result<void> consume(std::string_view bytes, std::size_t, message_sink& sink) override {
    if (!bytes.empty()) sink.deliver(std::string(bytes));
    return rt::ok;
  }
  std::size_t pending_bytes() const noexcept override { return 0; }
};

}  // namespace

std::unique_ptr<stream_framer> make_nul_framer() { return std::make_unique<nul_framer>(); }
std::unique_ptr<stream_framer> make_chunk_framer() { return std::make_unique<chunk_framer>(); }

}  // namespace janus::protocol
