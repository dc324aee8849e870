// Private to client/ (not installed): a facet of the Firefox page; users reach it through
// client::page and its domain handles (page.rdp() is the escape hatch to RDP).
//
// CSS of a Firefox tab, in the Chromium CSS domain's value types (domains/css.hpp): the style
// sheet registry, a sheet's text on demand, computed style and matched rules of an element.
//
//   firefox_css css(tab);
//   auto sheets = co_await css.sheets(rt::deadline(5s));
//   auto text   = co_await css.text(sheets->front().id, rt::deadline(5s));
//   auto color  = co_await css.computed("#main", rt::deadline(5s));
//   auto rules  = co_await css.matched("#main", rt::deadline(5s));
//   co_await css.set_text(sheets->front().id, "p { color: red; }", rt::deadline(5s));
//
// How (as recorded in live RDP transcripts against Firefox ESR 153):
//   - the registry is filed by the tab's pump from `stylesheet` resources (the tab watches them),
//     replayed for the document already shown when the tab attached. A sheet's id is the
//     resource's resourceId; its frame_id the browsingContextID of the frame that reported it. A
//     navigation replaces the top-level target: the old document's sheets leave at that commit
//     and the new document's are reported afresh (like the Chromium side, right after a
//     navigation sheets() may not list them all yet);
//   - text is `styleSheets.getText {resourceId}` on the sheet's frame target, a longstring read in
//     full; cached until the sheet is updated (`resources-updated-array`) or set_text replaces it;
//   - an element is named by a CSS selector (its first match in the top-level document): the
//     inspector's walker (`getWalker`, `querySelector` from the document root) gives its node
//     actor, then the inspector's page style actor (`getPageStyle`) answers `getComputed` and
//     `getApplied`. The inspector hands out one walker and one page style per document, so each
//     call asks again rather than keeping actors a navigation would kill.
//
// Errors: errc::not_found for a selector matching nothing or a sheet id the registry does not
// have; errc::protocol for a selector Firefox rejects; errc::target_closed when the document was
// replaced during the call; errc::timeout at the deadline.
//
// @par Thread Safety
// A handle over a firefox_tab handle: copies may be used from any threads at once.
#pragma once

#include "firefox_tab.hpp"
#include <janus/domains/css.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/task.hpp>
#include <janus/rt/time.hpp>

#include <string>
#include <utility>
#include <vector>

namespace janus::client {

/// See the top of this file.
///
/// @par Thread Safety
/// A handle: copies may be used from any threads at once.
class firefox_css {
 public:
  firefox_css() = default;
  explicit firefox_css(firefox_tab tab) : tab_(std::move(tab)) {}
  explicit operator bool() const noexcept { return static_cast<bool>(tab_); }

  /// The sheets of the current document and its frames, ordered by id.
  rt::task<rt::result<std::vector<domains::style_sheet>>> sheets(rt::deadline d) const;
  /// A sheet's source text: as served (an inline sheet's element text), or as set_text left it.
  /// Firefox does not follow edits made through CSSOM (insertRule...): neither this text nor
  /// rule_count shows them.
  rt::task<rt::result<std::string>> text(std::string sheet_id, rt::deadline d) const;
  /// Replaces a sheet's text (`styleSheets.update`, CDP's CSS.setStyleSheetText); the page restyles
  /// with it and Firefox reports the sheet updated (its new rule_count) shortly after.
  rt::task<rt::result<void>> set_text(std::string sheet_id, std::string text, rt::deadline d) const;
  /// Every computed property of the first element matching `selector`, in Firefox's order.
  rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> computed(std::string selector,
                                                                                   rt::deadline d) const;
  /// The style rules that match the first element matching `selector`, lowest precedence first,
  /// user-agent rules included (origin "user-agent", empty sheet_id); its `style=` attribute and
  /// inherited rules are not rules of its own and are left out, as on the Chromium side.
  rt::task<rt::result<std::vector<domains::matched_rule>>> matched(std::string selector, rt::deadline d) const;
  /// The same for the node a walker actor stands for (firefox_dom::node_actor): how the css
  /// handle on Firefox answers for a domains::node_ref.
  rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> computed_at(std::string node_actor,
                                                                                      rt::deadline d) const;
  rt::task<rt::result<std::vector<domains::matched_rule>>> matched_at(std::string node_actor, rt::deadline d) const;
  rt::task<rt::result<domains::css_stats>> stats() const;

 private:
  firefox_tab tab_;
};

}  // namespace janus::client
