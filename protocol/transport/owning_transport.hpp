// The handle a connect/open function returns. The session behind it keeps itself alive while its
// I/O is pending (its completion handlers hold it), so "drop the handle" could never reach the
// session's destructor; this wrapper turns the last handle going away into close() instead.
#pragma once

#include <janus/protocol/transport.hpp>

#include <memory>
#include <utility>

namespace janus::protocol::detail {

/// @par Thread Safety
/// As transport: every member may be called from any thread.
template <class Session>
class owning_transport final : public transport {
 public:
  explicit owning_transport(std::shared_ptr<Session> session) : session_(std::move(session)) {}
  ~owning_transport() override { session_->close(); }

  using transport::send;
  rt::result<void> send(std::string&& message) override { return session_->send(std::move(message)); }
  void close() override { session_->close(); }
  std::size_t queued_bytes() const noexcept override { return session_->queued_bytes(); }
  std::size_t queued_messages() const noexcept override { return session_->queued_messages(); }
  bool is_open() const noexcept override { return session_->is_open(); }
  void pause_reading() override { session_->pause_reading(); }
  void resume_reading() override { session_->resume_reading(); }

 private:
  std::shared_ptr<Session> session_;
};

template <class Session>
std::shared_ptr<transport> make_owning(std::shared_ptr<Session> session) {
  return std::make_shared<owning_transport<Session>>(std::move(session));
}

}  // namespace janus::protocol::detail
