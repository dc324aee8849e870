#include "firefox_browser.hpp"

#include "firefox_rdp_calls.hpp"

#include "firefox_tab.hpp"
#include <janus/protocol/json_value.hpp>

#include <algorithm>
#include <utility>

namespace janus::client::detail {

using protocol::json_value;

void firefox_browser::close() {
  if (closed_.exchange(true)) return;
  {
    std::lock_guard lk(mu_);
    pages_.clear();
  }
  // Closing the connection fails every pending request of every tab at once; the process, when
  // launched, is ended and its profile removed.
  conn.close();
  if (owned_process) owned_process->close();
}

std::vector<page> firefox_browser::pages() {
  std::lock_guard lk(mu_);
  std::vector<page> out;
  for (const auto& p : pages_)
    if (p->tab.alive()) out.emplace_back(p);
  return out;
}

void firefox_browser::add(std::shared_ptr<firefox_page> p) {
  std::lock_guard lk(mu_);
  // Tabs closed since are forgotten here rather than in close_page: a tab the page closed itself
  // (window.close()) never passes through it.
  std::erase_if(pages_, [](const std::shared_ptr<firefox_page>& q) { return !q->tab.alive(); });
  pages_.push_back(std::move(p));
}

void firefox_browser::remove(const std::shared_ptr<firefox_page>& p) {
  std::lock_guard lk(mu_);
  std::erase(pages_, p);
}

rt::task<rt::result<std::shared_ptr<firefox_browser>>> launch_firefox_browser(rt::scheduler& sched,
                                                                               firefox_launch_options options) {
  rt::result<std::unique_ptr<firefox_process>> p = co_await launch_firefox(sched, std::move(options));
  if (!p) co_return std::move(p).err();
  session::rdp_connection conn = (*p)->connection();
  co_return std::make_shared<firefox_browser>(sched, std::move(*p), std::move(conn));
}

rt::task<rt::result<std::shared_ptr<firefox_browser>>> connect_firefox_browser(rt::scheduler& sched, std::string host,
                                                                                std::uint16_t port,
                                                                                session::rdp_connection_options options) {
  rt::result<session::rdp_connection> c = co_await connect_firefox(sched, std::move(host), port, std::move(options));
  if (!c) co_return std::move(c).err();
  co_return std::make_shared<firefox_browser>(sched, nullptr, std::move(*c));
}

rt::task<rt::result<std::shared_ptr<firefox_browser>>> connect_firefox_browser_unix(rt::scheduler& sched,
                                                                                     std::string unix_path,
                                                                                     session::rdp_connection_options options) {
  rt::result<session::rdp_connection> c = co_await session::rdp_connection::connect_unix(sched, std::move(unix_path), std::move(options));
  if (!c) co_return std::move(c).err();
  co_return std::make_shared<firefox_browser>(sched, nullptr, std::move(*c));
}

namespace {

rt::result<void> check_open(const firefox_browser& fb) {
  if (fb.closed()) return rt::error{rt::errc::cancelled, "browser: closed"};
  return rt::ok;
}

rt::task<rt::result<browser_version>> do_version(std::shared_ptr<firefox_browser> fb, rt::deadline d) {
  if (rt::result<void> o = check_open(*fb); !o) co_return std::move(o).err();
  // Asked of the parent process: the greeting names no version, and a content page's
  // navigator may be overridden by the page or by a pref.
  rt::result<json_value> r = co_await firefox_chrome_eval(
      fb->conn,
      "JSON.stringify({n: Services.appinfo.name, v: Services.appinfo.version, b: Services.appinfo.appBuildID, "
      "p: Services.appinfo.platformVersion, ua: navigator.userAgent})",
      d);
  if (!r) co_return rdp_in_context(std::move(r).err(), "browser version");
  rt::result<json_value> v = json_value::parse(rdp_str(*r));
  if (!v) co_return rdp_in_context(std::move(v).err(), "browser version");
  browser_version out;
  out.protocol_version = "RDP";  // Firefox's Remote Debugging Protocol has no version number
  out.product = rdp_str((*v)["n"]) + "/" + rdp_str((*v)["v"]);
  out.revision = rdp_str((*v)["b"]);
  out.user_agent = rdp_str((*v)["ua"]);
  out.js_version = rdp_str((*v)["p"]);  // SpiderMonkey ships with Gecko: its platform version
  co_return out;
}

rt::task<rt::result<std::vector<target_info>>> do_targets(std::shared_ptr<firefox_browser> fb, rt::deadline d) {
  if (rt::result<void> o = check_open(*fb); !o) co_return std::move(o).err();
  rt::result<std::vector<firefox_tab_info>> tabs = co_await list_firefox_tabs(fb->conn, d);
  if (!tabs) co_return std::move(tabs).err();
  std::vector<page> ours = fb->pages();
  std::vector<target_info> out;
  for (firefox_tab_info& t : *tabs) {
    target_info i;
    i.target_id = std::move(t.actor);
    i.type = "page";
    i.title = std::move(t.title);
    i.url = std::move(t.url);
    i.attached = std::any_of(ours.begin(), ours.end(), [&](const page& p) { return p.target_id() == i.target_id; });
    out.push_back(std::move(i));
  }
  co_return out;
}

rt::task<rt::result<page>> do_new_page(std::shared_ptr<firefox_browser> fb, std::string url, std::string context,
                                            rt::deadline d) {
  if (rt::result<void> o = check_open(*fb); !o) co_return std::move(o).err();
  if (!context.empty())
    co_return rt::error{rt::errc::unsupported,
                        "browser.new_page in a browser context: Firefox's debugging protocol has no isolated contexts"};
  rt::result<firefox_tab> tab = co_await firefox_tab::open(*fb->sched, fb->conn, std::move(url), d);
  if (!tab) co_return std::move(tab).err();
  auto fp = std::make_shared<firefox_page>(*fb->sched, std::move(*tab));
  fb->add(fp);
  co_return page(std::move(fp));
}

rt::task<rt::result<void>> do_close_page(std::shared_ptr<firefox_browser> fb, page p, rt::deadline d) {
  auto fp = std::dynamic_pointer_cast<firefox_page>(page_access::backend(p));
  if (!fp) co_return rt::error{rt::errc::invalid_argument, "browser.close_page: not a Firefox page"};
  rt::result<void> closed = co_await fp->tab.close(d);
  fb->remove(fp);
  co_return closed;
}

template <class T>
rt::task<rt::result<T>> no_contexts(const char* call) {
  co_return unsupported_on(browser_product::firefox, call);
}

rt::task<rt::result<void>> do_wait_running(std::shared_ptr<firefox_browser> fb) {
  if (fb->closed()) co_return rt::error{rt::errc::cancelled, "the browser was closed"};
  co_return rt::ok;
}

}  // namespace

rt::task<rt::result<browser_version>> firefox_browser::version(rt::deadline d) { return do_version(shared_from_this(), d); }
rt::task<rt::result<std::vector<target_info>>> firefox_browser::targets(rt::deadline d) { return do_targets(shared_from_this(), d); }
rt::task<rt::result<page>> firefox_browser::new_page(std::string url, std::string context, rt::deadline d) {
  return do_new_page(shared_from_this(), std::move(url), std::move(context), d);
}
rt::task<rt::result<void>> firefox_browser::close_page(page p, rt::deadline d) {
  return do_close_page(shared_from_this(), std::move(p), d);
}
rt::task<rt::result<std::string>> firefox_browser::create_context(rt::deadline) {
  return no_contexts<std::string>("browser.create_context (isolated browser contexts)");
}
rt::task<rt::result<void>> firefox_browser::dispose_context(std::string, rt::deadline) {
  return no_contexts<void>("browser.dispose_context (isolated browser contexts)");
}
rt::task<rt::result<void>> firefox_browser::wait_running(rt::deadline) { return do_wait_running(shared_from_this()); }

}  // namespace janus::client::detail
