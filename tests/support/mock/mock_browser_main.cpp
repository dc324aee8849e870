// janus-mock-browser: the mock CDP browser as a program that stands in for chromium on a command
// line. With --port it announces itself on stderr exactly as Chromium does, so launchers that parse
// Chromium's "DevTools listening on ..." line work unchanged; with --pipe it serves
// --remote-debugging-pipe's descriptors 3 (commands in) and 4 (replies and events out). It accepts
// Chromium's own switches for both, and ignores the rest of a Chromium command line.
#include "janus/testing/mock_browser.hpp"

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view usage =
    "usage: janus-mock-browser [--port N] [--host ADDR] [--pipe] [--replay FILE]\n"
    "  --port N       WebSocket/HTTP port on loopback (0, the default: any free port)\n"
    "  --host ADDR    address to listen on (default 127.0.0.1)\n"
    "  --pipe         serve CDP on fds 3 (in) and 4 (out) like --remote-debugging-pipe; exit when fd 3 closes\n"
    "  --replay FILE  a JSON-lines capture: Mock.replay emits its events, its commands answer as recorded\n"
    "Chromium's --remote-debugging-port=N and --remote-debugging-pipe mean --port and --pipe; other\n"
    "--switches and URLs are ignored, as Chromium ignores switches it does not know.\n";

int fail(std::string_view message) {
  std::fprintf(stderr, "janus-mock-browser: %.*s\n%.*s", static_cast<int>(message.size()), message.data(),
               static_cast<int>(usage.size()), usage.data());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  janus::testing::mock_browser_options options;
  bool pipe = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    // Chromium-style "--flag=value" as well as "--flag value".
    std::string_view name = arg, value;
    bool has_value = false;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    const auto take_value = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    if (name == "--help" || name == "-h") {
      std::fwrite(usage.data(), 1, usage.size(), stdout);
      return 0;
    } else if (name == "--pipe" || name == "--remote-debugging-pipe") {
      if (has_value && value != "json") return fail("only JSON pipe framing is supported, not " + std::string(value));
      pipe = true;
    } else if (name == "--port" || name == "--remote-debugging-port") {
      if (!take_value()) return fail("--port needs a value");
      unsigned port = 0;
      const auto r = std::from_chars(value.data(), value.data() + value.size(), port);
      if (r.ec != std::errc{} || r.ptr != value.data() + value.size() || port > 65535) return fail("bad --port");
      options.port = static_cast<std::uint16_t>(port);
    } else if (name == "--host" || name == "--remote-debugging-address") {
      if (!take_value()) return fail("--host needs a value");
      options.host = std::string(value);
    } else if (name == "--replay") {
      if (!take_value()) return fail("--replay needs a file");
      options.capture_path = std::string(value);
    } else if (!arg.starts_with("-")) {
      continue;  // the URL to open
    } else if (!arg.starts_with("--")) {
      return fail("unknown argument " + std::string(arg));
    }
  }

  asio::io_context io(1);
  auto started = janus::testing::mock_browser::start(io, options);
  if (!started) {
    std::fprintf(stderr, "janus-mock-browser: %s\n", started.err().what().c_str());
    return 1;
  }
  auto& browser = *started.value();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code& ec, int) {
    if (ec) return;
    browser.stop();
    io.stop();
  });

  if (pipe) {
    // Like Chromium, the pipe client's leaving (EOF on fd 3) ends the browser.
    auto served = browser.serve_pipe(3, 4, [&] {
      signals.cancel();
      browser.stop();
      io.stop();
    });
    if (!served) {
      std::fprintf(stderr, "janus-mock-browser: fds 3 and 4: %s\n", served.err().what().c_str());
      return 1;
    }
  } else {
    std::fprintf(stderr, "\nDevTools listening on %s\n", browser.browser_ws_url().c_str());
    std::fflush(stderr);
  }
  io.run();
  return 0;
}
