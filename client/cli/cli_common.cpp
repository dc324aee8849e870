#include "cli_common.hpp"

#include "signals.hpp"

#include <fmt/format.h>

#include <cstdio>

#include <unistd.h>

namespace janus::cli {

int report_error(std::string_view command, std::string_view message, int code) {
  yield_to_signal_if_any();  // a signal's own line is the one line
  // One line, whatever the message echoes of the command line or of a peer: control characters
  // are written as \xNN.
  std::string line;
  for (const char ch : message) {
    const auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f) line += fmt::format("\\x{:02x}", u);
    else line += ch;
  }
  std::fprintf(stderr, "janus %.*s: %s\n", static_cast<int>(command.size()), command.data(), line.c_str());
  return code;
}

int report_error(std::string_view command, const rt::error& e, std::string_view browser) {
  const bool no_browser = e.code == rt::errc::browser_not_found || e.code == rt::errc::launch_failed;
  // The first line only: a launch failure appends the browser's stderr, which --verbose users
  // can read from the full message; one line is the promise.
  std::string message = e.message;
  if (const auto nl = message.find('\n'); nl != std::string::npos) message.resize(nl);
  if (e.code == rt::errc::browser_not_found) {
    const bool firefox = browser == "firefox";
    message = std::string(firefox ? "no Firefox found (" : "no Chromium found (") + message +
              (firefox ? "); install one (Debian: sudo apt-get install firefox-esr) or set JANUS_FIREFOX to its path"
                       : "); install one (Debian: sudo apt-get install chromium) or set JANUS_CHROMIUM to its path");
  }
  return report_error(command, message, no_browser ? exit_no_browser : exit_failed);
}

progress::progress() : tty_(::isatty(STDERR_FILENO) == 1) {}

progress::~progress() { done(); }

void progress::update(std::string_view text) {
  if (!tty_) return;
  std::fprintf(stderr, "\r\033[K%.*s", static_cast<int>(text.size()), text.data());
  std::fflush(stderr);
  shown_ = true;
}

void progress::done() {
  if (!tty_ || !shown_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace janus::cli
