// One browser tab: a page target, its flattened CDP session, and the page actor that follows its
// lifecycle from the session's events.
//
//   auto b = co_await browser::launch(sched);
//   auto p = co_await b->new_page();
//   auto nav = co_await p->navigate(server.url("/"), wait_until::load, rt::deadline(10s));
//   auto png = co_await p->screenshot({.full_page = true, .selector = {}, .format = image_format::png});
//
// Waits are armed before they act: navigate subscribes to the page's lifecycle signals before
// Page.navigate is sent, so a load that finishes before the reply is still seen.
//
// A page whose target crashes (Inspector.targetCrashed / Target.targetCrashed) or goes away
// (Target.detachedFromTarget / targetDestroyed, close_page) is "gone": every request of its
// session that is pending fails at once with errc::target_crashed / errc::target_closed, waits in
// progress (navigate, reload...) fail the same way, and every later call fails at once with the
// same error. Other pages on the same connection are not affected.
//
// A browser that exits ends every wait of its pages at once with errc::browser_exited: requests,
// navigation waits (load, network idle), the DOM mirror's settle, the page's and its domain
// actors' event subscriptions (their next() ends with that error after what is queued) and
// wait_for. Unsupervised, the page is then gone with errc::browser_exited.
//
// Under a supervised browser (launch_options::restart, see browser.hpp for what survives), a
// browser crash is not the page's end: its pending requests and waits (a page::subscribe next()
// waiting at the crash too) fail with errc::browser_exited, calls
// made while the browser is relaunched fail at once with errc::browser_exited ("restarting"), and
// then the same page handle is re-attached to a new target, back on its last committed URL, with
// the domain actors it had started replaced by fresh, enabled ones (ask network() etc. again: a
// domain handle kept from before the crash stays bound to the dead session). If the supervisor
// gives up, the page is gone with errc::browser_exited.
//
// Integration: the domain actors (Network, Runtime, DOM, CSS, Console) take `session()`; a
// network-idle wait belongs in `wait_until` once the Network actor can report idleness (see
// page.cpp, wait_for_document).
//
// @par Thread Safety
// page is a handle: copies may be used from any threads at once, and operations on one page may
// run concurrently (each has its own subscription to the page's signals).
#pragma once

#include <janus/client/browser_product.hpp>
#include <janus/session/cdp_session.hpp>
#include <janus/session/rdp_connection.hpp>
#include <janus/domains/console.hpp>
#include <janus/domains/css.hpp>
#include <janus/domains/debugger.hpp>
#include <janus/domains/dom.hpp>
#include <janus/domains/network.hpp>
#include <janus/domains/performance.hpp>
#include <janus/domains/runtime.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace janus::client {

namespace detail {
class page_backend;
struct page_access;
}  // namespace detail

/// How far a navigation must have got before it counts as done.
/// (network_idle is added on top of the Network domain actor when the domains are integrated.)
enum class wait_until : std::uint8_t {
  commit,            // the new document replaced the old one (Page.frameNavigated)
  domcontentloaded,  // DOMContentLoaded fired in the new document
  load,              // the load event fired: images, scripts and styles of the document are in
  /// `load`, then no request in flight for 500 ms, as the page's Network actor counts them (it is
  /// enabled before the navigation starts, so the document's own requests are counted too).
  network_idle,
};

/// What a navigation reached.
///
/// @par Thread Safety
/// A plain value.
struct navigation {
  std::string url;
  std::string frame_id;
  /// The new document's loader; empty for a same-document navigation (fragment, history.pushState).
  std::string loader_id;
  bool same_document = false;
};

enum class image_format : std::uint8_t { png };

/// @par Thread Safety
/// A plain value.
struct screenshot_options {
  /// The whole document (its CSS content size), not just the viewport.
  bool full_page = false;
  /// CSS selector of one element to capture (its border box); empty: no element.
  std::string selector;
  image_format format = image_format::png;
};

/// What the page actor knows about the page's lifecycle; a snapshot.
///
/// @par Thread Safety
/// A plain value.
struct page_info {
  std::string target_id;
  std::string session_id;
  std::string frame_id;   // the main frame
  std::string loader_id;  // its current document
  std::string url;
  std::string title;      // document.title when asked; else the target's last announced title
  bool dom_content_loaded = false;
  bool loaded = false;
  /// ok while the page lives; target_crashed, target_closed (or browser_exited, when its
  /// supervised browser gave up restarting) once it is gone.
  rt::errc gone = rt::errc::ok;
  std::string gone_reason;
};

/// Firefox's Remote Debugging Protocol behind a page (page::rdp()), for what only RDP has.
///
/// @par Thread Safety
/// A plain value (the connection is a handle usable from any thread).
struct rdp_target {
  session::rdp_connection connection;
  /// The tab's descriptor actor: stable across navigations; its watcher and current document's
  /// target are reached from it (`getWatcher`, `getTarget`).
  std::string tab_descriptor;
};

/// One handle type for both browsers: made by browser::new_page, it forwards every call to the
/// page's implementation for its browser, chosen once when the page is made. A default-constructed
/// page is empty: its calls fail with errc::invalid_argument.
class page {
 public:
  page() = default;
  explicit page(std::shared_ptr<detail::page_backend> backend) : backend_(std::move(backend)) {}

  browser_product product() const noexcept;

  /// The page's current target and session. A restart of a supervised browser (browser.hpp)
  /// re-attaches the page to a new target: these then return the new ids. On Firefox, the
  /// target is the tab's descriptor actor (stable: Firefox replaces its per-document target
  /// actors at every navigation) and the session is empty.
  std::string target_id() const;
  std::string session_id() const;
  /// The page's flattened session, the escape hatch to CDP: raw calls, typed commands, events. A
  /// copy taken before a restart stays bound to the dead connection. Empty on Firefox: its calls
  /// fail (use rdp()).
  session::cdp_session session() const;
  /// The escape hatch to RDP, for what only Firefox's protocol has: the connection and the tab's
  /// descriptor actor. errc::unsupported on Chromium (use session()).
  rt::result<rdp_target> rdp() const;
  explicit operator bool() const noexcept { return backend_ != nullptr; }
  bool operator==(const page& o) const noexcept { return backend_ == o.backend_; }

  /// ok while the page lives; its crash or close error once it is gone; errc::browser_exited while
  /// its supervised browser is restarting.
  rt::result<void> alive() const;

  /// Navigates the main frame and waits until `until`. A failed navigation (the reply's errorText,
  /// such as net::ERR_CONNECTION_REFUSED) fails with errc::protocol and that text; no reply or no
  /// event before `d` fails with errc::timeout.
  rt::task<rt::result<navigation>> navigate(std::string url, wait_until until, rt::deadline d) const;
  rt::task<rt::result<navigation>> navigate(std::string url) const { return navigate(std::move(url), wait_until::load, std::chrono::seconds(30)); }
  rt::task<rt::result<navigation>> navigate(std::string url, wait_until until) const { return navigate(std::move(url), std::move(until), std::chrono::seconds(30)); }
  rt::task<rt::result<navigation>> reload(wait_until until, rt::deadline d) const;
  rt::task<rt::result<navigation>> reload() const { return reload(wait_until::load, std::chrono::seconds(30)); }
  rt::task<rt::result<navigation>> reload(wait_until until) const { return reload(std::move(until), std::chrono::seconds(30)); }
  /// Through the session history (Page.getNavigationHistory, navigateToHistoryEntry); with no
  /// entry in that direction: errc::invalid_argument.
  rt::task<rt::result<navigation>> go_back(wait_until until, rt::deadline d) const;
  rt::task<rt::result<navigation>> go_back() const { return go_back(wait_until::load, std::chrono::seconds(30)); }
  rt::task<rt::result<navigation>> go_back(wait_until until) const { return go_back(std::move(until), std::chrono::seconds(30)); }
  rt::task<rt::result<navigation>> go_forward(wait_until until, rt::deadline d) const;
  rt::task<rt::result<navigation>> go_forward() const { return go_forward(wait_until::load, std::chrono::seconds(30)); }
  rt::task<rt::result<navigation>> go_forward(wait_until until) const { return go_forward(std::move(until), std::chrono::seconds(30)); }

  /// Replaces the main frame's document with `html` (Page.setDocumentContent). The browser
  /// replies once the new document is in place, so a script run after this sees it; resources it
  /// references may still be loading.
  rt::task<rt::result<void>> set_content(std::string html, rt::deadline d) const;
  rt::task<rt::result<void>> set_content(std::string html) const { return set_content(std::move(html), std::chrono::seconds(30)); }

  /// PNG bytes of the viewport, the full page, or one element (errc::not_found when the selector
  /// matches nothing, errc::invalid_argument when it matches an element with no box).
  rt::task<rt::result<std::vector<std::uint8_t>>> screenshot(screenshot_options options, rt::deadline d) const;
  rt::task<rt::result<std::vector<std::uint8_t>>> screenshot() const { return screenshot(screenshot_options{}, std::chrono::seconds(30)); }
  rt::task<rt::result<std::vector<std::uint8_t>>> screenshot(screenshot_options options) const { return screenshot(std::move(options), std::chrono::seconds(30)); }

  /// The page's domain actors, one of each per page, started on first use and stopped with the
  /// page. Each keeps its cache current from its domain's events across navigations; enable one
  /// before navigating when the first document's events matter (navigate with network_idle
  /// enables the Network actor itself).
  ///
  /// On Firefox the same handle types answer from the tab (see the README's parity table): network, console and CSS sheets are recorded from the moment
  /// the tab was attached (enable() only checks the tab is alive); dom() is the page-agent
  /// mirror (firefox_dom), started by the first dom() or css(); css() names nodes by the mirror's
  /// node_refs; runtime() evaluates by value in the main document. debugger() and performance()
  /// have no RDP counterpart here: their calls fail with errc::unsupported.
  domains::network network() const;
  domains::console console() const;
  domains::dom dom() const;
  domains::js_runtime runtime() const;
  domains::css css() const;
  domains::debugger debugger() const;
  domains::performance performance() const;

  /// Events of the page's session whose method matches `method` ("Domain.event", "Domain.*",
  /// "*"), on a subscription that follows the page across restarts of a supervised browser: the
  /// re-attach registers it on the new session before the page's domains are enabled again, so
  /// the new document's events are delivered. Events of the dead browser and of the relaunch gap
  /// are not. At most `capacity` are queued: beyond that the oldest are dropped (counted by
  /// dropped()), so a stalled reader cannot hold back the connection. The subscription ends when
  /// the page is gone. CDP events only: errc::unsupported on Firefox (use the domain handles).
  rt::task<rt::result<rt::subscription<session::cdp_event>>> subscribe(std::string method, std::size_t capacity) const;

  /// The value of a JavaScript expression (promises awaited), through the Runtime actor: a JS
  /// exception is errc::javascript with its message and stack.
  rt::task<rt::result<protocol::json_value>> evaluate(std::string expression, rt::deadline d) const;
  rt::task<rt::result<protocol::json_value>> evaluate(std::string expression) const { return evaluate(std::move(expression), std::chrono::seconds(30)); }

  /// Lets the page run for `how_long` (the CLI's --after): ok then. Ends at once, with the page's
  /// error, when the page goes meanwhile: its browser exited (errc::browser_exited, also when a
  /// supervised browser starts restarting), its target crashed or was closed. A plain sleep
  /// would sit out the whole time and then read a dead page.
  rt::task<rt::result<void>> wait_for(std::chrono::milliseconds how_long) const;

  /// The page actor's view of the lifecycle.
  rt::task<rt::result<page_info>> info(rt::deadline d) const;
  rt::task<rt::result<page_info>> info() const { return info(std::chrono::seconds(5)); }

 private:
  friend struct detail::page_access;
  detail::page_backend& backend() const noexcept;
  std::shared_ptr<detail::page_backend> backend_;
};


}  // namespace janus::client
