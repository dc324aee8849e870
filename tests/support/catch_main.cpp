// Catch2 main for every Janus test executable, with a per-test-case time limit.
//
// A deadlocked test must fail fast instead of hanging CI: a watchdog thread is armed when each test
// case starts; if the case has not ended within the limit it prints the case's name and exits the
// process with a failure. The limit is 60 s, or JANUS_TEST_TIME_LIMIT seconds when set (sanitizer
// builds run slower and raise it).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace {

class test_watchdog {
 public:
  test_watchdog() : thread_([this] { run(); }) {}
  ~test_watchdog() {
    {
      std::lock_guard lk(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void arm(std::string name) {
    std::lock_guard lk(mu_);
    name_ = std::move(name);
    deadline_ = std::chrono::steady_clock::now() + limit();
    armed_ = true;
    cv_.notify_all();
  }
  void disarm() {
    std::lock_guard lk(mu_);
    armed_ = false;
  }

  static test_watchdog& instance() {
    static test_watchdog w;
    return w;
  }

 private:
  static std::chrono::seconds limit() {
    if (const char* s = std::getenv("JANUS_TEST_TIME_LIMIT")) return std::chrono::seconds(std::atol(s));
    return std::chrono::seconds(60);
  }
  void run() {
    std::unique_lock lk(mu_);
    while (!quit_) {
      if (!armed_) {
        cv_.wait(lk);
        continue;
      }
      if (cv_.wait_until(lk, deadline_) == std::cv_status::timeout && armed_ && !quit_ &&
          std::chrono::steady_clock::now() >= deadline_) {
        std::fprintf(stderr, "\nTIME LIMIT: test case \"%s\" exceeded %lld s (deadlock?)\n", name_.c_str(),
                     static_cast<long long>(limit().count()));
        std::fflush(stderr);
        std::_Exit(3);
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::string name_;
  std::chrono::steady_clock::time_point deadline_{};
  bool armed_ = false;
  bool quit_ = false;
  std::thread thread_;
};

struct time_limit_listener : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseStarting(Catch::TestCaseInfo const& info) override { test_watchdog::instance().arm(info.name); }
  void testCaseEnded(Catch::TestCaseStats const&) override { test_watchdog::instance().disarm(); }
};

}  // namespace

CATCH_REGISTER_LISTENER(time_limit_listener)
