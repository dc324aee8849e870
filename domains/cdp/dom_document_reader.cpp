// DOM.getDocument's result, read straight from its text into the mirror. Held as a json_value
// tree first, a 60,000-node document took about 100 MB at its peak (2026-12-07, heaptrack: the
// members' vectors); read once, forward, with simdjson's on-demand parser, it becomes the
// mirror's nodes and nothing else.
#include "dom_actor.hpp"

#include <simdjson.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace janus::domains {

namespace od = simdjson::ondemand;

struct dom_document_reader {
  dom_actor& a;

  static bool text(od::value v, std::string& out) {
    std::string_view sv;
    if (v.get_string().get(sv)) return false;
    out.assign(sv);
    return true;
  }

  static bool attributes(od::value v, std::vector<std::pair<std::string, std::string>>& out) {
    od::array list;
    if (v.get_array().get(list)) return false;
    std::string name;
    bool have_name = false;
    for (auto item : list) {
      std::string_view sv;
      if (item.get_string().get(sv)) return false;
      if (have_name) out.emplace_back(std::move(name), std::string(sv));
      else name.assign(sv);
      have_name = !have_name;
    }
    return !have_name;
  }

  // One node and everything under it (the mirror was emptied first: no id is there already).
  // 0 when the text is not a Node. Chromium writes nodeId first, which the children need.
  std::int64_t node(od::object o, std::int64_t parent) {
    dom_actor::node fresh;
    dom_node& d = fresh.data;
    d.parent = parent;
    std::vector<std::int64_t> kids;
    bool listed = false;
    std::int64_t tmpl = 0;
    for (auto field : o) {
      std::string_view key;
      od::value v;
      if (field.unescaped_key().get(key) || field.value().get(v)) return 0;
      bool ok = true;
      if (key == "nodeId") ok = !v.get_int64().get(d.id);
      else if (key == "nodeType") {
        std::int64_t t = 0;
        ok = !v.get_int64().get(t);
        d.type = static_cast<int>(t);
      } else if (key == "nodeName") ok = text(v, d.name);
      else if (key == "localName") ok = text(v, d.local_name);
      else if (key == "nodeValue") ok = text(v, d.value);
      else if (key == "publicId") ok = text(v, d.public_id);
      else if (key == "systemId") ok = text(v, d.system_id);
      else if (key == "childNodeCount") ok = !v.get_int64().get(d.child_count);
      else if (key == "attributes") ok = attributes(v, d.attributes);
      else if (key == "children") {
        od::array list;
        if (d.id == 0 || v.get_array().get(list)) return 0;
        listed = true;
        for (auto item : list) {
          od::object child;
          if (item.get_object().get(child)) return 0;
          const std::int64_t k = node(child, d.id);
          if (k == 0) return 0;
          kids.push_back(k);
        }
      } else if (key == "templateContent") {
        od::object t;
        if (d.id == 0 || v.get_object().get(t)) return 0;
        tmpl = node(t, d.id);
        if (tmpl == 0) return 0;
      }
      if (!ok) return 0;
    }
    if (d.id == 0) return 0;
    const std::int64_t id = d.id;
    d.children_known = listed || d.child_count == 0;
    if (listed) d.child_count = static_cast<std::int64_t>(kids.size());
    d.children = std::move(kids);
    d.template_content = tmpl;
    a.nodes_.insert_or_assign(id, std::move(fresh));
    a.want_value_if_cut(id);
    if (!a.nodes_.at(id).data.children_known) a.want_children(id);
    return id;
  }
};

bool dom_actor::install_text(std::string_view result) {
  simdjson::padded_string padded(result);
  od::parser parser;
  if (parser.allocate(padded.size(), dom_detail::max_json_depth)) return false;
  od::document doc;
  od::object top;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(top)) return false;
  nodes_.clear();
  children_pending_.clear();
  attributes_pending_.clear();
  attributes_again_.clear();
  values_pending_.clear();
  ++generation_;
  ready_ = false;
  document_ = 0;
  for (auto field : top) {
    std::string_view key;
    od::value v;
    od::object root;
    if (field.unescaped_key().get(key) || key != "root") continue;
    if (field.value().get(v) || v.get_object().get(root)) return false;
    document_ = dom_document_reader{*this}.node(root, 0);
  }
  if (document_ == 0) {
    nodes_.clear();
    return false;
  }
  ready_ = true;
  return true;
}

}  // namespace janus::domains
