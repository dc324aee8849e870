// A launched Firefox with one open tab, and a loopback server for the pages: what every test that
// drives Firefox starts from. The tests call the tab from the test thread through block_on (no
// assertion runs inside a coroutine), passing every argument explicitly. Each fixture ends only
// the Firefox it launched.
#pragma once

#include <janus/client/firefox_launcher.hpp>
#include "firefox_tab.hpp"
#include <janus/protocol/http_server.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#define REQUIRE_OK(r)                               \
  do {                                              \
    if (!(r)) FAIL(#r << ": " << (r).err().what()); \
  } while (false)

namespace janus::test {

struct firefox_fixture {
  rt::scheduler sched{{.workers = 2}};
  std::unique_ptr<protocol::http_server> server;
  std::unique_ptr<client::firefox_process> ff;
  client::firefox_tab tab;

  firefox_fixture() {
    using namespace std::chrono_literals;
    auto srv = protocol::http_server::start();
    if (!srv) FAIL(srv.err().what());
    server = std::move(*srv);
    auto launched = sched.block_on(client::launch_firefox(sched, client::firefox_launch_options{}));
    if (!launched) FAIL(launched.err().what());
    ff = std::move(*launched);
    auto t = sched.block_on(
        client::firefox_tab::open(sched, ff->connection(), std::string("about:blank"), rt::deadline(30s)));
    if (!t) FAIL(t.err().what());
    tab = std::move(*t);
  }
  ~firefox_fixture() {
    tab = client::firefox_tab();
    if (ff) ff->close();
    if (server) server->stop();
  }
  firefox_fixture(const firefox_fixture&) = delete;
  firefox_fixture& operator=(const firefox_fixture&) = delete;

  rt::result<client::navigation> nav(const std::string& path, client::wait_until until = client::wait_until::load) {
    return sched.block_on(tab.navigate(server->url(path), until, rt::deadline(std::chrono::seconds(20))));
  }
  rt::result<protocol::json_value> eval(const std::string& js) {
    return sched.block_on(tab.evaluate(js, rt::deadline(std::chrono::seconds(10))));
  }
  protocol::json_value must_eval(const std::string& js) {
    auto v = eval(js);
    if (!v) FAIL(js << " -> " << v.err().what());
    return std::move(*v);
  }
  /// Polls `js` until it evaluates to true, for at most `limit`.
  bool wait_for(const std::string& js, std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (must_eval(js) == protocol::json_value(true)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
};

inline protocol::http_response html(std::string body) {
  return protocol::http_response(200, std::move(body), "text/html; charset=utf-8");
}

}  // namespace janus::test
