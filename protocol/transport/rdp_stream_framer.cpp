// Adapts the codec's rdp_framer (a pull parser) to the stream_framer interface the TCP transport
// feeds. The framer is created on the first chunk because only then is the limit known.
#include <janus/protocol/rdp_framer.hpp>
#include <janus/protocol/tcp_transport.hpp>

#include <charconv>
#include <optional>

namespace janus::protocol {
namespace {

class rdp_stream_framer final : public stream_framer {
 public:
  frame_envelope envelope(std::string_view message) const override {
    frame_envelope e;
    char* end = std::to_chars(e.prefix.data(), e.prefix.data() + e.prefix.size() - 1, message.size()).ptr;
    *end++ = ':';
    e.prefix_size = static_cast<std::uint8_t>(end - e.prefix.data());
    return e;
  }

  rt::result<void> consume(std::string_view bytes, std::size_t max_message_bytes, message_sink& sink) override {
    if (!framer_) {
      rdp_framer_options options;
      options.max_packet_bytes = max_message_bytes;
      framer_.emplace(options);
    }
    framer_->feed(bytes);
    for (;;) {
      auto next = framer_->next();
      if (!next) return std::move(next).err();
      if (!*next) return rt::ok;
      const rdp_packet& p = **next;
      std::string message =
          p.kind == rdp_packet_kind::json ? std::string(p.json) : rdp_encode_bulk(p.actor, p.type, p.bytes);
      if (!sink.deliver(std::move(message))) return rt::ok;
    }
  }

  std::size_t pending_bytes() const noexcept override { return framer_ ? framer_->buffered() : 0; }

 private:
  std::optional<rdp_framer> framer_;
};

}  // namespace

std::unique_ptr<stream_framer> make_rdp_stream_framer() { return std::make_unique<rdp_stream_framer>(); }

}  // namespace janus::protocol
