// A Firefox page (client::page's backend over RDP): the tab, and the page's domain handles, made
// on first use (see firefox_domain_backends.hpp).
//
// @par Thread Safety
// Shared by every copy of its page; the handles are made under `mu`.
#pragma once

#include "page_backend.hpp"

#include "firefox_dom.hpp"
#include "firefox_tab.hpp"
#include <janus/domains/console.hpp>
#include <janus/domains/css.hpp>
#include <janus/domains/debugger.hpp>
#include <janus/domains/dom.hpp>
#include <janus/domains/network.hpp>
#include <janus/domains/performance.hpp>
#include <janus/domains/runtime.hpp>
#include <janus/rt/scheduler.hpp>

#include <memory>
#include <mutex>

namespace janus::client::detail {

struct firefox_page final : page_backend {
  firefox_page(rt::scheduler& s, firefox_tab t) : sched(&s), tab(std::move(t)) {}

  rt::scheduler* sched;
  const firefox_tab tab;

  browser_product product() const noexcept override { return browser_product::firefox; }
  std::string target_id() const override { return tab.descriptor(); }
  std::string session_id() const override { return {}; }
  session::cdp_session session() const override { return {}; }
  rt::result<rdp_target> rdp() const override;
  rt::result<void> alive() const override { return tab.alive(); }
  rt::task<rt::result<navigation>> navigate(std::string url, wait_until until, rt::deadline d) override;
  rt::task<rt::result<navigation>> reload(wait_until until, rt::deadline d) override;
  rt::task<rt::result<navigation>> go_history(int delta, wait_until until, rt::deadline d) override;
  rt::task<rt::result<void>> set_content(std::string html, rt::deadline d) override;
  rt::task<rt::result<std::vector<std::uint8_t>>> screenshot(screenshot_options options, rt::deadline d) override;
  domains::network network() override;
  domains::console console() override;
  domains::dom dom() override;
  domains::css css() override;
  domains::js_runtime runtime() override;
  domains::debugger debugger() override;
  domains::performance performance() override;
  rt::task<rt::result<rt::subscription<session::cdp_event>>> subscribe(std::string method, std::size_t capacity) override;
  rt::task<rt::result<protocol::json_value>> evaluate(std::string expression, rt::deadline d) override;
  rt::task<rt::result<void>> wait_for(std::chrono::milliseconds how_long) override;
  rt::task<rt::result<page_info>> info(rt::deadline d) override;

 private:
  // The DOM mirror, started by the first dom() or css(): a mirror follows every mutation of the
  // page, which costs a round trip per batch, so pages that never ask for the DOM do not pay.
  firefox_dom mirror_locked();

  std::mutex mu_;
  firefox_dom mirror_;
  domains::network network_;
  domains::console console_;
  domains::dom dom_;
  domains::css css_;
  domains::js_runtime runtime_;
};

}  // namespace janus::client::detail
