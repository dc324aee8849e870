// Chromium's css: the actor keeping the style sheet registry from CSS events (css_actor.hpp),
// and its backend (computed style and matched rules are commands on the session).
#include "css_actor.hpp"

#include <janus/protocol/json_value.hpp>
#include <janus/protocol/json_writer.hpp>

#include <iterator>
#include <string_view>

namespace janus::domains {


namespace {

using protocol::json_value;
using detail::bool_of;
using detail::int_of;
using detail::str_of;

bool wanted(const session::cdp_event& ev) { return ev.domain() == "CSS" || ev.method() == "Page.frameNavigated"; }

style_sheet sheet_of(const json_value& h) {
  style_sheet s;
  s.id = str_of(h["styleSheetId"]);
  s.frame_id = str_of(h["frameId"]);
  s.source_url = str_of(h["sourceURL"]);
  s.origin = str_of(h["origin"]);
  s.title = str_of(h["title"]);
  s.owner_node = int_of(h["ownerNode"]);
  s.disabled = bool_of(h["disabled"]);
  s.is_inline = bool_of(h["isInline"]);
  return s;
}

std::string quoted(std::string_view s) {
  protocol::json_writer w;
  w.string(s);
  return w.take();
}

}  // namespace

css_actor::css_actor(rt::scheduler* sched, session::cdp_session session, css_options options)
    : domain_actor(*sched, std::move(session), detail::event_feed{"*", &wanted, options.event_queue},
                   options.command_timeout),
      options_(options) {}

rt::task<void> css_actor::handle(pump p) {
  sub_ = &p.sub;
  for (;;) {
    rt::result<session::cdp_event> ev = co_await p.sub.next();
    if (!ev) break;
    rt::result<json_value> parsed = detail::params_of(*ev);
    if (!parsed) {
      ++stats_.malformed;
      continue;
    }
    const std::string_view m = ev->method();
    if (m == "CSS.styleSheetAdded") {
      style_sheet s = sheet_of((*parsed)["header"]);
      const std::string id = s.id;
      sheets_[id] = entry{std::move(s), std::nullopt};
      ++stats_.added;
    } else if (m == "CSS.styleSheetChanged") {
      auto it = sheets_.find(str_of((*parsed)["styleSheetId"]));
      if (it != sheets_.end()) {
        ++it->second.sheet.version;
        it->second.text.reset();
      }
      ++stats_.changed;
    } else if (m == "CSS.styleSheetRemoved") {
      sheets_.erase(str_of((*parsed)["styleSheetId"]));
      ++stats_.removed;
    } else if (m == "Page.frameNavigated") {
      // A frame committed a new document: its old sheets are gone (Chromium does not say so
      // with styleSheetRemoved). The commit comes before the new document is parsed, so its
      // sheets, added after this, stay. DOM.documentUpdated cannot serve: it also fires at
      // DOMContentLoaded, after the new document's first sheets were added.
      const std::string frame = str_of((*parsed)["frame"]["id"]);
      for (auto it = sheets_.begin(); it != sheets_.end();)
        it = it->second.sheet.frame_id == frame ? sheets_.erase(it) : std::next(it);
    }
  }
  stats_.dropped = p.sub.dropped();
  sub_ = nullptr;
}

rt::task<rt::result<void>> css_actor::send_enable(rt::deadline until) {
  static constexpr detail::enable_command commands[] = {
      {"Page.enable", "{}"}, {"DOM.enable", R"({"includeWhitespace":"all"})"}, {"CSS.enable", "{}"}};
  co_return co_await send_all(commands, until);
}

std::vector<style_sheet> css_actor::handle(get_sheets) const {
  std::vector<style_sheet> out;
  out.reserve(sheets_.size());
  for (const auto& [id, e] : sheets_) out.push_back(e.sheet);
  return out;
}

rt::task<rt::result<std::string>> css_actor::handle(get_text g) {
  rt::result<void> on = co_await enable_domain(g.until);
  if (!on) co_return std::move(on).err();
  auto it = sheets_.find(g.id);
  if (it == sheets_.end()) co_return rt::error{rt::errc::not_found, "no style sheet " + g.id};
  if (it->second.text) {
    ++stats_.text_hits;
    co_return *it->second.text;
  }
  const std::uint64_t version = it->second.sheet.version;
  ++stats_.text_fetches;
  const std::string params = "{\"styleSheetId\":" + quoted(g.id) + "}";
  session::call_options co{.deadline = command_deadline(g.until), .cancel = {}};
  auto reply = co_await session_.call("CSS.getStyleSheetText", params, std::move(co));
  if (!reply) co_return std::move(reply).err();
  rt::result<json_value> v = json_value::parse(reply->payload());
  if (!v) co_return std::move(v).err();
  std::string text = str_of((*v)["text"]);
  // The sheet may have changed (or gone) while the command was out: the text is still the
  // answer to this call, but it is only cached if it belongs to the version now registered.
  it = sheets_.find(g.id);
  if (it != sheets_.end() && it->second.sheet.version == version) it->second.text = text;
  co_return text;
}

css_stats css_actor::handle(get_stats) const {
  css_stats s = stats_;
  s.sheets = sheets_.size();
  if (sub_) s.dropped = sub_->dropped();
  return s;
}

// --- the asks the backend makes ------------------------------------------------------------------

namespace {

using ref_t = rt::actor_ref<css_actor>;
using detail::ask_enable;
using detail::enable_then_ask;

rt::task<rt::result<std::vector<style_sheet>>> ask_sheets(ref_t ref, rt::deadline d) {
  css_actor::enable en{d};
  rt::result<void> on = co_await ref.ask(std::move(en), d);
  if (!on) co_return std::move(on).err();
  co_return co_await ref.ask(css_actor::get_sheets{}, d);
}

rt::task<rt::result<std::string>> ask_text(ref_t ref, std::string id, rt::deadline d) {
  css_actor::get_text g{std::move(id), d};
  co_return co_await ref.ask(std::move(g), d);
}

rt::task<rt::result<css_stats>> ask_stats(ref_t ref, rt::deadline d) {
  co_return co_await ref.ask(css_actor::get_stats{}, d);
}

rt::task<rt::result<json_value>> node_call(session::cdp_session session, ref_t ref, std::string method, node_ref node,
                                           rt::deadline d) {
  css_actor::enable en{d};
  rt::result<void> on = co_await ref.ask(std::move(en), d);
  if (!on) co_return std::move(on).err();
  const std::string params = "{\"nodeId\":" + std::to_string(node.id) + "}";
  session::call_options co{.deadline = d, .cancel = {}};
  auto reply = co_await session.call(method, params, std::move(co));
  if (!reply) co_return std::move(reply).err();
  co_return json_value::parse(reply->payload());
}

rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> run_computed(session::cdp_session session,
                                                                                     ref_t ref, node_ref node,
                                                                                     rt::deadline d) {
  rt::result<json_value> v = co_await node_call(std::move(session), ref, "CSS.getComputedStyleForNode", node, d);
  if (!v) co_return std::move(v).err();
  std::vector<std::pair<std::string, std::string>> out;
  if (const auto* a = (*v)["computedStyle"].get_array())
    for (const json_value& p : *a) out.emplace_back(str_of(p["name"]), str_of(p["value"]));
  co_return out;
}

rt::task<rt::result<std::vector<matched_rule>>> run_matched(session::cdp_session session, ref_t ref, node_ref node,
                                                            rt::deadline d) {
  rt::result<json_value> v = co_await node_call(std::move(session), ref, "CSS.getMatchedStylesForNode", node, d);
  if (!v) co_return std::move(v).err();
  std::vector<matched_rule> out;
  if (const auto* a = (*v)["matchedCSSRules"].get_array()) {
    for (const json_value& m : *a) {
      const json_value& rule = m["rule"];
      matched_rule r;
      r.selector = str_of(rule["selectorList"]["text"]);
      r.origin = str_of(rule["origin"]);
      r.sheet_id = str_of(rule["styleSheetId"]);
      // An author's rule lists the longhands Chromium derived from each shorthand too, without
      // text of their own: keep what was written. User-agent rules have no text at all.
      const bool authored = !r.sheet_id.empty();
      if (const auto* props = rule["style"]["cssProperties"].get_array()) {
        for (const json_value& p : *props) {
          if (authored ? !p.contains("text") : p["implicit"].get_bool().value_or(false)) continue;
          r.properties.emplace_back(str_of(p["name"]), str_of(p["value"]));
        }
      }
      out.push_back(std::move(r));
    }
  }
  co_return out;
}

}  // namespace

// --- the CDP backend -----------------------------------------------------------------------------

css css::start(rt::scheduler& sched, session::cdp_session session, css_options options) {
  return over(detail::spawn_backend<cdp_css_backend, css_actor>(sched, "css", std::move(session), std::move(options)));
}

rt::task<rt::result<void>> cdp_css_backend::enable(rt::deadline d) {
  return ask_enable(ref_, d);
}
rt::task<rt::result<std::vector<style_sheet>>> cdp_css_backend::sheets(rt::deadline d) {
  return ask_sheets(ref_, d);
}
rt::task<rt::result<std::string>> cdp_css_backend::text(std::string sheet_id, rt::deadline d) {
  return ask_text(ref_, std::move(sheet_id), d);
}
rt::task<rt::result<std::vector<std::pair<std::string, std::string>>>> cdp_css_backend::computed(node_ref node,
                                                                                     rt::deadline d) {
  return run_computed(session_, ref_, node, d);
}
rt::task<rt::result<std::vector<matched_rule>>> cdp_css_backend::matched(node_ref node, rt::deadline d) {
  return run_matched(session_, ref_, node, d);
}
rt::task<rt::result<css_stats>> cdp_css_backend::stats(rt::deadline d) {
  return ask_stats(ref_, d);
}

}  // namespace janus::domains
