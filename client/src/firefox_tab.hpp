// Private to client/ (not installed): a facet of the Firefox page; users reach it through
// client::page and its domain handles (page.rdp() is the escape hatch to RDP).
//
// One Firefox tab over the Remote Debugging Protocol: navigate, evaluate, and read what the page
// printed and fetched. The Firefox counterpart of client::page (same method names, signatures,
// wait kinds and result types): client::page with browser_product::firefox forwards to it.
//
//   auto ff  = co_await launch_firefox(sched);
//   auto tab = co_await firefox_tab::open(sched, (*ff)->connection(), "about:blank", rt::deadline(30s));
//   auto nav = co_await tab->navigate(url, wait_until::load, rt::deadline(10s));
//   auto v   = co_await tab->evaluate("document.title", rt::deadline(5s));
//   auto log = co_await tab->console_entries();
//
// How it follows the page (as recorded in live RDP transcripts against Firefox ESR 153):
//   - the tab descriptor (`root.getTab`) is the stable handle; its watcher
//     (`getWatcher {isServerTargetSwitchingEnabled:true}`) announces each document's target with
//     `target-available-form`. Every navigation and reload replaces the top-level target and all
//     its actors (console, screenshot...), so the tab keeps only the *current* target's actors and
//     drops them on `target-destroyed-form` / `forwardingCancelled`; calls always use the current
//     ones;
//   - one actor per tab (firefox_tab_actor) owns the tab's state; its pump handler reads every event
//     of the connection and keeps that state (current
//     target, load stage, console buffer, network table, evaluation results). It never sends a
//     request: a blocking subscription that stops being read would stall every reply on the
//     connection, so the pump only files events and the callers do the asking;
//   - load stages come from `document-event` resources of the current target: dom-interactive is
//     `domcontentloaded`, dom-complete is `load`; a new top-level target is `commit`;
//     `network_idle` is `load` plus no request (of those started since the navigation was sent) in
//     flight for 500 ms;
//   - evaluate sends `evaluateJSAsync` to the current console actor; the value comes later as an
//     `evaluationResult` event with the reply's `resultID`. The expression runs as a script through
//     an indirect eval inside an async wrapper that awaits promises and returns one JSON string
//     `{"ok":true,"v":JSON.stringify(value)}` or `{"ok":false,"m":message,"s":stack}`: that gives
//     the same by-value JSON Chromium's returnByValue gives (undefined, functions and symbols become
//     null, BigInt its decimal string), a rejected promise's message and stack (which Firefox's own
//     `mapped.await` drops), and one round trip instead of walking object actors. A result of 10000
//     characters or more arrives as a longString grip and is read in full with `substring`. A
//     page whose CSP forbids eval cannot be evaluated in this way (errc::javascript, EvalError);
//   - a navigation while a call is pending fails that call with errc::target_closed, never hangs:
//     the connection fails requests to torn-down actors, and evaluate watches for its console
//     actor being replaced.
//
// Tabs: RDP has no request that creates or closes a tab, so open() and close() evaluate
// `gBrowser.addTab` / `removeTab` in the parent process's console (needs devtools.chrome.enabled,
// which launch_firefox sets).
//
// Most users want client::page (launch_options::product = browser_product::firefox), whose
// domain handles (network(), console(), dom(), css(), runtime()) are built on this tab: the
// console buffer and network table kept here (console_entries(), network_requests(), in the
// domains' own types), the DOM mirror client::firefox_dom (firefox_dom.hpp), CSS firefox_css.hpp
// (fed by this tab's `stylesheet` resources), response bodies and headers firefox_network.hpp.
//
// @par Thread Safety
// firefox_tab is a handle: copies may be used from any threads at once, and calls on one tab may
// run concurrently. The tab's state belongs to its actor: readers ask it (visits) and get copies.
#pragma once

#include <janus/client/page.hpp>
#include <janus/session/rdp_connection.hpp>
#include <janus/domains/console.hpp>
#include <janus/domains/network.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/stream.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace janus::client {

/// One entry of `root.listTabs`.
///
/// @par Thread Safety
/// A plain value.
struct firefox_tab_info {
  std::string actor;  // the tab descriptor
  std::int64_t browser_id = 0;
  std::string url;
  std::string title;
  bool selected = false;
};

/// @par Thread Safety
/// A plain value.
struct firefox_tab_options {
  /// Console entries kept; older ones are pushed out (console_entry::seq shows the gaps).
  std::size_t console_capacity = 10000;
  /// Network rows kept; older ones are pushed out.
  std::size_t network_capacity = 2000;
  /// The pump's event queue. It blocks rather than drops; the pump never waits on anything but it.
  std::size_t event_queue = 4096;
  /// Network idleness (network_idle waits): a request that got no response and saw nothing for
  /// this long stops counting as in flight (long-polls, responses held open), as
  /// domains::network_options::long_lived_after does on Chromium; see network.hpp's rule.
  std::chrono::milliseconds long_lived_after{5000};
};

/// Actors of the tab's current document, for the facets that talk to them directly (the DOM
/// mirror, firefox_dom). A navigation replaces them all.
///
/// @par Thread Safety
/// A plain value.
struct firefox_document_actors {
  std::string target;     // the top-level windowGlobalTarget
  std::string inspector;  // its inspectorActor
  std::string url;
};

/// The tabs Firefox has open (`root.listTabs`).
rt::task<rt::result<std::vector<firefox_tab_info>>> list_firefox_tabs(session::rdp_connection conn, rt::deadline d);

namespace detail {
struct firefox_tab_state;
struct firefox_tab_core;
}  // namespace detail

/// See the top of this file.
///
/// @par Thread Safety
/// A handle: copies may be used from any threads at once; the tab's actor stops with the last copy.
class firefox_tab {
 public:
  /// Opens a new tab (chrome-context `gBrowser.addTab`), attaches to it and, unless `url` is empty
  /// or about:blank, navigates it to `url` and waits for `load`.
  static rt::task<rt::result<firefox_tab>> open(rt::scheduler& sched, session::rdp_connection conn, std::string url,
                                                rt::deadline d);
  static rt::task<rt::result<firefox_tab>> open(rt::scheduler& sched, session::rdp_connection conn, std::string url,
                                                rt::deadline d, firefox_tab_options options);
  /// Attaches to an open tab by its browserId (firefox_tab_info::browser_id): gets its watcher,
  /// watches its targets and resources (replaying the current document's console messages and
  /// load events), and returns once its current target is known.
  static rt::task<rt::result<firefox_tab>> attach(rt::scheduler& sched, session::rdp_connection conn, std::int64_t browser_id,
                                                  rt::deadline d);
  static rt::task<rt::result<firefox_tab>> attach(rt::scheduler& sched, session::rdp_connection conn, std::int64_t browser_id,
                                                  rt::deadline d, firefox_tab_options options);

  firefox_tab() = default;
  explicit firefox_tab(std::shared_ptr<detail::firefox_tab_core> core) : core_(std::move(core)) {}
  explicit operator bool() const noexcept { return core_ != nullptr; }
  bool operator==(const firefox_tab& o) const noexcept { return core_ == o.core_; }

  std::int64_t browser_id() const noexcept;
  /// The tab descriptor actor (stable across navigations).
  const std::string& descriptor() const noexcept;
  const session::rdp_connection& connection() const noexcept;

  /// ok while the tab lives; target_closed once it was closed, or the connection's error.
  rt::result<void> alive() const;

  /// Navigates the tab (`tabDescriptor.navigateTo`) and waits until `until`. A page Firefox could
  /// not load (its about:neterror page) fails with errc::protocol naming the error; an invalid URL
  /// with errc::protocol; nothing before `d` with errc::timeout. A fragment-only change of the
  /// current URL replaces no document: it returns at once with same_document set.
  rt::task<rt::result<navigation>> navigate(std::string url, wait_until until, rt::deadline d) const;
  rt::task<rt::result<navigation>> navigate(std::string url) const { return navigate(std::move(url), wait_until::load, std::chrono::seconds(30)); }
  rt::task<rt::result<navigation>> navigate(std::string url, wait_until until) const { return navigate(std::move(url), std::move(until), std::chrono::seconds(30)); }
  /// `tabDescriptor.reloadDescriptor` (a new target, like any navigation).
  rt::task<rt::result<navigation>> reload(wait_until until, rt::deadline d) const;
  rt::task<rt::result<navigation>> reload() const { return reload(wait_until::load, std::chrono::seconds(30)); }
  rt::task<rt::result<navigation>> reload(wait_until until) const { return reload(std::move(until), std::chrono::seconds(30)); }

  /// Through the session history (`history.back()` / `forward()` in the page, after asking the
  /// Navigation API's canGoBack / canGoForward); with no entry in that direction:
  /// errc::invalid_argument. The entry must be another document (a fragment-only history entry
  /// brings no new target and times out).
  rt::task<rt::result<navigation>> go_back(wait_until until, rt::deadline d) const;
  rt::task<rt::result<navigation>> go_back() const { return go_back(wait_until::load, std::chrono::seconds(30)); }
  rt::task<rt::result<navigation>> go_back(wait_until until) const { return go_back(std::move(until), std::chrono::seconds(30)); }
  rt::task<rt::result<navigation>> go_forward(wait_until until, rt::deadline d) const;
  rt::task<rt::result<navigation>> go_forward() const { return go_forward(wait_until::load, std::chrono::seconds(30)); }
  rt::task<rt::result<navigation>> go_forward(wait_until until) const { return go_forward(std::move(until), std::chrono::seconds(30)); }

  /// The value of a JavaScript expression (a script, evaluated like Runtime.evaluate: its
  /// completion value; promises awaited) as JSON, the same values Chromium returns by value. A JS
  /// exception or rejection is errc::javascript with "<Name>: <message>" and the stack.
  rt::task<rt::result<protocol::json_value>> evaluate(std::string expression, rt::deadline d) const;
  rt::task<rt::result<protocol::json_value>> evaluate(std::string expression) const { return evaluate(std::move(expression), std::chrono::seconds(30)); }

  /// Replaces the document's content with `html` (document.open/write/close in the page; no new
  /// target). Scripts in `html` run; the resources it references may still be loading on return.
  rt::task<rt::result<void>> set_content(std::string html, rt::deadline d) const;
  rt::task<rt::result<void>> set_content(std::string html) const { return set_content(std::move(html), std::chrono::seconds(30)); }

  /// PNG bytes of the viewport, the full page, or one element (`screenshotContent.prepareCapture`
  /// then root `screenshot.capture`). errc::not_found when the selector matches nothing.
  rt::task<rt::result<std::vector<std::uint8_t>>> screenshot(screenshot_options options, rt::deadline d) const;
  rt::task<rt::result<std::vector<std::uint8_t>>> screenshot() const { return screenshot(screenshot_options{}, std::chrono::seconds(30)); }
  rt::task<rt::result<std::vector<std::uint8_t>>> screenshot(screenshot_options options) const { return screenshot(std::move(options), std::chrono::seconds(30)); }

  /// The console buffer, oldest first: console API calls and page errors of every document this
  /// tab has shown since it was attached (plus the replay of the first one's).
  rt::task<rt::result<std::vector<domains::console_entry>>> console_entries() const;
  /// Every console entry recorded from now on, in order (the counterpart of Chromium's
  /// domains::console::subscribe), through a queue of `capacity` with `policy`: `block` loses
  /// nothing and, while the subscriber lags, holds up this connection's events (and so its
  /// replies); drop_oldest / drop_newest never hold anything up and count what they drop.
  rt::task<rt::result<rt::subscription<domains::console_entry>>> console_subscribe(std::size_t capacity,
                                                                                   rt::overflow policy) const;
  /// The network table, oldest first (one row per request; Firefox reports a redirect as a new
  /// request, so redirect_index stays 0).
  rt::task<rt::result<std::vector<domains::network_request>>> network_requests() const;

  /// The tab's lifecycle state: target_id is the current target actor, session_id the watcher,
  /// frame_id the browsingContextID, loader_id the document's innerWindowId.
  rt::task<rt::result<page_info>> info(rt::deadline d) const;
  rt::task<rt::result<page_info>> info() const { return info(std::chrono::seconds(5)); }

  /// The current document's actors (waits while a navigation has none live).
  rt::task<rt::result<firefox_document_actors>> document_actors(rt::deadline d) const;

  /// Closes the tab (chrome-context `gBrowser.removeTab`); the handle then fails with target_closed.
  rt::task<rt::result<void>> close(rt::deadline d) const;

  const std::shared_ptr<detail::firefox_tab_core>& core() const noexcept { return core_; }

 private:
  std::shared_ptr<detail::firefox_tab_core> core_;
};

/// Evaluates `js` in Firefox's parent process (the browser window, chrome privileges) and returns
/// its result grip as Firefox sent it. Needs devtools.chrome.enabled.
rt::task<rt::result<protocol::json_value>> firefox_chrome_eval(session::rdp_connection conn, std::string js, rt::deadline d);

}  // namespace janus::client
