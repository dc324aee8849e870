#include <janus/client/browser.hpp>

#include "page_core.hpp"

#include <janus/rt/actor.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>

namespace janus::client {

using protocol::json_value;

namespace detail {

namespace {

std::string str(const json_value& v) {
  const std::string* s = v.get_string();
  return s ? *s : std::string();
}

rt::error in_context(rt::error e, const std::string& what) {
  e.message = what + ": " + e.message;
  return e;
}

}  // namespace

/// The pages a browser opened and that are not gone yet.
///
/// @par Thread Safety
/// Every member may be called from any thread (one mutex).
struct page_registry {
  std::mutex mu;
  std::vector<std::shared_ptr<page_core>> pages;

  void add(std::shared_ptr<page_core> p) {
    std::lock_guard lk(mu);
    pages.push_back(std::move(p));
  }
  std::shared_ptr<page_core> find_target(std::string_view id) {
    std::lock_guard lk(mu);
    for (auto& p : pages)
      if (p->target_id == id) return p;
    return nullptr;
  }
  std::shared_ptr<page_core> find_session(std::string_view id) {
    std::lock_guard lk(mu);
    for (auto& p : pages)
      if (p->session.id() == id) return p;
    return nullptr;
  }
  void remove(const page_core* p) {
    std::lock_guard lk(mu);
    pages.erase(std::remove_if(pages.begin(), pages.end(), [&](const auto& q) { return q.get() == p; }), pages.end());
  }
  std::vector<std::shared_ptr<page_core>> snapshot() {
    std::lock_guard lk(mu);
    return pages;
  }
};

/// Keeps the target list from the browser session's Target events and tells pages when their
/// target crashed, was destroyed, or its session was detached.
///
/// @par Thread Safety
/// Used through its actor_ref from any thread.
class browser_actor : public rt::actor<browser_actor> {
 public:
  struct run {
    std::shared_ptr<rt::subscription<cdp_event>> events;
  };
  struct list_targets {};
  using message = std::variant<run, list_targets>;
  static constexpr std::size_t mailbox_capacity = 64;

  explicit browser_actor(std::shared_ptr<page_registry> registry) : registry_(std::move(registry)) {}

  rt::task<void> handle(run r) {
    for (;;) {
      rt::result<cdp_event> ev = co_await r.events->next();
      if (!ev) co_return;  // the connection is gone
      rt::result<json_value> params = json_value::parse(ev->params());
      if (params) apply(ev->method(), *params);
    }
  }

  std::vector<target_info> handle(list_targets) const { return targets_; }

 private:
  void apply(std::string_view method, const json_value& p) {
    if (method == "Target.targetCreated" || method == "Target.targetInfoChanged") {
      const json_value& i = p["targetInfo"];
      target_info t;
      t.target_id = str(i["targetId"]);
      t.type = str(i["type"]);
      t.title = str(i["title"]);
      t.url = str(i["url"]);
      t.attached = i["attached"].get_bool().value_or(false);
      t.browser_context_id = str(i["browserContextId"]);
      t.opener_id = str(i["openerId"]);
      if (auto page = registry_->find_target(t.target_id)) page->set_target_info(t.title, t.url);
      auto at = find(t.target_id);
      if (at == targets_.end()) {
        targets_.push_back(std::move(t));
      } else {
        t.crashed = at->crashed;
        *at = std::move(t);
      }
    } else if (method == "Target.targetDestroyed") {
      const std::string id = str(p["targetId"]);
      if (auto at = find(id); at != targets_.end()) targets_.erase(at);
      gone(registry_->find_target(id), rt::errc::target_closed, "the target was destroyed");
    } else if (method == "Target.targetCrashed") {
      const std::string id = str(p["targetId"]);
      if (auto at = find(id); at != targets_.end()) at->crashed = true;
      gone(registry_->find_target(id), rt::errc::target_crashed,
           "the target crashed (" + str(p["status"]) + ", code " + std::to_string(p["errorCode"].get_int().value_or(0)) + ")");
    } else if (method == "Target.detachedFromTarget") {
      gone(registry_->find_session(str(p["sessionId"])), rt::errc::target_closed, "the target's session was detached");
    }
  }

  void gone(const std::shared_ptr<page_core>& page, rt::errc code, std::string why) {
    if (!page) return;
    page->mark_gone(code, std::move(why));
    registry_->remove(page.get());
  }

  std::vector<target_info>::iterator find(std::string_view id) {
    return std::find_if(targets_.begin(), targets_.end(), [&](const target_info& t) { return t.target_id == id; });
  }

  std::shared_ptr<page_registry> registry_;
  std::vector<target_info> targets_;  // in the order the browser announced them
};

/// @par Thread Safety
/// Every member may be called from any thread; close() is idempotent.
struct browser_core {
  browser_core(rt::scheduler& s, cdp_connection c, std::unique_ptr<browser_process> p)
      : sched(s), conn(std::move(c)), process(std::move(p)), registry(std::make_shared<page_registry>()) {}
  ~browser_core() { close(); }
  browser_core(const browser_core&) = delete;
  browser_core& operator=(const browser_core&) = delete;

  void close() {
    if (closed.exchange(true)) return;
    for (const auto& p : registry->snapshot()) {
      p->mark_gone(rt::errc::target_closed, "the browser was closed");
      p->actor.stop();
    }
    if (actor) actor.stop();
    if (process) process->close();
    else conn.close();
  }

  rt::scheduler& sched;
  cdp_connection conn;
  std::unique_ptr<browser_process> process;
  std::shared_ptr<page_registry> registry;
  rt::actor_ref<browser_actor> actor;
  std::atomic<bool> closed{false};
};

}  // namespace detail

namespace {

using detail::browser_core;
using detail::call_json;
using detail::in_context;
using detail::page_core;
using detail::str;

rt::task<rt::result<page>> do_new_page(std::shared_ptr<browser_core> bc, std::string url, std::string context,
                                       rt::deadline d) {
  const std::string what = "new_page";
  cdp_session b = bc->conn.browser();
  json_value create = json_value::object();
  create.set("url", "about:blank");
  if (!context.empty()) create.set("browserContextId", context);
  rt::result<json_value> created = co_await call_json(b, "Target.createTarget", create.dump(), d);
  if (!created) co_return in_context(std::move(created).err(), what);
  const std::string target_id = str((*created)["targetId"]);
  json_value attach = json_value::object();
  attach.set("targetId", target_id);
  attach.set("flatten", true);
  rt::result<json_value> attached = co_await call_json(b, "Target.attachToTarget", attach.dump(), d);
  auto close_target = [](cdp_session b, std::string target_id) -> rt::task<void> {
    json_value p = json_value::object();
    p.set("targetId", std::move(target_id));
    (void)co_await call_json(b, "Target.closeTarget", p.dump(), rt::deadline(std::chrono::seconds(5)));
  };
  if (!attached) {
    co_await close_target(b, target_id);
    co_return in_context(std::move(attached).err(), what);
  }
  const std::string session_id = str((*attached)["sessionId"]);

  auto pc = std::make_shared<page_core>(bc->sched, bc->conn.session(session_id), target_id);
  // The page actor's subscription exists before Page.enable, so no lifecycle event is missed.
  event_options eo;
  eo.capacity = 1024;
  eo.filter = [](const cdp_event& e) { return e.domain() == "Page" || e.domain() == "Inspector"; };
  rt::result<rt::subscription<cdp_event>> events = co_await pc->session.subscribe("*", std::move(eo));
  if (!events) {
    co_await close_target(b, target_id);
    co_return in_context(std::move(events).err(), what);
  }
  rt::spawn_options so;
  so.name = "page." + target_id.substr(0, 8);
  std::weak_ptr<page_core> weak = pc;
  pc->actor = rt::spawn_with<detail::page_actor>(bc->sched, std::move(so),
                                                 [weak] { return std::make_unique<detail::page_actor>(weak); });
  detail::page_actor::run run{std::make_shared<rt::subscription<cdp_event>>(std::move(*events))};
  if (rt::result<void> told = co_await pc->actor.tell(std::move(run)); !told) {
    co_await close_target(b, target_id);
    co_return in_context(std::move(told).err(), what);
  }
  bc->registry->add(pc);

  page p(pc);
  for (const char* method : {"Page.enable", "Inspector.enable"}) {
    rt::result<json_value> r = co_await call_json(pc->session, method, "{}", d);
    if (!r) {
      co_await close_target(b, target_id);
      co_return in_context(std::move(r).err(), what);
    }
  }
  rt::result<json_value> lifecycle =
      co_await call_json(pc->session, "Page.setLifecycleEventsEnabled", R"({"enabled":true})", d);
  if (!lifecycle) {
    co_await close_target(b, target_id);
    co_return in_context(std::move(lifecycle).err(), what);
  }
  // The first document may have finished before anyone listened: start from what it is now.
  rt::result<json_value> tree = co_await call_json(pc->session, "Page.getFrameTree", "{}", d);
  rt::result<json_value> state =
      co_await call_json(pc->session, "Runtime.evaluate", R"({"expression":"document.readyState","returnByValue":true})", d);
  if (tree) {
    const json_value& f = (*tree)["frameTree"]["frame"];
    detail::page_actor::seed s;
    s.frame_id = str(f["id"]);
    s.loader_id = str(f["loaderId"]);
    s.url = str(f["url"]);
    s.loaded = state && str((*state)["result"]["value"]) == "complete";
    (void)co_await pc->actor.tell(std::move(s));
  }
  if (!url.empty() && url != "about:blank") {
    rt::result<navigation> nav = co_await p.navigate(url, wait_until::load, d);
    if (!nav) {
      co_await close_target(b, target_id);
      co_return in_context(std::move(nav).err(), what);
    }
  }
  co_return p;
}

rt::task<rt::result<void>> do_close_page(std::shared_ptr<browser_core> bc, page p, rt::deadline d) {
  const std::string what = "close_page " + p.target_id();
  rt::subscription<detail::page_signal> sub = p.core()->watch();  // closed already if the page is gone
  json_value params = json_value::object();
  params.set("targetId", p.target_id());
  rt::result<json_value> r = co_await call_json(bc->conn.browser(), "Target.closeTarget", params.dump(), d);
  if (!r && p.alive()) co_return in_context(std::move(r).err(), what);
  for (;;) {
    rt::result<detail::page_signal> sig = co_await sub.next(d);
    if (!sig) {
      if (!p.alive()) co_return rt::ok;
      co_return rt::error{sig.code(), what + ": the browser did not report the target detached before the deadline"};
    }
    if (sig->gone != rt::errc::ok) co_return rt::ok;
  }
}

rt::task<rt::result<browser_version>> do_version(std::shared_ptr<browser_core> bc, rt::deadline d) {
  rt::result<json_value> r = co_await call_json(bc->conn.browser(), "Browser.getVersion", "{}", d);
  if (!r) co_return std::move(r).err();
  browser_version v;
  v.protocol_version = str((*r)["protocolVersion"]);
  v.product = str((*r)["product"]);
  v.revision = str((*r)["revision"]);
  v.user_agent = str((*r)["userAgent"]);
  v.js_version = str((*r)["jsVersion"]);
  co_return v;
}

rt::task<rt::result<std::vector<target_info>>> do_targets(std::shared_ptr<browser_core> bc, rt::deadline d) {
  detail::browser_actor::list_targets m;
  co_return co_await bc->actor.ask(m, d);
}

rt::task<rt::result<std::string>> do_create_context(std::shared_ptr<browser_core> bc, rt::deadline d) {
  rt::result<json_value> r = co_await call_json(bc->conn.browser(), "Target.createBrowserContext", "{}", d);
  if (!r) co_return std::move(r).err();
  std::string id = str((*r)["browserContextId"]);
  if (id.empty()) co_return rt::error{rt::errc::parse, "Target.createBrowserContext reply has no browserContextId"};
  co_return id;
}

rt::task<rt::result<void>> do_dispose_context(std::shared_ptr<browser_core> bc, std::string id, rt::deadline d) {
  json_value params = json_value::object();
  params.set("browserContextId", id);
  rt::result<json_value> r = co_await call_json(bc->conn.browser(), "Target.disposeBrowserContext", params.dump(), d);
  if (!r) co_return std::move(r).err();
  co_return rt::ok;
}

}  // namespace

rt::task<rt::result<browser>> browser::start(rt::scheduler& sched, cdp_connection connection,
                                             std::unique_ptr<browser_process> process) {
  auto bc = std::make_shared<browser_core>(sched, std::move(connection), std::move(process));
  event_options eo;
  eo.capacity = 4096;
  rt::result<rt::subscription<cdp_event>> events = co_await bc->conn.browser().subscribe("Target.*", std::move(eo));
  if (!events) co_return in_context(std::move(events).err(), "browser: subscribing to Target events");
  rt::spawn_options so;
  so.name = "browser";
  std::shared_ptr<detail::page_registry> registry = bc->registry;
  bc->actor = rt::spawn_with<detail::browser_actor>(sched, std::move(so),
                                                    [registry] { return std::make_unique<detail::browser_actor>(registry); });
  detail::browser_actor::run run{std::make_shared<rt::subscription<cdp_event>>(std::move(*events))};
  if (rt::result<void> told = co_await bc->actor.tell(std::move(run)); !told) co_return std::move(told).err();
  // Subscribed first: the targetCreated events for the targets that exist now come after this.
  rt::result<json_value> discover = co_await call_json(bc->conn.browser(), "Target.setDiscoverTargets",
                                                       R"({"discover":true})", rt::deadline(std::chrono::seconds(10)));
  if (!discover) co_return in_context(std::move(discover).err(), "browser: Target.setDiscoverTargets");
  co_return browser(std::move(bc));
}

rt::task<rt::result<browser>> browser::launch(rt::scheduler& sched, launch_options options) {
  rt::result<std::unique_ptr<browser_process>> p = co_await launch_chromium(sched, std::move(options));
  if (!p) co_return std::move(p).err();
  co_return co_await adopt(sched, std::move(*p));
}

rt::task<rt::result<browser>> browser::adopt(rt::scheduler& sched, std::unique_ptr<browser_process> process) {
  if (!process) co_return rt::error{rt::errc::invalid_argument, "browser::adopt: no process"};
  cdp_connection c = process->connection();
  co_return co_await start(sched, std::move(c), std::move(process));
}

rt::task<rt::result<browser>> browser::attach(rt::scheduler& sched, cdp_connection connection) {
  if (!connection) co_return rt::error{rt::errc::invalid_argument, "browser::attach: no connection"};
  co_return co_await start(sched, std::move(connection), nullptr);
}

rt::task<rt::result<browser>> browser::connect(rt::scheduler& sched, std::string url, connection_options options) {
  std::string ws = url;
  if (url.rfind("http://", 0) == 0) {
    rt::result<std::string> found = co_await fetch_websocket_url(sched, url, rt::deadline(options.connect_timeout));
    if (!found) co_return std::move(found).err();
    ws = std::move(*found);
  }
  rt::result<cdp_connection> c = co_await cdp_connection::connect(sched, ws, std::move(options));
  if (!c) co_return in_context(std::move(c).err(), "connect to " + ws);
  co_return co_await start(sched, std::move(*c), nullptr);
}

rt::task<rt::result<browser_version>> browser::version(rt::deadline d) const { return do_version(core_, d); }
rt::task<rt::result<std::vector<target_info>>> browser::targets(rt::deadline d) const { return do_targets(core_, d); }
rt::task<rt::result<page>> browser::new_page(std::string url, std::string context, rt::deadline d) const {
  return do_new_page(core_, std::move(url), std::move(context), d);
}
rt::task<rt::result<void>> browser::close_page(page p, rt::deadline d) const { return do_close_page(core_, std::move(p), d); }
rt::task<rt::result<std::string>> browser::create_context(rt::deadline d) const { return do_create_context(core_, d); }
rt::task<rt::result<void>> browser::dispose_context(std::string context_id, rt::deadline d) const {
  return do_dispose_context(core_, std::move(context_id), d);
}

std::vector<page> browser::pages() const {
  std::vector<page> out;
  for (auto& p : core_->registry->snapshot())
    if (p->alive()) out.emplace_back(std::move(p));
  return out;
}

const cdp_connection& browser::connection() const noexcept { return core_->conn; }
browser_process* browser::process() const noexcept { return core_->process.get(); }
void browser::close() const { core_->close(); }

}  // namespace janus::client
