// Closing a browser does not stall the scheduler (issue 15): on a scheduler of ONE worker, a
// 100 ms timer started just before browser::close() still fires on time, because the process's
// end (SIGTERM grace, group kill, reap, profile removal) runs as timer-driven steps rather than
// blocking that worker. Afterwards the process is gone and its profile removed within 3 s.
// Before this change close() blocked the worker until all of that was done, and the timer fired
// only then. A browser that ends at once on SIGTERM closes in 150-400 ms here, too little to tell
// a blocked worker from a late timer reliably, so each product is also closed as a browser slow to
// end: its group leader is a shell that ignores SIGTERM and lingers until the SIGKILL that follows
// the grace (1 s), like a browser busy flushing its profile. Each test ends only the browser it
// launched (by pid).
//
// A close() from inside the runtime returns before the process is gone, so what ends it if the
// host does not wait is checked too, in a child (this executable again): one that exits at once
// after such a close (the atexit handler finishes it) and one that destroys the scheduler at once
// (the destruction finishes it). Nothing may be left either way.
#include <janus/client/browser.hpp>
#include <janus/client/chromium_launcher.hpp>
#include <janus/client/firefox_launcher.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

using namespace janus;
using namespace janus::client;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

// A member of process group `pg` that still runs (zombies excepted: they run nothing).
bool group_runs(int pg) {
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    std::ifstream in(it->path() / "stat");
    std::string stat;
    if (!std::getline(in, stat)) continue;
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) continue;
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (std::sscanf(stat.c_str() + close + 2, "%c %ld %ld", &state, &ppid, &pgrp) == 3 && pgrp == pg && state != 'Z' &&
        state != 'X')
      return true;
  }
  return false;
}

// A stand-in for a browser slow to end (see the top): the real browser runs under a shell that
// ignores SIGTERM and waits after it, so that the group leader lives on until SIGKILL.
struct lingering_wrapper {
  fs::path dir;
  fs::path script;
  explicit lingering_wrapper(browser_product product) {
    char tmpl[] = "/tmp/janus-async-close-XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    dir = tmpl;
    script = dir / "browser.sh";
    std::ofstream out(script);
    out << "#!/bin/sh\ntrap '' TERM\n"
        << (product == browser_product::firefox ? "\"${JANUS_FIREFOX:-firefox-esr}\" \"$@\"\n"
                                                : "\"${JANUS_CHROMIUM:-chromium}\" \"$@\"\n")
        << "sleep 30\n";
    out.close();
    fs::permissions(script, fs::perms::owner_all);
  }
  ~lingering_wrapper() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
};

bool leader_gone(int pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

struct measured {
  rt::duration close_call{};   // how long browser::close() itself took
  rt::duration timer_fired{};  // when the 100 ms timer fired, from when it was set
  bool timer_done = false;
  rt::duration until_gone{};   // from close() to: leader reaped, group empty, profile removed
  bool gone = false;
};

rt::task<void> timer_100ms(rt::scheduler& s, rt::time_point set_at, measured* m, std::atomic<bool>* done) {
  co_await rt::sleep_until(s, set_at + 100ms);
  m->timer_fired = rt::clock::now() - set_at;
  m->timer_done = true;
  done->store(true, std::memory_order_release);
}

rt::task<measured> close_beside_timer(rt::scheduler& s, browser b, int pid, std::string profile) {
  measured m;
  std::atomic<bool> fired{false};
  const rt::time_point set_at = rt::clock::now();
  s.spawn(timer_100ms(s, set_at, &m, &fired));
  const rt::time_point closing = rt::clock::now();
  b.close();
  m.close_call = rt::clock::now() - closing;
  const rt::deadline patience(10s);
  while (!fired.load(std::memory_order_acquire) && !patience.expired()) co_await rt::sleep_for(s, 5ms);
  // The process's end goes on meanwhile, on this same worker, between other work.
  const rt::deadline gone_by(3s);
  for (;;) {
    std::error_code ec;
    if (leader_gone(pid) && !group_runs(pid) && !fs::exists(profile, ec)) {
      m.gone = true;
      m.until_gone = rt::clock::now() - closing;
      break;
    }
    if (gone_by.expired()) break;
    co_await rt::sleep_for(s, 20ms);
  }
  co_return m;
}

void check_close_does_not_stall(browser_product product, bool lingering) {
  std::optional<lingering_wrapper> wrapper;
  rt::scheduler s({.workers = 1});
  launch_options o;
  o.product = product;
  if (lingering) {
    wrapper.emplace(product);
    o.executable = wrapper->script.string();
  }
  auto launched = s.block_on(browser::launch(s, o));
  if (!launched) FAIL(launched.err().what());
  browser b = std::move(*launched);
  int pid = 0;
  std::string profile;
  if (product == browser_product::firefox) {
    REQUIRE(b.firefox_process());
    pid = b.firefox_process()->pid();
    profile = b.firefox_process()->profile_dir();
  } else {
    REQUIRE(b.process());
    pid = b.process()->pid();
    profile = b.process()->profile_dir();
  }
  REQUIRE(fs::is_directory(profile));

  const measured m = s.block_on(close_beside_timer(s, b, pid, profile));
  std::printf("%s%s: close() returned after %.1f ms; the 100 ms timer fired after %.1f ms; process and profile gone "
              "after %.1f ms\n",
              std::string(to_string(product)).c_str(), lingering ? " (leader lingering until SIGKILL)" : "",
              std::chrono::duration<double, std::milli>(m.close_call).count(),
              std::chrono::duration<double, std::milli>(m.timer_fired).count(),
              std::chrono::duration<double, std::milli>(m.until_gone).count());
  REQUIRE(m.timer_done);
  // On time: measured 100-115 ms here (before the change the timer fired when close() returned:
  // after 160-400 ms for a browser ending at once, 1,130-1,240 ms for one lingering through the
  // grace).
  // 400 ms leaves room for a loaded 2-core machine, while a close that blocks the worker through
  // the SIGTERM grace (1 s) still fails it.
  CHECK(m.timer_fired < 400ms);
  CHECK(m.close_call < 400ms);
  CHECK(m.gone);
  // Nothing of it is left (checked again here, outside the runtime).
  CHECK(leader_gone(pid));
  CHECK_FALSE(group_runs(pid));
  CHECK_FALSE(fs::exists(profile));
}

struct closed_in_child {
  int pid = 0;
  std::string profile;
};

rt::task<closed_in_child> launch_and_close(rt::scheduler& s, launch_options o) {
  auto b = co_await browser::launch(s, std::move(o));
  if (!b) co_return closed_in_child{};
  closed_in_child c;
  if (b->firefox_process()) {
    c.pid = b->firefox_process()->pid();
    c.profile = b->firefox_process()->profile_dir();
  } else if (b->process()) {
    c.pid = b->process()->pid();
    c.profile = b->process()->profile_dir();
  }
  b->close();  // only starts the ending: this is a worker
  co_return c;  // and the browser object goes here, on the worker, too
}

// Runs this executable's hidden child test with `mode` ("<product>-exit" or "<product>-destroy")
// and returns what it closed; the child has exited when this returns.
closed_in_child run_child(const std::string& mode) {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  REQUIRE(n > 0);
  exe[n] = 0;
  const std::string cmd = "JANUS_ASYNC_CLOSE_CHILD=" + mode + " '" + exe + "' '[async_close_child]' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  closed_in_child c;
  std::string out;
  char line[4096];
  while (std::fgets(line, sizeof line, p)) {
    out += line;
    char profile[4096] = {};
    int pid = 0;
    if (std::sscanf(line, "CHILD %d %4095s", &pid, profile) == 2) c = {pid, profile};
  }
  const int status = ::pclose(p);
  INFO(out);
  CHECK(status == 0);
  REQUIRE(c.pid > 0);
  return c;
}

void check_nothing_left_after_child(const std::string& mode) {
  const closed_in_child c = run_child(mode);
  // At once: the child finished the ending before it exited.
  CHECK_FALSE(group_runs(c.pid));
  CHECK_FALSE(fs::exists(c.profile));
}

}  // namespace

// The child side of the next test (hidden: it runs only when asked for by name of its tag).
TEST_CASE("(child) close from inside the runtime, then exit or destroy the scheduler at once",
          "[.][async_close_child]") {
  const char* mode_env = std::getenv("JANUS_ASYNC_CLOSE_CHILD");
  if (!mode_env) return;
  const std::string mode = mode_env;
  auto* s = new rt::scheduler({.workers = 1});
  launch_options o;
  if (mode.rfind("firefox", 0) == 0) o.product = browser_product::firefox;
  const closed_in_child c = s->block_on(launch_and_close(*s, o));
  std::printf("CHILD %d %s\n", c.pid, c.profile.c_str());
  std::fflush(stdout);
  if (c.pid <= 0) std::_Exit(2);
  // The scheduler still runs the ending's steps: the atexit handler must finish it.
  if (mode.find("-exit") != std::string::npos) std::exit(0);
  // Its io_context goes with the ending's timer: the scheduler's destruction must finish it.
  delete s;
  std::exit(0);
}

TEST_CASE("an ending left under way by a close() is finished at exit and at scheduler destruction",
          "[browser][async_close]") {
  SECTION("Chromium, exit") { check_nothing_left_after_child("chromium-exit"); }
  SECTION("Chromium, scheduler destroyed") { check_nothing_left_after_child("chromium-destroy"); }
  SECTION("Firefox, exit") { check_nothing_left_after_child("firefox-exit"); }
  SECTION("Firefox, scheduler destroyed") { check_nothing_left_after_child("firefox-destroy"); }
}

TEST_CASE("closing a Chromium browser leaves a one-worker scheduler's timers on time", "[browser][async_close]") {
  SECTION("a browser that ends on SIGTERM") { check_close_does_not_stall(browser_product::chromium, false); }
  SECTION("a browser whose leader lingers until SIGKILL") { check_close_does_not_stall(browser_product::chromium, true); }
}

TEST_CASE("closing a Firefox browser leaves a one-worker scheduler's timers on time", "[browser][async_close]") {
  SECTION("a browser that ends on SIGTERM") { check_close_does_not_stall(browser_product::firefox, false); }
  SECTION("a browser whose leader lingers until SIGKILL") { check_close_does_not_stall(browser_product::firefox, true); }
}
