#include "send_queue.hpp"

#include <utility>

namespace janus::protocol::detail {

rt::result<bool> send_queue::push(std::string&& message) {
  std::lock_guard lk(mu_);
  if (closed_) return rt::error{rt::errc::disconnected, closed_reason_};
  const std::size_t bytes = bytes_.load(std::memory_order_relaxed);
  const std::size_t count = messages_.load(std::memory_order_relaxed);
  if (count >= limits_.max_queued_messages || (count > 0 && bytes + message.size() > limits_.max_queued_bytes)) {
    want_writable_ = true;
    return rt::error{rt::errc::mailbox_full,
                     "send queue full (" + std::to_string(count) + " messages, " + std::to_string(bytes) +
                         " bytes queued; limits " + std::to_string(limits_.max_queued_messages) + " messages, " +
                         std::to_string(limits_.max_queued_bytes) + " bytes): wait for on_writable"};
  }
  bytes_.store(bytes + message.size(), std::memory_order_relaxed);
  messages_.store(count + 1, std::memory_order_relaxed);
  pending_.push_back(std::move(message));
  const bool schedule = !take_scheduled_;
  take_scheduled_ = true;
  return schedule;
}

void send_queue::take(std::vector<std::string>& out) {
  std::lock_guard lk(mu_);
  take_scheduled_ = false;
  out.swap(pending_);
}

bool send_queue::written(std::size_t bytes, std::size_t messages) {
  std::lock_guard lk(mu_);
  const std::size_t b = bytes_.load(std::memory_order_relaxed) - bytes;
  const std::size_t m = messages_.load(std::memory_order_relaxed) - messages;
  bytes_.store(b, std::memory_order_relaxed);
  messages_.store(m, std::memory_order_relaxed);
  if (want_writable_ && !closed_ && b <= limits_.low_water_bytes && m <= limits_.low_water_messages) {
    want_writable_ = false;
    return true;
  }
  return false;
}

void send_queue::close(std::string reason) {
  std::lock_guard lk(mu_);
  if (closed_) return;
  closed_ = true;
  closed_reason_ = std::move(reason);
}

bool send_queue::closed() const {
  std::lock_guard lk(mu_);
  return closed_;
}

}  // namespace janus::protocol::detail
