// CSS: the page's style sheets, kept from styleSheetAdded / Changed / Removed, their text fetched
// when first asked for and dropped when the sheet changes; computed style and matched rules of a
// node.
//
//   domains::css styles = domains::css::start(sched, page_session);
//   auto sheets = co_await styles.sheets();
//   auto text = co_await styles.text(sheets->front().id);
//   auto color = co_await styles.computed(node);          // node from the DOM mirror
//
// Node ids are the DOM domain's, as the dom mirror hands them out (dom.hpp); Chromium never reuses
// one, so an id of a node that has gone fails (errc::protocol) rather than naming another node.
// The CSS domain needs the DOM domain enabled: enabling sends DOM.enable with includeWhitespace
// "all", the same as the dom mirror, so the two never undo each other's setting.
//
// Sheets arrive as events, CSS.enable's report of the existing ones included: right after
// enable() returns, sheets() may not list them all yet.
//
// A frame's sheets leave the registry when it commits a new document (Page.frameNavigated, so
// enabling also sends Page.enable): the new document's sheets are reported afresh.
//
// @par Thread Safety
// `css` is a handle: copies may be used from any threads at once. The registry lives in an actor fed
// by its event subscription; readers get copies through asks.
#pragma once

#include <janus/session/cdp_session.hpp>
#include <janus/domains/backend.hpp>
#include <janus/domains/dom.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace janus::domains {

/// @par Thread Safety
/// A plain value.
struct style_sheet {
  std::string id;
  std::string frame_id;
  /// The sheet's URL; for an inline <style>, its document's URL (is_inline tells them apart).
  std::string source_url;
  /// "regular", "inspector", "injected", "user-agent".
  std::string origin;
  std::string title;
  std::int64_t owner_node = 0;
  bool disabled = false;
  bool is_inline = false;
  /// Bumped by every styleSheetChanged: a cached text is only good for the version it was read at.
  std::uint64_t version = 0;
  /// Top-level rules in the sheet, when the browser reports it (Firefox's ruleCount; Chromium's
  /// sheet header has no such count).
  std::optional<std::size_t> rule_count;
};

/// One rule that matched a node.
///
/// @par Thread Safety
/// A plain value.
struct matched_rule {
  std::string selector;     // the rule's whole selector list text
  std::string origin;
  std::string sheet_id;     // empty for user-agent rules
  std::vector<std::pair<std::string, std::string>> properties;  // as written, in order
};

/// @par Thread Safety
/// A plain value.
struct css_stats {
  std::size_t sheets = 0;
  std::uint64_t added = 0;
  std::uint64_t changed = 0;
  std::uint64_t removed = 0;
  std::uint64_t text_fetches = 0;
  std::uint64_t text_hits = 0;
  std::uint64_t malformed = 0;
  std::uint64_t dropped = 0;
};

/// @par Thread Safety
/// A plain value.
struct css_options {
  std::size_t event_queue = 1024;
  std::chrono::milliseconds command_timeout{10000};
};

/// The calls of `css`, over one protocol (see backend.hpp). Calls not overridden
/// fail with errc::unsupported.
///
/// @par Thread Safety
/// See backend.hpp: called from any thread at once.
class css_backend : public domain_backend {
 public:
  using domain_backend::domain_backend;
  virtual rt::task<rt::result<std::string>> text(std::string sheet_id, rt::deadline d);
  virtual rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> computed(node_ref node, rt::deadline d);
  virtual rt::task<rt::result<std::vector<matched_rule>>> matched(node_ref node, rt::deadline d);
  virtual rt::task<rt::result<void>> enable(rt::deadline d);
  virtual rt::task<rt::result<std::vector<style_sheet>>> sheets(rt::deadline d);
  virtual rt::task<rt::result<css_stats>> stats(rt::deadline d);
};

class css {
 public:
  css() = default;
  static css start(rt::scheduler& sched, session::cdp_session session, css_options options = {});
  /// A handle whose calls go to `backend` (another protocol than CDP; see backend.hpp).
  static css over(std::shared_ptr<css_backend> backend);
  explicit operator bool() const noexcept { return backend_ != nullptr; }

  /// Subscribes, then sends DOM.enable and CSS.enable (which reports the sheets already there).
  rt::task<rt::result<void>> enable(rt::deadline d) const;
  rt::task<rt::result<void>> enable() const { return enable(std::chrono::seconds(10)); }
  /// The sheets of the current document, by id.
  rt::task<rt::result<std::vector<style_sheet>>> sheets(rt::deadline d) const;
  rt::task<rt::result<std::vector<style_sheet>>> sheets() const { return sheets(std::chrono::seconds(10)); }
  /// A sheet's text: from the cache, or CSS.getStyleSheetText (then cached until the sheet
  /// changes). errc::not_found for an id the registry does not have.
  rt::task<rt::result<std::string>> text(std::string sheet_id, rt::deadline d) const;
  rt::task<rt::result<std::string>> text(std::string sheet_id) const { return text(std::move(sheet_id), std::chrono::seconds(10)); }
  /// CSS.getComputedStyleForNode: every property's computed value, in the browser's order.
  rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> computed(node_ref node, rt::deadline d) const;
  rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> computed(node_ref node) const { return computed(std::move(node), std::chrono::seconds(10)); }
  /// CSS.getMatchedStylesForNode: the rules that match the node, lowest precedence first.
  rt::task<rt::result<std::vector<matched_rule>>> matched(node_ref node, rt::deadline d) const;
  rt::task<rt::result<std::vector<matched_rule>>> matched(node_ref node) const { return matched(std::move(node), std::chrono::seconds(10)); }
  rt::task<rt::result<css_stats>> stats(rt::deadline d) const;
  rt::task<rt::result<css_stats>> stats() const { return stats(std::chrono::seconds(10)); }
  void stop() const;

 private:
  std::shared_ptr<css_backend> backend_;
};

}  // namespace janus::domains
