// Helpers shared by the transport tests: an io_context on its own thread, and a handler that
// records what it is told (and on which thread) for the test thread to wait on.
#pragma once

#include <janus/protocol/transport.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace janus::protocol::test {

using namespace std::chrono_literals;

/// An io_context run by one dedicated thread, as in the runtime's I/O-thread mode.
class io_thread {
 public:
  io_thread() : guard_(asio::make_work_guard(io)), thread_([this] { io.run(); }) {}
  ~io_thread() {
    guard_.reset();
    io.stop();
    thread_.join();
  }
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;

  std::thread::id id() const { return thread_.get_id(); }

  /// Runs `f` on the io thread and waits for it.
  template <class F>
  auto run(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }

  asio::io_context io;

 private:
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

/// Records every callback. Checks that each comes on the expected thread and that nothing comes
/// after on_closed().
class recorder final : public transport_handler {
 public:
  explicit recorder(std::thread::id io_thread) : io_thread_(io_thread) {}

  /// Called with each message before it is recorded (set it before the transport starts).
  std::function<void(std::string&)> hook;

  void on_message(std::string&& message) override {
    if (hook) hook(message);
    std::lock_guard lk(mu_);
    check_thread();
    if (closes_ > 0) after_close_ = true;
    bytes_ += message.size();
    messages_.push_back(std::move(message));
    cv_.notify_all();
  }
  void on_writable() override {
    std::lock_guard lk(mu_);
    check_thread();
    if (closes_ > 0) after_close_ = true;
    ++writable_;
    cv_.notify_all();
  }
  void on_closed(rt::error why) override {
    std::lock_guard lk(mu_);
    check_thread();
    ++closes_;
    why_ = std::move(why);
    cv_.notify_all();
  }

  /// Waits until `pred()` holds (evaluated under the lock) or `timeout` passes.
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return pred(); });
  }
  bool wait_messages(std::size_t n, std::chrono::milliseconds timeout = 20s) {
    return wait([&] { return messages_.size() >= n; }, timeout);
  }
  bool wait_closed(std::chrono::milliseconds timeout = 20s) {
    return wait([&] { return closes_ > 0; }, timeout);
  }
  bool wait_writable(std::chrono::milliseconds timeout = 20s) {
    return wait([&] { return writable_ > 0; }, timeout);
  }

  std::vector<std::string> messages() const {
    std::lock_guard lk(mu_);
    return messages_;
  }
  std::string joined() const {
    std::lock_guard lk(mu_);
    std::string all;
    for (const auto& m : messages_) all += m;
    return all;
  }
  std::size_t message_count() const {
    std::lock_guard lk(mu_);
    return messages_.size();
  }
  std::size_t bytes() const {
    std::lock_guard lk(mu_);
    return bytes_;
  }
  int closes() const {
    std::lock_guard lk(mu_);
    return closes_;
  }
  int writable() const {
    std::lock_guard lk(mu_);
    return writable_;
  }
  rt::error why() const {
    std::lock_guard lk(mu_);
    return why_;
  }
  /// Whether any callback came on another thread than the io_context's, or after on_closed().
  bool misbehaved() const {
    std::lock_guard lk(mu_);
    return wrong_thread_ || after_close_;
  }

  mutable std::mutex mu_;  // public for wait() predicates that read the fields below
  std::vector<std::string> messages_;
  std::size_t bytes_ = 0;
  int writable_ = 0;
  int closes_ = 0;

 private:
  void check_thread() {
    if (std::this_thread::get_id() != io_thread_) wrong_thread_ = true;
  }

  const std::thread::id io_thread_;
  std::condition_variable cv_;
  rt::error why_;
  bool wrong_thread_ = false;
  bool after_close_ = false;
};

/// Waits for a connect_callback's result.
class connect_waiter {
 public:
  connect_callback callback() {
    return [this](rt::result<std::shared_ptr<transport>> r) {
      std::lock_guard lk(mu_);
      result_.emplace(std::move(r));
      cv_.notify_all();
    };
  }
  rt::result<std::shared_ptr<transport>> get(std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lk(mu_);
    if (!cv_.wait_for(lk, timeout, [&] { return result_.has_value(); }))
      return rt::error{rt::errc::timeout, "test: no connect result"};
    return std::move(*result_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<rt::result<std::shared_ptr<transport>>> result_;
};

}  // namespace janus::protocol::test
