// What domain_support.hpp declares: reading JS exceptions and console arguments as DevTools
// prints them.
#include "domain_support.hpp"

namespace janus::domains::detail {

namespace {

std::string stack_lines(const protocol::json_value& trace) {
  std::string out;
  const protocol::json_value::array_type* frames = trace["callFrames"].get_array();
  if (!frames) return out;
  for (const auto& f : *frames) {
    if (!out.empty()) out += '\n';
    const std::string fn = str_of(f["functionName"]);
    const std::string where = str_of(f["url"]) + ":" + std::to_string(int_of(f["lineNumber"]) + 1) + ":" +
                              std::to_string(int_of(f["columnNumber"]) + 1);
    out += "    at ";
    out += fn.empty() ? where : fn + " (" + where + ")";
  }
  return out;
}

}  // namespace

exception_text describe_exception(const protocol::json_value& details) {
  exception_text out;
  const protocol::json_value& ex = details["exception"];
  std::string description = str_of(ex["description"]);
  if (description.empty() && ex.contains("value")) description = remote_object_text(ex);
  const std::string text = str_of(details["text"]);  // "Uncaught", "Uncaught (in promise)", or a message
  std::string first_line = description.substr(0, description.find('\n'));
  if (description.empty()) {
    out.message = text;
  } else if (text.empty() || text == first_line) {
    out.message = first_line;
  } else {
    out.message = text + " " + first_line;
  }
  // V8 puts an Error's stack in its description ("Error: boom\n    at f (…)"); thrown non-Errors
  // have none there, and the stackTrace of the details is the only record.
  const auto nl = description.find('\n');
  if (nl != std::string::npos) out.stack = description.substr(nl + 1);
  else out.stack = stack_lines(details["stackTrace"]);
  if (out.stack.empty() && details.contains("url")) {
    out.stack = "    at " + str_of(details["url"]) + ":" + std::to_string(int_of(details["lineNumber"]) + 1) + ":" +
                std::to_string(int_of(details["columnNumber"]) + 1);
  }
  return out;
}

std::string remote_object_text(const protocol::json_value& obj) {
  const std::string type = str_of(obj["type"]);
  if (type == "undefined") return "undefined";
  if (const std::string* u = obj["unserializableValue"].get_string()) return *u;
  const protocol::json_value* value = obj.find("value");
  if (value) {
    if (const std::string* s = value->get_string()) return *s;
    if (value->is_int()) return std::to_string(value->as_int());
    if (value->is_double()) {
      // JS prints integral doubles without a fraction ("3", not "3.0").
      const double d = value->as_double();
      if (d == static_cast<double>(static_cast<std::int64_t>(d)) && d > -1e15 && d < 1e15)
        return std::to_string(static_cast<std::int64_t>(d));
      return value->dump();
    }
    if (value->is_bool()) return value->as_bool() ? "true" : "false";
    if (value->is_null()) return "null";
  }
  if (str_of(obj["subtype"]) == "null") return "null";
  return str_of(obj["description"]);
}

}  // namespace janus::domains::detail
