#include "janus/protocol/rdp_codec.hpp"

namespace janus::protocol {

rdp_owned_message::rdp_owned_message(const rdp_message& m) : has_request_types_(m.has_request_types) {
  const std::string_view parts[6] = {m.json, m.from, m.type, m.error, m.message, m.prefix};
  std::size_t total = 0;
  for (std::string_view p : parts) total += p.size();
  text_.reserve(total);
  for (std::size_t i = 0; i < 6; ++i) {
    text_.append(parts[i]);
    ends_[i] = text_.size();
  }
}

rdp_message rdp_owned_message::view() const noexcept {
  rdp_message m;
  m.json = json();
  m.from = from();
  m.type = type();
  m.error = error();
  m.message = message();
  m.prefix = prefix();
  m.has_request_types = has_request_types_;
  return m;
}

}  // namespace janus::protocol
