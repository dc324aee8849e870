// The DOM mirror's events: how each DOM domain event changes the mirror (dom_actor.hpp).
#include "dom_actor.hpp"

#include <algorithm>
#include <string_view>

namespace janus::domains {

using detail::int_of;
using detail::str_of;
using protocol::json_value;

namespace {

bool wanted(const session::cdp_event& ev) { return ev.domain() == "DOM"; }

}  // namespace

dom_actor::dom_actor(rt::scheduler* sched, session::cdp_session session, dom_options options)
    : domain_actor(*sched, std::move(session), detail::event_feed{"DOM.*", &wanted, options.event_queue},
                   options.command_timeout),
      options_(options),
      last_change_(rt::clock::now()),
      changed_(*sched) {}

// --- events --------------------------------------------------------------------------------------

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
  rt::result<json_value> p = json_value::parse(ev.params(), dom_detail::max_json_depth);
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
  d.attributes = dom_detail::attributes_of(n["attributes"]);
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

}  // namespace janus::domains
