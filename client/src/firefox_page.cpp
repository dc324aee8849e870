#include "firefox_page.hpp"

#include "firefox_domain_backends.hpp"
#include "firefox_tab_internal.hpp"

#include <janus/domains/backend.hpp>

#include <algorithm>

namespace janus::client::detail {

namespace {

// A call made on a copy of the tab: the task must not point into the page, which its caller may
// drop before awaiting it. `call` holds the arguments (the tab's calls are overloaded, so a member
// pointer would not name one).
template <class Call>
auto on_tab(firefox_tab tab, Call call) -> decltype(call(tab)) {
  co_return co_await call(tab);
}

}  // namespace

rt::result<rdp_target> firefox_page::rdp() const { return rdp_target{tab.connection(), tab.descriptor()}; }

rt::task<rt::result<navigation>> firefox_page::navigate(std::string url, wait_until until, rt::deadline d) {
  return on_tab(tab, [url = std::move(url), until, d](const firefox_tab& t) mutable { return t.navigate(std::move(url), until, d); });
}
rt::task<rt::result<navigation>> firefox_page::reload(wait_until until, rt::deadline d) {
  return on_tab(tab, [until, d](const firefox_tab& t) { return t.reload(until, d); });
}
rt::task<rt::result<navigation>> firefox_page::go_history(int delta, wait_until until, rt::deadline d) {
  if (delta < 0) return on_tab(tab, [until, d](const firefox_tab& t) { return t.go_back(until, d); });
  return on_tab(tab, [until, d](const firefox_tab& t) { return t.go_forward(until, d); });
}
rt::task<rt::result<void>> firefox_page::set_content(std::string html, rt::deadline d) {
  return on_tab(tab, [html = std::move(html), d](const firefox_tab& t) mutable { return t.set_content(std::move(html), d); });
}
rt::task<rt::result<std::vector<std::uint8_t>>> firefox_page::screenshot(screenshot_options options, rt::deadline d) {
  return on_tab(tab, [options = std::move(options), d](const firefox_tab& t) mutable { return t.screenshot(std::move(options), d); });
}
rt::task<rt::result<rt::subscription<session::cdp_event>>> firefox_page::subscribe(std::string, std::size_t) {
  return domains::detail::unsupported_task<rt::subscription<session::cdp_event>>(
      unsupported_on(browser_product::firefox, "page.subscribe (CDP events; use the domain handles)"));
}
rt::task<rt::result<protocol::json_value>> firefox_page::evaluate(std::string expression, rt::deadline d) {
  return on_tab(tab, [expression = std::move(expression), d](const firefox_tab& t) mutable { return t.evaluate(std::move(expression), d); });
}
rt::task<rt::result<void>> firefox_page::wait_for(std::chrono::milliseconds how_long) {
  return firefox_wait_while_alive(tab, rt::clock::now() + how_long);
}
rt::task<rt::result<page_info>> firefox_page::info(rt::deadline d) {
  return on_tab(tab, [d](const firefox_tab& t) { return t.info(d); });
}

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
