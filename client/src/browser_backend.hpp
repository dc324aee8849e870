// Private to client/: what a browser handle forwards to. One implementation per browser —
// browser_core (Chromium over CDP, chromium_browser.hpp) and firefox_browser (Firefox over RDP,
// firefox_browser.hpp) — so that client::browser chooses its browser once, in launch / connect
// (launch_options::product, the connect URL's scheme), and never branches on it afterwards.
//
// As with page_backend, a call returning a task hands shared ownership of the backend to the
// coroutine (the user may drop the browser handle before awaiting it).
//
// @par Thread Safety
// Shared by every copy of its browser and called from any thread at once.
#pragma once

#include <janus/client/browser.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace janus::client::detail {

class browser_backend {
 public:
  virtual ~browser_backend() = default;

  virtual browser_product product() const noexcept = 0;
  virtual rt::task<rt::result<browser_version>> version(rt::deadline d) = 0;
  virtual rt::task<rt::result<std::vector<target_info>>> targets(rt::deadline d) = 0;
  virtual rt::task<rt::result<page>> new_page(std::string url, std::string context, rt::deadline d) = 0;
  virtual rt::task<rt::result<void>> close_page(page p, rt::deadline d) = 0;
  virtual rt::task<rt::result<std::string>> create_context(rt::deadline d) = 0;
  virtual rt::task<rt::result<void>> dispose_context(std::string context_id, rt::deadline d) = 0;
  virtual std::vector<page> pages() = 0;
  virtual session::cdp_connection connection() const = 0;
  virtual session::rdp_connection rdp() const = 0;
  virtual browser_process* process() const = 0;
  virtual client::firefox_process* firefox_process() const = 0;
  virtual browser_state state() const noexcept = 0;
  virtual std::uint64_t restarts() const noexcept = 0;
  virtual rt::task<rt::result<void>> wait_running(rt::deadline d) = 0;
  virtual void close() = 0;
};

/// client::browser's factories, one per way in (chromium_browser.cpp, firefox_browser.cpp).
rt::task<rt::result<std::shared_ptr<browser_backend>>> launch_chromium_browser(rt::scheduler& sched, launch_options options);
rt::task<rt::result<std::shared_ptr<browser_backend>>> adopt_chromium_browser(rt::scheduler& sched,
                                                                             std::unique_ptr<browser_process> process);
rt::task<rt::result<std::shared_ptr<browser_backend>>> attach_chromium_browser(rt::scheduler& sched,
                                                                              session::cdp_connection connection,
                                                                              rt::deadline d);

}  // namespace janus::client::detail
