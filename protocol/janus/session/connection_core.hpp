// The state one CDP connection shares between its callers, its transport and its actors.
//
// The paths through it:
//   command out  caller's coroutine -> pending_requests.add -> encode -> transport.send, or parked
//                in FIFO order while the transport's bounded queue is full (resent on_writable);
//   reply in     transport (io thread) -> cdp_decoder -> pending_requests.complete -> the caller's
//                reply cell, which resumes it on its own executor;
//   event in     transport (io thread) -> cdp_decoder -> event_dispatcher's mailbox. When that
//                mailbox is full, the event waits in a backlog, the transport stops reading
//                (pause_reading) and a coroutine feeds the backlog in with a waiting tell, then
//                lets reading resume: the browser is slowed down, nothing is dropped, and memory
//                stays bounded by what one read had already taken in.
// Replies do not queue behind events in a mailbox: the request path is the one every benchmark
// measures, and a reply has exactly one receiver that is already waiting for it.
//
// When the transport ends (peer gone, I/O error, oversized or malformed message, close()), every
// pending request fails at once with errc::disconnected — stamped with whether it had been sent —
// and the connection actor is told, so that its supervisor can decide about a reconnect.
//
// When the browser itself has died (errc::browser_exited: the exit watcher's close(), or the exit
// probe at the transport's end), that is the one place this is known: besides the requests, the
// event dispatcher is told to end every subscription with that error after the events already
// read (event_dispatcher::end), so that waits which are not requests end now too.
//
// @par Thread Safety
// All public members may be called from any thread.
#pragma once

#include <janus/session/event_dispatcher.hpp>
#include <janus/session/pending_requests.hpp>
#include <janus/protocol/cdp_codec.hpp>
#include <janus/protocol/transport.hpp>
#include <janus/rt/scheduler.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace janus::session {

/// @par Thread Safety
/// A plain value.
struct connection_options {
  protocol::transport_limits limits;
  /// Opening the connection (TCP connect and WebSocket handshake) must finish within this.
  std::chrono::milliseconds connect_timeout{10000};
  /// A command's deadline when the call does not give one.
  std::chrono::milliseconds default_timeout{30000};
  /// How long close() waits for queued commands to be written.
  std::chrono::milliseconds close_timeout{2000};
  /// Events waiting in the dispatcher's mailbox before the connection stops reading.
  std::size_t dispatcher_mailbox = 4096;
  /// Name used in actor names and error messages.
  std::string name = "cdp";
};

/// Counters of one connection; a snapshot.
struct connection_stats {
  std::uint64_t messages_in = 0;
  std::uint64_t replies = 0;
  std::uint64_t events = 0;
  std::uint64_t unmatched_replies = 0;  // replies for no pending request (late after a timeout)
  std::uint64_t protocol_errors = 0;    // `{"error":…}` without id: the browser could not read a command
  std::uint64_t read_pauses = 0;        // times the dispatcher's backlog paused reading
  std::uint64_t commands_parked = 0;    // commands that waited for room in the transport's queue
  std::uint64_t connects = 0;           // transports attached (1 + reconnects)
  std::size_t pending = 0;
};

class connection_core : public std::enable_shared_from_this<connection_core> {
 public:
  /// A command on its way out: lives in the caller's awaiter, is linked into the parked list while
  /// the transport is full.
  struct outgoing {
    outgoing* next = nullptr;
    std::int64_t id = 0;
    std::string text;
    bool parked = false;
  };

  connection_core(rt::scheduler& sched, connection_options options);
  ~connection_core();
  connection_core(const connection_core&) = delete;
  connection_core& operator=(const connection_core&) = delete;

  rt::scheduler& sched() const noexcept { return sched_; }
  const connection_options& options() const noexcept { return options_; }
  pending_requests& pending() noexcept { return pending_; }
  const dispatcher_ref& dispatcher() const noexcept { return dispatcher_; }

  /// Sends `o.text` now, or parks it (FIFO) while the transport's queue is full. Failing to send
  /// fails o.id in the pending table.
  void submit(outgoing& o);
  /// Takes `o` out of the parked list if it is still there.
  void withdraw(outgoing& o) noexcept;

  // --- transport lifecycle, driven by the connection actor ---------------------------------------

  /// A handler for the next transport. Callbacks of a transport that has been replaced are ignored.
  std::shared_ptr<protocol::transport_handler> next_handler();
  /// Makes `t` (opened with the last next_handler()) the connection's transport and accepts
  /// requests again.
  void attach(std::shared_ptr<protocol::transport> t);
  /// Closes the transport for good; pending requests fail with `code` and `why`.
  void close(std::string why, rt::errc code = rt::errc::disconnected);
  /// One flattened session's target crashed or went away: its pending requests fail with `code`
  /// now, and its later ones at once (pending_requests::fail_session). Other sessions go on.
  std::size_t fail_session(std::string_view session_id, rt::errc code, std::string_view why) {
    return pending_.fail_session(session_id, code, why);
  }
  /// For a connection to a process this side started: called on the io thread when the transport
  /// ends without close(), and returning true when the process has exited. A socket or pipe reaches
  /// EOF as the dying process's fds are closed, before its exit is observable elsewhere, so without
  /// asking here the pending requests would fail as merely disconnected. May block briefly.
  void set_exit_probe(std::function<bool()> probe);
  /// close() was called: the transport's end is not a failure.
  bool closing() const noexcept { return closing_.load(std::memory_order_acquire); }
  /// Called (on the io thread) once the current transport has ended, after every pending request
  /// has been failed.
  void set_on_closed(std::function<void(rt::error)> f);
  bool connected() const;

  connection_stats stats() const;

 private:
  class handler;
  friend class handler;

  // io thread, from the current transport's handler.
  void on_message(std::uint64_t generation, std::string_view text);
  void on_writable(std::uint64_t generation);
  void on_closed(std::uint64_t generation, rt::error why);
  void forward_event(protocol::cdp_message& m);
  void fail_connection(std::uint64_t generation, rt::error why);
  /// The browser died: the dispatcher ends every subscription with `why`, once, after the backlog.
  void end_events(rt::error why);
  rt::task<void> tell_end(rt::error why);
  rt::task<void> drain_backlog();
  bool try_send_locked(outgoing& o);

  rt::scheduler& sched_;
  const connection_options options_;
  pending_requests pending_;
  dispatcher_ref dispatcher_;
  protocol::cdp_decoder decoder_;  // io thread only

  mutable std::mutex send_mu_;  // transport_, generation_, the parked list
  std::shared_ptr<protocol::transport> transport_;
  std::uint64_t generation_ = 0;
  outgoing* parked_head_ = nullptr;
  outgoing* parked_tail_ = nullptr;
  std::string close_reason_;  // why this side is ending the transport (parse error, close())
  rt::errc close_code_ = rt::errc::disconnected;

  std::mutex backlog_mu_;
  std::deque<cdp_event> backlog_;
  bool draining_ = false;
  std::optional<rt::error> end_after_backlog_;  // guarded by backlog_mu_
  std::atomic<bool> events_ended_{false};

  std::mutex on_closed_mu_;
  std::function<void(rt::error)> on_closed_;
  std::function<bool()> exit_probe_;  // guarded by on_closed_mu_

  std::atomic<bool> closing_{false};
  std::atomic<std::uint64_t> messages_in_{0}, replies_{0}, events_{0}, protocol_errors_{0}, read_pauses_{0},
      commands_parked_{0}, connects_{0};
};

}  // namespace janus::session
