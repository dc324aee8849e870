// One CDP event as subscribers receive it: shared, immutable, cheap to copy to many queues.
#pragma once

#include <janus/protocol/cdp_codec.hpp>

#include <memory>
#include <string_view>

namespace janus::session {

/// @par Thread Safety
/// Immutable once made: copies may be read from any threads at once.
class cdp_event {
 public:
  cdp_event() = default;
  explicit cdp_event(std::shared_ptr<const protocol::cdp_owned_message> m) : msg_(std::move(m)) {}

  std::string_view method() const noexcept { return msg_ ? msg_->method() : std::string_view{}; }
  /// The flattened session it came from; empty for browser-level events.
  std::string_view session_id() const noexcept { return msg_ ? msg_->session_id() : std::string_view{}; }
  /// Raw JSON text of `params`.
  std::string_view params() const noexcept { return msg_ ? msg_->payload() : std::string_view{}; }
  /// The domain part of the method ("Network" of "Network.requestWillBeSent").
  std::string_view domain() const noexcept {
    const std::string_view m = method();
    return m.substr(0, m.find('.'));
  }
  explicit operator bool() const noexcept { return msg_ != nullptr; }

 private:
  std::shared_ptr<const protocol::cdp_owned_message> msg_;
};

}  // namespace janus::session
