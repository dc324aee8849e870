#include "janus/protocol/cdp_codec.hpp"

#include <utility>

#include "janus/protocol/message_buffers.hpp"

namespace janus::protocol {

cdp_owned_message::cdp_owned_message(const cdp_message& m)
    : kind_(m.kind), id_(m.id), error_code_(m.error_code) {
  const std::string_view parts[5] = {m.method, m.session_id, m.payload, m.error_message, m.error_data};
  std::size_t total = 0;
  for (std::string_view p : parts) total += p.size();
  text_ = message_buffers::take(total);
  for (std::size_t i = 0; i < 5; ++i) {
    text_.append(parts[i]);
    ends_[i] = text_.size();
  }
}

cdp_owned_message& cdp_owned_message::operator=(cdp_owned_message&& o) noexcept {
  text_.swap(o.text_);
  std::swap(ends_, o.ends_);
  std::swap(kind_, o.kind_);
  std::swap(id_, o.id_);
  std::swap(error_code_, o.error_code_);
  return *this;
}

cdp_owned_message::~cdp_owned_message() { message_buffers::give(std::move(text_)); }

cdp_message cdp_owned_message::view() const noexcept {
  cdp_message m;
  m.kind = kind_;
  m.id = id_;
  m.method = method();
  m.session_id = session_id();
  m.payload = payload();
  m.error_code = error_code_;
  m.error_message = error_message();
  m.error_data = error_data();
  return m;
}

}  // namespace janus::protocol
