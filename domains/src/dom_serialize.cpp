// The HTML fragment serialization of a mirrored node (dom.hpp): the one serializer of every DOM
// mirror, Chromium's (cdp/dom.cpp) and Firefox's (client/), so both write a document the same way.
#include <janus/domains/dom.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <string>
#include <string_view>

namespace janus::domains {

namespace {

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

}  // namespace

std::string escape_html_text(std::string_view s) { return escape<false>(s); }
std::string escape_html_attribute(std::string_view s) { return escape<true>(s); }

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

}  // namespace janus::domains
