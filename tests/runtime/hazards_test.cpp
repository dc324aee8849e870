// Stress tests for the runtime's lifetime hazards (issue 15). Each one races a lifecycle change
// (stop, restart, a closed mailbox) against resumptions posted from other workers, over and over
// for a bounded time, on 4 workers. In the plain build they check outcomes (every ask settles with
// a value or the documented error, every actor stops promptly); their real teeth are the sanitizer
// builds: under ASan with -Dpooled_frames=false a frame or reply cell touched after it was freed
// is reported, and TSan reports a write that is not ordered before the free.
#include <janus/rt/actor.hpp>
#include <janus/rt/sleep.hpp>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "../support/thread_safe_check.hpp"
#include "../support/time_bounds.hpp"

using namespace janus::rt;
using namespace std::chrono_literals;

// Never co_await inside a Catch2 v2 assertion macro (see actor_test.cpp).

namespace {

constexpr unsigned workers = 4;

// How long each stress loop keeps going: short in the plain build, longer where the sanitizers
// slow every iteration down (the loops also stop after a fixed number of rounds).
std::chrono::milliseconds stress_budget() { return janus_test::slow_factor() > 1 ? 4000ms : 800ms; }

// Answers at once, on its own worker: its replies post resumptions into the asker's actor from
// another thread.
struct peer : actor<peer> {
  struct ping {
    int v;
  };
  using message = std::variant<ping>;
  int handle(ping p) { return p.v; }
};

struct peer_set {
  std::vector<actor_ref<peer>> refs;
};

// Keeps up to max_suspended handlers suspended at all times, each in an endless loop of asks to
// the peers and short sleeps: at any moment some of their resumptions are queued in the actor.
struct churner : actor<churner> {
  struct spin {
    unsigned seed;
  };
  struct work {
    int v;
  };
  using message = std::variant<spin, work>;
  static constexpr std::size_t mailbox_capacity = 512;
  static constexpr unsigned max_suspended = 48;
  explicit churner(peer_set* p) : peers_(p) {}

  task<void> handle(spin s) {
    for (unsigned i = s.seed;; ++i) {
      const auto& p = peers_->refs[i % peers_->refs.size()];
      peer::ping m{static_cast<int>(i & 0xffff)};
      auto r = co_await p.ask(std::move(m), 30s);
      if (!r) co_return;  // the peers stopped: the test is over
      if (i % 4 == 0) co_await sleep_for(sched(), 10us);
    }
  }
  task<int> handle(work w) {
    for (int i = 0; i < 3; ++i) {
      const auto& p = peers_->refs[static_cast<std::size_t>(w.v + i) % peers_->refs.size()];
      peer::ping m{w.v};
      auto r = co_await p.ask(std::move(m), 30s);
      if (!r) co_return -1;
    }
    co_return w.v;
  }

 private:
  peer_set* peers_;
};

bool wait_for(const std::function<bool()>& done, duration limit) {
  const auto until = clock::now() + limit;
  while (!done()) {
    if (clock::now() > until) return false;
    std::this_thread::sleep_for(200us);
  }
  return true;
}

}  // namespace

TEST_CASE("stop and restart while resumptions of suspended handlers are queued", "[hazards][actor]") {
  scheduler s({.workers = workers});
  peer_set peers;
  for (int w = 1; w < static_cast<int>(workers); ++w) peers.refs.push_back(spawn<peer>(s, {.name = "peer", .worker = w}));

  const auto end = clock::now() + stress_budget();
  int rounds = 0;
  std::atomic<int> answered{0}, cancelled{0}, refused{0}, wrong{0};
  for (; rounds < 400 && (rounds < 3 || clock::now() < end); ++rounds) {
    auto c = spawn<churner>(s, {.name = "churner", .worker = 0}, &peers);
    for (unsigned k = 0; k < churner::max_suspended; ++k) REQUIRE(c.try_tell(churner::spin{k * 7}));
    // Let the handlers get going so that resumptions are queued when the restarts land.
    REQUIRE(wait_for([&] { return c.metrics().suspended_handlers >= churner::max_suspended / 2; },
                     janus_test::generous(5s)));

    // An asker on its own thread: every ask settles, with the value or (stopped/restarted under
    // it) with cancelled or actor_stopped; never a timeout, never a lost reply.
    std::thread asker([&, c] {
      s.block_on([](actor_ref<churner> a, std::atomic<int>& ok, std::atomic<int>& canc, std::atomic<int>& refd,
                    std::atomic<int>& bad) -> task<void> {
        for (int i = 0; i < 20; ++i) {
          churner::work m{i};
          auto r = co_await a.ask(std::move(m), 30s);
          if (r) (r.value() == i ? ok : bad)++;
          else if (r.code() == errc::cancelled) canc++;
          else if (r.code() == errc::actor_stopped) refd++;
          else bad++;
        }
      }(c, answered, cancelled, refused, wrong));
    });
    // Restarts from another thread while the handlers' replies keep arriving; each restart
    // destroys every suspended handler, so refill them.
    std::thread restarter([&, c] {
      for (int i = 0; i < 3; ++i) {
        c.cell()->request_restart(duration::zero());
        std::this_thread::sleep_for(300us);
        for (unsigned k = 0; k < churner::max_suspended; ++k) (void)c.try_tell(churner::spin{k});
        std::this_thread::sleep_for(300us);
      }
    });
    if (rounds % 2 == 0) std::this_thread::sleep_for(500us);  // stop during the restarts, or after
    c.stop();
    restarter.join();
    asker.join();
    REQUIRE(wait_for([&] { return c.stopped(); }, janus_test::generous(5s)));
  }
  INFO("rounds " << rounds << ", asks answered " << answered << ", cancelled " << cancelled << ", refused "
                 << refused);
  CHECK(wrong == 0);
  CHECK(answered + cancelled + refused == rounds * 20);
  CHECK(rounds >= 3);
}

TEST_CASE("asks that fail because the actor stopped resume their askers on other workers", "[hazards][actor]") {
  // An ask to a stopped actor is settled inside the asker's await_suspend, and its resumption is
  // posted to the scheduler: another worker may resume the asker, which then frees the reply cell,
  // while the settling thread is still in reply_cell::finish.
  scheduler s({.workers = workers});
  auto target = spawn<peer>(s, {.name = "gone"});
  target.stop();
  REQUIRE(wait_for([&] { return target.stopped(); }, janus_test::generous(5s)));

  const auto end = clock::now() + stress_budget();
  std::atomic<int> refused{0}, wrong{0};
  int rounds = 0;
  constexpr int tasks = 16, asks = 50;
  for (; rounds < 200 && (rounds < 3 || clock::now() < end); ++rounds) {
    std::atomic<int> finished{0};
    for (int t = 0; t < tasks; ++t)
      s.spawn([](actor_ref<peer> a, std::atomic<int>& refd, std::atomic<int>& bad,
                 std::atomic<int>& fin) -> task<void> {
        for (int i = 0; i < asks; ++i) {
          peer::ping m{i};
          auto r = co_await a.ask(std::move(m), 30s);
          if (!r && r.code() == errc::actor_stopped) refd++;
          else bad++;
        }
        fin++;
      }(target, refused, wrong, finished));
    REQUIRE(wait_for([&] { return finished.load() == tasks; }, janus_test::generous(10s)));
  }
  INFO("rounds " << rounds);
  CHECK(wrong == 0);
  CHECK(refused == rounds * tasks * asks);
}

TEST_CASE("asks parked on a full mailbox when the actor stops are all settled", "[hazards][actor]") {
  // The stop closes the mailbox, which settles each parked ask from the actor's turn while its
  // asker may already be resumed on another worker.
  scheduler s({.workers = workers});
  peer_set peers;
  peers.refs.push_back(spawn<peer>(s, {.name = "peer", .worker = 1}));
  const auto end = clock::now() + stress_budget();
  std::atomic<int> settled{0}, wrong{0};
  int rounds = 0;
  constexpr int tasks = 24;
  for (; rounds < 300 && (rounds < 3 || clock::now() < end); ++rounds) {
    auto c = spawn_with<churner>(s, {.name = "small", .mailbox_capacity = 2, .max_suspended = 1, .worker = 0},
                                 [&] { return std::make_unique<churner>(&peers); });
    REQUIRE(c.try_tell(churner::spin{0}));  // occupies the only handler slot until the stop
    std::atomic<int> finished{0};
    for (int t = 0; t < tasks; ++t)
      s.spawn([](actor_ref<churner> a, int v, std::atomic<int>& ok, std::atomic<int>& bad,
                 std::atomic<int>& fin) -> task<void> {
        churner::work m{v};
        auto r = co_await a.ask(std::move(m), 30s);
        if (!r && (r.code() == errc::cancelled || r.code() == errc::actor_stopped)) ok++;
        else bad++;
        fin++;
      }(c, t, settled, wrong, finished));
    std::this_thread::sleep_for(rounds % 2 ? 200us : 1ms);
    c.stop();
    REQUIRE(wait_for([&] { return finished.load() == tasks; }, janus_test::generous(10s)));
  }
  INFO("rounds " << rounds);
  CHECK(wrong == 0);
  CHECK(settled == rounds * tasks);
}
