// Errors as values: every fallible operation in Janus returns result<T>.
//
// An error carries a code (what kind of failure, for program logic), a message (for people), and
// for protocol errors the browser's own numeric code. Exceptions are not used on any hot path;
// a handler that throws is caught by the runtime and turned into a failure of its actor.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace janus::rt {

enum class errc : std::uint8_t {
  ok = 0,
  timeout,          // a deadline passed; see error::sent for whether the request was written
  cancelled,        // the operation was abandoned (its actor stopped, its caller gave up)
  mailbox_full,     // try_tell on a full bounded mailbox
  actor_stopped,    // the receiving actor no longer runs
  disconnected,     // the transport closed; see error::sent
  transport,        // an I/O failure on the transport
  protocol,         // the peer answered with an error (error::protocol_code holds its code)
  parse,            // malformed input
  message_too_large,
  browser_exited,
  browser_not_found,
  launch_failed,
  target_crashed,
  target_closed,
  stale_node,       // a DOM handle from an older document generation
  not_found,
  unsupported,      // the browser has no equivalent of the feature
  invalid_argument,
  handler_failed,   // an actor's handler threw or returned an error nobody awaited
  javascript,       // a JS exception in evaluated code
};

/// Human-readable name of an error code ("timeout", "mailbox_full", ...).
constexpr std::string_view to_string(errc c) noexcept {
  switch (c) {
    case errc::ok: return "ok";
    case errc::timeout: return "timeout";
    case errc::cancelled: return "cancelled";
    case errc::mailbox_full: return "mailbox_full";
    case errc::actor_stopped: return "actor_stopped";
    case errc::disconnected: return "disconnected";
    case errc::transport: return "transport";
    case errc::protocol: return "protocol";
    case errc::parse: return "parse";
    case errc::message_too_large: return "message_too_large";
    case errc::browser_exited: return "browser_exited";
    case errc::browser_not_found: return "browser_not_found";
    case errc::launch_failed: return "launch_failed";
    case errc::target_crashed: return "target_crashed";
    case errc::target_closed: return "target_closed";
    case errc::stale_node: return "stale_node";
    case errc::not_found: return "not_found";
    case errc::unsupported: return "unsupported";
    case errc::invalid_argument: return "invalid_argument";
    case errc::handler_failed: return "handler_failed";
    case errc::javascript: return "javascript";
  }
  return "unknown";
}

/// What went wrong. Cheap to move; the message is only built on the failure path.
struct error {
  errc code = errc::ok;
  std::string message;
  /// The peer's own error code for errc::protocol (CDP's JSON-RPC code); 0 otherwise.
  std::int64_t protocol_code = 0;
  /// For timeout / disconnected / cancelled of a request: whether it had been written to the wire,
  /// so the caller knows whether retrying could run it twice.
  bool sent = false;

  error() = default;
  error(errc c, std::string msg = {}) : code(c), message(std::move(msg)) {}

  /// "timeout: Page.navigate got no reply within 30000 ms (request was sent)"
  std::string what() const {
    std::string out(to_string(code));
    if (!message.empty()) {
      out += ": ";
      out += message;
    }
    return out;
  }
};

struct ok_t {};
inline constexpr ok_t ok{};

/// Either a T or an error. A minimal std::expected<T, error> (GCC 12 has no <expected>).
template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;

  result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  result(const T& v) : v_(std::in_place_index<0>, v) {}
  result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}
  template <class U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, result> &&
             !std::is_same_v<std::remove_cvref_t<U>, error> && !std::is_same_v<std::remove_cvref_t<U>, errc>)
  result(U&& v) : v_(std::in_place_index<0>, std::forward<U>(v)) {}
  result(error e) : v_(std::in_place_index<1>, std::move(e)) {}
  result(errc c, std::string msg = {}) : result(error{c, std::move(msg)}) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return *std::get_if<0>(&v_); }
  const T& value() const& { return *std::get_if<0>(&v_); }
  T&& value() && { return std::move(*std::get_if<0>(&v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*std::get_if<0>(&v_)); }
  T* operator->() { return std::get_if<0>(&v_); }
  const T* operator->() const { return std::get_if<0>(&v_); }

  const error& err() const& { return *std::get_if<1>(&v_); }
  error&& err() && { return std::move(*std::get_if<1>(&v_)); }
  errc code() const noexcept { return has_value() ? errc::ok : std::get_if<1>(&v_)->code; }

  template <class U>
  T value_or(U&& dflt) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(dflt));
  }

 private:
  std::variant<T, error> v_;
};

/// result<void>: success carries nothing.
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;
  result() = default;
  result(ok_t) {}
  result(error e) : e_(std::move(e)), has_(false) {}
  result(errc c, std::string msg = {}) : e_(c, std::move(msg)), has_(false) {}

  bool has_value() const noexcept { return has_; }
  explicit operator bool() const noexcept { return has_; }
  void value() const noexcept {}
  const error& err() const& { return e_; }
  error&& err() && { return std::move(e_); }
  errc code() const noexcept { return has_ ? errc::ok : e_.code; }

 private:
  error e_;
  bool has_ = true;
};

template <class T>
inline constexpr bool is_result_v = false;
template <class T>
inline constexpr bool is_result_v<result<T>> = true;

}  // namespace janus::rt
