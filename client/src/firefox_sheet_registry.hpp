// The style sheets of one Firefox tab, filed by the tab's pump from `stylesheet` resources, and
// the actors of each frame target (inspector, styleSheets) that the CSS calls go to.
//
// A sheet belongs to the target that reported it. A navigation brings a new top-level target and
// tears down the old one with all its actors: when the new top-level target is announced, every
// sheet of another target leaves (the old document's, and its frames'; the new document's frames
// are announced after it), as the Chromium side drops a frame's sheets at its commit.
//
// @par Thread Safety
// Owned by the tab's state, so by the tab's actor: the pump calls the on_* members, and
// firefox_css reaches the others through visits to that actor (firefox_visit_sheets). No lock.
#pragma once

#include <janus/domains/css.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/rt/result.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace janus::client::detail {

/// @par Thread Safety
/// See the top of this file.
class firefox_sheet_registry {
 public:
  /// The actors of one frame target.
  struct frame_actors {
    std::string target;
    std::string inspector;
    std::string style_sheets;
    std::int64_t browsing_context = 0;
  };
  /// What a text read needs: where to ask, and the version the answer will be good for.
  struct sheet_lookup {
    std::string style_sheets;  // the styleSheets actor of the sheet's target
    std::uint64_t version = 0;
    std::optional<std::string> text;  // cached for this version
  };

  void on_target(const protocol::json_value& form);
  void on_target_gone(const std::string& target);
  /// One resource of a resources-{available,updated,destroyed}-array packet sent by `from`.
  void on_resource(std::string_view kind, std::string_view from, const protocol::json_value& res);

  std::vector<domains::style_sheet> sheets() const;
  std::optional<frame_actors> frame(const std::string& target) const;
  /// errc::not_found for a sheet the registry does not have (never seen, or of a replaced document).
  rt::result<sheet_lookup> lookup(const std::string& id);
  /// Caches `text` unless the sheet changed (or left) since `version` was looked up.
  void store_text(const std::string& id, std::uint64_t version, std::string text);
  /// For stats(): a text() answered from the cache, or asked of Firefox.
  void count_text_read(bool cached);
  /// A new version with no cached text: the sheet was changed by this client.
  void invalidate(const std::string& id);
  domains::css_stats stats() const;

 private:
  struct entry {
    domains::style_sheet sheet;
    std::string target;
    std::optional<std::string> text;
  };

  void drop_if(const std::function<bool(const entry&)>& pred);

  std::unordered_map<std::string, frame_actors> frames_;
  std::map<std::string, entry> sheets_;
  std::uint64_t next_version_ = 1;
  domains::css_stats stats_;
};

}  // namespace janus::client::detail
