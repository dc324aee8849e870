// The domain handles of a Firefox page: domains::network, console, dom, css, js_runtime, debugger
// and performance made with `over()` (domains/janus/domains/backend.hpp) on backends that answer
// from the tab's state (firefox_tab), its DOM mirror (firefox_dom) and Firefox's actors. What
// Firefox's protocol has no equivalent for fails with errc::unsupported naming the call.
//
// @par Thread Safety
// The handles are the domains' handles: copies may be used from any threads at once.
#pragma once

#include "firefox_dom.hpp"
#include "firefox_tab.hpp"
#include <janus/domains/console.hpp>
#include <janus/domains/css.hpp>
#include <janus/domains/debugger.hpp>
#include <janus/domains/dom.hpp>
#include <janus/domains/network.hpp>
#include <janus/domains/performance.hpp>
#include <janus/domains/runtime.hpp>

namespace janus::client::detail {

domains::network firefox_network_handle(firefox_tab tab);
domains::console firefox_console_handle(firefox_tab tab);
domains::dom firefox_dom_handle(firefox_dom mirror);
/// Nodes are named by the mirror's node_refs, so CSS asks the page's mirror for their actors.
domains::css firefox_css_handle(firefox_tab tab, firefox_dom mirror);
domains::js_runtime firefox_runtime_handle(firefox_tab tab);
/// Every call unsupported: Janus does not drive Firefox's thread actor, and RDP has no
/// counterpart of CDP's Performance metrics.
domains::debugger firefox_debugger_handle();
domains::performance firefox_performance_handle();

}  // namespace janus::client::detail
