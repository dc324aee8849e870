// What a domain handle forwards every call to.
//
// Every domain handle (network, console, dom, css, js_runtime, debugger, performance, interceptor)
// is one type for every browser, holding one backend: an object implementing the handle's calls
// over one protocol. `start()` makes the CDP one (Chromium: a backend over the domain's actor,
// private to domains/); `over(backend)` takes any other (client/ implements them over Firefox's
// RDP, see firefox_domain_backends.hpp). Each domain's backend class (network_backend...) sits
// next to its handle and has one virtual function per call, with the handle's signature; a call a
// backend does not override fails with errc::unsupported, naming the call and the browser, so
// that a feature the browser lacks is a clear error value, never a silent empty answer.
//
// @par Thread Safety
// Backends are shared by every copy of their handle and called from any thread at once: an
// implementation guards its own state.
#pragma once

#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>

#include <memory>
#include <string>
#include <utility>

namespace janus::domains {

/// The part every domain's backend shares: the browser it speaks for.
///
/// @par Thread Safety
/// Immutable after construction.
class domain_backend {
 public:
  /// `product` names the browser in unsupported-call errors ("Firefox").
  explicit domain_backend(std::string product) : product_(std::move(product)) {}
  virtual ~domain_backend() = default;
  domain_backend(const domain_backend&) = delete;
  domain_backend& operator=(const domain_backend&) = delete;

  const std::string& product() const noexcept { return product_; }

  /// What the handle's stop() does: the CDP backend stops its actor now (its destruction, with
  /// the last handle, does the same); by default nothing.
  virtual void stop() {}

 private:
  std::string product_;
};

namespace detail {

/// The error of a call `call` ("network.clear") that `product` has no equivalent for; with an
/// empty `product`, the error of a call on an empty handle (errc::invalid_argument).
rt::error unsupported_call(const std::string& product, const char* call);

/// What a handle forwards to: its backend, or for an empty (default-constructed) handle a backend
/// that overrides nothing and names no browser, so that the call fails with invalid_argument
/// rather than dereferencing null.
template <class B>
B& backend_or_empty(const std::shared_ptr<B>& b) {
  if (b) return *b;
  static B empty{std::string()};
  return empty;
}

template <class T>
rt::task<rt::result<T>> unsupported_task(rt::error e) {
  co_return std::move(e);
}

/// What a backend's call that it does not override returns.
template <class T>
rt::task<rt::result<T>> unsupported(const domain_backend& b, const char* call) {
  return unsupported_task<T>(unsupported_call(b.product(), call));
}

}  // namespace detail
}  // namespace janus::domains
