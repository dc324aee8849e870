// Every command and event of the schema goes through its typed struct and back: the generated case
// sets every member (cdp_cases.cpp, built from the schema by protocol/cdp/generate.py --tests), so
// a member the struct lacks, a wrong wire name or a swapped member shows as a difference.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "cdp_cases.hpp"

using janus::cdp::test::all_cases;
using janus::cdp::test::cdp_case;
using janus::cdp::test::json_difference;
using janus::cdp::test::round_trip;
using janus::cdp::detail::type_fn;

namespace {

// Decode + encode must give back the same value, and encoding what was decoded again must give
// back the very same text (nothing lost or reordered on a second pass).
void check_round_trip(std::string_view method, std::string_view what, std::string_view json, type_fn type) {
  INFO(method << " " << what << ": " << json.substr(0, 300));
  auto once = round_trip(type(), json);
  if (!once) FAIL(once.err().what());
  CHECK(json_difference(json, *once) == "");
  auto twice = round_trip(type(), *once);
  REQUIRE(twice.has_value());
  CHECK(*twice == *once);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("every command and event of the committed schema has a round-trip case", "[cdp]") {
  auto schema = janus::protocol::json_value::parse(read_file(JANUS_SOURCE_ROOT "/protocol/cdp/browser_protocol.json"));
  REQUIRE(schema.has_value());
  std::set<std::string> expected;
  std::size_t commands = 0, events = 0;
  for (const auto& domain : (*schema)["domains"].as_array()) {
    const std::string& name = domain["domain"].as_string();
    for (const auto& c : domain["commands"].as_array()) {
      expected.insert(name + "." + c["name"].as_string());
      ++commands;
    }
    if (const auto* evs = domain["events"].get_array()) {
      for (const auto& e : *evs) {
        expected.insert(name + "." + e["name"].as_string());
        ++events;
      }
    }
  }
  std::set<std::string> covered;
  std::size_t case_commands = 0, case_events = 0;
  for (const cdp_case& c : all_cases()) {
    covered.emplace(c.method);
    (c.kind == cdp_case::command ? case_commands : case_events) += 1;
  }
  CHECK(covered == expected);
  CHECK(case_commands == commands);
  CHECK(case_events == events);
}

TEST_CASE("command parameters and results round-trip through their structs", "[cdp]") {
  for (const cdp_case& c : all_cases()) {
    if (c.kind != cdp_case::command) continue;
    check_round_trip(c.method, "params", c.params, c.params_type);
    check_round_trip(c.method, "result", c.result, c.result_type);
  }
}

TEST_CASE("events round-trip through their structs", "[cdp]") {
  for (const cdp_case& c : all_cases()) {
    if (c.kind == cdp_case::event) check_round_trip(c.method, "params", c.params, c.params_type);
  }
}
