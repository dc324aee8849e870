#include <janus/domains/dom.hpp>

#include <janus/protocol/json_writer.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <string_view>

namespace janus::domains {

using detail::sooner;

namespace {

using protocol::json_value;
using detail::int_of;
using detail::str_of;

// A getDocument reply nests two JSON levels per DOM level; the default bound (512) would refuse
// documents only 256 elements deep, which scripts build easily.
constexpr std::size_t max_json_depth = 8192;

std::vector<std::pair<std::string, std::string>> attributes_of(const json_value& flat) {
  std::vector<std::pair<std::string, std::string>> out;
  if (const json_value::array_type* a = flat.get_array()) {
    out.reserve(a->size() / 2);
    for (std::size_t i = 0; i + 1 < a->size(); i += 2) out.emplace_back(str_of((*a)[i]), str_of((*a)[i + 1]));
  }
  return out;
}

bool is_void(std::string_view tag) {
  static constexpr std::array<std::string_view, 18> names = {"area", "base", "basefont", "bgsound", "br",    "col",
                                                            "embed", "frame", "hr",       "img",     "input", "keygen",
                                                            "link", "meta",  "param",    "source",  "track", "wbr"};
  return std::find(names.begin(), names.end(), tag) != names.end();
}

bool is_raw_text_parent(std::string_view tag) {
  return tag == "style" || tag == "script" || tag == "xmp" || tag == "iframe" || tag == "noembed" ||
         tag == "noframes" || tag == "plaintext" || tag == "noscript";
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string tag_of(const dom_node& n) { return n.local_name.empty() ? lower(n.name) : n.local_name; }

template <bool Attribute>
std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (Attribute && c == '"') out += "&quot;";
    else if (c == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') {
      out += "&nbsp;";
      ++i;
    } else out += c;
  }
  return out;
}

bool wanted(const session::cdp_event& ev) { return ev.domain() == "DOM"; }

}  // namespace

std::string escape_html_text(std::string_view s) { return escape<false>(s); }
std::string escape_html_attribute(std::string_view s) { return escape<true>(s); }

dom_actor::dom_actor(rt::scheduler* sched, session::cdp_session session, dom_options options)
    : session_(std::move(session)),
      options_(options),
      enabled_(*sched),
      last_change_(rt::clock::now()),
      changed_(*sched) {}

// --- events -------------------------------------------------------------------------------------

rt::task<void> dom_actor::handle(pump p) {
  sub_ = &p.sub;
  for (;;) {
    rt::result<session::cdp_event> ev = co_await p.sub.next();
    if (!ev) {
      if (ev.code() == rt::errc::browser_exited) pump_error_ = ev.err();
      break;
    }
    apply(*ev);
  }
  stats_.dropped = p.sub.dropped();
  sub_ = nullptr;
  pump_ended_ = true;
  changed();
}

void dom_actor::apply(const session::cdp_event& ev) {
  // While a getDocument is in flight, nothing may touch the mirror it is about to replace: the
  // events are held and replayed on the new tree. Those that predate the reply name node ids of
  // the old bindings, which Chromium never reuses, so they fall on no node and are ignored.
  if (fetching_) {
    held_.push_back(ev);
    return;
  }
  rt::result<json_value> p = json_value::parse(ev.params(), max_json_depth);
  if (!p) {
    ++stats_.malformed;
    return;
  }
  apply_parsed(ev.method(), *p);
  changed();
}

void dom_actor::changed() {
  last_change_ = rt::clock::now();
  (void)changed_.try_publish(0);
}

void dom_actor::apply_parsed(std::string_view m, const json_value& p) {
  ++stats_.events;
  auto lookup = [&](std::int64_t id) -> node* {
    auto it = nodes_.find(id);
    if (it == nodes_.end()) {
      ++stats_.unknown;
      return nullptr;
    }
    return &it->second;
  };

  if (m == "DOM.documentUpdated") {
    ++generation_;
    nodes_.clear();
    children_pending_.clear();
    attributes_pending_.clear();
    attributes_again_.clear();
    values_pending_.clear();
    document_ = 0;
    ready_ = false;
    if (fetching_) {
      refetch_ = true;
    } else if (auto r = self().try_tell(refresh{}); !r) {
      // A full mailbox: the next reader that finds no document fetches it (get_document).
      refetch_ = true;
    }
  } else if (m == "DOM.setChildNodes") {
    node* parent = lookup(int_of(p["parentId"]));
    if (!parent) return;
    const std::int64_t pid = parent->data.id;
    for (std::int64_t c : std::vector<std::int64_t>(parent->data.children)) erase_subtree(c);
    std::vector<std::int64_t> kids;
    if (const json_value::array_type* a = p["nodes"].get_array()) {
      kids.reserve(a->size());
      for (const json_value& n : *a) kids.push_back(build(n, pid));
    }
    node& par = nodes_.at(pid);  // build() may have rehashed the map
    children_pending_.erase(pid);
    par.data.children = std::move(kids);
    par.data.children_known = true;
    par.data.child_count = static_cast<std::int64_t>(par.data.children.size());
  } else if (m == "DOM.childNodeInserted") {
    const std::int64_t pid = int_of(p["parentNodeId"]);
    if (!lookup(pid)) return;
    const std::int64_t prev = int_of(p["previousNodeId"]);
    const std::int64_t id = build(p["node"], pid);
    node& par = nodes_.at(pid);
    auto& kids = par.data.children;
    kids.erase(std::remove(kids.begin(), kids.end(), id), kids.end());
    if (prev == 0) {
      kids.insert(kids.begin(), id);
    } else {
      auto at = std::find(kids.begin(), kids.end(), prev);
      if (at == kids.end()) {
        ++stats_.unknown;
        kids.push_back(id);
      } else {
        kids.insert(at + 1, id);
      }
    }
    par.data.child_count = static_cast<std::int64_t>(kids.size());
  } else if (m == "DOM.childNodeRemoved") {
    const std::int64_t id = int_of(p["nodeId"]);
    if (!lookup(int_of(p["parentNodeId"])) || !nodes_.count(id)) {
      if (!nodes_.count(id)) ++stats_.unknown;
      return;
    }
    detach(id);
    erase_subtree(id);
  } else if (m == "DOM.attributeModified") {
    node* n = lookup(int_of(p["nodeId"]));
    if (!n) return;
    const std::string name = str_of(p["name"]);
    std::string value = str_of(p["value"]);
    if (name == "style") ++n->style_version;
    for (auto& [k, v] : n->data.attributes) {
      if (k == name) {
        v = std::move(value);
        return;
      }
    }
    n->data.attributes.emplace_back(name, std::move(value));
  } else if (m == "DOM.attributeRemoved") {
    node* n = lookup(int_of(p["nodeId"]));
    if (!n) return;
    const std::string name = str_of(p["name"]);
    if (name == "style") ++n->style_version;
    auto& a = n->data.attributes;
    a.erase(std::remove_if(a.begin(), a.end(), [&](const auto& kv) { return kv.first == name; }), a.end());
  } else if (m == "DOM.characterDataModified") {
    node* n = lookup(int_of(p["nodeId"]));
    if (!n) return;
    n->data.value = str_of(p["characterData"]);
    ++n->value_version;
    values_pending_.erase(n->data.id);  // a read out for the old value is answered for nothing
    want_value_if_cut(n->data.id);
  } else if (m == "DOM.childNodeCountUpdated") {
    node* n = lookup(int_of(p["nodeId"]));
    if (!n) return;
    const std::int64_t count = int_of(p["childNodeCount"]);
    const std::int64_t id = n->data.id;
    n->data.child_count = count;
    // Chromium reports a count only for a node whose children it considers unsent: whatever the
    // mirror holds for it is not being kept current, so it is fetched again.
    if (count == 0) {
      for (std::int64_t c : std::vector<std::int64_t>(n->data.children)) erase_subtree(c);
      node& again = nodes_.at(id);
      again.data.children.clear();
      again.data.children_known = true;
    } else {
      n->data.children_known = false;
      want_children(id);
    }
  } else if (m == "DOM.inlineStyleInvalidated") {
    if (const json_value::array_type* ids = p["nodeIds"].get_array())
      for (const json_value& id : *ids)
        if (nodes_.count(int_of(id))) want_attributes(int_of(id));
  }
  // shadowRootPushed / Popped, pseudoElementAdded / Removed, distributedNodesUpdated and the
  // like concern what the mirror leaves out (see dom.hpp).
}

std::int64_t dom_actor::build(const json_value& n, std::int64_t parent) {
  const std::int64_t id = int_of(n["nodeId"]);
  const json_value::array_type* listed = n["children"].get_array();
  // Chromium re-sends a node it never unbound (a template's content fragment, when the template
  // is inserted again) without the children it already sent: it will not send them again, and
  // a request for them is answered with nothing, so the mirror keeps the ones it holds, which
  // the browser keeps current by events. Seen on real pages: the mirror never settled.
  std::vector<std::int64_t> kept;
  bool keep = false;
  if (auto old = nodes_.find(id); old != nodes_.end()) {
    detach(id);
    if (!listed && old->second.data.children_known) {
      keep = true;
      kept = std::move(old->second.data.children);
      old->second.data.children.clear();
    }
    erase_subtree(id);
  }
  node fresh;
  dom_node& d = fresh.data;
  d.id = id;
  d.parent = parent;
  d.type = static_cast<int>(int_of(n["nodeType"]));
  d.name = str_of(n["nodeName"]);
  d.local_name = str_of(n["localName"]);
  d.value = str_of(n["nodeValue"]);
  d.attributes = attributes_of(n["attributes"]);
  d.public_id = str_of(n["publicId"]);
  d.system_id = str_of(n["systemId"]);
  d.child_count = int_of(n["childNodeCount"]);
  nodes_.emplace(id, std::move(fresh));
  want_value_if_cut(id);

  std::vector<std::int64_t> kids;
  bool known = false;
  if (listed) {
    known = true;
    kids.reserve(listed->size());
    for (const json_value& c : *listed) kids.push_back(build(c, id));
  } else if (keep) {
    known = true;
    kids = std::move(kept);
  }
  std::int64_t tmpl = 0;
  if (const json_value* t = n.find("templateContent"); t && t->is_object()) tmpl = build(*t, id);

  node& self_node = nodes_.at(id);
  if (known) {
    self_node.data.child_count = static_cast<std::int64_t>(kids.size());
  } else if (self_node.data.child_count == 0) {
    known = true;
  } else {
    want_children(id);
  }
  self_node.data.children = std::move(kids);
  self_node.data.children_known = known;
  self_node.data.template_content = tmpl;
  return id;
}

void dom_actor::detach(std::int64_t id) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return;
  auto p = nodes_.find(it->second.data.parent);
  if (p == nodes_.end()) return;
  auto& kids = p->second.data.children;
  auto at = std::find(kids.begin(), kids.end(), id);
  if (at != kids.end()) {
    kids.erase(at);
    p->second.data.child_count = static_cast<std::int64_t>(kids.size());
  }
}

void dom_actor::erase_subtree(std::int64_t id) {
  // Iterative: a removed subtree may be deeper than the stack would like.
  std::vector<std::int64_t> todo{id};
  while (!todo.empty()) {
    const std::int64_t cur = todo.back();
    todo.pop_back();
    auto it = nodes_.find(cur);
    if (it == nodes_.end()) continue;
    for (std::int64_t c : it->second.data.children) todo.push_back(c);
    // A template's content stays: Chromium keeps the fragment's id bound when the template goes,
    // sends it again (same id, children left out as already sent) when the template is inserted
    // again, and never answers a request for its children. Kept until the next document, as
    // Chromium keeps it.
    if (const std::int64_t content = it->second.data.template_content; content && content != id) {
      if (auto f = nodes_.find(content); f != nodes_.end()) f->second.data.parent = 0;
    }
    children_pending_.erase(cur);
    attributes_pending_.erase(cur);
    attributes_again_.erase(cur);
    values_pending_.erase(cur);
    nodes_.erase(it);
  }
}

// --- what the mirror asks for -------------------------------------------------------------------

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
    if (rt::result<json_value> v = json_value::parse(reply->payload()); v) out.attributes = attributes_of((*v)["attributes"]);
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
      rt::result<json_value> p = json_value::parse(ev.params(), max_json_depth);
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

rt::task<rt::result<void>> dom_actor::handle(enable e) {
  if (enabled_.done()) co_return rt::ok;
  if (!enabled_.claim()) co_return co_await enabled_.wait(e.until);
  if (!pump_started_) {
    rt::result<void> started =
        co_await detail::start_pump(session_, self(), "DOM.*", options_.event_queue, &wanted);
    if (!started) {
      enabled_.finish(started);
      co_return started;
    }
    pump_started_ = true;
  }
  session::call_options co{.deadline = sooner(e.until, options_.command_timeout), .cancel = {}};
  // Whitespace-only text nodes are left out by default; the mirror must serialize like the page.
  auto reply = co_await session_.call("DOM.enable", R"({"includeWhitespace":"all"})", std::move(co));
  if (!reply) {
    enabled_.finish(reply.err());
    co_return std::move(reply).err();
  }
  co_await handle(refresh{});
  enabled_.finish(rt::ok);
  co_return rt::ok;
}

// --- readers ------------------------------------------------------------------------------------

rt::result<const dom_actor::node*> dom_actor::find(node_ref r) const {
  if (r.generation != generation_)
    return rt::error{rt::errc::stale_node, "node " + std::to_string(r.id) + " is from document generation " +
                                               std::to_string(r.generation) + "; the page is at " +
                                               std::to_string(generation_)};
  auto it = nodes_.find(r.id);
  if (it == nodes_.end())
    return rt::error{rt::errc::stale_node, "node " + std::to_string(r.id) + " is no longer in the document"};
  return &it->second;
}

rt::task<rt::result<node_ref>> dom_actor::handle(get_document g) {
  enable en{g.until};
  rt::result<void> on = co_await handle(std::move(en));
  if (!on) co_return std::move(on).err();
  rt::subscription<int> wake = changed_.subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    // Children the mirror has asked for are part of the document: a reader that serializes it
    // right after a load must not see the template or subtree whose children are on their way.
    if (ready_ && !fetching_ && children_pending_.empty()) co_return node_ref{document_, generation_};
    if (pump_ended_) {
      if (pump_error_) co_return *pump_error_;
      co_return rt::error{rt::errc::disconnected, "the page's event stream ended"};
    }
    if (!ready_ && !fetching_) {
      co_await handle(refresh{});
      // No document yet (mid-navigation): documentUpdated or the next try will bring one.
      if (!ready_) (void)co_await wake.next(std::min(g.until.at(), rt::clock::now() + std::chrono::milliseconds(100)));
    } else {
      (void)co_await wake.next(g.until);
    }
    if (g.until.expired())
      co_return rt::error{rt::errc::timeout, ready_ ? "the mirror's child requests did not come back" : "no document to mirror"};
  }
}

rt::result<dom_node> dom_actor::handle(get_node g) const {
  rt::result<const node*> n = find(g.ref);
  if (!n) return std::move(n).err();
  return (*n)->data;
}

rt::result<void> dom_actor::handle(check_ref c) const {
  rt::result<const node*> n = find(c.ref);
  if (!n) return std::move(n).err();
  return rt::ok;
}

rt::result<std::string> dom_actor::handle(serialize s) const {
  rt::result<const node*> start = find(s.ref);
  if (!start) return std::move(start).err();
  return serialize_html((*start)->data, s.outer, [this](std::int64_t id) -> const dom_node* {
    auto it = nodes_.find(id);
    return it == nodes_.end() ? nullptr : &it->second.data;
  });
}

std::string serialize_html(const dom_node& root, bool outer, const std::function<const dom_node*(std::int64_t)>& lookup) {
  std::string out;
  // The HTML fragment serialization algorithm, recursively; `raw` is whether text children are
  // written unescaped (their parent is script, style and the like).
  auto write = [&](auto& self_fn, const dom_node& n, bool raw) -> void {
    switch (n.type) {
      case 1: {
        const std::string tag = tag_of(n);
        out += '<';
        out += tag;
        for (const auto& [k, v] : n.attributes) {
          out += ' ';
          out += k;
          out += "=\"";
          out += escape<true>(v);
          out += '"';
        }
        out += '>';
        if (is_void(tag)) return;
        const bool raw_kids = is_raw_text_parent(tag);
        const dom_node* holder = &n;
        if (n.template_content) {
          if (const dom_node* t = lookup(n.template_content)) holder = t;
        }
        for (std::int64_t c : holder->children) {
          if (const dom_node* kid = lookup(c)) self_fn(self_fn, *kid, raw_kids);
        }
        out += "</";
        out += tag;
        out += '>';
        return;
      }
      case 3:
        if (raw) out += n.value;
        else out += escape<false>(n.value);
        return;
      case 4:
        out += "<![CDATA[" + n.value + "]]>";
        return;
      case 7:
        out += "<?" + n.name + " " + n.value + ">";
        return;
      case 8:
        out += "<!--" + n.value + "-->";
        return;
      case 10:
        out += "<!DOCTYPE " + n.name + ">";
        return;
      default:
        for (std::int64_t c : n.children) {
          if (const dom_node* kid = lookup(c)) self_fn(self_fn, *kid, false);
        }
        return;
    }
  };
  if (outer) {
    write(write, root, false);
  } else {
    const bool raw = root.type == 1 && is_raw_text_parent(tag_of(root));
    const dom_node* holder = &root;
    if (root.template_content) {
      if (const dom_node* t = lookup(root.template_content)) holder = t;
    }
    for (std::int64_t c : holder->children) {
      if (const dom_node* kid = lookup(c)) write(write, *kid, raw);
    }
  }
  return out;
}

dom_stats dom_actor::handle(get_stats) const {
  dom_stats s = stats_;
  s.generation = generation_;
  s.nodes = nodes_.size();
  s.ready = ready_ && !fetching_;
  if (sub_) s.dropped = sub_->dropped();
  return s;
}

rt::task<rt::result<void>> dom_actor::handle(settle s) {
  enable en{s.until};
  rt::result<void> on = co_await handle(std::move(en));
  if (!on) co_return std::move(on).err();
  rt::subscription<int> wake = changed_.subscribe(1, rt::overflow::drop_oldest);
  for (;;) {
    if (pump_ended_) {
      if (pump_error_) co_return *pump_error_;
      co_return rt::error{rt::errc::disconnected, "the page's event stream ended"};
    }
    const bool busy = fetching_ || !ready_ || !children_pending_.empty() || !attributes_pending_.empty() ||
                      !values_pending_.empty() || (sub_ && sub_->queued() > 0);
    rt::time_point until = s.until.at();
    if (!busy) {
      const rt::time_point quiet_end = last_change_ + s.quiet;
      if (rt::clock::now() >= quiet_end) co_return rt::ok;
      until = std::min(until, quiet_end);
    }
    if (s.until.expired())
      co_return rt::error{rt::errc::timeout,
                          "the DOM mirror did not settle: " + std::to_string(children_pending_.size()) +
                              " child request(s) and " + std::to_string(attributes_pending_.size()) +
                              " attribute read(s) and " + std::to_string(values_pending_.size()) +
                              " value read(s) outstanding" + (fetching_ ? ", document being fetched" : "")};
    // Busy with queued events: the pump's next change wakes us. Idle: wake at the quiet end.
    const rt::deadline wake_at(busy ? std::min(until, rt::clock::now() + std::chrono::milliseconds(50)) : until);
    (void)co_await wake.next(wake_at);
  }
}

// --- the handle ---------------------------------------------------------------------------------

dom dom::start(rt::scheduler& sched, session::cdp_session session, dom_options options) {
  dom d;
  d.session_ = session;
  rt::spawn_options so;
  so.name = "dom";
  auto ref = rt::spawn<dom_actor>(sched, std::move(so), &sched, std::move(session), options);
  d.owner_ = std::make_shared<detail::actor_owner<dom_actor>>(std::move(ref));
  return d;
}

namespace {

using ref_t = rt::actor_ref<dom_actor>;

rt::deadline a_bit_later(rt::deadline d) {
  return d.is_never() ? d : rt::deadline(d.at() + std::chrono::milliseconds(500));
}

rt::task<rt::result<void>> ask_enable(ref_t ref, rt::deadline d) {
  dom_actor::enable en{d};
  co_return co_await ref.ask(std::move(en), a_bit_later(d));
}

rt::task<rt::result<node_ref>> ask_document(ref_t ref, rt::deadline d) {
  dom_actor::get_document g{d};
  co_return co_await ref.ask(std::move(g), a_bit_later(d));
}

rt::task<rt::result<dom_node>> ask_node(ref_t ref, node_ref n, rt::deadline d) {
  dom_actor::get_node g{n};
  co_return co_await ref.ask(std::move(g), d);
}

rt::task<rt::result<std::string>> ask_serialize(ref_t ref, node_ref n, bool outer, rt::deadline d) {
  dom_actor::serialize s{n, outer};
  co_return co_await ref.ask(std::move(s), d);
}

rt::task<rt::result<std::string>> ask_html(ref_t ref, rt::deadline d) {
  rt::result<node_ref> doc = co_await ask_document(ref, d);
  if (!doc) co_return std::move(doc).err();
  rt::result<dom_node> n = co_await ask_node(ref, *doc, d);
  if (!n) co_return std::move(n).err();
  for (std::int64_t c : n->children) {
    rt::result<dom_node> child = co_await ask_node(ref, node_ref{c, doc->generation}, d);
    if (!child) co_return std::move(child).err();
    if (child->type == 1) co_return co_await ask_serialize(ref, node_ref{c, doc->generation}, true, d);
  }
  co_return rt::error{rt::errc::not_found, "the document has no element"};
}

rt::task<rt::result<json_value>> node_command(session::cdp_session session, ref_t ref, std::string method,
                                              node_ref n, std::string extra_json, rt::deadline d) {
  dom_actor::check_ref c{n};
  rt::result<void> live = co_await ref.ask(std::move(c), d);
  if (!live) co_return std::move(live).err();
  std::string params = "{\"nodeId\":" + std::to_string(n.id) + extra_json + "}";
  session::call_options co{.deadline = d, .cancel = {}};
  auto reply = co_await session.call(method, params, std::move(co));
  // The node may have gone (or the document changed) while the command was out: say so in the
  // same terms as the mirror would.
  dom_actor::check_ref again{n};
  rt::result<void> still = co_await ref.ask(std::move(again), d);
  if (!still) co_return std::move(still).err();
  if (!reply) co_return std::move(reply).err();
  co_return json_value::parse(reply->payload());
}

rt::task<rt::result<std::string>> run_browser_outer_html(session::cdp_session session, ref_t ref, node_ref n,
                                                         rt::deadline d) {
  rt::result<json_value> v = co_await node_command(std::move(session), ref, "DOM.getOuterHTML", n, "", d);
  if (!v) co_return std::move(v).err();
  co_return str_of((*v)["outerHTML"]);
}

std::string selector_param(const std::string& selector) {
  protocol::json_writer w;
  w.string(selector);
  return ",\"selector\":" + w.take();
}

rt::task<rt::result<std::optional<node_ref>>> run_query(session::cdp_session session, ref_t ref, std::string selector,
                                                         std::optional<node_ref> root, rt::deadline d) {
  if (!root) {
    rt::result<node_ref> doc = co_await ask_document(ref, d);
    if (!doc) co_return std::move(doc).err();
    root = *doc;
  }
  rt::result<json_value> v =
      co_await node_command(std::move(session), ref, "DOM.querySelector", *root, selector_param(selector), d);
  if (!v) co_return std::move(v).err();
  const std::int64_t id = int_of((*v)["nodeId"]);
  if (id == 0) co_return std::optional<node_ref>();
  co_return std::optional<node_ref>(node_ref{id, root->generation});
}

rt::task<rt::result<std::vector<node_ref>>> run_query_all(session::cdp_session session, ref_t ref,
                                                          std::string selector, std::optional<node_ref> root,
                                                          rt::deadline d) {
  if (!root) {
    rt::result<node_ref> doc = co_await ask_document(ref, d);
    if (!doc) co_return std::move(doc).err();
    root = *doc;
  }
  rt::result<json_value> v =
      co_await node_command(std::move(session), ref, "DOM.querySelectorAll", *root, selector_param(selector), d);
  if (!v) co_return std::move(v).err();
  std::vector<node_ref> out;
  if (const json_value::array_type* ids = (*v)["nodeIds"].get_array())
    for (const json_value& id : *ids) out.push_back(node_ref{int_of(id), root->generation});
  co_return out;
}

rt::task<rt::result<void>> ask_settle(ref_t ref, std::chrono::milliseconds quiet, rt::deadline d) {
  dom_actor::settle s{quiet, d};
  co_return co_await ref.ask(std::move(s), a_bit_later(d));
}

rt::task<rt::result<dom_stats>> ask_stats(ref_t ref, rt::deadline d) {
  co_return co_await ref.ask(dom_actor::get_stats{}, d);
}

}  // namespace

rt::task<rt::result<void>> dom::enable(rt::deadline d) const {
  if (backend_) return backend_->enable(d);
  return ask_enable(owner_->ref, d);
}
rt::task<rt::result<node_ref>> dom::document(rt::deadline d) const {
  if (backend_) return backend_->document(d);
  return ask_document(owner_->ref, d);
}
rt::task<rt::result<dom_node>> dom::node(node_ref n, rt::deadline d) const {
  if (backend_) return backend_->node(n, d);
  return ask_node(owner_->ref, n, d);
}
rt::task<rt::result<std::string>> dom::outer_html(node_ref n, rt::deadline d) const {
  if (backend_) return backend_->outer_html(n, d);
  return ask_serialize(owner_->ref, n, true, d);
}
rt::task<rt::result<std::string>> dom::inner_html(node_ref n, rt::deadline d) const {
  if (backend_) return backend_->inner_html(n, d);
  return ask_serialize(owner_->ref, n, false, d);
}
rt::task<rt::result<std::string>> dom::html(rt::deadline d) const {
  if (backend_) return backend_->html(d);
  return ask_html(owner_->ref, d);
}
rt::task<rt::result<std::string>> dom::browser_outer_html(node_ref n, rt::deadline d) const {
  if (backend_) return backend_->browser_outer_html(n, d);
  return run_browser_outer_html(session_, owner_->ref, n, d);
}
rt::task<rt::result<std::optional<node_ref>>> dom::query_selector(std::string selector, std::optional<node_ref> root,
                                                                  rt::deadline d) const {
  if (backend_) return backend_->query_selector(std::move(selector), std::move(root), d);
  return run_query(session_, owner_->ref, std::move(selector), root, d);
}
rt::task<rt::result<std::vector<node_ref>>> dom::query_selector_all(std::string selector,
                                                                    std::optional<node_ref> root,
                                                                    rt::deadline d) const {
  if (backend_) return backend_->query_selector_all(std::move(selector), std::move(root), d);
  return run_query_all(session_, owner_->ref, std::move(selector), root, d);
}
rt::task<rt::result<void>> dom::settle(std::chrono::milliseconds quiet, rt::deadline d) const {
  if (backend_) return backend_->settle(quiet, d);
  return ask_settle(owner_->ref, quiet, d);
}
rt::task<rt::result<dom_stats>> dom::stats(rt::deadline d) const {
  if (backend_) return backend_->stats(d);
  return ask_stats(owner_->ref, d);
}
void dom::stop() const {
  if (owner_) owner_->ref.stop();
}


// A backend's calls it does not override.
rt::task<rt::result<std::string>> dom_backend::outer_html(node_ref, rt::deadline) {
  return detail::unsupported<std::string>(*this, "dom.outer_html");
}
rt::task<rt::result<std::string>> dom_backend::inner_html(node_ref, rt::deadline) {
  return detail::unsupported<std::string>(*this, "dom.inner_html");
}
rt::task<rt::result<std::string>> dom_backend::browser_outer_html(node_ref, rt::deadline) {
  return detail::unsupported<std::string>(*this, "dom.browser_outer_html");
}
rt::task<rt::result<std::optional<node_ref>>> dom_backend::query_selector(std::string, std::optional<node_ref>, rt::deadline) {
  return detail::unsupported<std::optional<node_ref>>(*this, "dom.query_selector");
}
rt::task<rt::result<std::vector<node_ref>>> dom_backend::query_selector_all(std::string, std::optional<node_ref>, rt::deadline) {
  return detail::unsupported<std::vector<node_ref>>(*this, "dom.query_selector_all");
}
rt::task<rt::result<void>> dom_backend::settle(std::chrono::milliseconds, rt::deadline) {
  return detail::unsupported<void>(*this, "dom.settle");
}
rt::task<rt::result<void>> dom_backend::enable(rt::deadline) {
  return detail::unsupported<void>(*this, "dom.enable");
}
rt::task<rt::result<node_ref>> dom_backend::document(rt::deadline) {
  return detail::unsupported<node_ref>(*this, "dom.document");
}
rt::task<rt::result<dom_node>> dom_backend::node(node_ref, rt::deadline) {
  return detail::unsupported<dom_node>(*this, "dom.node");
}
rt::task<rt::result<std::string>> dom_backend::html(rt::deadline) {
  return detail::unsupported<std::string>(*this, "dom.html");
}
rt::task<rt::result<dom_stats>> dom_backend::stats(rt::deadline) {
  return detail::unsupported<dom_stats>(*this, "dom.stats");
}
dom dom::over(std::shared_ptr<dom_backend> backend) {
  dom out;
  out.backend_ = std::move(backend);
  return out;
}

}  // namespace janus::domains
