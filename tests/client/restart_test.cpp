// A supervised browser (launch_options::restart) against kill -9: pending requests fail with
// browser_exited within a second, the supervisor relaunches the browser and the same page handle
// works again (navigation, evaluation, its console and network actors); a browser that keeps dying
// gives up after the policy's limit; no process or profile directory is left behind.
#include "../support/thread_safe_check.hpp"

#include <janus/client/browser.hpp>
#include <janus/protocol/http_server.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>

using namespace janus;
using namespace janus::client;
using namespace janus::session;
using namespace std::chrono_literals;
using protocol::http_response;
using protocol::http_server;
using protocol::json_value;

namespace {

std::unique_ptr<http_server> serve() {
  auto s = http_server::start();
  REQUIRE(s);
  return std::move(*s);
}

http_response html(std::string body) { return http_response(200, std::move(body), "text/html; charset=utf-8"); }

browser launch_supervised(rt::scheduler& s, rt::restart_policy policy) {
  launch_options o;
  o.restart = policy;
  auto b = s.block_on(browser::launch(s, o));
  if (!b) FAIL(b.err().what());
  return std::move(*b);
}

// Runtime.evaluate through the page's raw session (so the request is pending on the wire).
rt::task<rt::result<json_value>> raw_evaluate(page p, std::string expression, rt::deadline d) {
  json_value params = json_value::object();
  params.set("expression", std::move(expression));
  params.set("returnByValue", true);
  params.set("awaitPromise", true);
  const std::string text = params.dump();
  call_options o;
  o.deadline = d;
  rt::result<protocol::cdp_owned_message> r = co_await p.session().call("Runtime.evaluate", text, std::move(o));
  if (!r) co_return std::move(r).err();
  rt::result<json_value> v = json_value::parse(r->payload());
  if (!v) co_return std::move(v).err();
  co_return (*v)["result"]["value"];
}

template <class T>
struct background {
  std::shared_ptr<std::optional<T>> value = std::make_shared<std::optional<T>>();
  std::shared_ptr<std::atomic<bool>> done = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<std::int64_t>> done_at = std::make_shared<std::atomic<std::int64_t>>(0);
};

template <class T>
background<T> run_in_background(rt::scheduler& s, rt::task<T> t) {
  background<T> bg;
  s.spawn([](rt::task<T> t, background<T> bg) -> rt::task<void> {
    T v = co_await std::move(t);
    bg.done_at->store(std::chrono::steady_clock::now().time_since_epoch().count());
    bg.value->emplace(std::move(v));
    bg.done->store(true);
  }(std::move(t), bg));
  return bg;
}

template <class T>
bool wait_done(const background<T>& bg, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!bg.done->load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(2ms);
  return bg.done->load();
}

// No process is left in the group the browser led (its renderers and helpers included).
// The exit watcher has noticed the kill: the supervisor is restarting (or gave up).
bool left_running(const browser& b, std::chrono::milliseconds limit = 2000ms) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (b.state() == browser_state::running && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  return b.state() != browser_state::running;
}

bool group_gone(int pgid, std::chrono::milliseconds limit = 5000ms) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (::kill(-pgid, 0) != 0 && errno == ESRCH) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

rt::restart_policy quick_policy(unsigned max_restarts) {
  rt::restart_policy p;
  p.max_restarts = max_restarts;
  p.window = std::chrono::seconds(120);
  p.initial_backoff = std::chrono::milliseconds(100);
  p.factor = 2.0;
  p.max_backoff = std::chrono::seconds(1);
  return p;
}

}  // namespace

TEST_CASE("kill -9 fails pending requests at once; the restart brings the same page back", "[restart][browser]") {
  auto server = serve();
  server->route("/a", html("<!doctype html><title>A</title><script>console.log('a-loaded')</script>"));
  server->route("/b", html("<!doctype html><title>B</title><script>console.log('b-loaded')</script>"));
  rt::scheduler s({.workers = 2});
  browser b = launch_supervised(s, quick_policy(3));
  auto opened = s.block_on(b.new_page(server->url("/a"), std::string(), rt::deadline(30s)));
  if (!opened) FAIL(opened.err().what());
  page p = *opened;
  REQUIRE(s.block_on(p.console().enable(rt::deadline(10s))));
  REQUIRE(s.block_on(p.network().enable(rt::deadline(10s))));
  const std::string old_target = p.target_id();
  // A page-level subscription: re-registered on the new session by the restart.
  auto loads = s.block_on(p.subscribe("Page.loadEventFired", 64));
  REQUIRE(loads);

  REQUIRE(b.process() != nullptr);
  const int old_pid = b.process()->pid();
  const std::string old_profile = b.process()->profile_dir();
  REQUIRE(std::filesystem::exists(old_profile));

  // Requests that the browser will never answer: a promise that settles in a minute.
  std::vector<background<rt::result<json_value>>> pending;
  for (int i = 0; i < 3; ++i)
    pending.push_back(run_in_background(s, raw_evaluate(p, "new Promise(r => setTimeout(r, 60000))", rt::deadline(30s))));
  std::this_thread::sleep_for(300ms);  // written and waiting
  for (const auto& bg : pending) REQUIRE_FALSE(bg.done->load());

  const auto killed_at = std::chrono::steady_clock::now();
  REQUIRE(::kill(old_pid, SIGKILL) == 0);
  for (const auto& bg : pending) REQUIRE(wait_done(bg, 10000ms));
  std::chrono::nanoseconds slowest{0};
  for (const auto& bg : pending) {
    const auto at = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(bg.done_at->load()));
    slowest = std::max<std::chrono::nanoseconds>(slowest, at - killed_at);
    REQUIRE(bg.value->has_value());
    const rt::result<json_value>& r = **bg.value;
    REQUIRE_FALSE(r);
    CHECK(r.code() == rt::errc::browser_exited);
  }
  const auto slowest_ms = std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count();
  WARN("pending requests failed " << slowest_ms << " ms after kill -9");
  // At once, not at their 30 s deadline: browser_exited (above) says why they failed, and this
  // bound, a third of the deadline, that nothing waited for it. The time it takes (well under 1 s
  // on a quiet machine) is printed above, not asserted: a slow day must not fail the run.
  CHECK(slowest < 10s);

  // During the relaunch, calls fail at once with browser_exited rather than waiting.
  // (The policy's first backoff alone is 100 ms, and a launch takes longer: it is still restarting.)
  REQUIRE(left_running(b));
  REQUIRE(b.state() == browser_state::restarting);
  {
    const auto t0 = std::chrono::steady_clock::now();
    auto during = s.block_on(p.evaluate("1 + 1", rt::deadline(10s)));
    REQUIRE_FALSE(during);
    CHECK(during.code() == rt::errc::browser_exited);
    // At once: neither after the relaunch (it would have succeeded) nor at its 10 s deadline.
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    CHECK(p.alive().code() == rt::errc::browser_exited);
    auto refused = s.block_on(b.new_page(std::string("about:blank"), std::string(), rt::deadline(5s)));
    REQUIRE_FALSE(refused);
    CHECK(refused.code() == rt::errc::browser_exited);
  }

  auto running = s.block_on(b.wait_running(rt::deadline(30s)));
  if (!running) FAIL(running.err().what());
  const auto restarted_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed_at).count();
  WARN("the browser was relaunched and the page re-attached " << restarted_ms << " ms after kill -9");
  CHECK(b.restarts() == 1);
  REQUIRE(b.process() != nullptr);
  CHECK(b.process()->pid() != old_pid);
  const int new_pid = b.process()->pid();
  const std::string new_profile = b.process()->profile_dir();

  // The dead browser's group and profile are gone.
  CHECK(group_gone(old_pid));
  CHECK_FALSE(std::filesystem::exists(old_profile));

  // The same handle: alive, a new target, back on its last URL.
  CHECK(p.alive());
  CHECK(p.target_id() != old_target);
  REQUIRE(b.pages().size() == 1);
  CHECK(b.pages()[0] == p);
  auto title = s.block_on(p.evaluate("document.title", rt::deadline(10s)));
  if (!title) FAIL(title.err().what());
  CHECK(*title == json_value("A"));
  auto info = s.block_on(p.info(rt::deadline(5s)));
  REQUIRE(info);
  CHECK(info->url == server->url("/a"));

  // Navigation and evaluation work, and so do the console and network actors.
  auto nav = s.block_on(p.navigate(server->url("/b"), wait_until::load, rt::deadline(15s)));
  if (!nav) FAIL(nav.err().what());
  // The subscription made before the crash sees the new browser's load events.
  {
    auto ev = s.block_on([](rt::subscription<cdp_event>& sub) -> rt::task<rt::result<cdp_event>> {
      co_return co_await sub.next(rt::deadline(5s));
    }(*loads));
    if (!ev) FAIL(ev.err().what());
    CHECK(ev->method() == "Page.loadEventFired");
    CHECK(ev->session_id() == p.session_id());
  }
  auto sum = s.block_on(p.evaluate("6 * 7", rt::deadline(10s)));
  REQUIRE(sum);
  CHECK(*sum == json_value(42));
  bool logged = false;
  for (int i = 0; i < 100 && !logged; ++i) {
    auto entries = s.block_on(p.console().entries(rt::deadline(5s)));
    REQUIRE(entries);
    for (const auto& e : *entries) logged = logged || e.text == "b-loaded";
    if (!logged) std::this_thread::sleep_for(20ms);
  }
  CHECK(logged);
  auto requests = s.block_on(p.network().requests(rt::deadline(5s)));
  REQUIRE(requests);
  bool seen_b = false;
  for (const auto& r : *requests) seen_b = seen_b || r.url == server->url("/b");
  CHECK(seen_b);

  b.close();
  CHECK(group_gone(new_pid));
  CHECK_FALSE(std::filesystem::exists(new_profile));
}

TEST_CASE("a browser that keeps dying gives up after the policy's limit; nothing is left behind",
          "[restart][browser]") {
  auto server = serve();
  server->route("/a", html("<!doctype html><title>A</title>"));
  rt::scheduler s({.workers = 2});
  browser b = launch_supervised(s, quick_policy(1));
  auto opened = s.block_on(b.new_page(server->url("/a"), std::string(), rt::deadline(30s)));
  if (!opened) FAIL(opened.err().what());
  page p = *opened;

  std::vector<int> pids;
  std::vector<std::string> profiles;
  pids.push_back(b.process()->pid());
  profiles.push_back(b.process()->profile_dir());
  REQUIRE(::kill(pids.back(), SIGKILL) == 0);
  REQUIRE(left_running(b));
  auto first = s.block_on(b.wait_running(rt::deadline(30s)));
  if (!first) FAIL(first.err().what());
  CHECK(b.restarts() == 1);
  auto works = s.block_on(p.evaluate("document.title", rt::deadline(10s)));
  if (!works) FAIL(works.err().what());
  CHECK(*works == json_value("A"));

  pids.push_back(b.process()->pid());
  profiles.push_back(b.process()->profile_dir());
  REQUIRE(pids[1] != pids[0]);
  const auto killed_at = std::chrono::steady_clock::now();
  REQUIRE(::kill(pids.back(), SIGKILL) == 0);
  REQUIRE(left_running(b));
  auto second = s.block_on(b.wait_running(rt::deadline(30s)));
  REQUIRE_FALSE(second);
  CHECK(second.code() == rt::errc::browser_exited);
  CHECK(std::chrono::steady_clock::now() - killed_at < 5s);  // gave up at once, not at its 30 s deadline
  CHECK(b.state() == browser_state::gave_up);
  CHECK(b.restarts() == 1);

  // Every page fails with browser_exited, at once.
  REQUIRE_FALSE(p.alive());
  CHECK(p.alive().code() == rt::errc::browser_exited);
  const auto t0 = std::chrono::steady_clock::now();
  auto later = s.block_on(p.evaluate("1", rt::deadline(10s)));
  REQUIRE_FALSE(later);
  CHECK(later.code() == rt::errc::browser_exited);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);  // at once, not at its 10 s deadline
  CHECK(b.pages().empty());
  auto new_page = s.block_on(b.new_page(std::string("about:blank"), std::string(), rt::deadline(5s)));
  CHECK_FALSE(new_page);

  for (int pid : pids) CHECK(group_gone(pid));
  for (const auto& dir : profiles) CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("every page is re-attached; a page in an isolated context cannot be and fails with browser_exited",
          "[restart][browser]") {
  auto server = serve();
  server->route("/one", html("<!doctype html><title>one</title>"));
  server->route("/two", html("<!doctype html><title>two</title>"));
  rt::scheduler s({.workers = 2});
  browser b = launch_supervised(s, quick_policy(3));
  auto one = s.block_on(b.new_page(server->url("/one"), std::string(), rt::deadline(30s)));
  if (!one) FAIL(one.err().what());
  auto two = s.block_on(b.new_page(server->url("/two"), std::string(), rt::deadline(30s)));
  if (!two) FAIL(two.err().what());
  auto ctx = s.block_on(b.create_context(rt::deadline(10s)));
  REQUIRE(ctx);
  auto isolated = s.block_on(b.new_page(server->url("/one"), *ctx, rt::deadline(30s)));
  if (!isolated) FAIL(isolated.err().what());
  REQUIRE(b.pages().size() == 3);

  REQUIRE(::kill(b.process()->pid(), SIGKILL) == 0);
  REQUIRE(left_running(b));
  auto running = s.block_on(b.wait_running(rt::deadline(30s)));
  if (!running) FAIL(running.err().what());

  auto t1 = s.block_on(one->evaluate("document.title", rt::deadline(10s)));
  auto t2 = s.block_on(two->evaluate("document.title", rt::deadline(10s)));
  if (!t1) FAIL(t1.err().what());
  if (!t2) FAIL(t2.err().what());
  CHECK(*t1 == json_value("one"));
  CHECK(*t2 == json_value("two"));
  REQUIRE_FALSE(isolated->alive());
  CHECK(isolated->alive().code() == rt::errc::browser_exited);
  INFO(isolated->alive().err().message);
  CHECK(isolated->alive().err().message.find("context") != std::string::npos);
  CHECK(b.pages().size() == 2);
  // The browser's own target list is the new browser's.
  auto targets = s.block_on(b.targets(rt::deadline(5s)));
  REQUIRE(targets);
  int listed = 0;
  for (const auto& t : *targets) listed += (t.target_id == one->target_id() || t.target_id == two->target_id()) ? 1 : 0;
  CHECK(listed == 2);
}

TEST_CASE("without a restart policy a killed browser stays dead, as before", "[restart][browser]") {
  rt::scheduler s({.workers = 2});
  auto launched = s.block_on(browser::launch(s, launch_options{}));
  if (!launched) FAIL(launched.err().what());
  browser b = *launched;
  auto opened = s.block_on(b.new_page(std::string("about:blank"), std::string(), rt::deadline(30s)));
  if (!opened) FAIL(opened.err().what());
  page p = *opened;
  auto pending = run_in_background(s, raw_evaluate(p, "new Promise(r => setTimeout(r, 60000))", rt::deadline(30s)));
  std::this_thread::sleep_for(300ms);
  const int pid = b.process()->pid();
  const std::string profile = b.process()->profile_dir();
  const auto killed_at = std::chrono::steady_clock::now();
  REQUIRE(::kill(pid, SIGKILL) == 0);
  REQUIRE(wait_done(pending, 10000ms));
  CHECK(std::chrono::steady_clock::now() - killed_at < 10s);  // at the exit, not its 30 s deadline
  REQUIRE_FALSE(**pending.value);
  CHECK((*pending.value)->code() == rt::errc::browser_exited);
  std::this_thread::sleep_for(500ms);  // no supervisor: nothing is relaunched
  CHECK(b.state() == browser_state::running);
  CHECK(b.restarts() == 0);
  CHECK(b.process()->pid() == pid);
  CHECK_FALSE(b.process()->running());
  auto later = s.block_on(p.evaluate("1", rt::deadline(5s)));
  CHECK_FALSE(later);
  b.close();
  CHECK(group_gone(pid));
  CHECK_FALSE(std::filesystem::exists(profile));
}
