// A real headless Chromium with one fresh page target, and a loopback HTTP server for its pages:
// what every domain test starts from. Everything it waits for has a deadline.
#pragma once

#include <janus/session/cdp_session.hpp>
#include <janus/client/chromium_launcher.hpp>
#include <janus/protocol/http_server.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace janus_test {

struct browser_fixture {
  browser_fixture();
  ~browser_fixture();
  browser_fixture(const browser_fixture&) = delete;
  browser_fixture& operator=(const browser_fixture&) = delete;

  /// Page.navigate, then Page.loadEventFired (Page.enable is sent once, before the first).
  janus::rt::result<void> navigate(const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// Runtime.evaluate by value, outside any domain actor: the reference the tests compare with.
  janus::rt::result<janus::protocol::json_value> eval(const std::string& expression,
                                                     std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// Polls `expression` until it is true (the tests' pages set a flag when their work is done).
  bool wait_for(const std::string& expression, std::chrono::milliseconds timeout);

  template <class T>
  T run(janus::rt::task<T> t) {
    return sched.block_on(std::move(t));
  }

  // Destroyed last: the browser's exit watcher and every actor live on it.
  janus::rt::scheduler sched;
  std::unique_ptr<janus::protocol::http_server> http;
  std::unique_ptr<janus::client::browser_process> browser;
  janus::session::cdp_session page;
};

}  // namespace janus_test
