// The network handle: each call forwarded to its backend (backend.hpp), and the calls a backend
// does not override.
#include <janus/domains/network.hpp>

namespace janus::domains {

rt::task<rt::result<void>> network::enable(rt::deadline d) const {
  return detail::backend_or_empty(backend_).enable(d);
}
rt::task<rt::result<std::vector<network_request>>> network::requests(rt::deadline d) const {
  return detail::backend_or_empty(backend_).requests(d);
}
rt::task<rt::result<network_stats>> network::stats(rt::deadline d) const {
  return detail::backend_or_empty(backend_).stats(d);
}
rt::task<rt::result<std::size_t>> network::in_flight(rt::deadline d) const {
  return detail::backend_or_empty(backend_).in_flight(d);
}
rt::task<rt::result<void>> network::clear(rt::deadline d) const {
  return detail::backend_or_empty(backend_).clear(d);
}
rt::task<rt::result<void>> network::wait_idle(std::chrono::milliseconds quiet, rt::deadline d) const {
  return detail::backend_or_empty(backend_).wait_idle_since(quiet, 0, d);
}
rt::task<rt::result<void>> network::wait_idle_since(std::chrono::milliseconds quiet, std::uint64_t since,
                                                    rt::deadline d) const {
  return detail::backend_or_empty(backend_).wait_idle_since(quiet, since, d);
}
rt::task<rt::result<fetched_body>> network::response_body(std::string request_id, rt::deadline d) const {
  return detail::backend_or_empty(backend_).response_body(std::move(request_id), d);
}
rt::task<rt::result<header_list>> network::request_headers(std::string request_id, rt::deadline d) const {
  return detail::backend_or_empty(backend_).request_headers(std::move(request_id), d);
}
rt::task<rt::result<header_list>> network::response_headers(std::string request_id, rt::deadline d) const {
  return detail::backend_or_empty(backend_).response_headers(std::move(request_id), d);
}
void network::stop() const {
  if (backend_) detail::backend_or_empty(backend_).stop();
}

// A backend's calls it does not override.
rt::task<rt::result<void>> network_backend::enable(rt::deadline) {
  return detail::unsupported<void>(*this, "network.enable");
}
rt::task<rt::result<std::vector<network_request>>> network_backend::requests(rt::deadline) {
  return detail::unsupported<std::vector<network_request>>(*this, "network.requests");
}
rt::task<rt::result<network_stats>> network_backend::stats(rt::deadline) {
  return detail::unsupported<network_stats>(*this, "network.stats");
}
rt::task<rt::result<std::size_t>> network_backend::in_flight(rt::deadline) {
  return detail::unsupported<std::size_t>(*this, "network.in_flight");
}
rt::task<rt::result<void>> network_backend::clear(rt::deadline) {
  return detail::unsupported<void>(*this, "network.clear");
}
rt::task<rt::result<void>> network_backend::wait_idle_since(std::chrono::milliseconds, std::uint64_t, rt::deadline) {
  return detail::unsupported<void>(*this, "network.wait_idle");
}
rt::task<rt::result<fetched_body>> network_backend::response_body(std::string, rt::deadline) {
  return detail::unsupported<fetched_body>(*this, "network.response_body");
}
rt::task<rt::result<header_list>> network_backend::request_headers(std::string, rt::deadline) {
  return detail::unsupported<header_list>(*this, "network.request_headers");
}
rt::task<rt::result<header_list>> network_backend::response_headers(std::string, rt::deadline) {
  return detail::unsupported<header_list>(*this, "network.response_headers");
}
network network::over(std::shared_ptr<network_backend> backend) {
  network n;
  n.backend_ = std::move(backend);
  return n;
}

}  // namespace janus::domains
