// DOM for Firefox: a mirror of a firefox_tab's document, built through the inspector's walker and
// kept current from its mutations. The same cache types as Chromium's mirror (domains::dom_node,
// node_ref, dom_stats) and the same serializer (domains::serialize_html).
//
//   auto doc  = firefox_dom::start(sched, tab);
//   auto html = co_await doc.html(rt::deadline(20s));                  // the mirror, serialized
//   auto hit  = co_await doc.query_selector("#main p", rt::deadline(5s));
//   auto text = co_await doc.outer_html(**hit, rt::deadline(5s));      // from the mirror
//
// How it stays in sync (/work/shared/notes/firefox-rdp-transcripts.md §5):
//   - the current target's inspectorActor gives the walker (`getWalker {showComments:true}`,
//     comments being hidden otherwise); the mirror asks `children` of every node, so that every
//     node has an actor: the walker reports mutations only of nodes the client has seen;
//   - the walker sends one `newMutations` and no other until `getMutations` is called. A worker
//     task of the mirror reads those events from its own lossy subscription (one pending event per
//     walker, so nothing is lost, and a slow mirror never stalls the connection), asks
//     getMutations and applies the batch: characterData and attribute values directly; a childList
//     makes it re-ask `children` of the target (the mutation names only nodes that already had
//     actors), and new nodes are read to the bottom. An attribute reported more than once in a
//     batch re-reads the parent's children, whose forms carry the attributes in document order
//     (a value reported is the one at the batch's time, not at each change's). getMutations runs
//     without `cleanup`: that would release every node reported removed, even one the page moved
//     under a parent the walker had no actor for, which the mirror may already have read again.
//     The mirror releases the nodes it dropped and did not meet again, after each batch;
//   - a navigation replaces the target and its inspector: the worker notices the tab's new
//     document, drops the mirror, bumps the generation and builds it again. A node_ref of an
//     older generation, or of a node since removed, fails with errc::stale_node. The tab's pump is
//     not involved: it never sends requests, and the mirror's asking happens in its worker and in
//     the callers.
//
// What it leaves out: the walker hides whitespace-only text nodes that take no room in the layout
// (the devtools markup view never shows them, and no request returns them), so the mirror lacks
// them and its serialization differs from outerHTML wherever a page has them (between block tags,
// typically); dom_node::child_count still counts them (Firefox's numChildren). A whitespace-only
// text node that gets other text later is not reported either. Like Chromium's mirror, it leaves
// out pseudo-elements, shadow roots and iframes' documents (outerHTML has none of them). One
// mirror per tab: two would take each other's mutations, and the walker is shared with anything
// else using that inspector.
//
// @par Thread Safety
// firefox_dom is a handle: copies may be used from any threads at once. The mirror is behind a
// mutex, written by the worker and by the callers' lookups; readers get copies. The worker stops
// with the last copy.
#pragma once

#include <janus/client/firefox_tab.hpp>
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

  /// walker.querySelector / querySelectorAll under the document; the nodes are returned once the
  /// mirror has them (a node inserted just before the call is waited for). A bad selector is
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

  /// The browser's own outerHTML of `n` (walker `outerHTML`), to check the mirror against.
  rt::task<rt::result<std::string>> browser_outer_html(domains::node_ref n, rt::deadline d) const;
  /// The walker's actor for `n`, for requests about the node to other actors (the page style
  /// actor's computed style, firefox_css); errc::stale_node for a node of an older document.
  rt::task<rt::result<std::string>> node_actor(domains::node_ref n, rt::deadline d) const;

  /// Returns once the mirror is built for the tab's current document, no batch is being applied
  /// and no `newMutations` came for `quiet` (the walker batches them every 100 ms, so `quiet`
  /// should be longer): after the page stops changing, the mirror has caught up.
  rt::task<rt::result<void>> settle(std::chrono::milliseconds quiet, rt::deadline d) const;
  /// In Firefox's terms: events are mutation records applied, unknown those about nodes the
  /// mirror does not have (removed, or not read yet), child_requests `children` sent,
  /// request_failures the failed ones and failed batches, refreshes the documents mirrored.
  rt::task<rt::result<domains::dom_stats>> stats(rt::deadline d) const;

 private:
  std::shared_ptr<detail::firefox_dom_owner> owner_;
};

}  // namespace janus::client
