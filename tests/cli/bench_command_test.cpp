// `janus bench` as a user runs it: every figure printed, errors as one line with an exit code.
#include "cli_support.hpp"

#include <janus/protocol/json_value.hpp>

#include <catch2/catch.hpp>

#include <algorithm>

using janus::protocol::json_value;
using janus::test::run_janus;

TEST_CASE("janus bench --json against the mock prints every figure", "[cli][bench]") {
  const auto r = run_janus({"bench", "--runs", "1", "--requests", "2000", "--inflight", "16", "--events", "5000", "--json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto v = json_value::parse(r.out);
  REQUIRE(v);
  CHECK(v->find("target")->as_string() == "mock");
  CHECK(v->find("requests")->as_int() == 2000);
  CHECK(v->find("inflight")->as_int() == 16);
  for (const char* key : {"sequential_per_s", "latency_p50_us", "latency_p99_us", "pipelined_per_s", "events_per_s",
                          "cpu_us_per_request", "cpu_us_per_event"}) {
    CAPTURE(key);
    const json_value* f = v->find(key);
    REQUIRE(f);
    REQUIRE(f->is_number());
    CHECK(f->as_double() > 0);
  }
  CHECK(v->find("latency_p99_us")->as_double() >= v->find("latency_p50_us")->as_double());
  CHECK(r.err.empty());  // not a terminal: no progress output
}

TEST_CASE("janus bench prints a table by default", "[cli][bench]") {
  const auto r = run_janus({"bench", "--runs", "1", "--requests", "500", "--events", "1000"});
  REQUIRE(r.exit_code == 0);
  for (const char* line : {"sequential round trips", "latency", "p99", "pipelined requests", "events", "client CPU"})
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
  auto missing = run_janus({"bench", "--target", "chromium"}, {"JANUS_CHROMIUM=/nonexistent/chromium"});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find("janus bench: no Chromium found") == 0);
  CHECK(missing.err.find("/nonexistent/chromium") != std::string::npos);
  CHECK(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);
  auto none = run_janus({});
  CHECK(none.exit_code == 2);
  auto unknown = run_janus({"frobnicate"});
  CHECK(unknown.exit_code == 2);
}
