// Applying the page agent's answers to the Firefox DOM mirror (see firefox_dom_agent.cpp for the
// wire format). The answers are read straight from their text: a 60,000-node snapshot held as a
// json_value tree took ~110 MB; read once, forward, with simdjson's on-demand parser, it becomes
// the mirror's nodes and nothing else.
#include "firefox_dom_core.hpp"

#include <simdjson.h>

#include <algorithm>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace janus::client::detail {

using domains::dom_node;

namespace {

// --- the mirror (in its actor) -----------------------------------------------------------------

void erase_subtree(firefox_dom_core& c, std::int64_t id) {
  auto it = c.nodes.find(id);
  if (it == c.nodes.end()) return;
  std::vector<std::int64_t> kids = std::move(it->second.children);
  const std::int64_t tpl = it->second.template_content;
  c.nodes.erase(it);
  for (std::int64_t k : kids) erase_subtree(c, k);
  if (tpl) erase_subtree(c, tpl);
}

// Also takes it out of its parent's list (erase_subtree leaves the parent to the caller).
void detach_and_erase(firefox_dom_core& c, std::int64_t id) {
  auto it = c.nodes.find(id);
  if (it == c.nodes.end()) return;
  if (auto p = c.nodes.find(it->second.parent); p != c.nodes.end()) {
    auto& kids = p->second.children;
    kids.erase(std::remove(kids.begin(), kids.end(), id), kids.end());
    p->second.child_count = static_cast<std::int64_t>(kids.size());
    if (p->second.template_content == id) p->second.template_content = 0;
  }
  erase_subtree(c, id);
}

// --- the agent's answers, read straight from their text ------------------------------------------
// (a 60,000-node snapshot held as a json_value tree took ~110 MB; read once, forward, with
// simdjson's on-demand parser, it becomes the mirror's nodes and nothing else.)

namespace od = simdjson::ondemand;

// One node of the wire format (firefox_dom_agent.cpp).
struct wire_node {
  std::int64_t id = 0;
  std::int64_t parent = 0;
  int type = 0;
  std::string s3, s4, s5;  // per type: nodeName, localName / data; doctype: name, publicId, systemId
  std::vector<std::pair<std::string, std::string>> attributes;
};

bool read_string(od::value v, std::string& out) {
  std::string_view sv;
  if (v.get_string().get(sv)) return false;
  out.assign(sv);
  return true;
}

bool read_attributes(od::value v, std::vector<std::pair<std::string, std::string>>& out) {
  od::array a;
  if (v.get_array().get(a)) return false;
  out.clear();
  std::string name;
  bool have_name = false;
  for (auto item : a) {
    std::string_view sv;
    if (item.get_string().get(sv)) return false;
    if (!have_name) {
      name.assign(sv);
    } else {
      out.emplace_back(std::move(name), std::string(sv));
    }
    have_name = !have_name;
  }
  return !have_name;
}

bool read_wire_node(od::value v, wire_node& n) {
  od::array a;
  if (v.get_array().get(a)) return false;
  n = wire_node{};
  std::size_t i = 0;
  for (auto item : a) {
    od::value x;
    if (item.get(x)) return false;
    if (i < 3) {
      std::int64_t k = 0;
      if (x.get_int64().get(k)) return false;
      if (i == 0) n.id = k;
      else if (i == 1) n.parent = k;
      else n.type = static_cast<int>(k);
    } else if (i == 5 && n.type == 1) {
      if (!read_attributes(x, n.attributes)) return false;
    } else if (i <= 5) {
      if (!read_string(x, i == 3 ? n.s3 : i == 4 ? n.s4 : n.s5)) return false;
    }
    ++i;
  }
  return i >= 3 && n.id > 0;
}

// One node into the mirror. A node the mirror has already is one the page inserted again: what it
// holds is sent whole, so the old copy goes. `in_batch` are the ids made by this snapshot or pull:
// a node whose parent is one of them goes at the end of its parent's children (the agent sends
// children in order); the others are placed by the pull's child lists.
bool add_node(firefox_dom_core& c, wire_node&& w, std::unordered_set<std::int64_t>& in_batch) {
  detach_and_erase(c, w.id);
  dom_node n;
  n.id = w.id;
  n.parent = w.parent;
  n.type = w.type;
  n.children_known = true;
  switch (w.type) {
    case 1:
      n.name = std::move(w.s3);
      n.local_name = std::move(w.s4);
      n.attributes = std::move(w.attributes);
      break;
    case 3: case 4: case 7: case 8:
      n.name = std::move(w.s3);
      n.value = std::move(w.s4);
      break;
    case 10:
      n.name = std::move(w.s3);
      n.public_id = std::move(w.s4);
      n.system_id = std::move(w.s5);
      break;
    case 9: n.name = "#document"; break;
    case 11: n.name = "#document-fragment"; break;
    default: return false;
  }
  const std::int64_t id = w.id;
  const std::int64_t parent = w.parent;
  const int type = w.type;
  c.nodes.insert_or_assign(id, std::move(n));
  in_batch.insert(id);
  if (parent == 0 || !in_batch.count(parent)) return true;
  dom_node& p = c.nodes[parent];
  if (type == 11) {
    p.template_content = id;
  } else {
    p.children.push_back(id);
    p.child_count = static_cast<std::int64_t>(p.children.size());
  }
  return true;
}

// A pull's child list: `parent` now holds exactly `kids`, in that order. Nodes it held that are
// not among them left the document (a node moved elsewhere was sent whole, and so taken out of
// its old parent already). False when a child is one the mirror was never sent.
bool set_children(firefox_dom_core& c, std::int64_t parent, const std::vector<std::int64_t>& kids) {
  auto p = c.nodes.find(parent);
  if (p == c.nodes.end()) return false;
  std::vector<std::int64_t> now;
  now.reserve(kids.size());
  std::unordered_set<std::int64_t> keep;
  bool whole = true;
  for (std::int64_t id : kids) {
    auto n = c.nodes.find(id);
    if (n == c.nodes.end()) {
      whole = false;
      continue;
    }
    n->second.parent = parent;
    now.push_back(id);
    keep.insert(id);
  }
  std::vector<std::int64_t> before = std::move(c.nodes[parent].children);
  for (std::int64_t old : before) {
    if (keep.count(old)) continue;
    if (auto n = c.nodes.find(old); n != c.nodes.end() && n->second.parent == parent) erase_subtree(c, old);
  }
  dom_node& pn = c.nodes[parent];
  pn.children = std::move(now);
  pn.child_count = static_cast<std::int64_t>(pn.children.size());
  return whole;
}

// Applies a snapshot ({"n": [...]}) or a pull ({"n", "c", "a", "v"}) to the mirror, in its actor.
applied_answer apply_answer(firefox_dom_core& c, const std::string& text) {
  applied_answer out;
  od::parser parser;
  simdjson::padded_string padded(text);
  od::document doc;
  od::object top;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(top)) return applied_answer{false};
  std::unordered_set<std::int64_t> in_batch;
  wire_node w;
  for (auto field : top) {
    std::string_view key;
    od::value v;
    od::array list;
    if (field.unescaped_key().get(key) || field.value().get(v) || v.get_array().get(list)) return applied_answer{false};
    for (auto item : list) {
      od::value e;
      if (item.get(e)) return applied_answer{false};
      if (key == "n") {
        if (!read_wire_node(e, w) || !add_node(c, std::move(w), in_batch)) return applied_answer{false};
        if (w.type == 9 && c.document == 0) c.document = w.id;
        continue;
      }
      od::array pair;
      if (e.get_array().get(pair)) return applied_answer{false};
      std::int64_t id = 0;
      std::size_t i = 0;
      std::vector<std::int64_t> kids;
      std::vector<std::pair<std::string, std::string>> attrs;
      std::string data;
      for (auto part : pair) {
        od::value pv;
        if (part.get(pv)) return applied_answer{false};
        if (i == 0) {
          if (pv.get_int64().get(id)) return applied_answer{false};
        } else if (i == 1 && key == "c") {
          od::array ids;
          if (pv.get_array().get(ids)) return applied_answer{false};
          for (auto k : ids) {
            std::int64_t kid = 0;
            if (k.get_int64().get(kid)) return applied_answer{false};
            kids.push_back(kid);
          }
        } else if (i == 1 && key == "a") {
          if (!read_attributes(pv, attrs)) return applied_answer{false};
        } else if (i == 1 && key == "v") {
          if (!read_string(pv, data)) return applied_answer{false};
        }
        ++i;
      }
      if (i != 2) return applied_answer{false};
      ++out.changes;
      if (key == "c") {
        if (!set_children(c, id, kids)) out.whole = false;
        continue;
      }
      auto n = c.nodes.find(id);
      if (n == c.nodes.end()) ++out.unknown;
      else if (key == "a") n->second.attributes = std::move(attrs);
      else n->second.value = std::move(data);
    }
  }
  return out;
}


}  // namespace

applied_answer apply_agent_answer(firefox_dom_core& c, const std::string& text) { return apply_answer(c, text); }

}  // namespace janus::client::detail
