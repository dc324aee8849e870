// The wire messages janus-codec-bench decodes, built from the recorded mix (see the header).
#include "codec_bench_messages.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>

namespace codec_bench {

namespace od = simdjson::ondemand;

void die(const std::string& what) {
  std::fprintf(stderr, "janus-codec-bench: %s\n", what.c_str());
  std::exit(1);
}

// ---- building the wire messages ------------------------------------------------------------------


std::vector<recorded> load_capture(const std::string& path) {
  std::ifstream in(path);
  if (!in) die("cannot open " + path);
  std::vector<recorded> out;
  od::parser parser;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    simdjson::padded_string padded(line);
    od::document doc = parser.iterate(padded);
    recorded r;
    for (auto field : doc.get_object()) {
      std::string_view key = field.unescaped_key();
      if (key == "method") r.method = std::string(std::string_view(field.value().get_string()));
      else if (key == "params" || key == "result") {
        od::object obj = field.value().get_object();
        (key == "params" ? r.params : r.result) = std::string(std::string_view(obj.raw_json()));
      }
    }
    if (r.method.empty() || r.params.empty()) die("malformed capture line: " + line.substr(0, 200));
    out.push_back(std::move(r));
  }
  return out;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

bool browser_level(std::string_view method) { return method.starts_with("Target.") || method.starts_with("Browser."); }

std::string reply(std::int64_t id, std::string_view result, std::string_view session) {
  std::string s = "{\"id\":" + std::to_string(id) + ",\"result\":";
  s += result;
  if (!session.empty()) s += ",\"sessionId\":" + json_string(session);
  return s + "}";
}

std::string event(std::string_view method, std::string_view params, std::string_view session) {
  std::string s = "{\"method\":" + json_string(method) + ",\"params\":";
  s += params;
  if (!session.empty()) s += ",\"sessionId\":" + json_string(session);
  return s + "}";
}


real_strings harvest(const std::vector<recorded>& capture) {
  real_strings out;
  od::parser parser;
  for (const recorded& r : capture) {
    simdjson::padded_string p(r.params);
    od::document doc = parser.iterate(p);
    if (r.method == "Network.requestWillBeSent") {
      std::string_view url = doc["request"]["url"].get_string();
      out.urls.emplace_back(url);
    } else if (r.method == "Runtime.consoleAPICalled") {
      for (auto arg : doc["args"].get_array()) {
        std::string_view v;
        if (!arg["value"].get_string().get(v)) out.texts.emplace_back(v);
      }
    }
  }
  if (out.urls.empty() || out.texts.empty()) die("the capture has no request URLs or console texts");
  return out;
}

// A DOM.getDocument reply (depth -1) of about `target` bytes: html/head/body, then list items
// `<li class="entry" data-url=URL><a href=URL>TEXT</a></li>` with the capture's URLs and texts.
std::string dom_document(const real_strings& real, std::size_t target) {
  std::int64_t next_id = 1;
  auto open = [&](std::string& s, std::int64_t parent, int type, std::string_view name, std::string_view local,
                  std::string_view value) {
    const std::int64_t id = next_id++;
    s += "{\"nodeId\":" + std::to_string(id);
    if (parent) s += ",\"parentId\":" + std::to_string(parent);
    s += ",\"backendNodeId\":" + std::to_string(id + 7) + ",\"nodeType\":" + std::to_string(type) +
         ",\"nodeName\":" + json_string(name) + ",\"localName\":" + json_string(local) + ",\"nodeValue\":" + json_string(value);
    return id;
  };
  auto text = [&](std::int64_t parent, std::string_view value) {
    std::string s;
    open(s, parent, 3, "#text", "", value);
    return s + "}";
  };
  auto attrs = [](std::initializer_list<std::string_view> kv) {
    std::string s = ",\"attributes\":[";
    bool first = true;
    for (auto a : kv) {
      if (!first) s += ",";
      s += json_string(a);
      first = false;
    }
    return s + "]";
  };
  auto element = [&](std::int64_t parent, std::string_view tag, std::string_view upper, std::string attributes,
                     const std::function<std::vector<std::string>(std::int64_t)>& children) {
    std::string s;
    const std::int64_t id = open(s, parent, 1, upper, tag, "");
    const auto kids = children(id);
    s += ",\"childNodeCount\":" + std::to_string(kids.size()) + ",\"children\":[";
    for (std::size_t i = 0; i < kids.size(); ++i) s += (i ? "," : "") + kids[i];
    return s + "]" + attributes + "}";
  };

  std::string doc;
  const std::int64_t root = open(doc, 0, 9, "#document", "", "");
  std::string doctype;
  open(doctype, root, 10, "html", "", "");
  doctype += ",\"publicId\":\"\",\"systemId\":\"\"}";
  const std::string html = element(root, "html", "HTML", attrs({"lang", "en"}), [&](std::int64_t html_id) {
    std::string head = element(html_id, "head", "HEAD", "", [&](std::int64_t head_id) {
      return std::vector<std::string>{element(head_id, "title", "TITLE", "", [&](std::int64_t title_id) {
        return std::vector<std::string>{text(title_id, "Janus capture fixture")};
      })};
    });
    std::string body = element(html_id, "body", "BODY", "", [&](std::int64_t body_id) {
      return std::vector<std::string>{element(body_id, "ul", "UL", attrs({"id", "log"}), [&](std::int64_t ul_id) {
        std::vector<std::string> items;
        std::size_t bytes = 0;
        for (std::size_t i = 0; bytes < target; ++i) {
          const std::string& url = real.urls[i % real.urls.size()];
          const std::string& label = real.texts[i % real.texts.size()];
          items.push_back(
              element(ul_id, "li", "LI", attrs({"class", "entry", "data-url", url}), [&](std::int64_t li_id) {
                return std::vector<std::string>{element(li_id, "a", "A", attrs({"href", url}), [&](std::int64_t a_id) {
                  return std::vector<std::string>{text(a_id, label)};
                })};
              }));
          bytes += items.back().size();
        }
        return items;
      })};
    });
    return std::vector<std::string>{std::move(head), std::move(body)};
  });
  doc += ",\"childNodeCount\":2,\"children\":[" + doctype + "," + html +
         "],\"documentURL\":" + json_string(real.urls.front()) + ",\"baseURL\":" + json_string(real.urls.front()) +
         ",\"xmlVersion\":\"\",\"compatibilityMode\":\"NoQuirksMode\"}";
  return "{\"root\":" + doc + "}";
}

// A Network.getResponseBody reply of about `target` bytes: a JSON document (the capture's own
// lines, one after another) returned as the body string.
std::string response_body(const std::vector<recorded>& capture, std::size_t target) {
  std::string body = "[";
  for (std::size_t i = 0; body.size() < target; ++i) {
    const recorded& r = capture[i % capture.size()];
    if (body.size() > 1) body += ",\n";
    body += "{\"method\":" + json_string(r.method) + ",\"params\":" + r.params + "}";
  }
  body += "]";
  return "{\"body\":" + json_string(body) + ",\"base64Encoded\":false}";
}



}  // namespace codec_bench
