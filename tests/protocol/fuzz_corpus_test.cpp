// Replays every committed fuzz input (seeds and the regressions of crashes the fuzzers found)
// through the same checks the fuzzers run, so a fixed crash stays fixed without clang or libFuzzer.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../../fuzz/targets/base64_target.hpp"
#include "../../fuzz/targets/cdp_decoder_target.hpp"
#include "../../fuzz/targets/cdp_typed_target.hpp"
#include "../../fuzz/targets/http_request_target.hpp"
#include "../../fuzz/targets/json_value_target.hpp"
#include "../../fuzz/targets/json_writer_target.hpp"
#include "../../fuzz/targets/pipe_framer_target.hpp"
#include "../../fuzz/targets/rdp_decoder_target.hpp"
#include "../../fuzz/targets/rdp_framer_target.hpp"

namespace {

using target_fn = int (*)(const std::uint8_t*, std::size_t);

std::size_t replay(const std::string& target, target_fn fn) {
  const std::filesystem::path dir = std::filesystem::path(JANUS_SOURCE_ROOT) / "fuzz" / "corpus" / target;
  REQUIRE(std::filesystem::is_directory(dir));
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(file.string());
    // The target aborts with a message on a violated invariant, failing this test.
    CHECK(fn(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()) == 0);
  }
  return files.size();
}

}  // namespace

TEST_CASE("fuzz corpus replay: cdp_decoder", "[fuzz]") { CHECK(replay("cdp_decoder", janus::fuzz::cdp_decoder_one_input) > 10); }
TEST_CASE("fuzz corpus replay: rdp_framer", "[fuzz]") { CHECK(replay("rdp_framer", janus::fuzz::rdp_framer_one_input) > 3); }
TEST_CASE("fuzz corpus replay: rdp_decoder", "[fuzz]") { CHECK(replay("rdp_decoder", janus::fuzz::rdp_decoder_one_input) > 10); }
TEST_CASE("fuzz corpus replay: json_value", "[fuzz]") { CHECK(replay("json_value", janus::fuzz::json_value_one_input) > 10); }
TEST_CASE("fuzz corpus replay: json_writer", "[fuzz]") { CHECK(replay("json_writer", janus::fuzz::json_writer_one_input) > 3); }
TEST_CASE("fuzz corpus replay: cdp_typed", "[fuzz]") { CHECK(replay("cdp_typed", janus::fuzz::cdp_typed_one_input) > 10); }
TEST_CASE("fuzz corpus replay: pipe_framer", "[fuzz]") { CHECK(replay("pipe_framer", janus::fuzz::pipe_framer_one_input) > 3); }
TEST_CASE("fuzz corpus replay: http_request", "[fuzz]") { CHECK(replay("http_request", janus::fuzz::http_request_one_input) > 3); }
TEST_CASE("fuzz corpus replay: base64", "[fuzz]") { CHECK(replay("base64", janus::fuzz::base64_one_input) > 3); }
