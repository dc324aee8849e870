// The performance handle: each call forwarded to its backend (backend.hpp), and the calls a backend
// does not override.
#include <janus/domains/performance.hpp>

namespace janus::domains {

rt::task<rt::result<performance_metrics>> performance::metrics(rt::deadline d) const {
  return detail::backend_or_empty(backend_).metrics(d);
}
rt::task<rt::result<std::optional<performance_metrics>>> performance::last(rt::deadline d) const {
  return detail::backend_or_empty(backend_).last(d);
}
void performance::stop() const {
  if (backend_) detail::backend_or_empty(backend_).stop();
}

// A backend's calls it does not override.
rt::task<rt::result<performance_metrics>> performance_backend::metrics(rt::deadline) {
  return detail::unsupported<performance_metrics>(*this, "performance.metrics");
}
rt::task<rt::result<std::optional<performance_metrics>>> performance_backend::last(rt::deadline) {
  return detail::unsupported<std::optional<performance_metrics>>(*this, "performance.last");
}
performance performance::over(std::shared_ptr<performance_backend> backend) {
  performance out;
  out.backend_ = std::move(backend);
  return out;
}

}  // namespace janus::domains
