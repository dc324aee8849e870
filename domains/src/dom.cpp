// The dom handle: each call forwarded to its backend (backend.hpp), and the calls a backend
// does not override.
#include <janus/domains/dom.hpp>

namespace janus::domains {

rt::task<rt::result<void>> dom::enable(rt::deadline d) const {
  return detail::backend_or_empty(backend_).enable(d);
}
rt::task<rt::result<node_ref>> dom::document(rt::deadline d) const {
  return detail::backend_or_empty(backend_).document(d);
}
rt::task<rt::result<dom_node>> dom::node(node_ref n, rt::deadline d) const {
  return detail::backend_or_empty(backend_).node(n, d);
}
rt::task<rt::result<std::string>> dom::outer_html(node_ref n, rt::deadline d) const {
  return detail::backend_or_empty(backend_).outer_html(n, d);
}
rt::task<rt::result<std::string>> dom::inner_html(node_ref n, rt::deadline d) const {
  return detail::backend_or_empty(backend_).inner_html(n, d);
}
rt::task<rt::result<std::string>> dom::html(rt::deadline d) const {
  return detail::backend_or_empty(backend_).html(d);
}
rt::task<rt::result<std::string>> dom::browser_outer_html(node_ref n, rt::deadline d) const {
  return detail::backend_or_empty(backend_).browser_outer_html(n, d);
}
rt::task<rt::result<std::optional<node_ref>>> dom::query_selector(std::string selector, std::optional<node_ref> root,
                                                                  rt::deadline d) const {
  return detail::backend_or_empty(backend_).query_selector(std::move(selector), std::move(root), d);
}
rt::task<rt::result<std::vector<node_ref>>> dom::query_selector_all(std::string selector,
                                                                    std::optional<node_ref> root,
                                                                    rt::deadline d) const {
  return detail::backend_or_empty(backend_).query_selector_all(std::move(selector), std::move(root), d);
}
rt::task<rt::result<void>> dom::settle(std::chrono::milliseconds quiet, rt::deadline d) const {
  return detail::backend_or_empty(backend_).settle(quiet, d);
}
rt::task<rt::result<dom_stats>> dom::stats(rt::deadline d) const {
  return detail::backend_or_empty(backend_).stats(d);
}
void dom::stop() const {
  if (backend_) detail::backend_or_empty(backend_).stop();
}

// A backend's calls it does not override.
rt::task<rt::result<std::string>> dom_backend::outer_html(node_ref, rt::deadline) {
  return detail::unsupported<std::string>(*this, "dom.outer_html");
}
rt::task<rt::result<std::string>> dom_backend::inner_html(node_ref, rt::deadline) {
  return detail::unsupported<std::string>(*this, "dom.inner_html");
}
rt::task<rt::result<std::string>> dom_backend::browser_outer_html(node_ref, rt::deadline) {
  return detail::unsupported<std::string>(*this, "dom.browser_outer_html");
}
rt::task<rt::result<std::optional<node_ref>>> dom_backend::query_selector(std::string, std::optional<node_ref>, rt::deadline) {
  return detail::unsupported<std::optional<node_ref>>(*this, "dom.query_selector");
}
rt::task<rt::result<std::vector<node_ref>>> dom_backend::query_selector_all(std::string, std::optional<node_ref>, rt::deadline) {
  return detail::unsupported<std::vector<node_ref>>(*this, "dom.query_selector_all");
}
rt::task<rt::result<void>> dom_backend::settle(std::chrono::milliseconds, rt::deadline) {
  return detail::unsupported<void>(*this, "dom.settle");
}
rt::task<rt::result<void>> dom_backend::enable(rt::deadline) {
  return detail::unsupported<void>(*this, "dom.enable");
}
rt::task<rt::result<node_ref>> dom_backend::document(rt::deadline) {
  return detail::unsupported<node_ref>(*this, "dom.document");
}
rt::task<rt::result<dom_node>> dom_backend::node(node_ref, rt::deadline) {
  return detail::unsupported<dom_node>(*this, "dom.node");
}
rt::task<rt::result<std::string>> dom_backend::html(rt::deadline) {
  return detail::unsupported<std::string>(*this, "dom.html");
}
rt::task<rt::result<dom_stats>> dom_backend::stats(rt::deadline) {
  return detail::unsupported<dom_stats>(*this, "dom.stats");
}
dom dom::over(std::shared_ptr<dom_backend> backend) {
  dom out;
  out.backend_ = std::move(backend);
  return out;
}

}  // namespace janus::domains
