// The state of one RDP connection, shared by its handles, its request awaiters, the transport's
// handler and the launcher (through failer()). The data path:
//
//   transport --on_message--> rdp_core: counts, reads bulk packets' headers, decodes, holds the
//   greeting; every later packet --> rdp_event_router (rdp_event_routing.hpp): an event goes to
//   subscriptions, a reply comes back (settle_reply) --> rdp_actor_queues (rdp_actor_queues.hpp)
//   pairs it with its request, whose awaiter (rdp_connection.cpp) is resumed.
//
//   rdp_connection::request --> request awaiter --> rdp_core::submit: queued on its actor and
//   written to the transport in one step.
//
// Private to protocol/session/ (not installed).
//
// @par Thread Safety
// All members may be called from any thread. The transport's callbacks come one at a time from the
// io thread. One mutex (mu_) guards the transport, the per-actor queues, the greeting and the
// closed state; the router has its own (see rdp_event_routing.hpp for the order).
#pragma once

#include "rdp_actor_queues.hpp"
#include "rdp_event_routing.hpp"

#include <janus/protocol/rdp_codec.hpp>
#include <janus/protocol/transport.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/time.hpp>
#include <janus/session/rdp_connection.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace janus::session::detail {

class rdp_core final : public std::enable_shared_from_this<rdp_core>, private rdp_route_sink {
 public:
  rdp_core(rt::scheduler& sched, rdp_connection_options options);
  ~rdp_core();
  rdp_core(const rdp_core&) = delete;
  rdp_core& operator=(const rdp_core&) = delete;

  rt::scheduler& sched() const noexcept { return sched_; }
  const rdp_connection_options& options() const noexcept { return options_; }

  /// The transport's handler: holds the core weakly, so that the transport does not keep it open.
  class handler final : public protocol::transport_handler {
   public:
    explicit handler(std::weak_ptr<rdp_core> core) : core_(std::move(core)) {}
    void on_message(std::string&& message) override {
      if (auto c = core_.lock()) c->on_message(std::move(message));
    }
    void on_closed(rt::error why) override {
      if (auto c = core_.lock()) c->on_closed(std::move(why));
    }

   private:
    std::weak_ptr<rdp_core> core_;
  };

  // --- connecting -------------------------------------------------------------------------------
  /// Hands the first packet to `c` (which holds a reference for this) now if it has come, else when
  /// it comes, or fails it when the connection ends first.
  void wait_greeting(reply_cell* c);
  void set_greeting(protocol::rdp_owned_message g);
  const protocol::rdp_owned_message& greeting() const noexcept { return greeting_; }
  void attach(std::shared_ptr<protocol::transport> t);
  void set_exit_probe(std::function<bool()> probe);

  // --- requests -----------------------------------------------------------------------------------
  /// Queues `p` on its actor and writes `text`, both under the lock, so that the wire order of two
  /// concurrent requests to one actor is their queue order. Returns false (and settles the cell)
  /// when it could not be sent.
  bool submit(const rdp_entry& p, std::string&& text, rt::deadline d);
  /// The request's deadline passed: poison its actor (see rdp_connection.hpp for why).
  void expire(const rdp_entry& p, std::chrono::milliseconds after);
  /// The caller gave up (cancelled, or its frame is gone): the reply still has to be consumed.
  void abandon(const rdp_entry& p, rt::error why);
  bool poisoned(std::string_view actor) const;

  // --- events ---------------------------------------------------------------------------------------
  rt::result<rt::subscription<rdp_event>> subscribe(rdp_subscription_spec spec) { return router_.subscribe(std::move(spec)); }
  void set_actor_type(std::string actor_id, std::string type_name) {
    router_.set_actor_type(std::move(actor_id), std::move(type_name));
  }

  // --- lifecycle ------------------------------------------------------------------------------------
  /// Ends the connection: every pending request (and a pending greeting) fails with `code`,
  /// subscriptions end, the transport is closed. The first cause wins.
  void close(std::string why, rt::errc code);
  bool connected() const;
  rdp_stats stats() const;

 private:
  void fail_all(std::string why, rt::errc code);
  void on_message(std::string&& text);  // io thread
  void on_closed(rt::error why);        // io thread: the transport ended
  void fail_bulk(std::string_view actor);

  // rdp_route_sink: called by the router, without its locks (but see pause_reading there).
  void settle_reply(const protocol::rdp_owned_message& m) override;
  void note_undeclared(const protocol::rdp_owned_message& m) override;
  void cancel_prefix(std::string_view prefix) override;
  void pause_reading() override;
  void resume_reading() override;

  rt::scheduler& sched_;
  const rdp_connection_options options_;
  protocol::rdp_decoder decoder_;  // io thread only
  protocol::rdp_owned_message greeting_;  // written once before the handle exists

  mutable std::mutex mu_;  // everything below, up to router_
  std::shared_ptr<protocol::transport> transport_;
  rdp_actor_queues queues_;
  reply_cell* greeting_cell_ = nullptr;
  std::optional<protocol::rdp_owned_message> first_;
  bool greeted_ = false;
  bool closed_ = false;
  bool closing_ = false;
  rt::errc closed_code_ = rt::errc::disconnected;
  std::string closed_why_;
  std::function<bool()> exit_probe_;

  rdp_event_router router_;  // thread-safe on its own

  std::atomic<std::uint64_t> packets_in_{0}, bulk_{0};
};

}  // namespace janus::session::detail
