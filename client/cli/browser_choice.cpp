#include "browser_choice.hpp"

#include <algorithm>
#include <cctype>

namespace janus::cli {

const char* const browser_options_help =
    "  --browser B      chromium (default) or firefox: the browser to launch\n"
    "  --connect URL    use a running browser: chromium: ws://… (its DevTools WebSocket) or\n"
    "                   http://host:port; firefox: host:port or unix:/path of its debugger server\n"
    "  --wait W         commit, domcontentloaded, load (default) or network-idle (no request in\n"
    "                   flight for 500 ms after load)\n"
    "  --timeout MS     the whole command's budget: launch (or connect), load, work and close\n"
    "                   together (default 30000, at most 86400000)\n";

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
  if (*ms == 0 || *ms > max_timeout_ms) {
    error = "--timeout must be from 1 to " + std::to_string(max_timeout_ms) + " ms, not " + std::to_string(*ms);
    return std::nullopt;
  }
  c.timeout = std::chrono::milliseconds(*ms);
  // A launched browser takes time to close: its process group is ended and waited for, then its
  // profile removed (about 1-2 s here, mostly the wait for the group to be gone). That share of
  // the budget is kept back from the steps, so that the command as a whole ends near --timeout.
  const auto close_share = c.connect.empty() ? std::min(c.timeout / 3, std::chrono::milliseconds(1500))
                                             : std::chrono::milliseconds(0);
  c.deadline = rt::deadline(rt::clock::now() + c.timeout - close_share);
  return c;
}

std::chrono::milliseconds remaining(const browser_choice& c) {
  // Rounded up, and 1 ms more: a step timed by it ends at or just after the deadline, never just
  // before, so that over_budget() sees the budget has run out.
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(c.deadline.at() - rt::clock::now());
  return std::max(left + std::chrono::milliseconds(1), std::chrono::milliseconds(1));
}

std::string url_problem(const std::string& url) {
  // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then ':'. The rest is the
  // browser's to judge, but it never holds whitespace or control characters.
  const auto colon = url.find(':');
  bool scheme = colon != std::string::npos && colon > 0 && std::isalpha(static_cast<unsigned char>(url[0]));
  for (std::size_t i = 1; scheme && i < colon; ++i) {
    const unsigned char ch = static_cast<unsigned char>(url[i]);
    scheme = std::isalnum(ch) || ch == '+' || ch == '-' || ch == '.';
  }
  if (!scheme) return "'" + url + "' is not a URL (no scheme such as http:, https:, file: or about:)";
  for (const char ch : url)
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f)
      return "'" + url + "' is not a URL (it holds whitespace or a control character)";
  return {};
}

rt::error over_budget(rt::error e, const browser_choice& c) {
  if (!c.deadline.expired()) return e;
  e.message = "--timeout " + std::to_string(c.timeout.count()) + " ms (the whole command's budget) ran out: " + e.message;
  e.code = rt::errc::timeout;
  return e;
}

budget_watch::budget_watch(rt::deadline d) : thread_([this, d] { watch(d); }) {}

budget_watch::~budget_watch() { finish(); }

void budget_watch::watch(rt::deadline d) {
  std::unique_lock lk(mu_);
  cv_.wait_until(lk, d.at(), [this] { return finished_; });
  if (finished_) return;
  expired_ = true;
  client::browser b = browser_;
  lk.unlock();
  // Fails every pending call of the job (each at once), and ends a launched browser's process.
  if (b) b.close();
}

void budget_watch::hold(client::browser b) {
  std::unique_lock lk(mu_);
  browser_ = b;
  if (!expired_) return;
  lk.unlock();
  b.close();
}

void budget_watch::finish() {
  client::browser b;
  {
    std::lock_guard lk(mu_);
    if (finished_ && !thread_.joinable()) return;
    finished_ = true;
    b = std::exchange(browser_, client::browser());
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Closed here rather than left to the last handle: a launched browser's process and profile go
  // before the command prints its answer and exits.
  if (b) b.close();
}

namespace {

// The steps after the browser is there; open_page closes the browser when one fails.
rt::task<rt::result<void>> load_page(opened_page& out, const browser_choice& choice, const std::string& url) {
  const rt::deadline d = choice.deadline;
  auto p = co_await out.browser.new_page("about:blank", std::string(), d);
  if (!p) co_return std::move(p).err();
  out.page = std::move(*p);
  // Listening before navigating: the document's own request and the first console lines count.
  if (auto e = co_await out.page.network().enable(d); !e) co_return std::move(e).err();
  if (auto e = co_await out.page.console().enable(d); !e) co_return std::move(e).err();
  const auto t0 = std::chrono::steady_clock::now();
  auto nav = co_await out.page.navigate(url, choice.wait, d);
  if (!nav) {
    rt::error e = std::move(nav).err();
    e.message = "loading " + url + ": " + e.message;
    co_return e;
  }
  out.navigation_time =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  co_return rt::ok;
}

}  // namespace

rt::task<rt::result<opened_page>> open_page(rt::scheduler& sched, budget_watch& watch, browser_choice choice,
                                            std::string url) {
  opened_page out;
  const bool firefox = choice.browser == "firefox";
  if (choice.deadline.expired()) co_return rt::error{rt::errc::timeout, "before the browser was started"};
  if (choice.connect.empty()) {
    client::launch_options lo;
    lo.product = firefox ? client::browser_product::firefox : client::browser_product::chromium;
    lo.launch_timeout = remaining(choice);
    lo.firefox.launch_timeout = lo.launch_timeout;
    auto b = co_await client::browser::launch(sched, std::move(lo));
    if (!b) co_return std::move(b).err();
    out.browser = std::move(*b);
  } else {
    session::connection_options co;
    co.connect_timeout = remaining(choice);
    // Arguments built before the co_await: GCC 12 destroys some temporaries of a co_await
    // expression twice (a conditional's, an aggregate's), see scripts/checks/coroutine_hazards.py.
    std::string endpoint = firefox ? "rdp://" + choice.connect : choice.connect;
    auto b = co_await client::browser::connect(sched, std::move(endpoint), std::move(co));
    if (!b) co_return std::move(b).err();
    out.browser = std::move(*b);
  }
  watch.hold(out.browser);
  if (auto loaded = co_await load_page(out, choice, url); !loaded) {
    out.browser.close();
    co_return std::move(loaded).err();
  }
  co_return out;
}

}  // namespace janus::cli
