// The interceptor handle: each call forwarded to its backend (backend.hpp), and the calls a
// backend does not override.
#include <janus/domains/fetch.hpp>

namespace janus::domains {

rt::task<rt::result<void>> interceptor::enable(rt::deadline d) const { return detail::backend_or_empty(backend_).enable(d); }
rt::task<rt::result<void>> interceptor::disable(rt::deadline d) const { return detail::backend_or_empty(backend_).disable(d); }
rt::task<rt::result<intercept_stats>> interceptor::stats(rt::deadline d) const { return detail::backend_or_empty(backend_).stats(d); }
void interceptor::stop() const {
  if (backend_) detail::backend_or_empty(backend_).stop();
}

// A backend's calls it does not override.
rt::task<rt::result<void>> interceptor_backend::enable(rt::deadline) {
  return detail::unsupported<void>(*this, "interceptor.enable");
}
rt::task<rt::result<void>> interceptor_backend::disable(rt::deadline) {
  return detail::unsupported<void>(*this, "interceptor.disable");
}
rt::task<rt::result<intercept_stats>> interceptor_backend::stats(rt::deadline) {
  return detail::unsupported<intercept_stats>(*this, "interceptor.stats");
}
interceptor interceptor::over(std::shared_ptr<interceptor_backend> backend) {
  interceptor out;
  out.backend_ = std::move(backend);
  return out;
}

}  // namespace janus::domains
