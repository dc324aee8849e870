// Reading a capture file for Mock.replay, and the small JSON helpers of mock_core.hpp.
#include "mock_core.hpp"

#include <janus/protocol/json_value.hpp>
#include <janus/protocol/json_writer.hpp>

#include <charconv>
#include <fstream>

namespace janus::testing::mock_detail {

using protocol::json_value;
using protocol::json_writer;
using rt::errc;

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

std::string_view trim_trailing_space(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string json_string(std::string_view s) {
  json_writer w;
  w.string(s);
  return w.take();
}

rt::result<capture> load_capture(const std::string& path) {
  capture out;
  if (path.empty()) return out;
  std::ifstream in(path);
  if (!in) return rt::error(errc::not_found, "mock browser: cannot open capture " + path);
  std::string line;
  std::size_t line_no = 0;
  json_writer w;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim_trailing_space(line).empty()) continue;
    auto parsed = json_value::parse(line);
    const auto where = [&] { return path + ":" + std::to_string(line_no); };
    if (!parsed) return rt::error(errc::parse, where() + ": " + parsed.err().message);
    const json_value& v = parsed.value();
    const std::string* method = v["method"].get_string();
    if (!v.is_object() || method == nullptr)
      return rt::error(errc::parse, where() + ": a capture line needs a string \"method\"");
    const json_value& params = v["params"];
    if (!params.is_null() && !params.is_object())
      return rt::error(errc::parse, where() + ": \"params\" is not an object");
    if (const json_value* result = v.find("result")) {
      if (!result->is_object()) return rt::error(errc::parse, where() + ": \"result\" is not an object");
      out.results.emplace(*method, result->dump());  // the first occurrence wins
      continue;
    }
    w.clear();
    w.begin_object();
    w.key("method");
    w.string(*method);
    w.key("params");
    if (params.is_object()) params.write(w);
    else w.raw("{}");
    if (const std::string* session = v["sessionId"].get_string()) {
      w.key("sessionId");
      w.string(*session);
    }
    w.end_object();
    if (!w.ok()) return rt::error(errc::parse, where() + ": " + std::string(w.error_message()));
    out.events.emplace_back(w.view());
  }
  return out;
}

}  // namespace janus::testing::mock_detail
