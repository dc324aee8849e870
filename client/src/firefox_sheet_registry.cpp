#include "firefox_sheet_registry.hpp"

#include "firefox_rdp_calls.hpp"

#include <utility>

namespace janus::client::detail {

using protocol::json_value;

namespace {

// A `stylesheet` resource as the fields of CDP's sheet header.
domains::style_sheet sheet_of(const json_value& res, std::int64_t browsing_context) {
  domains::style_sheet s;
  s.id = rdp_key(res["resourceId"]);
  s.frame_id = std::to_string(browsing_context);
  const std::string href = rdp_str(res["href"]);
  // An inline <style> has no href; nodeHref is its document's URL, which Chromium reports.
  s.is_inline = href.empty() && !rdp_bool(res["constructed"]);
  s.source_url = href.empty() ? rdp_str(res["nodeHref"]) : href;
  s.origin = rdp_bool(res["system"]) ? "user-agent" : rdp_bool(res["isNew"]) ? "inspector" : "regular";
  s.title = rdp_str(res["title"]);
  s.disabled = rdp_bool(res["disabled"]);
  if (const json_value* n = res.find("ruleCount"); n && n->is_number())
    s.rule_count = static_cast<std::size_t>(rdp_int(*n));
  return s;
}

}  // namespace

void firefox_sheet_registry::drop_if(const std::function<bool(const entry&)>& pred) {
  for (auto it = sheets_.begin(); it != sheets_.end();) {
    if (pred(it->second)) {
      it = sheets_.erase(it);
      ++stats_.removed;
    } else {
      ++it;
    }
  }
}

void firefox_sheet_registry::on_target(const json_value& form) {
  frame_actors f;
  f.target = rdp_str(form["actor"]);
  f.inspector = rdp_str(form["inspectorActor"]);
  f.style_sheets = rdp_str(form["styleSheetsActor"]);
  f.browsing_context = rdp_int(form["browsingContextID"]);
  if (rdp_bool(form["isTopLevelTarget"])) {
    const std::string top = f.target;
    drop_if([&](const entry& e) { return e.target != top; });
  }
  frames_[f.target] = std::move(f);
}

void firefox_sheet_registry::on_target_gone(const std::string& target) {
  frames_.erase(target);
  drop_if([&](const entry& e) { return e.target == target; });
}

void firefox_sheet_registry::on_resource(std::string_view kind, std::string_view from, const json_value& res) {
  if (kind == "resources-available-array") {
    if (!res.is_object() || !res.contains("resourceId")) {
      ++stats_.malformed;
      return;
    }
    auto f = frames_.find(std::string(from));
    if (f == frames_.end()) return;  // a target already replaced: its sheets are gone with it
    entry e;
    e.sheet = sheet_of(res, f->second.browsing_context);
    e.sheet.version = next_version_++;
    e.target = std::string(from);
    const std::string id = e.sheet.id;
    sheets_[id] = std::move(e);
    ++stats_.added;
  } else if (kind == "resources-updated-array") {
    auto it = sheets_.find(rdp_key(res["resourceId"]));
    if (it == sheets_.end()) return;
    const json_value& u = res["resourceUpdates"];
    if (const json_value* n = u.find("ruleCount"); n && n->is_number())
      it->second.sheet.rule_count = static_cast<std::size_t>(rdp_int(*n));
    if (const json_value* v = u.find("disabled")) it->second.sheet.disabled = rdp_bool(*v);
    // Any update may follow a change of the text (style-applied, at-rules-changed...).
    it->second.sheet.version = next_version_++;
    it->second.text.reset();
    ++stats_.changed;
  } else if (kind == "resources-destroyed-array") {
    // Destroyed resources come as bare ids or as {resourceType, resourceId} objects.
    const std::string id = res.is_object() ? rdp_key(res["resourceId"]) : rdp_key(res);
    if (sheets_.erase(id) != 0) ++stats_.removed;
  }
}

std::vector<domains::style_sheet> firefox_sheet_registry::sheets() const {
  std::vector<domains::style_sheet> out;
  out.reserve(sheets_.size());
  for (const auto& [id, e] : sheets_) out.push_back(e.sheet);
  return out;
}

std::optional<firefox_sheet_registry::frame_actors> firefox_sheet_registry::frame(const std::string& target) const {
  auto it = frames_.find(target);
  if (it == frames_.end()) return std::nullopt;
  return it->second;
}

rt::result<firefox_sheet_registry::sheet_lookup> firefox_sheet_registry::lookup(const std::string& id) {
  auto it = sheets_.find(id);
  if (it == sheets_.end()) return rt::error{rt::errc::not_found, "no style sheet " + id + " in the current document"};
  auto f = frames_.find(it->second.target);
  if (f == frames_.end())
    return rt::error{rt::errc::target_closed, "the document of style sheet " + id + " was replaced"};
  sheet_lookup l;
  l.style_sheets = f->second.style_sheets;
  l.version = it->second.sheet.version;
  l.text = it->second.text;
  return l;
}

void firefox_sheet_registry::count_text_read(bool cached) {
  ++(cached ? stats_.text_hits : stats_.text_fetches);
}

void firefox_sheet_registry::store_text(const std::string& id, std::uint64_t version, std::string text) {
  auto it = sheets_.find(id);
  if (it != sheets_.end() && it->second.sheet.version == version) it->second.text = std::move(text);
}

void firefox_sheet_registry::invalidate(const std::string& id) {
  auto it = sheets_.find(id);
  if (it == sheets_.end()) return;
  it->second.sheet.version = next_version_++;
  it->second.text.reset();
}

domains::css_stats firefox_sheet_registry::stats() const {
  domains::css_stats s = stats_;
  s.sheets = sheets_.size();
  return s;
}

}  // namespace janus::client::detail
