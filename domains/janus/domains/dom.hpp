// DOM: a mirror of the page's document, kept current from the DOM domain's events.
//
//   domains::dom doc = domains::dom::start(sched, page_session);
//   auto html = co_await doc.html();                                 // the mirror, serialized
//   auto hit = co_await doc.query_selector("#main p");               // std::optional<node_ref>
//   auto text = co_await doc.outer_html(**hit);                      // from the mirror
//
// How it stays in sync. DOM.getDocument(depth -1) returns the whole tree and makes Chromium
// report every later change to a node it has sent: childNodeInserted / Removed, attributeModified
// / Removed, characterDataModified, childNodeCountUpdated, setChildNodes. A node inserted with
// children Chromium did not send (childNodeCount > 0, no children) gets DOM.requestChildNodes
// (depth -1), whose answer arrives as setChildNodes; a style changed through CSSOM arrives as
// inlineStyleInvalidated and is re-read with DOM.getAttributes. Whitespace-only text nodes are
// included (DOM.enable includeWhitespace "all"), so the mirror serializes like the page.
//
// Generations. documentUpdated (a navigation, document.open) drops the mirror and bumps the
// generation; the new document is fetched at once. A node_ref carries the generation it was made
// in: using it in a later one fails with errc::stale_node, as does a node that has since been
// removed. Chromium never reuses a node id, so a handle can never name the wrong node.
//
// What it leaves out: shadow roots, pseudo-elements and iframes' documents are not mirrored
// (outerHTML does not include them either); Chromium cuts text nodes longer than 10 000
// characters in what it sends, and the mirror has what it was sent.
//
// @par Thread Safety
// `dom` is a handle: copies may be used from any threads at once. The mirror lives in an actor
// fed by its event subscription; readers get copies (a node, a serialization) through asks.
#pragma once

#include <janus/session/cdp_session.hpp>
#include <janus/domains/backend.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace janus::domains {

/// A node of one document generation.
///
/// @par Thread Safety
/// A plain value.
struct node_ref {
  std::int64_t id = 0;
  std::uint64_t generation = 0;
  friend bool operator==(const node_ref&, const node_ref&) = default;
};

/// One mirrored node (a copy).
///
/// @par Thread Safety
/// A plain value.
struct dom_node {
  std::int64_t id = 0;
  std::int64_t parent = 0;  // 0 for the document
  /// The DOM's nodeType: 1 element, 3 text, 8 comment, 9 document, 10 doctype, 11 fragment.
  int type = 0;
  std::string name;        // nodeName ("DIV", "#text")
  std::string local_name;  // "div"; empty for non-elements
  std::string value;       // nodeValue: text and comment data
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<std::int64_t> children;
  /// Whether `children` is known (Chromium sent them); child_count is known either way.
  bool children_known = false;
  std::int64_t child_count = 0;
  /// A <template>'s content fragment (its id), or 0.
  std::int64_t template_content = 0;
  std::string public_id;  // doctype only
  std::string system_id;

  const std::string* attribute(std::string_view n) const {
    for (const auto& [k, v] : attributes)
      if (k == n) return &v;
    return nullptr;
  }
};

/// @par Thread Safety
/// A plain value.
struct dom_stats {
  std::uint64_t generation = 0;
  std::size_t nodes = 0;
  std::uint64_t events = 0;
  std::uint64_t unknown = 0;            // events about nodes the mirror does not have (stale)
  std::uint64_t malformed = 0;
  std::uint64_t child_requests = 0;     // DOM.requestChildNodes sent
  std::uint64_t attribute_reads = 0;    // DOM.getAttributes sent (after inlineStyleInvalidated)
  std::uint64_t request_failures = 0;   // of those and of getAttributes (the node went meanwhile)
  std::uint64_t refreshes = 0;          // DOM.getDocument sent
  std::uint64_t value_reads = 0;        // full values read of text or comments CDP sent cut short
  std::uint64_t dropped = 0;
  bool ready = false;                   // a document is mirrored
};

/// @par Thread Safety
/// A plain value.
struct dom_options {
  /// Events while the subscription's consumer is busy. It blocks rather than drops (a dropped
  /// event would corrupt the mirror): the actor's pump never waits on anything but its queue.
  std::size_t event_queue = 8192;
  std::chrono::milliseconds command_timeout{20000};
};

/// The calls of `dom`, over one protocol (see backend.hpp). Calls not overridden
/// fail with errc::unsupported.
///
/// @par Thread Safety
/// See backend.hpp: called from any thread at once.
class dom_backend : public domain_backend {
 public:
  using domain_backend::domain_backend;
  virtual rt::task<rt::result<std::string>> outer_html(node_ref n, rt::deadline d);
  virtual rt::task<rt::result<std::string>> inner_html(node_ref n, rt::deadline d);
  virtual rt::task<rt::result<std::string>> browser_outer_html(node_ref n, rt::deadline d);
  virtual rt::task<rt::result<std::optional<node_ref>>> query_selector(std::string selector, std::optional<node_ref> root, rt::deadline d);
  virtual rt::task<rt::result<std::vector<node_ref>>> query_selector_all(std::string selector, std::optional<node_ref> root, rt::deadline d);
  virtual rt::task<rt::result<void>> settle(std::chrono::milliseconds quiet, rt::deadline d);
  virtual rt::task<rt::result<void>> enable(rt::deadline d);
  virtual rt::task<rt::result<node_ref>> document(rt::deadline d);
  virtual rt::task<rt::result<dom_node>> node(node_ref n, rt::deadline d);
  virtual rt::task<rt::result<std::string>> html(rt::deadline d);
  virtual rt::task<rt::result<dom_stats>> stats(rt::deadline d);
};

class dom {
 public:
  dom() = default;
  static dom start(rt::scheduler& sched, session::cdp_session session, dom_options options = {});
  /// A handle whose calls go to `backend` (another protocol than CDP; see backend.hpp).
  static dom over(std::shared_ptr<dom_backend> backend);
  explicit operator bool() const noexcept { return backend_ != nullptr; }

  /// Subscribes, sends DOM.enable, and fetches the document. Other calls enable first.
  rt::task<rt::result<void>> enable(rt::deadline d) const;
  rt::task<rt::result<void>> enable() const { return enable(std::chrono::seconds(20)); }
  /// The document node of the current generation (waits while a new document is being fetched).
  rt::task<rt::result<node_ref>> document(rt::deadline d) const;
  rt::task<rt::result<node_ref>> document() const { return document(std::chrono::seconds(20)); }
  /// A copy of one node.
  rt::task<rt::result<dom_node>> node(node_ref n, rt::deadline d) const;
  rt::task<rt::result<dom_node>> node(node_ref n) const { return node(std::move(n), std::chrono::seconds(10)); }
  /// The mirror's serialization of `n` with its own tag (outerHTML) or of its children only
  /// (innerHTML), by the HTML fragment serialization algorithm.
  rt::task<rt::result<std::string>> outer_html(node_ref n, rt::deadline d) const;
  rt::task<rt::result<std::string>> outer_html(node_ref n) const { return outer_html(std::move(n), std::chrono::seconds(10)); }
  rt::task<rt::result<std::string>> inner_html(node_ref n, rt::deadline d) const;
  rt::task<rt::result<std::string>> inner_html(node_ref n) const { return inner_html(std::move(n), std::chrono::seconds(10)); }
  /// document.documentElement.outerHTML, from the mirror.
  rt::task<rt::result<std::string>> html(rt::deadline d) const;
  rt::task<rt::result<std::string>> html() const { return html(std::chrono::seconds(20)); }
  /// DOM.getOuterHTML: the browser's own serialization, for comparison.
  rt::task<rt::result<std::string>> browser_outer_html(node_ref n, rt::deadline d) const;
  rt::task<rt::result<std::string>> browser_outer_html(node_ref n) const { return browser_outer_html(std::move(n), std::chrono::seconds(10)); }

  /// DOM.querySelector / querySelectorAll under `root` (the document when unset).
  rt::task<rt::result<std::optional<node_ref>>> query_selector(std::string selector, std::optional<node_ref> root, rt::deadline d) const;
  rt::task<rt::result<std::optional<node_ref>>> query_selector(std::string selector) const { return query_selector(std::move(selector), std::optional<node_ref>{}, std::chrono::seconds(10)); }
  rt::task<rt::result<std::optional<node_ref>>> query_selector(std::string selector, std::optional<node_ref> root) const { return query_selector(std::move(selector), std::move(root), std::chrono::seconds(10)); }
  rt::task<rt::result<std::vector<node_ref>>> query_selector_all(std::string selector, std::optional<node_ref> root, rt::deadline d) const;
  rt::task<rt::result<std::vector<node_ref>>> query_selector_all(std::string selector) const { return query_selector_all(std::move(selector), std::optional<node_ref>{}, std::chrono::seconds(10)); }
  rt::task<rt::result<std::vector<node_ref>>> query_selector_all(std::string selector, std::optional<node_ref> root) const { return query_selector_all(std::move(selector), std::move(root), std::chrono::seconds(10)); }

  /// Returns once nothing the mirror asked for is outstanding and no event changed it for
  /// `quiet`: after the page stops changing, the mirror has caught up.
  rt::task<rt::result<void>> settle(std::chrono::milliseconds quiet, rt::deadline d) const;
  rt::task<rt::result<void>> settle() const { return settle(std::chrono::milliseconds(100), std::chrono::seconds(20)); }
  rt::task<rt::result<void>> settle(std::chrono::milliseconds quiet) const { return settle(std::move(quiet), std::chrono::seconds(20)); }
  rt::task<rt::result<dom_stats>> stats(rt::deadline d) const;
  rt::task<rt::result<dom_stats>> stats() const { return stats(std::chrono::seconds(10)); }

  void stop() const;

 private:
  std::shared_ptr<dom_backend> backend_;
};

/// The HTML fragment serialization of text in an element: & < > and U+00A0 escaped.
std::string escape_html_text(std::string_view s);
/// The same for an attribute value: & " < > and U+00A0 escaped (Chromium escapes < and > in
/// attributes too, as the HTML standard now does).
std::string escape_html_attribute(std::string_view s);
/// The HTML fragment serialization of `root` with its own tag (outer) or of its children only:
/// the one serializer of every DOM mirror (Chromium's and Firefox's), so that both write a
/// document the same way. `lookup` gives a child by id, or null when the mirror lacks it (skipped).
std::string serialize_html(const dom_node& root, bool outer, const std::function<const dom_node*(std::int64_t)>& lookup);

}  // namespace janus::domains
