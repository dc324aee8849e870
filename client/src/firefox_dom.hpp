// Private to client/ (not installed): a facet of the Firefox page; users reach it through
// client::page and its domain handles (page.rdp() is the escape hatch to RDP).
//
// DOM for Firefox: a mirror of a firefox_tab's document, built and kept current by a small agent
// the mirror installs in the page. The same cache types as Chromium's mirror (domains::dom_node,
// node_ref, dom_stats) and the same serializer (domains::serialize_html).
//
//   auto doc  = firefox_dom::start(sched, tab);
//   auto html = co_await doc.html(rt::deadline(20s));                  // the mirror, serialized
//   auto hit  = co_await doc.query_selector("#main p", rt::deadline(5s));
//   auto text = co_await doc.outer_html(**hit, rt::deadline(5s));      // from the mirror
//
// How it stays in sync (the agent's wire format is at the top of client/src/firefox_dom_agent.cpp):
//   - for each new document of the tab, the mirror evaluates the agent in the page (as a function
//     body, without eval, so a page whose policy forbids eval is mirrored too). The agent gives
//     every node an id (the mirror's node ids), answers with the whole document in one flat list,
//     and watches the document and each template's content with a MutationObserver;
//   - a worker task keeps one evaluation open that the agent answers at its next change (or after a
//     second without one); then it pulls what changed: the child lists of parents whose children
//     changed, new and re-inserted nodes whole, and the attributes and data of nodes that changed,
//     all read at the pull's instant, so the mirror is always a state the page was really in. A
//     pull it cannot place (a child it was never sent) reads the document again;
//   - why not the inspector's walker: it hides whitespace-only text nodes that take no room in the
//     layout (every real page has them, between block tags), cannot give them an actor, and so
//     never reports a change of their data; and it reads one parent per request;
//   - a navigation replaces the document: the worker notices the tab's new document, drops the
//     mirror, bumps the generation and builds it again. A node_ref of an older generation, or of a
//     node since removed, fails with errc::stale_node.
//
// Queries run querySelector(All) in the page and answer with mirror nodes (waiting for a node
// inserted just before the query to be pulled). node_actor asks the inspector's walker for the
// node's actor (getNodeFromActor), for the style actors of firefox_css.
//
// What it leaves out: like Chromium's mirror, pseudo-elements, shadow roots and iframes' documents
// (outerHTML has none of them). The agent lives in the page's global under a symbol-keyed,
// non-enumerable property; a page script could find it (Object.getOwnPropertySymbols) and
// disturb it, as it could disturb any in-page instrumentation. One mirror per tab: a second one
// replaces the first one's agent.
//
// @par Thread Safety
// firefox_dom is a handle: copies may be used from any threads at once. The mirror belongs to its
// actor (firefox_dom_actor), whose worker writes it and whose visits answer the callers' lookups
// with copies. The actor stops with the last copy, ending the worker where it waits.
#pragma once

#include "firefox_tab.hpp"
#include <janus/domains/dom.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace janus::client {

namespace detail {
struct firefox_dom_core;
struct firefox_dom_owner;
}  // namespace detail

/// See the top of this file.
///
/// @par Thread Safety
/// A handle: copies may be used from any threads at once.
class firefox_dom {
 public:
  firefox_dom() = default;
  /// Starts the worker; the mirror is built in the background from the tab's current document.
  static firefox_dom start(rt::scheduler& sched, firefox_tab tab);
  explicit operator bool() const noexcept { return owner_ != nullptr; }

  /// The document node of the current generation. Waits while the tab's current document is
  /// being mirrored; fails with the build's error when mirroring it failed.
  rt::task<rt::result<domains::node_ref>> document(rt::deadline d) const;
  /// A copy of one node.
  rt::task<rt::result<domains::dom_node>> node(domains::node_ref n, rt::deadline d) const;
  /// The mirror's serialization of `n` with its own tag (outerHTML) or of its children (innerHTML).
  rt::task<rt::result<std::string>> outer_html(domains::node_ref n, rt::deadline d) const;
  rt::task<rt::result<std::string>> inner_html(domains::node_ref n, rt::deadline d) const;
  /// document.documentElement.outerHTML, from the mirror.
  rt::task<rt::result<std::string>> html(rt::deadline d) const;

  /// querySelector / querySelectorAll under the document, in the page; the nodes are returned once
  /// the mirror has them (a node inserted just before the call is waited for). A bad selector is
  /// errc::protocol naming Firefox's SyntaxError.
  rt::task<rt::result<std::optional<domains::node_ref>>> query_selector(std::string selector, rt::deadline d) const;
  rt::task<rt::result<std::vector<domains::node_ref>>> query_selector_all(std::string selector, rt::deadline d) const;
  /// The same under `root` (the document when empty); a root of an older document or since
  /// removed is errc::stale_node.
  rt::task<rt::result<std::optional<domains::node_ref>>> query_selector(std::string selector,
                                                                        std::optional<domains::node_ref> root,
                                                                        rt::deadline d) const;
  rt::task<rt::result<std::vector<domains::node_ref>>> query_selector_all(std::string selector,
                                                                          std::optional<domains::node_ref> root,
                                                                          rt::deadline d) const;

  /// The browser's own outerHTML of `n` (read in the page), to check the mirror against.
  rt::task<rt::result<std::string>> browser_outer_html(domains::node_ref n, rt::deadline d) const;
  /// The walker's actor for `n`, for requests about the node to other actors (the page style
  /// actor's computed style, firefox_css); errc::stale_node for a node of an older document.
  rt::task<rt::result<std::string>> node_actor(domains::node_ref n, rt::deadline d) const;

  /// Returns once the mirror is built for the tab's current document, no pull is under way and
  /// the agent reported no change for `quiet`: after the page stops changing, the mirror has
  /// caught up.
  rt::task<rt::result<void>> settle(std::chrono::milliseconds quiet, rt::deadline d) const;
  /// In Firefox's terms: events are the pulled changes applied (child lists, attribute lists,
  /// data), unknown those about nodes the mirror does not have, child_requests the pulls,
  /// request_failures failed reads and pulls, malformed pulls the mirror could not place (each
  /// reads the document again), refreshes the documents read whole.
  rt::task<rt::result<domains::dom_stats>> stats(rt::deadline d) const;

 private:
  std::shared_ptr<detail::firefox_dom_owner> owner_;
};

}  // namespace janus::client
