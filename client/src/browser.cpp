// client::browser, the handle: the one place a browser is chosen — by launch_options::product
// in launch, by the URL's scheme in connect (ws:// and http:// Chromium, rdp:// Firefox) — and
// then every call goes to the browser's backend (browser_backend.hpp). An empty handle answers
// from a backend whose every call fails.
#include "browser_backend.hpp"
#include "firefox_browser.hpp"
#include "page_core.hpp"

#include <algorithm>
#include <utility>

namespace janus::client {

namespace detail {
namespace {

template <class T>
rt::task<rt::result<T>> failed(const char* call) {
  co_return rt::error{rt::errc::invalid_argument, std::string(call) + ": an empty browser handle"};
}

class empty_browser final : public browser_backend {
 public:
  browser_product product() const noexcept override { return browser_product::chromium; }
  rt::task<rt::result<browser_version>> version(rt::deadline) override { return failed<browser_version>("browser.version"); }
  rt::task<rt::result<std::vector<target_info>>> targets(rt::deadline) override {
    return failed<std::vector<target_info>>("browser.targets");
  }
  rt::task<rt::result<page>> new_page(std::string, std::string, rt::deadline) override { return failed<page>("browser.new_page"); }
  rt::task<rt::result<void>> close_page(page, rt::deadline) override { return failed<void>("browser.close_page"); }
  rt::task<rt::result<std::string>> create_context(rt::deadline) override { return failed<std::string>("browser.create_context"); }
  rt::task<rt::result<void>> dispose_context(std::string, rt::deadline) override { return failed<void>("browser.dispose_context"); }
  std::vector<page> pages() override { return {}; }
  session::cdp_connection connection() const override { return {}; }
  session::rdp_connection rdp() const override { return {}; }
  browser_process* process() const override { return nullptr; }
  client::firefox_process* firefox_process() const override { return nullptr; }
  browser_state state() const noexcept override { return browser_state::closed; }
  std::uint64_t restarts() const noexcept override { return 0; }
  rt::task<rt::result<void>> wait_running(rt::deadline) override { return failed<void>("browser.wait_running"); }
  void close() override {}
};

}  // namespace
}  // namespace detail

detail::browser_backend& browser::backend() const noexcept {
  static detail::empty_browser empty;
  return backend_ ? *backend_ : empty;
}

rt::task<rt::result<browser>> browser::launch(rt::scheduler& sched, launch_options options) {
  if (options.product == browser_product::firefox) {
    if (options.restart)
      co_return rt::error{rt::errc::unsupported, "browser::launch: a restart policy supervises Chromium only"};
    firefox_launch_options fo = std::move(options.firefox);
    if (!options.executable.empty()) fo.executable = std::move(options.executable);
    fo.extra_args.insert(fo.extra_args.end(), options.extra_args.begin(), options.extra_args.end());
    rt::result<std::shared_ptr<detail::firefox_browser>> fb = co_await detail::launch_firefox_browser(sched, std::move(fo));
    if (!fb) co_return std::move(fb).err();
    co_return browser(std::shared_ptr<detail::browser_backend>(std::move(*fb)));
  }
  rt::result<std::shared_ptr<detail::browser_backend>> bc = co_await detail::launch_chromium_browser(sched, std::move(options));
  if (!bc) co_return std::move(bc).err();
  co_return browser(std::move(*bc));
}

rt::task<rt::result<browser>> browser::adopt(rt::scheduler& sched, std::unique_ptr<browser_process> process) {
  if (!process) co_return rt::error{rt::errc::invalid_argument, "browser::adopt: no process"};
  rt::result<std::shared_ptr<detail::browser_backend>> bc = co_await detail::adopt_chromium_browser(sched, std::move(process));
  if (!bc) co_return std::move(bc).err();
  co_return browser(std::move(*bc));
}

rt::task<rt::result<browser>> browser::attach(rt::scheduler& sched, session::cdp_connection connection) {
  if (!connection) co_return rt::error{rt::errc::invalid_argument, "browser::attach: no connection"};
  rt::result<std::shared_ptr<detail::browser_backend>> bc =
      co_await detail::attach_chromium_browser(sched, std::move(connection), rt::deadline(std::chrono::seconds(10)));
  if (!bc) co_return std::move(bc).err();
  co_return browser(std::move(*bc));
}

rt::task<rt::result<browser>> browser::connect(rt::scheduler& sched, std::string url, session::connection_options options) {
  // connect_timeout bounds the whole connect: the /json/version GET, the WebSocket handshake and
  // the browser's answer to the first command, so that a peer that stalls at any step fails by it.
  const rt::deadline d(options.connect_timeout);
  if (url.rfind("rdp://unix:", 0) == 0) {
    // A Firefox debugger server on a Unix domain socket (what launch_firefox starts).
    session::rdp_connection_options ro;
    ro.connect_timeout = options.connect_timeout;
    std::string path = url.substr(11);  // a local, not a temporary in the co_await (rule 7, actor.hpp)
    rt::result<std::shared_ptr<detail::firefox_browser>> fb =
        co_await detail::connect_firefox_browser_unix(sched, std::move(path), std::move(ro));
    if (!fb) co_return detail::in_context(std::move(fb).err(), "connect to " + url);
    co_return browser(std::shared_ptr<detail::browser_backend>(std::move(*fb)));
  }
  if (url.rfind("rdp://", 0) == 0) {
    const std::string hostport = url.substr(6);
    const std::size_t colon = hostport.rfind(':');
    int port = 0;
    if (colon != std::string::npos) {
      const std::string digits = hostport.substr(colon + 1);
      if (!digits.empty() && digits.size() <= 5 && digits.find_first_not_of("0123456789") == std::string::npos)
        port = std::stoi(digits);
    }
    if (port <= 0 || port > 65535)
      co_return rt::error{rt::errc::invalid_argument, "browser::connect: expected rdp://host:port, got " + url};
    session::rdp_connection_options ro;
    ro.connect_timeout = options.connect_timeout;
    rt::result<std::shared_ptr<detail::firefox_browser>> fb = co_await detail::connect_firefox_browser(
        sched, hostport.substr(0, colon), static_cast<std::uint16_t>(port), std::move(ro));
    if (!fb) co_return detail::in_context(std::move(fb).err(), "connect to " + url);
    co_return browser(std::shared_ptr<detail::browser_backend>(std::move(*fb)));
  }
  std::string ws = url;
  if (url.rfind("http://", 0) == 0) {
    rt::result<std::string> found = co_await fetch_websocket_url(sched, url, d);
    if (!found) co_return std::move(found).err();
    ws = std::move(*found);
    // What the GET took is not given again to the handshake (at least 1 ms: 0 would mean none).
    options.connect_timeout = std::max(std::chrono::ceil<std::chrono::milliseconds>(d.at() - rt::clock::now()),
                                       std::chrono::milliseconds(1));
  }
  rt::result<session::cdp_connection> c = co_await session::cdp_connection::connect(sched, ws, std::move(options), session::connect_policy{});
  if (!c) co_return detail::in_context(std::move(c).err(), "connect to " + ws);
  rt::result<std::shared_ptr<detail::browser_backend>> started = co_await detail::attach_chromium_browser(sched, std::move(*c), d);
  if (!started) co_return detail::in_context(std::move(started).err(), "connect to " + ws);
  co_return browser(std::move(*started));
}

browser_product browser::product() const noexcept { return backend().product(); }
rt::task<rt::result<browser_version>> browser::version(rt::deadline d) const { return backend().version(d); }
rt::task<rt::result<std::vector<target_info>>> browser::targets(rt::deadline d) const { return backend().targets(d); }
rt::task<rt::result<page>> browser::new_page(std::string url, std::string context, rt::deadline d) const {
  return backend().new_page(std::move(url), std::move(context), d);
}
rt::task<rt::result<void>> browser::close_page(page p, rt::deadline d) const { return backend().close_page(std::move(p), d); }
rt::task<rt::result<std::string>> browser::create_context(rt::deadline d) const { return backend().create_context(d); }
rt::task<rt::result<void>> browser::dispose_context(std::string context_id, rt::deadline d) const {
  return backend().dispose_context(std::move(context_id), d);
}
std::vector<page> browser::pages() const { return backend().pages(); }
session::cdp_connection browser::connection() const { return backend().connection(); }
session::rdp_connection browser::rdp() const { return backend().rdp(); }
browser_process* browser::process() const { return backend().process(); }
client::firefox_process* browser::firefox_process() const { return backend().firefox_process(); }
void browser::close() const { backend().close(); }
browser_state browser::state() const noexcept { return backend().state(); }
std::uint64_t browser::restarts() const noexcept { return backend().restarts(); }
rt::task<rt::result<void>> browser::wait_running(rt::deadline d) const { return backend().wait_running(d); }

}  // namespace janus::client
