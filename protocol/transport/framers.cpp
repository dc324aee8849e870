// The two framers the transports need themselves; protocol-specific ones (Firefox RDP) plug in the
// same way.
#include <janus/protocol/codec_limits.hpp>
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
      // Messages are lent, not copied: whole in this chunk (the common case), or completed in
      // partial_, which keeps its capacity for the next message that straddles two reads.
      std::string_view whole(bytes.data(), n);
      if (!partial_.empty()) {
        partial_.append(whole);
        whole = partial_;
      }
      bytes.remove_prefix(n + 1);
      const bool more = sink.deliver_view(whole);
      partial_.clear();
      // One huge message must not pin its size for the life of the connection.
      if (partial_.capacity() > default_keep_capacity_bytes) partial_ = std::string();
      if (!more) return rt::ok;
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
