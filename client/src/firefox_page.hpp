// The Firefox side of client::page: the tab, and the page's domain handles, made on first use
// (see firefox_domain_backends.hpp). page.cpp forwards a Firefox page's calls here.
//
// @par Thread Safety
// Shared by every copy of its page; the handles are made under `mu`.
#pragma once

#include <janus/client/firefox_dom.hpp>
#include <janus/client/firefox_tab.hpp>
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

struct firefox_page {
  firefox_page(rt::scheduler& s, firefox_tab t) : sched(&s), tab(std::move(t)) {}

  rt::scheduler* sched;
  const firefox_tab tab;

  domains::network network();
  domains::console console();
  domains::dom dom();
  domains::css css();
  domains::js_runtime runtime();
  domains::debugger debugger();
  domains::performance performance();

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
