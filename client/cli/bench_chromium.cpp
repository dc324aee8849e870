// `janus bench --target chromium`: a headless Chromium launched for the run (over its pipe), or a
// running one (--connect ws://…/devtools/browser/<id>, over its WebSocket, as other clients reach
// it). One page target is created and attached with flatten (a page session, as
// chrome-remote-interface and Puppeteer use), and Runtime is enabled on it.
//
//   browser.getVersion   Browser.getVersion on the browser session: answered by the browser
//                        process, never reaching a renderer (kept for comparison with earlier runs)
//   page.evaluate        Runtime.evaluate {"expression":"1"} on the page session
//   console              the page runs `for (…) console.log(i)` N times; Runtime.consoleAPICalled
//                        events received on the page session
#include "bench_cdp.hpp"
#include "bench_command.hpp"

#include <janus/client/chromium_launcher.hpp>
#include <janus/protocol/json_value.hpp>
#include <janus/protocol/json_writer.hpp>
#include <janus/rt.hpp>
#include <janus/session/cdp_connection.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace janus::cli {
namespace {

using namespace std::chrono_literals;
using protocol::json_value;

class chromium_target final : public bench_target {
 public:
  static rt::result<std::unique_ptr<chromium_target>> start(rt::scheduler& s, const bench_start& how) {
    auto t = std::unique_ptr<chromium_target>(new chromium_target(s));
    if (how.connect_url.empty()) {
      auto b = s.block_on(client::launch_chromium(s));
      if (!b) return std::move(b).err();
      t->browser_ = std::move(*b);
      t->conn_ = t->browser_->connection();
    } else {
      if (how.connect_url.rfind("ws://", 0) != 0)
        return rt::error{rt::errc::invalid_argument,
                         "--connect for chromium takes the browser's WebSocket URL (ws://host:port/devtools/browser/<id>, "
                         "webSocketDebuggerUrl in /json/version), not '" + how.connect_url + "'"};
      auto c = s.block_on(session::cdp_connection::connect(s, how.connect_url));
      if (!c) return std::move(c).err();
      t->conn_ = std::move(*c);
      t->transport_ = "websocket";
    }
    auto page = s.block_on(t->open_page());
    if (!page) return std::move(page).err();
    t->page_ = std::move(*page);
    return t;
  }
  ~chromium_target() override {
    if (!target_id_.empty() && !browser_ && conn_) {
      // A browser we only connected to keeps running: take our page away again.
      const std::string params = "{\"targetId\":" + json_value(target_id_).dump() + "}";
      (void)sched_.block_on(cdp_round_trip(conn_.browser(), "Target.closeTarget", params));
    }
    if (browser_) browser_->close();
    else if (conn_) conn_.close();
  }

  std::vector<bench_workload> workloads() const override {
    return {{.name = "browser.getVersion",
             .what = "Browser.getVersion on the browser session (answered without a renderer)",
             .round_trips = true},
            {.name = "page.evaluate", .what = "Runtime.evaluate {\"expression\":\"1\"} on a page session", .round_trips = true},
            {.name = "console",
             .what = "a page's console.log loop, Runtime.consoleAPICalled events on its session",
             .round_trips = false}};
  }
  rt::task<rt::result<void>> call(std::size_t w, std::uint64_t, unsigned) override {
    if (w == 0) return cdp_round_trip(conn_.browser(), "Browser.getVersion", {});
    return cdp_round_trip(page_, "Runtime.evaluate", R"({"expression":"1"})");
  }
  rt::task<rt::result<double>> events(std::size_t, std::uint64_t n) override {
    return receive_cdp_events(sched_, page_, "Runtime.consoleAPICalled", emit(n), n);
  }
  std::string name() const override { return "chromium"; }
  std::string transport() const override { return transport_; }

 private:
  explicit chromium_target(rt::scheduler& s) : sched_(s) {}

  rt::task<rt::result<void>> emit(std::uint64_t count) {
    const std::string expr = "for (let i = 0; i < " + std::to_string(count) + "; ++i) console.log(i)";
    protocol::json_writer w;
    w.begin_object();
    w.key("expression");
    w.string(expr);
    w.end_object();
    session::call_options call_opts{.deadline = rt::deadline(120s), .cancel = {}};
    auto r = co_await page_.call("Runtime.evaluate", w.view(), std::move(call_opts));
    if (!r) co_return std::move(r).err();
    co_return rt::ok;
  }

  rt::task<rt::result<session::cdp_session>> open_page() {
    const session::cdp_session b = conn_.browser();
    auto created = co_await b.call("Target.createTarget", R"({"url":"about:blank"})");
    if (!created) co_return std::move(created).err();
    auto id = json_value::parse(created->payload());
    const json_value* target_id = id ? id->find("targetId") : nullptr;
    if (!target_id || !target_id->is_string()) co_return rt::error{rt::errc::parse, "Target.createTarget: no targetId"};
    target_id_ = target_id->as_string();
    protocol::json_writer w;
    w.begin_object();
    w.key("targetId");
    w.string(target_id_);
    w.key("flatten");
    w.boolean(true);
    w.end_object();
    const std::string params(w.view());
    auto attached = co_await b.call("Target.attachToTarget", params);
    if (!attached) co_return std::move(attached).err();
    auto sid = json_value::parse(attached->payload());
    const json_value* session_id = sid ? sid->find("sessionId") : nullptr;
    if (!session_id || !session_id->is_string()) co_return rt::error{rt::errc::parse, "Target.attachToTarget: no sessionId"};
    session::cdp_session page = conn_.session(session_id->as_string());
    auto enabled = co_await page.call("Runtime.enable");
    if (!enabled) co_return std::move(enabled).err();
    co_return page;
  }

  rt::scheduler& sched_;
  std::unique_ptr<client::browser_process> browser_;
  session::cdp_connection conn_;
  session::cdp_session page_;
  std::string target_id_;
  std::string transport_ = "pipe";
};

}  // namespace

bench_target_kind chromium_bench_target() {
  return {.name = "chromium",
          .help = "a headless Chromium launched for the run (pipe), or --connect ws://…",
          .description = "headless Chromium",
          .default_events = 20000,
          .in_process = false,
          .start = [](rt::scheduler& s, const bench_start& how) -> rt::result<std::unique_ptr<bench_target>> {
            auto t = chromium_target::start(s, how);
            if (!t) return std::move(t).err();
            return std::unique_ptr<bench_target>(std::move(*t));
          }};
}

}  // namespace janus::cli
