// janus-codec-bench's inputs: the recorded message mix (bench/data), and the wire messages built
// from it — replies and events as Chromium frames them, a DOM document and a response body of a
// chosen size made of the recording's real strings (codec_bench_messages.cpp).
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace codec_bench {

[[noreturn]] void die(const std::string& what);

struct recorded {
  std::string method;
  std::string params;  // raw JSON text, as recorded
  std::string result;  // raw JSON text; empty for an event
};

std::vector<recorded> load_capture(const std::string& path);
std::string json_string(std::string_view s);
/// Methods of the browser session (no sessionId on the wire).
bool browser_level(std::string_view method);
std::string reply(std::int64_t id, std::string_view result, std::string_view session);
std::string event(std::string_view method, std::string_view params, std::string_view session);

// Strings of the capture to fill the synthetic large replies with: URLs and console texts.
struct real_strings {
  std::vector<std::string> urls;
  std::vector<std::string> texts;
};

real_strings harvest(const std::vector<recorded>& capture);
std::string dom_document(const real_strings& real, std::size_t target);
std::string response_body(const std::vector<recorded>& capture, std::size_t target);

struct message_set {
  explicit message_set(std::string n) : name(std::move(n)) {}
  std::string name;
  std::vector<std::string> wire;
  std::vector<simdjson::padded_string> padded;  // the baseline's copy, padded ahead of time
  std::size_t bytes = 0;
  std::size_t replies = 0;

  void add(std::string s) {
    bytes += s.size();
    if (s.starts_with("{\"id\"")) ++replies;
    padded.emplace_back(s);
    wire.push_back(std::move(s));
  }
};

}  // namespace codec_bench
