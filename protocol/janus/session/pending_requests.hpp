// The table of commands waiting for their reply, keyed by the id the command was sent with.
//
// Ids are handed out in increasing order, so the live ones form a sliding window: the table is a
// power-of-two ring indexed by `id & mask`, which grows (rarely: only when a request stays pending
// while `capacity` newer ones are issued) and never shrinks. After warm-up, adding and completing
// a request touches no allocator.
//
// Every entry ends exactly once: by its reply, by its deadline (expire), by cancellation, or by
// fail_all when the connection drops. Whichever comes first removes the entry under the lock and
// then completes the waiter's reply cell, so a late reply after a timeout finds nothing (and is
// counted), and fail_all reaches every request that was pending at that moment.
//
// @par Thread Safety
// All members may be called from any thread; one mutex guards the table and is never held while
// a waiter is completed.
#pragma once

#include <janus/protocol/cdp_codec.hpp>
#include <janus/rt/reply_cell.hpp>
#include <janus/rt/result.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace janus::session {

/// The waiter side of one command: the reply cell it is resumed through.
using reply_slot = rt::reply_cell<protocol::cdp_owned_message>;

class pending_requests {
 public:
  explicit pending_requests(std::size_t initial_capacity = 256);
  ~pending_requests();
  pending_requests(const pending_requests&) = delete;
  pending_requests& operator=(const pending_requests&) = delete;

  /// Registers a waiter and returns the id to send the command with. The table holds a reference
  /// on `slot` until the entry ends. `method` is kept as a view for error messages: it must stay
  /// valid until the entry ends. When the table is closed (the connection is down) nothing is
  /// registered and the error to fail with is returned instead.
  rt::result<std::int64_t> add(reply_slot* slot, std::string_view method);
  /// The same for a command of flattened session `session_id` (kept as a view, like `method`):
  /// refused with that session's error once fail_session() has ended it.
  rt::result<std::int64_t> add(reply_slot* slot, std::string_view method, std::string_view session_id);

  /// Marks the request as handed to the transport (so a later timeout or disconnect reports
  /// `sent`). Returns false when the entry has already ended: the command must then not be sent.
  bool mark_sent(std::int64_t id) noexcept;
  /// Undoes mark_sent when the transport refused the message.
  void unmark_sent(std::int64_t id) noexcept;

  /// Delivers a reply (or error reply) to its waiter. Returns false when no request has that id
  /// (it timed out, was cancelled, or the peer invented it); such replies are counted.
  bool complete(const protocol::cdp_message& reply);

  /// Ends one request with `code` (timeout, cancelled, disconnected...), stamping the error with
  /// whether it had been sent. Returns false if it had already ended.
  bool fail(std::int64_t id, rt::errc code, std::string_view why);

  /// Ends every pending request with `code` (errc::disconnected unless the cause is known better,
  /// e.g. errc::browser_exited) and `why`, each saying whether it had been sent, and refuses new
  /// ones with the same code until reopen(). Returns how many were failed.
  std::size_t fail_all(std::string_view why, rt::errc code = rt::errc::disconnected);
  /// Ends every pending request of one flattened session with `code` (target_crashed,
  /// target_closed) and `why`, and refuses that session's new requests with the same error for
  /// good: a session id is never reused, and a target that crashed or went away cannot answer.
  /// Other sessions are untouched. Returns how many were failed.
  std::size_t fail_session(std::string_view session_id, rt::errc code, std::string_view why);
  /// Accepts requests again (after a reconnect). Ids keep increasing.
  void reopen() noexcept;
  bool is_open() const noexcept;

  std::size_t size() const noexcept;
  /// Replies that matched no pending request.
  std::uint64_t unmatched_replies() const noexcept { return unmatched_.load(std::memory_order_relaxed); }

 private:
  struct entry {
    std::int64_t id = 0;  // 0: free
    reply_slot* slot = nullptr;
    std::string_view method;
    std::string_view session;
    bool sent = false;
  };

  entry* find(std::int64_t id) noexcept;
  void grow();
  static rt::error make_error(const entry& e, rt::errc code, std::string_view why);

  mutable std::mutex mu_;
  std::vector<entry> ring_;
  std::size_t mask_;
  std::size_t live_ = 0;
  std::int64_t next_id_ = 1;
  bool closed_ = false;
  std::string closed_why_;
  rt::errc closed_code_ = rt::errc::disconnected;
  // Sessions ended by fail_session, with the error their later requests get. Few (one per page
  // that went away), so a flat vector searched linearly.
  struct ended_session {
    std::string id;
    rt::errc code;
    std::string why;
  };
  std::vector<ended_session> ended_;
  std::atomic<std::uint64_t> unmatched_{0};
};

}  // namespace janus::session
