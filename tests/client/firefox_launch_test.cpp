// launch_firefox and rdp_connection against the real Firefox ESR: the root actor's answers,
// pipelining, a watcher event, a hung request poisoning only its own actor, Firefox killed under pending requests,
// and what close() leaves behind. Each test ends only the Firefox it launched (by pid).
#include "../support/thread_safe_check.hpp"

#include <janus/client/firefox_launcher.hpp>
#include <janus/rt.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <fstream>
#include <unistd.h>
#include <cstdio>
#include <string>
#include <vector>

using namespace janus;
using namespace janus::client;
using namespace janus::session;
using namespace std::chrono_literals;
using protocol::json_value;

namespace {

std::unique_ptr<firefox_process> must_launch(rt::scheduler& s, firefox_launch_options o = {}) {
  auto launched = s.block_on(launch_firefox(s, std::move(o)));
  if (!launched) FAIL(launched.err().what());
  return std::move(*launched);
}

// The leader and its whole process group (the content processes).
// The leader reaped, and nothing of its group running. A helper that died may stay in the group
// as a zombie until init reaps it (over a second on this machine): it runs and holds nothing, and
// close() does not wait for it.
bool process_gone(int pid) {
  errno = 0;
  if (::kill(pid, 0) != -1 || errno != ESRCH) return false;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) continue;
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (std::sscanf(stat.c_str() + close + 2, "%c %ld %ld", &state, &ppid, &pgrp) == 3 && pgrp == pid &&
        state != 'Z' && state != 'X')
      return false;
  }
  return true;
}

rt::task<std::string> first_tab(rdp_connection c) {
  auto tabs = co_await c.request_json("root", "listTabs");
  TS_REQUIRE(tabs);
  const json_value& list = (*tabs)["tabs"];
  TS_REQUIRE(list.is_array());
  TS_REQUIRE(list.size() >= 1);
  TS_REQUIRE(list[0]["actor"].is_string());
  co_return list[0]["actor"].as_string();
}

// Makes a content process hang: through the watcher, the page's console actor starts an endless
// loop (evaluateJSAsync answers first and evaluates on the next tick), after which nothing living
// in that process answers. Returns that console actor.
rt::task<std::string> hang_page(rdp_connection c) {
  const std::string tab = co_await first_tab(c);
  // A document of our own first: right after startup the tab's initial about:blank may still be
  // replaced, taking its target (and console actor) with it.
  auto loaded = co_await c.request(tab, "navigateTo", R"({"url":"data:text/html,<p>hang</p>","waitForLoad":true})");
  TS_REQUIRE(loaded);
  json_value params = json_value::object();  // a named value: GCC 12 mishandles this temporary in a coroutine
  params.set("isServerTargetSwitchingEnabled", true);
  auto watcher = co_await c.request_json(tab, "getWatcher", std::move(params));
  if (!watcher) TS_REQUIRE(watcher.err().what() == "");
  const std::string w = (*watcher)["actor"].as_string();
  rdp_subscription_spec spec;
  spec.actor = w;
  spec.type = "target-available-form";
  auto sub = c.subscribe(spec);
  TS_REQUIRE(sub);
  auto watched = co_await c.request(w, "watchTargets", R"({"targetType":"frame"})");
  TS_REQUIRE(watched);
  // The event came before the reply (see the notes, §1 rule 6): it is queued already. A fresh
  // tab's first target can be its initial about:blank, torn down for the next document: then the
  // request fails (target_closed / noSuchActor) and the next target is the one to use.
  std::string last_error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto ev = co_await sub->next(rt::deadline(5s));
    if (!ev) break;
    auto form = ev->parse();
    TS_REQUIRE(form);
    const json_value& console = (*form)["target"]["consoleActor"];
    TS_REQUIRE(console.is_string());
    auto started = co_await c.request(console.as_string(), "evaluateJSAsync", R"({"text":"for(;;){}"})");
    if (started) co_return console.as_string();
    last_error = started.err().what();
  }
  TS_REQUIRE(last_error == "");
  co_return std::string();
}

firefox_launch_options quiet_hangs() {
  firefox_launch_options o;
  o.prefs.emplace_back("dom.max_script_run_time", "0");  // no slow-script interruption of the loop
  return o;
}

}  // namespace

TEST_CASE("launch Firefox: greeting, getRoot, listTabs, pipelined requests; close leaves nothing", "[firefox][browser]") {
  rt::scheduler s({.workers = 2});
  std::unique_ptr<firefox_process> ff = must_launch(s);
  REQUIRE(ff->running());
  const int pid = ff->pid();
  const std::string profile = ff->profile_dir();
  CHECK(std::filesystem::exists(profile + "/user.js"));
  CHECK(ff->connection().greeting().from() == "root");
  CHECK(ff->connection().greeting().json().find("\"applicationType\":\"browser\"") != std::string_view::npos);

  struct outcome {
    rt::result<json_value> root;
    std::string tab;
    std::vector<rt::result<protocol::rdp_owned_message>> pipelined;
  };
  auto run = [](rdp_connection c, rt::scheduler& s) -> rt::task<outcome> {
    outcome out;
    out.root = co_await c.request_json("root", "getRoot");
    out.tab = co_await first_tab(c);
    // Six requests to root in flight at once, an error reply and an overtaking reply among them:
    // each result must be the answer to its own request.
    std::vector<rt::task<rt::result<protocol::rdp_owned_message>>> calls;
    calls.push_back(c.request("root", "listTabs"));
    calls.push_back(c.request("root", "getRoot"));
    calls.push_back(c.request("root", "getTab", R"({"browserId":999999})"));
    calls.push_back(c.request("root", "noSuchMethod"));
    calls.push_back(c.request("root", "listTabs"));
    calls.push_back(c.request("root", "getRoot"));
    // Started together on the scheduler, so that all are written before any reply is read.
    auto results = std::make_shared<std::vector<rt::result<protocol::rdp_owned_message>>>(calls.size(),
                                                                                        rt::error{rt::errc::cancelled});
    auto done = std::make_shared<std::atomic<int>>(0);
    for (std::size_t i = 0; i < calls.size(); ++i) {
      s.spawn([](rt::task<rt::result<protocol::rdp_owned_message>> t, std::size_t i,
                 std::shared_ptr<std::vector<rt::result<protocol::rdp_owned_message>>> r,
                 std::shared_ptr<std::atomic<int>> d) -> rt::task<void> {
        (*r)[i] = co_await std::move(t);
        d->fetch_add(1);
      }(std::move(calls[i]), i, results, done));
    }
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (done->load() < 6 && std::chrono::steady_clock::now() < until) co_await rt::sleep_for(s, 10ms);
    out.pipelined = std::move(*results);
    co_return out;
  };
  outcome out = s.block_on(run(ff->connection(), s));
  REQUIRE(out.root);
  CHECK((*out.root)["preferenceActor"].is_string());
  CHECK((*out.root)["from"].as_string() == "root");
  CHECK(out.tab.find("tabDescriptor") != std::string::npos);

  REQUIRE(out.pipelined.size() == 6);
  for (std::size_t i : {0u, 4u}) {
    INFO("listTabs #" << i);
    REQUIRE(out.pipelined[i]);
    CHECK(out.pipelined[i]->json().find("\"tabs\":[") != std::string_view::npos);
  }
  for (std::size_t i : {1u, 5u}) {
    INFO("getRoot #" << i);
    REQUIRE(out.pipelined[i]);
    CHECK(out.pipelined[i]->json().find("\"preferenceActor\"") != std::string_view::npos);
  }
  REQUIRE_FALSE(out.pipelined[2]);
  CHECK(out.pipelined[2].err().code == rt::errc::protocol);
  CHECK(out.pipelined[2].err().message.find("noTab") != std::string::npos);
  REQUIRE_FALSE(out.pipelined[3]);
  CHECK(out.pipelined[3].err().code == rt::errc::protocol);
  CHECK(out.pipelined[3].err().message.find("unrecognizedPacketType") != std::string::npos);
  CHECK(ff->connection().stats().unmatched == 0);

  ff->close();
  CHECK_FALSE(ff->running());
  CHECK(process_gone(pid));
  CHECK_FALSE(std::filesystem::exists(profile));
  ff->close();  // idempotent
}

TEST_CASE("a hung request times out, poisons only its own actor; connect_firefox reaches a running Firefox",
          "[firefox][browser]") {
  rt::scheduler s({.workers = 2});
  std::unique_ptr<firefox_process> ff = must_launch(s, quiet_hangs());

  struct outcome {
    rt::result<protocol::rdp_owned_message> hung;
    rt::result<protocol::rdp_owned_message> behind;
    rt::result<protocol::rdp_owned_message> after;
    rt::result<protocol::rdp_owned_message> root;
    bool poisoned = false;
    rt::result<json_value> second;
  };
  auto run = [](rdp_connection c, rt::scheduler& s, std::string socket_path) -> rt::task<outcome> {
    outcome out;
    const std::string tab = co_await hang_page(c);
    auto hung = c.request(tab, "evaluateJSAsync", R"({"text":"1"})",
                          rdp_request_options{.deadline = rt::deadline(1500ms), .cancel = {}});
    auto behind = c.request(tab, "evaluateJSAsync", R"({"text":"2"})", rdp_request_options{.deadline = rt::deadline(20s), .cancel = {}});
    auto hung_done = std::make_shared<rt::result<protocol::rdp_owned_message>>(rt::error{rt::errc::cancelled});
    auto behind_done = std::make_shared<rt::result<protocol::rdp_owned_message>>(rt::error{rt::errc::cancelled});
    auto count = std::make_shared<std::atomic<int>>(0);
    auto keep = [](rt::task<rt::result<protocol::rdp_owned_message>> t, std::shared_ptr<rt::result<protocol::rdp_owned_message>> r,
                   std::shared_ptr<std::atomic<int>> n) -> rt::task<void> {
      *r = co_await std::move(t);
      n->fetch_add(1);
    };
    // Spawned tasks may start in any order: give the first time to be written first.
    s.spawn(keep(std::move(hung), hung_done, count));
    co_await rt::sleep_for(s, 100ms);
    s.spawn(keep(std::move(behind), behind_done, count));
    // Another actor answers while the tab's queue is stuck.
    rdp_request_options request_opts{.deadline = rt::deadline(5s), .cancel = {}};
    out.root = co_await c.request("root", "getRoot", std::string(), std::move(request_opts));
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (count->load() < 2 && std::chrono::steady_clock::now() < until) co_await rt::sleep_for(s, 10ms);
    out.hung = std::move(*hung_done);
    out.behind = std::move(*behind_done);
    out.poisoned = c.poisoned(tab);
    out.after = co_await c.request(tab, "evaluateJSAsync", R"({"text":"3"})");

    auto second = co_await rdp_connection::connect_unix(s, socket_path);
    TS_REQUIRE(second);
    out.second = co_await second->request_json("root", "getRoot");
    second->close();
    co_return out;
  };
  const auto start = std::chrono::steady_clock::now();
  outcome out = s.block_on(run(ff->connection(), s, ff->socket_path()));
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  REQUIRE(out.root);
  if (out.hung) FAIL("navigateTo answered: " << out.hung->json());
  CHECK(out.hung.err().code == rt::errc::timeout);
  CHECK(out.hung.err().sent);
  REQUIRE_FALSE(out.behind);
  CHECK(out.behind.err().code == rt::errc::timeout);  // failed with it, long before its own deadline
  CHECK(out.behind.err().message.find("not trusted") != std::string::npos);
  CHECK(out.poisoned);
  REQUIRE_FALSE(out.after);
  CHECK(out.after.err().code == rt::errc::timeout);
  CHECK_FALSE(out.after.err().sent);
  CHECK(out.after.err().message.find("not trusted") != std::string::npos);
  REQUIRE(out.second);
  CHECK((*out.second)["preferenceActor"].is_string());
  ff->close();
}

TEST_CASE("Firefox killed with SIGKILL fails every pending request with browser_exited at once",
          "[firefox][browser]") {
  rt::scheduler s({.workers = 2});
  std::unique_ptr<firefox_process> ff = must_launch(s, quiet_hangs());
  const int pid = ff->pid();
  const std::string profile = ff->profile_dir();

  struct outcome {
    std::vector<rt::result<protocol::rdp_owned_message>> pending;
    std::chrono::steady_clock::duration waited{};
    rt::result<protocol::rdp_owned_message> after;
  };
  auto run = [](rdp_connection c, rt::scheduler& s, int pid) -> rt::task<outcome> {
    outcome out;
    const std::string tab = co_await hang_page(c);
    auto results = std::make_shared<std::vector<rt::result<protocol::rdp_owned_message>>>(3, rt::error{rt::errc::cancelled});
    auto count = std::make_shared<std::atomic<int>>(0);
    auto keep = [](rt::task<rt::result<protocol::rdp_owned_message>> t,
                   std::shared_ptr<std::vector<rt::result<protocol::rdp_owned_message>>> r, std::size_t i,
                   std::shared_ptr<std::atomic<int>> n) -> rt::task<void> {
      (*r)[i] = co_await std::move(t);
      n->fetch_add(1);
    };
    const rdp_request_options long_wait{.deadline = rt::deadline(30s), .cancel = {}};
    s.spawn(keep(c.request(tab, "evaluateJSAsync", R"({"text":"1"})", long_wait), results, 0, count));
    s.spawn(keep(c.request(tab, "evaluateJSAsync", R"({"text":"2"})", long_wait), results, 1, count));
    s.spawn(keep(c.request(tab, "evaluateJSAsync", R"({"text":"3"})", long_wait), results, 2, count));
    co_await rt::sleep_for(s, 500ms);  // all three written, none answered: the page's process is stuck
    TS_CHECK(count->load() == 0);
    const auto killed = std::chrono::steady_clock::now();
    ::kill(pid, SIGKILL);
    const auto until = killed + 15s;
    while (count->load() < 3 && std::chrono::steady_clock::now() < until) co_await rt::sleep_for(s, 5ms);
    out.waited = std::chrono::steady_clock::now() - killed;
    out.pending = std::move(*results);
    out.after = co_await c.request("root", "getRoot");
    co_return out;
  };
  outcome out = s.block_on(run(ff->connection(), s, pid));
  // At the exit, not at the requests' 30 s deadline; a third of it leaves room for a slow day.
  CHECK(out.waited < 10s);
  for (std::size_t i = 0; i < out.pending.size(); ++i) {
    INFO("pending #" << i);
    REQUIRE_FALSE(out.pending[i]);
    CHECK(out.pending[i].err().code == rt::errc::browser_exited);
  }
  REQUIRE_FALSE(out.after);
  CHECK(out.after.err().code == rt::errc::browser_exited);
  CHECK_FALSE(ff->running());
  ff->close();
  CHECK(process_gone(pid));
  CHECK_FALSE(std::filesystem::exists(profile));
}

TEST_CASE("a debugger port taken by a stranger is detected, and the failed launch leaves nothing", "[firefox][browser]") {
  // Something that accepts connections and never greets, on the port Firefox is told to use.
  asio::io_context io;
  asio::ip::tcp::acceptor stranger(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  rt::scheduler s({.workers = 2});
  firefox_launch_options o;
  o.port = stranger.local_endpoint().port();
  const auto start = std::chrono::steady_clock::now();
  auto launched = s.block_on(launch_firefox(s, o));
  CHECK(std::chrono::steady_clock::now() - start < 20s);
  REQUIRE_FALSE(launched);
  CHECK(launched.err().code == rt::errc::launch_failed);
  CHECK(launched.err().message.find("was taken") != std::string::npos);
  // Its profile is gone: no janus-firefox directory names this process as its owner (others may
  // be there, of browsers that other programs on the machine launched meanwhile).
  std::string left_behind;
  const std::string me = std::to_string(::getpid()) + " ";
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::temp_directory_path())) {
    if (e.path().filename().string().rfind("janus-firefox-", 0) != 0) continue;
    std::ifstream owner(e.path() / "janus-owner");
    std::string line;
    std::getline(owner, line);
    if ((line + " ").rfind(me, 0) == 0) left_behind += e.path().string() + " ";
  }
  CHECK(left_behind == "");
}

TEST_CASE("a missing Firefox fails with browser_not_found and says where it looked", "[firefox]") {
  rt::scheduler s({.workers = 1});
  firefox_launch_options o;
  o.executable = "/nonexistent/janus/firefox";
  auto launched = s.block_on(launch_firefox(s, o));
  REQUIRE_FALSE(launched);
  CHECK(launched.err().code == rt::errc::browser_not_found);
  CHECK(launched.err().message.find("/nonexistent/janus/firefox") != std::string::npos);

  ::setenv("JANUS_FIREFOX", "/nonexistent/janus/env-firefox", 1);
  auto from_env = s.block_on(launch_firefox(s));
  ::unsetenv("JANUS_FIREFOX");
  REQUIRE_FALSE(from_env);
  CHECK(from_env.err().code == rt::errc::browser_not_found);
  CHECK(from_env.err().message.find("$JANUS_FIREFOX") != std::string::npos);
}

TEST_CASE("an executable that exits at once fails with launch_failed quickly", "[firefox]") {
  rt::scheduler s({.workers = 1});
  firefox_launch_options o;
  o.executable = "/bin/false";
  const auto start = std::chrono::steady_clock::now();
  auto launched = s.block_on(launch_firefox(s, o));
  REQUIRE_FALSE(launched);
  CHECK(launched.err().code == rt::errc::launch_failed);
  CHECK(launched.err().message.find("exited during launch") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}
