// Network: a table of the page's requests, kept from the Network domain's events.
//
//   domains::network net = domains::network::start(sched, page_session);
//   co_await net.enable();                              // before navigating, or requests are missed
//   ... navigate ...
//   co_await net.wait_idle(500ms, rt::deadline(30s));   // nothing in flight for 500 ms
//   auto table = co_await net.requests();               // a snapshot, oldest first
//   auto body = co_await net.response_body(table->back().request_id);
//
// One row per hop: a redirect keeps its requestId, so the hop that was redirected is closed with
// the redirect response (state `redirected`) and a new row with redirect_index + 1 follows it. The
// table is a ring of `capacity` rows; rows pushed out are counted (stats().evicted), and a request
// pushed out while in flight still counts as in flight until the browser says it ended, so
// wait_idle stays right.
//
// When a request counts as in flight for idleness (wait_idle, and navigations waiting for network
// idle). The browser does not say "done" for everything that no longer loads: Chromium reports no
// loadingFinished for a response whose body the page never reads, and long-polls, EventSource
// streams and the like are open for the page's life. So a request started since the wait's mark
// keeps the network busy until
//   - the browser says it finished or failed, or
//   - its response headers arrived and nothing more came for it for the wait's quiet period: the
//     response is complete as far as the network shows (an unread body; a stream between
//     messages, whose next message is activity again), or
//   - no response came and nothing happened to it for network_options::long_lived_after (5 s by
//     default): a long-poll, or a request its server holds open.
// WebSockets are not requests here (Chromium reports them with webSocket* events, which the table
// does not track), so an open WebSocket never holds idleness up. Rows keep their real state
// (`responded`, no end time): only idleness stops waiting for them; network_stats counts them.
// Firefox's tab follows the same rule (firefox_tab_options::long_lived_after); Firefox itself does
// report an unread body finished.
//
// Works across navigations: Network.enable lasts for the target's lifetime, and the table keeps
// the rows of earlier documents until they are pushed out or clear() is called.
//
// @par Thread Safety
// `network` is a handle: copies may be used from any threads at once, sharing one backend (see
// backend.hpp). Chromium's state lives in an actor fed by its event subscription; every reader
// gets a copy through an ask, never a reference into the live table. The actor stops when the
// last handle goes away.
#pragma once

#include <janus/session/cdp_session.hpp>
#include <janus/domains/backend.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace janus::domains {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// One hop of one request.
///
/// @par Thread Safety
/// A plain value.
struct network_request {
  enum class state : std::uint8_t { pending, responded, finished, failed, redirected };

  std::string request_id;
  /// 0 for the first hop, n for the n-th redirect of the same requestId.
  std::uint32_t redirect_index = 0;
  std::string url;
  std::string method;
  /// "Document", "Script", "Fetch", ... as Chromium names it.
  std::string resource_type;
  std::string frame_id;
  std::string loader_id;
  header_list request_headers;

  state status_state = state::pending;
  int status = 0;
  std::string status_text;
  header_list response_headers;
  std::string mime_type;
  std::string protocol;
  std::string remote_address;

  /// Monotonic seconds as the browser counts them (Network.MonotonicTime); 0 when not reached.
  double start_time = 0;
  double response_time = 0;
  double end_time = 0;
  /// Seconds since the epoch when the request started.
  double wall_time = 0;

  /// Bytes on the wire (headers included), from loadingFinished, or the sum of dataReceived's
  /// encoded lengths while the request is still loading.
  std::int64_t encoded_data_length = 0;
  /// Decoded body bytes received (the sum of dataReceived's dataLength).
  std::int64_t data_length = 0;

  /// loadingFailed's errorText ("net::ERR_ABORTED", ...); empty unless failed.
  std::string failure;
  bool canceled = false;
  std::string blocked_reason;
  /// Served from the memory or disk cache (requestServedFromCache or the response's flags).
  bool from_cache = false;
  bool from_service_worker = false;

  bool in_flight() const noexcept { return status_state == state::pending || status_state == state::responded; }
};

/// @par Thread Safety
/// A plain value.
struct network_stats {
  std::size_t rows = 0;          // rows in the table now
  std::size_t in_flight = 0;     // requests started and not yet finished or failed
  std::uint64_t requests = 0;    // hops ever added (redirect hops included)
  std::uint64_t evicted = 0;     // rows pushed out of the ring
  std::uint64_t events = 0;      // Network events applied
  std::uint64_t unknown = 0;     // events about a request the table never saw start
  std::uint64_t malformed = 0;   // events whose params could not be read
  std::uint64_t dropped = 0;     // events lost by the subscription (0 with the default policy)
  std::uint64_t next_seq = 0;    // the sequence number the next request will start with
  std::uint64_t idle_unfinished = 0;  // waits that went idle past a request the browser never
                                      // finished (an unread body, a stream, a long-poll)
};

/// A response body, decoded from base64 when the browser sent it so.
///
/// @par Thread Safety
/// A plain value.
struct fetched_body {
  std::string bytes;
  bool was_base64 = false;
};

/// @par Thread Safety
/// A plain value.
struct network_options {
  /// Rows kept; older rows are pushed out (and counted).
  std::size_t capacity = 2000;
  /// The event subscription's queue. It blocks rather than drops: the actor's pump never waits
  /// on anything but its queue, so a full queue only slows the browser for a moment.
  std::size_t event_queue = 4096;
  std::chrono::milliseconds command_timeout{10000};
  /// A request with no response and no activity for this long stops counting for idleness (see
  /// the top of this file): a long-poll or a response its server holds back.
  std::chrono::milliseconds long_lived_after{5000};
};

/// The calls of `network`, over one protocol (see backend.hpp). Calls not overridden
/// fail with errc::unsupported.
///
/// @par Thread Safety
/// See backend.hpp: called from any thread at once.
class network_backend : public domain_backend {
 public:
  using domain_backend::domain_backend;
  virtual rt::task<rt::result<void>> enable(rt::deadline d);
  virtual rt::task<rt::result<std::vector<network_request>>> requests(rt::deadline d);
  virtual rt::task<rt::result<network_stats>> stats(rt::deadline d);
  virtual rt::task<rt::result<std::size_t>> in_flight(rt::deadline d);
  virtual rt::task<rt::result<void>> clear(rt::deadline d);
  virtual rt::task<rt::result<void>> wait_idle_since(std::chrono::milliseconds quiet, std::uint64_t since,
                                                     rt::deadline d);
  virtual rt::task<rt::result<fetched_body>> response_body(std::string request_id, rt::deadline d);
  virtual rt::task<rt::result<header_list>> request_headers(std::string request_id, rt::deadline d);
  virtual rt::task<rt::result<header_list>> response_headers(std::string request_id, rt::deadline d);
};

class network {
 public:
  network() = default;

  /// Spawns the CDP actor on `sched` for one page session, behind a handle over its backend.
  /// Nothing is sent until first use.
  static network start(rt::scheduler& sched, session::cdp_session session, network_options options = {});
  /// A handle whose calls go to `backend` (another protocol than CDP; see backend.hpp).
  static network over(std::shared_ptr<network_backend> backend);

  explicit operator bool() const noexcept { return backend_ != nullptr; }

  /// Subscribes to Network events, then sends Network.enable. Every other call enables first;
  /// call it explicitly before navigating so the first requests are not missed.
  rt::task<rt::result<void>> enable(rt::deadline d) const;
  rt::task<rt::result<void>> enable() const { return enable(std::chrono::seconds(10)); }

  /// A copy of the table, oldest row first.
  rt::task<rt::result<std::vector<network_request>>> requests(rt::deadline d) const;
  rt::task<rt::result<std::vector<network_request>>> requests() const { return requests(std::chrono::seconds(10)); }
  rt::task<rt::result<network_stats>> stats(rt::deadline d) const;
  rt::task<rt::result<network_stats>> stats() const { return stats(std::chrono::seconds(10)); }
  rt::task<rt::result<std::size_t>> in_flight(rt::deadline d) const;
  rt::task<rt::result<std::size_t>> in_flight() const { return in_flight(std::chrono::seconds(10)); }
  /// Empties the table (in-flight requests are still tracked for wait_idle).
  rt::task<rt::result<void>> clear(rt::deadline d) const;
  rt::task<rt::result<void>> clear() const { return clear(std::chrono::seconds(10)); }

  /// Returns once no request has been in flight for `quiet`; errc::timeout at the deadline.
  /// Event-driven: it wakes on each Network event, not on a polling interval. Call it after the
  /// navigation's load event (or its reply): the quiet period starts at the last request seen
  /// ending, and a request the browser has announced but whose event is still on its way here is
  /// covered by that period, not by the table.
  rt::task<rt::result<void>> wait_idle(std::chrono::milliseconds quiet, rt::deadline d) const;
  rt::task<rt::result<void>> wait_idle() const { return wait_idle(std::chrono::milliseconds(500), std::chrono::seconds(30)); }
  rt::task<rt::result<void>> wait_idle(std::chrono::milliseconds quiet) const { return wait_idle(std::move(quiet), std::chrono::seconds(30)); }
  /// The same, counting only requests started at or after `since` (a network_stats::next_seq
  /// read before the navigation was sent): a request of an earlier document that the browser
  /// never reports ending (Chromium does not always, when the document is replaced while it
  /// loads) cannot hold up a later page's wait.
  rt::task<rt::result<void>> wait_idle_since(std::chrono::milliseconds quiet, std::uint64_t since,
                                             rt::deadline d) const;

  /// Network.getResponseBody for a finished request (errc::protocol when the browser no longer
  /// has it, e.g. after a navigation evicted it from its resource buffer).
  rt::task<rt::result<fetched_body>> response_body(std::string request_id, rt::deadline d) const;
  rt::task<rt::result<fetched_body>> response_body(std::string request_id) const { return response_body(std::move(request_id), std::chrono::seconds(10)); }
  /// The headers of a request and of its response, from the latest hop of `request_id`
  /// (errc::not_found when the table has no such request). Chromium's come from the table;
  /// Firefox's are asked of the browser.
  rt::task<rt::result<header_list>> request_headers(std::string request_id, rt::deadline d) const;
  rt::task<rt::result<header_list>> request_headers(std::string request_id) const { return request_headers(std::move(request_id), std::chrono::seconds(10)); }
  rt::task<rt::result<header_list>> response_headers(std::string request_id, rt::deadline d) const;
  rt::task<rt::result<header_list>> response_headers(std::string request_id) const { return response_headers(std::move(request_id), std::chrono::seconds(10)); }

  /// Stops the CDP actor now (the last handle's destruction does the same); nothing for other
  /// backends.
  void stop() const;

 private:
  std::shared_ptr<network_backend> backend_;
};

}  // namespace janus::domains
