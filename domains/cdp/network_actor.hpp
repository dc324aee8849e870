// The CDP side of `network` (network.hpp): the actor keeping the request table from the Network
// domain's events, and the backend a `network` handle made by start() forwards to.
#pragma once

#include "domain_actor.hpp"

#include <janus/domains/network.hpp>
#include <janus/rt/stream.hpp>

#include <deque>
#include <optional>
#include <unordered_map>
#include <variant>

namespace janus::domains {

/// The actor behind Chromium's `network`. Use the handle; the messages are its protocol.
class network_actor : public detail::domain_actor<network_actor> {
 public:
  using domain_actor::handle;
  struct get_requests {};
  struct get_stats {};
  struct clear {};
  struct wait_idle {
    std::chrono::milliseconds quiet;
    rt::deadline until;
    // Only requests started at or after this sequence number count (network_stats::next_seq).
    std::uint64_t since = 0;
  };
  using message = std::variant<pump, enable, get_requests, get_stats, clear, wait_idle>;
  static constexpr std::size_t mailbox_capacity = 256;

  network_actor(rt::scheduler* sched, session::cdp_session session, network_options options);

  rt::task<void> handle(pump p);
  std::vector<network_request> handle(get_requests) const;
  network_stats handle(get_stats) const;
  void handle(clear);
  rt::task<rt::result<void>> handle(wait_idle w);
  /// Network.enable (domain_actor's enable, once the pump is subscribed).
  rt::task<rt::result<void>> send_enable(rt::deadline until);

 private:
  void apply(const session::cdp_event& ev);
  network_request* latest(const std::string& request_id);
  std::size_t in_flight_since(std::uint64_t since) const;
  // Requests started at or after `since` that still keep the network busy at `now` (see the top
  // of network.hpp); `next_change` is lowered to when the first of them stops counting.
  std::size_t busy_since(std::uint64_t since, std::chrono::milliseconds quiet, rt::time_point now,
                         rt::time_point& next_change) const;
  network_request& add_row(network_request row);
  void ended(const std::string& request_id, double at);
  void touch();

  network_options options_;
  std::deque<network_request> rows_;
  std::uint64_t first_seq_ = 0;  // sequence number of rows_.front()
  std::unordered_map<std::string, std::uint64_t> latest_seq_;
  struct flight {
    std::uint64_t seq;        // the sequence number it started with (its first hop's row)
    rt::time_point last;      // its last event
    bool responded = false;   // the current hop's response headers arrived
  };
  std::unordered_map<std::string, flight> in_flight_;
  network_stats stats_;
  const rt::subscription<session::cdp_event>* sub_ = nullptr;
  rt::time_point last_activity_;
  rt::stream<int> activity_;  // wakes wait_idle whenever something changes
  bool pump_ended_ = false;
  /// Why the pump ended, when its browser died (errc::browser_exited): waits fail with it.
  std::optional<rt::error> pump_error_;
};

/// `network` over CDP: each call an ask of the actor (or a command on the session).
class cdp_network_backend final : public detail::cdp_backend<network_backend, network_actor> {
 public:
  using cdp_backend::cdp_backend;
  rt::task<rt::result<void>> enable(rt::deadline d) override;
  rt::task<rt::result<std::vector<network_request>>> requests(rt::deadline d) override;
  rt::task<rt::result<network_stats>> stats(rt::deadline d) override;
  rt::task<rt::result<std::size_t>> in_flight(rt::deadline d) override;
  rt::task<rt::result<void>> clear(rt::deadline d) override;
  rt::task<rt::result<void>> wait_idle_since(std::chrono::milliseconds quiet, std::uint64_t since,
                                             rt::deadline d) override;
  rt::task<rt::result<fetched_body>> response_body(std::string request_id, rt::deadline d) override;
  rt::task<rt::result<header_list>> request_headers(std::string request_id, rt::deadline d) override;
  rt::task<rt::result<header_list>> response_headers(std::string request_id, rt::deadline d) override;
};

}  // namespace janus::domains
