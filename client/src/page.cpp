// client::page, the handle: every call goes to the page's backend (page_backend.hpp), the
// browser's implementation chosen when the page was made. An empty handle answers from a backend
// whose every call fails, so that no call on a default-constructed page dereferences null.
#include "page_backend.hpp"

#include <janus/domains/backend.hpp>

#include <utility>

namespace janus::client {

namespace detail {

rt::error unsupported_on(browser_product product, const char* call) {
  const char* why = product == browser_product::firefox ? ": Firefox's debugging protocol has no equivalent"
                                                        : ": Chromium has no equivalent (an RDP-only call)";
  return rt::error{rt::errc::unsupported, std::string(call) + why};
}

namespace {

template <class T>
rt::task<rt::result<T>> failed(const char* call) {
  co_return rt::error{rt::errc::invalid_argument, std::string(call) + ": an empty page handle (not made by a browser)"};
}

class empty_page final : public page_backend {
 public:
  browser_product product() const noexcept override { return browser_product::chromium; }
  std::string target_id() const override { return {}; }
  std::string session_id() const override { return {}; }
  session::cdp_session session() const override { return {}; }
  rt::result<rdp_target> rdp() const override { return error("page.rdp"); }
  rt::result<void> alive() const override { return error("page.alive"); }
  rt::task<rt::result<navigation>> navigate(std::string, wait_until, rt::deadline) override { return failed<navigation>("page.navigate"); }
  rt::task<rt::result<navigation>> reload(wait_until, rt::deadline) override { return failed<navigation>("page.reload"); }
  rt::task<rt::result<navigation>> go_history(int, wait_until, rt::deadline) override { return failed<navigation>("page.go_back/go_forward"); }
  rt::task<rt::result<void>> set_content(std::string, rt::deadline) override { return failed<void>("page.set_content"); }
  rt::task<rt::result<std::vector<std::uint8_t>>> screenshot(screenshot_options, rt::deadline) override {
    return failed<std::vector<std::uint8_t>>("page.screenshot");
  }
  // Empty domain handles: their own calls then fail the same way (domains' empty-handle rule).
  domains::network network() override { return {}; }
  domains::console console() override { return {}; }
  domains::dom dom() override { return {}; }
  domains::js_runtime runtime() override { return {}; }
  domains::css css() override { return {}; }
  domains::debugger debugger() override { return {}; }
  domains::performance performance() override { return {}; }
  rt::task<rt::result<rt::subscription<session::cdp_event>>> subscribe(std::string, std::size_t) override {
    return failed<rt::subscription<session::cdp_event>>("page.subscribe");
  }
  rt::task<rt::result<protocol::json_value>> evaluate(std::string, rt::deadline) override {
    return failed<protocol::json_value>("page.evaluate");
  }
  rt::task<rt::result<void>> wait_for(std::chrono::milliseconds) override { return failed<void>("page.wait_for"); }
  rt::task<rt::result<page_info>> info(rt::deadline) override { return failed<page_info>("page.info"); }

 private:
  static rt::error error(const char* call) {
    return rt::error{rt::errc::invalid_argument, std::string(call) + ": an empty page handle (not made by a browser)"};
  }
};

}  // namespace
}  // namespace detail

detail::page_backend& page::backend() const noexcept {
  static detail::empty_page empty;
  return backend_ ? *backend_ : empty;
}

browser_product page::product() const noexcept { return backend().product(); }
std::string page::target_id() const { return backend().target_id(); }
std::string page::session_id() const { return backend().session_id(); }
session::cdp_session page::session() const { return backend().session(); }
rt::result<rdp_target> page::rdp() const { return backend().rdp(); }
rt::result<void> page::alive() const { return backend().alive(); }

rt::task<rt::result<navigation>> page::navigate(std::string url, wait_until until, rt::deadline d) const {
  return backend().navigate(std::move(url), until, d);
}
rt::task<rt::result<navigation>> page::reload(wait_until until, rt::deadline d) const { return backend().reload(until, d); }
rt::task<rt::result<navigation>> page::go_back(wait_until until, rt::deadline d) const { return backend().go_history(-1, until, d); }
rt::task<rt::result<navigation>> page::go_forward(wait_until until, rt::deadline d) const { return backend().go_history(+1, until, d); }
rt::task<rt::result<void>> page::set_content(std::string html, rt::deadline d) const { return backend().set_content(std::move(html), d); }
rt::task<rt::result<std::vector<std::uint8_t>>> page::screenshot(screenshot_options options, rt::deadline d) const {
  return backend().screenshot(std::move(options), d);
}

domains::network page::network() const { return backend().network(); }
domains::console page::console() const { return backend().console(); }
domains::dom page::dom() const { return backend().dom(); }
domains::js_runtime page::runtime() const { return backend().runtime(); }
domains::css page::css() const { return backend().css(); }
domains::debugger page::debugger() const { return backend().debugger(); }
domains::performance page::performance() const { return backend().performance(); }

rt::task<rt::result<rt::subscription<session::cdp_event>>> page::subscribe(std::string method, std::size_t capacity) const {
  return backend().subscribe(std::move(method), capacity);
}
rt::task<rt::result<protocol::json_value>> page::evaluate(std::string expression, rt::deadline d) const {
  return backend().evaluate(std::move(expression), d);
}
rt::task<rt::result<void>> page::wait_for(std::chrono::milliseconds how_long) const { return backend().wait_for(how_long); }
rt::task<rt::result<page_info>> page::info(rt::deadline d) const { return backend().info(d); }

}  // namespace janus::client
