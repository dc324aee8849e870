#include "firefox_css.hpp"

#include "firefox_rdp_calls.hpp"
#include "firefox_sheet_registry.hpp"
#include "firefox_tab_internal.hpp"

#include <algorithm>
#include <memory>

namespace janus::client {

using protocol::json_value;

namespace {

// getApplied's type of a style rule (CSSRule.STYLE_RULE); an element's style= is type 100.
constexpr std::int64_t style_rule_type = 1;

struct styled_node {
  std::string page_style;
  std::string node;
};

using detail::firefox_sheet_registry;

// Runs `f` on the tab's sheet registry, in the tab's actor, and returns what it returned.
template <class R>
rt::task<rt::result<R>> with_sheets(firefox_tab tab, std::function<R(firefox_sheet_registry&)> f, rt::deadline d) {
  struct box {
    std::function<R(firefox_sheet_registry&)> f;
    std::optional<R> out;
  };
  auto b = std::make_shared<box>();
  b->f = std::move(f);
  std::function<void(firefox_sheet_registry&)> fn = [b](firefox_sheet_registry& r) { b->out.emplace(b->f(r)); };
  rt::result<void> done = co_await detail::firefox_visit_sheets(std::move(tab), std::move(fn), d);
  if (!done) co_return std::move(done).err();
  co_return std::move(*b->out);
}

// The page style actor of the tab's current top-level document (it answers about its nodes), with
// the document's walker and its root node.
struct page_style {
  std::string actor;
  std::string walker;
  std::string root;
};

rt::task<rt::result<page_style>> page_style_of(firefox_tab tab, std::string what, rt::deadline d) {
  if (!tab) co_return rt::error{rt::errc::invalid_argument, "firefox css: empty handle"};
  rt::result<std::string> target = co_await detail::firefox_current_target(tab, d);
  if (!target) co_return detail::rdp_in_context(std::move(target).err(), what);
  const std::string target_actor = *target;
  std::function<std::optional<firefox_sheet_registry::frame_actors>(firefox_sheet_registry&)> find_frame =
      [target_actor](firefox_sheet_registry& r) { return r.frame(target_actor); };
  rt::result<std::optional<firefox_sheet_registry::frame_actors>> found = co_await with_sheets(tab, std::move(find_frame), d);
  if (!found) co_return detail::rdp_in_context(std::move(found).err(), what);
  std::optional<firefox_sheet_registry::frame_actors> frame = std::move(*found);
  if (!frame) co_return rt::error{rt::errc::target_closed, what + ": the document was replaced"};
  if (frame->inspector.empty()) co_return rt::error{rt::errc::unsupported, what + ": the target has no inspector"};
  const session::rdp_connection& conn = tab.connection();

  // The inspector makes one walker per document, with the options of whoever asks first, and
  // getPageStyle makes it too (with none) when there is none yet: ask for it first, with what the
  // DOM mirror (firefox_dom) needs, so that a CSS lookup first does not hide comments from a
  // mirror started later.
  json_value wopts = json_value::object();
  wopts.set("showComments", true);
  json_value wp = json_value::object();
  wp.set("options", std::move(wopts));
  rt::result<json_value> walker = co_await detail::rdp_call(conn, frame->inspector, "getWalker", std::move(wp), d);
  if (!walker) co_return detail::rdp_target_error(std::move(walker).err(), what + ": getWalker");
  page_style out;
  out.walker = detail::rdp_str((*walker)["walker"]["actor"]);
  out.root = detail::rdp_str((*walker)["walker"]["root"]["actor"]);
  if (out.walker.empty() || out.root.empty())
    co_return rt::error{rt::errc::protocol, what + ": no walker in " + walker->dump()};

  rt::result<json_value> ps = co_await detail::rdp_call(conn, frame->inspector, "getPageStyle", json_value::object(), d);
  if (!ps) co_return detail::rdp_target_error(std::move(ps).err(), what + ": getPageStyle");
  out.actor = detail::rdp_str((*ps)["pageStyle"]["actor"]);
  if (out.actor.empty()) co_return rt::error{rt::errc::protocol, what + ": no page style in " + ps->dump()};
  co_return out;
}

// The node actor of the first element matching `selector` in the current top-level document,
// with the page style actor that answers about it.
rt::task<rt::result<styled_node>> styled_node_of(firefox_tab tab, std::string selector, rt::deadline d) {
  const std::string what = "firefox css: element " + selector;
  rt::result<page_style> ps = co_await page_style_of(tab, what, d);
  if (!ps) co_return std::move(ps).err();
  json_value qp = json_value::object();
  qp.set("node", ps->root);
  qp.set("selector", selector);
  rt::result<json_value> found =
      co_await detail::rdp_call(tab.connection(), ps->walker, "querySelector", std::move(qp), d);
  if (!found) co_return detail::rdp_target_error(std::move(found).err(), what + ": querySelector");
  // Not released after use: the walker is the inspector's only one, shared with whoever else reads
  // this document (a DOM mirror), and it hands out one actor per node, which that reader may hold.
  const std::string node = detail::rdp_str((*found)["node"]["actor"]);
  if (node.empty()) co_return rt::error{rt::errc::not_found, what + ": no element matches"};
  co_return styled_node{std::move(ps->actor), node};
}

rt::task<rt::result<styled_node>> styled_node_at(firefox_tab tab, std::string node_actor, rt::deadline d) {
  rt::result<page_style> ps = co_await page_style_of(tab, "firefox css: node " + node_actor, d);
  if (!ps) co_return std::move(ps).err();
  co_return styled_node{std::move(ps->actor), std::move(node_actor)};
}

std::string joined_selectors(const json_value& rule) {
  std::string out;
  if (const auto* list = rule["selectors"].get_array()) {
    for (const json_value& s : *list) {
      if (!out.empty()) out += ", ";
      out += detail::rdp_str(s);
    }
  }
  return out;
}

}  // namespace

rt::task<rt::result<std::vector<domains::style_sheet>>> firefox_css::sheets(rt::deadline d) const {
  if (!tab_) co_return rt::error{rt::errc::invalid_argument, "firefox css: empty handle"};
  if (rt::result<void> a = tab_.alive(); !a) co_return std::move(a).err();
  std::function<std::vector<domains::style_sheet>(firefox_sheet_registry&)> f = [](firefox_sheet_registry& r) {
    return r.sheets();
  };
  co_return co_await with_sheets(tab_, std::move(f), d);
}

rt::task<rt::result<std::string>> firefox_css::text(std::string sheet_id, rt::deadline d) const {
  const std::string what = "firefox css: text of " + sheet_id;
  if (!tab_) co_return rt::error{rt::errc::invalid_argument, "firefox css: empty handle"};
  if (rt::result<void> a = tab_.alive(); !a) co_return std::move(a).err();
  std::function<rt::result<firefox_sheet_registry::sheet_lookup>(firefox_sheet_registry&)> look =
      [sheet_id](firefox_sheet_registry& r) {
        rt::result<firefox_sheet_registry::sheet_lookup> l = r.lookup(sheet_id);
        if (l) r.count_text_read(l->text.has_value());
        return l;
      };
  rt::result<rt::result<firefox_sheet_registry::sheet_lookup>> looked = co_await with_sheets(tab_, std::move(look), d);
  if (!looked) co_return detail::rdp_in_context(std::move(looked).err(), what);
  rt::result<firefox_sheet_registry::sheet_lookup> sheet = std::move(*looked);
  if (!sheet) co_return detail::rdp_in_context(std::move(sheet).err(), what);
  if (sheet->text) co_return std::move(*sheet->text);
  json_value p = json_value::object();
  p.set("resourceId", sheet_id);
  rt::result<json_value> r =
      co_await detail::rdp_call(tab_.connection(), sheet->style_sheets, "getText", std::move(p), d);
  if (!r) co_return detail::rdp_target_error(std::move(r).err(), what);
  rt::result<std::string> text = co_await detail::rdp_long_string(tab_.connection(), (*r)["text"], d);
  if (!text) co_return detail::rdp_in_context(std::move(text).err(), what);
  const std::uint64_t version = sheet->version;
  const std::string kept = *text;
  std::function<bool(firefox_sheet_registry&)> store = [sheet_id, version, kept](firefox_sheet_registry& r) {
    r.store_text(sheet_id, version, kept);
    return true;
  };
  (void)co_await with_sheets(tab_, std::move(store), d);
  co_return std::move(*text);
}

rt::task<rt::result<void>> firefox_css::set_text(std::string sheet_id, std::string text, rt::deadline d) const {
  const std::string what = "firefox css: set text of " + sheet_id;
  if (!tab_) co_return rt::error{rt::errc::invalid_argument, "firefox css: empty handle"};
  if (rt::result<void> a = tab_.alive(); !a) co_return std::move(a).err();
  // Looked up and dropped from the cache in one visit: a text() racing this call must not keep
  // the old text cached (it is dropped again once Firefox answered).
  std::function<rt::result<firefox_sheet_registry::sheet_lookup>(firefox_sheet_registry&)> look =
      [sheet_id](firefox_sheet_registry& r) {
        rt::result<firefox_sheet_registry::sheet_lookup> l = r.lookup(sheet_id);
        if (l) r.invalidate(sheet_id);
        return l;
      };
  rt::result<rt::result<firefox_sheet_registry::sheet_lookup>> looked = co_await with_sheets(tab_, std::move(look), d);
  if (!looked) co_return detail::rdp_in_context(std::move(looked).err(), what);
  rt::result<firefox_sheet_registry::sheet_lookup> sheet = std::move(*looked);
  if (!sheet) co_return detail::rdp_in_context(std::move(sheet).err(), what);
  json_value p = json_value::object();
  p.set("resourceId", sheet_id);
  p.set("text", std::move(text));
  p.set("transition", false);
  rt::result<json_value> r =
      co_await detail::rdp_call(tab_.connection(), sheet->style_sheets, "update", std::move(p), d);
  std::function<bool(firefox_sheet_registry&)> drop = [sheet_id](firefox_sheet_registry& reg) {
    reg.invalidate(sheet_id);
    return true;
  };
  (void)co_await with_sheets(tab_, std::move(drop), d);
  if (!r) co_return detail::rdp_target_error(std::move(r).err(), what);
  co_return rt::ok;
}

namespace {

rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> computed_of(firefox_tab tab_,
                                                                                  rt::result<styled_node> n,
                                                                                  std::string what, rt::deadline d) {
  if (!n) co_return std::move(n).err();
  json_value p = json_value::object();
  p.set("node", n->node);
  p.set("markMatched", false);
  p.set("filter", "user");
  rt::result<json_value> r =
      co_await detail::rdp_call(tab_.connection(), n->page_style, "getComputed", std::move(p), d);
  if (!r) co_return detail::rdp_target_error(std::move(r).err(), "firefox css: computed style of " + what);
  std::vector<std::pair<std::string, std::string>> out;
  if (const auto* props = (*r)["computed"].get_object())
    for (const auto& [name, v] : *props) out.emplace_back(name, detail::rdp_str(v["value"]));
  co_return out;
}


rt::task<rt::result<std::vector<domains::matched_rule>>> matched_of(firefox_tab tab_, rt::result<styled_node> n,
                                                                   std::string what, rt::deadline d) {
  if (!n) co_return std::move(n).err();
  json_value p = json_value::object();
  p.set("node", n->node);
  p.set("inherited", false);
  p.set("matchedSelectors", true);
  p.set("skipPseudo", true);
  p.set("filter", "ua");  // author and user-agent rules, as Chromium's matchedCSSRules has them
  rt::result<json_value> r = co_await detail::rdp_call(tab_.connection(), n->page_style, "getApplied", std::move(p), d);
  if (!r) co_return detail::rdp_target_error(std::move(r).err(), "firefox css: matched rules of " + what);
  std::vector<domains::matched_rule> out;
  if (const auto* entries = (*r)["entries"].get_array()) {
    for (const json_value& e : *entries) {
      const json_value& rule = e["rule"];
      if (detail::rdp_int(rule["type"]) != style_rule_type) continue;
      if (!e["inherited"].is_null() && !detail::rdp_str(e["inherited"]).empty()) continue;
      domains::matched_rule m;
      m.selector = joined_selectors(rule);
      const bool system = detail::rdp_bool(e["isSystem"]);
      m.origin = system ? "user-agent" : "regular";
      if (!system && rule.contains("parentStyleSheet")) m.sheet_id = detail::rdp_key(rule["parentStyleSheet"]);
      if (const auto* decls = rule["declarations"].get_array())
        for (const json_value& decl : *decls)
          m.properties.emplace_back(detail::rdp_str(decl["name"]), detail::rdp_str(decl["value"]));
      out.push_back(std::move(m));
    }
  }
  // Firefox lists the highest precedence first.
  std::reverse(out.begin(), out.end());
  co_return out;
}


}  // namespace

rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> firefox_css::computed(std::string selector,
                                                                                              rt::deadline d) const {
  rt::result<styled_node> n = co_await styled_node_of(tab_, selector, d);
  co_return co_await computed_of(tab_, std::move(n), std::move(selector), d);
}

rt::task<rt::result<std::vector<domains::matched_rule>>> firefox_css::matched(std::string selector,
                                                                             rt::deadline d) const {
  rt::result<styled_node> n = co_await styled_node_of(tab_, selector, d);
  co_return co_await matched_of(tab_, std::move(n), std::move(selector), d);
}

rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> firefox_css::computed_at(std::string node_actor,
                                                                                                 rt::deadline d) const {
  rt::result<styled_node> n = co_await styled_node_at(tab_, node_actor, d);
  co_return co_await computed_of(tab_, std::move(n), std::move(node_actor), d);
}

rt::task<rt::result<std::vector<domains::matched_rule>>> firefox_css::matched_at(std::string node_actor,
                                                                                rt::deadline d) const {
  rt::result<styled_node> n = co_await styled_node_at(tab_, node_actor, d);
  co_return co_await matched_of(tab_, std::move(n), std::move(node_actor), d);
}

rt::task<rt::result<domains::css_stats>> firefox_css::stats() const {
  if (!tab_) co_return rt::error{rt::errc::invalid_argument, "firefox css: empty handle"};
  std::function<domains::css_stats(firefox_sheet_registry&)> f = [](firefox_sheet_registry& r) { return r.stats(); };
  co_return co_await with_sheets(tab_, std::move(f), rt::deadline(std::chrono::seconds(10)));
}

}  // namespace janus::client
