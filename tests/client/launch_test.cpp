// launch_chromium against the real Chromium: pipe and port modes, a missing executable, and the
// browser dying under a pending request. Each test ends only the browser it launched (by pid).
#include "../support/thread_safe_check.hpp"

#include <janus/cdp/browser.hpp>
#include <janus/client/chromium_launcher.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <chrono>
#include <filesystem>
#include <string>

using namespace janus;
using namespace janus::client;
using namespace janus::session;
using namespace std::chrono_literals;

namespace {

std::string profile_of(const browser_process& b) {
  // The launcher does not expose its profile; the browser's command line names it.
  std::string cmdline;
  if (FILE* f = std::fopen(("/proc/" + std::to_string(b.pid()) + "/cmdline").c_str(), "rb")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) cmdline.append(buf, n);
    std::fclose(f);
  }
  const std::string key = std::string("--user-data-dir=");
  const auto at = cmdline.find(key);
  if (at == std::string::npos) return {};
  return cmdline.substr(at + key.size(), cmdline.find('\0', at) - at - key.size());
}

void launch_version_close(bool use_pipe) {
  rt::scheduler s({.workers = 2});
  launch_options o;
  o.use_pipe = use_pipe;
  auto launched = s.block_on(launch_chromium(s, o));
  if (!launched) FAIL(launched.err().what());
  std::unique_ptr<browser_process> b = std::move(*launched);
  REQUIRE(b->running());
  const int pid = b->pid();
  const std::string profile = profile_of(*b);
  REQUIRE_FALSE(profile.empty());
  CHECK(std::filesystem::is_directory(profile));

  auto version = s.block_on([](cdp_connection c) -> rt::task<rt::result<cdp::browser::get_version::result_type>> {
    co_return co_await c.browser().send(cdp::browser::get_version{});
  }(b->connection()));
  REQUIRE(version);
  CHECK(version->product.find("Chrome") != std::string::npos);

  b->close();
  CHECK_FALSE(b->running());
  errno = 0;
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
  CHECK_FALSE(std::filesystem::exists(profile));
  b->close();  // idempotent
}

}  // namespace

TEST_CASE("launch over the pipe: getVersion, then close leaves no process and no profile", "[launch][browser]") {
  launch_version_close(true);
}

TEST_CASE("launch with a DevTools port: getVersion, then close leaves no process and no profile", "[launch][browser]") {
  launch_version_close(false);
}

TEST_CASE("a bad executable path fails with browser_not_found and says where it looked", "[launch]") {
  rt::scheduler s({.workers = 1});
  launch_options o;
  o.executable = "/nonexistent/janus/chromium";
  auto launched = s.block_on(launch_chromium(s, o));
  REQUIRE_FALSE(launched);
  CHECK(launched.err().code == rt::errc::browser_not_found);
  CHECK(launched.err().message.find("/nonexistent/janus/chromium") != std::string::npos);
}

TEST_CASE("an executable that exits at once fails with launch_failed quickly, in both modes", "[launch]") {
  rt::scheduler s({.workers = 1});
  for (bool use_pipe : {true, false}) {
    INFO("use_pipe " << use_pipe);
    launch_options o;
    o.executable = "/bin/false";
    o.use_pipe = use_pipe;
    const auto start = std::chrono::steady_clock::now();
    auto launched = s.block_on(launch_chromium(s, o));
    REQUIRE_FALSE(launched);
    CHECK(launched.err().code == rt::errc::launch_failed);
    CHECK(launched.err().message.find("exited during launch") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
  }
}

TEST_CASE("the browser killed under a pending request fails it with browser_exited at once", "[launch][browser]") {
  rt::scheduler s({.workers = 2});
  for (bool use_pipe : {true, false}) {
    INFO("use_pipe " << use_pipe);
    launch_options o;
    o.use_pipe = use_pipe;
    auto launched = s.block_on(launch_chromium(s, o));
    if (!launched) FAIL(launched.err().what());
    std::unique_ptr<browser_process> b = std::move(*launched);
    const int pid = b->pid();

    struct outcome {
      rt::result<protocol::cdp_owned_message> never;
      rt::result<protocol::cdp_owned_message> after;
      std::chrono::steady_clock::duration waited{};
    };
    auto run = [](cdp_connection c, rt::scheduler& s, int pid) -> rt::task<outcome> {
      // A target to evaluate in: the pipe-launched browser has its about:blank page.
      auto targets = co_await c.browser().call("Target.getTargets", "{}");
      TS_REQUIRE(targets);
      const std::string text(targets->payload());
      const auto at = text.find("\"targetId\":\"");
      TS_REQUIRE(at != std::string::npos);
      const std::string target = text.substr(at + 12, text.find('"', at + 12) - at - 12);
      auto attached = co_await c.browser().call("Target.attachToTarget", "{\"targetId\":\"" + target + "\",\"flatten\":true}");
      TS_REQUIRE(attached);
      const std::string a(attached->payload());
      const auto sat = a.find("\"sessionId\":\"");
      TS_REQUIRE(sat != std::string::npos);
      cdp_session page = c.session(a.substr(sat + 13, a.find('"', sat + 13) - sat - 13));

      // The kill comes while the call waits on a promise that never settles.
      auto killed_at = std::make_shared<std::atomic<std::int64_t>>(0);
      s.spawn([](rt::scheduler& s, int pid, std::shared_ptr<std::atomic<std::int64_t>> at) -> rt::task<void> {
        co_await rt::sleep_for(s, 300ms);
        at->store(std::chrono::steady_clock::now().time_since_epoch().count());
        ::kill(pid, SIGKILL);
      }(s, pid, killed_at));
      outcome out;
      call_options call_opts{.deadline = rt::deadline(30s), .cancel = {}};
      out.never = co_await page.call("Runtime.evaluate", R"js({"expression":"new Promise(()=>{})","awaitPromise":true})js",
                                     std::move(call_opts));
      out.waited = std::chrono::steady_clock::now().time_since_epoch() -
                   std::chrono::steady_clock::duration(killed_at->load());
      out.after = co_await c.browser().call("Browser.getVersion", "{}");
      co_return out;
    };
    outcome out = s.block_on(run(b->connection(), s, pid));
    REQUIRE_FALSE(out.never);
    CHECK(out.never.err().code == rt::errc::browser_exited);
    // At the exit, not at the call's 30 s deadline (browser_exited says why; a third of the deadline
    // leaves room for a slow day, where the usual well under 1 s would not).
    CHECK(out.waited < 10s);
    REQUIRE_FALSE(out.after);
    CHECK(out.after.err().code == rt::errc::browser_exited);
    CHECK_FALSE(b->running());
    b->close();
    errno = 0;
    CHECK(::kill(pid, 0) == -1);
    CHECK(errno == ESRCH);
  }
}
