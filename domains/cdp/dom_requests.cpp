// What the DOM mirror asks the browser for to keep up: children not sent, attributes after a
// CSSOM style change, values CDP cut short, and the document itself (getDocument).
#include "dom_actor.hpp"

#include <algorithm>
#include <string_view>

namespace janus::domains {

using detail::int_of;
using detail::str_of;
using protocol::json_value;

// --- what the mirror asks for --------------------------------------------------------------------

namespace {

// Detached tasks, not actor handlers: the pump must never wait, and a burst of insertions can ask
// for more children than an actor may have handlers suspended.
rt::task<void> request_children(session::cdp_session session, rt::actor_ref<dom_actor> me, std::int64_t id,
                                std::chrono::milliseconds timeout) {
  const std::string params = "{\"nodeId\":" + std::to_string(id) + ",\"depth\":-1,\"pierce\":false}";
  session::call_options co{.deadline = rt::deadline(timeout), .cancel = {}};
  auto reply = co_await session.call("DOM.requestChildNodes", params, std::move(co));
  dom_actor::request_done done{id, reply.has_value()};
  (void)co_await me.tell(std::move(done));
}

rt::task<void> read_attributes(session::cdp_session session, rt::actor_ref<dom_actor> me, std::int64_t id,
                               std::uint64_t generation, std::uint64_t style_version,
                               std::chrono::milliseconds timeout) {
  const std::string params = "{\"nodeId\":" + std::to_string(id) + "}";
  session::call_options co{.deadline = rt::deadline(timeout), .cancel = {}};
  auto reply = co_await session.call("DOM.getAttributes", params, std::move(co));
  dom_actor::attributes_read out{id, generation, style_version, std::nullopt};
  if (reply) {
    if (rt::result<json_value> v = json_value::parse(reply->payload()); v) out.attributes = dom_detail::attributes_of((*v)["attributes"]);
  }
  (void)co_await me.tell(std::move(out));
}

// The whole value of a text, comment or processing instruction node: CDP cuts long node values
// in events and in getDocument. Read through the node's JavaScript object.
rt::task<void> read_value(session::cdp_session session, rt::actor_ref<dom_actor> me, std::int64_t id,
                          std::uint64_t generation, std::uint64_t value_version, std::chrono::milliseconds timeout) {
  dom_actor::value_read out{id, generation, value_version, std::nullopt};
  const std::string resolve = "{\"nodeId\":" + std::to_string(id) + ",\"objectGroup\":\"janus-dom-values\"}";
  session::call_options co{.deadline = rt::deadline(timeout), .cancel = {}};
  auto resolved = co_await session.call("DOM.resolveNode", resolve, std::move(co));
  std::string object_id;
  if (resolved) {
    if (rt::result<json_value> v = json_value::parse(resolved->payload()); v) object_id = str_of((*v)["object"]["objectId"]);
  }
  if (!object_id.empty()) {
    json_value params = json_value::object();
    params.set("objectId", json_value(object_id));
    params.set("functionDeclaration", json_value(std::string("function () { return this.data; }")));
    params.set("returnByValue", json_value(true));
    session::call_options co2{.deadline = rt::deadline(timeout), .cancel = {}};
    auto called = co_await session.call("Runtime.callFunctionOn", params.dump(), std::move(co2));
    if (called) {
      if (rt::result<json_value> v = json_value::parse(called->payload()); v) {
        const json_value& r = (*v)["result"];
        if (str_of(r["type"]) == "string") out.value = str_of(r["value"]);
      }
    }
    const std::string release = "{\"objectId\":" + json_value(object_id).dump() + "}";
    session::call_options co3{.deadline = rt::deadline(timeout), .cancel = {}};
    (void)co_await session.call("Runtime.releaseObject", release, std::move(co3));
  }
  (void)co_await me.tell(std::move(out));
}

// CDP ends a value it cut with U+2026 after 10,000 UTF-16 units (Chromium 156). Any long value
// ending so is read again: a value that really ends so costs one read more, nothing else.
bool maybe_cut(const std::string& v) {
  static constexpr std::string_view ellipsis = "\xE2\x80\xA6";
  if (v.size() < 1000 || !std::string_view(v).ends_with(ellipsis)) return false;
  std::size_t units = 0;  // UTF-16 units: a 4-byte UTF-8 sequence is two, any other lead one
  for (unsigned char c : v) {
    if ((c & 0xC0) != 0x80) units += c >= 0xF0 ? 2 : 1;
  }
  return units >= 1001;
}

}  // namespace

void dom_actor::want_value_if_cut(std::int64_t id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return;
  const dom_node& d = it->second.data;
  if ((d.type != 3 && d.type != 4 && d.type != 7 && d.type != 8) || !maybe_cut(d.value)) return;
  values_pending_.insert(id);  // a read already out is answered with an older version: asked again
  ++stats_.value_reads;
  sched().spawn(read_value(session_, self(), id, generation_, it->second.value_version, options_.command_timeout));
}

void dom_actor::handle(value_read v) {
  auto it = nodes_.find(v.id);
  // A change since the read was asked for is newer than its answer: that change's own read wins.
  if (v.generation != generation_ || it == nodes_.end() || it->second.value_version != v.value_version) return;
  values_pending_.erase(v.id);
  changed();
  if (!v.value) {
    ++stats_.request_failures;
    return;
  }
  it->second.data.value = std::move(*v.value);
}

void dom_actor::want_children(std::int64_t id) {
  if (!children_pending_.insert(id).second) return;
  ++stats_.child_requests;
  sched().spawn(request_children(session_, self(), id, options_.command_timeout));
}

void dom_actor::want_attributes(std::int64_t id) {
  if (!attributes_pending_.insert(id).second) {
    // The read in flight may have been answered before this change: read once more after it.
    attributes_again_.insert(id);
    return;
  }
  ++stats_.attribute_reads;
  sched().spawn(read_attributes(session_, self(), id, generation_, nodes_.at(id).style_version,
                                options_.command_timeout));
}

void dom_actor::handle(request_done d) {
  // The children come as setChildNodes, sent before the reply but not necessarily handled before
  // this message: the request stays pending until they are in.
  auto it = nodes_.find(d.id);
  if (!d.ok || it == nodes_.end() || it->second.data.children_known) children_pending_.erase(d.id);
  if (!d.ok) ++stats_.request_failures;
  changed();
}

void dom_actor::handle(attributes_read a) {
  attributes_pending_.erase(a.id);
  changed();
  if (attributes_again_.erase(a.id) && nodes_.count(a.id) && a.generation == generation_) want_attributes(a.id);
  if (!a.attributes) {
    ++stats_.request_failures;
    return;
  }
  auto it = nodes_.find(a.id);
  // A style event since the request is newer than this answer may be: it wins.
  if (a.generation != generation_ || it == nodes_.end() || it->second.style_version != a.style_version) return;
  // The browser's order, which outerHTML follows, is the reply's: a style added through CSSOM
  // takes its place there. Values other than style are the mirror's, which events keep current;
  // attributes the reply does not know yet (added since) keep their place after it.
  auto& attrs = it->second.data.attributes;
  std::vector<std::pair<std::string, std::string>> merged;
  merged.reserve(attrs.size() + 1);
  auto mine = [&](const std::string& name) {
    return std::find_if(attrs.begin(), attrs.end(), [&](const auto& kv) { return kv.first == name; });
  };
  for (auto& [k, v] : *a.attributes) {
    if (k == "style") merged.emplace_back(k, std::move(v));
    else if (auto m = mine(k); m != attrs.end()) merged.emplace_back(k, m->second);
  }
  for (const auto& kv : attrs) {
    if (kv.first == "style") continue;
    const bool placed = std::any_of(merged.begin(), merged.end(), [&](const auto& m) { return m.first == kv.first; });
    if (!placed) merged.push_back(kv);
  }
  attrs = std::move(merged);
}

rt::task<void> dom_actor::handle(refresh) {
  if (fetching_) {
    refetch_ = true;
    co_return;
  }
  fetching_ = true;
  do {
    refetch_ = false;
    ++stats_.refreshes;
    session::call_options co{.deadline = rt::deadline(options_.command_timeout), .cancel = {}};
    auto reply = co_await session_.call("DOM.getDocument", R"({"depth":-1,"pierce":false})", std::move(co));
    if (reply) {
      if (!install_text(reply->payload())) ++stats_.malformed;
    } else {
      // No document right now (mid-navigation): documentUpdated will say when there is one.
      ready_ = false;
    }
    std::vector<session::cdp_event> held = std::move(held_);
    held_.clear();
    for (const session::cdp_event& ev : held) {
      rt::result<json_value> p = json_value::parse(ev.params(), dom_detail::max_json_depth);
      if (!p) {
        ++stats_.malformed;
        continue;
      }
      apply_parsed(ev.method(), *p);
    }
  } while (refetch_);
  fetching_ = false;
  changed();
}

rt::task<rt::result<void>> dom_actor::send_enable(rt::deadline until) {
  session::call_options co{.deadline = command_deadline(until), .cancel = {}};
  // Whitespace-only text nodes are left out by default; the mirror must serialize like the page.
  auto reply = co_await session_.call("DOM.enable", R"({"includeWhitespace":"all"})", std::move(co));
  if (!reply) co_return std::move(reply).err();
  co_await handle(refresh{});
  co_return rt::ok;
}

}  // namespace janus::domains
