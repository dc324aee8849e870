// Request interception through the Fetch domain: requests whose URL matches a pattern are paused
// in the browser, a handler decides, and the request goes on (maybe changed), is answered from
// here, or fails.
//
//   domains::intercept_options o;
//   o.patterns = {{.url_pattern = "*/api/*", .resource_type = {}, .response_stage = false}};
//   auto icpt = domains::interceptor::start(sched, page_session, o, [](const domains::paused_request& r) {
//     if (r.url.ends_with("/api/user")) return domains::decision::fulfill(200, R"({"name":"x"})", "application/json");
//     if (r.url.ends_with("/api/ads")) return domains::decision::fail("BlockedByClient");
//     return domains::decision::go_on();
//   });
//   co_await icpt.enable();
//   ...
//   co_await icpt.disable();   // before dropping it: see below
//
// The handler runs inside the interceptor's actor, one paused request at a time, and must not
// block: it only decides. The decision is sent by a detached task, so a slow reply never stalls
// the events of the next paused requests.
//
// A paused request waits for an answer for ever: disable() before the interceptor goes away. As a
// last resort its actor sends Fetch.disable when it stops, without waiting for the reply.
//
// @par Thread Safety
// `interceptor` is a handle: copies may be used from any threads at once. The handler is called
// from the actor only, never concurrently with itself.
#pragma once

#include <janus/session/cdp_session.hpp>
#include <janus/domains/backend.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace janus::domains {

/// Which requests to pause (Fetch.RequestPattern).
///
/// @par Thread Safety
/// A plain value.
struct intercept_pattern {
  /// Wildcards: '*' any run of characters, '?' one character; "*" matches everything.
  std::string url_pattern = "*";
  /// "Document", "Script", "XHR", "Fetch", ...; empty for any.
  std::string resource_type;
  /// false: pause before the request is sent; true: pause once the response headers are in.
  bool response_stage = false;
};

/// A request paused in the browser (Fetch.requestPaused).
///
/// @par Thread Safety
/// A plain value.
struct paused_request {
  std::string fetch_id;    // Fetch's requestId: what the decision answers
  std::string network_id;  // the Network domain's requestId of the same request, if any
  std::string url;
  std::string method;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string post_data;
  std::string resource_type;
  std::string frame_id;
  /// At the response stage: the response's status and headers.
  std::optional<int> response_status;
  std::vector<std::pair<std::string, std::string>> response_headers;
};

/// What to do with a paused request.
///
/// @par Thread Safety
/// A plain value.
struct decision {
  enum class kind : std::uint8_t { go_on, fulfill, fail };
  kind what = kind::go_on;
  // go_on: overrides (empty / unset: as the page asked).
  std::string url;
  std::string method;
  std::optional<std::vector<std::pair<std::string, std::string>>> headers;
  std::optional<std::string> post_data;
  // fulfill
  int status = 200;
  std::vector<std::pair<std::string, std::string>> response_headers;
  std::string body;
  // fail: a Network.ErrorReason ("Failed", "Aborted", "BlockedByClient", "ConnectionRefused", ...).
  std::string error_reason;

  static decision go_on() { return decision{}; }
  static decision fulfill(int status, std::string body, std::string content_type = "text/plain") {
    decision d;
    d.what = kind::fulfill;
    d.status = status;
    d.body = std::move(body);
    d.response_headers.emplace_back("Content-Type", std::move(content_type));
    return d;
  }
  static decision fail(std::string reason = "Failed") {
    decision d;
    d.what = kind::fail;
    d.error_reason = std::move(reason);
    return d;
  }
};

/// @par Thread Safety
/// A plain value.
struct intercept_stats {
  std::uint64_t paused = 0;
  std::uint64_t continued = 0;
  std::uint64_t fulfilled = 0;
  std::uint64_t failed = 0;
  std::uint64_t handler_errors = 0;   // the handler threw: the request was let through
  std::uint64_t answer_errors = 0;    // the browser refused a decision (the request was gone)
  std::uint64_t malformed = 0;
  std::uint64_t dropped = 0;
};

/// @par Thread Safety
/// A plain value.
struct intercept_options {
  std::vector<intercept_pattern> patterns{intercept_pattern{}};
  std::size_t event_queue = 1024;
  std::chrono::milliseconds command_timeout{10000};
};

using intercept_handler = std::function<decision(const paused_request&)>;

/// The calls of `interceptor`, over one protocol (see backend.hpp). Calls not overridden fail
/// with errc::unsupported.
///
/// @par Thread Safety
/// See backend.hpp: called from any thread at once.
class interceptor_backend : public domain_backend {
 public:
  using domain_backend::domain_backend;
  virtual rt::task<rt::result<void>> enable(rt::deadline d);
  virtual rt::task<rt::result<void>> disable(rt::deadline d);
  virtual rt::task<rt::result<intercept_stats>> stats(rt::deadline d);
};

class interceptor {
 public:
  interceptor() = default;
  static interceptor start(rt::scheduler& sched, session::cdp_session session, intercept_options options,
                           intercept_handler handler);
  /// A handle whose calls go to `backend` (see backend.hpp).
  static interceptor over(std::shared_ptr<interceptor_backend> backend);
  explicit operator bool() const noexcept { return backend_ != nullptr; }

  /// Subscribes to Fetch.requestPaused, then sends Fetch.enable with the patterns.
  rt::task<rt::result<void>> enable(rt::deadline d) const;
  rt::task<rt::result<void>> enable() const { return enable(std::chrono::seconds(10)); }
  /// Fetch.disable: paused requests go on, nothing more is paused. enable() may follow.
  rt::task<rt::result<void>> disable(rt::deadline d) const;
  rt::task<rt::result<void>> disable() const { return disable(std::chrono::seconds(10)); }
  rt::task<rt::result<intercept_stats>> stats(rt::deadline d) const;
  rt::task<rt::result<intercept_stats>> stats() const { return stats(std::chrono::seconds(10)); }
  void stop() const;

 private:
  std::shared_ptr<interceptor_backend> backend_;
};

}  // namespace janus::domains
