// Private to client/: what a page handle forwards to. One implementation per browser —
// page_core (Chromium, CDP; page_core.hpp) and firefox_page (Firefox, RDP; firefox_page.hpp) —
// so that client::page chooses its browser once, when it is made, and never branches on it.
//
// A call that returns a task must not let the task refer to `*this` alone: the user may drop the
// page handle, and with it the last reference to the backend, before awaiting the task. So
// implementations pass shared ownership (shared_from_this, or a copy of a handle) into the
// coroutine, and the virtual functions themselves are not coroutines.
//
// @par Thread Safety
// Shared by every copy of its page and called from any thread at once: implementations guard
// their own state.
#pragma once

#include <janus/client/page.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace janus::client::detail {

class page_backend {
 public:
  virtual ~page_backend() = default;

  virtual browser_product product() const noexcept = 0;
  virtual std::string target_id() const = 0;
  virtual std::string session_id() const = 0;
  virtual session::cdp_session session() const = 0;
  virtual rt::result<rdp_target> rdp() const = 0;
  virtual rt::result<void> alive() const = 0;

  virtual rt::task<rt::result<navigation>> navigate(std::string url, wait_until until, rt::deadline d) = 0;
  virtual rt::task<rt::result<navigation>> reload(wait_until until, rt::deadline d) = 0;
  /// delta -1: back, +1: forward.
  virtual rt::task<rt::result<navigation>> go_history(int delta, wait_until until, rt::deadline d) = 0;
  virtual rt::task<rt::result<void>> set_content(std::string html, rt::deadline d) = 0;
  virtual rt::task<rt::result<std::vector<std::uint8_t>>> screenshot(screenshot_options options, rt::deadline d) = 0;

  virtual domains::network network() = 0;
  virtual domains::console console() = 0;
  virtual domains::dom dom() = 0;
  virtual domains::js_runtime runtime() = 0;
  virtual domains::css css() = 0;
  virtual domains::debugger debugger() = 0;
  virtual domains::performance performance() = 0;

  virtual rt::task<rt::result<rt::subscription<session::cdp_event>>> subscribe(std::string method, std::size_t capacity) = 0;
  virtual rt::task<rt::result<protocol::json_value>> evaluate(std::string expression, rt::deadline d) = 0;
  virtual rt::task<rt::result<void>> wait_for(std::chrono::milliseconds how_long) = 0;
  virtual rt::task<rt::result<page_info>> info(rt::deadline d) = 0;
};

/// The browsers' way to the backend of a page they are handed back (close_page).
struct page_access {
  static const std::shared_ptr<page_backend>& backend(const page& p) noexcept { return p.backend_; }
};

/// The error of a call Firefox's debugging protocol has no equivalent for, or Chromium's for an
/// RDP-only call: every such call fails with errc::unsupported and this wording.
rt::error unsupported_on(browser_product product, const char* call);

}  // namespace janus::client::detail
