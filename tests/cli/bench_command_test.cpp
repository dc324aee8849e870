// `janus bench` and janus-bench as a user runs them: every figure printed, errors as one line with
// an exit code, and the mock browser (test code) only in janus-bench.
#include "cli_support.hpp"

#include <janus/protocol/json_value.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using janus::protocol::json_value;
using janus::test::run_janus;
using janus::test::run_program;

namespace {
janus::test::cli_run run_janus_bench(const std::vector<std::string>& args) { return run_program(JANUS_BENCH_CLI, args); }
}  // namespace

TEST_CASE("janus-bench --json against the mock prints one object per workload and mode", "[cli][bench]") {
  const auto r = run_janus_bench({"--runs", "1", "--requests", "2000", "--sequential", "1000", "--inflight", "16",
                                  "--events", "5000", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::vector<json_value> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    auto v = json_value::parse(line);
    REQUIRE(v);
    lines.push_back(std::move(*v));
  }
  REQUIRE(lines.size() == 3);
  const std::pair<const char*, const char*> expected[] = {{"echo", "sequential"}, {"echo", "pipelined"}, {"events", "events"}};
  const std::int64_t counts[] = {1000, 2000, 5000};
  for (std::size_t i = 0; i < 3; ++i) {
    const json_value& v = lines[i];
    CAPTURE(i);
    CHECK(v.find("target")->as_string() == "mock");
    CHECK(v.find("transport")->as_string() == "websocket");
    CHECK(v.find("workload")->as_string() == expected[i].first);
    CHECK(v.find("mode")->as_string() == expected[i].second);
    CHECK(v.find("n")->as_int() == counts[i]);
    CHECK(v.find("inflight")->as_int() == (i == 1 ? 16 : 1));
    CHECK(v.find("runs")->as_int() == 1);
    for (const char* key : {"per_s", "cpu_us_per_op"}) {
      CAPTURE(key);
      const json_value* f = v.find(key);
      REQUIRE(f);
      REQUIRE(f->is_number());
      CHECK(f->as_double() > 0);
    }
  }
  REQUIRE(lines[0].find("latency_p50_us"));
  CHECK(lines[0].find("latency_p99_us")->as_double() >= lines[0].find("latency_p50_us")->as_double());
  CHECK(lines[1].find("latency_p50_us") == nullptr);
  CHECK(r.err.empty());  // not a terminal: no progress output
}

TEST_CASE("janus-bench --workload picks workloads and names the known ones when it matches none", "[cli][bench]") {
  const auto r = run_janus_bench({"--runs", "1", "--workload", "events", "--events", "1000", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("\"workload\":\"events\"") != std::string::npos);
  CHECK(r.out.find("\"workload\":\"echo\"") == std::string::npos);
  const auto bad = run_janus_bench({"--workload", "nope"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err == "janus bench: --workload 'nope' names none of mock's workloads (echo, events)\n");
  const auto connect = run_janus_bench({"--connect", "ws://127.0.0.1:1/devtools/browser/x"});
  CHECK(connect.exit_code != 0);
  CHECK(connect.err.find("--connect is for a real browser") != std::string::npos);
}

TEST_CASE("janus-bench prints a table by default", "[cli][bench]") {
  const auto r = run_janus_bench({"--runs", "1", "--requests", "500", "--inflight", "16", "--events", "1000"});
  REQUIRE(r.exit_code == 0);
  for (const char* line : {"echo: Bench.echo", "sequential", "p50", "p99", "pipelined", "16 in flight", "events",
                           "us CPU/op"})
    CHECK(r.out.find(line) != std::string::npos);
}

TEST_CASE("janus bench: usage errors and a missing browser are one line and an exit code", "[cli][bench]") {
  auto bad = run_janus({"bench", "--bogus"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err == "janus bench: unknown option --bogus (see janus bench --help)\n");
  auto bad_number = run_janus({"bench", "--requests", "many"});
  CHECK(bad_number.exit_code == 2);
  auto help = run_janus({"bench", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--inflight") != std::string::npos);
  // The installed command's default far end is a real Chromium.
  auto missing = run_janus({"bench"}, {"JANUS_CHROMIUM=/nonexistent/chromium"});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find("janus bench: no Chromium found") == 0);
  CHECK(missing.err.find("/nonexistent/chromium") != std::string::npos);
  CHECK(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);
  auto none = run_janus({});
  CHECK(none.exit_code == 2);
  auto unknown = run_janus({"frobnicate"});
  CHECK(unknown.exit_code == 2);
}

TEST_CASE("the installed janus carries no mock browser; janus-bench does", "[cli][bench]") {
  auto mock = run_janus({"bench", "--target", "mock"});
  CHECK(mock.exit_code == 2);
  CHECK(mock.err ==
        "janus bench: --target is chromium or firefox, not 'mock' (the mock browser is in janus-bench, built with the "
        "benchmarks)\n");
  auto help = run_janus({"bench", "--help"});
  CHECK(help.out.find("mock") == std::string::npos);
  auto bench_help = run_janus_bench({"--help"});
  CHECK(bench_help.exit_code == 0);
  CHECK(bench_help.out.find("--target mock|chromium|firefox") != std::string::npos);
  // No symbol of janus::testing::mock_browser in the binary that `meson install` installs.
  std::ifstream in(JANUS_CLI, std::ios::binary);
  const std::string binary{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  REQUIRE(binary.size() > 100000);
  CHECK(binary.find("7testing12mock_browser") == std::string::npos);
  std::ifstream bench_in(JANUS_BENCH_CLI, std::ios::binary);
  const std::string bench_binary{std::istreambuf_iterator<char>(bench_in), std::istreambuf_iterator<char>()};
  CHECK(bench_binary.find("7testing12mock_browser") != std::string::npos);
}
