// How the page commands (inspect, eval, dom, screenshot) get a browser and a page: launch a
// headless Chromium or Firefox, or connect to a running one (--connect ws://… or http://host:port;
// Firefox: host:port or unix:/path of its debugger server), then open a page and navigate it with the requested
// wait. Both browsers give the same client::browser and client::page.
#pragma once

#include "cli_args.hpp"

#include <janus/client/browser.hpp>
#include <janus/client/page.hpp>
#include <janus/rt/result.hpp>
#include <janus/rt/scheduler.hpp>
#include <janus/rt/task.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <string>

namespace janus::cli {

/// The options every page command accepts, with their help text.
void add_browser_options(arg_spec& spec);
extern const char* const browser_options_help;

struct browser_choice {
  std::string browser = "chromium";
  std::string connect;  // empty: launch
  client::wait_until wait = client::wait_until::load;
  std::chrono::milliseconds timeout{30000};
};

/// Reads --browser, --connect, --wait and --timeout; `error` set on a bad value.
std::optional<browser_choice> read_browser_choice(const parsed_args& args, std::string& error);

struct opened_page {
  client::browser browser;
  client::page page;
  /// From the start of navigate() until its wait was met.
  std::chrono::milliseconds navigation_time{0};
};

/// Launches or connects, opens a page with its network and console actors listening from the
/// start, and navigates it to `url`.
rt::task<rt::result<opened_page>> open_page(rt::scheduler& sched, browser_choice choice, std::string url);

/// "host:port" split, the port 1..65535.
std::optional<std::pair<std::string, std::uint16_t>> split_host_port(const std::string& s);

/// "load", "network-idle", ...
const char* wait_name(client::wait_until w);

}  // namespace janus::cli
