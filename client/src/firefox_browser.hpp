// The Firefox side of client::browser: the process (when launched), its RDP connection and the
// pages opened through it. browser.cpp forwards a Firefox browser's calls here.
//
// @par Thread Safety
// Shared by every copy of its browser; the page list is behind `mu`, close() may race with itself.
#pragma once

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

struct firefox_browser {
  firefox_browser(rt::scheduler& s, std::unique_ptr<firefox_process> p, session::rdp_connection c)
      : sched(&s), process(std::move(p)), conn(std::move(c)) {}
  ~firefox_browser() { close(); }

  rt::scheduler* sched;
  const std::unique_ptr<firefox_process> process;  // null when connected to a running Firefox
  const session::rdp_connection conn;

  /// Fails every page (their connection closes) and ends the process if it was launched.
  void close();
  bool closed() const noexcept { return closed_.load(); }

  std::vector<page> pages();
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

rt::task<rt::result<browser_version>> firefox_version(std::shared_ptr<firefox_browser> fb, rt::deadline d);
rt::task<rt::result<std::vector<target_info>>> firefox_targets(std::shared_ptr<firefox_browser> fb, rt::deadline d);
rt::task<rt::result<page>> firefox_new_page(std::shared_ptr<firefox_browser> fb, std::string url, std::string context,
                                            rt::deadline d);
rt::task<rt::result<void>> firefox_close_page(std::shared_ptr<firefox_browser> fb, page p, rt::deadline d);

}  // namespace janus::client::detail
