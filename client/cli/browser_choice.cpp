#include "browser_choice.hpp"

namespace janus::cli {

const char* const browser_options_help =
    "  --browser B      chromium (default) or firefox: the browser to launch\n"
    "  --connect URL    use a running browser: chromium: ws://… (its DevTools WebSocket) or\n"
    "                   http://host:port; firefox: host:port or unix:/path of its debugger server\n"
    "  --wait W         commit, domcontentloaded, load (default) or network-idle (no request in\n"
    "                   flight for 500 ms after load)\n"
    "  --timeout MS     deadline of the launch and of the navigation, each (default 30000)\n";

void add_browser_options(arg_spec& spec) {
  spec.valued.insert({"--browser", "--connect", "--wait", "--timeout"});
  spec.flags.insert("--help");
}

std::optional<std::pair<std::string, std::uint16_t>> split_host_port(const std::string& s) {
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return std::nullopt;
  unsigned long port = 0;
  for (std::size_t i = colon + 1; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    port = port * 10 + static_cast<unsigned long>(s[i] - '0');
    if (port > 65535) return std::nullopt;
  }
  if (port == 0) return std::nullopt;
  return std::pair<std::string, std::uint16_t>(s.substr(0, colon), static_cast<std::uint16_t>(port));
}

const char* wait_name(client::wait_until w) {
  switch (w) {
    case client::wait_until::commit: return "commit";
    case client::wait_until::domcontentloaded: return "domcontentloaded";
    case client::wait_until::load: return "load";
    case client::wait_until::network_idle: return "network-idle";
  }
  return "?";
}

std::optional<browser_choice> read_browser_choice(const parsed_args& args, std::string& error) {
  browser_choice c;
  c.browser = args.value_or("--browser", "chromium");
  if (c.browser != "chromium" && c.browser != "firefox") {
    error = "--browser is chromium or firefox, not '" + c.browser + "'";
    return std::nullopt;
  }
  c.connect = args.value_or("--connect", "");
  if (c.browser == "chromium" && !c.connect.empty() && c.connect.rfind("ws://", 0) != 0 &&
      c.connect.rfind("http://", 0) != 0) {
    error = "--connect takes ws://… or http://host:port with chromium, not '" + c.connect + "'";
    return std::nullopt;
  }
  if (c.browser == "firefox" && !c.connect.empty() && !split_host_port(c.connect) &&
      !(c.connect.rfind("unix:", 0) == 0 && c.connect.size() > 5)) {
    error = "--connect takes host:port or unix:/path (a debugger server) with firefox, not '" + c.connect + "'";
    return std::nullopt;
  }
  const std::string wait = args.value_or("--wait", "load");
  bool known = false;
  for (auto w : {client::wait_until::commit, client::wait_until::domcontentloaded, client::wait_until::load,
                 client::wait_until::network_idle})
    if (wait == wait_name(w)) {
      c.wait = w;
      known = true;
    }
  if (!known) {
    error = "--wait is commit, domcontentloaded, load or network-idle, not '" + wait + "'";
    return std::nullopt;
  }
  auto ms = args.number("--timeout", 30000, error);
  if (!ms) return std::nullopt;
  if (*ms == 0) {
    error = "--timeout must be at least 1 ms";
    return std::nullopt;
  }
  c.timeout = std::chrono::milliseconds(*ms);
  return c;
}

rt::task<rt::result<opened_page>> open_page(rt::scheduler& sched, browser_choice choice, std::string url) {
  opened_page out;
  const bool firefox = choice.browser == "firefox";
  if (choice.connect.empty()) {
    client::launch_options lo;
    lo.product = firefox ? client::browser_product::firefox : client::browser_product::chromium;
    lo.launch_timeout = choice.timeout;
    lo.firefox.launch_timeout = choice.timeout;
    auto b = co_await client::browser::launch(sched, std::move(lo));
    if (!b) co_return std::move(b).err();
    out.browser = std::move(*b);
  } else {
    // Arguments built before the co_await: GCC 12 destroys some temporaries of a co_await
    // expression twice (a conditional's, an aggregate's), see scripts/checks/coroutine_hazards.py.
    std::string url = firefox ? "rdp://" + choice.connect : choice.connect;
    client::connection_options options;
    auto b = co_await client::browser::connect(sched, std::move(url), std::move(options));
    if (!b) co_return std::move(b).err();
    out.browser = std::move(*b);
  }
  auto p = co_await out.browser.new_page("about:blank", {}, rt::deadline(choice.timeout));
  if (!p) co_return std::move(p).err();
  out.page = std::move(*p);
  // Listening before navigating: the document's own request and the first console lines count.
  if (auto e = co_await out.page.network().enable(rt::deadline(choice.timeout)); !e) co_return std::move(e).err();
  if (auto e = co_await out.page.console().enable(rt::deadline(choice.timeout)); !e) co_return std::move(e).err();
  const auto t0 = std::chrono::steady_clock::now();
  auto nav = co_await out.page.navigate(url, choice.wait, rt::deadline(choice.timeout));
  if (!nav) {
    rt::error e = std::move(nav).err();
    e.message = "loading " + url + ": " + e.message;
    co_return e;
  }
  out.navigation_time =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  co_return out;
}

}  // namespace janus::cli
