#include <janus/rt/actor.hpp>
#include <janus/rt/sleep.hpp>
#include <janus/rt/supervisor.hpp>

#include <atomic>
#include <csignal>
#include <catch2/catch.hpp>

#include "../support/thread_safe_check.hpp"
#include "../support/time_bounds.hpp"
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace janus::rt;

namespace {

std::atomic<int> starts{0};
std::atomic<int> stops{0};

// Counts in its own state, which a restart resets; fails on demand.
struct fragile : actor<fragile> {
  struct bump {};
  struct crash {};
  struct value {};
  struct hang {};
  using message = std::variant<bump, crash, value, hang>;
  int n = 0;
  void on_start() { ++starts; }
  void on_stop() { ++stops; }
  void handle(bump) { ++n; }
  void handle(crash) { throw std::runtime_error("crash on purpose"); }
  int handle(value) { return n; }
  task<int> handle(hang) {
    co_await sleep_for(sched(), std::chrono::hours(1));
    co_return 0;
  }
};

result<int> ask_value(scheduler& s, const actor_ref<fragile>& a) {
  return s.block_on([](actor_ref<fragile> r) -> task<result<int>> {
    co_return co_await r.ask(fragile::value{}, std::chrono::seconds(5));
  }(a));
}

bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const deadline end(limit);
  while (!cond()) {
    if (end.expired()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

TEST_CASE("restart replaces the state and keeps the mailbox", "[supervisor]") {
  scheduler s({.workers = 2});
  supervisor sup(s);
  starts = 0;
  stops = 0;
  auto a = spawn<fragile>(sup, child_policy{directive::restart, {.max_restarts = 5, .initial_backoff = std::chrono::milliseconds(1)}}, {.name = "fragile"});
  TS_REQUIRE(a.try_tell(fragile::bump{}));
  TS_REQUIRE(a.try_tell(fragile::bump{}));
  TS_REQUIRE(a.try_tell(fragile::crash{}));
  TS_REQUIRE(a.try_tell(fragile::bump{}));  // queued behind the crash: survives the restart
  TS_REQUIRE(wait_for([&] { return a.metrics().restarts == 1 && a.metrics().mailbox_depth == 0; }));
  auto v = ask_value(s, a);
  TS_REQUIRE(v);
  TS_CHECK(*v == 1);  // the two bumps before the crash were lost with the old state
  TS_CHECK(starts == 2);
  TS_CHECK(stops >= 1);
  TS_CHECK(a.metrics().failures == 1);
}

TEST_CASE("restart backoff grows exponentially within tolerance", "[supervisor]") {
  restart_policy p{.max_restarts = 10, .initial_backoff = std::chrono::milliseconds(20), .factor = 2.0,
                   .max_backoff = std::chrono::milliseconds(100)};
  TS_CHECK(restart_backoff(p, 1) == std::chrono::milliseconds(20));
  TS_CHECK(restart_backoff(p, 2) == std::chrono::milliseconds(40));
  TS_CHECK(restart_backoff(p, 3) == std::chrono::milliseconds(80));
  TS_CHECK(restart_backoff(p, 4) == std::chrono::milliseconds(100));

  scheduler s({.workers = 2});
  supervisor sup(s);
  auto a = spawn<fragile>(sup, child_policy{directive::restart, p}, {.name = "fragile"});
  std::vector<duration> gaps;
  for (int i = 0; i < 3; ++i) {
    const auto before = a.metrics().restarts;
    const auto t0 = clock::now();
    TS_REQUIRE(a.try_tell(fragile::crash{}));
    TS_REQUIRE(wait_for([&] { return a.metrics().restarts == before + 1; }));
    gaps.push_back(clock::now() - t0);
  }
  // 20, 40, 80 ms: each at least its backoff, and not wildly more (the margin is for a slow run,
  // not a measure of the restart's speed).
  TS_CHECK(gaps[0] >= std::chrono::milliseconds(20));
  TS_CHECK(gaps[1] >= std::chrono::milliseconds(40));
  TS_CHECK(gaps[2] >= std::chrono::milliseconds(80));
  TS_CHECK(gaps[2] < std::chrono::milliseconds(80) + janus_test::generous(std::chrono::milliseconds(500)));
}

TEST_CASE("too many restarts escalate; the parent's decision applies to all children", "[supervisor]") {
  scheduler s({.workers = 2});
  supervisor root(s);
  supervisor mid(root, strategy::one_for_one, "mid", child_policy{directive::stop, {}});
  auto a = spawn<fragile>(mid, child_policy{directive::restart, {.max_restarts = 2, .initial_backoff = std::chrono::milliseconds(1)}}, {.name = "a"});
  auto b = spawn<fragile>(mid, child_policy{}, {.name = "b"});
  for (int i = 0; i < 3; ++i) {
    TS_REQUIRE(a.try_tell(fragile::crash{}));
    if (i < 2) TS_REQUIRE(wait_for([&] { return a.metrics().restarts == static_cast<std::uint64_t>(i + 1); }));
  }
  // The third failure exceeds max_restarts: mid escalates, root says stop, so both stop.
  TS_REQUIRE(wait_for([&] { return a.stopped() && b.stopped(); }));
  TS_CHECK(mid.escalations() == 1);
  TS_CHECK(mid.stopped());
}

TEST_CASE("one_for_all restarts the siblings too", "[supervisor]") {
  scheduler s({.workers = 2});
  supervisor sup(s, strategy::one_for_all);
  child_policy p{directive::restart, {.max_restarts = 5, .initial_backoff = std::chrono::milliseconds(1)}};
  auto a = spawn<fragile>(sup, p, {.name = "a"});
  auto b = spawn<fragile>(sup, p, {.name = "b"});
  TS_REQUIRE(b.try_tell(fragile::bump{}));
  TS_REQUIRE(wait_for([&] { return b.metrics().processed >= 1; }));
  TS_REQUIRE(a.try_tell(fragile::crash{}));
  TS_REQUIRE(wait_for([&] { return a.metrics().restarts == 1 && b.metrics().restarts == 1; }));
  auto v = ask_value(s, b);
  TS_REQUIRE(v);
  TS_CHECK(*v == 0);
}

TEST_CASE("resume keeps the state; stop fails pending asks", "[supervisor]") {
  scheduler s({.workers = 2});
  supervisor sup(s);
  auto keep = spawn<fragile>(sup, child_policy{directive::resume, {}}, {.name = "keep"});
  TS_REQUIRE(keep.try_tell(fragile::bump{}));
  TS_REQUIRE(keep.try_tell(fragile::crash{}));
  auto v = ask_value(s, keep);
  TS_REQUIRE(v);
  TS_CHECK(*v == 1);
  TS_CHECK(keep.metrics().restarts == 0);

  auto quit = spawn<fragile>(sup, child_policy{directive::stop, {}}, {.name = "quit"});
  std::thread asker([&] {
    auto r = s.block_on([](actor_ref<fragile> q) -> task<result<int>> {
      co_return co_await q.ask(fragile::hang{}, std::chrono::seconds(30));
    }(quit));
    TS_CHECK(r.code() == errc::cancelled);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  TS_REQUIRE(quit.try_tell(fragile::crash{}));
  asker.join();
  TS_CHECK(quit.stopped());
}

TEST_CASE("shutdown stops children and fails every pending ask", "[supervisor][shutdown]") {
  scheduler s({.workers = 2});
  auto sup = std::make_unique<supervisor>(s);
  std::vector<actor_ref<fragile>> kids;
  for (int i = 0; i < 5; ++i) kids.push_back(spawn<fragile>(*sup, child_policy{}, {.name = "kid"}));
  std::atomic<int> cancelled{0};
  std::vector<std::thread> askers;
  for (auto& k : kids)
    askers.emplace_back([&, k] {
      auto r = s.block_on([](actor_ref<fragile> q) -> task<result<int>> {
        co_return co_await q.ask(fragile::hang{}, std::chrono::seconds(30));
      }(k));
      if (r.code() == errc::cancelled) ++cancelled;
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  sup.reset();  // stops every child and waits
  for (auto& t : askers) t.join();
  TS_CHECK(cancelled == 5);
  for (auto& k : kids) TS_CHECK(k.stopped());
}

TEST_CASE("supervision works in poll mode", "[supervisor][poll]") {
  scheduler s;
  supervisor sup(s);
  auto a = spawn<fragile>(sup, child_policy{directive::restart, {.initial_backoff = std::chrono::milliseconds(5)}}, {.name = "a"});
  TS_REQUIRE(a.try_tell(fragile::crash{}));
  TS_REQUIRE(s.run_until([&] { return a.metrics().restarts == 1; }, deadline(std::chrono::seconds(5))));
  auto v = ask_value(s, a);
  TS_REQUIRE(v);
  TS_CHECK(*v == 0);
}

namespace {

// Blocks its worker thread in a synchronous handler until released: the stop its supervisor
// requests can never be applied.
struct blocker : actor<blocker> {
  struct block {};
  using message = std::variant<block>;
  explicit blocker(std::atomic<bool>* release) : release_(release) {}
  void handle(block) {
    while (!release_->load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::atomic<bool>* release_;
};

constexpr const char* stuck_child_case = "supervisor with a child that never stops (run in a child process)";

}  // namespace

// Hidden ([.]): run only by the next test, in a process of its own, since it ends in abort().
TEST_CASE(stuck_child_case, "[.]") {
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);  // an expected abort: no core file
  // Catch's fatal-signal handler would report the abort, allocating inside the signal handler
  // (which TSan rejects): let abort() end the process plainly, as it would outside a test.
  std::signal(SIGABRT, SIG_DFL);
  static std::atomic<bool> release{false};
  scheduler s({.workers = 4});
  {
    supervisor sup(s, strategy::one_for_one, "stuck-sup");
    sup.set_stop_timeout(std::chrono::milliseconds(300));
    auto b = spawn<blocker>(sup, child_policy{}, {.name = "blocked-forever"}, &release);
    REQUIRE(b.try_tell(blocker::block{}));
    while (b.metrics().processed == 0 && b.metrics().mailbox_depth > 0) std::this_thread::sleep_for(1ms);
  }  // must abort here
  release = true;  // not reached when the deadline works; lets the scheduler shut down if it is
  FAIL("the supervisor's destructor returned while its child was still running");
}

TEST_CASE("a supervisor whose child cannot stop aborts with a message at its deadline", "[supervisor]") {
  int err_pipe[2];
  REQUIRE(pipe(err_pipe) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);  // its Catch report
  posix_spawn_file_actions_addclose(&fa, err_pipe[0]);
  std::string self = "/proc/self/exe";
  std::string name = stuck_child_case;
  char* argv[] = {self.data(), name.data(), nullptr};
  pid_t pid = -1;
  const auto started = clock::now();
  const int rc = posix_spawn(&pid, self.c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(err_pipe[1]);
  REQUIRE(rc == 0);
  // Read the child's stderr to its end (it closes when the child dies), under a deadline.
  std::string err;
  char buf[4096];
  const auto limit = started + janus_test::generous(std::chrono::seconds(30));
  for (;;) {
    pollfd p{err_pipe[0], POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      const ssize_t n = read(err_pipe[0], buf, sizeof buf);
      if (n <= 0) break;
      err.append(buf, static_cast<std::size_t>(n));
    }
    if (clock::now() > limit) {
      kill(pid, SIGKILL);  // our own child, by pid
      break;
    }
  }
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  const auto took = clock::now() - started;
  INFO("child's stderr: " << err);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
  CHECK(err.find("supervisor 'stuck-sup'") != std::string::npos);
  CHECK(err.find("'blocked-forever'") != std::string::npos);
  CHECK(took >= std::chrono::milliseconds(300));  // it waited for the deadline first
}
