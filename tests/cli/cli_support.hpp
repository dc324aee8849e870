// Runs the `janus` command as a user does, capturing stdout, stderr and the exit code.
#pragma once

#include <string>
#include <vector>

namespace janus::test {

struct cli_run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs the built `janus` with `args` (and extra environment entries "NAME=value"), killing it
/// after `timeout_s` seconds (exit_code is then -1).
cli_run run_janus(const std::vector<std::string>& args, const std::vector<std::string>& env = {}, int timeout_s = 120);
/// run_janus for any program (janus-bench: JANUS_BENCH_CLI).
cli_run run_program(const std::string& program, const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {}, int timeout_s = 120);

}  // namespace janus::test
