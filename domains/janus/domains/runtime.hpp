// Runtime: the page's JavaScript execution contexts, kept from executionContextCreated /
// Destroyed / Cleared, and evaluation in them.
//
//   domains::js_runtime js = domains::js_runtime::start(sched, page_session);
//   auto v = co_await js.evaluate_value("document.title");            // protocol::json_value
//   domains::evaluate_options o;
//   o.return_by_value = false;
//   auto h = co_await js.evaluate("document.body", o);                 // h->object.object_id
//
// A JS exception is an error value: errc::javascript, whose message is the exception's line
// ("Uncaught Error: boom") followed by its stack, one "    at …" line each.
//
// The class is js_runtime, not runtime, so that it never reads as janus::rt (the actor runtime).
//
// @par Thread Safety
// `js_runtime` is a handle: copies may be used from any threads at once. The context table lives
// in an actor fed by its event subscription; readers get copies through asks. evaluate() does not
// go through the actor: it is a command on the session, and needs no cached state.
#pragma once

#include <janus/session/cdp_session.hpp>
#include <janus/domains/backend.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace janus::domains {

/// @par Thread Safety
/// A plain value.
struct execution_context {
  std::int64_t id = 0;
  /// Stable across processes, unlike id (Runtime.ExecutionContextDescription.uniqueId).
  std::string unique_id;
  std::string origin;
  std::string name;
  std::string frame_id;
  /// "default" (the frame's main world), "isolated", "worker", ...
  std::string type;
  bool is_default = false;
};

/// A handle to an object that stays in the page (release it when done).
///
/// @par Thread Safety
/// A plain value.
struct remote_object {
  std::string object_id;
  std::string type;        // "object", "function", ...
  std::string subtype;     // "node", "array", "null", ...
  std::string class_name;
  std::string description;
};

/// What an evaluation produced.
///
/// @par Thread Safety
/// A plain value.
struct js_value {
  /// "undefined", "string", "number", "boolean", "object", "function", "bigint", "symbol".
  std::string type;
  /// The value itself when it could be sent as JSON (by value, or a primitive); null for
  /// undefined and for values only reachable through `object`.
  protocol::json_value value;
  /// NaN, Infinity, -Infinity, -0 or a BigInt ("12n"), which JSON cannot hold; empty otherwise.
  std::string unserializable;
  /// Set when the result was left in the page (return_by_value false and not a primitive).
  std::optional<remote_object> object;
};

/// @par Thread Safety
/// A plain value.
struct evaluate_options {
  /// Where to run; unset: the main frame's default context.
  std::optional<std::int64_t> context_id;
  /// Wait for a returned promise to settle and use its value (a rejection is errc::javascript).
  bool await_promise = true;
  /// true: the result as JSON (js_value::value); false: a handle to it (js_value::object).
  bool return_by_value = true;
  bool user_gesture = false;
  rt::deadline until = rt::deadline(std::chrono::seconds(30));
};

/// @par Thread Safety
/// A plain value.
struct runtime_stats {
  std::uint64_t created = 0;
  std::uint64_t destroyed = 0;
  std::uint64_t cleared = 0;    // executionContextsCleared (one per navigation)
  std::uint64_t malformed = 0;
  std::uint64_t dropped = 0;
};

/// @par Thread Safety
/// A plain value.
struct runtime_options {
  std::size_t event_queue = 1024;
  std::chrono::milliseconds command_timeout{10000};
};

/// The calls of `js_runtime`, over one protocol (see backend.hpp). Calls not overridden
/// fail with errc::unsupported.
///
/// @par Thread Safety
/// See backend.hpp: called from any thread at once.
class js_runtime_backend : public domain_backend {
 public:
  using domain_backend::domain_backend;
  virtual rt::task<rt::result<std::vector<execution_context>>> contexts(rt::deadline d);
  virtual rt::task<rt::result<runtime_stats>> stats(rt::deadline d);
  virtual rt::task<rt::result<execution_context>> default_context(std::string frame_id, rt::deadline d);
  virtual rt::task<rt::result<js_value>> evaluate(std::string expression, evaluate_options options);
  virtual rt::task<rt::result<protocol::json_value>> evaluate_value(std::string expression, rt::deadline d);
  virtual rt::task<rt::result<void>> release(std::string object_id, rt::deadline d);
  virtual rt::task<rt::result<void>> enable(rt::deadline d);
};

class js_runtime {
 public:
  js_runtime() = default;
  static js_runtime start(rt::scheduler& sched, session::cdp_session session, runtime_options options = {});
  /// A handle whose calls go to `backend` (another protocol than CDP; see backend.hpp).
  static js_runtime over(std::shared_ptr<js_runtime_backend> backend);
  explicit operator bool() const noexcept { return backend_ != nullptr; }

  /// Subscribes, then sends Runtime.enable (which reports the contexts that already exist).
  rt::task<rt::result<void>> enable(rt::deadline d) const;
  rt::task<rt::result<void>> enable() const { return enable(std::chrono::seconds(10)); }
  /// The live contexts, by id.
  rt::task<rt::result<std::vector<execution_context>>> contexts(rt::deadline d) const;
  rt::task<rt::result<std::vector<execution_context>>> contexts() const { return contexts(std::chrono::seconds(10)); }
  rt::task<rt::result<runtime_stats>> stats(rt::deadline d) const;
  rt::task<rt::result<runtime_stats>> stats() const { return stats(std::chrono::seconds(10)); }
  /// The default context of `frame_id` (of any frame when empty; the main frame's comes first
  /// after a navigation), waiting for it to be created if need be.
  rt::task<rt::result<execution_context>> default_context(std::string frame_id, rt::deadline d) const;
  rt::task<rt::result<execution_context>> default_context() const { return default_context(std::string{}, std::chrono::seconds(10)); }
  rt::task<rt::result<execution_context>> default_context(std::string frame_id) const { return default_context(std::move(frame_id), std::chrono::seconds(10)); }

  /// Runtime.evaluate. errc::javascript for an exception (or a rejected promise when awaited);
  /// errc::protocol when the browser refuses (for one, a context id that no longer exists).
  rt::task<rt::result<js_value>> evaluate(std::string expression, evaluate_options options) const;
  rt::task<rt::result<js_value>> evaluate(std::string expression) const { return evaluate(std::move(expression), evaluate_options{}); }
  /// evaluate() by value, returning just the value (undefined as null).
  rt::task<rt::result<protocol::json_value>> evaluate_value(std::string expression, rt::deadline d) const;
  rt::task<rt::result<protocol::json_value>> evaluate_value(std::string expression) const { return evaluate_value(std::move(expression), std::chrono::seconds(30)); }
  /// Runtime.releaseObject.
  rt::task<rt::result<void>> release(std::string object_id, rt::deadline d) const;
  rt::task<rt::result<void>> release(std::string object_id) const { return release(std::move(object_id), std::chrono::seconds(10)); }

  void stop() const;

 private:
  std::shared_ptr<js_runtime_backend> backend_;
};

/// Turns a Runtime.evaluate / callFunctionOn reply into a js_value, or errc::javascript with the
/// exception's text and stack. Shared with the DOM mirror's helpers.
rt::result<js_value> js_value_from_reply(std::string_view reply_json);

}  // namespace janus::domains
