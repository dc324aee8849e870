// janus: drive a headless browser from the command line, or measure the protocol's throughput.
#include "cli_common.hpp"
#include "commands.hpp"
#include "signals.hpp"

#include <cstdio>
#include <cstring>
#include <string_view>

namespace {

constexpr std::string_view usage_text =
    "usage: janus <command> [options]\n"
    "\n"
    "commands:\n"
    "  inspect     load a page (default: a built-in demo page) and report DOM, CSS, network, console\n"
    "  eval        print the value of a JavaScript expression on a page, as JSON\n"
    "  dom         print Janus's DOM mirror of a page as HTML\n"
    "  screenshot  write a PNG of a page, the whole page, or one element\n"
    "  bench       protocol throughput against the built-in mock browser or a real Chromium\n"
    "\n"
    "Run `janus <command> --help` for a command's options.\n"
    "\n"
    "exit codes:\n"
    "  0  success\n"
    "  1  the job failed (browser or protocol error, timeout, a JavaScript exception)\n"
    "  2  bad command line\n"
    "  3  no browser could be found or started\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace janus::cli;
  // Before any thread exists, so that every thread inherits the blocked signals.
  install_signal_handling();
  if (argc < 2) {
    std::fputs(usage_text.data(), stderr);
    return exit_usage;
  }
  const std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(usage_text.data(), stdout);
    return exit_ok;
  }
  int code = -1;
  if (command == "inspect") code = inspect_command(argc, argv);
  if (command == "eval") code = eval_command(argc, argv);
  if (command == "dom") code = dom_command(argc, argv);
  if (command == "screenshot") code = screenshot_command(argc, argv);
  if (command == "bench") code = bench_command(argc, argv);
  if (code >= 0) {
    yield_to_signal_if_any();
    return code;
  }
  std::fprintf(stderr, "janus: unknown command '%s' (see janus --help)\n", argv[1]);
  return exit_usage;
}
