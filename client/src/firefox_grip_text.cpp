// How the Firefox tab turns RDP's console grips and resource forms into the domains' console
// entries and names: console.log's formatting of its arguments, levels, resource types, and the
// error code of Firefox's network error page.
#include "firefox_tab_state.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace janus::client::detail {

double num_of(const json_value& v) {
  if (auto d = v.get_double()) return *d;
  return 0;
}

// JS numbers as console.log prints them: integers without a fraction.
std::string js_number(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == std::floor(d) && std::fabs(d) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d));
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  // Shortest form that reads back the same.
  for (int p = 1; p <= 17; ++p) {
    char t[32];
    std::snprintf(t, sizeof t, "%.*g", p, d);
    if (std::strtod(t, nullptr) == d) return t;
  }
  return buf;
}

// One console argument (a grip) as text, the way a console prints it in one line.
std::string grip_text(const json_value& g) {
  switch (g.type()) {
    case json_value::kind::null: return "null";
    case json_value::kind::boolean: return g.as_bool() ? "true" : "false";
    case json_value::kind::integer: return std::to_string(g.as_int());
    case json_value::kind::number: return js_number(g.as_double());
    case json_value::kind::string: return g.as_string();
    case json_value::kind::array: return g.dump();
    case json_value::kind::object: break;
  }
  const std::string type = str_of(g["type"]);
  if (type == "undefined" || type == "null" || type == "NaN" || type == "Infinity" || type == "-Infinity" ||
      type == "-0")
    return type;
  if (type == "BigInt") return str_of(g["text"]) + "n";
  if (type == "symbol") return "Symbol(" + str_of(g["name"]) + ")";
  // Long strings (10000+ characters) come as a grip with the first 1000: printed as far as known.
  if (type == "longString") return str_of(g["initial"]);
  if (type == "object") {
    const std::string cls = str_of(g["class"]);
    const json_value& pv = g["preview"];
    const std::string kind = str_of(pv["kind"]);
    if (kind == "Error") return str_of(pv["name"]) + ": " + str_of(pv["message"]);
    if (kind == "ArrayLike") {
      std::string out = cls + "(" + std::to_string(int_of(pv["length"])) + ") [";
      if (const auto* items = pv["items"].get_array()) {
        for (std::size_t i = 0; i < items->size(); ++i) out += (i ? ", " : "") + grip_text((*items)[i]);
      }
      return out + "]";
    }
    if (kind == "Object" && cls == "Object") {
      std::string out = "{";
      bool first = true;
      if (const auto* props = pv["ownProperties"].get_object()) {
        for (const auto& [name, desc] : *props) {
          out += (first ? " " : ", ") + name + ": " + grip_text(desc["value"]);
          first = false;
        }
      }
      return out + (first ? "}" : " }");
    }
    if (pv.contains("url")) return cls + " " + str_of(pv["url"]);
    return cls.empty() ? "Object" : cls;
  }
  return g.dump();
}

// console.log's arguments joined the way a console shows them: printf-style directives in a
// leading string argument (%s %d %i %f %o %O %c) take the next arguments, the rest are appended.
std::string format_console_args(const json_value::array_type& args) {
  std::string out;
  std::size_t next = 0;
  if (!args.empty() && args[0].is_string()) {
    const std::string& fmt = args[0].as_string();
    next = 1;
    for (std::size_t i = 0; i < fmt.size(); ++i) {
      const char ch = fmt[i];
      if (ch != '%' || i + 1 >= fmt.size()) {
        out += ch;
        continue;
      }
      const char d = fmt[i + 1];
      if (d == '%') {
        out += '%';
        ++i;
      } else if (std::string_view("sdifoOc").find(d) != std::string_view::npos) {
        ++i;
        if (next >= args.size()) {
          out += '%';
          out += d;
          continue;
        }
        const json_value& a = args[next++];
        if (d == 'c') continue;  // CSS styling: no text
        if (d == 'd' || d == 'i') {
          if (a.is_number()) {
            out += js_number(std::trunc(a.as_double()));
            continue;
          }
          if (a.is_string()) {
            try {
              out += std::to_string(std::stoll(a.as_string()));
            } catch (...) {
              out += "NaN";
            }
            continue;
          }
          out += "NaN";
          continue;
        }
        out += grip_text(a);
      } else {
        out += ch;
      }
    }
  }
  for (; next < args.size(); ++next) {
    if (!out.empty() || next > 0) out += ' ';
    out += grip_text(args[next]);
  }
  return out;
}

std::string level_of_console(const std::string& fx_level) {
  if (fx_level == "warn") return "warning";
  if (fx_level == "error" || fx_level == "assert") return "error";
  if (fx_level == "debug") return "verbose";
  return "info";
}

std::string type_of_console(const std::string& fx_level) {
  if (fx_level == "warn") return "warning";
  if (fx_level == "group") return "startGroup";
  if (fx_level == "groupCollapsed") return "startGroupCollapsed";
  if (fx_level == "groupEnd") return "endGroup";
  return fx_level.empty() ? std::string("log") : fx_level;
}

std::string resource_type_of(const json_value& form) {
  if (bool_of(form["isXHR"])) return "XHR";
  const std::string cause = str_of(form["cause"]["type"]);
  if (cause == "document" || cause == "subdocument") return "Document";
  if (cause == "script") return "Script";
  if (cause == "stylesheet") return "Stylesheet";
  if (cause == "img" || cause == "image" || cause == "imageset") return "Image";
  if (cause == "fetch") return "Fetch";
  if (cause == "xhr") return "XHR";
  if (cause == "font") return "Font";
  if (cause == "media") return "Media";
  if (cause == "websocket") return "WebSocket";
  if (cause == "beacon") return "Ping";
  return "Other";
}

// The error code of an about:neterror page ("connectionFailure", "dnsNotFound"...).
std::string neterror_code(const std::string& url) {
  const auto e = url.find("e=");
  if (e == std::string::npos) return "network error";
  const auto end = url.find('&', e);
  return url.substr(e + 2, end == std::string::npos ? std::string::npos : end - e - 2);
}

std::string without_fragment(const std::string& url) { return url.substr(0, url.find('#')); }

}  // namespace janus::client::detail
