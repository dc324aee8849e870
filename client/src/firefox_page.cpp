#include "firefox_page.hpp"

#include "firefox_domain_backends.hpp"

namespace janus::client::detail {

firefox_dom firefox_page::mirror_locked() {
  if (!mirror_) mirror_ = firefox_dom::start(*sched, tab);
  return mirror_;
}

domains::network firefox_page::network() {
  std::lock_guard lk(mu_);
  if (!network_) network_ = firefox_network_handle(tab);
  return network_;
}

domains::console firefox_page::console() {
  std::lock_guard lk(mu_);
  if (!console_) console_ = firefox_console_handle(tab);
  return console_;
}

domains::dom firefox_page::dom() {
  std::lock_guard lk(mu_);
  if (!dom_) dom_ = firefox_dom_handle(mirror_locked());
  return dom_;
}

domains::css firefox_page::css() {
  std::lock_guard lk(mu_);
  if (!css_) css_ = firefox_css_handle(tab, mirror_locked());
  return css_;
}

domains::js_runtime firefox_page::runtime() {
  std::lock_guard lk(mu_);
  if (!runtime_) runtime_ = firefox_runtime_handle(tab);
  return runtime_;
}

domains::debugger firefox_page::debugger() { return firefox_debugger_handle(); }
domains::performance firefox_page::performance() { return firefox_performance_handle(); }

}  // namespace janus::client::detail
