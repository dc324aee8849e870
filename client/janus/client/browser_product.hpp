// Which browser a browser or page handle drives: the one launch option that picks the protocol
// (CDP for Chromium, RDP for Firefox) behind the same client::browser, page and domain handles.
#pragma once

#include <cstdint>
#include <string_view>

namespace janus::client {

enum class browser_product : std::uint8_t { chromium, firefox };

constexpr std::string_view to_string(browser_product p) noexcept {
  return p == browser_product::firefox ? "firefox" : "chromium";
}

}  // namespace janus::client
