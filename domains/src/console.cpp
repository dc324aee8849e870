// The console handle: each call forwarded to its backend (backend.hpp), and the calls a backend
// does not override.
#include <janus/domains/console.hpp>

namespace janus::domains {

rt::task<rt::result<void>> console::enable(rt::deadline d) const {
  return detail::backend_or_empty(backend_).enable(d);
}
rt::task<rt::result<std::vector<console_entry>>> console::entries(rt::deadline d) const {
  return detail::backend_or_empty(backend_).entries(d);
}
rt::task<rt::result<console_stats>> console::stats(rt::deadline d) const {
  return detail::backend_or_empty(backend_).stats(d);
}
rt::task<rt::result<void>> console::clear(rt::deadline d) const {
  return detail::backend_or_empty(backend_).clear(d);
}
rt::task<rt::result<rt::subscription<console_entry>>> console::subscribe(std::size_t capacity, rt::overflow policy,
                                                                         rt::deadline d) const {
  return detail::backend_or_empty(backend_).subscribe(capacity, policy, d);
}
void console::stop() const {
  if (backend_) detail::backend_or_empty(backend_).stop();
}

// A backend's calls it does not override.
rt::task<rt::result<std::vector<console_entry>>> console_backend::entries(rt::deadline) {
  return detail::unsupported<std::vector<console_entry>>(*this, "console.entries");
}
rt::task<rt::result<console_stats>> console_backend::stats(rt::deadline) {
  return detail::unsupported<console_stats>(*this, "console.stats");
}
rt::task<rt::result<void>> console_backend::clear(rt::deadline) {
  return detail::unsupported<void>(*this, "console.clear");
}
rt::task<rt::result<rt::subscription<console_entry>>> console_backend::subscribe(std::size_t, rt::overflow, rt::deadline) {
  return detail::unsupported<rt::subscription<console_entry>>(*this, "console.subscribe");
}
rt::task<rt::result<void>> console_backend::enable(rt::deadline) {
  return detail::unsupported<void>(*this, "console.enable");
}
console console::over(std::shared_ptr<console_backend> backend) {
  console out;
  out.backend_ = std::move(backend);
  return out;
}

}  // namespace janus::domains
