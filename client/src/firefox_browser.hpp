// A Firefox browser (client::browser's backend over RDP): the process (when launched), its RDP
// connection and the pages opened through it.
//
// @par Thread Safety
// Shared by every copy of its browser; the page list is behind `mu`, close() may race with itself.
#pragma once

#include "browser_backend.hpp"
#include "firefox_page.hpp"

#include <janus/client/browser.hpp>
#include <janus/client/firefox_launcher.hpp>
#include <janus/session/rdp_connection.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace janus::client::detail {

struct firefox_browser final : browser_backend, std::enable_shared_from_this<firefox_browser> {
  firefox_browser(rt::scheduler& s, std::unique_ptr<client::firefox_process> p, session::rdp_connection c)
      : sched(&s), owned_process(std::move(p)), conn(std::move(c)) {}
  ~firefox_browser() override { close(); }

  rt::scheduler* sched;
  const std::unique_ptr<client::firefox_process> owned_process;  // null when connected to a running Firefox
  const session::rdp_connection conn;

  // --- browser_backend ---
  browser_product product() const noexcept override { return browser_product::firefox; }
  rt::task<rt::result<browser_version>> version(rt::deadline d) override;
  rt::task<rt::result<std::vector<target_info>>> targets(rt::deadline d) override;
  rt::task<rt::result<page>> new_page(std::string url, std::string context, rt::deadline d) override;
  rt::task<rt::result<void>> close_page(page p, rt::deadline d) override;
  /// No isolated contexts in RDP: errc::unsupported.
  rt::task<rt::result<std::string>> create_context(rt::deadline d) override;
  rt::task<rt::result<void>> dispose_context(std::string context_id, rt::deadline d) override;
  std::vector<page> pages() override;
  session::cdp_connection connection() const override { return {}; }
  session::rdp_connection rdp() const override { return conn; }
  browser_process* process() const override { return nullptr; }
  client::firefox_process* firefox_process() const override { return owned_process.get(); }
  browser_state state() const noexcept override { return closed() ? browser_state::closed : browser_state::running; }
  /// No supervision for Firefox: never restarted.
  std::uint64_t restarts() const noexcept override { return 0; }
  rt::task<rt::result<void>> wait_running(rt::deadline d) override;
  /// Fails every page (their connection closes) and ends the process if it was launched.
  void close() override;
  bool closed() const noexcept { return closed_.load(); }
  void add(std::shared_ptr<firefox_page> p);
  void remove(const std::shared_ptr<firefox_page>& p);

 private:
  std::atomic<bool> closed_{false};
  std::mutex mu_;
  std::vector<std::shared_ptr<firefox_page>> pages_;
};

/// browser::launch / connect for Firefox.
rt::task<rt::result<std::shared_ptr<firefox_browser>>> launch_firefox_browser(rt::scheduler& sched,
                                                                               firefox_launch_options options);
rt::task<rt::result<std::shared_ptr<firefox_browser>>> connect_firefox_browser(rt::scheduler& sched, std::string host,
                                                                                std::uint16_t port,
                                                                                session::rdp_connection_options options);
/// `host` empty: `port` unused, and `unix_path` is the debugger server's Unix domain socket.
rt::task<rt::result<std::shared_ptr<firefox_browser>>> connect_firefox_browser_unix(rt::scheduler& sched,
                                                                                     std::string unix_path,
                                                                                     session::rdp_connection_options options);

}  // namespace janus::client::detail
