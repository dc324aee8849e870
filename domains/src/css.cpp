// The css handle: each call forwarded to its backend (backend.hpp), and the calls a backend
// does not override.
#include <janus/domains/css.hpp>

namespace janus::domains {

rt::task<rt::result<void>> css::enable(rt::deadline d) const {
  return detail::backend_or_empty(backend_).enable(d);
}
rt::task<rt::result<std::vector<style_sheet>>> css::sheets(rt::deadline d) const {
  return detail::backend_or_empty(backend_).sheets(d);
}
rt::task<rt::result<std::string>> css::text(std::string sheet_id, rt::deadline d) const {
  return detail::backend_or_empty(backend_).text(std::move(sheet_id), d);
}
rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> css::computed(node_ref node,
                                                                                     rt::deadline d) const {
  return detail::backend_or_empty(backend_).computed(node, d);
}
rt::task<rt::result<std::vector<matched_rule>>> css::matched(node_ref node, rt::deadline d) const {
  return detail::backend_or_empty(backend_).matched(node, d);
}
rt::task<rt::result<css_stats>> css::stats(rt::deadline d) const {
  return detail::backend_or_empty(backend_).stats(d);
}
void css::stop() const {
  if (backend_) detail::backend_or_empty(backend_).stop();
}

// A backend's calls it does not override.
rt::task<rt::result<std::string>> css_backend::text(std::string, rt::deadline) {
  return detail::unsupported<std::string>(*this, "css.text");
}
rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> css_backend::computed(node_ref, rt::deadline) {
  return detail::unsupported<std::vector<std::pair<std::string, std::string>>>(*this, "css.computed");
}
rt::task<rt::result<std::vector<matched_rule>>> css_backend::matched(node_ref, rt::deadline) {
  return detail::unsupported<std::vector<matched_rule>>(*this, "css.matched");
}
rt::task<rt::result<void>> css_backend::enable(rt::deadline) {
  return detail::unsupported<void>(*this, "css.enable");
}
rt::task<rt::result<std::vector<style_sheet>>> css_backend::sheets(rt::deadline) {
  return detail::unsupported<std::vector<style_sheet>>(*this, "css.sheets");
}
rt::task<rt::result<css_stats>> css_backend::stats(rt::deadline) {
  return detail::unsupported<css_stats>(*this, "css.stats");
}
css css::over(std::shared_ptr<css_backend> backend) {
  css out;
  out.backend_ = std::move(backend);
  return out;
}

}  // namespace janus::domains
