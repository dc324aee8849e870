// What every `janus` subcommand shares: exit codes, the one-line error, progress on a terminal.
#pragma once

#include <janus/rt/result.hpp>

#include <string>
#include <string_view>

namespace janus::cli {

/// Exit codes, as documented by `janus --help` and the README.
enum exit_code : int {
  exit_ok = 0,
  exit_failed = 1,      // the job failed: browser or protocol error, a JS exception, a timeout
  exit_usage = 2,       // bad command line
  exit_no_browser = 3,  // no browser could be found or started
};

/// Prints "janus <command>: <message>" on stderr and returns the exit code that fits `e`; a
/// browser that was not found gets the way to install `browser` ("chromium" or "firefox").
int report_error(std::string_view command, const rt::error& e, std::string_view browser = "chromium");
/// Prints "janus <command>: <message>" on stderr and returns `code`.
int report_error(std::string_view command, std::string_view message, int code);

/// Progress of long work, on stderr, only when stderr is a terminal: a line rewritten in place.
class progress {
 public:
  progress();
  ~progress();
  void update(std::string_view text);
  void done();

 private:
  bool tty_;
  bool shown_ = false;
};

}  // namespace janus::cli
